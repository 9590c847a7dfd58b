"""Rules that both the use cases (stoflow.services) and the marketplace adapters
(stoflow.marketplaces) need, below both so the package graph has no cycle:

- photos: the one way a converter chooses a product's photos (never a label);
- orders: an order as any marketplace reports it, stored once, a live one passed on as a sale;
- sales: sold once, delisted everywhere.

Nothing here names a marketplace: what differs per marketplace is passed in by its adapter.
"""
