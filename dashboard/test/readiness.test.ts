// @vitest-environment jsdom
import { mount, flushPromises } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ordered, type ReadinessIssue } from '../src/composables/useReadiness';

const answer = {
  product_id: 7,
  marketplaces: [
    { marketplace: 'vinted', ready: true, issues: [] },
    {
      marketplace: 'ebay',
      ready: false,
      issues: [
        { code: 'ebay_aspect_recommended', field: 'aspects.Couleur', message: "eBay recommends 'Couleur' for Women's Jeans.", severity: 'warning' },
        { code: 'ebay_aspect_missing', field: 'aspects.Type de taille', message: "eBay requires 'Type de taille' for Women's Jeans.", severity: 'error' },
      ],
    },
  ],
};
const get = vi.fn(async () => ({ data: answer, response: new Response() }));
vi.mock('../src/api/client', () => ({
  api: () => ({ GET: get }),
  unwrap: async (call: Promise<{ data: unknown }>) => (await call).data,
}));

describe('the readiness checklist', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('puts what blocks publishing before advice', () => {
    const issue = (severity: 'error' | 'warning', code: string): ReadinessIssue => ({ code, field: 'f', message: code, severity });
    expect(ordered([issue('warning', 'a'), issue('error', 'b'), issue('warning', 'c')]).map((i) => i.code)).toEqual(['b', 'a', 'c']);
  });

  it('shows each marketplace ready or with what is missing', async () => {
    const { i18n } = await import('../src/i18n');
    const { default: ReadinessChecklist } = await import('../src/components/ReadinessChecklist.vue');
    const wrapper = mount(ReadinessChecklist, { props: { productId: 7, version: 3 }, global: { plugins: [i18n, createPinia()] } });
    await flushPromises();
    expect(get).toHaveBeenCalledWith('/products/{product_id}/readiness', { params: { path: { product_id: 7 } } });
    const ebay = wrapper.get('[data-marketplace="ebay"]');
    expect(ebay.find('.badge').classes()).toContain('bad');
    expect(ebay.findAll('li').map((li) => li.attributes('data-code'))).toEqual(['ebay_aspect_missing', 'ebay_aspect_recommended']);
    expect(ebay.text()).toContain("eBay requires 'Type de taille' for Women's Jeans.");
    expect(wrapper.get('[data-marketplace="vinted"] .badge').classes()).toContain('ok');
    await wrapper.setProps({ version: 4 });
    await flushPromises();
    expect(get).toHaveBeenCalledTimes(2);
  }, 30_000); // mounting with i18n takes seconds on a loaded machine
});
