// @vitest-environment jsdom
import { createPinia, setActivePinia } from 'pinia';
import { describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';

const answers: Record<string, unknown> = {
  '/sales': { items: [], total: 0, limit: 100, offset: 0 },
  '/alerts': { items: [] },
  '/orders/checks': [
    { marketplace: 'ebay', checked_at: '2026-11-30T10:00:00Z', due_at: '2026-11-30T10:03:00Z', deferred_at: null },
    { marketplace: 'etsy', checked_at: '2026-11-30T09:00:00Z', due_at: '2026-11-30T10:30:00Z', deferred_at: '2026-11-30T10:00:00Z' },
  ],
};
vi.mock('../src/api/client', () => ({
  api: () => ({ GET: async (path: string) => ({ data: answers[path], response: new Response() }) }),
  unwrap: async (call: Promise<{ data: unknown }>) => (await call).data,
}));

describe('the order checks the orders page shows', () => {
  it('names the marketplaces whose checks the call budget holds back, and only those', async () => {
    setActivePinia(createPinia());
    const { useSales } = await import('../src/composables/useSales');
    const scope = effectScope();
    const sales = scope.run(() => useSales())!;
    await sales.load();
    expect(sales.deferred.value.map((c) => c.marketplace)).toEqual(['etsy']);
    expect(sales.lastChecked('ebay')).toBe('2026-11-30T10:00:00Z');
    scope.stop();
  }, 30_000);
});
