import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkItems, Executor, Outbox } from '../src/executor.js';
import { Pacer } from '../src/pacing.js';
import { byteLength, MAX_MESSAGE_BYTES, parseServerMessage } from '../src/protocol.js';
import { VintedClient } from '../src/vinted.js';
import { fakeVinted, ok } from './fakes.js';

const item = { title: 'Robe d’été fleurie', description: 'Portée deux fois.', price: 18.5, currency: 'EUR', catalog_id: 10, status_id: 3, color_ids: [1, 4], material_ids: [44] };
const FUTURE = '2999-01-01T00:00:00Z';
const job = (command, request, extra = {}) =>
  parseServerMessage(JSON.stringify({ type: 'execute_job', job_id: 42, attempt: 1, command, deadline: FUTURE, request, ...extra }));

function harness(routes, { connected = true, now = () => Date.now() } = {}) {
  const vintedPage = fakeVinted(routes);
  const pacer = new Pacer({ sleep: async () => {} });
  const vinted = new VintedClient({ runInPage: vintedPage.pageCall, pacer });
  const sent = [];
  const state = { connected };
  const outboxStore = [];
  const outbox = new Outbox({ load: async () => [], store: async (items) => outboxStore.splice(0, outboxStore.length, ...items) });
  const photoFetches = [];
  const executor = new Executor({
    send: (m) => (state.connected ? (sent.push(m), true) : false),
    outbox,
    now,
    makeContext: async () => ({
      vinted,
      host: 'www.vinted.fr',
      uuid: () => 'temp-uuid-1',
      fetchPhoto: async (u) => {
        photoFetches.push(u);
        return { base64: Buffer.from(`bytes of ${u}`).toString('base64'), type: 'image/jpeg', size: 10 };
      },
    }),
  });
  return { executor, sent, vintedPage, state, outbox, outboxStore, photoFetches, pacer };
}

test('publish uploads each photo, then posts the item with them, and answers once', async () => {
  let photoId = 500;
  const h = harness({
    'POST /api/v2/photos': () => ok({ id: ++photoId }),
    'POST /api/v2/item_upload/items': (req) => ok({ item: { id: 9001, url: 'https://www.vinted.fr/items/9001', title: req.json.item.title } }),
  });
  const photos = [{ url: 'https://s3.example.amazonaws.com/a.jpg', image_id: 1 }, { url: 'https://s3.example.amazonaws.com/b.jpg', image_id: 2 }];
  const result = await h.executor.handle(job('vinted.publish', { product_id: 3, item, photos }));
  assert.deepEqual(h.photoFetches, photos.map((p) => p.url));
  const [p1, p2, post] = h.vintedPage.calls;
  assert.equal(p1.path, '/api/v2/photos');
  assert.equal(p1.multipart.find((f) => f.name === 'photo[temp_uuid]').value, 'temp-uuid-1');
  assert.equal(p2.path, '/api/v2/photos');
  assert.equal(post.path, '/api/v2/item_upload/items');
  assert.deepEqual(post.json.item.assigned_photos, [{ id: 501, orientation: 0 }, { id: 502, orientation: 0 }]);
  assert.equal(post.json.item.price, 18.5);
  assert.deepEqual(post.json.item.item_attributes, [{ code: 'material', ids: [44] }]);
  assert.equal(result.ok, true);
  assert.equal(result.data.item_id, 9001);
  assert.deepEqual(h.sent, [result]);
});

test('a repeated execute_job is answered with the same result, never run twice', async () => {
  const h = harness({ 'POST /api/v2/items/77/delete': () => ok({}) });
  const first = await h.executor.handle(job('vinted.delete', { item_id: 77 }));
  await h.executor.handle(job('vinted.delete', { item_id: 77 }));
  assert.equal(h.vintedPage.calls.length, 1);
  assert.deepEqual(h.sent, [first, first]);
});

test('a passed deadline stops before any call', async () => {
  const h = harness({ 'POST /api/v2/items/77/delete': () => ok({}) });
  const result = await h.executor.handle(job('vinted.delete', { item_id: 77 }, { deadline: '2001-01-01T00:00:00Z' }));
  assert.equal(result.error.code, 'deadline_passed');
  assert.equal(h.vintedPage.calls.length, 0);
});

test('a lost answer to a write is reported as unknown_outcome, never retried by the extension', async () => {
  const h = harness({ 'POST /api/v2/photos': () => ok({ id: 1 }), 'POST /api/v2/item_upload/items': () => ({ networkError: 'Failed to fetch' }) });
  const result = await h.executor.handle(job('vinted.publish', { product_id: 3, item, photos: [{ url: 'https://x.amazonaws.com/a.jpg', image_id: 1 }] }));
  assert.equal(result.error.code, 'unknown_outcome');
  assert.equal(h.vintedPage.calls.filter((c) => c.path === '/api/v2/item_upload/items').length, 1);
});

test('logged out and DataDome come back as their own codes, with retry_after for DataDome', async () => {
  const out = harness({ 'GET /api/v2/item_upload/items/5': () => ({ status: 401 }) });
  assert.equal((await out.executor.handle(job('vinted.get_item', { item_id: 5 }))).error.code, 'vinted_logged_out');
  const dd = harness({ 'GET /api/v2/my_orders': () => ({ status: 403, datadomeHeader: true, text: 'blocked' }) });
  const res = await dd.executor.handle(job('vinted.fetch_orders', {}));
  assert.equal(res.error.code, 'datadome');
  assert.ok(res.error.retry_after >= 60);
  const paused = await dd.executor.handle(
    parseServerMessage(JSON.stringify({ type: 'execute_job', job_id: 43, attempt: 1, command: 'vinted.fetch_orders', deadline: FUTURE, request: {} })),
  );
  assert.equal(paused.error.code, 'paused');
  assert.equal(dd.vintedPage.calls.length, 1, 'no Vinted call while paused');
});

test('get_item reports a missing item as a fact (used to reconcile unknown outcomes)', async () => {
  const h = harness({});
  const res = await h.executor.handle(job('vinted.get_item', { item_id: 5 }));
  assert.deepEqual(res.data, { item_id: 5, exists: false, item: null, progress_messages: 0 });
});

test('a big wardrobe is paged with job_progress, every message under the API Gateway limit', async () => {
  const bigItem = (id) => ({ id, title: `Item ${id} ${'x'.repeat(150)}`, price: { amount: '12.0', currency_code: 'EUR' }, photos: [{ url: `https://images.vinted.net/${'p'.repeat(400)}/${id}.jpg` }], status: 'Très bon état' });
  const h = harness({
    'GET /api/v2/users/current': () => ok({ user: { id: 321, login: 'seller' } }),
    'GET /api/v2/wardrobe/321/items': (req) => {
      const page = Number(req.query.page);
      return ok({ items: Array.from({ length: 96 }, (_, i) => bigItem(page * 1000 + i)), pagination: { total_pages: 4, current_page: page } });
    },
  });
  const result = await h.executor.handle(job('vinted.fetch_wardrobe', { per_page: 96 }));
  assert.equal(result.ok, true);
  assert.equal(result.data.count, 384);
  assert.equal(result.data.pages, 4);
  const progress = h.sent.filter((m) => m.action === 'job_progress');
  assert.equal(progress.reduce((n, m) => n + m.items.length, 0), 384);
  assert.deepEqual(progress.map((m) => m.seq), progress.map((_, i) => i + 1));
  for (const m of h.sent) assert.ok(byteLength(m) <= MAX_MESSAGE_BYTES);
  assert.equal(result.data.progress_messages, progress.length);
  assert.ok(h.vintedPage.calls.every((c) => c.method === 'GET'));
});

test('chunking keeps order and never splits an item', () => {
  const items = Array.from({ length: 1000 }, (_, i) => ({ i, pad: 'y'.repeat(500) }));
  const chunks = chunkItems(items, 200);
  assert.deepEqual(chunks.flat(), items);
  assert.ok(chunks.length > 1);
  assert.deepEqual(chunkItems([], 100), [[]]);
});

test('results while disconnected wait in the outbox and go out on the next connection', async () => {
  const h = harness({ 'POST /api/v2/items/77/delete': () => ok({}) }, { connected: false });
  const result = await h.executor.handle(job('vinted.delete', { item_id: 77 }));
  assert.equal(h.sent.length, 0);
  assert.deepEqual(h.outboxStore, [result]);
  h.state.connected = true;
  await h.outbox.flush((m) => (h.sent.push(m), true));
  assert.deepEqual(h.sent, [result]);
  assert.deepEqual(h.outboxStore, []);
});

test('invalid requests are answered with invalid_request and nothing runs', async () => {
  const h = harness({});
  try {
    parseServerMessage(JSON.stringify({ type: 'execute_job', job_id: 8, attempt: 2, command: 'vinted.delete', deadline: FUTURE, request: { item_id: 'all' } }));
  } catch (err) {
    await h.executor.rejectInvalid(err);
  }
  assert.equal(h.sent[0].error.code, 'invalid_request');
  assert.equal(h.sent[0].job_id, 8);
  assert.equal(h.vintedPage.calls.length, 0);
});

test('send_message, fetch_conversations and update call only their endpoints', async () => {
  const h = harness({
    'POST /api/v2/conversations/12/replies': (req) => ok({ reply: { id: 77, body: req.json.reply.body } }),
    'GET /api/v2/conversations': () => ok({ conversations: [{ id: 12, unread: true, opposite_user: { login: 'buyer', id: 3 } }], pagination: { total_pages: 1 } }),
    'GET /api/v2/item_upload/items/55': () => ok({ item: { id: 55, photos: [{ id: 1 }, { id: 2 }] } }),
    'PUT /api/v2/item_upload/items/55': () => ok({ item: { id: 55 } }),
  });
  assert.equal((await h.executor.handle(job('vinted.send_message', { conversation_id: 12, body: 'Merci !' }))).data.message_id, 77);
  const conv = await h.executor.handle({ ...job('vinted.fetch_conversations', {}), job_id: 43 });
  assert.equal(conv.data.count, 1);
  const upd = await h.executor.handle({ ...job('vinted.update', { item_id: 55, item }), job_id: 44 });
  assert.deepEqual(upd.data.photo_ids, [1, 2]);
  assert.deepEqual(h.vintedPage.calls.at(-1).json.item.assigned_photos.map((p) => p.id), [1, 2]);
  assert.equal(h.vintedPage.calls.at(-1).json.item.id, 55);
});

test('a command Vinted never ran (page unavailable) runs again when the same attempt comes back', async () => {
  let pageUp = false;
  const h = harness({ 'POST /api/v2/items/7/delete': () => ok({}) });
  const realCall = h.vintedPage.pageCall;
  h.vintedPage.pageCall = async (...args) => {
    if (!pageUp) throw new Error('Frame with ID 0 is showing error page');
    return realCall(...args);
  };
  const vinted = new VintedClient({ runInPage: (...a) => h.vintedPage.pageCall(...a), pacer: h.pacer });
  h.executor.makeContext = async () => ({ vinted, host: 'www.vinted.fr', uuid: () => 'u' });
  const first = await h.executor.handle(job('vinted.delete', { item_id: 7 }));
  assert.equal(first.error.code, 'page_unavailable');
  assert.doesNotMatch(first.error.message, /Frame/);
  pageUp = true;
  const second = await h.executor.handle(job('vinted.delete', { item_id: 7 }));
  assert.equal(second.ok, true, 'run again, not answered from memory');
});

test("execute_job carries the server's pacing plan; an unexpected failure is told in plain words", async () => {
  const plan = { write_gap_min_s: 20, write_gap_max_s: 50, writes_per_hour: 40, writes_per_day: 200, pause_base_s: 3600, pause_max_s: 86400, time_scale: 1 };
  const parsed = job('vinted.delete', { item_id: 8 }, { pacing: plan });
  assert.deepEqual(parsed.pacing, plan);
  assert.throws(() => job('vinted.delete', { item_id: 8 }, { pacing: { ...plan, speed: 'max' } }), /unexpected field/);
  const h = harness({});
  h.executor.handlers = { 'vinted.delete': async () => { throw new TypeError('Cannot read properties of undefined'); } };
  const result = await h.executor.handle(parsed);
  assert.equal(result.error.code, 'unknown_outcome');
  assert.doesNotMatch(result.error.message, /Cannot read/);
});

test('hide puts is_hidden on the item, show takes it off; a gone item counts as hidden, never as shown', async () => {
  const h = harness({ 'PUT /api/v2/items/77/is_hidden': () => ok({}) });
  const hidden = await h.executor.handle(job('vinted.hide', { product_id: 3, item_id: 77, hidden: true }));
  assert.deepEqual(hidden.data, { item_id: 77, hidden: true, progress_messages: 0 });
  assert.deepEqual(h.vintedPage.calls[0].json, { is_hidden: true });
  const shown = await h.executor.handle(job('vinted.hide', { product_id: 3, item_id: 77, hidden: false }, { job_id: 43 }));
  assert.deepEqual(shown.data, { item_id: 77, hidden: false, progress_messages: 0 });
  assert.deepEqual(h.vintedPage.calls[1].json, { is_hidden: false });

  const gone = harness({});
  const hiddenAnyway = await gone.executor.handle(job('vinted.hide', { item_id: 78, hidden: true }));
  assert.deepEqual(hiddenAnyway.data, { item_id: 78, hidden: true, already_gone: true, progress_messages: 0 });
  const notShown = await gone.executor.handle(job('vinted.hide', { item_id: 78, hidden: false }, { job_id: 44 }));
  assert.equal(notShown.ok, false);
});
