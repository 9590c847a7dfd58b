import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type SessionModule = typeof import('../src/api/session');

/** One exclusive lock per name, shared by every "tab" of the test (as the browser shares it). */
function installLocks(): void {
  const queues = new Map<string, Promise<unknown>>();
  Object.defineProperty(globalThis.navigator, 'locks', {
    configurable: true,
    value: {
      request(name: string, _options: unknown, work: () => Promise<unknown>) {
        const before = queues.get(name) ?? Promise.resolve();
        const run = before.then(work, work);
        queues.set(name, run.catch(() => undefined));
        return run;
      },
    },
  });
}

/** A tab: its own copy of the session module (its own memory), the same localStorage. */
async function openTab(clock: () => number): Promise<SessionModule> {
  vi.resetModules();
  const tab = await import('../src/api/session');
  tab._testing(clock);
  return tab;
}

let time = 1_000_000;
const clock = (): number => time;

function server() {
  let serial = 0;
  const presented: string[] = [];
  const call = vi.fn(async (refreshToken: string) => {
    presented.push(refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (presented.filter((t) => t === refreshToken).length > 1) return null; // reuse: the server revokes
    serial += 1;
    return { access_token: `access-${serial}`, refresh_token: `refresh-${serial}`, expires_in: 900 };
  });
  return { call, presented };
}

beforeEach(() => {
  localStorage.clear();
  installLocks();
  time = 1_000_000;
});

afterEach(() => vi.restoreAllMocks());

describe('session tokens', () => {
  it('uses the access token as is while it is fresh', async () => {
    const tab = await openTab(clock);
    await tab.signedIn({ access_token: 'a0', refresh_token: 'r0', expires_in: 900 });
    const { call } = server();
    expect(await tab.accessToken(call)).toBe('a0');
    expect(call).not.toHaveBeenCalled();
  });

  it('refreshes before expiry, once for concurrent requests', async () => {
    const tab = await openTab(clock);
    await tab.signedIn({ access_token: 'a0', refresh_token: 'r0', expires_in: 900 });
    time += 900_000 - tab.REFRESH_MARGIN_MS + 1;
    const { call } = server();
    const tokens = await Promise.all([tab.accessToken(call), tab.accessToken(call), tab.accessToken(call)]);
    expect(tokens).toEqual(['access-1', 'access-1', 'access-1']);
    expect(call).toHaveBeenCalledTimes(1);
    expect(tab.tokens()?.refresh_token).toBe('refresh-1');
  });

  it('refreshes once across two tabs: the second tab takes what the first stored', async () => {
    const first = await openTab(clock);
    await first.signedIn({ access_token: 'a0', refresh_token: 'r0', expires_in: 900 });
    const second = await openTab(clock);
    expect(second.tokens()?.refresh_token).toBe('r0');
    time += 900_000;
    const { call, presented } = server();
    const [a, b] = await Promise.all([first.accessToken(call), second.accessToken(call)]);
    expect(presented).toEqual(['r0']);
    expect([a, b]).toEqual(['access-1', 'access-1']);
  });

  it('signs out when the server refuses the refresh token (revoked session)', async () => {
    const tab = await openTab(clock);
    await tab.signedIn({ access_token: 'a0', refresh_token: 'r0', expires_in: 900 });
    time += 900_000;
    const changes: unknown[] = [];
    tab.onSessionChange((t) => changes.push(t));
    expect(await tab.accessToken(async () => null)).toBeNull();
    expect(tab.tokens()).toBeNull();
    expect(localStorage.getItem('stoflow.session')).toBeNull();
    expect(changes).toContain(null);
  });

  it('a forced refresh (token refused while fresh) rotates even a fresh token', async () => {
    const tab = await openTab(clock);
    await tab.signedIn({ access_token: 'a0', refresh_token: 'r0', expires_in: 900 });
    const { call } = server();
    expect((await tab.refresh(call, true))?.access_token).toBe('access-1');
  });
});
