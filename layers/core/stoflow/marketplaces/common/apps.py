"""Our application's own credentials on each marketplace (not a tenant's): from settings locally,
from a Secrets Manager secret on AWS, read once per container."""

from __future__ import annotations

from dataclasses import dataclass

from stoflow.config import get_settings
from stoflow.errors import MarketplaceNotConfigured


@dataclass(frozen=True)
class EbayAppKeys:
    client_id: str
    client_secret: str
    ru_name: str
    # Sandbox keys only work in the sandbox: the environment travels with the keys.
    environment: str = "sandbox"
    # The Marketplace Account Deletion endpoint's verification token (a secret too).
    verification_token: str | None = None

    def __repr__(self) -> str:
        return f"EbayAppKeys(client_id={self.client_id!r}, environment={self.environment!r})"


@dataclass(frozen=True)
class EtsyAppKeys:
    keystring: str
    shared_secret: str

    def __repr__(self) -> str:
        return f"EtsyAppKeys(keystring={self.keystring!r})"

    @property
    def api_key_header(self) -> str:
        # Etsy's x-api-key is "keystring:shared_secret".
        return f"{self.keystring}:{self.shared_secret}"


def not_configured(marketplace: str, missing: list[str], secret: str | None = None) -> MarketplaceNotConfigured:
    """The error naming the settings to set (or the secret that holds them all on AWS)."""
    alternative = f" (or {secret} on AWS)" if secret else ""
    return MarketplaceNotConfigured(
        f"{marketplace} is not configured on this server: set {', '.join(missing)}{alternative}; "
        "locally, `make run` starts marketplace sandboxes that need none of these",
        missing=missing,
    )


# How long a container keeps the app keys before asking Secrets Manager again (Powertools
# Parameters' max age): new keys are picked up without a deployment.
APP_KEYS_MAX_AGE_S = 300


def _secret(arn: str) -> dict[str, str]:
    from stoflow.aws import secret_json

    return secret_json(arn, max_age_s=APP_KEYS_MAX_AGE_S)


def ebay_keys() -> EbayAppKeys:
    settings = get_settings()
    if settings.ebay_app_secret_arn:
        data = _secret(settings.ebay_app_secret_arn)
        return EbayAppKeys(
            data["client_id"],
            data["client_secret"],
            data["ru_name"],
            data.get("environment", settings.ebay_environment),
            data.get("verification_token"),
        )
    missing = [
        f"STOFLOW_{name.upper()}"
        for name in ("ebay_client_id", "ebay_client_secret", "ebay_ru_name")
        if not getattr(settings, name)
    ]
    if missing:
        raise not_configured("eBay", missing, "STOFLOW_EBAY_APP_SECRET_ARN")
    return EbayAppKeys(
        settings.ebay_client_id,
        settings.ebay_client_secret,
        settings.ebay_ru_name,
        settings.ebay_environment,
        settings.ebay_verification_token,
    )


def etsy_keys() -> EtsyAppKeys:
    settings = get_settings()
    if settings.etsy_app_secret_arn:
        data = _secret(settings.etsy_app_secret_arn)
        return EtsyAppKeys(data["keystring"], data["shared_secret"])
    missing = [
        f"STOFLOW_{name.upper()}" for name in ("etsy_keystring", "etsy_shared_secret") if not getattr(settings, name)
    ]
    if missing:
        raise not_configured("Etsy", missing, "STOFLOW_ETSY_APP_SECRET_ARN")
    return EtsyAppKeys(settings.etsy_keystring, settings.etsy_shared_secret)
