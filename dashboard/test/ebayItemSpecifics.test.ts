// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { nextTick } from 'vue';

async function mounted(initial: Record<string, unknown>) {
  const { i18n } = await import('../src/i18n');
  const { default: EbayItemSpecifics } = await import('../src/components/EbayItemSpecifics.vue');
  const updates: unknown[] = [];
  const wrapper = mount(EbayItemSpecifics, {
    props: { modelValue: initial, wanted: null, 'onUpdate:modelValue': (value: unknown) => updates.push(value) },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });
  return { wrapper, updates };
}

describe("the seller's eBay item specifics", () => {
  it('shows what the product has and writes back names with their comma-separated values', async () => {
    const { wrapper, updates } = await mounted({ ebay: { category_id: '11483', aspects: { Style: ['Skinny'] } }, vinted: { catalog_id: 10 } });
    expect((wrapper.get('input[name="aspect_name_0"]').element as HTMLInputElement).value).toBe('Style');
    await wrapper.get('input[name="aspect_values_0"]').setValue('Skinny, Slim ');
    await wrapper.get('input[name="aspect_values_0"]').trigger('change');
    expect(updates.at(-1)).toEqual({ ebay: { category_id: '11483', aspects: { Style: ['Skinny', 'Slim'] } }, vinted: { catalog_id: 10 } });
  }, 30_000);

  it('drops the aspects, then the eBay part, when the last one is removed', async () => {
    const { wrapper, updates } = await mounted({ ebay: { aspects: { Style: ['Skinny'] } } });
    await wrapper.get('[data-aspect="Style"] button').trigger('click');
    expect(updates.at(-1)).toEqual({});
  }, 30_000);

  it('adds the aspect the readiness checklist asks for and puts the cursor in its values', async () => {
    const { wrapper, updates } = await mounted({});
    await wrapper.setProps({ wanted: 'Size Type' });
    await nextTick();
    await nextTick();
    expect((wrapper.get('input[name="aspect_name_0"]').element as HTMLInputElement).value).toBe('Size Type');
    expect(document.activeElement).toBe(wrapper.get('input[name="aspect_values_0"]').element);
    await wrapper.get('input[name="aspect_values_0"]').setValue('Regular');
    await wrapper.get('input[name="aspect_values_0"]').trigger('change');
    expect(updates.at(-1)).toEqual({ ebay: { aspects: { 'Size Type': ['Regular'] } } });
    wrapper.unmount();
  }, 30_000);
});
