// Catalogues (brands, categories, sizes, ...): fetched once per kind and kept for the tab's life.
import { ref } from 'vue';
import { api, unwrap } from '../api/client';

export interface CatalogEntry {
  id: number;
  name: string;
  [key: string]: unknown;
}

const cache = new Map<string, Promise<CatalogEntry[]>>();
const revalidated = new Set<string>();
const STORE = 'stoflow.catalog.';

interface Stored {
  etag: string | null;
  items: CatalogEntry[];
}

function stored(kind: string): Stored | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORE + kind);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

function label(entry: Record<string, unknown>): string {
  for (const key of ['name', 'name_en', 'label', 'code']) if (typeof entry[key] === 'string') return entry[key] as string;
  return String(entry.id);
}

/** Categories by their path in the tree (Women › Clothing › Dresses), so type-ahead finds leaves. */
function withPaths(entries: CatalogEntry[]): CatalogEntry[] {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const path = (e: CatalogEntry, depth = 0): string => {
    const parent = typeof e.parent_id === 'number' ? byId.get(e.parent_id) : undefined;
    return parent && depth < 10 ? `${path(parent, depth + 1)} › ${e.name}` : e.name;
  };
  return entries.map((e) => ({ ...e, name: path(e) }));
}

/** Sizes with their system (letter, EU, UK, waist…): "M · letter". */
function withSystems(entries: CatalogEntry[]): CatalogEntry[] {
  return entries.map((e) => (typeof e.system === 'string' ? { ...e, name: `${e.name} · ${e.system}` } : e));
}

async function fetchCatalog(kind: string): Promise<CatalogEntry[]> {
  const response = await api().GET('/catalog/{kind}', { params: { path: { kind } } });
  const body = await unwrap(Promise.resolve(response));
  const raw = (Array.isArray(body) ? body : ((body as { items?: unknown[] }).items ?? [])) as Record<string, unknown>[];
  const entries = raw.map((entry) => ({ ...entry, id: Number(entry.id), name: label(entry) }));
  const items = kind === 'categories' ? withPaths(entries) : kind === 'sizes' ? withSystems(entries) : entries;
  try {
    globalThis.localStorage?.setItem(STORE + kind, JSON.stringify({ etag: response.response.headers.get('etag'), items }));
  } catch {
    /* storage full: the memory cache still holds it */
  }
  return items;
}

/**
 * A catalogue, from memory, else from this browser's copy (catalogues change only with a
 * migration; the copy is revalidated when a picker is opened), else from GET /catalog/{kind}.
 */
export function loadCatalog(kind: string): Promise<CatalogEntry[]> {
  let entries = cache.get(kind);
  if (!entries) {
    const copy = stored(kind);
    entries = copy ? Promise.resolve(copy.items) : fetchCatalog(kind);
    entries.catch(() => cache.delete(kind));
    cache.set(kind, entries);
  }
  return entries;
}

/** Refresh this browser's copy once per tab (a picker was opened: the user is about to choose). */
export function revalidateCatalog(kind: string): Promise<CatalogEntry[]> {
  if (revalidated.has(kind)) return loadCatalog(kind);
  revalidated.add(kind);
  const fresh = fetchCatalog(kind);
  fresh.then(
    () => cache.set(kind, fresh),
    () => revalidated.delete(kind),
  );
  return fresh;
}

/** A catalogue for a picker: loaded at once when `eager` (a value must be shown by name), else
 * on first use (`search`), so a product page asks only for the catalogues it displays. */
export function useCatalog(kind: string, eager: boolean) {
  const entries = ref<CatalogEntry[]>([]);
  const load = (): Promise<void> => loadCatalog(kind).then((loaded) => void (entries.value = loaded));
  if (eager) void load();
  async function search(query: string): Promise<CatalogEntry[]> {
    entries.value = await revalidateCatalog(kind);
    const needle = query.trim().toLowerCase();
    const found = needle ? entries.value.filter((e) => e.name.toLowerCase().includes(needle)) : entries.value;
    return found.slice(0, 50);
  }
  return { entries, load, search };
}
