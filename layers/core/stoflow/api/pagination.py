"""One pagination for every list route: `?limit=&offset=` in, `{items, total, limit, offset}` out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query

from stoflow.api.edge import Offset
from stoflow.api.schemas.model import ApiModel

T = TypeVar("T")

MAX_LIMIT = 100


class PageParams(ApiModel):
    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 50,
    offset: Annotated[Offset, Query(description="items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(ApiModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
