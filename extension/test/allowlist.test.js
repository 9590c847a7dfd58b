import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEndpoint, EndpointRefused, isVintedHost } from '../src/allowlist.js';

test('the Vinted endpoints we use are allowed', () => {
  for (const [method, path, query] of [
    ['GET', '/api/v2/users/current'],
    ['POST', '/api/v2/photos'],
    ['POST', '/api/v2/item_upload/items'],
    ['PUT', '/api/v2/item_upload/items/123'],
    ['GET', '/api/v2/item_upload/items/123'],
    ['POST', '/api/v2/items/123/delete'],
    ['GET', '/api/v2/wardrobe/42/items', { page: '2', per_page: '48', order: 'newest_first' }],
    ['GET', '/api/v2/my_orders', { type: 'sold', status: 'all', page: '1' }],
    ['GET', '/api/v2/conversations', { page: '1' }],
    ['GET', '/api/v2/conversations/9'],
    ['POST', '/api/v2/conversations/9/replies'],
  ]) {
    assert.ok(checkEndpoint(method, path, query), `${method} ${path}`);
  }
});

test('anything else is refused', () => {
  for (const [method, path, query] of [
    ['GET', '/api/v2/users/42'],
    ['DELETE', '/api/v2/items/1'],
    ['POST', '/api/v2/users/current'],
    ['GET', '/api/v2/wardrobe/me/items'],
    ['GET', '/api/v2/wardrobe/42/items/../../users/1'],
    ['POST', '/api/v2/items/1/delete?x=1'],
    ['GET', 'https://evil.example/api/v2/users/current'],
    ['GET', '/api/v2/my_orders', { redirect: 'x' }],
    ['GET', '/api/v2/my_orders', { page: '1&x=2' }],
  ]) {
    assert.throws(() => checkEndpoint(method, path, query), EndpointRefused, `${method} ${path}`);
  }
});

test('only Vinted hosts count as Vinted', () => {
  assert.ok(isVintedHost('www.vinted.fr'));
  assert.ok(!isVintedHost('www.vinted.fr.evil.example'));
  assert.ok(!isVintedHost(undefined));
});
