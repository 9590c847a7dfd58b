"""Shared catalogues in the `product_attributes` schema (reference tables under Citus).

They change only by migration (s0003 seeds them), so ids are explicit and stable across
environments: tenant products store them, and the dashboard may cache the lists.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import CATALOG, Base


class Brand(Base):
    __tablename__ = "brands"
    __table_args__ = {"schema": CATALOG}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    slug: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)


class _Named:
    """The shape every small catalogue shares: a stable id, a slug for code, a name for people."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    sort_order: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")


class Category(_Named, Base):
    """A tree: department (women, men, kids) > family (clothing, shoes, accessories) > type."""

    __tablename__ = "categories"
    __table_args__ = {"schema": CATALOG}

    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("product_attributes.categories.id", ondelete="RESTRICT"), index=True
    )


class Color(_Named, Base):
    __tablename__ = "colors"
    __table_args__ = {"schema": CATALOG}

    hex: Mapped[str | None] = mapped_column(String(7))


class Condition(_Named, Base):
    """Item condition with what each marketplace calls it (Vinted status id, eBay ConditionEnum)."""

    __tablename__ = "conditions"
    __table_args__ = {"schema": CATALOG}

    description: Mapped[str | None] = mapped_column(String(300))
    vinted_status_id: Mapped[int | None] = mapped_column(Integer)
    ebay_condition: Mapped[str | None] = mapped_column(String(40))
    ebay_condition_id: Mapped[int | None] = mapped_column(Integer)


class Size(Base):
    """Sizes per system (letter, EU, UK, US for clothing; EU/UK/US for shoes; one size)."""

    __tablename__ = "sizes"
    __table_args__ = (UniqueConstraint("system", "label"), {"schema": CATALOG})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    system: Mapped[str] = mapped_column(String(16), nullable=False)
    label: Mapped[str] = mapped_column(String(20), nullable=False)
    sort_order: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")


class SizeType(_Named, Base):
    """eBay's "Size Type" (Regular, Petite, Plus, Tall, ...), required in its apparel categories."""

    __tablename__ = "size_types"
    __table_args__ = {"schema": CATALOG}


class CategoryMarketplaceId(Base):
    """Where a node of our category tree goes on a marketplace (s0012 seeds it; migrations keep it).

    `site` is the marketplace's own site where its categories differ by site (eBay's marketplace
    ids), "" otherwise. No `external_id`: deliberately not listed there, `note` says why."""

    __tablename__ = "category_marketplace_ids"
    __table_args__ = {"schema": CATALOG}

    category_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("product_attributes.categories.id", ondelete="CASCADE"), primary_key=True
    )
    marketplace: Mapped[str] = mapped_column(String(16), primary_key=True)
    site: Mapped[str] = mapped_column(String(16), primary_key=True, server_default="")
    external_id: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(200))


class Material(_Named, Base):
    __tablename__ = "materials"
    __table_args__ = {"schema": CATALOG}


class Gender(_Named, Base):
    __tablename__ = "genders"
    __table_args__ = {"schema": CATALOG}


class Season(_Named, Base):
    __tablename__ = "seasons"
    __table_args__ = {"schema": CATALOG}


class Pattern(_Named, Base):
    __tablename__ = "patterns"
    __table_args__ = {"schema": CATALOG}


# The kinds GET /catalog/{kind} serves, in the order the dashboard shows them.
CATALOGS: dict[str, type[Base]] = {
    "brands": Brand,
    "categories": Category,
    "colors": Color,
    "conditions": Condition,
    "sizes": Size,
    "size_types": SizeType,
    "materials": Material,
    "genders": Gender,
    "seasons": Season,
    "patterns": Pattern,
}
