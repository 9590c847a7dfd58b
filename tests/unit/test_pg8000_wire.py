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


@pytest.mark.parametrize(
    ("oid", "text"),
    [
        (1184, "2026-11-30 10:31:55.206123+00"),
        (1184, "2026-11-30 10:31:55+05:30"),
        (1184, "infinity"),
        (1184, "0044-03-15 12:00:00+00 BC"),
        (1114, "2026-11-30 10:31:55.2"),
        (1114, "12026-11-30 10:31:55"),
        (1082, "2026-11-30"),
        (1082, "10000-01-01"),
        (1082, "-infinity"),
        (1083, "10:31:55.000001"),
        (1083, "23:59:59"),
    ],
)
def test_fast_time_readers_read_what_pg8000_reads(oid, text):
    from pg8000 import converters

    pg8000_wire.install()
    originals = {1184: converters.timestamptz_in, 1114: converters.timestamp_in}
    originals.update({1082: converters.date_in, 1083: converters.time_in})
    assert pg8000_wire._fast_time_readers()[oid](text) == originals[oid](text)


def test_an_offset_with_seconds_is_read_as_a_datetime():
    # Local mean time before 1911 (Paris: +00:09:21); pg8000's strptime gave the text back.
    from datetime import datetime, timedelta, timezone

    read = pg8000_wire._fast_time_readers()[1184]("1890-01-01 00:00:00+00:09:21")
    assert read == datetime(1890, 1, 1, tzinfo=timezone(timedelta(minutes=9, seconds=21)))


def test_one_cached_rewrite_serves_every_tenant():
    pg8000_wire._rewritten.cache_clear()
    for tenant in (7, 42, 2147483647):
        schema = f"user_{tenant}"
        query = f"SELECT {schema}.t.a, 'text %s' FROM {schema}.t WHERE {schema}.t.b = %s AND c = %s"
        converted = pg8000_wire.convert_paramstyle("format", query, (1, 2))
        assert converted == pg8000_wire._original_convert("format", query, (1, 2))
        assert converted[0].count(f"{schema}.") == 3
    assert pg8000_wire._rewritten.cache_info().currsize == 1
