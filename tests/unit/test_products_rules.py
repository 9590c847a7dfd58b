"""Product rules without a database: status transitions and the quota check with a fake reader."""

from __future__ import annotations

from itertools import product as pairs

import pytest

from stoflow.errors import InvalidInput, InvalidTransition, ProductQuotaExceeded
from stoflow.models.products import PRODUCT_STATUSES
from stoflow.services import products as service_module
from stoflow.services.products import TRANSITIONS, ProductService, check_transition

ALLOWED = {
    ("draft", "published"),
    ("draft", "archived"),
    ("published", "draft"),
    ("published", "sold"),
    ("published", "archived"),
    ("sold", "published"),
    ("sold", "archived"),
    ("archived", "draft"),
}


@pytest.mark.parametrize(("current", "target"), list(pairs(PRODUCT_STATUSES, PRODUCT_STATUSES)))
def test_every_pair_of_statuses(current: str, target: str) -> None:
    if current == target or (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition) as caught:
            check_transition(current, target)
        assert caught.value.status == 409 and current in caught.value.detail


def test_the_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(PRODUCT_STATUSES)
    with pytest.raises(InvalidInput):
        check_transition("draft", "deleted")


class FakeSession:
    def __init__(self) -> None:
        self.locked: list[int] = []

    def connection(self) -> FakeSession:
        return self

    def execute(self, _statement, parameters):  # the advisory lock
        self.locked.append(parameters["tenant_id"])


@pytest.mark.parametrize(("allowance", "live", "refused"), [(None, 10**6, False), (30, 29, False), (30, 30, True)])
def test_quota_uses_the_reader_it_is_given(monkeypatch, allowance, live, refused) -> None:
    monkeypatch.setattr(service_module.repository, "count_live", lambda _session: live)
    session = FakeSession()
    service = ProductService(session, 42, quota=lambda _session, tenant: allowance if tenant == 42 else 0)
    if refused:
        with pytest.raises(ProductQuotaExceeded) as caught:
            service._check_quota()
        assert caught.value.status == 403 and caught.value.extra["limit"] == allowance
    else:
        service._check_quota()
    assert session.locked == ([] if allowance is None else [42])  # an unlimited tier takes no lock
