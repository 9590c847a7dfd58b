"""legacy products.images JSONB -> product_images (last image = label), then drop the column

Revision ID: t0004
Revises: t0003
Create Date: 2026-11-22

The old system kept photos as a JSONB list ([{"url", "order", "created_at"}, ...]) and could not
mark the internal price-label photo; its convention was that the label is the last photo. Here:

- one INSERT ... SELECT per schema (a bulk insert computed by the server, no row-by-row traffic),
  inside the schema's own migration transaction (stoflow.db.migrations: one per tenant schema);
- idempotent: products that already have image rows are skipped, so a re-run inserts nothing twice;
- counted: images in the lists before == rows inserted, or the schema's transaction is rolled back;
- the position is the index in the list (the order the old converters published in) and the last
  element is the label; each row keeps its JSONB element in legacy_source so the downgrade puts the
  list back exactly. `stoflow images audit` lists the products whose guess is doubtful.

Only Core constructs: the runner translates the placeholder schema `tenant` per tenant schema.
"""

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stoflow.db.migrations import tenant_schema

revision = "t0004"
down_revision = "t0003"
branch_labels = None
depends_on = None

log = logging.getLogger("stoflow.migrations.images")


def _tables() -> tuple[sa.TableClause, sa.TableClause]:
    """The two tables as this revision knows them (never the models, which move on)."""
    schema = tenant_schema()
    products = sa.table(
        "products", sa.column("id", sa.BigInteger), sa.column("images", postgresql.JSONB), schema=schema
    )
    images = sa.table(
        "product_images",
        sa.column("id", sa.BigInteger),
        sa.column("product_id", sa.BigInteger),
        sa.column("status", sa.String),
        sa.column("storage_key", sa.String),
        sa.column("url", sa.Text),
        sa.column("position", sa.Integer),
        sa.column("is_label", sa.Boolean),
        sa.column("legacy_source", postgresql.JSONB),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        schema=schema,
    )
    return products, images


class ImageMigrationCountMismatch(RuntimeError):
    pass


def _report(message: str, moved: int) -> None:
    # Printed as well as logged (the CLI and the migrator function show stdout, not INFO logs),
    # for schemas that had something to move: a fan-out over 1,000 empty schemas stays readable.
    log.info(message)
    if moved:
        print(message, flush=True)


def legacy_image_count(connection: sa.Connection, products: sa.TableClause) -> int:
    total = sa.func.coalesce(sa.func.sum(sa.func.jsonb_array_length(products.c.images)), 0)
    return int(connection.scalar(sa.select(total).where(sa.func.jsonb_typeof(products.c.images) == "array")))


def upgrade() -> None:
    connection = op.get_bind()
    schema = tenant_schema()
    products, images = _tables()
    not_lists = connection.scalar(
        sa.select(sa.func.count()).select_from(products).where(sa.func.jsonb_typeof(products.c.images) != "array")
    )
    if not_lists:
        # Dropping the column would lose them: refuse, the schema's transaction rolls back.
        raise ImageMigrationCountMismatch(f"{schema}: {not_lists} products have an images value that is not a list")
    before = legacy_image_count(connection, products)

    element = (
        sa.func.jsonb_array_elements(products.c.images)
        .table_valued(sa.column("value", postgresql.JSONB), with_ordinality="ordinality")
        .lateral("element")
    )
    value = element.c.value
    is_string = sa.func.jsonb_typeof(value) == "string"
    url = sa.case((is_string, value.op("#>>")(sa.literal_column("'{}'"))), else_=value["url"].astext)
    created_text = value["created_at"].astext
    created_at = sa.case(
        (
            sa.and_(sa.not_(is_string), created_text.op("~")(r"^\d{4}-\d{2}-\d{2}")),
            sa.cast(created_text, sa.DateTime(timezone=True)),
        ),
        else_=sa.func.now(),
    )
    already = sa.exists(sa.select(images.c.id).where(images.c.product_id == products.c.id))
    rows = (
        sa.select(
            products.c.id,
            sa.literal("ready"),
            url,
            element.c.ordinality - 1,
            element.c.ordinality == sa.func.jsonb_array_length(products.c.images),
            value,
            created_at,
            created_at,
        )
        .select_from(products)
        .join(element, sa.true())
        .where(sa.not_(already))
    )
    inserted = connection.execute(
        images.insert().from_select(
            ["product_id", "status", "url", "position", "is_label", "legacy_source", "created_at", "updated_at"],
            rows,
        )
    ).rowcount
    after = connection.scalar(sa.select(sa.func.count()).select_from(images).where(images.c.legacy_source.is_not(None)))
    labels = connection.scalar(sa.select(sa.func.count()).select_from(images).where(images.c.is_label))
    if after != before:
        raise ImageMigrationCountMismatch(
            f"{schema}: {before} images in products.images but {after} migrated rows ({inserted} inserted now)"
        )
    _report(
        f"t0004 {schema}: {before} legacy images -> {after} product_images rows "
        f"({inserted} inserted now), {labels} labels",
        before,
    )
    op.drop_column("products", "images", schema=tenant_schema())


def downgrade() -> None:
    connection = op.get_bind()
    schema = tenant_schema()
    products, images = _tables()
    op.add_column(
        "products",
        sa.Column("images", postgresql.JSONB, server_default=sa.text("'[]'"), nullable=False),
        schema=tenant_schema(),
    )
    # Migrated rows give back their element verbatim; images added since get the legacy shape.
    element = sa.func.coalesce(
        images.c.legacy_source,
        sa.func.jsonb_strip_nulls(
            sa.func.jsonb_build_object(
                "url",
                images.c.url,
                "key",
                images.c.storage_key,
                "order",
                images.c.position,
                "created_at",
                images.c.created_at,
            )
        ),
    )
    ready = sa.and_(images.c.product_id == products.c.id, images.c.status == "ready")
    listed = (
        sa.select(
            sa.func.coalesce(
                sa.func.jsonb_agg(postgresql.aggregate_order_by(element, images.c.position)),
                sa.cast(sa.literal("[]"), postgresql.JSONB),
            )
        )
        .where(ready)
        .scalar_subquery()
    )
    connection.execute(products.update().where(sa.exists(sa.select(images.c.id).where(ready))).values(images=listed))
    rows = connection.scalar(sa.select(sa.func.count()).select_from(images).where(images.c.status == "ready"))
    restored = legacy_image_count(connection, products)
    if rows != restored:
        raise ImageMigrationCountMismatch(f"{schema}: {rows} image rows but {restored} restored list entries")
    # The list is the truth again at t0003: the table goes back to empty, as t0003 had it.
    connection.execute(images.delete())
    _report(f"t0004 downgrade {schema}: {rows} product_images rows -> products.images", rows)
