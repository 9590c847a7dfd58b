"""marketplace categories: each node of our category tree on eBay (per site), Etsy and Vinted;
the size types eBay's apparel categories require; the marketplaces' requirements cache

Revision ID: s0012
Revises: s0011
Create Date: 2026-11-30

The mapping is data: a correction is a new revision that updates rows, never an edit of this one.
A row with no external id says the category is deliberately not listed on that marketplace
(`note` says why); the mapping check (tests) requires a row for every leaf and marketplace, and
an id for every leaf on Vinted and eBay.

eBay's fashion categories carry the same ids on the sites we list on (EBAY_FR, EBAY_DE, EBAY_GB,
EBAY_US); the requirements refresh reads each one from the site's own category tree and records a
category the site does not know, which readiness reports (never a failed listing).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "s0012"
down_revision = "s0011"
branch_labels = None
depends_on = None

S = "product_attributes"
EBAY_SITES = ("EBAY_FR", "EBAY_DE", "EBAY_GB", "EBAY_US")
# Our leaf slug -> (eBay category id, Etsy taxonomy node id or None, Vinted catalog id).
LEAVES: dict[str, tuple[str, int | None, int]] = {
    "women-clothing-dresses": ("63861", 2152, 10),
    "women-clothing-tops-and-t-shirts": ("53159", 2169, 12),
    "women-clothing-shirts-and-blouses": ("53159", 2165, 1043),
    "women-clothing-jumpers-and-cardigans": ("63866", 2175, 13),
    "women-clothing-coats-and-jackets": ("63862", 2146, 1037),
    "women-clothing-jeans": ("11554", 2161, 183),
    "women-clothing-trousers": ("63863", 2161, 9),
    "women-clothing-skirts": ("63864", 2168, 11),
    "women-clothing-shorts": ("11555", 2161, 15),
    "women-clothing-jumpsuits": ("3009", 2158, 1035),
    "women-clothing-suits-and-blazers": ("63865", 2146, 8),
    "women-clothing-activewear": ("137085", 2143, 73),
    "women-clothing-swimwear": ("63867", 2172, 28),
    "women-clothing-lingerie-and-nightwear": ("63855", 2163, 29),
    "women-shoes-trainers": ("95672", 1539, 2632),
    "women-shoes-boots": ("53557", 1510, 1049),
    "women-shoes-ankle-boots": ("53557", 1511, 1050),
    "women-shoes-heels": ("55793", 1529, 543),
    "women-shoes-flats-and-ballerinas": ("45333", 1519, 2955),
    "women-shoes-sandals": ("62107", 1535, 2623),
    "women-shoes-loafers-and-moccasins": ("45333", 1532, 2949),
    "women-shoes-espadrilles": ("45333", 1535, 2951),
    "women-accessories-handbags": ("169291", 145, 156),
    "women-accessories-backpacks": ("169291", 135, 157),
    "women-accessories-wallets-and-purses": ("45258", 157, 159),
    "women-accessories-belts": ("3003", 175, 20),
    "women-accessories-scarves": ("45238", 222, 90),
    "women-accessories-hats-and-caps": ("45220", 199, 88),
    "women-accessories-jewellery": ("155101", 1179, 21),
    "women-accessories-watches": ("31387", 1269, 22),
    "women-accessories-sunglasses": ("45246", 243, 26),
    "women-accessories-gloves": ("105559", 189, 91),
    "men-clothing-t-shirts-and-polos": ("15687", 2213, 77),
    "men-clothing-shirts": ("57990", 2209, 536),
    "men-clothing-jumpers-and-cardigans": ("11484", 2217, 79),
    "men-clothing-sweatshirts-and-hoodies": ("155183", 2203, 1811),
    "men-clothing-coats-and-jackets": ("57988", 2190, 2051),
    "men-clothing-jeans": ("11483", 2206, 257),
    "men-clothing-trousers": ("57989", 2206, 34),
    "men-clothing-shorts": ("15689", 2206, 80),
    "men-clothing-suits-and-blazers": ("3001", 2214, 32),
    "men-clothing-activewear": ("137084", 2187, 30),
    "men-clothing-swimwear": ("15690", 2215, 84),
    # Worn underwear and socks are not something we put on Etsy (no vintage market for them).
    "men-clothing-underwear-and-socks": ("11507", None, 85),
    "men-shoes-trainers": ("15709", 1476, 1242),
    "men-shoes-boots": ("11498", 1454, 1233),
    "men-shoes-formal-shoes": ("53120", 1466, 1238),
    "men-shoes-loafers-and-moccasins": ("24087", 1470, 2656),
    "men-shoes-sandals": ("11504", 1473, 2657),
    "men-accessories-bags": ("169285", 132, 94),
    "men-accessories-backpacks": ("169285", 135, 246),
    "men-accessories-wallets": ("2996", 157, 248),
    "men-accessories-belts": ("2993", 175, 96),
    "men-accessories-ties-and-bow-ties": ("15662", 265, 2960),
    "men-accessories-hats-and-caps": ("52365", 199, 86),
    "men-accessories-scarves": ("45239", 222, 87),
    "men-accessories-watches": ("31387", 1269, 97),
    "men-accessories-sunglasses": ("79720", 243, 98),
    "men-accessories-jewellery": ("137843", 1179, 95),
    "kids-clothing-baby-clothing": ("260018", 2070, 1195),
    "kids-clothing-girls-clothing": ("11462", 2108, 1196),
    "kids-clothing-boys-clothing": ("11452", 2085, 1197),
    "kids-clothing-outerwear": ("51581", 2110, 1198),
    "kids-clothing-sleepwear": ("51582", 2121, 1199),
    "kids-shoes-baby-shoes": ("147285", 1441, 1256),
    "kids-shoes-girls-shoes": ("57974", 1444, 1257),
    "kids-shoes-boys-shoes": ("57929", 1444, 1258),
    "kids-accessories-bags-and-backpacks": ("57882", 135, 1259),
    "kids-accessories-hats-and-caps": ("57884", 199, 1260),
    "kids-accessories-hair-accessories": ("45220", 187, 1261),
}
ETSY_NOTE = "not listed on Etsy: no vintage, handmade or supply market for it"
# eBay's "Size Type" aspect (required in its women's and men's apparel categories).
SIZE_TYPES = ["Regular", "Petite", "Plus", "Tall", "Big & Tall", "Maternity", "Juniors"]


def slugify(name: str) -> str:
    return name.lower().replace(" & ", "-and-").replace(" ", "-")


def mapping_rows(leaf_ids: dict[str, int]) -> list[dict]:
    rows: list[dict] = []
    for slug, (ebay, etsy, vinted) in LEAVES.items():
        category_id = leaf_ids[slug]
        rows.extend(
            {"category_id": category_id, "marketplace": "ebay", "site": site, "external_id": ebay, "note": None}
            for site in EBAY_SITES
        )
        rows.append(
            {
                "category_id": category_id,
                "marketplace": "etsy",
                "site": "",
                "external_id": None if etsy is None else str(etsy),
                "note": ETSY_NOTE if etsy is None else None,
            }
        )
        rows.append(
            {"category_id": category_id, "marketplace": "vinted", "site": "", "external_id": str(vinted), "note": None}
        )
    return rows


def upgrade() -> None:
    mappings = op.create_table(
        "category_marketplace_ids",
        sa.Column("category_id", sa.Integer, nullable=False),
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("site", sa.String(16), server_default="", nullable=False),
        sa.Column("external_id", sa.String(32)),
        sa.Column("note", sa.String(200)),
        sa.ForeignKeyConstraint(
            ["category_id"],
            [f"{S}.categories.id"],
            name="fk_category_marketplace_ids_category_id_categories",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("category_id", "marketplace", "site", name="pk_category_marketplace_ids"),
        schema=S,
    )
    size_types = op.create_table(
        "size_types",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("sort_order", sa.SmallInteger, server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_size_types"),
        sa.UniqueConstraint("slug", name="uq_size_types_slug"),
        schema=S,
    )
    op.create_table(
        "marketplace_category_trees",
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("tree_id", sa.String(16), nullable=False),
        sa.Column("tree_version", sa.String(32), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("marketplace", "site", name="pk_marketplace_category_trees"),
        schema=S,
    )
    op.create_table(
        "marketplace_requirements",
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("tree_id", sa.String(16), nullable=False),
        sa.Column("category_id", sa.String(32), nullable=False),
        sa.Column("tree_version", sa.String(32), nullable=False),
        sa.Column("known", sa.Boolean, server_default=sa.true(), nullable=False),
        sa.Column("aspects", postgresql.JSONB, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("conditions", postgresql.JSONB, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("marketplace", "tree_id", "category_id", name="pk_marketplace_requirements"),
        schema=S,
    )
    categories = sa.table("categories", sa.column("id"), sa.column("slug"), schema=S)
    leaf_ids = dict(op.get_bind().execute(sa.select(categories.c.slug, categories.c.id)).all())
    op.bulk_insert(mappings, mapping_rows(leaf_ids))
    op.bulk_insert(
        size_types,
        [{"id": i, "slug": slugify(n), "name": n, "sort_order": i} for i, n in enumerate(SIZE_TYPES, 1)],
    )


def downgrade() -> None:
    for name in ("marketplace_requirements", "marketplace_category_trees", "size_types", "category_marketplace_ids"):
        op.drop_table(name, schema=S)
