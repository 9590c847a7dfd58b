"""Shared catalogues in the `product_attributes` schema (reference tables under Citus)."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import CATALOG, Base


class Brand(Base):
    __tablename__ = "brands"
    __table_args__ = {"schema": CATALOG}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    slug: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
