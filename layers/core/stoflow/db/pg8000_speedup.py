"""Cache pg8000's paramstyle conversion.

pg8000 rewrites every statement's `%s` placeholders into `$1, $2...` by scanning the SQL text
character by character in Python, on every execute: about 0.5 ms for a statement that returns
all the columns of a table, more than the database round trip itself. For positional styles the
rewritten text depends on the SQL alone, and SQLAlchemy sends the same few statements again and
again, so the rewrite is cached. Named styles (pyformat, named) are left to pg8000.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pg8000.dbapi
import pg8000.legacy

_original = pg8000.dbapi.convert_paramstyle
_POSITIONAL = frozenset({"numeric", "qmark", "format"})
_installed = False


@lru_cache(maxsize=2048)
def _rewritten(style: str, query: str) -> str:
    return _original(style, query, ())[0]


def convert_paramstyle(style: str, query: str, args: Any) -> tuple[str, Any]:
    if style in _POSITIONAL:
        return _rewritten(style, query), args
    return _original(style, query, args)


def install() -> None:
    global _installed
    if not _installed:
        pg8000.dbapi.convert_paramstyle = convert_paramstyle
        pg8000.legacy.convert_paramstyle = convert_paramstyle
        _installed = True
