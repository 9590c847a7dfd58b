"""Query parameters are read as the OpenAPI document states them, or refused (422):

- a name the route does not declare: `unknown_query_parameter`. `?stauts=sold` must not answer every
  product as if no filter had been asked for;
- a single-valued parameter given twice: `repeated_query_parameter`. Which of `?offset=0&offset=50`
  counts is a framework's accident; the client meant one of them and must say which.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi.dependencies.models import Dependant
from starlette.datastructures import QueryParams

from stoflow.errors import InvalidInput

_MANY = (list, set, frozenset, tuple)


def _takes_many(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in _MANY or annotation in _MANY:
        return True
    if origin in (Union, UnionType) or (origin is not None and get_args(annotation)):
        return any(_takes_many(arg) for arg in get_args(annotation))
    return False


def declared_query_names(dependant: Dependant) -> dict[str, bool]:
    """Each query name a route reads (its own parameters and its dependencies'), and whether it
    takes several values."""
    names = {param.alias: _takes_many(param.field_info.annotation) for param in dependant.query_params}
    for sub in dependant.dependencies:
        names.update(declared_query_names(sub))
    return names


def refuse_undeclared_query(declared: dict[str, bool], query_string: bytes) -> None:
    """Raises InvalidInput (422) for a name not in `declared`, or a single-valued name given twice."""
    query = QueryParams(query_string)
    unknown = sorted({name for name in query if name not in declared})
    if unknown:
        raise InvalidInput(
            f"This route reads no query parameter named {', '.join(map(repr, unknown[:5]))}.",
            code="unknown_query_parameter",
            parameters=unknown[:20],
        )
    repeated = sorted({name for name in query if not declared[name] and len(query.getlist(name)) > 1})
    if repeated:
        raise InvalidInput(
            f"Give {', '.join(map(repr, repeated))} once: it takes a single value.",
            code="repeated_query_parameter",
            parameters=repeated,
        )
