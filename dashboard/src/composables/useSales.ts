// Sales and their delist chains, the seller's alerts and when each marketplace's sales were last
// checked: read once, then again (debounced) whenever a job of a chain changes, an order check
// finishes or an alert is pushed over the WebSocket.
import { computed, onScopeDispose, ref, watch } from 'vue';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useAlertsStore } from '../stores/alerts';
import { useJobsStore } from '../stores/jobs';

export type Sale = components['schemas']['SaleOut'];
export type SaleStep = components['schemas']['SaleStepOut'];
export type Alert = components['schemas']['AlertOut'];
export type OrderCheck = components['schemas']['OrderCheckOut'];

// Job actions after which sales may have changed: an order check finishing (eBay, Etsy: sync_orders;
// Vinted: orders).
const CHECK_ACTIONS = new Set(['sync_orders', 'orders']);

/** A chain's steps in the order they happen: the sale's own, then the restore's. */
export function orderedSteps(sale: Sale): SaleStep[] {
  const phase = (s: SaleStep): number => (s.phase === 'restore' ? 1 : 0);
  return [...sale.steps].sort((a, b) => phase(a) - phase(b) || a.marketplace.localeCompare(b.marketplace));
}

/** Whether the seller can undo the sale (it fell through: cancelled, returned). */
export function restorable(sale: Sale): boolean {
  return sale.status === 'active' || sale.status === 'oversold';
}

export function useSales(options: { debounceMs?: number } = {}) {
  const sales = ref<Sale[]>([]);
  const alerts = ref<Alert[]>([]);
  const checks = ref<OrderCheck[]>([]);
  const loading = ref(false);
  const jobs = useJobsStore();
  const pushed = useAlertsStore();

  async function load(): Promise<void> {
    loading.value = true;
    try {
      const [s, a, c] = await Promise.all([
        unwrap(api().GET('/sales', { params: { query: { limit: 100 } } })),
        unwrap(api().GET('/alerts', { params: { query: { unread: true } } })),
        unwrap(api().GET('/orders/checks')),
      ]);
      sales.value = s.items;
      alerts.value = a.items;
      checks.value = c;
    } finally {
      loading.value = false;
    }
  }

  const chainJobs = computed(() => new Set(sales.value.flatMap((s) => s.steps.map((step) => step.job_id))));
  let timer: ReturnType<typeof setTimeout> | null = null;
  function reloadSoon(): void {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void load().catch(() => undefined);
    }, options.debounceMs ?? 500);
  }
  let seen = jobs.revision;
  watch(
    () => jobs.revision,
    (revision) => {
      const fresh = jobs.latest.slice(0, Math.max(1, revision - seen));
      seen = revision;
      if (fresh.some((e) => chainJobs.value.has(e.job_id) || CHECK_ACTIONS.has(e.action ?? ''))) reloadSoon();
    },
  );
  watch(() => pushed.revision, reloadSoon);
  onScopeDispose(() => {
    if (timer !== null) clearTimeout(timer);
  });

  function forOrder(marketplace: string, externalId: string): Sale[] {
    return sales.value.filter((s) => s.sold_on === marketplace && s.order_ref === externalId);
  }

  async function restore(saleId: number): Promise<void> {
    await unwrap(api().POST('/sales/{sale_id}/restore', { params: { path: { sale_id: saleId } } }));
    await load();
  }

  async function markRead(alertId: number): Promise<void> {
    await unwrap(api().POST('/alerts/{alert_id}/read', { params: { path: { alert_id: alertId } } }));
    alerts.value = alerts.value.filter((a) => a.id !== alertId);
  }

  function lastChecked(marketplace: string): string | null {
    return checks.value.find((c) => c.marketplace === marketplace)?.checked_at ?? null;
  }

  // Marketplaces whose checks the app's daily call budget holds back: their sales are seen later.
  const deferred = computed(() => checks.value.filter((c) => c.deferred_at));

  return { sales, alerts, checks, deferred, loading, load, forOrder, restore, markRead, lastChecked };
}
