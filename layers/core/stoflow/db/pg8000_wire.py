"""pg8000 on the wire: one round trip per statement, and never a connection left mid-protocol.

Three changes to how pg8000 talks to the server, installed once per process by `install()`:

- **Parameters are converted before anything is sent.** pg8000 sends Parse, then Describe + Sync,
  and only then converts the parameters: a value it cannot convert (a datetime whose UTC form
  falls before year 1 raises OverflowError) left Describe's replies unread on the socket, and the
  next statement on that pooled connection read them as its own results: another user's request.
- **A statement is one packet and one round trip.** Parse, Bind, Describe (portal), Execute and
  Sync are written together and the replies read once, instead of three exchanges. The BEGIN that
  opens a transaction travels in the same packet as the transaction's first statement.
- **Any failure while the protocol is in flight abandons the connection.** A server error is read
  through ReadyForQuery and raised afterwards: the connection is in step and stays usable. Anything
  else raised between the first byte written and the last reply read (a conversion error in a
  result row, a socket timeout, a cancel, an interrupt) closes the socket, so the connection cannot
  be reused: its next use raises InterfaceError("connection is closed"), which SQLAlchemy treats as
  a disconnect (see `invalidate_abandoned` in engine.py) and the pool opens a new one.

The paramstyle rewrite is cached too: pg8000 scans the SQL character by character on every
execute (about 0.5 ms for a wide statement); for positional styles the result depends on the SQL
alone. And dates and times are read with `fromisoformat` (about 0.2 µs a value) instead of
pg8000's `strptime` (about 7 to 36 µs): PostgreSQL's ISO output is what it parses; anything else
(BC dates, years past 9999, infinity) goes to pg8000's own converter, unchanged. The replies are
read with one call for a message's header and one for its body (pg8000 copied each twice), and a
row description is parsed once per connection and shape of result (`_described`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import date, datetime, time
from functools import lru_cache, wraps
from typing import Any

import pg8000.dbapi
import pg8000.legacy
from pg8000 import converters, core
from pg8000.converters import make_params
from pg8000.exceptions import InterfaceError

_original_convert = pg8000.dbapi.convert_paramstyle
_POSITIONAL = frozenset({"numeric", "qmark", "format"})
_BEGIN = "begin transaction"
_installed = False


# A tenant schema named in a statement (the tenant session renders it into the text).
_TENANT_SCHEMA = re.compile(r"\buser_[0-9]+\.")
_SCHEMA_SLOT = "user_\x00."


@lru_cache(maxsize=2048)
def _rewritten(style: str, query: str) -> str:
    return _original_convert(style, query, ())[0]


def _rewritten_for_any_tenant(style: str, query: str) -> str:
    """pg8000's rewrite of the placeholders (a slow walk of the text in Python), cached once for
    every tenant: the same statement differs between tenants only by its schema's name, so the
    cache holds it with the name taken out (one name at most: the statement guard refuses two)."""
    schemas = set(_TENANT_SCHEMA.findall(query))
    if len(schemas) != 1:
        return _rewritten(style, query)
    (schema,) = schemas
    return _rewritten(style, query.replace(schema, _SCHEMA_SLOT)).replace(_SCHEMA_SLOT, schema)


@lru_cache(maxsize=2048)
def _rewritten_exactly(style: str, query: str) -> str:
    # The text as sent: one lookup for a statement this container sent before (finding the
    # tenant's schema in it costs about 20 µs), the schema-free cache for a tenant's first time.
    return _rewritten_for_any_tenant(style, query)


def convert_paramstyle(style: str, query: str, args: Any) -> tuple[str, Any]:
    if style in _POSITIONAL:
        return _rewritten_exactly(style, query), args
    return _original_convert(style, query, args)


def _iso(parse: Callable[[str], Any], fallback: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(data: str) -> Any:
        try:
            return parse(data)
        except ValueError:
            return fallback(data)

    return convert


def _fast_time_readers() -> dict[int, Callable[[str], Any]]:
    return {
        converters.TIMESTAMPTZ: _iso(datetime.fromisoformat, converters.timestamptz_in),
        converters.TIMESTAMP: _iso(datetime.fromisoformat, converters.timestamp_in),
        converters.DATE: _iso(date.fromisoformat, converters.date_in),
        converters.TIME: _iso(time.fromisoformat, converters.time_in),
    }


def _message(code: bytes, payload: bytes) -> bytes:
    return code + core.i_pack(len(payload) + 4) + payload


def _query_message(conn: core.CoreConnection, sql: str) -> bytes:
    return _message(core.QUERY, sql.encode(conn._client_encoding) + core.NULL_BYTE)


def _extended_messages(conn: core.CoreConnection, statement: str, params: Iterable[str | None], oids: Any) -> bytes:
    """Parse, Bind, Describe portal, Execute and Sync of one unnamed statement, as one buffer."""
    encoding = conn._client_encoding
    parse = bytearray(core.NULL_BYTE)
    parse += statement.encode(encoding) + core.NULL_BYTE
    parse += core.H_pack(len(oids))
    for oid in oids:
        parse += core.i_pack(0 if oid == -1 else oid)
    values = list(params)
    bind = bytearray(core.NULL_BYTE + core.NULL_BYTE + core.H_pack(0) + core.H_pack(len(values)))
    for value in values:
        if value is None:
            bind += core.i_pack(-1)
        else:
            encoded = value.encode(encoding)
            bind += core.i_pack(len(encoded)) + encoded
    bind += core.H_pack(0)
    return b"".join(
        (
            _message(core.PARSE, bytes(parse)),
            _message(core.BIND, bytes(bind)),
            _message(core.DESCRIBE, core.PORTAL + core.NULL_BYTE),
            core.EXECUTE_MSG,
            core.SYNC_MSG,
        )
    )


def abandon(conn: core.CoreConnection) -> None:
    """Close the socket of a connection whose protocol state is unknown; it is never used again."""
    usock = conn._usock
    conn._sock = None
    conn._usock = None
    conn._stoflow_abandoned = True  # type: ignore[attr-defined]
    if usock is not None:
        # The socket is thrown away because it failed; a second failure closing it changes
        # nothing, and the original error is the one being raised.
        with suppress(OSError):
            usock.close()


def is_abandoned(conn: object) -> bool:
    return bool(getattr(conn, "_stoflow_abandoned", False))


_ROW_DESCRIPTIONS_KEPT = 512


def _described(conn: core.CoreConnection, data: bytes, context: core.Context) -> None:
    """pg8000's handle_ROW_DESCRIPTION, parsed once per connection and shape of result: the same
    statement gets the same description every time, and parsing it (a dict per column) was a
    tenth of a warm request's driver time. The columns are only read (cursor.description)."""
    seen: dict[bytes, tuple[list[dict[str, Any]], list[Callable[[str], Any]]]] | None = getattr(
        conn, "_stoflow_row_descriptions", None
    )
    if seen is None or len(seen) >= _ROW_DESCRIPTIONS_KEPT:
        seen = conn._stoflow_row_descriptions = {}  # type: ignore[attr-defined]
    parsed = seen.get(data)
    if parsed is None:
        conn.handle_ROW_DESCRIPTION(data, context)
        seen[data] = (context.columns, context.input_funcs)
        return
    context.columns, context.input_funcs = parsed
    if context.rows is None:
        context.rows = []


def _read_until_ready(conn: core.CoreConnection, context: core.Context) -> None:
    """pg8000's handle_messages without the final raise (the error stays in context.error), each
    message read with one call for its header and one for its body (pg8000's `_read` copies
    each twice), and row descriptions parsed once (`_described`)."""
    read, unpack, handlers = conn._sock.read, core.ci_unpack, conn.message_types
    while True:
        header = read(5)
        if len(header) != 5:  # a buffered read returns short only at the end of the stream
            raise InterfaceError("network error")
        code, length = unpack(header)
        body = read(length - 4)
        if len(body) != length - 4:
            raise InterfaceError("network error")
        if code == core.ROW_DESCRIPTION:
            _described(conn, body, context)
        else:
            handlers[code](body, context)
            if code == core.READY_FOR_QUERY:
                return


def _exchange(conn: core.CoreConnection, packet: bytes, contexts: list[core.Context]) -> None:
    """Send one packet and read one ReadyForQuery per context; abandon the connection on anything
    but a server error, which is raised only once every reply has been read."""
    if conn._sock is None:
        raise InterfaceError("connection is closed")
    try:
        conn._sock.write(packet)
        conn._sock.flush()
        for context in contexts:
            _read_until_ready(conn, context)
    except OSError as exc:
        # A socket timeout included: a DBAPI error SQLAlchemy recognises as a disconnect.
        abandon(conn)
        raise InterfaceError("network error") from exc
    except BaseException:
        abandon(conn)
        raise
    for context in contexts:
        if context.error is not None:
            raise context.error


def _take_pending_begin(conn: core.CoreConnection) -> core.Context | None:
    if not getattr(conn, "_stoflow_begin_pending", False):
        return None
    conn._stoflow_begin_pending = False  # type: ignore[attr-defined]
    return core.Context(_BEGIN)


def execute_simple(self: core.CoreConnection, statement: str) -> core.Context:
    context = core.Context(statement)
    if statement == _BEGIN:
        # pg8000's cursors send this just before a statement when no transaction is open: it
        # waits, and leaves in the same packet as that statement.
        self._stoflow_begin_pending = True  # type: ignore[attr-defined]
        return context
    begin = _take_pending_begin(self)
    if self._sock is None:
        raise InterfaceError("connection is closed")
    packet = _query_message(self, statement)
    if begin is None:
        _exchange(self, packet, [context])
    else:
        _exchange(self, _query_message(self, _BEGIN) + packet, [begin, context])
    return context


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """pg8000's own exchange (COPY, named statements), abandoned on anything but a server error."""

    @wraps(method)
    def guarded(self: core.CoreConnection, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except pg8000.dbapi.DatabaseError as exc:
            # handle_messages raises a server's error only after ReadyForQuery: in step.
            if isinstance(exc.args[0] if exc.args else None, dict):
                raise
            abandon(self)
            raise
        except BaseException:
            abandon(self)
            raise

    return guarded


_pg8000_execute_unnamed = core.CoreConnection.execute_unnamed
_pg8000_copy_exchange = _guarded(_pg8000_execute_unnamed)


def execute_unnamed(
    self: core.CoreConnection, statement: str, vals: Any = (), oids: Any = (), stream: Any = None
) -> core.Context:
    if stream is not None:
        begin = _take_pending_begin(self)
        if begin is not None:
            execute_simple(self, _BEGIN)
        return _pg8000_copy_exchange(self, statement, vals=vals, oids=oids, stream=stream)
    # Converted first: a value that cannot be sent fails here, before a single byte is written.
    params = make_params(self.py_types, vals)
    begin = _take_pending_begin(self)
    if self._sock is None:
        raise InterfaceError("connection is closed")
    context = core.Context(statement)
    packet = _extended_messages(self, statement, params, oids)
    if begin is None:
        _exchange(self, packet, [context])
    else:
        _exchange(self, _query_message(self, _BEGIN) + packet, [begin, context])
    return context


_pg8000_close = core.CoreConnection.close
_pg8000_register_in_adapter = core.CoreConnection.register_in_adapter


def register_in_adapter(self: core.CoreConnection, oid: int, in_func: Callable[[str], Any]) -> None:
    """pg8000's, and the row descriptions parsed so far forgotten: they hold the old reader."""
    _pg8000_register_in_adapter(self, oid, in_func)
    self._stoflow_row_descriptions = {}  # type: ignore[attr-defined]


def close(self: core.CoreConnection) -> None:
    """pg8000's close, except that an abandoned connection is already closed: not an error."""
    if is_abandoned(self):
        return
    _pg8000_close(self)


def install() -> None:
    """Patch pg8000 once per process (idempotent)."""
    global _installed
    if _installed:
        return
    pg8000.dbapi.convert_paramstyle = convert_paramstyle
    pg8000.legacy.convert_paramstyle = convert_paramstyle
    # Copied into each new connection's type map (pg8000 core: defaultdict(..., PG_TYPES)).
    converters.PG_TYPES.update(_fast_time_readers())
    core.CoreConnection.execute_simple = execute_simple
    core.CoreConnection.execute_unnamed = execute_unnamed
    core.CoreConnection.close = close
    core.CoreConnection.register_in_adapter = register_in_adapter
    for name in ("execute_named", "prepare_statement", "close_prepared_statement"):
        setattr(core.CoreConnection, name, _guarded(getattr(core.CoreConnection, name)))
    _installed = True


__all__ = ["abandon", "convert_paramstyle", "install", "is_abandoned"]
