// The products table: its query (search, filters, sort, page) kept in the URL so a reload or a
// shared link shows the same page; one GET /products per change.
import { computed, reactive, ref, watch } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';

/** A row of the products table: the product, its first photo and its state on each marketplace. */
export type Product = components['schemas']['ProductWithReadinessOut'];
export type ProductDetail = components['schemas']['ProductDetailOut'];
export type Job = components['schemas']['JobOut'];

export type ProductStatus = components['schemas']['ProductOut']['status'];
export const PRODUCT_STATUSES: readonly ProductStatus[] = ['draft', 'published', 'sold', 'archived'];
export const MARKETPLACES = ['vinted', 'ebay', 'etsy'] as const;
export type Marketplace = (typeof MARKETPLACES)[number];
export const PAGE_SIZES = [25, 50, 100];

export interface ProductQuery {
  q: string;
  status: string[];
  brand_id: number | null;
  category_id: number | null;
  price_min: string;
  price_max: string;
  /** marketplace state: listed on (`vinted`) or not listed on (`!vinted`) */
  listing: string;
  sort: string;
  limit: number;
  offset: number;
}

const defaults = (): ProductQuery => ({
  q: '',
  status: [],
  brand_id: null,
  category_id: null,
  price_min: '',
  price_max: '',
  listing: '',
  sort: '-updated_at',
  limit: 25,
  offset: 0,
});

export function queryFromUrl(raw: Record<string, unknown>): ProductQuery {
  const query = defaults();
  const one = (key: string): string | undefined => {
    const value = raw[key];
    return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
  };
  query.q = one('q') ?? '';
  const status = raw.status;
  query.status = Array.isArray(status) ? status.filter((s): s is string => typeof s === 'string') : typeof status === 'string' ? [status] : [];
  query.brand_id = one('brand_id') ? Number(one('brand_id')) : null;
  query.category_id = one('category_id') ? Number(one('category_id')) : null;
  query.price_min = one('price_min') ?? '';
  query.price_max = one('price_max') ?? '';
  query.listing = one('listing') ?? '';
  query.sort = one('sort') ?? query.sort;
  const limit = Number(one('limit'));
  query.limit = PAGE_SIZES.includes(limit) ? limit : 25;
  query.offset = Math.max(0, Number(one('offset') ?? 0) || 0);
  return query;
}

export function queryToUrl(query: ProductQuery): Record<string, string | string[]> {
  const base = defaults();
  const out: Record<string, string | string[]> = {};
  if (query.q) out.q = query.q;
  if (query.status.length) out.status = query.status;
  if (query.brand_id) out.brand_id = String(query.brand_id);
  if (query.category_id) out.category_id = String(query.category_id);
  if (query.price_min) out.price_min = query.price_min;
  if (query.price_max) out.price_max = query.price_max;
  if (query.listing) out.listing = query.listing;
  if (query.sort !== base.sort) out.sort = query.sort;
  if (query.limit !== base.limit) out.limit = String(query.limit);
  if (query.offset) out.offset = String(query.offset);
  return out;
}

/** `vinted` → listed_on=vinted; `!vinted` → not_listed_on=vinted (GET /products filters). */
export function listingFilter(value: string): Record<string, string[]> {
  if (!value) return {};
  return value.startsWith('!') ? { not_listed_on: [value.slice(1)] } : { listed_on: [value] };
}

export function useProducts() {
  const route = useRoute();
  const router = useRouter();
  const query = reactive(queryFromUrl(route.query));
  const items = ref<Product[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const error = ref<unknown>(null);
  const selected = ref(new Set<number>());
  let generation = 0;

  async function load(): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const page = await unwrap(
        api().GET('/products', {
          params: {
            query: {
              q: query.q || undefined,
              status: query.status.length ? query.status : undefined,
              brand_id: query.brand_id ?? undefined,
              category_id: query.category_id ?? undefined,
              price_min: query.price_min || undefined,
              price_max: query.price_max || undefined,
              ...listingFilter(query.listing),
              sort: query.sort,
              limit: query.limit,
              offset: query.offset,
            },
          },
        }),
      );
      if (mine !== generation) return; // a newer query answered first
      items.value = page.items;
      total.value = page.total;
    } catch (caught) {
      if (mine === generation) error.value = caught;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  watch(
    () => ({ ...query, status: [...query.status] }),
    () => void router.replace({ query: queryToUrl(query) }),
    { deep: true },
  );
  watch(
    () => route.query,
    (raw) => {
      Object.assign(query, queryFromUrl(raw));
      void load();
    },
    { immediate: true },
  );

  const pages = computed(() => Math.max(1, Math.ceil(total.value / query.limit)));
  const page = computed(() => Math.floor(query.offset / query.limit) + 1);

  function goTo(n: number): void {
    query.offset = (Math.min(Math.max(1, n), pages.value) - 1) * query.limit;
  }

  function toggle(id: number): void {
    const next = new Set(selected.value);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    selected.value = next;
  }

  function toggleAll(): void {
    const all = items.value.every((p) => selected.value.has(p.id));
    selected.value = all ? new Set() : new Set(items.value.map((p) => p.id));
  }

  async function bulkStatus(status: ProductStatus): Promise<components['schemas']['BulkStatusOut']> {
    const answer = await unwrap(api().POST('/products/bulk/status', { body: { ids: [...selected.value], status } }));
    await load();
    return answer;
  }

  /** Queues the selected products that are ready; the others come back with what they lack. */
  async function bulkJob(marketplace: Marketplace, action: string): Promise<Batch> {
    return createJobs(marketplace, action, [...selected.value], { readyOnly: true });
  }

  return { query, items, total, loading, error, selected, pages, page, load, goTo, toggle, toggleAll, bulkStatus, bulkJob };
}

export type Batch = components['schemas']['BatchOut'];

/** POST /jobs: one batch of `action` on `marketplace` for the products (202: queued). With
 * `readyOnly`, the products not ready are left out (listed in `skipped`) instead of refusing all. */
export async function createJobs(
  marketplace: Marketplace,
  action: string,
  productIds: number[],
  { readyOnly = false }: { readyOnly?: boolean } = {},
): Promise<Batch> {
  return unwrap(
    api().POST('/jobs', {
      params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
      body: { marketplace, action, product_ids: productIds, priority: 0, ready_only: readyOnly },
    }),
  );
}
