// Fakes for chrome.*, WebSocket, timers and the Vinted page, for node's test runner.

export class FakeTimers {
  constructor(start = 1_700_000_000_000) {
    this.time = start;
    this.seq = 0;
    this.tasks = new Map();
  }
  now = () => this.time;
  setTimeout = (fn, ms) => {
    const id = ++this.seq;
    this.tasks.set(id, { fn, at: this.time + ms, every: null });
    return id;
  };
  setInterval = (fn, ms) => {
    const id = ++this.seq;
    this.tasks.set(id, { fn, at: this.time + ms, every: ms });
    return id;
  };
  clearTimeout = (id) => this.tasks.delete(id);
  clearInterval = (id) => this.tasks.delete(id);
  pending() {
    return [...this.tasks.values()].sort((a, b) => a.at - b.at);
  }
  // Moves the clock, firing due tasks in order (and letting promises settle between them).
  async advance(ms) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.tasks.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      const [id, task] = due;
      this.time = task.at;
      if (task.every) task.at += task.every;
      else this.tasks.delete(id);
      task.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

export async function settle(rounds = 20) {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeWebSocket {
  static instances = [];
  static reset() {
    FakeWebSocket.instances = [];
  }
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeWebSocket.instances.push(this);
  }
  static get last() {
    return FakeWebSocket.instances.at(-1);
  }
  send(data) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedWith = code;
    this.onclose?.({ code });
  }
  // Test side:
  serverOpen() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverSend(message) {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
  serverClose(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  sentActions(action) {
    return this.sent.filter((m) => m.action === action);
  }
}

export function fakeStorageArea() {
  const data = {};
  return {
    data,
    async get(key) {
      if (key === undefined || key === null) return { ...data };
      const keys = Array.isArray(key) ? key : [key];
      return Object.fromEntries(keys.filter((k) => k in data).map((k) => [k, structuredClone(data[k])]));
    },
    async set(items) {
      for (const [k, v] of Object.entries(items)) data[k] = structuredClone(v);
    },
  };
}

// A fake Vinted page: executeScript runs the real page function against a fake document/fetch.
export function fakeChrome({ tabs = [], pageCall } = {}) {
  const alarms = new Map();
  const chrome = {
    runtime: { id: 'stoflow-test', getManifest: () => ({ version: '0.1.0' }), getURL: (p) => `chrome-extension://stoflow-test/${p}` },
    storage: { local: fakeStorageArea() },
    alarms: {
      created: [],
      async get(name) {
        return alarms.get(name);
      },
      async create(name, info) {
        alarms.set(name, { name, ...info });
        chrome.alarms.created.push(name);
      },
    },
    tabs: {
      list: tabs,
      async query() {
        return chrome.tabs.list;
      },
      async create(info) {
        const tab = { id: 100 + chrome.tabs.list.length, url: info.url, status: 'complete' };
        chrome.tabs.list.push(tab);
        return tab;
      },
      async get(id) {
        return chrome.tabs.list.find((t) => t.id === id);
      },
    },
    scripting: {
      calls: [],
      async executeScript(injection) {
        chrome.scripting.calls.push(injection);
        return [{ result: await pageCall(...injection.args) }];
      },
    },
  };
  return chrome;
}

// A scripted Vinted origin: routes "METHOD /path" to handlers returning page-call answers.
export function fakeVinted(routes) {
  const calls = [];
  const pageCall = async (req) => {
    calls.push(req);
    const handler = routes[`${req.method} ${req.path}`] ?? routes[`${req.method} *`];
    if (!handler) return { status: 404, json: { message: 'not found' }, contentType: 'application/json' };
    const answer = await handler(req);
    return { contentType: 'application/json', json: null, text: null, ...answer };
  };
  return { calls, pageCall };
}

export const ok = (json) => ({ status: 200, json });
