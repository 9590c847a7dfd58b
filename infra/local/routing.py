"""Route selection as API Gateway HTTP APIs do it.

Priorities (API Gateway developer guide, "Routing API requests"): a full match of path and method
first, then a route ending in a greedy `{name+}` variable, then `$default`. Between full matches,
the more literal path wins, segment by segment from the left; for the same path a named method
beats ANY ("ANY matches the methods you have not defined for a resource"). Path variables are
URL-decoded, as API Gateway decodes request parameters before passing them on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import unquote

from infra.local.template import DEFAULT_ROUTE, HttpRoute, TemplateError


class _Kind(IntEnum):
    # Higher is more specific.
    GREEDY = 0
    VARIABLE = 1
    LITERAL = 2


@dataclass(frozen=True)
class _Segment:
    kind: _Kind
    text: str  # the literal, or the variable's name


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


def _parse(path: str) -> tuple[_Segment, ...]:
    if not path.startswith("/"):
        raise TemplateError(f"route path {path!r} must start with '/'")
    segments = []
    parts = path[1:].split("/")
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("}") and len(part) > 2:
            name = part[1:-1]
            if name.endswith("+"):
                if index != len(parts) - 1:
                    raise TemplateError(f"route path {path!r}: a greedy variable must end the path")
                segments.append(_Segment(_Kind.GREEDY, name[:-1]))
            else:
                segments.append(_Segment(_Kind.VARIABLE, name))
        else:
            segments.append(_Segment(_Kind.LITERAL, part))
    return tuple(segments)


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    segments: tuple[_Segment, ...]

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].kind is _Kind.GREEDY

    def specificity(self) -> tuple[bool, tuple[int, ...], bool]:
        return (not self.greedy, tuple(s.kind for s in self.segments), self.route.method != "ANY")

    def match(self, method: str, parts: list[str]) -> dict[str, str] | None:
        if self.route.method not in (method, "ANY"):
            return None
        fixed = self.segments[:-1] if self.greedy else self.segments
        if len(parts) < len(fixed) or (not self.greedy and len(parts) != len(fixed)):
            return None
        parameters: dict[str, str] = {}
        for segment, part in zip(fixed, parts, strict=False):
            value = unquote(part)
            if segment.kind is _Kind.LITERAL:
                if value != segment.text:
                    return None
            elif not part:
                return None  # a variable never matches an empty segment
            else:
                parameters[segment.text] = value
        if self.greedy:
            rest = parts[len(fixed) :]
            if not rest or not any(rest):
                return None  # {proxy+} needs at least one more segment
            parameters[self.segments[-1].text] = unquote("/".join(rest))
        return parameters


class RouteTable:
    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self._routes: list[_CompiledRoute] = []
        self._default: HttpRoute | None = None
        seen: dict[str, HttpRoute] = {}
        for route in routes:
            if route.route_key in seen:
                other = seen[route.route_key]
                raise TemplateError(
                    f"route {route.route_key!r} is declared twice ({other.function_id}, {route.function_id})"
                )
            seen[route.route_key] = route
            if route.path == DEFAULT_ROUTE:
                self._default = route
            else:
                self._routes.append(_CompiledRoute(route, _parse(route.path)))
        # Most specific first, so the first match is the winner.
        self._routes.sort(key=_CompiledRoute.specificity, reverse=True)

    @property
    def routes(self) -> list[HttpRoute]:
        listed = [compiled.route for compiled in self._routes]
        return [*listed, self._default] if self._default else listed

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        parts = raw_path[1:].split("/") if raw_path.startswith("/") else raw_path.split("/")
        method = method.upper()
        for compiled in self._routes:
            parameters = compiled.match(method, parts)
            if parameters is not None:
                return RouteMatch(compiled.route, parameters)
        if self._default is not None:
            return RouteMatch(self._default, {})
        return None
