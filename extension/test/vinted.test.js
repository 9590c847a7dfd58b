import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer } from '../src/pacing.js';
import { vintedPageCall } from '../src/page.js';
import { fetchPhoto, VintedClient, VintedError } from '../src/vinted.js';

const noGap = () => new Pacer({ sleep: async () => {} });
const client = (answer, events = {}, pacer = noGap()) => new VintedClient({ runInPage: async () => answer, pacer, events });
const code = async (promise) => {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof VintedError, String(err));
    return err.code;
  }
  return 'no error';
};

test('answers are classified honestly', async () => {
  assert.equal(await code(client({ status: 401 }).call('GET', '/api/v2/users/current')), 'vinted_logged_out');
  assert.equal(await code(client({ status: 0 }).call('GET', '/api/v2/users/current')), 'vinted_logged_out');
  assert.equal(await code(client({ status: 404 }).call('GET', '/api/v2/item_upload/items/1')), 'not_found');
  assert.equal(await code(client({ status: 422, json: { message: 'Title too short' } }).call('POST', '/api/v2/item_upload/items', { json: {} })), 'vinted_rejected');
  assert.equal(await code(client({ status: 503 }).call('GET', '/api/v2/my_orders')), 'vinted_unavailable');
  assert.equal(await code(client({ status: 503 }).call('POST', '/api/v2/item_upload/items', { json: {} })), 'unknown_outcome');
  assert.equal(await code(client({ networkError: 'Failed to fetch' }).call('POST', '/api/v2/items/1/delete', { json: {} })), 'unknown_outcome');
  assert.equal(await code(client({ networkError: 'Failed to fetch' }).call('GET', '/api/v2/my_orders')), 'network_error');
  assert.equal(await code(client({ status: 200, json: { ok: 1 } }).call('GET', '/api/v2/my_orders')), 'no error');
});

test('DataDome pauses, tells the backend, and later calls are refused until the pause ends', async () => {
  const pacer = noGap();
  const seen = [];
  const answer = { status: 403, text: '<html><script src="https://ct.captcha-delivery.com/c.js"></script>' };
  const c = client(answer, { datadome: (info) => seen.push(info) }, pacer);
  assert.equal(await code(c.call('GET', '/api/v2/my_orders')), 'datadome');
  assert.deepEqual(seen, [{ path: '/api/v2/my_orders' }]);
  assert.ok(pacer.remainingPauseMs() > 0);
  await assert.rejects(c.call('GET', '/api/v2/my_orders'), { name: 'Paused' });
});

test('429 pauses an hour at least (a longer Retry-After wins); a captcha or any other 403 pauses too', async () => {
  const pacer = noGap();
  const err = await client({ status: 429, retryAfter: '900' }, {}, pacer).call('GET', '/api/v2/my_orders').catch((e) => e);
  assert.equal(err.code, 'rate_limited');
  assert.equal(err.retryAfterS, 3600);
  const long = await client({ status: 429, retryAfter: '7200' }).call('GET', '/api/v2/my_orders').catch((e) => e);
  assert.equal(long.retryAfterS, 7200);
  const refused = noGap();
  assert.equal(await code(client({ status: 403, json: { message: 'no' } }, {}, refused).call('GET', '/api/v2/my_orders')), 'forbidden');
  assert.ok(refused.isPaused());
  const pacer2 = noGap();
  assert.equal(await code(client({ status: 403, json: { message: 'captcha required' } }, {}, pacer2).call('GET', '/api/v2/my_orders')), 'captcha');
  assert.ok(pacer2.remainingPauseMs() > 0);
});

test("the browser's own words never reach the seller", async () => {
  const logged = [];
  const c = new VintedClient({
    runInPage: async () => { throw new Error('Frame with ID 0 is showing error page'); },
    pacer: noGap(),
    log: (...args) => logged.push(args.join(' ')),
  });
  const err = await c.call('POST', '/api/v2/item_upload/items', { json: {} }).catch((e) => e);
  assert.equal(err.code, 'page_unavailable');
  assert.doesNotMatch(err.message, /Frame|ID 0|error page/);
  assert.match(err.message, /Vinted page could not be reached/);
  assert.ok(logged.some((line) => line.includes('Frame with ID 0')), 'kept for the log');
  const lost = await client({ networkError: 'net::ERR_CONNECTION_RESET' }).call('GET', '/api/v2/my_orders').catch((e) => e);
  assert.doesNotMatch(lost.message, /net::/);
});

test('a refused endpoint never reaches the page', async () => {
  let reached = false;
  const c = new VintedClient({ runInPage: async () => { reached = true; }, pacer: noGap() });
  await assert.rejects(c.call('GET', '/api/v2/admin'), { name: 'EndpointRefused' });
  assert.equal(reached, false);
});

test('the page call sends the CSRF token, the anon id and the session cookies', async () => {
  const requests = [];
  const saved = { document: globalThis.document, location: globalThis.location, fetch: globalThis.fetch };
  globalThis.document = {
    cookie: 'v_udt=abc; anon_id=7f1c-22aa; other=1',
    querySelector: (sel) => (sel === 'meta[name="csrf-token"]' ? { getAttribute: () => 'csrf-123456789' } : null),
    querySelectorAll: () => [],
  };
  globalThis.location = { origin: 'https://www.vinted.fr', host: 'www.vinted.fr' };
  globalThis.fetch = async (target, init) => {
    requests.push({ target, init });
    return new Response(JSON.stringify({ item: { id: 5 } }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  try {
    const res = await vintedPageCall({ method: 'POST', path: '/api/v2/item_upload/items', query: {}, json: { item: { title: 't' } } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { item: { id: 5 } });
    const [{ target, init }] = requests;
    assert.equal(target, 'https://www.vinted.fr/api/v2/item_upload/items');
    assert.equal(init.headers['x-csrf-token'], 'csrf-123456789');
    assert.equal(init.headers['x-anon-id'], '7f1c-22aa');
    assert.equal(init.credentials, 'include');
    assert.equal(init.body, JSON.stringify({ item: { title: 't' } }));

    const multipart = await vintedPageCall({
      method: 'POST',
      path: '/api/v2/photos',
      query: {},
      multipart: [{ name: 'photo[type]', value: 'item' }, { name: 'photo[file]', base64: Buffer.from('JPEGDATA').toString('base64'), type: 'image/jpeg', filename: 'p.jpg' }],
    });
    assert.equal(multipart.status, 200);
    const form = requests[1].init.body;
    assert.equal(form.get('photo[type]'), 'item');
    assert.equal(await form.get('photo[file]').text(), 'JPEGDATA');

    globalThis.fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    assert.match((await vintedPageCall({ method: 'GET', path: '/api/v2/my_orders', query: { page: '1' } })).networkError, /Failed/);
  } finally {
    Object.assign(globalThis, saved);
  }
});

test('the page function is self-contained (Chrome serialises it)', () => {
  const source = vintedPageCall.toString();
  assert.ok(!/\bimport\b|\brequire\(/.test(source));
});

test('photos: only images, within size, downloaded without credentials', async () => {
  let init;
  const fetchImpl = async (u, i) => {
    init = i;
    return new Response(Buffer.from([0xff, 0xd8, 0xff, 0x01]), { status: 200, headers: { 'content-type': 'image/jpeg' } });
  };
  const photo = await fetchPhoto(fetchImpl, 'https://b.s3.amazonaws.com/k.jpg');
  assert.equal(photo.type, 'image/jpeg');
  assert.equal(Buffer.from(photo.base64, 'base64').length, 4);
  assert.equal(init.credentials, 'omit');
  const html = async () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } });
  await assert.rejects(fetchPhoto(html, 'https://x/y'), { code: 'photo_unavailable' });
  const gone = async () => new Response('', { status: 403 });
  await assert.rejects(fetchPhoto(gone, 'https://x/y'), { code: 'photo_unavailable' });
});
