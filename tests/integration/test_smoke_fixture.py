from sqlalchemy import select

from stoflow.db.tenancy import tenant_session
from stoflow.models import Product


def test_a_fresh_tenant_starts_empty(make_tenant):
    tenant = make_tenant()
    with tenant_session(tenant) as session:
        assert session.scalars(select(Product)).all() == []
