"""The few CloudFormation intrinsics the local cloud resolves: Ref, Fn::GetAtt, Fn::Sub.

Values come from a table the parts fill as they create things (a queue's URL and ARN, a bucket's
name, the WebSocket API's id); a reference the table does not know resolves to None, and the
caller decides whether that matters (an environment variable is then simply not set locally).
"""

from __future__ import annotations

import re
from typing import Any

from infra.local.functions import LOCAL_ACCOUNT_ID

_SUB = re.compile(r"\$\{([^}!]+)\}")


class Resolver:
    def __init__(self, parameters: dict[str, str], region: str) -> None:
        self.refs: dict[str, str] = {
            **parameters,
            "AWS::Region": region,
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::StackName": "stoflow-local",
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.attributes: dict[tuple[str, str], str] = {}

    def set_ref(self, logical_id: str, value: str) -> None:
        self.refs[logical_id] = value

    def set_attribute(self, logical_id: str, attribute: str, value: str) -> None:
        self.attributes[(logical_id, attribute)] = value

    def resolve(self, value: Any) -> Any:
        """A literal as it is; an intrinsic resolved to a string, or None when unknown."""
        if isinstance(value, str | int | float | bool) or value is None:
            return value
        if isinstance(value, dict) and len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.refs.get(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.attributes.get((logical_id, attribute))
            if key == "Fn::Sub":
                return self._sub(argument)
        return None

    def _sub(self, argument: Any) -> str | None:
        template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        missing = False

        def replace(match: re.Match[str]) -> str:
            nonlocal missing
            name = match.group(1)
            if name in variables:
                value = self.resolve(variables[name])
            elif "." in name:
                logical_id, attribute = name.split(".", 1)
                value = self.attributes.get((logical_id, attribute))
            else:
                value = self.refs.get(name)
            if value is None:
                missing = True
                return ""
            return str(value)

        result = _SUB.sub(replace, template)
        return None if missing else result
