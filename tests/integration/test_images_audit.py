"""`stoflow images audit` on a migrated tenant: counts and the doubtful label guesses."""

from __future__ import annotations

from bench import images_legacy
from stoflow import cli
from stoflow.db.migrations import migrate_tenant_schema
from stoflow.services.images_audit import audit_tenant

STAMP = "2024-05-01T10:00:0{}+00:00"


def test_audit_lists_the_doubtful_guesses(migrator_engine, capsys) -> None:
    # Made as the migrator, the schema's owner: the CLI reads it as that role.
    engine = migrator_engine
    tenant = 650001
    images_legacy.provision_legacy_tenant(engine, tenant)

    def element(n: int, order: int | None = None, second: int | None = None) -> dict:
        return {
            "url": f"https://r2.stoflow.example/{n}.jpg",
            "order": n if order is None else order,
            "created_at": STAMP.format(n if second is None else second),
        }

    images_legacy.load(
        engine,
        tenant,
        [
            {"id": 1, "title": "fine", "images": [element(0), element(1), element(2)]},
            {"id": 2, "title": "single", "images": [element(0)]},
            {"id": 3, "title": "label older than a photo", "images": [element(0, second=5), element(1, second=2)]},
            {"id": 4, "title": "orders disagree", "images": [element(0, order=1), element(1, order=0)]},
            {"id": 5, "title": "no images", "images": []},
        ],
    )
    migrate_tenant_schema(engine, tenant, "upgrade", "head")

    result = audit_tenant(engine, tenant)
    assert (result.products, result.images, result.labels) == (4, 8, 4)
    assert {(f.product_id, f.reason) for f in result.findings} == {
        (2, "single_image"),
        (3, "label_not_newest"),
        (4, "order_disagrees"),
    }

    assert cli.main(["images", "audit", "--tenant", str(tenant)]) == 0
    out = capsys.readouterr().out
    assert "user_650001: 4 products with migrated images, 8 images, 4 labels, 3 doubtful" in out
    assert "product 2\tsingle_image\t1 images" in out
