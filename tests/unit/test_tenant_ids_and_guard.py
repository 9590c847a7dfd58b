import pytest

from stoflow.db.guard import check_tenant_statement
from stoflow.db.tenancy import schema_for, tenant_session, validate_tenant_id
from stoflow.errors import InvalidTenantId, TenantIsolationViolation


@pytest.mark.parametrize("good, expected", [(1, 1), (42, 42), ("42", 42), (2**31 - 1, 2**31 - 1)])
def test_valid_tenant_ids(good, expected):
    assert validate_tenant_id(good) == expected
    assert schema_for(good) == f"user_{expected}"


@pytest.mark.parametrize(
    "bad",
    [
        0,
        -1,
        2**31,
        True,
        False,
        None,
        1.0,
        1.5,
        "",
        "abc",
        "1; DROP SCHEMA public",
        "1 ",
        " 1",
        "-1",
        "01",
        "\uff11\uff12",
        "user_1",
        b"1",
        [1],
        "99999999999",
    ],
)
def test_malformed_tenant_ids_are_refused(bad):
    with pytest.raises(InvalidTenantId):
        validate_tenant_id(bad)


def test_a_malformed_id_is_refused_before_any_engine_is_touched():
    class Exploding:
        def __getattr__(self, name):
            raise AssertionError("the engine must not be used")

    with pytest.raises(InvalidTenantId), tenant_session("1 OR 1=1", engine=Exploding()):
        pass


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "user_1".products.id FROM "user_1".products',
        "SELECT id FROM user_1.products WHERE products.tenant_id = 3",
    ],
)
def test_own_schema_passes(sql):
    check_tenant_statement(sql, "user_1")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM user_2.products",
        'SELECT * FROM "user_2"."products"',
        "SELECT * FROM user_1.products JOIN USER_12.products p ON true",
        "SELECT * FROM tenant.products",
        'SELECT * FROM "tenant".products',
        "DELETE FROM tenant . products",
    ],
)
def test_other_schemas_and_the_placeholder_are_refused(sql):
    with pytest.raises(TenantIsolationViolation):
        check_tenant_statement(sql, "user_1")


def test_columns_that_merely_contain_the_words_pass():
    check_tenant_statement("SELECT products.tenant_id, products.user_10_count FROM user_1.products", "user_1")


def test_an_engine_translates_each_statement_once_per_schema():
    from stoflow.db.engine import build_engine

    engine = build_engine("postgresql+pg8000://nobody@127.0.0.1:1/none")  # nothing is connected
    try:
        preparer = engine.dialect.identifier_preparer
        compiled = "SELECT __[SCHEMA_tenant].t.a FROM __[SCHEMA_tenant].t WHERE __[SCHEMA_tenant].t.b = %s"
        first = preparer._render_schema_translates(compiled, {"tenant": "user_7"})
        assert first == "SELECT user_7.t.a FROM user_7.t WHERE user_7.t.b = %s"
        # The same text object again: the guard's and the driver's caches find it at once.
        assert preparer._render_schema_translates(compiled, {"tenant": "user_7"}) is first
        assert preparer._render_schema_translates(compiled, {"tenant": "user_8"}) == first.replace("user_7", "user_8")
    finally:
        engine.dispose()


def test_a_tenants_option_engine_is_kept_by_its_engine_and_goes_with_it():
    import gc
    import weakref

    from stoflow.db.engine import build_engine
    from stoflow.db.tenancy import tenant_engine

    engine = build_engine("postgresql+pg8000://nobody@127.0.0.1:1/none")  # nothing is connected
    seven = tenant_engine(engine, 7)
    assert tenant_engine(engine, 7) is seven
    assert tenant_engine(engine, 8) is not seven
    assert seven.get_execution_options()["schema_translate_map"] == {"tenant": "user_7"}
    gone = weakref.ref(engine)
    del engine, seven
    gc.collect()
    assert gone() is None, "nothing but the engine itself keeps its tenants' option engines"
