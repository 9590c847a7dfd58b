// The service worker's logic, with every browser API injected (background.js passes the real
// ones; the tests pass fakes).
import { isVintedHost } from './allowlist.js';
import { Backend, BackendError } from './backend.js';
import { Connection, NotPaired } from './connection.js';
import { Executor, Outbox } from './executor.js';
import { Pacer } from './pacing.js';
import { datadomeDetected, hello, parseServerMessage, sessionUpdate } from './protocol.js';
import { fetchPhoto, makePageRunner, VintedClient } from './vinted.js';

export const ALARM = 'stoflow-reconnect';
const DEFAULT_HOST = 'www.vinted.fr';

export function createApp({ chrome, WebSocketImpl, fetchImpl, timers = globalThis, now = () => Date.now(), random = Math.random, uuid, pacerOptions = {}, log = () => {} }) {
  const local = chrome.storage.local;
  const read = async (key) => (await local.get(key))[key];
  const write = (key, value) => local.set({ [key]: value });
  const version = chrome.runtime.getManifest().version;
  const status = { backend: 'idle', detail: null, vinted: null, pausedUntil: 0, pauseReason: null, resumeRequired: false, lastJob: null, running: null, usage: null };
  const publish = (patch) => {
    Object.assign(status, patch);
    return write('status', { ...status });
  };

  const backend = new Backend({
    fetchImpl,
    now,
    version,
    store: { get: () => read('pairing'), set: (pairing) => write('pairing', pairing ?? null) },
  });

  const pacer = new Pacer({
    now,
    random,
    ...pacerOptions,
    save: (state) => {
      write('pacer', state);
      publish({ pausedUntil: state.pausedUntil, pauseReason: state.pauseReason, resumeRequired: state.resumeRequired, usage: pacer.usage() });
    },
  });
  // What a restarted service worker remembers: the pause, and the calls that count in the caps.
  const pacerReady = read('pacer').then((state) => {
    if (!state) return;
    if ((state.pausedUntil ?? 0) > pacer.pausedUntil) {
      pacer.pausedUntil = state.pausedUntil;
      pacer.pauseMs = state.pauseMs ?? 0;
      pacer.pauseReason = state.pauseReason ?? null;
    }
    pacer.resumeRequired = pacer.resumeRequired || Boolean(state.resumeRequired);
    pacer.writes = [...new Set([...(state.writes ?? []), ...pacer.writes])];
    pacer.reads = [...new Set([...(state.reads ?? []), ...pacer.reads])];
    pacer.nextWriteAt = Math.max(pacer.nextWriteAt, state.nextWriteAt ?? 0);
    pacer.lastCallEnd = Math.max(pacer.lastCallEnd ?? 0, state.lastCallEnd ?? 0) || null;
  });

  const getHost = async () => {
    const host = await read('vintedHost');
    return isVintedHost(host) ? host : DEFAULT_HOST;
  };
  const runInPage = makePageRunner({ chrome, getHost });
  let connection;
  const sendNow = (message) => connection.send(message);

  const vinted = new VintedClient({
    runInPage,
    pacer,
    log,
    events: {
      datadome: async ({ path }) => {
        sendNow(datadomeDetected(await getHost(), path));
      },
      session: async (loggedIn) => {
        if (!loggedIn) {
          const host = await getHost();
          await publish({ vinted: { logged_in: false, user_id: null, domain: host } });
          sendNow(sessionUpdate(false, null, host));
        }
      },
    },
  });

  const outbox = new Outbox({ load: () => read('outbox'), store: (items) => write('outbox', items) });
  const executor = new Executor({
    send: sendNow,
    outbox,
    now,
    log,
    onRunning: (running) => {
      publish({ running, usage: pacer.usage() });
    },
    makeContext: async (job) => {
      await pacerReady;
      // The server sends work only when the account may go (the seller resumed after a pause);
      // its plan may slow this command down, never speed it up.
      pacer.serverSentWork();
      pacer.applyPlan(job.pacing);
      return { vinted, host: await getHost(), uuid, fetchPhoto: (u) => fetchPhoto(fetchImpl, u) };
    },
  });

  async function checkVinted({ openTab = false } = {}) {
    const host = await getHost();
    await pacerReady;
    if (pacer.isPaused()) return status.vinted; // no call at all during a pause, not even this one
    let session;
    try {
      const user = await vinted.currentUser({ openTab });
      session = { logged_in: true, user_id: user.id, login: user.login, domain: host };
    } catch (err) {
      if (err.code === 'vinted_logged_out') session = { logged_in: false, user_id: null, domain: host };
      else session = { logged_in: null, user_id: null, domain: host, detail: err.message };
    }
    await publish({ vinted: session });
    if (session.logged_in !== null) sendNow(sessionUpdate(session.logged_in, session.user_id, host));
    return session;
  }

  async function onServerMessage(text) {
    let message;
    try {
      message = parseServerMessage(text);
    } catch (err) {
      log('refused server message', err.message);
      await executor.rejectInvalid(err);
      return;
    }
    switch (message.type) {
      case 'welcome':
        await publish({ backend: 'connected', detail: null });
        await outbox.flush(sendNow);
        checkVinted().catch((err) => log('session check failed', err));
        break;
      case 'execute_job':
        await publish({ lastJob: { job_id: message.job_id, command: message.command, at: now() } });
        await executor.handle(message);
        break;
      case 'error':
        log('server error', message.code, message.message);
        break;
      default:
        break;
    }
  }

  connection = new Connection({
    WebSocketImpl,
    timers,
    now,
    openUrl: () => backend.openUrl(),
    onOpen: () => connection.send(hello(version)),
    onMessage: (text) => {
      onServerMessage(text).catch((err) => log('message handling failed', err));
    },
    onState: (state, detail) => {
      publish({ backend: state, detail: detail ?? null });
    },
  });

  async function ensureAlarm() {
    const existing = await chrome.alarms.get(ALARM);
    if (!existing) await chrome.alarms.create(ALARM, { periodInMinutes: 1 });
  }

  // Popup messages: only from our own extension pages (the popup), never from a web page.
  const ownPages = chrome.runtime.getURL('');
  async function onPopupMessage(message, sender) {
    const fromOwnPage = typeof sender?.url === 'string' && sender.url.startsWith(ownPages);
    if (sender?.id !== chrome.runtime.id || !fromOwnPage) return { ok: false, error: 'refused' };
    switch (message?.type) {
      case 'status':
        return { ok: true, status: { ...status }, paired: Boolean(await read('pairing')) };
      case 'pair':
        try {
          const pairing = await backend.pair(message.apiBase, message.code, message.deviceName ?? 'Chrome');
          connection.stop();
          connection.start();
          return { ok: true, deviceId: pairing.deviceId };
        } catch (err) {
          return { ok: false, error: err instanceof BackendError || err.name === 'ValidationError' ? err.message : 'pairing failed' };
        }
      case 'unpair':
        connection.stop();
        await write('pairing', null);
        await publish({ backend: 'unpaired', detail: null });
        return { ok: true };
      case 'check_vinted':
        return { ok: true, vinted: await checkVinted({ openTab: false }) };
      default:
        return { ok: false, error: 'unknown request' };
    }
  }

  return {
    connection,
    executor,
    pacer,
    backend,
    outbox,
    status,
    checkVinted,
    onServerMessage,
    onPopupMessage,
    // Start-up, install, browser restart and every alarm: make sure the socket is there, and
    // tell the backend about the Vinted session if it does not know it yet (no tab is opened).
    async wake() {
      await ensureAlarm();
      connection.start();
      if (connection.open && (status.vinted === null || status.vinted.logged_in === null)) {
        await checkVinted().catch((err) => log('session check failed', err));
      }
    },
    NotPaired,
  };
}
