"""The events the local gateway builds are ones the area functions' FastAPI + Mangum stack reads
like API Gateway's: path, query, headers, cookies and binary bodies in; status, cookies and
headers out."""

import json

from fastapi import FastAPI, Request, Response
from mangum import Mangum

from infra.local.http_events import HttpRequest, build_event, convert_response
from infra.local.routing import RouteTable
from infra.local.template import HttpRoute

app = FastAPI()


@app.put("/products/{product_id}")
async def put_product(product_id: int, request: Request, response: Response) -> dict:
    response.set_cookie("last", str(product_id))
    response.headers["x-seen"] = "1"
    return {
        "id": product_id,
        "tags": request.query_params.getlist("tag"),
        "session": request.cookies.get("session"),
        "agent": request.headers.get("user-agent"),
        "body_len": len(await request.body()),
        "url": str(request.url),
        "client": request.client.host if request.client else None,
    }


handler = Mangum(app, lifespan="off")


def test_a_request_goes_through_mangum_and_back():
    routes = RouteTable([HttpRoute("ANY", "/{proxy+}", "ApiFunction", "Api")])
    request = HttpRequest(
        method="PUT",
        target="/products/7?tag=a&tag=b",
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "pytest"),
            ("Cookie", "session=s1; x=y"),
            ("Content-Type", "image/jpeg"),
        ],
        body=b"\xff\xd8\xff\x00binary",
        source_ip="10.0.0.9",
        server_port=3000,
    )
    match = routes.match(request.method, "/products/7")
    assert match is not None
    response = convert_response(handler(build_event(request, match), None))
    assert response.status == 200
    assert json.loads(response.body) == {
        "id": 7,
        "tags": ["a", "b"],
        "session": "s1",
        "agent": "pytest",
        "body_len": 10,
        "url": "http://127.0.0.1:3000/products/7?tag=a&tag=b",
        "client": "10.0.0.9",
    }
    assert ("x-seen", "1") in response.headers
    assert any(name == "set-cookie" and value.startswith("last=7") for name, value in response.headers)
