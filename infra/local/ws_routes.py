"""The WebSocket API of template.yaml: its route selection expression, routes and their functions.

Read from the AWS::ApiGatewayV2::Api (ProtocolType WEBSOCKET), its Routes (RouteKey, Target
"integrations/${Integration}", RouteResponseSelectionExpression for two-way routes) and their
AWS_PROXY Integrations (IntegrationUri naming ${Function.Arn}).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from infra.local.template import Template, TemplateError

_FUNCTION_ARN = re.compile(r"\$\{(\w+)\.Arn\}")
_INTEGRATION = re.compile(r"^integrations/\$\{(\w+)\}$")


@dataclass(frozen=True)
class WsRoute:
    route_key: str
    function_id: str
    two_way: bool  # a route response is configured: the function's `body` goes back to the client


@dataclass(frozen=True)
class WsApi:
    logical_id: str
    route_selection_expression: str
    routes: dict[str, WsRoute]

    def select(self, body: str) -> WsRoute | None:
        """Route selection for a message, as API Gateway evaluates $request.body.<path>: the
        message parsed as JSON, the path's value a route key; otherwise $default (None if absent)."""
        key = self.selection_key(body)
        if key is not None and key in self.routes and not key.startswith("$"):
            return self.routes[key]
        return self.routes.get("$default")

    def selection_key(self, body: str) -> str | None:
        prefix = "$request.body."
        if not self.route_selection_expression.startswith(prefix):
            return None
        try:
            value: Any = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser: $default decides
            return None
        for part in self.route_selection_expression[len(prefix) :].split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value if isinstance(value, str) else None


def _ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def _sub_text(value: Any) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else str(sub[0])
    return value if isinstance(value, str) else ""


def websocket_api(template: Template) -> WsApi | None:
    resources = template.resources
    apis = [
        lid
        for lid, r in resources.items()
        if isinstance(r, dict)
        and r.get("Type") == "AWS::ApiGatewayV2::Api"
        and (r.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
    ]
    if not apis:
        return None
    if len(apis) > 1:
        raise TemplateError(f"the local cloud serves one WebSocket API; the template has {apis}")
    api_id = apis[0]
    expression = str(resources[api_id]["Properties"].get("RouteSelectionExpression", "$request.body.action"))
    routes: dict[str, WsRoute] = {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        props = resource.get("Properties") or {}
        if _ref(props.get("ApiId")) != api_id:
            continue
        target = _INTEGRATION.match(_sub_text(props.get("Target")))
        if target is None:
            raise TemplateError(f"{logical_id}: Target must be !Sub integrations/${{Integration}}")
        integration = resources.get(target.group(1)) or {}
        function = _FUNCTION_ARN.search(_sub_text((integration.get("Properties") or {}).get("IntegrationUri")))
        if function is None:
            raise TemplateError(f"{target.group(1)}: IntegrationUri must name a function's ${{X.Arn}}")
        key = str(props["RouteKey"])
        routes[key] = WsRoute(key, function.group(1), "RouteResponseSelectionExpression" in props)
    return WsApi(api_id, expression, routes)
