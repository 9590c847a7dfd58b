"""An account's files in the images bucket: its export archives (under exports/, expired by a
lifecycle rule) and, on deletion, everything stored under its tenant id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stoflow.aws import client
from stoflow.config import get_settings
from stoflow.storage.images import IMAGE_PREFIX, UPLOAD_PREFIX

__all__ = ["EXPORT_PREFIX", "delete_tenant_files", "export_key", "put_export", "tenant_prefixes"]

EXPORT_PREFIX = "exports/"


def export_key(tenant_id: int, name: str) -> str:
    return f"{EXPORT_PREFIX}{tenant_id}/{name}"


def tenant_prefixes(tenant_id: int) -> tuple[str, ...]:
    """Every prefix that holds a tenant's objects (keys are <kind>/<tenant id>/...)."""
    return tuple(f"{prefix}{tenant_id}/" for prefix in (IMAGE_PREFIX, UPLOAD_PREFIX, EXPORT_PREFIX))


def _s3() -> Any:
    return client("s3")


def put_export(key: str, data: bytes, filename: str) -> str:
    """Store an archive and return a presigned download link (it needs no token, and expires)."""
    settings = get_settings()
    _s3().put_object(
        Bucket=settings.images_bucket,
        Key=key,
        Body=data,
        ContentType="application/zip",
        ContentDisposition=f'attachment; filename="{filename}"',
        CacheControl="private, no-store",
    )
    return _s3().generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.images_bucket, "Key": key},
        ExpiresIn=settings.account_export_url_ttl_s,
    )


def _keys(prefix: str) -> Iterator[str]:
    paginator = _s3().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=get_settings().images_bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            yield entry["Key"]


def delete_tenant_files(tenant_id: int) -> int:
    """Delete every object of the tenant (images, pending uploads, exports); returns how many."""
    bucket = get_settings().images_bucket
    deleted = 0
    for prefix in tenant_prefixes(tenant_id):
        keys = list(_keys(prefix))
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            chunk = [{"Key": key} for key in keys[start : start + 1000]]
            _s3().delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
        deleted += len(keys)
    return deleted
