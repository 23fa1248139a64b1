"""Every list is paginated the same way: ``?limit=`` (1–100, default 20) and ``?offset=``.

A response is ``{"count": total, "limit": ..., "offset": ..., "items": [...]}``. Querysets are
counted and sliced in the database; only the page's rows are turned into JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

T = TypeVar("T")

MAX_LIMIT = 100


class PageParams(Schema):
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=1_000_000)


class Paged(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    items: list[T]


def paginate(items: QuerySet | Sequence, params: PageParams, to_json: Callable[[Any], Any]) -> dict:
    count = items.count() if isinstance(items, QuerySet) else len(items)
    window = items[params.offset : params.offset + params.limit]
    return {"count": count, "limit": params.limit, "offset": params.offset, "items": [to_json(i) for i in window]}
