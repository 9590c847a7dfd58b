import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backend, normaliseApiBase, wsUrlWithTicket } from '../src/backend.js';
import { NotPaired } from '../src/connection.js';

function server(routes) {
  const calls = [];
  const fetchImpl = async (target, init) => {
    const { pathname } = new URL(target);
    calls.push({ path: pathname, init, body: JSON.parse(init.body) });
    const [status, json] = await routes[pathname](calls.at(-1));
    return new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } });
  };
  return { calls, fetchImpl };
}
function memoryStore(initial = null) {
  const s = { value: initial, get: async () => s.value, set: async (v) => { s.value = v; } };
  return s;
}
const pairAnswer = { device_id: 4, access_token: 'access-aaaaaaaa', refresh_token: 'refresh-aaaaaaaa', expires_in: 900, token_type: 'bearer', ws_url: 'ws://127.0.0.1:3001' };

test('pairing trades the code for device tokens and stores them', async () => {
  const srv = server({ '/extension/pair': () => [201, pairAnswer] });
  const store = memoryStore();
  const backend = new Backend({ fetchImpl: srv.fetchImpl, store, now: () => 0, version: '0.1.0' });
  await backend.pair('http://127.0.0.1:3000/', 'abcd-2345', 'Chrome');
  assert.deepEqual(srv.calls[0].body, { code: 'ABCD2345', name: 'Chrome', version: '0.1.0' });
  assert.equal(store.value.deviceId, 4);
  assert.equal(store.value.apiBase, 'http://127.0.0.1:3000');
  assert.equal(store.value.accessExpiresAt, 900_000);
});

test('a ticket is asked with the access token; a 401 rotates the tokens once', async () => {
  let ticketCalls = 0;
  const srv = server({
    '/ws/tickets': (call) => {
      ticketCalls += 1;
      return call.init.headers.authorization === 'Bearer access-bbbbbbbb' ? [201, { ticket: 'ticket-123456', expires_in: 60 }] : [401, { code: 'invalid_token' }];
    },
    '/extension/token': (call) => (call.body.refresh_token === 'refresh-aaaaaaaa' ? [200, { access_token: 'access-bbbbbbbb', refresh_token: 'refresh-bbbbbbbb', expires_in: 900 }] : [401, {}]),
  });
  const store = memoryStore({ apiBase: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001', deviceId: 4, accessToken: 'access-aaaaaaaa', refreshToken: 'refresh-aaaaaaaa', accessExpiresAt: 10_000_000 });
  const backend = new Backend({ fetchImpl: srv.fetchImpl, store, now: () => 0 });
  assert.equal(await backend.openUrl(), 'ws://127.0.0.1:3001/?ticket=ticket-123456');
  assert.equal(ticketCalls, 2);
  assert.equal(store.value.refreshToken, 'refresh-bbbbbbbb');
  assert.deepEqual(srv.calls[0].body, { client: 'extension' });
});

test('a revoked device becomes unpaired', async () => {
  const srv = server({ '/extension/token': () => [401, { code: 'invalid_refresh_token' }] });
  const store = memoryStore({ apiBase: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001', deviceId: 4, accessToken: 'a'.repeat(12), refreshToken: 'r'.repeat(12), accessExpiresAt: 0 });
  const backend = new Backend({ fetchImpl: srv.fetchImpl, store, now: () => 0 });
  await assert.rejects(backend.openUrl(), NotPaired);
  assert.equal(store.value, null);
  await assert.rejects(new Backend({ fetchImpl: srv.fetchImpl, store: memoryStore(), now: () => 0 }).openUrl(), NotPaired);
});

test('URLs: https (or loopback http) for the API, wss (or loopback ws) for the socket', () => {
  assert.equal(normaliseApiBase('https://api.stoflow.app/'), 'https://api.stoflow.app');
  assert.throws(() => normaliseApiBase('http://api.stoflow.app'));
  assert.throws(() => normaliseApiBase('file:///etc/passwd'));
  assert.throws(() => wsUrlWithTicket('ws://evil.example/socket', 't'));
  assert.equal(wsUrlWithTicket('wss://ws.stoflow.app/prod', 'a b'), 'wss://ws.stoflow.app/prod?ticket=a+b');
});
