"""Typed settings: the one place where the process environment is read.

Every other module asks `get_settings()`; tests that need other values call
`get_settings.cache_clear()` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO_ROOT = Path(__file__).resolve().parents[3]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOFLOW_", extra="ignore", populate_by_name=True)

    environment: Literal["local", "test", "dev", "prod"] = "local"
    log_level: str = "INFO"

    # Database: a URL, or an RDS-style secret ({"host","port","username","password","dbname"}).
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    database_secret_arn: str | None = None
    database_name: str | None = None
    database_tls: bool = False
    database_tls_ca_file: str | None = None
    database_connect_timeout_s: float = 5.0
    database_socket_timeout_s: float = 30.0
    database_pool_size: int = 1
    database_pool_recycle_s: int = 300

    # AWS: the endpoint is set locally (moto) and left unset on AWS.
    aws_region: str = Field(default="eu-west-3", validation_alias="AWS_REGION")
    aws_endpoint_url: str | None = None

    # Where local state lives (embedded PostgreSQL data, generated keys).
    data_dir: Path = _REPO_ROOT / ".stoflow-data"
    migrations_dir: Path = _REPO_ROOT / "migrations"
    migration_workers: int = 4

    # How long a verified tenant stays known to this container before the registry is asked again.
    tenant_cache_ttl_s: float = 60.0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
