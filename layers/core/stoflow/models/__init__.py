"""SQLAlchemy models; importing this package registers every table on the shared metadata."""

from stoflow.models.base import Base, metadata
from stoflow.models.catalog import Brand
from stoflow.models.products import Product
from stoflow.models.public import Tenant, User

__all__ = ["Base", "Brand", "Product", "Tenant", "User", "metadata"]
