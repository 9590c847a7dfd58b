// Catalogues (brands, categories, sizes, ...): fetched once per kind and kept for the tab's life.
import { ref, type Ref } from 'vue';
import { api, unwrap } from '../api/client';

export interface CatalogEntry {
  id: number;
  name: string;
  [key: string]: unknown;
}

const cache = new Map<string, Promise<CatalogEntry[]>>();

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

export function loadCatalog(kind: string): Promise<CatalogEntry[]> {
  let entries = cache.get(kind);
  if (!entries) {
    entries = unwrap(api().GET('/catalog/{kind}', { params: { path: { kind } } })).then((body) => {
      const raw = (Array.isArray(body) ? body : ((body as { items?: unknown[] }).items ?? [])) as Record<string, unknown>[];
      const entries = raw.map((entry) => ({ ...entry, id: Number(entry.id), name: label(entry) }));
      return kind === 'categories' ? withPaths(entries) : kind === 'sizes' ? withSystems(entries) : entries;
    });
    entries.catch(() => cache.delete(kind));
    cache.set(kind, entries);
  }
  return entries;
}

export function useCatalog(kind: string): { entries: Ref<CatalogEntry[]>; search: (query: string) => CatalogEntry[] } {
  const entries = ref<CatalogEntry[]>([]);
  void loadCatalog(kind).then((loaded) => (entries.value = loaded));
  function search(query: string): CatalogEntry[] {
    const needle = query.trim().toLowerCase();
    const found = needle ? entries.value.filter((e) => e.name.toLowerCase().includes(needle)) : entries.value;
    return found.slice(0, 50);
  }
  return { entries, search };
}
