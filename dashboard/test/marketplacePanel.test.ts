// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../src/api/client', () => ({
  api: () => ({ GET: vi.fn(), POST: vi.fn() }),
  unwrap: async (call: Promise<{ data: unknown }>) => (await call).data,
}));
vi.mock('../src/composables/useWebSocket', () => ({ useWebSocket: () => ({ start: () => undefined }) }));

const listed = {
  marketplace: 'ebay',
  status: 'listed',
  url: null,
  last_synced_at: '2026-11-30T10:00:00Z',
  last_error: null,
};

async function mounted(productStatus: string) {
  setActivePinia(createPinia());
  const { i18n } = await import('../src/i18n');
  const { default: MarketplacePanel } = await import('../src/components/MarketplacePanel.vue');
  return mount(MarketplacePanel, {
    props: { productId: 7, productStatus, initial: [listed] as never[] },
    global: { plugins: [i18n] },
  });
}

function publish(wrapper: Awaited<ReturnType<typeof mounted>>, marketplace: string) {
  return wrapper.get(`tr[data-marketplace="${marketplace}"] button:not(.secondary)`);
}

describe('the marketplace actions', () => {
  it('offers publishing where the product is not live yet, not where it is', async () => {
    const wrapper = await mounted('published');
    expect(publish(wrapper, 'vinted').attributes('disabled')).toBeUndefined();
    expect(publish(wrapper, 'ebay').attributes('disabled')).toBeDefined();
    expect(wrapper.find('#mp-sold').exists()).toBe(false);
  }, 30_000);

  it('does not publish a sold product again, and says why', async () => {
    const wrapper = await mounted('sold');
    for (const m of ['vinted', 'ebay', 'etsy']) {
      const button = publish(wrapper, m);
      expect(button.attributes('disabled')).toBeDefined();
      expect(button.attributes('aria-describedby')).toBe('mp-sold');
    }
    expect(wrapper.get('#mp-sold').text()).toContain('restore');
  }, 30_000);
});
