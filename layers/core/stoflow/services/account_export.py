"""Account export: the seller's products, images, listings and orders as one ZIP archive
(`export.json` with everything, one CSV per kind), stored under exports/ and handed out as a
presigned download link that expires.

Read in one tenant transaction (REPEATABLE READ is not needed: each kind is one statement, and
an export taken while jobs run is as true as any snapshot of a moving catalogue).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.auth import clock
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session, tenant_session

__all__ = ["KINDS", "Export", "build_archive", "export_account", "read_account"]

KINDS = ("products", "images", "listings", "orders")
_ORDER_PAGE = 500


@dataclass(frozen=True)
class Export:
    url: str
    expires_at: datetime
    size_bytes: int
    files: list[tuple[str, int]]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _rows(session: Session, statement: Any) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in session.execute(statement)]


def read_account(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every kind of the tenant's data, as JSON-ready dictionaries (one statement per kind)."""
    from stoflow.models.images import ProductImage
    from stoflow.models.listings import MarketplaceListing
    from stoflow.models.products import Product
    from stoflow.repositories.marketplace_orders import OrderFilters
    from stoflow.services.marketplace_orders import list_orders
    from stoflow.storage.images import ImageStore

    products = _rows(session, select(*Product.__table__.columns).order_by(Product.id))
    image_columns = [c for c in ProductImage.__table__.columns if c.key != "legacy_source"]
    images = _rows(session, select(*image_columns).order_by(ProductImage.product_id, ProductImage.position))
    store = ImageStore()
    for image in images:
        # A link to the file itself, valid as long as the archive's own link.
        image["download_url"] = store.url(image["storage_key"]) if image.get("storage_key") else image.get("url")
    listings = _rows(
        session,
        select(*MarketplaceListing.__table__.columns).order_by(MarketplaceListing.product_id, MarketplaceListing.id),
    )
    orders: list[dict[str, Any]] = []
    filters = OrderFilters()
    while True:
        page, total = list_orders(session, filters, _ORDER_PAGE, len(orders))
        orders.extend({key: _plain(value) for key, value in row._mapping.items()} for row in page)
        if not page or len(orders) >= total:
            break
    return {"products": products, "images": images, "listings": listings, "orders": orders}


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns: list[str] = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        # Lists and objects (colours, measurements, order lines) as JSON inside their cell.
        writer.writerow(
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v for k, v in row.items()}
        )
    return out.getvalue()


def build_archive(
    account: dict[str, Any], data: dict[str, list[dict[str, Any]]]
) -> tuple[bytes, list[tuple[str, int]]]:
    """The ZIP archive and its files with their row counts."""
    buffer = io.BytesIO()
    files: list[tuple[str, int]] = []
    document = {"account": account, **data}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", json.dumps(document, ensure_ascii=False, indent=2, default=str))
        files.append(("export.json", sum(len(rows) for rows in data.values())))
        for kind in KINDS:
            archive.writestr(f"{kind}.csv", _csv(data[kind]))
            files.append((f"{kind}.csv", len(data[kind])))
    return buffer.getvalue(), files


def export_account(user_id: int, tenant_id: int) -> Export:
    from stoflow.services.accounts import profile
    from stoflow.storage.account_files import export_key, put_export

    with shared_session() as session:
        me = profile(session, user_id)
    now = clock.now()
    with tenant_session(tenant_id) as session:
        data = read_account(session)
    account = {"id": me.id, "email": me.email, "created_at": me.created_at.isoformat(), "exported_at": now.isoformat()}
    archive, files = build_archive(account, data)
    filename = f"stoflow-export-{now:%Y%m%d-%H%M%S}.zip"
    url = put_export(export_key(tenant_id, f"{uuid.uuid4().hex}.zip"), archive, filename)
    expires_at = now + timedelta(seconds=get_settings().account_export_url_ttl_s)
    return Export(url=url, expires_at=expires_at, size_bytes=len(archive), files=files)
