"""Bodies of the /products/{id}/images routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field

from stoflow.api.edge import INT32_MAX, Id, text
from stoflow.api.schemas.model import ApiModel


class ImageOut(ApiModel):
    id: int
    product_id: int
    url: str | None
    order: int
    is_label: bool
    alt_text: str | None
    tags: list[str]
    mime_type: str | None
    file_size: int | None
    width: int | None
    height: int | None
    created_at: datetime
    updated_at: datetime


class UploadIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    content_type: text(64)
    size: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = None


class PresignedPostOut(ApiModel):
    url: str
    fields: dict[str, str]


class UploadOut(ApiModel):
    image_id: int
    upload: PresignedPostOut
    expires_in: int
    max_bytes: int


class ImagePatch(ApiModel):
    model_config = ConfigDict(extra="forbid")

    alt_text: text(500) | None = None
    tags: Annotated[list[text(40)], Field(max_length=20)] | None = None
    is_label: bool | None = None


class ImageOrderIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    image_ids: Annotated[list[Id], Field(max_length=20)]
