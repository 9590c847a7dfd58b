"""Access tokens for one tenant's connection, refreshed before expiry under a row lock.

Two workers must never refresh one account at once: Etsy rotates the refresh token on every
refresh, so the loser of a race would send a token that was just invalidated and the connection
would be lost. The refresh therefore runs inside SELECT ... FOR UPDATE on the credentials row:
the second worker waits, then finds a fresh token and uses it without calling the marketplace.
This is the one place a transaction is held across a network call, bounded by the HTTP timeouts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.marketplaces.common import crypto
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.repositories import marketplace_accounts as accounts

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]
Clock = Callable[[], datetime]


@dataclass
class TokenSet:
    access_token: str
    expires_in: int
    refresh_token: str | None = None
    refresh_expires_in: int | None = None
    scope: str | None = None

    def __repr__(self) -> str:  # never print a token, even in a traceback's locals
        return f"TokenSet(expires_in={self.expires_in}, refresh_expires_in={self.refresh_expires_in})"


class OAuthApp(Protocol):
    marketplace: str

    def refresh(self, refresh_token: str) -> TokenSet: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


def token_columns(tokens: TokenSet, now: datetime, *, previous_refresh_enc: str | None = None) -> dict[str, object]:
    """The credentials columns for a new token set: encrypted, with their expiry instants.

    A refresh without a new refresh token (eBay) keeps the old one, re-encrypted with the current
    key so key rotation completes with the refresh cycle."""
    values: dict[str, object] = {
        "access_token_enc": crypto.encrypt(tokens.access_token),
        "access_expires_at": now + timedelta(seconds=tokens.expires_in),
        "refreshed_at": now,
        "last_error": None,
    }
    if tokens.refresh_token:
        values["refresh_token_enc"] = crypto.encrypt(tokens.refresh_token)
        if tokens.refresh_expires_in:
            values["refresh_expires_at"] = now + timedelta(seconds=tokens.refresh_expires_in)
    elif previous_refresh_enc:
        values["refresh_token_enc"] = crypto.rotate(previous_refresh_enc)
    if tokens.scope:
        values["scopes"] = tokens.scope
    return values


def not_connected(marketplace: str, why: str = "not connected") -> MarketplaceApiError:
    return MarketplaceApiError(
        marketplace, f"{marketplace} is {why}; connect it again", kind="permanent", code="not_connected"
    )


class AccountTokens:
    """The access token of one tenant's account on one marketplace."""

    def __init__(
        self,
        marketplace: str,
        app: OAuthApp,
        session_factory: SessionFactory,
        *,
        margin_s: int | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.marketplace = marketplace
        self.app = app
        self.sessions = session_factory
        from stoflow.marketplaces import registry

        found = registry.get(marketplace)
        assert found is not None and found.oauth, marketplace
        self.model = found.load("connector").model
        self.refreshed_on_use = found.refresh_on_use
        self.margin = timedelta(seconds=get_settings().marketplace_refresh_margin_s if margin_s is None else margin_s)
        self.clock = clock
        self._token: str | None = None
        self._expires_at: datetime | None = None

    def _fresh(self, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at - self.margin > self.clock()

    def get(self) -> str:
        if self._token is not None and self._fresh(self._expires_at):
            return self._token
        with self.sessions() as session:
            row = accounts.get(session, self.model)
            if row is None or row.status != "connected" or row.access_token_enc is None:
                raise not_connected(self.marketplace, "not connected" if row is None else row.status.replace("_", " "))
            if self._fresh(row.access_expires_at):
                self._token, self._expires_at = crypto.decrypt(row.access_token_enc), row.access_expires_at
                return self._token
        return self.refresh()

    def refresh(self, *, force: bool = False, renew_before: datetime | None = None) -> str:
        """Refresh under the row lock. `force`: the marketplace refused our token (401) although
        it looked fresh; refresh unless another worker already replaced that very token.
        `renew_before`: refresh, fresh access token or not, if the refresh token expires before
        then (keeping it alive where access tokens are refreshed only on use)."""
        rejected = self._token if force else None
        failure: MarketplaceApiError | None = None
        with self.sessions() as session:
            row = accounts.get(session, self.model, lock=True)
            if row is None or row.status != "connected" or row.refresh_token_enc is None:
                raise not_connected(self.marketplace)
            current = crypto.decrypt(row.access_token_enc) if row.access_token_enc else None
            ends = row.refresh_expires_at
            lapsing = renew_before is not None and ends is not None and ends < renew_before
            fresh = current is not None and self._fresh(row.access_expires_at)
            if fresh and not lapsing and (not force or current != rejected):
                assert current is not None
                self._token, self._expires_at = current, row.access_expires_at
                return current
            now = self.clock()
            try:
                if row.refresh_expires_at is not None and row.refresh_expires_at <= now:
                    raise MarketplaceApiError(
                        self.marketplace, "refresh token expired", kind="permanent", code="refresh_token_expired"
                    )
                tokens = self.app.refresh(crypto.decrypt(row.refresh_token_enc))
            except MarketplaceApiError as exc:
                if exc.kind != "permanent":
                    raise
                # invalid_grant, an expired refresh token: the user must connect again. Recorded
                # (committed with this transaction) below.
                row.status = "needs_reauth"
                row.last_error = f"token refresh refused: {exc.code}"
                failure = exc
            else:
                for column, value in token_columns(tokens, now, previous_refresh_enc=row.refresh_token_enc).items():
                    setattr(row, column, value)
                accounts.tokens_written(
                    session, row.access_expires_at, row.refresh_expires_at, on_use=self.refreshed_on_use
                )
                self._token, self._expires_at = tokens.access_token, row.access_expires_at
                log.info("%s token refreshed; valid until %s", self.marketplace, row.access_expires_at.isoformat())
        if failure is not None:
            log.warning("%s refresh refused (%s); connection needs re-authorisation", self.marketplace, failure.code)
            raise not_connected(self.marketplace, "no longer authorised") from None
        assert self._token is not None
        return self._token


def call_with_token(tokens: AccountTokens, call: Callable[[str], object]) -> object:
    """Run `call(access_token)`; on a 401 refresh once (forced) and run it again."""
    try:
        return call(tokens.get())
    except MarketplaceApiError as exc:
        if exc.status != 401:
            raise
    return call(tokens.refresh(force=True))


class StaticTokens(AccountTokens):
    """A token just obtained (the OAuth callback), before any row holds it."""

    def __init__(self, marketplace: str, access_token: str) -> None:
        self.marketplace = marketplace
        self._token = access_token

    def get(self) -> str:
        assert self._token is not None
        return self._token

    def refresh(self, *, force: bool = False) -> str:
        raise not_connected(self.marketplace, "refusing the token it just issued")
