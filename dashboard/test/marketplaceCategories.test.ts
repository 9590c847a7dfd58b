// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';

const suggestions = {
  marketplace: 'ebay',
  site: 'EBAY_FR',
  query: 'Parka kaki',
  suggestions: [{ category_id: '57988', name: 'Manteaux, vestes', path: ['Vêtements', 'Homme'] }],
};
const get = vi.fn(async () => ({ data: suggestions, response: new Response() }));
vi.mock('../src/api/client', () => ({
  api: () => ({ GET: get }),
  unwrap: async (call: Promise<{ data: unknown }>) => (await call).data,
}));

async function mounted(initial: Record<string, unknown>, productId: number | null = 7) {
  const { i18n } = await import('../src/i18n');
  const { default: MarketplaceCategories } = await import('../src/components/MarketplaceCategories.vue');
  const updates: unknown[] = [];
  const wrapper = mount(MarketplaceCategories, {
    props: { productId, modelValue: initial, 'onUpdate:modelValue': (value: unknown) => updates.push(value) },
    global: { plugins: [i18n] },
  });
  return { wrapper, updates };
}

describe('the category on each marketplace', () => {
  it('keeps what it does not edit and drops a marketplace emptied back to the mapping', async () => {
    const { wrapper, updates } = await mounted({ ebay: { category_id: '11483', aspects: { Style: ['Skinny'] } }, vinted: { catalog_id: 10 } });
    await wrapper.get('input[name="ebay_category_id"]').setValue('');
    expect(updates.at(-1)).toEqual({ ebay: { aspects: { Style: ['Skinny'] } }, vinted: { catalog_id: 10 } });
    await wrapper.setProps({ modelValue: updates.at(-1) as Record<string, unknown> });
    await wrapper.get('input[name="vinted_catalog_id"]').setValue('');
    expect(updates.at(-1)).toEqual({ ebay: { aspects: { Style: ['Skinny'] } } });
    await wrapper.setProps({ modelValue: updates.at(-1) as Record<string, unknown> });
    await wrapper.get('input[name="etsy_taxonomy_id"]').setValue('1429');
    expect(updates.at(-1)).toEqual({ ebay: { aspects: { Style: ['Skinny'] } }, etsy: { taxonomy_id: 1429 } });
  }, 30_000);

  it("puts one of eBay's suggestions in the field in one click", async () => {
    const { wrapper, updates } = await mounted({});
    await wrapper.get('button.secondary').trigger('click');
    await flushPromises();
    expect(get).toHaveBeenCalledWith('/marketplaces/{marketplace}/category-suggestions', {
      params: { path: { marketplace: 'ebay' }, query: { product_id: 7 } },
    });
    const choice = wrapper.get('[data-category="57988"]');
    expect(choice.text()).toBe('Vêtements › Homme › Manteaux, vestes (57988)');
    await choice.trigger('click');
    expect(updates.at(-1)).toEqual({ ebay: { category_id: '57988' } });
    expect(wrapper.find('[data-category]').exists()).toBe(false);
  }, 30_000);

  it('asks for suggestions only for a saved product', async () => {
    const { wrapper } = await mounted({}, null);
    expect(wrapper.get('button.secondary').attributes('disabled')).toBeDefined();
  }, 30_000);
});
