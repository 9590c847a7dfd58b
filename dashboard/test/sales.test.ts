import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';
import { createMemoryHistory, createRouter } from 'vue-router';
import SaleChain from '../src/components/SaleChain.vue';
import { orderedSteps, restorable, type Sale } from '../src/composables/useSales';
import en from '../src/locales/en.json';

function sale(overrides: Partial<Sale> = {}): Sale {
  return {
    id: 7,
    product_id: 3,
    sold_on: 'ebay',
    order_ref: '12-1',
    quantity: 1,
    status: 'active',
    sold_at: '2026-11-30T10:00:00Z',
    seen_at: '2026-11-30T10:02:00Z',
    delists_queued_at: '2026-11-30T10:02:00Z',
    done_at: null,
    cancelled_at: null,
    restored_at: null,
    steps: [
      { marketplace: 'vinted', action: 'delete', phase: 'sale', job_id: 2, status: 'waiting_extension', attempts: 1, queued_at: null, finished_at: null, error_code: null, error_message: null },
      { marketplace: 'etsy', action: 'publish', phase: 'restore', job_id: 9, status: 'pending', attempts: 0, queued_at: null, finished_at: null, error_code: null, error_message: null },
      { marketplace: 'etsy', action: 'delete', phase: 'sale', job_id: 1, status: 'failed', attempts: 5, queued_at: null, finished_at: '2026-11-30T10:03:00Z', error_code: 'http_503', error_message: 'Etsy is down' },
    ],
    ...overrides,
  };
}

function render(value: Sale) {
  const i18n = createI18n({ legacy: false, locale: 'en', messages: { en } });
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { template: '<div />' } }, { path: '/products/:id', name: 'product', component: { template: '<div />' } }] });
  return mount(SaleChain, { props: { sale: value }, global: { plugins: [i18n, router] } });
}

describe('a sale chain', () => {
  it('lists the sale steps before the restore steps', () => {
    expect(orderedSteps(sale()).map((s) => `${s.phase}:${s.marketplace}:${s.action}`)).toEqual([
      'sale:etsy:delete',
      'sale:vinted:delete',
      'restore:etsy:publish',
    ]);
  });

  it('can be undone while it stands, not once undone', () => {
    expect(restorable(sale())).toBe(true);
    expect(restorable(sale({ status: 'oversold' }))).toBe(true);
    expect(restorable(sale({ status: 'restored' }))).toBe(false);
  });

  it('shows each step with its state, a failure with its reason, and offers the restore', async () => {
    const wrapper = render(sale());
    const steps = wrapper.findAll('[data-testid="sale-step"]').map((li) => li.text());
    expect(steps[0]).toContain('Etsy · delist · failed');
    expect(steps[0]).toContain('Etsy is down');
    expect(steps[1]).toContain('Vinted · delist · waiting for the browser');
    expect(wrapper.text()).toContain('In progress');
    await wrapper.get('button').trigger('click');
    expect(wrapper.emitted('restore')).toEqual([[7]]);
  });

  it('flags a double sale and shows when the chain is done', () => {
    const wrapper = render(sale({ status: 'oversold', steps: [], done_at: '2026-11-30T10:04:00Z' }));
    expect(wrapper.get('[role="status"]').text()).toContain('Sold twice');
    expect(wrapper.text()).toContain('All done');
  });
});
