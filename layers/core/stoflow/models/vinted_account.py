"""The Vinted connection (tenant schema): the extension lane's state. Apart from the listings,
orders and conversations (stoflow.models.vinted): the connection status reads only this row.

`vinted_connection` is a singleton (id = 1): the Vinted session the extension reported, and the
pacing lane (one command in flight; any command not before `next_command_at`, a write not before
`next_write_at`; the sends counted in the rolling caps; a doubling pause after DataDome / 403 /
429 / captcha that also waits for the seller's resume; stoflow.marketplaces.vinted.pacing). It is
locked FOR UPDATE whenever a command is sent or finished, so two ws or worker invocations never
put two commands in flight for one tenant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps


class VintedConnection(Timestamps, Base):
    __tablename__ = "vinted_connection"
    __table_args__ = (
        CheckConstraint("id = 1", name="singleton"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False, server_default="1")
    vinted_user_id: Mapped[int | None] = mapped_column(BigInteger)
    login: Mapped[str | None] = mapped_column(String(100))
    domain: Mapped[str | None] = mapped_column(String(64))
    # What the extension last said about the Vinted session (None: never told).
    logged_in: Mapped[bool | None] = mapped_column(Boolean)
    session_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_hello_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The command in flight (at most one per tenant).
    inflight_job_id: Mapped[int | None] = mapped_column(BigInteger)
    inflight_attempt: Mapped[int | None] = mapped_column(SmallInteger)
    inflight_command: Mapped[str | None] = mapped_column(String(40))
    inflight_connection_id: Mapped[str | None] = mapped_column(String(128))
    inflight_deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Pacing: the randomised gap, and the doubling pause.
    next_command_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pause_s: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    pause_reason: Mapped[str | None] = mapped_column(String(32))
    last_datadome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Pacing by kind: when the next write may start, and the sends that count in the rolling caps
    # (writes of the last day, reads of the last hour).
    next_write_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    write_log: Mapped[list[datetime]] = mapped_column(
        ARRAY(DateTime(timezone=True)), nullable=False, server_default=text("'{}'")
    )
    read_log: Mapped[list[datetime]] = mapped_column(
        ARRAY(DateTime(timezone=True)), nullable=False, server_default=text("'{}'")
    )
    # A pause lasts until paused_until and until the seller resumes, whichever is later.
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resume_required: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    resumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
