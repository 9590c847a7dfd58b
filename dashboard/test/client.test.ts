import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, authFetch, unwrap, whenSessionEnds } from '../src/api/client';
import { _testing, signedIn, tokens } from '../src/api/session';
import { setConfig } from '../src/config';

const API = 'http://api.test';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

beforeEach(async () => {
  localStorage.clear();
  _testing();
  setConfig({ apiUrl: API, wsUrl: 'ws://ws.test' });
  await signedIn({ access_token: 'a0', refresh_token: 'r0', expires_in: 900 });
});
afterEach(() => vi.unstubAllGlobals());

describe('the API client', () => {
  it('turns a problem document into an ApiError with its stable code', async () => {
    const response = json(409, { code: 'stale_version', title: 'Changed', detail: 'product 1 is at version 2' });
    const error = await unwrap(Promise.resolve({ error: { code: 'stale_version', title: 'Changed', detail: 'product 1 is at version 2' }, response })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'stale_version', message: 'product 1 is at version 2' });
  });

  it('sends the bearer token, and after a refused token refreshes once and retries', async () => {
    const seen: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: Request | string, init?: RequestInit) => {
        const request = input instanceof Request ? input : new Request(input, init);
        seen.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('authorization') ?? ''}`);
        if (request.url.endsWith('/auth/refresh')) return json(200, { access_token: 'a1', refresh_token: 'r1', expires_in: 900 });
        return request.headers.get('authorization') === 'Bearer a0' ? json(401, { code: 'invalid_token' }) : json(200, { ok: true });
      }),
    );
    const response = await authFetch(new Request(`${API}/products`));
    expect(response.status).toBe(200);
    expect(seen).toEqual(['GET /products Bearer a0', 'POST /auth/refresh ', 'GET /products Bearer a1']);
    expect(tokens()?.refresh_token).toBe('r1');
  });

  it('a revoked session (refresh refused) clears the tokens and ends the session', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: Request | string, init?: RequestInit) => {
        const request = input instanceof Request ? input : new Request(input, init);
        return request.url.endsWith('/auth/refresh') ? json(401, { code: 'refresh_token_reused' }) : json(401, { code: 'invalid_token' });
      }),
    );
    const ended = vi.fn();
    whenSessionEnds(ended);
    const response = await authFetch(new Request(`${API}/products`));
    expect(response.status).toBe(401);
    expect(ended).toHaveBeenCalledOnce();
    expect(tokens()).toBeNull();
  });

  it('carries the token to the password change, not to the reset links a signed-out user opens', async () => {
    const seen: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: Request | string, init?: RequestInit) => {
        const request = input instanceof Request ? input : new Request(input, init);
        seen.push(`${new URL(request.url).pathname} ${request.headers.get('authorization') ?? '-'}`);
        return new Response(null, { status: 204 });
      }),
    );
    for (const path of ['/auth/password/change', '/auth/password/forgot', '/auth/password/reset', '/auth/logout/everywhere']) {
      await authFetch(new Request(`${API}${path}`, { method: 'POST' }));
    }
    expect(seen).toEqual(['/auth/password/change Bearer a0', '/auth/password/forgot -', '/auth/password/reset -', '/auth/logout/everywhere Bearer a0']);
  });
});
