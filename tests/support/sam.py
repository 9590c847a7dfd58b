"""template.yaml as CloudFormation would receive it after the SAM transform, offline.

The AWS SAM translator (the library `sam deploy` and CloudFormation's transform run) expands the
functions into roles, permissions, schedules and event source mappings: what the contract tests
read to know which actions each function really gets. Code and nested-stack locations are given
placeholder S3 addresses, as `sam package` would; nothing is sent to AWS.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from infra.local.template import TEMPLATE_PATH, load_yaml

REGION = "eu-west-3"


def transform(document: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    document = copy.deepcopy(document)
    for resource in document.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Application":
            properties["Location"] = f"https://s3.{REGION}.amazonaws.com/packaged/{properties['Location']}"
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = "s3://packaged/code.zip"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    return translator.translate(document, parameter_values=dict(parameters or {}), get_managed_policy_map=dict)


@cache
def transformed_template() -> dict[str, Any]:
    return transform(load_yaml(TEMPLATE_PATH.read_text()))
