"""The images bucket: presigned uploads, reads with a size cap, writes, deletes, public URLs.

Browsers upload straight to S3 with a presigned POST (request bodies through API Gateway and
Lambda are capped at 10 MB and 6 MB). The POST policy carries the size range and the exact
Content-Type, so S3 itself refuses a 200 MB upload; `complete` still checks the size and the bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stoflow.aws import client
from stoflow.config import get_settings

UPLOAD_PREFIX = "uploads/"
IMAGE_PREFIX = "images/"


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    fields: dict[str, str]
    expires_in: int


def upload_key(tenant_id: int, product_id: int, image_id: int, token: str) -> str:
    # Under uploads/: a lifecycle rule on the bucket expires what `complete` never collected.
    return f"{UPLOAD_PREFIX}{tenant_id}/{product_id}/{image_id}-{token}"


def image_key(tenant_id: int, product_id: int, image_id: int, token: str, extension: str) -> str:
    return f"{IMAGE_PREFIX}{tenant_id}/{product_id}/{image_id}-{token}.{extension}"


class ImageStore:
    def __init__(self, bucket: str | None = None) -> None:
        self.bucket = bucket or get_settings().images_bucket

    @property
    def _s3(self) -> Any:
        return client("s3")

    def presign_upload(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> PresignedUpload:
        post = self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[["content-length-range", 1, max_bytes], {"Content-Type": content_type}],
            ExpiresIn=expires_in,
        )
        return PresignedUpload(post["url"], post["fields"], expires_in)

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when nothing was uploaded under `key`."""
        from botocore.exceptions import ClientError

        try:
            return int(self._s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def read(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl="public, max-age=31536000, immutable",  # a key never changes content
        )

    def delete(self, keys: Iterable[str]) -> None:
        batch = [{"Key": key} for key in keys if key]
        for start in range(0, len(batch), 1000):  # DeleteObjects takes at most 1,000 keys
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch[start : start + 1000], "Quiet": True})

    def url(self, key: str) -> str:
        settings = get_settings()
        if settings.images_public_base_url:
            return f"{settings.images_public_base_url.rstrip('/')}/{key}"
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=settings.image_url_ttl_s
        )
