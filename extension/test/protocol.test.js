import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, parseServerMessage, REQUESTS } from '../src/protocol.js';
import { validate, ValidationError } from '../src/validate.js';

const item = {
  title: 'Veste en jean Levi’s',
  description: 'Très bon état, taille M.',
  price: 25,
  currency: 'EUR',
  catalog_id: 1206,
  status_id: 2,
  brand_id: 53,
  size_id: 207,
  color_ids: [9],
};
const frame = (command, request, extra = {}) =>
  JSON.stringify({ type: 'execute_job', job_id: 7, attempt: 1, command, deadline: '2026-11-22T04:00:00Z', request, ...extra });

const examples = {
  'vinted.publish': { product_id: 3, item, photos: [{ url: 'https://bucket.s3.amazonaws.com/p/1.jpg?X-Amz-Signature=abc', image_id: 11 }] },
  'vinted.update': { product_id: 3, item_id: 99, item },
  'vinted.delete': { item_id: 99 },
  'vinted.hide': { product_id: 3, item_id: 99, hidden: true },
  'vinted.fetch_wardrobe': { per_page: 48 },
  'vinted.fetch_orders': { type: 'sold', status: 'all' },
  'vinted.fetch_conversations': {},
  'vinted.send_message': { conversation_id: 5, body: 'Bonjour !' },
  'vinted.get_item': { item_id: 99 },
};

test('every protocol command has a schema and a valid example', () => {
  assert.deepEqual(Object.keys(REQUESTS).sort(), [...COMMANDS].sort());
  for (const command of COMMANDS) {
    const message = parseServerMessage(frame(command, examples[command]));
    assert.equal(message.command, command);
    assert.equal(message.deadlineMs, Date.parse('2026-11-22T04:00:00Z'));
  }
});

test('unknown fields are refused at every level', () => {
  assert.throws(() => parseServerMessage(frame('vinted.delete', { item_id: 1 }, { extra: 1 })), ValidationError);
  assert.throws(() => parseServerMessage(frame('vinted.delete', { item_id: 1, path: '/api/v2/anything' })), ValidationError);
  assert.throws(
    () => parseServerMessage(frame('vinted.publish', { ...examples['vinted.publish'], item: { ...item, script: 'x' } })),
    /item\.script: unexpected field/,
  );
});

test('bad values are refused', () => {
  const bad = [
    frame('vinted.eval', {}),
    frame('vinted.delete', { item_id: -1 }),
    frame('vinted.delete', { item_id: '99' }),
    frame('vinted.delete', { item_id: 1.5 }),
    frame('vinted.publish', { ...examples['vinted.publish'], photos: [] }),
    frame('vinted.publish', { ...examples['vinted.publish'], photos: [{ url: 'http://evil.example/x.jpg', image_id: 1 }] }),
    frame('vinted.publish', { ...examples['vinted.publish'], photos: [{ url: 'javascript:alert(1)', image_id: 1 }] }),
    frame('vinted.publish', { ...examples['vinted.publish'], item: { ...item, price: -3 } }),
    frame('vinted.send_message', { conversation_id: 5, body: '' }),
    frame('vinted.fetch_orders', { status: 'everything' }),
    JSON.stringify({ type: 'execute_job', job_id: 7, attempt: 1, command: 'vinted.delete', deadline: 'tomorrow', request: { item_id: 1 } }),
    '[]',
    'not json',
    JSON.stringify({ type: 'run_this', code: 'alert(1)' }),
  ];
  for (const text of bad) assert.throws(() => parseServerMessage(text), ValidationError, text);
});

test('an invalid request still names its job so it can be answered', () => {
  try {
    parseServerMessage(frame('vinted.delete', { item_id: 'x' }));
    assert.fail('should throw');
  } catch (err) {
    assert.equal(err.jobId, 7);
    assert.equal(err.attempt, 1);
  }
});

test('photos over plain http are accepted only on loopback (local cloud)', () => {
  const photo = REQUESTS['vinted.publish'].props.photos.items;
  assert.ok(validate(photo, { url: 'http://127.0.0.1:4566/b/k.jpg', image_id: 1 }));
  assert.throws(() => validate(photo, { url: 'http://10.0.0.1/k.jpg', image_id: 1 }));
  assert.throws(() => validate(photo, { url: 'https://user:pw@host/k.jpg', image_id: 1 }));
});

test('informational messages keep only flat known fields', () => {
  assert.deepEqual(parseServerMessage(JSON.stringify({ type: 'welcome', code: 'ok', nested: { a: 1 } })), {
    type: 'welcome',
    code: 'ok',
    message: undefined,
  });
});
