"""The products function: /products (CRUD, bulk status) and /products/{id}/images."""

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers import images, products

app = create_app([products.router, images.router], title="StoFlow products", openapi_url="/products/openapi.json")
handler = lambda_handler(app)
