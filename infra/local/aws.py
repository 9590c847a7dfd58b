"""Local AWS: moto in server mode (SQS, S3, Secrets Manager, SES) and the template's resources in it.

From template.yaml: every AWS::SQS::Queue (FIFO, deduplication, visibility timeout, retention and
the redrive policy: moto itself moves a message to the DLQ after maxReceiveCount receives), every
AWS::S3::Bucket (CORS, lifecycle) and every AWS::SecretsManager::Secret. SES gets the sender
address verified, as an operator does once per account on AWS.

Functions are pointed at it through STOFLOW_AWS_ENDPOINT_URL (and throwaway credentials, so no
real key ever signs a local request). moto keeps everything in memory: the buckets' objects are
saved under <data_dir>/s3 on stop and put back on start, so product images survive a restart.
Queued messages do not (the job rows are the truth; the sweeper re-sends what never ran).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from infra.local.environment import export, restore
from infra.local.intrinsics import Resolver
from infra.local.template import Template
from stoflow.config import get_settings

log = logging.getLogger("stoflow.local.aws")

LOCAL_STAGE = "local"
_QUEUE_ATTRIBUTES = {
    "FifoQueue": "FifoQueue",
    "ContentBasedDeduplication": "ContentBasedDeduplication",
    "VisibilityTimeout": "VisibilityTimeout",
    "MessageRetentionPeriod": "MessageRetentionPeriod",
    "DelaySeconds": "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "DeduplicationScope": "DeduplicationScope",
    "FifoThroughputLimit": "FifoThroughputLimit",
    "MaximumMessageSize": "MaximumMessageSize",
}


def template_parameters(template: Template) -> dict[str, str]:
    """Parameter defaults, with the stage named `local`."""
    parameters = {
        name: str(spec.get("Default", "")) for name, spec in (template.document.get("Parameters") or {}).items()
    }
    parameters["Stage"] = LOCAL_STAGE
    return parameters


def local_bucket_name(logical_id: str) -> str:
    # ImagesBucket -> stoflow-images-local: stoflow.config's default, so nothing needs exporting
    # for the common case; a bucket with an explicit BucketName keeps it.
    stem = re.sub(r"(?<!^)(?=[A-Z])", "-", logical_id.removesuffix("Bucket")).lower()
    return f"stoflow-{stem}-{LOCAL_STAGE}"


def _by_type(template: Template, type_: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, resource.get("Properties") or {})
        for logical_id, resource in template.resources.items()
        if isinstance(resource, dict) and resource.get("Type") == type_
    ]


def _flag(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class LocalAws:
    """A Part: moto's server on 127.0.0.1:<port>, the template's resources created in it."""

    name = "aws"

    def __init__(
        self,
        template: Template,
        resolver: Resolver,
        host: str = "127.0.0.1",
        port: int = 4566,
        data_dir: Path | None = None,
    ) -> None:
        self.template = template
        self.resolver = resolver
        self.host = host
        self._requested_port = port
        self.data_dir = data_dir
        self.queues: dict[str, str] = {}  # logical id -> URL
        self.buckets: dict[str, str] = {}  # logical id -> name
        self.secrets: dict[str, str] = {}  # logical id -> ARN
        self._server: Any = None
        self._previous_env: dict[str, str | None] = {}

    @property
    def port(self) -> int:
        if self._server is None:
            return self._requested_port
        return int(self._server._server.server_port)  # the bound port, also when 0 was asked

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address=self.host, port=self._requested_port, verbose=False)
        self._server.start()
        # moto's backends are process-wide: another server started earlier in this process (tests)
        # would otherwise leave its queues, buckets and secrets behind.
        import urllib.request

        reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(reset, timeout=30).close()  # noqa: S310 - our own moto server on loopback
        self._previous_env = export(
            STOFLOW_AWS_ENDPOINT_URL=self.endpoint_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's throwaway credentials
            AWS_SESSION_TOKEN=None,
            AWS_PROFILE=None,
        )
        try:
            self._create_queues()
            self._create_buckets()
            self._create_secrets()
            self._verify_sender()
            self._restore_objects()
            self._previous_env.update(export(**self.function_environment()))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._server is None:
            return
        try:
            self._save_objects()
        except Exception:
            log.exception("could not save the local buckets' objects")
        finally:
            self._server.stop()
            self._server = None
            restore(self._previous_env)

    def describe(self) -> list[str]:
        lines = [f"AWS (moto)   {self.endpoint_url}  SQS, S3, Secrets Manager, SES"]
        lines += [f"  queue  {url}" for url in self.queues.values()]
        lines += [f"  bucket {name}" for name in self.buckets.values()]
        return lines

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=get_settings().aws_region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106
        )

    # --- resources -------------------------------------------------------------------------------

    def _create_queues(self) -> None:
        sqs = self.client("sqs")
        pending = _by_type(self.template, "AWS::SQS::Queue")
        # A queue with a redrive policy needs its DLQ's ARN: create DLQs first, whatever the order.
        while pending:
            progressed = False
            for logical_id, props in list(pending):
                attributes = {attr: _flag(props[key]) for key, attr in _QUEUE_ATTRIBUTES.items() if key in props}
                redrive = props.get("RedrivePolicy")
                if redrive is not None:
                    target = self.resolver.resolve(redrive.get("deadLetterTargetArn"))
                    if target is None:
                        continue
                    attributes["RedrivePolicy"] = json.dumps(
                        {"deadLetterTargetArn": target, "maxReceiveCount": int(redrive["maxReceiveCount"])}
                    )
                name = self.resolver.resolve(props.get("QueueName")) or f"{logical_id}-{LOCAL_STAGE}"
                if attributes.get("FifoQueue") == "true" and not name.endswith(".fifo"):
                    name += ".fifo"
                url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                self.queues[logical_id] = url
                self.resolver.set_ref(logical_id, url)
                self.resolver.set_attribute(logical_id, "Arn", arn)
                self.resolver.set_attribute(logical_id, "QueueName", name)
                self.resolver.set_attribute(logical_id, "QueueUrl", url)
                pending.remove((logical_id, props))
                progressed = True
            if not progressed:
                raise RuntimeError(f"queues with an unresolvable redrive target: {[q for q, _ in pending]}")

    def _create_buckets(self) -> None:
        s3 = self.client("s3")
        region = get_settings().aws_region
        for logical_id, props in _by_type(self.template, "AWS::S3::Bucket"):
            name = self.resolver.resolve(props.get("BucketName")) or local_bucket_name(logical_id)
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
            cors = (props.get("CorsConfiguration") or {}).get("CorsRules")
            if cors:
                s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [self._cors_rule(r) for r in cors]})
            rules = (props.get("LifecycleConfiguration") or {}).get("Rules")
            if rules:
                s3.put_bucket_lifecycle_configuration(
                    Bucket=name, LifecycleConfiguration={"Rules": [self._lifecycle_rule(r) for r in rules]}
                )
            self.buckets[logical_id] = name
            self.resolver.set_ref(logical_id, name)
            self.resolver.set_attribute(logical_id, "Arn", f"arn:aws:s3:::{name}")

    def _cors_rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        def values(key: str) -> list[str]:
            return [str(self.resolver.resolve(v)) for v in rule.get(key) or [] if self.resolver.resolve(v) is not None]

        converted: dict[str, Any] = {
            "AllowedMethods": values("AllowedMethods"),
            "AllowedOrigins": values("AllowedOrigins"),
        }
        if rule.get("AllowedHeaders"):
            converted["AllowedHeaders"] = values("AllowedHeaders")
        if rule.get("ExposedHeaders"):
            converted["ExposeHeaders"] = values("ExposedHeaders")
        if "MaxAge" in rule:
            converted["MaxAgeSeconds"] = int(rule["MaxAge"])
        return converted

    @staticmethod
    def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
        converted: dict[str, Any] = {
            "ID": rule.get("Id", "rule"),
            "Status": rule.get("Status", "Enabled"),
            "Filter": {"Prefix": rule.get("Prefix", "")},
        }
        if "ExpirationInDays" in rule:
            converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        if "AbortIncompleteMultipartUpload" in rule:
            days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
        return converted

    def _create_secrets(self) -> None:
        secretsmanager = self.client("secretsmanager")
        for logical_id, props in _by_type(self.template, "AWS::SecretsManager::Secret"):
            name = self.resolver.resolve(props.get("Name")) or f"stoflow/{LOCAL_STAGE}/{logical_id}"
            # Created empty, as the template does; locally nothing reads them (keys are generated
            # under the data folder, the database URL is given), but their ARNs resolve.
            answer = secretsmanager.create_secret(Name=name, Description=str(props.get("Description", "")))
            self.secrets[logical_id] = answer["ARN"]
            self.resolver.set_ref(logical_id, answer["ARN"])

    def _verify_sender(self) -> None:
        self.client("ses").verify_email_identity(EmailAddress=get_settings().email_sender)

    def function_environment(self) -> dict[str, str]:
        """What the template gives functions that points at a local resource (a queue's URL, a
        bucket's name). Everything else stays as config's local default: secrets are generated
        locally, the database URL is given, the @connections URL is the WebSocket gateway's."""
        local = set(self.queues) | set(self.buckets)
        environment: dict[str, str] = {}
        for function in self.template.functions:
            variables = (function.properties.get("Environment") or {}).get("Variables") or {}
            for name, value in variables.items():
                if not isinstance(value, dict) or len(value) != 1:
                    continue
                ((kind, argument),) = value.items()
                target = argument if kind == "Ref" else (argument[0] if kind == "Fn::GetAtt" else None)
                if target not in local:
                    continue
                resolved = self.resolver.resolve(value)
                if resolved is None:
                    continue
                if environment.get(name, resolved) != resolved:
                    raise RuntimeError(f"{name} points at two resources; one process cannot give both")
                environment[name] = resolved
        return environment

    # --- persistence of bucket objects -----------------------------------------------------------

    def _objects_dir(self) -> Path | None:
        return self.data_dir / "s3" if self.data_dir is not None else None

    def _save_objects(self) -> None:
        folder = self._objects_dir()
        if folder is None:
            return
        s3 = self.client("s3")
        for name in self.buckets.values():
            bucket_dir = folder / name
            index: dict[str, str] = {}
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    answer = s3.get_object(Bucket=name, Key=key)
                    target = bucket_dir / "objects" / key
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(answer["Body"].read())
                    index[key] = answer.get("ContentType", "binary/octet-stream")
            bucket_dir.mkdir(parents=True, exist_ok=True)
            (bucket_dir / "index.json").write_text(json.dumps(index))

    def _restore_objects(self) -> None:
        folder = self._objects_dir()
        if folder is None:
            return
        s3 = self.client("s3")
        for name in self.buckets.values():
            index_file = folder / name / "index.json"
            if not index_file.is_file():
                continue
            for key, content_type in json.loads(index_file.read_text()).items():
                path = folder / name / "objects" / key
                if path.is_file():
                    s3.put_object(Bucket=name, Key=key, Body=path.read_bytes(), ContentType=content_type)
