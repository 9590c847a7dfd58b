// The backend's HTTP side: pairing, token rotation and WebSocket tickets.
import { NotPaired } from './connection.js';
import { validate, obj, str, int, url } from './validate.js';

const PAIR_ANSWER = obj(
  {
    device_id: int({ min: 1 }),
    access_token: str({ min: 10, max: 4096 }),
    refresh_token: str({ min: 10, max: 512 }),
    expires_in: int({ min: 1 }),
    token_type: str({ max: 20 }),
    ws_url: url({ max: 500, schemes: ['wss:'] }),
  },
  ['device_id', 'access_token', 'refresh_token', 'expires_in', 'ws_url'],
  { open: true },
);
const TOKEN_ANSWER = obj(
  {
    device_id: int({ min: 1 }),
    access_token: str({ min: 10, max: 4096 }),
    refresh_token: str({ min: 10, max: 512 }),
    expires_in: int({ min: 1 }),
    token_type: str({ max: 20 }),
  },
  ['access_token', 'refresh_token', 'expires_in'],
  { open: true },
);
const TICKET_ANSWER = obj({ ticket: str({ min: 8, max: 512 }), expires_in: int({ min: 1 }), url: url({ max: 500, schemes: ['wss:'] }) }, ['ticket'], { open: true });

export class BackendError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'BackendError';
    this.status = status;
    this.code = code;
  }
}

export function normaliseApiBase(value) {
  const checked = validate(url({ max: 300 }), String(value ?? '').trim(), 'backend URL');
  return checked.replace(/\/+$/, '');
}

export function wsUrlWithTicket(wsUrl, ticket) {
  const target = new URL(wsUrl);
  if (target.protocol !== 'wss:' && !(target.protocol === 'ws:' && ['127.0.0.1', 'localhost'].includes(target.hostname))) {
    throw new BackendError(0, 'bad_ws_url', 'the WebSocket URL must be wss://');
  }
  target.searchParams.set('ticket', ticket);
  return target.toString();
}

export class Backend {
  // store: {get(): pairing|null, set(pairing|null)}
  constructor({ fetchImpl, store, now = () => Date.now(), version = '0' }) {
    Object.assign(this, { fetchImpl, store, now, version });
  }

  async post(apiBase, path, body, token) {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let res;
    try {
      res = await this.fetchImpl(`${apiBase}${path}`, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'omit' });
    } catch (err) {
      throw new BackendError(0, 'network_error', `backend unreachable: ${err?.message ?? err}`);
    }
    let json = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    if (!res.ok) {
      const code = typeof json?.code === 'string' ? json.code : 'http_error';
      const detail = typeof json?.detail === 'string' ? json.detail : `backend answered ${res.status}`;
      throw new BackendError(res.status, code, detail);
    }
    return json;
  }

  async pair(apiBaseInput, code, deviceName) {
    const apiBase = normaliseApiBase(apiBaseInput);
    const cleanCode = String(code ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
    if (cleanCode.length < 6 || cleanCode.length > 12) throw new BackendError(0, 'bad_code', 'enter the code shown on the dashboard');
    const answer = validate(
      PAIR_ANSWER,
      await this.post(apiBase, '/extension/pair', { code: cleanCode, name: String(deviceName).slice(0, 80), version: this.version }),
    );
    const pairing = {
      apiBase,
      wsUrl: answer.ws_url,
      deviceId: answer.device_id,
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      accessExpiresAt: this.now() + answer.expires_in * 1000,
    };
    await this.store.set(pairing);
    return pairing;
  }

  async refresh(pairing) {
    let answer;
    try {
      answer = validate(TOKEN_ANSWER, await this.post(pairing.apiBase, '/extension/token', { refresh_token: pairing.refreshToken }));
    } catch (err) {
      if (err instanceof BackendError && (err.status === 401 || err.status === 403)) {
        // Revoked from the dashboard (or the token was reused): pair again.
        await this.store.set(null);
        throw new NotPaired('this device was revoked; pair it again');
      }
      throw err;
    }
    const next = {
      ...pairing,
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      accessExpiresAt: this.now() + answer.expires_in * 1000,
    };
    await this.store.set(next);
    return next;
  }

  // A fresh single-use ticket, turned into the URL to open.
  async openUrl() {
    let pairing = await this.store.get();
    if (!pairing) throw new NotPaired();
    if (pairing.accessExpiresAt - this.now() < 30_000) pairing = await this.refresh(pairing);
    let answer;
    try {
      answer = await this.post(pairing.apiBase, '/ws/tickets', { client: 'extension' }, pairing.accessToken);
    } catch (err) {
      if (!(err instanceof BackendError) || err.status !== 401) throw err;
      pairing = await this.refresh(pairing);
      answer = await this.post(pairing.apiBase, '/ws/tickets', { client: 'extension' }, pairing.accessToken);
    }
    const ticket = validate(TICKET_ANSWER, answer);
    return wsUrlWithTicket(ticket.url ?? pairing.wsUrl, ticket.ticket);
  }
}
