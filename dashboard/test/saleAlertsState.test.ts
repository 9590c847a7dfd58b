// @vitest-environment jsdom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';

async function shown(state: string | undefined) {
  const { i18n } = await import('../src/i18n');
  const { default: SaleAlertsState } = await import('../src/components/SaleAlertsState.vue');
  // A string, not the API's union: an unknown state must show nothing.
  return mount(SaleAlertsState, { props: { state: state as 'on' }, global: { plugins: [i18n] } });
}

describe('how an eBay sale reaches StoFlow', () => {
  it('says sales arrive within seconds when notices are on', async () => {
    const wrapper = await shown('on');
    expect(wrapper.get('[data-testid="sale-notices"]').text()).toContain('within seconds');
  }, 30_000);

  it('asks for a reconnect when the consent predates notices, as a warning', async () => {
    const line = (await shown('needs_reconnect')).get('[data-testid="sale-notices"]');
    expect(line.text()).toContain('Reconnect eBay');
    expect(line.classes()).toContain('warn');
  }, 30_000);

  it('says nothing where the marketplace has no notices (Etsy) or the state is unknown', async () => {
    expect((await shown(undefined)).find('[data-testid="sale-notices"]').exists()).toBe(false);
    expect((await shown('sideways')).find('[data-testid="sale-notices"]').exists()).toBe(false);
  }, 30_000);
});
