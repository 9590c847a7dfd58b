"""product_attributes catalogues and their seed data

Revision ID: s0003
Revises: s0002
Create Date: 2026-11-22

Ids are explicit and frozen here: tenant products store them, so they must be the same in every
environment. Changing a catalogue later is a new revision, never an edit of this one.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None

S = "product_attributes"


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower().replace("&", " and ")).strip("-")


BRANDS = [
    "Zara",
    "H&M",
    "Mango",
    "Uniqlo",
    "Gap",
    "Primark",
    "Shein",
    "Kiabi",
    "Pull&Bear",
    "Bershka",
    "Stradivarius",
    "Massimo Dutti",
    "COS",
    "& Other Stories",
    "Arket",
    "Weekday",
    "Monki",
    "ASOS",
    "Boohoo",
    "PrettyLittleThing",
    "Urban Outfitters",
    "Free People",
    "Promod",
    "Camaïeu",
    "Naf Naf",
    "Jennyfer",
    "Pimkie",
    "Etam",
    "Morgan",
    "Cache Cache",
    "Bonobo",
    "Celio",
    "Jules",
    "Brice",
    "Desigual",
    "Esprit",
    "Benetton",
    "s.Oliver",
    "Tom Tailor",
    "Marc O'Polo",
    "Only",
    "Vero Moda",
    "Jack & Jones",
    "Selected",
    "Vila",
    "Object",
    "Scotch & Soda",
    "Superdry",
    "Abercrombie & Fitch",
    "Hollister",
    "American Eagle",
    "Levi's",
    "Wrangler",
    "Lee",
    "Pepe Jeans",
    "Diesel",
    "G-Star RAW",
    "Replay",
    "Nudie Jeans",
    "Closed",
    "Acne Studios",
    "Ganni",
    "Sandro",
    "Maje",
    "Claudie Pierlot",
    "The Kooples",
    "Ba&sh",
    "Sézane",
    "Rouje",
    "Zadig & Voltaire",
    "Isabel Marant",
    "A.P.C.",
    "Ami Paris",
    "Kenzo",
    "Jacquemus",
    "Comptoir des Cotonniers",
    "Gérard Darel",
    "Max Mara",
    "Ralph Lauren",
    "Lacoste",
    "Tommy Hilfiger",
    "Calvin Klein",
    "Hugo Boss",
    "Armani",
    "Guess",
    "Michael Kors",
    "Fred Perry",
    "Lyle & Scott",
    "Ben Sherman",
    "Barbour",
    "Schott NYC",
    "The North Face",
    "Patagonia",
    "Columbia",
    "Napapijri",
    "Moncler",
    "Stone Island",
    "C.P. Company",
    "Canada Goose",
    "Carhartt",
    "Dickies",
    "Stüssy",
    "Supreme",
    "Champion",
    "Nike",
    "Adidas",
    "Puma",
    "Reebok",
    "New Balance",
    "Asics",
    "Converse",
    "Vans",
    "Fila",
    "Kappa",
    "Le Coq Sportif",
    "Sergio Tacchini",
    "Ellesse",
    "Umbro",
    "Salomon",
    "Quiksilver",
    "Billabong",
    "Roxy",
    "Rip Curl",
    "Oxbow",
    "Decathlon",
    "Dr. Martens",
    "Timberland",
    "Birkenstock",
    "UGG",
    "Clarks",
    "Kickers",
    "Veja",
    "Geox",
    "Minelli",
    "San Marina",
    "Jonak",
    "Bocage",
    "Repetto",
    "Bensimon",
    "Gucci",
    "Prada",
    "Miu Miu",
    "Louis Vuitton",
    "Chanel",
    "Hermès",
    "Dior",
    "Saint Laurent",
    "Balenciaga",
    "Burberry",
    "Givenchy",
    "Valentino",
    "Fendi",
    "Versace",
    "Céline",
    "Loewe",
    "Bottega Veneta",
    "Chloé",
    "Longchamp",
    "Lancel",
    "Le Tanneur",
    "Furla",
    "Coach",
    "Kate Spade",
    "Eastpak",
    "Ray-Ban",
    "Fossil",
    "Swatch",
    "Pandora",
    "Petit Bateau",
    "Jacadi",
    "Cyrillus",
    "Bonpoint",
    "Okaïdi",
    "Vertbaudet",
    "Catimini",
    "IKKS",
    "Tape à l'œil",
    "Du Pareil au Même",
]

# department > family > types
CATEGORY_TREE = {
    "Women": {
        "Clothing": [
            "Dresses",
            "Tops & T-shirts",
            "Shirts & Blouses",
            "Jumpers & Cardigans",
            "Coats & Jackets",
            "Jeans",
            "Trousers",
            "Skirts",
            "Shorts",
            "Jumpsuits",
            "Suits & Blazers",
            "Activewear",
            "Swimwear",
            "Lingerie & Nightwear",
        ],
        "Shoes": [
            "Trainers",
            "Boots",
            "Ankle boots",
            "Heels",
            "Flats & Ballerinas",
            "Sandals",
            "Loafers & Moccasins",
            "Espadrilles",
        ],
        "Accessories": [
            "Handbags",
            "Backpacks",
            "Wallets & Purses",
            "Belts",
            "Scarves",
            "Hats & Caps",
            "Jewellery",
            "Watches",
            "Sunglasses",
            "Gloves",
        ],
    },
    "Men": {
        "Clothing": [
            "T-shirts & Polos",
            "Shirts",
            "Jumpers & Cardigans",
            "Sweatshirts & Hoodies",
            "Coats & Jackets",
            "Jeans",
            "Trousers",
            "Shorts",
            "Suits & Blazers",
            "Activewear",
            "Swimwear",
            "Underwear & Socks",
        ],
        "Shoes": ["Trainers", "Boots", "Formal shoes", "Loafers & Moccasins", "Sandals"],
        "Accessories": [
            "Bags",
            "Backpacks",
            "Wallets",
            "Belts",
            "Ties & Bow ties",
            "Hats & Caps",
            "Scarves",
            "Watches",
            "Sunglasses",
            "Jewellery",
        ],
    },
    "Kids": {
        "Clothing": ["Baby clothing", "Girls' clothing", "Boys' clothing", "Outerwear", "Sleepwear"],
        "Shoes": ["Baby shoes", "Girls' shoes", "Boys' shoes"],
        "Accessories": ["Bags & Backpacks", "Hats & Caps", "Hair accessories"],
    },
}

COLORS = [
    ("Black", "#000000"),
    ("White", "#FFFFFF"),
    ("Grey", "#808080"),
    ("Beige", "#F5F5DC"),
    ("Ecru", "#F3EFE0"),
    ("Cream", "#FFFDD0"),
    ("Brown", "#6F4E37"),
    ("Camel", "#C19A6B"),
    ("Navy", "#1F2A44"),
    ("Blue", "#1E5AA8"),
    ("Light blue", "#9CC3E6"),
    ("Turquoise", "#30D5C8"),
    ("Green", "#2E8B57"),
    ("Khaki", "#8F8B66"),
    ("Olive", "#708238"),
    ("Mint", "#98FF98"),
    ("Yellow", "#F5D033"),
    ("Mustard", "#D4A017"),
    ("Orange", "#F28C28"),
    ("Coral", "#FF7F50"),
    ("Red", "#C0392B"),
    ("Burgundy", "#800020"),
    ("Pink", "#F4A6C0"),
    ("Fuchsia", "#D6337F"),
    ("Purple", "#6A0DAD"),
    ("Lilac", "#C8A2C8"),
    ("Gold", "#D4AF37"),
    ("Silver", "#C0C0C0"),
    ("Multicolour", None),
]

# (slug, name, description, Vinted status id, eBay ConditionEnum, eBay condition id)
# eBay's apparel categories use NEW / NEW_OTHER / NEW_WITH_DEFECTS / PRE_OWNED_EXCELLENT /
# USED_EXCELLENT (shown as "Pre-owned - Good") / PRE_OWNED_FAIR.
CONDITIONS = [
    ("new_with_tags", "New with tags", "Never worn, original tags attached", 6, "NEW", 1000),
    ("new_without_tags", "New without tags", "Never worn, tags removed", 1, "NEW_OTHER", 1500),
    ("new_with_defects", "New with defects", "Never worn, with a small flaw described", 1, "NEW_WITH_DEFECTS", 1750),
    ("very_good", "Very good", "Worn a few times, no visible signs of wear", 2, "PRE_OWNED_EXCELLENT", 2990),
    ("good", "Good", "Worn, light signs of wear", 3, "USED_EXCELLENT", 3000),
    ("satisfactory", "Satisfactory", "Worn often, visible wear or flaws described", 4, "PRE_OWNED_FAIR", 3010),
]

SIZE_SYSTEMS = {
    "letter": ["XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL"],
    "eu": [str(n) for n in range(32, 58, 2)],
    "uk": [str(n) for n in range(4, 26, 2)],
    "us": [str(n) for n in range(0, 22, 2)],
    "waist": [f"W{n}" for n in range(24, 41)],
    "shoe_eu": [f"{n / 2:g}" for n in range(70, 97)],
    "shoe_uk": [f"{n / 2:g}" for n in range(4, 29)],
    "shoe_us": [f"{n / 2:g}" for n in range(8, 31)],
    "kids": [
        "0-1 M",
        "3 M",
        "6 M",
        "9 M",
        "12 M",
        "18 M",
        "2 Y",
        "3 Y",
        "4 Y",
        "5 Y",
        "6 Y",
        "8 Y",
        "10 Y",
        "12 Y",
        "14 Y",
        "16 Y",
    ],
    "one_size": ["One size"],
}

MATERIALS = [
    "Cotton",
    "Organic cotton",
    "Linen",
    "Wool",
    "Merino wool",
    "Cashmere",
    "Alpaca",
    "Mohair",
    "Silk",
    "Viscose",
    "Lyocell",
    "Modal",
    "Polyester",
    "Recycled polyester",
    "Polyamide",
    "Elastane",
    "Acrylic",
    "Denim",
    "Leather",
    "Faux leather",
    "Suede",
    "Nubuck",
    "Fleece",
    "Down",
    "Velvet",
    "Corduroy",
    "Lace",
    "Satin",
    "Tweed",
    "Jersey",
    "Canvas",
    "Rubber",
    "Mesh",
    "Sequins",
    "Hemp",
    "Metal",
    "Gold",
    "Silver",
    "Plastic",
    "Straw",
]
GENDERS = ["Women", "Men", "Unisex", "Girls", "Boys", "Baby"]
SEASONS = ["Spring", "Summer", "Autumn", "Winter", "All seasons"]
PATTERNS = [
    "Plain",
    "Striped",
    "Checked",
    "Floral",
    "Polka dot",
    "Animal print",
    "Leopard",
    "Camouflage",
    "Geometric",
    "Paisley",
    "Tie-dye",
    "Graphic print",
    "Logo",
    "Houndstooth",
    "Herringbone",
    "Abstract",
    "Embroidered",
    "Colour block",
    "Tropical",
]


def _named_rows(names: list[str]) -> list[dict]:
    return [{"id": i, "slug": slugify(n), "name": n, "sort_order": i} for i, n in enumerate(names, 1)]


def category_rows() -> list[dict]:
    rows: list[dict] = []
    for department, families in CATEGORY_TREE.items():
        dep_id = len(rows) + 1
        rows.append(
            {"id": dep_id, "parent_id": None, "slug": slugify(department), "name": department, "sort_order": dep_id}
        )
        for family, types in families.items():
            fam_id = len(rows) + 1
            fam_slug = f"{slugify(department)}-{slugify(family)}"
            rows.append({"id": fam_id, "parent_id": dep_id, "slug": fam_slug, "name": family, "sort_order": fam_id})
            for name in types:
                row_id = len(rows) + 1
                rows.append(
                    {
                        "id": row_id,
                        "parent_id": fam_id,
                        "slug": f"{fam_slug}-{slugify(name)}",
                        "name": name,
                        "sort_order": row_id,
                    }
                )
    return rows


def size_rows() -> list[dict]:
    rows: list[dict] = []
    for system, labels in SIZE_SYSTEMS.items():
        for label in labels:
            rows.append({"id": len(rows) + 1, "system": system, "label": label, "sort_order": len(rows) + 1})
    return rows


def _named_table(name: str, *extra: sa.Column) -> sa.Table:
    return op.create_table(
        name,
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("sort_order", sa.SmallInteger, server_default="0", nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.UniqueConstraint("slug", name=f"uq_{name}_slug"),
        schema=S,
    )


def upgrade() -> None:
    categories = _named_table(
        "categories",
        sa.Column("parent_id", sa.Integer),
        sa.ForeignKeyConstraint(
            ["parent_id"], [f"{S}.categories.id"], name="fk_categories_parent_id_categories", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_categories_parent_id", "categories", ["parent_id"], schema=S)
    colors = _named_table("colors", sa.Column("hex", sa.String(7)))
    conditions = _named_table(
        "conditions",
        sa.Column("description", sa.String(300)),
        sa.Column("vinted_status_id", sa.Integer),
        sa.Column("ebay_condition", sa.String(40)),
        sa.Column("ebay_condition_id", sa.Integer),
    )
    sizes = op.create_table(
        "sizes",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("system", sa.String(16), nullable=False),
        sa.Column("label", sa.String(20), nullable=False),
        sa.Column("sort_order", sa.SmallInteger, server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sizes"),
        sa.UniqueConstraint("system", "label", name="uq_sizes_system_label"),
        schema=S,
    )
    materials = _named_table("materials")
    genders = _named_table("genders")
    seasons = _named_table("seasons")
    patterns = _named_table("patterns")

    brands = sa.table("brands", sa.column("id"), sa.column("name"), sa.column("slug"), schema=S)
    op.bulk_insert(brands, [{"id": i, "name": n, "slug": slugify(n)} for i, n in enumerate(BRANDS, 1)])
    # brands.id is a serial: move its sequence past the seeded ids so a later insert cannot collide.
    op.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{S}.brands', 'id'), {len(BRANDS)})"))
    op.bulk_insert(categories, category_rows())
    op.bulk_insert(
        colors,
        [{"id": i, "slug": slugify(n), "name": n, "sort_order": i, "hex": h} for i, (n, h) in enumerate(COLORS, 1)],
    )
    op.bulk_insert(
        conditions,
        [
            {
                "id": i,
                "slug": slug,
                "name": name,
                "sort_order": i,
                "description": text,
                "vinted_status_id": vinted,
                "ebay_condition": ebay,
                "ebay_condition_id": ebay_id,
            }
            for i, (slug, name, text, vinted, ebay, ebay_id) in enumerate(CONDITIONS, 1)
        ],
    )
    op.bulk_insert(sizes, size_rows())
    op.bulk_insert(materials, _named_rows(MATERIALS))
    op.bulk_insert(genders, _named_rows(GENDERS))
    op.bulk_insert(seasons, _named_rows(SEASONS))
    op.bulk_insert(patterns, _named_rows(PATTERNS))


def downgrade() -> None:
    for name in ("patterns", "seasons", "genders", "materials", "sizes", "conditions", "colors"):
        op.drop_table(name, schema=S)
    op.drop_index("ix_categories_parent_id", table_name="categories", schema=S)
    op.drop_table("categories", schema=S)
    brands = sa.table("brands", sa.column("id"), schema=S)
    op.execute(brands.delete().where(brands.c.id <= len(BRANDS)))
