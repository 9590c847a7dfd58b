"""OAuth authorization requests in flight (public schema): state bound to a user, single use, short-lived.

The callback reaches the API with the caller's bearer token; the state row says which user and
tenant started the request, so a state stolen from one browser is worthless in another account.
Only a hash of the state is stored; the PKCE verifier (Etsy) is stored encrypted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base


class OAuthState(Base):
    __tablename__ = "oauth_states"
    __table_args__ = (Index("ix_oauth_states_expires_at", "expires_at"), {"schema": PUBLIC})

    # SHA-256 (hex) of the state sent to the marketplace.
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)
    tenant_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    code_verifier_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
