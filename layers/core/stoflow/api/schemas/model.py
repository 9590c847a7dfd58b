"""The base of every request and response body of the HTTP API.

A pydantic model builds its validator and serializer when its class is created: for the products
function's dozens of bodies, a fifth of its cold start, most of it for routes the container's
first request does not take. Deferred, a body is built the first time a request validates or
answers with it (or the OpenAPI document describes it), once per container.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    model_config = ConfigDict(defer_build=True)
