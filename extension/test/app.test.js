import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ALARM, createApp } from '../src/app.js';
import { FakeTimers, FakeWebSocket, fakeChrome, fakeVinted, ok, settle } from './fakes.js';

beforeEach(() => FakeWebSocket.reset());

const pairing = { apiBase: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001', deviceId: 1, accessToken: 'access-aaaaaaaa', refreshToken: 'refresh-aaaaaaaa', accessExpiresAt: Number.MAX_SAFE_INTEGER };

function setup(routes, { paired = true, tabs = [{ id: 1, url: 'https://www.vinted.fr/', status: 'complete' }] } = {}) {
  const vinted = fakeVinted(routes);
  const chrome = fakeChrome({ tabs, pageCall: vinted.pageCall });
  if (paired) chrome.storage.local.data.pairing = pairing;
  const timers = new FakeTimers();
  const fetchImpl = async (target) => {
    if (target.endsWith('/ws/tickets')) return new Response(JSON.stringify({ ticket: 'ticket-123456' }), { status: 201 });
    return new Response('{}', { status: 404 });
  };
  const app = createApp({ chrome, WebSocketImpl: FakeWebSocket, fetchImpl, timers, now: timers.now, uuid: () => 'u-1', pacerOptions: { sleep: async () => {} } });
  return { app, chrome, timers, vinted };
}

test('wake: alarm, ticket, hello; welcome: session update from the Vinted page', async () => {
  const { app, chrome, vinted } = setup({ 'GET /api/v2/users/current': () => ok({ user: { id: 321, login: 'seller' } }) });
  await app.wake();
  await settle();
  assert.deepEqual(chrome.alarms.created, [ALARM]);
  const ws = FakeWebSocket.last;
  assert.equal(ws.url, 'ws://127.0.0.1:3001/?ticket=ticket-123456');
  ws.serverOpen();
  assert.equal(ws.sent[0].action, 'hello');
  assert.deepEqual(Object.keys(ws.sent[0]).sort(), ['action', 'capabilities', 'client', 'version']);
  assert.equal(ws.sent[0].client, 'extension');
  ws.serverSend({ type: 'welcome' });
  await settle();
  assert.deepEqual(ws.sentActions('vinted_session_update'), [{ action: 'vinted_session_update', logged_in: true, vinted_user_id: 321, domain: 'www.vinted.fr' }]);
  assert.equal(chrome.scripting.calls[0].world, 'MAIN');
  assert.equal(vinted.calls[0].path, '/api/v2/users/current');
  await app.wake();
  await settle();
  assert.equal(FakeWebSocket.instances.length, 1, 'the alarm does not open a second socket');
});

test('a logged-out session is reported as such', async () => {
  const { app } = setup({ 'GET /api/v2/users/current': () => ({ status: 401 }) });
  await app.wake();
  await settle();
  FakeWebSocket.last.serverOpen();
  FakeWebSocket.last.serverSend({ type: 'welcome' });
  await settle();
  assert.deepEqual(FakeWebSocket.last.sentActions('vinted_session_update').at(-1).logged_in, false);
  assert.equal(app.status.vinted.logged_in, false);
});

test('execute_job runs and answers; DataDome is reported to the backend', async () => {
  const { app } = setup({
    'GET /api/v2/users/current': () => ok({ user: { id: 321 } }),
    'POST /api/v2/items/5/delete': () => ok({}),
    'GET /api/v2/my_orders': () => ({ status: 403, text: 'https://geo.captcha-delivery.com/captcha' }),
  });
  await app.wake();
  await settle();
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  ws.serverSend({ type: 'execute_job', job_id: 1, attempt: 1, command: 'vinted.delete', deadline: '2999-01-01T00:00:00Z', request: { item_id: 5 } });
  await settle();
  assert.deepEqual(ws.sentActions('job_result')[0], { action: 'job_result', job_id: 1, attempt: 1, ok: true, data: { item_id: 5, deleted: true, progress_messages: 0 } });
  ws.serverSend({ type: 'execute_job', job_id: 2, attempt: 1, command: 'vinted.fetch_orders', deadline: '2999-01-01T00:00:00Z', request: {} });
  await settle();
  assert.equal(ws.sentActions('datadome_detected').length, 1);
  assert.equal(ws.sentActions('job_result')[1].error.code, 'datadome');
});

test('a result whose socket died is re-sent after the reconnection', async () => {
  const { app, timers } = setup({ 'POST /api/v2/items/5/delete': async () => {
    FakeWebSocket.last.serverClose();
    return ok({});
  } });
  await app.wake();
  await settle();
  FakeWebSocket.last.serverOpen();
  FakeWebSocket.last.serverSend({ type: 'execute_job', job_id: 9, attempt: 2, command: 'vinted.delete', deadline: '2999-01-01T00:00:00Z', request: { item_id: 5 } });
  await settle();
  await timers.advance(1000);
  const ws2 = FakeWebSocket.last;
  assert.equal(FakeWebSocket.instances.length, 2);
  ws2.serverOpen();
  ws2.serverSend({ type: 'welcome' });
  await settle();
  assert.equal(ws2.sentActions('job_result')[0].job_id, 9);
});

test('an unpaired extension opens no socket; popup messages from tabs are refused', async () => {
  const { app } = setup({}, { paired: false });
  await app.wake();
  await settle();
  assert.equal(FakeWebSocket.instances.length, 0);
  assert.equal(app.status.backend, 'unpaired');
  const popup = { id: 'stoflow-test', url: 'chrome-extension://stoflow-test/popup/popup.html' };
  const webPage = { id: 'stoflow-test', url: 'https://www.vinted.fr/', tab: { id: 3 } };
  assert.deepEqual(await app.onPopupMessage({ type: 'unpair' }, webPage), { ok: false, error: 'refused' });
  assert.deepEqual(await app.onPopupMessage({ type: 'status' }, { ...popup, id: 'other-extension' }), { ok: false, error: 'refused' });
  assert.equal((await app.onPopupMessage({ type: 'status' }, popup)).paired, false);
});
