// The session's tokens and their refresh: one refresh at a time in this tab (a shared promise)
// and across tabs (the Web Locks API; the tab that waited reads what the other tab stored).
// The server rotates the refresh token on every use and revokes the whole session when a rotated
// token comes back, so two concurrent refreshes would sign the user out everywhere.
//
// localStorage gives the tokens synchronously at start-up (the router guard), but each tab's
// renderer caches it and sees another tab's write a moment later: read under the lock, it could
// still hold the token another tab has just rotated. So the copy read under the lock is in
// IndexedDB, whose committed writes every tab sees at once; localStorage follows it.

export interface Tokens {
  access_token: string;
  refresh_token: string;
  /** epoch milliseconds when the access token expires */
  expires_at: number;
}

export type RefreshCall = (refreshToken: string) => Promise<Omit<Tokens, 'expires_at'> & { expires_in: number } | null>;

const STORAGE_KEY = 'stoflow.session';
const LOCK_NAME = 'stoflow.session.refresh';
/** Refresh this long before the access token expires (clock skew, slow networks). */
export const REFRESH_MARGIN_MS = 60_000;

type Listener = (tokens: Tokens | null) => void;
const listeners = new Set<Listener>();
let current: Tokens | null = read();
let inflight: Promise<Tokens | null> | null = null;
let channel: BroadcastChannel | null = null;
let now = (): number => Date.now();

function read(): Tokens | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

function write(tokens: Tokens | null): void {
  if (tokens) globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(tokens));
  else globalThis.localStorage?.removeItem(STORAGE_KEY);
}

const DB_NAME = 'stoflow';
let database: Promise<IDBDatabase | null> | null = null;

function openDatabase(): Promise<IDBDatabase | null> {
  database ??= new Promise((resolve) => {
    if (typeof indexedDB === 'undefined') return resolve(null);
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('session');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
  });
  return database;
}

/** The tokens as last committed by any tab (IndexedDB), else localStorage's copy. */
async function readShared(): Promise<Tokens | null> {
  const db = await openDatabase();
  if (!db) return read();
  const value = await new Promise<Tokens | null | undefined>((resolve) => {
    const request = db.transaction('session', 'readonly').objectStore('session').get('tokens');
    request.onsuccess = () => resolve(request.result as Tokens | null | undefined);
    request.onerror = () => resolve(undefined);
  });
  return value === undefined ? read() : value;
}

async function writeShared(tokensIn: Tokens | null): Promise<void> {
  const db = await openDatabase();
  if (!db) return;
  await new Promise<void>((resolve) => {
    const transaction = db.transaction('session', 'readwrite');
    transaction.objectStore('session').put(tokensIn, 'tokens');
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => resolve();
    transaction.onabort = () => resolve();
  });
}

function emit(): void {
  for (const listener of listeners) listener(current);
}

function openChannel(): void {
  if (channel || typeof BroadcastChannel === 'undefined') return;
  channel = new BroadcastChannel(STORAGE_KEY);
  channel.onmessage = () => {
    // Another tab signed in, refreshed or signed out: storage holds the truth.
    current = read();
    emit();
  };
}

/** Stores the tokens everywhere; resolves once every tab would read them under the lock. */
function publish(tokensIn: Tokens | null): Promise<void> {
  current = tokensIn;
  write(tokensIn);
  const shared = writeShared(tokensIn);
  openChannel();
  channel?.postMessage('changed');
  emit();
  return shared;
}

export function onSessionChange(listener: Listener): () => void {
  openChannel();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function tokens(): Tokens | null {
  return current;
}

function tokensFrom(answer: Omit<Tokens, 'expires_at'> & { expires_in: number }): Tokens {
  return { access_token: answer.access_token, refresh_token: answer.refresh_token, expires_at: now() + answer.expires_in * 1000 };
}

/** Stores a new session's tokens; resolves once every tab can read them (IndexedDB committed). */
export async function signedIn(answer: Omit<Tokens, 'expires_at'> & { expires_in: number }): Promise<Tokens> {
  const stored = tokensFrom(answer);
  await publish(stored);
  return stored;
}

export function signedOut(): Promise<void> {
  return publish(null);
}

function fresh(tokensIn: Tokens | null): boolean {
  return tokensIn !== null && tokensIn.expires_at - now() > REFRESH_MARGIN_MS;
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  if (locks) return locks.request(LOCK_NAME, { mode: 'exclusive' }, work) as Promise<T>;
  return work(); // no Web Locks (old browsers): still one refresh per tab
}

/**
 * New tokens from the refresh token, unless another request or tab already refreshed.
 * `force`: the server refused the access token although it looked fresh.
 */
export function refresh(call: RefreshCall, force = false): Promise<Tokens | null> {
  const seen = current?.refresh_token ?? null;
  inflight ??= withLock(async () => {
    const stored = await readShared(); // what another tab may have stored while this one waited
    if (!stored) {
      await publish(null);
      return null;
    }
    if (stored.refresh_token !== seen || (!force && fresh(stored))) {
      current = stored;
      write(stored);
      emit();
      return stored;
    }
    const answer = await call(stored.refresh_token);
    if (!answer) {
      await publish(null); // revoked or expired: sign in again
      return null;
    }
    const renewed = tokensFrom(answer);
    await publish(renewed); // committed before the lock is released
    return renewed;
  }).finally(() => {
    inflight = null;
  });
  return inflight;
}

/** A usable access token (refreshed first when about to expire), or null when signed out. */
export async function accessToken(call: RefreshCall): Promise<string | null> {
  if (!current) current = read();
  if (!current) return null;
  if (fresh(current)) return current.access_token;
  return (await refresh(call))?.access_token ?? null;
}

/** For tests: a fake clock, and forgetting this module's memory. */
export function _testing(clock?: () => number): void {
  now = clock ?? ((): number => Date.now());
  current = read();
  inflight = null;
}
