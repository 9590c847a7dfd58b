// Vinted calls: allowlisted, paced, made in the Vinted page, and classified honestly.
import { checkEndpoint, VINTED_TAB_PATTERNS } from './allowlist.js';
import { vintedPageCall } from './page.js';

export class VintedError extends Error {
  constructor(code, message, { retryAfterS, status } = {}) {
    super(message);
    this.name = 'VintedError';
    this.code = code;
    this.retryAfterS = retryAfterS;
    this.status = status;
  }
}

// What the seller reads: plain words, the same whatever the browser said.
export const PLAIN = Object.freeze({
  page_unavailable: 'The Vinted page could not be reached in your browser (no Vinted tab, or the page did not load). Open Vinted and log in.',
  network_error: 'The connection to Vinted dropped before Vinted answered.',
  unknown_outcome: 'The connection dropped before Vinted confirmed; StoFlow will check on Vinted before doing anything again.',
  vinted_logged_out: 'You are logged out of Vinted in this browser: log in to Vinted.',
  datadome: 'Vinted showed a security check (DataDome). StoFlow paused all Vinted work for your account.',
  captcha: 'Vinted asked for a captcha. StoFlow paused all Vinted work for your account.',
  forbidden: 'Vinted refused the request (403). StoFlow paused all Vinted work for your account.',
  rate_limited: 'Vinted asked to slow down (429). StoFlow paused all Vinted work for your account.',
  unexpected: 'Something went wrong in the StoFlow extension while doing this; nothing more was sent to Vinted.',
});

const DATADOME_MARKS = /captcha-delivery\.com|datadome/i;
const CAPTCHA_MARKS = /captcha|challenge/i;

function retryAfterSeconds(value) {
  if (!value) return undefined;
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0) return n;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, (at - Date.now()) / 1000) : undefined;
}

function rejectionMessage(json, status) {
  if (json && typeof json === 'object') {
    if (typeof json.message === 'string') return json.message.slice(0, 300);
    if (Array.isArray(json.errors)) {
      return json.errors
        .map((e) => (e && typeof e === 'object' ? `${e.field ?? ''} ${e.value ?? e.message ?? ''}`.trim() : String(e)))
        .join('; ')
        .slice(0, 300);
    }
  }
  return `Vinted answered ${status}`;
}

export class VintedClient {
  // runInPage(req) -> the page function's answer; events: {datadome(info), session(loggedIn)}.
  constructor({ runInPage, pacer, events = {}, log = () => {} }) {
    this.runInPage = runInPage;
    this.pacer = pacer;
    this.events = events;
    this.log = log;
  }

  // kind: 'read' (GET), 'write' (creates or changes something the buyer sees), or 'photo' (an
  // upload that belongs to its publish). The pacer spaces and caps each kind.
  async call(method, path, { query, json, multipart, kind = method === 'GET' ? 'read' : 'write', openTab = true } = {}) {
    checkEndpoint(method, path, query ?? {});
    const req = { method, path, query: query ?? {} };
    if (json !== undefined) req.json = json;
    if (multipart !== undefined) req.multipart = multipart;
    return this.pacer.run(kind, async () => {
      let res;
      try {
        res = await this.runInPage(req, { openTab });
      } catch (err) {
        // The script never ran in the page: nothing was sent. Chrome's own words ("Frame with ID
        // 0 is showing error page", "No tab with id") go to the log, never to the seller.
        this.log('the Vinted page could not run the call', String(err?.message ?? err));
        throw new VintedError('page_unavailable', PLAIN.page_unavailable);
      }
      return this.classify(res, { method, path, write: kind === 'write' });
    });
  }

  classify(res, { path, write }) {
    if (!res || typeof res !== 'object') throw new VintedError('page_unavailable', PLAIN.page_unavailable);
    if (res.networkError) {
      this.log('network error on', path, res.networkError);
      if (write) throw new VintedError('unknown_outcome', PLAIN.unknown_outcome);
      throw new VintedError('network_error', PLAIN.network_error);
    }
    const { status } = res;
    const body = res.json;
    const text = res.text ?? '';
    if (status >= 200 && status < 300) {
      return body ?? {};
    }
    if (status === 0 || (status >= 300 && status < 400) || status === 401) {
      this.events.session?.(false);
      throw new VintedError('vinted_logged_out', PLAIN.vinted_logged_out, { status });
    }
    const marks = `${text} ${body ? JSON.stringify(body).slice(0, 4000) : ''}`;
    // The first sign of trouble stops everything: DataDome, a captcha, any other 403, a 429.
    let trouble = null;
    if (status === 403 && (res.datadomeHeader || DATADOME_MARKS.test(marks))) trouble = 'datadome';
    else if (status === 403 && CAPTCHA_MARKS.test(marks)) trouble = 'captcha';
    else if (status === 403) trouble = 'forbidden';
    else if (status === 429) trouble = 'rate_limited';
    if (trouble) {
      const retryMs = status === 429 ? (retryAfterSeconds(res.retryAfter) ?? 0) * 1000 : 0;
      const pauseMs = this.pacer.pause(retryMs, trouble);
      if (trouble === 'datadome') this.events.datadome?.({ path });
      throw new VintedError(trouble, PLAIN[trouble], { retryAfterS: pauseMs / 1000, status });
    }
    if (status === 404) throw new VintedError('not_found', 'Vinted says this item does not exist (any more).', { status });
    if (status >= 400 && status < 500) throw new VintedError('vinted_rejected', rejectionMessage(body, status), { status });
    // 5xx: a write may or may not have happened.
    if (write) throw new VintedError('unknown_outcome', PLAIN.unknown_outcome, { status });
    throw new VintedError('vinted_unavailable', `Vinted is not answering properly right now (error ${status}); it will be tried again.`, { status });
  }

  async currentUser({ openTab = true } = {}) {
    const body = await this.call('GET', '/api/v2/users/current', { openTab });
    const user = body && typeof body === 'object' ? body.user : null;
    if (!user || !Number.isSafeInteger(user.id)) throw new VintedError('vinted_logged_out', 'no current Vinted user');
    return { id: user.id, login: typeof user.login === 'string' ? user.login.slice(0, 100) : null };
  }
}

// Finds (or opens, in the background) a Vinted tab and runs the page function in its MAIN world.
export function makePageRunner({ chrome, getHost, waitMs = 30_000, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) }) {
  async function findTab(openTab) {
    const host = await getHost();
    const tabs = await chrome.tabs.query({ url: VINTED_TAB_PATTERNS });
    const ready = (t) => t.status === 'complete';
    let tab = tabs.find((t) => ready(t) && new URL(t.url).host === host) ?? tabs.find(ready) ?? tabs[0];
    if (!tab && !openTab) throw new Error('no Vinted tab is open');
    if (!tab) tab = await chrome.tabs.create({ url: `https://${host}/`, active: false });
    for (let waited = 0; tab.status !== 'complete'; waited += 250) {
      if (waited >= waitMs) throw new Error('the Vinted tab did not finish loading');
      await sleep(250);
      tab = await chrome.tabs.get(tab.id);
    }
    return tab;
  }
  return async function runInPage(req, { openTab = true } = {}) {
    const tab = await findTab(openTab);
    const [injection] = await chrome.scripting.executeScript({
      target: { tabId: tab.id },
      world: 'MAIN',
      func: vintedPageCall,
      args: [req],
    });
    return injection ? injection.result : null;
  };
}

const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

// A photo from its presigned URL, as base64 for the page (executeScript args are JSON).
export async function fetchPhoto(fetchImpl, photoUrl) {
  let res;
  try {
    res = await fetchImpl(photoUrl, { credentials: 'omit', redirect: 'error' });
  } catch (err) {
    throw new VintedError('photo_unavailable', `photo download failed: ${err.message ?? err}`);
  }
  if (!res.ok) throw new VintedError('photo_unavailable', `photo download answered ${res.status}`);
  const type = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  if (!PHOTO_TYPES.includes(type)) throw new VintedError('photo_unavailable', `not a photo: ${type || 'no type'}`);
  const buffer = await res.arrayBuffer();
  if (buffer.byteLength === 0 || buffer.byteLength > MAX_PHOTO_BYTES) {
    throw new VintedError('photo_unavailable', 'photo empty or too large');
  }
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { base64: btoa(binary), type, size: buffer.byteLength };
}
