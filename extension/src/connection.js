// The one WebSocket to the backend: reconnects with backoff (1 s doubling to 30 s), sends a
// heartbeat every 20 s (it also keeps the service worker alive: Chrome stops an idle one after
// 30 s and the socket goes with it), and treats a silent socket as dead.

export const MIN_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 30_000;
export const HEARTBEAT_MS = 20_000;

export class NotPaired extends Error {
  constructor(message = 'the extension is not paired') {
    super(message);
    this.name = 'NotPaired';
  }
}

export class Connection {
  constructor({
    WebSocketImpl,
    openUrl, // async () => wss URL with a fresh ticket; throws NotPaired when there is nothing to connect with
    onMessage = () => {},
    onOpen = () => {},
    onState = () => {},
    timers = globalThis,
    heartbeatMs = HEARTBEAT_MS,
    minBackoffMs = MIN_BACKOFF_MS,
    maxBackoffMs = MAX_BACKOFF_MS,
    heartbeatMessage = { action: 'heartbeat' },
    now = () => Date.now(),
  }) {
    Object.assign(this, { now, WebSocketImpl, openUrl, onMessage, onOpen, onState, timers, heartbeatMs, minBackoffMs, maxBackoffMs, heartbeatMessage });
    this.ws = null;
    this.backoffMs = minBackoffMs;
    this.reconnectTimer = null;
    this.heartbeatTimer = null;
    this.connecting = false;
    this.stopped = true;
    this.lastReceived = 0;
    this.state = 'idle';
  }

  setState(state, detail) {
    this.state = state;
    this.onState(state, detail);
  }

  get open() {
    return this.ws !== null && this.ws.readyState === 1;
  }

  // Idempotent: called on start-up, by the alarm, after pairing. Does nothing while connected,
  // connecting or waiting for a scheduled retry.
  start() {
    this.stopped = false;
    if (this.ws || this.connecting || this.reconnectTimer) return;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.reconnectTimer) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'stopped');
    this.setState('idle');
  }

  async connect() {
    this.reconnectTimer = null;
    if (this.stopped || this.ws || this.connecting) return;
    this.connecting = true;
    this.setState('connecting');
    let target;
    try {
      target = await this.openUrl();
    } catch (err) {
      this.connecting = false;
      if (err instanceof NotPaired) {
        this.setState('unpaired', err.message);
        return;
      }
      this.setState('disconnected', String(err?.message ?? err));
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      this.connecting = false;
      return;
    }
    let ws;
    try {
      ws = new this.WebSocketImpl(target);
    } catch (err) {
      this.connecting = false;
      this.setState('disconnected', String(err?.message ?? err));
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.connecting = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.backoffMs = this.minBackoffMs;
      this.lastReceived = this.now();
      this.startHeartbeat(ws);
      this.setState('connected');
      this.onOpen();
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      this.lastReceived = this.now();
      this.onMessage(typeof event.data === 'string' ? event.data : '');
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.drop(ws, `closed (${event?.code ?? '?'})`);
    };
    ws.onerror = () => {
      // A close event follows; reconnecting is its job.
    };
  }

  // Forget a socket (closed, or silent) and plan the next attempt.
  drop(ws, reason) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.stopHeartbeat();
    try {
      ws.close(4000, reason.slice(0, 100));
    } catch {
      // already closed
    }
    this.setState('disconnected', reason);
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    this.reconnectTimer = this.timers.setTimeout(() => this.connect(), delay);
    this.nextDelayMs = delay;
  }

  startHeartbeat(ws) {
    this.stopHeartbeat();
    this.missed = 0;
    this.heartbeatTimer = this.timers.setInterval(() => {
      if (this.ws !== ws) return;
      // Two heartbeats without anything back: the socket is dead even if no close came.
      if (this.now() - this.lastReceived > 2 * this.heartbeatMs + 5000) {
        this.drop(ws, 'no heartbeat answer');
        return;
      }
      this.send(this.heartbeatMessage);
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    if (this.heartbeatTimer) this.timers.clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  send(message) {
    if (!this.open) return false;
    try {
      this.ws.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }
}
