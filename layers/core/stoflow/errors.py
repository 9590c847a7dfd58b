"""Domain errors: one small hierarchy, mapped to HTTP problems in one place (stoflow.api.problems).

Each error carries a stable machine `code` and the HTTP status it maps to.
"""

from __future__ import annotations

from typing import Any


class StoflowError(Exception):
    code: str = "internal_error"
    status: int = 500
    title: str = "Internal error"
    # A 5xx is our bug and its detail stays in the logs, unless the error is about the world
    # outside (a marketplace not set up or not reachable): then the user is told what to do.
    public: bool = False

    def __init__(self, detail: str | None = None, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        self.extra = extra


class InvalidInput(StoflowError):
    code = "invalid_input"
    status = 422
    title = "Invalid input"


class NotFound(StoflowError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(StoflowError):
    code = "conflict"
    status = 409
    title = "Conflict"


class Unauthorized(StoflowError):
    code = "unauthorized"
    status = 401
    title = "Unauthorized"


class Forbidden(StoflowError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class RateLimited(StoflowError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


class InvalidTenantId(InvalidInput):
    code = "invalid_tenant_id"
    title = "Invalid tenant id"


class TenantNotFound(NotFound):
    code = "tenant_not_found"
    title = "Unknown tenant"


class TenantExists(Conflict):
    code = "tenant_exists"
    title = "Tenant already exists"


class TenantIsolationViolation(StoflowError):
    """A statement in a tenant session named another tenant's schema or the bare placeholder.

    Always a bug in our code, never the user's fault: it stays a 500 and is logged loudly.
    """

    code = "tenant_isolation_violation"
    title = "Tenant isolation violation"


class MigrationError(StoflowError):
    code = "migration_error"
    title = "Migration failed"


class InvalidToken(Unauthorized):
    """A bearer token that is malformed, forged, expired, for another audience, or revoked."""

    code = "invalid_token"
    title = "Invalid or expired token"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "Invalid email or password"


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"
    title = "Invalid or expired refresh token"


class RefreshTokenReused(Unauthorized):
    """A refresh token that was already rotated came back: its whole family has been revoked."""

    code = "refresh_token_reused"
    title = "Refresh token reused; session revoked"


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    title = "Email address not verified"


class AccountLocked(RateLimited):
    code = "account_locked"
    title = "Too many failed logins; try again later"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "Email already registered"


class StaleVersion(Conflict):
    """Optimistic locking: the client edited an older version of the resource."""

    code = "stale_version"
    title = "The resource was changed by someone else; reload it"


class InvalidTransition(Conflict):
    code = "invalid_status_transition"
    title = "This status change is not allowed"


class ProductQuotaExceeded(Forbidden):
    code = "product_quota_exceeded"
    title = "Product quota of your plan reached"


class InvalidImage(InvalidInput):
    """An upload that is not an image we accept (empty, truncated, wrong type, bomb...)."""

    code = "invalid_image"
    title = "Invalid image"


class ImageTooLarge(StoflowError):
    code = "image_too_large"
    status = 413
    title = "Image too large"


class TooManyImages(Conflict):
    code = "too_many_images"
    title = "Too many images for this product"


class InvalidResetToken(InvalidInput):
    code = "invalid_reset_token"
    status = 400
    title = "Invalid or expired password reset link"


class WrongPassword(InvalidInput):
    """The current password given to confirm a sensitive change is wrong (not a 401: the caller's
    bearer token is fine, and a client must not take this for an expired session)."""

    code = "wrong_password"
    status = 400
    title = "Wrong password"


class InvalidVerificationToken(InvalidInput):
    code = "invalid_verification_token"
    status = 400
    title = "Invalid or expired verification link"


class InvalidOAuthState(InvalidInput):
    """An OAuth callback whose state is unknown, expired, already used, or someone else's."""

    code = "invalid_oauth_state"
    status = 400
    title = "Invalid or expired authorization request"


class NotReady(InvalidInput):
    """A product a marketplace would refuse: `products` lists, per product, what is missing
    (each issue with its code, field and sentence). No job was created, no call made."""

    code = "product_not_ready"
    title = "Not ready for this marketplace"


class MarketplaceNotConnected(Conflict):
    code = "marketplace_not_connected"
    title = "Marketplace not connected"


class MarketplaceUnavailable(StoflowError):
    """The marketplace refused or failed a call made on the user's behalf (OAuth exchange, policies)."""

    code = "marketplace_unavailable"
    status = 502
    title = "The marketplace did not answer as expected"


class MarketplaceNotConfigured(StoflowError):
    """App credentials or settings missing on this server; `missing` names the settings."""

    code = "marketplace_not_configured"
    status = 503
    title = "This marketplace is not configured on this server"
    public = True


class MarketplaceUnreachable(StoflowError):
    """Nothing reached the marketplace, or it never answered; `host` says where we tried."""

    code = "marketplace_unreachable"
    status = 503
    title = "The marketplace cannot be reached"
    public = True


class OAuthExchangeFailed(InvalidInput):
    """The marketplace refused to trade the authorization code (expired, reused, wrong verifier)."""

    code = "oauth_exchange_failed"
    status = 400
    title = "The marketplace refused the authorization"


class ServiceUnavailable(StoflowError):
    """A dependency (the database, its proxy, Secrets Manager) is down, unreachable or throttling.

    Nobody's bug and nothing the client did wrong: the same request may succeed a little later,
    which the Retry-After header says."""

    code = "service_unavailable"
    status = 503
    title = "Service temporarily unavailable"
