"""Typed settings: the one place where the process environment is read.

Every other module asks `get_settings()`; tests that need other values call
`get_settings.cache_clear()` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO_ROOT = Path(__file__).resolve().parents[3]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOFLOW_", extra="ignore", populate_by_name=True)

    environment: Literal["local", "test", "dev", "prod"] = "local"
    log_level: str = "INFO"
    # The service name on every log line, trace and metric (Powertools reads the same variable).
    service_name: str = Field(default="stoflow", validation_alias="POWERTOOLS_SERVICE_NAME")

    # Database: a URL, or an RDS-style secret ({"host","port","username","password","dbname"}).
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    database_secret_arn: str | None = None
    database_name: str | None = None
    database_tls: bool = False
    # Overrides the secret's host: on AWS the RDS Proxy endpoint (the secret names the cluster).
    database_host: str | None = None
    database_port: int = 5432
    # On AWS: the database role this function logs in as (stoflow.db.roles), authenticated to the
    # RDS Proxy by an IAM token (no password, no secret to read); the proxy requires IAM auth.
    database_user: str | None = None
    database_iam_auth: bool = False
    # An IAM token is valid 15 minutes and is only checked when a connection opens: a container
    # reuses one for new connections until this age, so that one is never presented near expiry.
    database_iam_token_max_age_s: float = 10 * 60
    # The migrator only (`bootstrap-roles`): the master user it logs in as to create the roles,
    # and the proxy's secrets of the roles, whose passwords the proxy presents to the database.
    database_admin_user: str | None = None
    # Empty-list defaults are `lambda: []`, not `list`: pydantic reads a factory's signature, and a
    # builtin's is parsed from text by tokenize, whose patterns cost a cold start ~6 ms to compile.
    database_role_secret_arns: list[str] = Field(default_factory=lambda: [])
    database_tls_ca_file: str | None = None
    # Connecting (TCP, TLS, startup, authentication, waiting for a pooled connection) must fail
    # well within the HTTP functions' 5-20 s timeouts; a statement may take up to the socket timeout.
    database_connect_timeout_s: float = 3.0
    database_socket_timeout_s: float = 30.0
    database_pool_size: int = 1
    database_pool_recycle_s: int = 300
    # SQLAlchemy puts a failed statement's bound parameters (emails, product text, tokens) in its
    # error messages, and so in the logs. Hidden unless this is set, which only a local run may do.
    database_log_parameters: bool = False

    # AWS: the endpoint is set locally (moto) and left unset on AWS.
    aws_region: str = Field(default="eu-west-3", validation_alias="AWS_REGION")
    aws_endpoint_url: str | None = None

    # Jobs: the SQS FIFO queue (URL), per-attempt defaults and the sweeper's grace period.
    jobs_queue_url: str | None = None
    jobs_default_max_attempts: int = 5
    jobs_default_expiry_s: int = 24 * 3600
    jobs_backoff_base_s: float = 30.0
    jobs_backoff_max_s: float = 3600.0
    jobs_resend_grace_s: int = 30
    # A message neither received nor queued behind its group this long after it was sent is lost
    # (stoflow.repositories.jobs.due_for_sending): with the sweep every minute, a lost message is
    # re-sent at most this + 60 s after it was sent.
    jobs_lost_message_after_s: int = 45
    # The jobs queue's VisibilityTimeout (template.yaml): how long a received message stays in flight.
    jobs_queue_visibility_timeout_s: int = 300
    # One attempt's deadline; the worker function's timeout must be shorter (template.yaml).
    jobs_attempt_timeout_s: int = 300
    # A scheduled run with more tenants due than this hands them to the job workers instead of
    # visiting them itself (stoflow.jobs.due).
    scheduled_fan_out_over: int = 20

    # WebSocket API: how long a $connect ticket lives, and the @connections endpoint senders post to
    # (https://<api>.execute-api.<region>.amazonaws.com/<stage> on AWS, the local gateway locally).
    ws_ticket_ttl_s: int = 60
    ws_callback_url: str | None = None
    # What a connection may say in one message (API Gateway's own limit is 128 KB per frame).
    ws_max_message_bytes: int = 128 * 1024

    # Browser extension: pairing codes (short, single use), the WebSocket URL a paired extension
    # is told to use, and how many pairing attempts one address may make per rate window.
    extension_pairing_ttl_s: int = 600
    extension_pair_rate_per_ip: int = 10
    ws_public_url: str = "ws://127.0.0.1:3001"

    # Vinted through the extension, per Vinted account (stoflow.marketplaces.vinted.pacing): one
    # command in flight; writes (publish, update, delete, message; a publish's photo uploads go
    # with it) 20-50 s apart, randomised, at most N an hour and M a day; reads paced and capped
    # apart; a DataDome page, captcha, 403 or 429 pauses the account >= 1 h, doubling to 24 h,
    # and until the seller resumes. The bounds are floors no configuration can go under: a
    # blocked Vinted account is the seller's income gone.
    vinted_read_timeout_s: int = Field(default=180, ge=30, le=1200)
    vinted_write_timeout_s: int = Field(default=240, ge=30, le=1200)
    vinted_write_gap_min_s: float = Field(default=20.0, ge=20.0, le=600.0)
    vinted_write_gap_max_s: float = Field(default=50.0, ge=20.0, le=1200.0)
    vinted_writes_per_hour: int = Field(default=40, ge=1, le=50)
    vinted_writes_per_day: int = Field(default=200, ge=1, le=500)
    vinted_read_gap_min_s: float = Field(default=10.0, ge=5.0, le=600.0)
    vinted_read_gap_max_s: float = Field(default=30.0, ge=5.0, le=1200.0)
    vinted_reads_per_hour: int = Field(default=30, ge=1, le=60)
    vinted_pause_base_s: int = Field(default=3600, ge=3600, le=24 * 3600)
    vinted_pause_max_s: int = Field(default=24 * 3600, ge=3600, le=7 * 24 * 3600)
    # Compresses every Vinted interval above (gaps, pauses, the rolling hour and day) for the
    # local sandbox's end-to-end tests only: refused outside environment=local|test.
    vinted_time_scale: float = Field(default=1.0, gt=0.0, le=1.0)
    # A job whose Vinted page was unavailable in the browser waits this long (no attempt spent)
    # before it is offered again; sooner when the extension reports a Vinted session.
    vinted_page_wait_s: int = 120

    # Where local state lives (embedded PostgreSQL data, generated keys).
    data_dir: Path = _REPO_ROOT / ".stoflow-data"
    migrations_dir: Path = _REPO_ROOT / "migrations"
    migration_workers: int = 4

    # Product images: the bucket, upload limits and what the pipeline stores.
    images_bucket: str = "stoflow-images-local"
    # When set (a CDN or public bucket URL), image URLs are this base + key; else presigned GETs.
    images_public_base_url: str | None = None
    image_max_upload_bytes: int = 15 * 1024 * 1024
    image_upload_ttl_s: int = 15 * 60
    image_url_ttl_s: int = 3600
    # Refused before decoding: more pixels than this is treated as a decompression bomb.
    image_max_pixels: int = 50_000_000
    image_max_side_px: int = 2000
    image_jpeg_quality: int = 85
    images_per_product_max: int = 20
    # Products a tenant may keep when no tier says otherwise (None: unlimited).
    default_product_quota: int | None = 100
    # Catalogues change only by migration: clients may cache GET /catalog/{kind} this long.
    catalog_cache_max_age_s: int = 3600

    # How long a verified tenant stays known to this container before the registry is asked again.
    tenant_cache_ttl_s: float = 60.0

    # HTTP API: browser origins allowed by CORS (empty: no CORS headers at all).
    cors_origins: list[str] = Field(default_factory=lambda: [])
    # The dashboard's origin (scheme://host[:port], the template's DashboardOrigin): links sent by
    # email point at its routes (/verify-email, /reset-password), and OAuth returns to it.
    dashboard_origin: Annotated[str, StringConstraints(pattern=r"^https?://[^/\s]+$")] = "http://localhost:5173"

    # Identity: RS256 access tokens. The signing keys come from this secret on AWS
    # ({"current": PEM, "previous": [PEM, ...]}); locally they are generated under data_dir/keys.
    jwt_keys_secret_arn: str | None = None
    jwt_issuer: str = "stoflow"
    jwt_audience: str = "stoflow-api"
    jwt_leeway_s: int = 10
    # How long a container trusts its cached keys before asking Secrets Manager again (rotation).
    jwt_keys_cache_ttl_s: float = 300.0
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 7 * 24 * 3600
    email_verification_ttl_s: int = 24 * 3600
    # None means: required on AWS (dev, prod), not required locally and in tests.
    email_verification_required: bool | None = None
    email_sender: str = "no-reply@stoflow.app"
    # Password reset links: short-lived and single use; at most this many asked per address an hour.
    password_reset_ttl_s: int = 30 * 60
    password_reset_per_hour: int = 3
    # Account export: how long the download link (a presigned S3 GET) stays valid.
    account_export_url_ttl_s: int = 15 * 60
    password_min_length: int = 10
    # argon2id cost (OWASP's floor: 19 MiB, 2 passes, 1 lane); tests may lower it.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
    argon2_parallelism: int = 1
    # Lockout: this many failed logins for one account within the window lock it until the window ends.
    login_max_failures: int = 5
    login_failure_window_s: int = 15 * 60
    # Request rate limits (requests per window), kept in PostgreSQL: Lambda instances share no memory.
    login_rate_per_ip: int = 30
    login_rate_per_account: int = 10
    register_rate_per_ip: int = 10
    refresh_rate_per_ip: int = 60
    rate_window_s: int = 60

    # Marketplaces (eBay, Etsy). Tokens at rest are Fernet-encrypted: the keys come from this
    # secret on AWS ({"keys": [current, previous, ...]}), locally from data_dir/keys/fernet.json.
    marketplace_token_keys_secret_arn: str | None = None
    # App credentials: a secret {"client_id", "client_secret", "ru_name", "verification_token"} (eBay) or
    # {"keystring", "shared_secret"} (Etsy) on AWS; the plain fields below locally and in tests.
    ebay_app_secret_arn: str | None = None
    etsy_app_secret_arn: str | None = None
    ebay_environment: Literal["sandbox", "production"] = "sandbox"
    ebay_client_id: str | None = None
    ebay_client_secret: str | None = None
    # eBay's redirect_uri is the RuName (a name registered with eBay), not a URL.
    ebay_ru_name: str | None = None
    # Marketplace Account Deletion: the verification token chosen when registering the endpoint
    # (the app secret's "verification_token" on AWS) and the endpoint's URL exactly as registered.
    ebay_verification_token: str | None = None
    ebay_notification_endpoint: str | None = None
    # Overrides of the environment's hosts (tests point them at fakes).
    ebay_api_base_url: str | None = None
    ebay_auth_base_url: str | None = None
    # Hosts whose plain-HTTP photo URLs eBay may be given: only for the local cloud's eBay sandbox,
    # which downloads them over the local network. Refused on AWS (dev, prod): eBay itself
    # fetches photos over HTTPS only.
    ebay_plain_http_photo_hosts: list[str] = Field(default_factory=lambda: [])
    ebay_marketplace_id: str = "EBAY_FR"
    ebay_content_language: str = "fr-FR"
    # The eBay sites whose category requirements the scheduled refresh keeps (Taxonomy aspects,
    # Metadata conditions), and how old a cached category may grow before it is read again
    # (a new category tree version makes every category of the site stale at once).
    ebay_requirement_sites: list[str] = Field(default_factory=lambda: ["EBAY_FR", "EBAY_DE", "EBAY_GB", "EBAY_US"])
    marketplace_requirements_max_age_s: int = Field(default=7 * 24 * 3600, ge=3600)
    ebay_scopes: list[str] = Field(
        default_factory=lambda: [
            "https://api.ebay.com/oauth/api_scope",
            "https://api.ebay.com/oauth/api_scope/sell.inventory",
            "https://api.ebay.com/oauth/api_scope/sell.account",
            "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
            # who the seller is (the user id of their sale notices), and the notices themselves
            "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly",
            "https://api.ebay.com/oauth/api_scope/commerce.notification.subscription",
        ]
    )
    etsy_keystring: str | None = None
    etsy_shared_secret: str | None = None
    etsy_api_base_url: str = "https://openapi.etsy.com"
    etsy_authorize_url: str = "https://www.etsy.com/oauth/connect"
    # Where Etsy sends the browser back (a dashboard page that forwards code and state to the API).
    etsy_redirect_uri: str | None = None
    etsy_scopes: list[str] = Field(
        default_factory=lambda: ["listings_r", "listings_w", "listings_d", "shops_r", "transactions_r"]
    )
    # HTTP to marketplaces: per-request timeouts, retries on 429/5xx, and the longest Retry-After
    # waited in-process (longer: the job is retried later by the job system instead).
    marketplace_connect_timeout_s: float = 5.0
    marketplace_read_timeout_s: float = 30.0
    marketplace_max_retries: int = 3
    marketplace_backoff_base_s: float = 0.5
    marketplace_retry_after_max_s: float = 20.0
    oauth_state_ttl_s: int = 600
    # An access token expiring within this margin is refreshed before use; the scheduled refresh
    # uses the wider margin so that jobs rarely have to.
    marketplace_refresh_margin_s: int = 300
    marketplace_scheduled_refresh_margin_s: int = 1800
    # Where access tokens are refreshed on use (the descriptor's refresh_on_use), the schedule
    # refreshes a connection whose refresh token expires within this margin, so it never lapses.
    marketplace_refresh_token_keepalive_s: int = Field(default=7 * 24 * 3600, ge=3600)
    # First order sync of a connection looks this far back.
    order_sync_initial_lookback_days: int = 30
    # How often a marketplace's orders are checked (stoflow.domain.order_checks): often while a
    # product listed there is also listed elsewhere (a sale there must delist it elsewhere within
    # 5 minutes), rarely when only that marketplace lists it (the stock follows), and while a sale
    # made there may still be cancelled; never otherwise.
    order_check_cross_listed_s: int = 180
    order_check_listed_s: int = 3600
    order_check_after_sale_days: int = 30
    # Etsy's limits hold for the whole app (one API key for every tenant): 10 requests a second and
    # 10,000 a day. Calls are counted app-wide by the hour (public.marketplace_calls); order checks
    # (polling) get what is left of `etsy_daily_call_share` of the daily limit once upkeep (token
    # refreshes) and `etsy_seller_reserve_calls` for the sellers' own actions (publish, update,
    # delist) are set aside: their cadence stretches first, and stops (checks deferred by
    # `etsy_deferred_check_s`) when that part is spent. Seller actions are never held back.
    etsy_daily_call_limit: int = Field(default=10_000, ge=1)
    etsy_daily_call_share: float = Field(default=0.9, gt=0, le=1)
    etsy_seller_reserve_calls: int = Field(default=2_000, ge=0)
    etsy_deferred_check_s: int = Field(default=1800, ge=60)
    # Etsy's 10 requests a second, shared by every container that may call Etsy at once (the job
    # worker's reserved concurrency, 10, the schedules' 1 and one API container completing a
    # connection): each container spaces its own calls by `etsy_concurrent_callers / rate`.
    etsy_requests_per_s: float = Field(default=10.0, gt=0)
    etsy_concurrent_callers: int = Field(default=12, ge=1)

    # The local cloud's marketplace sandboxes (infra/local/sandboxes, never deployed): started by
    # `make run` unless this is false; `stoflow sandbox ...` reaches their control API here.
    local_sandboxes: bool = True
    local_sandbox_url: str = "http://127.0.0.1:3002"

    @model_validator(mode="after")
    def _no_plain_http_photos_on_aws(self) -> Settings:
        if self.ebay_plain_http_photo_hosts and self.environment in ("dev", "prod"):
            raise ValueError("ebay_plain_http_photo_hosts is for the local sandbox only, never on AWS")
        return self

    @property
    def public_base_url(self) -> str:
        """The dashboard origin, under the name the OAuth callbacks have used so far."""
        return self.dashboard_origin

    @model_validator(mode="after")
    def _parameters_logged_locally_only(self) -> Settings:
        if self.database_log_parameters and self.environment != "local":
            raise ValueError("database_log_parameters is a local debugging aid: refused outside environment=local")
        return self

    @model_validator(mode="after")
    def _iam_tokens_over_tls_only(self) -> Settings:
        # A token is a bearer credential for 15 minutes: it never travels in clear.
        if self.database_iam_auth and not self.database_tls:
            raise ValueError("database_iam_auth needs database_tls: an IAM token never travels unencrypted")
        return self

    @model_validator(mode="after")
    def _vinted_pacing_holds(self) -> Settings:
        if self.vinted_write_gap_max_s < self.vinted_write_gap_min_s:
            raise ValueError("vinted_write_gap_max_s must be at least vinted_write_gap_min_s")
        if self.vinted_read_gap_max_s < self.vinted_read_gap_min_s:
            raise ValueError("vinted_read_gap_max_s must be at least vinted_read_gap_min_s")
        if self.vinted_pause_max_s < self.vinted_pause_base_s:
            raise ValueError("vinted_pause_max_s must be at least vinted_pause_base_s")
        if self.vinted_writes_per_day < self.vinted_writes_per_hour:
            raise ValueError("vinted_writes_per_day must be at least vinted_writes_per_hour")
        if self.vinted_time_scale != 1.0 and self.environment not in ("local", "test"):
            raise ValueError("vinted_time_scale is for the local sandbox only, never on AWS")
        return self

    @property
    def requires_email_verification(self) -> bool:
        if self.email_verification_required is not None:
            return self.email_verification_required
        return self.environment in ("dev", "prod")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
