// A product's readiness per marketplace (GET /products/{id}/readiness): computed by the API from
// our data and the marketplaces' cached requirements, so loading it never calls a marketplace.
import { computed, ref } from 'vue';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';

export type MarketplaceReadiness = components['schemas']['MarketplaceReadinessOut'];
export type ReadinessIssue = components['schemas']['IssueOut'];

/** Errors first (they block a listing), then warnings, each group in the API's order. */
export function ordered(issues: ReadinessIssue[]): ReadinessIssue[] {
  return [...issues.filter((i) => i.severity === 'error'), ...issues.filter((i) => i.severity !== 'error')];
}

export function useReadiness(productId: () => number) {
  const verdicts = ref<MarketplaceReadiness[]>([]);
  const loading = ref(false);
  const error = ref<unknown>(null);

  async function reload(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      const answer = await unwrap(api().GET('/products/{product_id}/readiness', { params: { path: { product_id: productId() } } }));
      verdicts.value = answer.marketplaces;
    } catch (caught) {
      error.value = caught;
    } finally {
      loading.value = false;
    }
  }

  const readyCount = computed(() => verdicts.value.filter((v) => v.ready).length);
  return { verdicts, loading, error, reload, readyCount };
}
