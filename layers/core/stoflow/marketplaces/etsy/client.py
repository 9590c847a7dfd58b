"""The Etsy Open API v3 calls we use. Every call carries x-api-key (keystring:shared_secret) and the
user's bearer token; writes are form-encoded (createDraftListing, updateListing) or multipart
(uploadListingImage), as the official OpenAPI file says."""

from __future__ import annotations

from typing import Any

import httpx

from stoflow.marketplaces.common.apps import EtsyAppKeys
from stoflow.marketplaces.common.http import MarketplaceHttp
from stoflow.marketplaces.common.tokens import AccountTokens, call_with_token

V3 = "/v3/application"


def form_fields(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Form encoding as OpenAPI's default (style form, explode): a list is its key repeated,
    booleans are "true"/"false", None is left out."""
    fields: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            fields.append((key, ("true" if item else "false") if isinstance(item, bool) else str(item)))
    return fields


class EtsyClient:
    def __init__(self, http: MarketplaceHttp, tokens: AccountTokens, keys: EtsyAppKeys) -> None:
        self.http = http
        self.tokens = tokens
        self.keys = keys

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        form: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: dict[str, Any] | None = None,
        allow_statuses: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        def send(token: str) -> httpx.Response:
            headers = {"x-api-key": self.keys.api_key_header, "Authorization": f"Bearer {token}"}
            body = data
            if form is not None:
                # httpx form-encodes a list value as its key repeated.
                body = {}
                for key, value in form_fields(form):
                    body.setdefault(key, []).append(value)
            return self.http.request(
                method,
                path,
                params=params,
                json=json,
                files=files,
                data=body,
                headers=headers,
                allow_statuses=allow_statuses,
            )

        response = call_with_token(self.tokens, send)
        assert isinstance(response, httpx.Response)
        return response

    def get_me(self) -> dict[str, Any]:
        return self._call("GET", f"{V3}/users/me").json()

    def get_shop(self, shop_id: int) -> dict[str, Any]:
        return self._call("GET", f"{V3}/shops/{shop_id}").json()

    def create_draft_listing(self, shop_id: int, form: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"{V3}/shops/{shop_id}/listings", form=form).json()

    def upload_listing_image(
        self,
        shop_id: int,
        listing_id: int,
        content: bytes,
        *,
        filename: str,
        rank: int,
        alt_text: str | None = None,
        overwrite: bool = False,
        content_type: str = "image/jpeg",
    ) -> dict[str, Any]:
        fields: dict[str, str] = {"rank": str(rank)}
        if overwrite:
            fields["overwrite"] = "true"
        if alt_text:
            fields["alt_text"] = alt_text[:500]
        return self._call(
            "POST",
            f"{V3}/shops/{shop_id}/listings/{listing_id}/images",
            files={"image": (filename, content, content_type)},
            data=fields,
        ).json()

    def delete_listing_image(self, shop_id: int, listing_id: int, image_id: int) -> None:
        self._call(
            "DELETE", f"{V3}/shops/{shop_id}/listings/{listing_id}/images/{image_id}", allow_statuses=frozenset({404})
        )

    def update_listing(self, shop_id: int, listing_id: int, form: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", f"{V3}/shops/{shop_id}/listings/{listing_id}", form=form).json()

    def update_inventory(self, listing_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("PUT", f"{V3}/listings/{listing_id}/inventory", json=body).json()

    def get_draft_listings(self, shop_id: int, limit: int = 25) -> list[dict[str, Any]]:
        response = self._call("GET", f"{V3}/shops/{shop_id}/listings", params={"state": "draft", "limit": limit})
        return list(response.json().get("results", []))

    def get_listing(self, listing_id: int) -> dict[str, Any] | None:
        response = self._call("GET", f"{V3}/listings/{listing_id}", allow_statuses=frozenset({404}))
        return None if response.status_code == 404 else response.json()

    def delete_listing(self, listing_id: int) -> None:
        self._call("DELETE", f"{V3}/listings/{listing_id}", allow_statuses=frozenset({404}))

    def get_shop_receipts(
        self, shop_id: int, *, min_last_modified: int, limit: int = 100, offset: int = 0
    ) -> dict[str, Any]:
        params = {
            "min_last_modified": min_last_modified,
            "sort_on": "updated",
            "sort_order": "asc",
            "limit": limit,
            "offset": offset,
        }
        return self._call("GET", f"{V3}/shops/{shop_id}/receipts", params=params).json()

    def get_shipping_profiles(self, shop_id: int) -> list[dict[str, Any]]:
        return list(self._call("GET", f"{V3}/shops/{shop_id}/shipping-profiles").json().get("results", []))

    def get_readiness_states(self, shop_id: int) -> list[dict[str, Any]]:
        response = self._call("GET", f"{V3}/shops/{shop_id}/readiness-state-definitions")
        return list(response.json().get("results", []))

    def get_return_policies(self, shop_id: int) -> list[dict[str, Any]]:
        return list(self._call("GET", f"{V3}/shops/{shop_id}/policies/return").json().get("results", []))
