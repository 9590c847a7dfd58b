"""Query parameters are read as the OpenAPI document states them, or refused (422):

- a name the route does not declare: `unknown_query_parameter`. `?stauts=sold` must not answer every
  product as if no filter had been asked for;
- a single-valued parameter given twice: `repeated_query_parameter`. Which of `?offset=0&offset=50`
  counts is a framework's accident; the client meant one of them and must say which.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant

from stoflow.errors import InvalidInput

_MANY = (list, set, frozenset, tuple)
# Each route's names, worked out on its first request: keyed by the id of the route's dependant,
# kept with the dependant itself so that a recycled id is never mistaken for another route.
_DECLARED_BY_ROUTE: dict[int, tuple[Dependant, dict[str, bool]]] = {}
_ROUTES_KEPT = 1024


def _takes_many(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in _MANY or annotation in _MANY:
        return True
    if origin in (Union, UnionType) or (origin is not None and get_args(annotation)):
        return any(_takes_many(arg) for arg in get_args(annotation))
    return False


def _declared(dependant: Dependant) -> dict[str, bool]:
    """Each query name the route reads, and whether it takes several values."""
    names = {param.alias: _takes_many(param.field_info.annotation) for param in dependant.query_params}
    for sub in dependant.dependencies:
        names.update(_declared(sub))
    return names


async def refuse_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    known = _DECLARED_BY_ROUTE.get(id(dependant))
    if known is not None and known[0] is dependant:
        declared = known[1]
    else:
        declared = _declared(dependant)
        if len(_DECLARED_BY_ROUTE) >= _ROUTES_KEPT:
            _DECLARED_BY_ROUTE.clear()
        _DECLARED_BY_ROUTE[id(dependant)] = (dependant, declared)
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        raise InvalidInput(
            f"This route reads no query parameter named {', '.join(map(repr, unknown[:5]))}.",
            code="unknown_query_parameter",
            parameters=unknown[:20],
        )
    repeated = sorted(
        {name for name in request.query_params if not declared[name] and len(request.query_params.getlist(name)) > 1}
    )
    if repeated:
        raise InvalidInput(
            f"Give {', '.join(map(repr, repeated))} once: it takes a single value.",
            code="repeated_query_parameter",
            parameters=repeated,
        )
