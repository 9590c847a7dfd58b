import pytest

from stoflow.db import pg8000_wire

QUERIES = [
    "SELECT * FROM t WHERE a = %s AND b = %s",
    "SELECT '%s is text', \"col%s\" FROM t WHERE a = %s -- %s in a comment\n AND b = %s",
    "SELECT $$ %s $$, E'it''s %s' FROM t WHERE x = %s",
    "UPDATE t SET a = %s WHERE b LIKE '100%%' RETURNING *",
]


@pytest.mark.parametrize("query", QUERIES)
def test_cached_conversion_equals_pg8000s(query):
    args = (1, 2, 3)
    assert pg8000_wire.convert_paramstyle("format", query, args) == pg8000_wire._original_convert("format", query, args)
    # twice: the second answer comes from the cache
    assert pg8000_wire.convert_paramstyle("format", query, args) == pg8000_wire._original_convert("format", query, args)


def test_named_styles_are_left_to_pg8000():
    query, args = "SELECT %(a)s, %(b)s, %(a)s", {"a": 1, "b": 2}
    expected = pg8000_wire._original_convert("pyformat", query, args)
    assert pg8000_wire.convert_paramstyle("pyformat", query, args) == expected
