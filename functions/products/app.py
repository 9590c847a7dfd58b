"""The products function: /products (CRUD, bulk status, marketplace filters), /products/{id}/images,
/products/{id}/listings and /products/{id}/history."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers import images, listings, products

app = create_app(
    [products.router, images.router, listings.router], title="StoFlow products", openapi_url="/products/openapi.json"
)
handler = lambda_handler(app)
