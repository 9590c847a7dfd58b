"""What a value may be at the HTTP edge: one rule for every route, derived from the column types.

A request value ends in a PostgreSQL column (or a bind parameter compared with one). A value the
column cannot hold must be refused here, as a 422 problem, and never reach the driver: there an
integer past 2**63, a NUL byte in text or JSONB, or a datetime that cannot be converted to UTC
is a server error (and a driver-side conversion error can leave the connection mid-protocol).

    ProductId = id_of(Product.id)               # 1 .. 2**63-1, from BigInteger
    Version = int_of(Product.version, ge=1)     # .. 2**31-1, from Integer
    Price = money_of(Product.price)             # >= 0, 12 digits, 2 decimals, from Numeric(12, 2)
    Title = text_of(Product.title)              # <= 200 characters, no NUL, from String(200)

Every constraint is in the OpenAPI document too (maximum, maxLength, pattern), so a client (or a
schema-driven fuzzer) knows what is accepted before it sends anything. Strings take one pattern,
NO_NUL; a field with its own pattern must exclude NUL itself (see Email in schemas/auth.py).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import Len
from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema, condecimal, confloat, conint
from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger, String
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeEngine

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "NO_NUL",
    "Id",
    "Id32",
    "Int64",
    "JobParams",
    "Offset",
    "Text",
    "UtcDateTime",
    "decimal_schema",
    "id_of",
    "int_of",
    "money_bound",
    "money_of",
    "money_schema",
    "text",
    "text_of",
]

INT16_MAX = 2**15 - 1
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# PostgreSQL refuses U+0000 in text, varchar and jsonb: a NUL never gets past the edge.
NO_NUL = r"^[^\x00]*$"


def _int_max(source: Any) -> int:
    sql_type = _sql_type(source)
    # BigInteger and SmallInteger are Integer subclasses: the most specific first.
    for kind, bound in ((BigInteger, INT64_MAX), (SmallInteger, INT16_MAX), (Integer, INT32_MAX)):
        if isinstance(sql_type, kind):
            return bound
    raise TypeError(f"{source} is not an integer column ({sql_type!r})")


def _sql_type(source: InstrumentedAttribute[Any] | Any) -> TypeEngine[Any]:
    """The SQL type of a mapped attribute (Product.id), a Column, or a type itself (BigInteger())."""
    if isinstance(source, InstrumentedAttribute):
        source = source.property.columns[0]
    return source if isinstance(source, TypeEngine) else source.type


def _documented(bound: int) -> int:
    """A bound as the document states it: one a JSON number (a double) carries exactly. Past 2**53
    a client or generator reading 9223372036854775807 as a double gets 2**63, one past the column;
    the nearest double towards zero that reads back inside is stated instead (the server still
    accepts up to the bound)."""
    nearest = float(bound)
    # Read back either way, exactly or from its shortest decimal form (-2**63 is an exact double,
    # but JSON writes it -9223372036854776000, past the column), the bound stays inside.
    while max(abs(int(nearest)), abs(int(Decimal(repr(nearest))))) > abs(bound):
        nearest = math.nextafter(nearest, 0.0)
    return int(nearest)


def _integer(low: int, high: int) -> Any:
    schema = {"type": "integer", "minimum": _documented(low), "maximum": _documented(high)}
    return Annotated[conint(ge=low, le=high), WithJsonSchema(schema)]


def id_of(attribute: InstrumentedAttribute[Any] | Any) -> Any:
    """A positive id that fits the column (identity columns start at 1)."""
    return _integer(1, _int_max(attribute))


def int_of(attribute: InstrumentedAttribute[Any] | Any, *, ge: int | None = None, le: int | None = None) -> Any:
    """An integer within the column's type, narrowed further by `ge` / `le`."""
    bound = _int_max(attribute)
    low = -bound - 1 if ge is None else max(ge, -bound - 1)
    high = bound if le is None else min(le, bound)
    return _integer(low, high)


def money_bound(attribute: InstrumentedAttribute[Any] | Any) -> Decimal:
    """The largest amount a Numeric(precision, scale) column holds: Numeric(12, 2) → 9999999999.99."""
    sql_type = _sql_type(attribute)
    if not isinstance(sql_type, Numeric) or sql_type.precision is None:
        raise TypeError(f"{attribute} is not a Numeric(p, s) column")
    scale = sql_type.scale or 0
    return Decimal(10) ** (sql_type.precision - scale) - Decimal(10) ** -scale


def decimal_schema(precision: int, scale: int, maximum: Decimal | None = None) -> dict[str, Any]:
    """How the document states a non-negative Numeric(precision, scale) value: a number (a multiple
    of the last decimal place) or a decimal string, never more than the column holds."""
    top = maximum if maximum is not None else Decimal(10) ** (precision - scale) - Decimal(10) ** -scale
    number: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": float(top)}
    if scale:
        number["multipleOf"] = float(Decimal(10) ** -scale)
    decimals = rf"(\.\d{{1,{scale}}})?" if scale else ""
    # As many integer digits as every value below the maximum has (10000 → 4: 9999.9 at most).
    digits = len(str(int(top) + 1)) - 1
    string = {"type": "string", "pattern": rf"^\d{{1,{digits}}}{decimals}$"}
    return {"anyOf": [number, string]}


def money_schema(attribute: InstrumentedAttribute[Any] | Any) -> dict[str, Any]:
    """The document's form of an amount of this Numeric(p, s) column (see decimal_schema)."""
    top = money_bound(attribute)  # refuses anything but a Numeric(p, s) column
    sql_type = _sql_type(attribute)
    return decimal_schema(int(sql_type.precision), int(sql_type.scale or 0), top)


def money_of(attribute: InstrumentedAttribute[Any] | Any) -> Any:
    """A finite, non-negative amount no larger than the column holds (a filter: extra decimals are
    harmless there; a stored amount also limits its decimals, see schemas/products.py)."""
    return Annotated[
        condecimal(ge=0, le=money_bound(attribute), allow_inf_nan=False), WithJsonSchema(money_schema(attribute))
    ]


def text(max_length: int | None = None, *, min_length: int | None = None, strip: bool = False) -> Any:
    """A string without NUL, at most `max_length` characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=strip, min_length=min_length, max_length=max_length, pattern=NO_NUL),
    ]


def text_of(attribute: InstrumentedAttribute[Any] | Any, *, min_length: int | None = None, strip: bool = False) -> Any:
    """A string the column can hold: no NUL, no longer than String(n) (Text: no length)."""
    sql_type = _sql_type(attribute)
    length = sql_type.length if isinstance(sql_type, String) else None
    return text(length, min_length=min_length, strip=strip)


def _utc(value: datetime) -> datetime:
    """Naive means UTC. The instant must exist in UTC within Python's range (years 1 to 9999,
    narrower than PostgreSQL's): 0001-01-01T00:00:00+14:00 is a day before year 1 in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("this date and time is out of range once converted to UTC") from exc


def _iso_text(value: Any) -> Any:
    """A date and time is written as RFC 3339 text, as the document says: pydantic alone would read
    a number (or "-3.7e16" in a query string) as seconds since 1970, an instant nobody meant."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("expected a date and time such as 2026-05-01T12:00:00Z")
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# The document says the same: years 0002 to 9998 always convert (the extreme offsets are ±1 day).
_DATETIME_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^(000[2-9]|00[1-9]\d|0[1-9]\d\d|[1-8]\d\d\d|9[0-8]\d\d|99[0-8]\d)-",
}

Id = id_of(BigInteger())  # bigint identity ids: products, images, jobs, batches, devices
Id32 = id_of(Integer())  # integer ids: users, catalogue entries
Int64 = int_of(BigInteger())
Offset = int_of(BigInteger(), ge=0)
Text = text()
UtcDateTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_utc), WithJsonSchema(_DATETIME_SCHEMA)]

_ParamKey = text(64, min_length=1)
_ParamScalar = bool | Int64 | confloat(ge=-1e15, le=1e15, allow_inf_nan=False) | text(10_000) | None
# A job's free-form parameters end in a JSONB column: flat, bounded, NUL-free, finite numbers.
JobParams = Annotated[dict[_ParamKey, _ParamScalar | Annotated[list[_ParamScalar], Len(0, 100)]], Len(0, 50)]
