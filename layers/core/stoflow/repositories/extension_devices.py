"""Queries on public.extension_pairing_codes and public.extension_devices (shared schema)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.extension import ExtensionDevice, ExtensionPairingCode
from stoflow.models.sessions import RefreshToken
from stoflow.repositories.due_work import mark_due_for


class BurntCode(NamedTuple):
    id: int
    user_id: int
    tenant_id: int


def add_code(session: Session, code_hash: str, user_id: int, tenant_id: int, expires_at: datetime) -> None:
    session.execute(
        insert(ExtensionPairingCode).values(
            code_hash=code_hash, user_id=user_id, tenant_id=tenant_id, expires_at=expires_at
        )
    )


def burn_code(session: Session, code_hash: str, now: datetime) -> BurntCode | None:
    """Spend an unused, unexpired code in one statement: two racing pairings cannot both win."""
    row = session.execute(
        update(ExtensionPairingCode)
        .where(
            ExtensionPairingCode.code_hash == code_hash,
            ExtensionPairingCode.used_at.is_(None),
            ExtensionPairingCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(ExtensionPairingCode.id, ExtensionPairingCode.user_id, ExtensionPairingCode.tenant_id)
    ).first()
    return BurntCode(*row) if row else None


def link_code(session: Session, code_id: int, device_id: int) -> None:
    session.execute(update(ExtensionPairingCode).where(ExtensionPairingCode.id == code_id).values(device_id=device_id))


def purge_codes(session: Session, before: datetime) -> int:
    result = session.execute(delete(ExtensionPairingCode).where(ExtensionPairingCode.expires_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def add_device(
    session: Session, user_id: int, tenant_id: int, session_id: uuid.UUID, name: str, version: str | None
) -> ExtensionDevice:
    device = ExtensionDevice(user_id=user_id, tenant_id=tenant_id, session_id=session_id, name=name, version=version)
    session.add(device)
    session.flush()
    # A paired extension connects Vinted: its orders are synced from now on (kind "orders").
    mark_due_for(session, tenant_id, "orders", datetime.now(UTC))
    return device


def devices_of(session: Session, user_id: int) -> list[ExtensionDevice]:
    return list(
        session.scalars(
            select(ExtensionDevice)
            .where(ExtensionDevice.user_id == user_id, ExtensionDevice.revoked_at.is_(None))
            .order_by(ExtensionDevice.created_at, ExtensionDevice.id)
        )
    )


def get_device(session: Session, device_id: int, user_id: int, *, for_update: bool = False) -> ExtensionDevice | None:
    stmt = select(ExtensionDevice).where(ExtensionDevice.id == device_id, ExtensionDevice.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def device_for_refresh_token(session: Session, token_hash: str) -> ExtensionDevice | None:
    return session.scalars(
        select(ExtensionDevice)
        .join(RefreshToken, RefreshToken.session_id == ExtensionDevice.session_id)
        .where(RefreshToken.token_hash == token_hash)
    ).first()


def device_for_session(session: Session, session_id: uuid.UUID) -> ExtensionDevice | None:
    return session.scalars(select(ExtensionDevice).where(ExtensionDevice.session_id == session_id)).first()


def touch_device(session: Session, device_id: int, now: datetime, version: str | None = None) -> None:
    values: dict[str, object] = {"last_seen_at": now}
    if version is not None:
        values["version"] = version
    session.execute(update(ExtensionDevice).where(ExtensionDevice.id == device_id).values(**values))
