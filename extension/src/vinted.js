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
  constructor({ runInPage, pacer, events = {} }) {
    this.runInPage = runInPage;
    this.pacer = pacer;
    this.events = events;
  }

  async call(method, path, { query, json, multipart, write = method !== 'GET', openTab = true } = {}) {
    checkEndpoint(method, path, query ?? {});
    const req = { method, path, query: query ?? {} };
    if (json !== undefined) req.json = json;
    if (multipart !== undefined) req.multipart = multipart;
    return this.pacer.run(async () => {
      let res;
      try {
        res = await this.runInPage(req, { openTab });
      } catch (err) {
        // The script never ran in the page: nothing was sent.
        throw new VintedError('page_unavailable', `could not reach the Vinted page: ${err.message ?? err}`);
      }
      return this.classify(res, { method, path, write });
    });
  }

  classify(res, { path, write }) {
    if (!res || typeof res !== 'object') throw new VintedError('page_unavailable', 'no answer from the Vinted page');
    if (res.networkError) {
      if (write) {
        throw new VintedError('unknown_outcome', `the answer to ${path} was lost (${res.networkError})`);
      }
      throw new VintedError('network_error', res.networkError);
    }
    const { status } = res;
    const body = res.json;
    const text = res.text ?? '';
    if (status >= 200 && status < 300) {
      this.pacer.succeeded();
      return body ?? {};
    }
    if (status === 0 || (status >= 300 && status < 400) || status === 401) {
      this.events.session?.(false);
      throw new VintedError('vinted_logged_out', 'the Vinted session is logged out', { status });
    }
    const marks = `${text} ${body ? JSON.stringify(body).slice(0, 4000) : ''}`;
    if (status === 403 && (res.datadomeHeader || DATADOME_MARKS.test(marks))) {
      const pauseMs = this.pacer.pause();
      this.events.datadome?.({ path });
      throw new VintedError('datadome', 'Vinted answered with a DataDome challenge', { retryAfterS: pauseMs / 1000, status });
    }
    if (status === 403 && CAPTCHA_MARKS.test(marks)) {
      const pauseMs = this.pacer.pause();
      throw new VintedError('captcha', 'Vinted asked for a captcha', { retryAfterS: pauseMs / 1000, status });
    }
    if (status === 429) {
      const pauseMs = this.pacer.pause((retryAfterSeconds(res.retryAfter) ?? 0) * 1000);
      throw new VintedError('rate_limited', 'Vinted rate limit (429)', { retryAfterS: pauseMs / 1000, status });
    }
    if (status === 404) throw new VintedError('not_found', `${path} not found on Vinted`, { status });
    if (status === 403) throw new VintedError('forbidden', rejectionMessage(body, status), { status });
    if (status >= 400 && status < 500) throw new VintedError('vinted_rejected', rejectionMessage(body, status), { status });
    // 5xx: a write may or may not have happened.
    if (write) throw new VintedError('unknown_outcome', `Vinted answered ${status} to a write`, { status });
    throw new VintedError('vinted_unavailable', `Vinted answered ${status}`, { status });
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
