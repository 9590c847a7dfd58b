"""Bodies of the /auth routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from stoflow.api.edge import text
from stoflow.api.schemas.model import ApiModel

# Deliberately loose (one @, a dot in the domain): the verification email is the real check.
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")
]
Password = text(1024, min_length=1)
OpaqueToken = text(256, min_length=16)


class _Body(ApiModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_Body):
    email: Email
    password: Password


class LoginIn(_Body):
    email: Email
    password: Password


class RefreshIn(_Body):
    refresh_token: OpaqueToken


class VerifyEmailIn(_Body):
    token: OpaqueToken


class ResendVerificationIn(_Body):
    email: Email


class TokenOut(ApiModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth 2 token type)
    expires_in: int = Field(description="Seconds until the access token expires")


class QuotaOut(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    tier: str = Field(description="FREE, STARTER, PRO or ENTERPRISE")
    max_products: int | None = Field(description="null: unlimited")
    ai_credits_monthly: int
    ai_credits_used: int
    ai_credits_remaining: int
    period_start: date


class ProfileOut(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: str = Field(description="user, support (read-only) or admin")
    tenant_id: int
    email_verified: bool
    created_at: datetime
    quota: QuotaOut


class JwksOut(ApiModel):
    keys: list[dict[str, str]]


class SessionOut(ApiModel):
    """A signed-in browser or device (one sign-in; refreshing keeps it)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime = Field(description="When the user signed in there.")
    last_used_at: datetime = Field(description="When it last signed in or refreshed its token.")
    current: bool = Field(description="The session that made this request.")


class SessionsOut(ApiModel):
    items: list[SessionOut]
