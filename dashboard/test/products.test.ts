import { describe, expect, it } from 'vitest';
import { queryFromUrl, queryToUrl } from '../src/composables/useProducts';

describe('the products query in the URL', () => {
  it('round-trips filters, sort and page', () => {
    const url = { q: 'jacket', status: ['draft', 'sold'], brand_id: '12', price_min: '5', sort: 'price', limit: '50', offset: '100' };
    expect(queryToUrl(queryFromUrl(url))).toEqual(url);
  });

  it('leaves defaults out and refuses nonsense', () => {
    expect(queryToUrl(queryFromUrl({}))).toEqual({});
    const q = queryFromUrl({ limit: '7', offset: '-3', status: 'draft' });
    expect(q.limit).toBe(25);
    expect(q.offset).toBe(0);
    expect(q.status).toEqual(['draft']);
  });
});
