// The seller's per-marketplace choices over our mapping (MarketplaceOverrides): each editor sets
// one key of one marketplace's part, and a part left empty is dropped (the mapping applies again).
import type { components } from '../api/schema';

export type Overrides = components['schemas']['MarketplaceOverrides'];
export type OverrideMarketplace = 'ebay' | 'etsy' | 'vinted';

export function withPart(overrides: Overrides, marketplace: OverrideMarketplace, key: string, value: unknown): Overrides {
  const current = { ...(overrides[marketplace] ?? {}) } as Record<string, unknown>;
  const empty = value === null || value === '' || (typeof value === 'object' && !Array.isArray(value) && !Object.keys(value as object).length);
  if (empty) delete current[key];
  else current[key] = value;
  const next = { ...overrides } as Record<string, unknown>;
  if (Object.keys(current).length) next[marketplace] = current;
  else delete next[marketplace];
  return next as Overrides;
}
