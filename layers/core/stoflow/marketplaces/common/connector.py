"""What every OAuth-connected marketplace account does alike: its status after a change (what
GET /marketplaces reads is stoflow.marketplaces.common.account_status), disconnect (forget the
tokens, keep the row), listing settings, and the errors of a code exchange.

Each OAuth marketplace subclasses `OAuthConnector` with its own `start` (the authorisation URL)
and `complete` (trade the code, store the tokens). Network calls happen outside transactions."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.orm import Session

from stoflow.auth.principal import Principal
from stoflow.errors import (
    InvalidInput,
    MarketplaceNotConnected,
    MarketplaceUnavailable,
    MarketplaceUnreachable,
    OAuthExchangeFailed,
    StoflowError,
)
from stoflow.marketplaces.common.account_status import oauth_status
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.repositories import marketplace_accounts as accounts

CLEARED_TOKENS = {
    "access_token_enc": None,
    "refresh_token_enc": None,
    "access_expires_at": None,
    "refresh_expires_at": None,
}


def api_error(exc: MarketplaceApiError, what: str) -> StoflowError:
    if exc.host is not None:
        return unreachable(exc)
    if exc.kind == "permanent" and exc.status in (400, 401):
        return OAuthExchangeFailed(f"{exc.marketplace} refused the {what} ({exc.code}); start the connection again")
    return MarketplaceUnavailable(f"{exc.marketplace} failed the {what}: {exc.code}")


def unreachable(exc: MarketplaceApiError) -> MarketplaceUnreachable:
    """Nothing came back from the marketplace: say where we tried, and that it is worth retrying."""
    return MarketplaceUnreachable(
        f"{exc.marketplace} cannot be reached at {exc.host} ({exc.code}); try again later, or check the "
        "marketplace's base URL settings",
        host=exc.host,
    )


def check_code(code: str) -> None:
    if not code or len(code) > 2048:
        raise InvalidInput("missing or malformed authorization code", code="invalid_oauth_code")


class OAuthConnector:
    name: ClassVar[str]
    model: ClassVar[Any]  # the credentials table (a singleton row, id = 1)
    settings_fields: ClassVar[frozenset[str]]

    def start(self, principal: Principal) -> dict[str, Any]:
        raise NotImplementedError

    def complete(self, principal: Principal, code: str, state: str) -> dict[str, Any]:
        raise NotImplementedError

    def token_app(self) -> Any:
        """The OAuth app that refreshes this marketplace's tokens (has `.refresh` and `.http`)."""
        raise NotImplementedError

    def account(self, row: Any) -> dict[str, Any]:
        """What this marketplace adds to a connected row's status (account name, settings...)."""
        return {}

    def row(self, session: Session, *, lock: bool = False) -> Any:
        return accounts.get(session, self.model, lock=lock)

    def status(self, row: Any) -> dict[str, Any]:
        return oauth_status(self.name, row, self.account)

    def disconnect(self, session: Session) -> None:
        """Forget the tokens (the row stays: order cursor and listing settings survive a reconnect)."""
        row = self.row(session, lock=True)
        if row is None or row.status == "disconnected":
            raise MarketplaceNotConnected(f"{self.name} is not connected")
        for column, value in CLEARED_TOKENS.items():
            setattr(row, column, value)
        row.status = "disconnected"
        row.last_error = None

    def changed_settings(self, row: Any, values: dict[str, Any]) -> None:
        """A hook for what a settings change implies beyond the columns themselves."""

    def update_settings(self, session: Session, values: dict[str, Any]) -> dict[str, Any]:
        unknown = set(values) - self.settings_fields
        if unknown:
            raise InvalidInput(f"unknown settings for {self.name}: {sorted(unknown)}", code="unknown_setting")
        row = self.row(session, lock=True)
        if row is None or row.status == "disconnected":
            raise MarketplaceNotConnected(f"{self.name} is not connected")
        for key, value in values.items():
            setattr(row, key, value)
        self.changed_settings(row, values)
        session.flush()
        return self.status(row)
