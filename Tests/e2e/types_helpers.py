"""Shared helpers for the data-type suites (test_lists/hashes/sets/zsets/blocking/types_generic).

`wire(conn, *args)` shows one reply exactly as it came over the wire, in a compact text form, so a
test can pin the reply *shape* per protocol (RESP2 `*-1` vs `$-1`, RESP3 `_`, `%` maps, `~` sets,
`,` doubles with Redis's exact text) -- redis-py hides all of that behind its response callbacks.

    bulk "a" -> "a"        integer -> :3          double -> ,1.5      RESP3 null -> _
    null bulk -> $-1       null array -> *-1      simple -> +OK       error -> -ERR text
    array -> [x, y]        map -> %{k: v, ...}    set -> ~[x, y]      boolean -> #t / #f

Map entries and set members are sorted (their order means nothing); arrays keep their order.
"""

from __future__ import annotations

import pytest

from helpers import encode_command


def _read(c) -> str:
    line = c._line()
    t, rest = line[:1], line[1:].decode("utf-8", "replace")
    if t == b"+":
        return "+" + rest
    if t == b"-":
        return "-" + rest
    if t == b":":
        return ":" + rest
    if t == b"$":
        n = int(rest)
        if n < 0:
            return "$-1"
        return '"' + c._exact(n).decode("utf-8", "backslashreplace") + '"'
    if t in (b"*", b"~", b">"):
        n = int(rest)
        if n < 0:
            return "*-1"
        items = [_read(c) for _ in range(n)]
        if t == b"~":
            return "~[" + ", ".join(sorted(items)) + "]"
        return ("[" if t == b"*" else ">[") + ", ".join(items) + "]"
    if t == b"%":
        n = int(rest)
        entries = sorted(f"{_read(c)}: {_read(c)}" for _ in range(n))
        return "%{" + ", ".join(entries) + "}"
    if t == b"_":
        return "_"
    if t == b",":
        return "," + rest
    if t == b"#":
        return "#" + rest
    if t == b"(":
        return "(" + rest
    if t == b"!":
        return "-" + c._exact(int(rest)).decode("utf-8", "replace")
    if t == b"=":
        return '"' + c._exact(int(rest)).decode("utf-8", "replace")[4:] + '"'
    raise AssertionError(f"unexpected reply line {line!r}")


def read_wire(c) -> str:
    return _read(c)


def wire(c, *args) -> str:
    """Send one command on a RespConn and return its reply in the text form above."""
    c.send(encode_command(*args))
    return _read(c)


@pytest.fixture
def raw3(db):
    """A raw RESP connection switched to RESP3 (HELLO 3)."""
    c = db.raw()
    hello = c.cmd("HELLO", "3")
    assert isinstance(hello, dict), hello
    yield c
    c.close()


WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "-ERR value is not an integer or out of range"
NOT_FLOAT = "-ERR value is not a valid float"
SYNTAX = "-ERR syntax error"


def arity(cmd: str) -> str:
    return f"-ERR wrong number of arguments for '{cmd.lower()}' command"


def scan_all(conn, cmd: str, key: str, *extra, count: int = 10, between=None, max_calls: int = 100000):
    """Run a full *SCAN iteration with the raw connection; return every element (or field/member)
    reported, in order (duplicates kept). `between(i)` runs between calls."""
    from helpers import RespError
    seen = []
    cursor = b"0"
    calls = 0
    while True:
        reply = conn.cmd(cmd, key, cursor, "COUNT", count, *extra)
        assert not isinstance(reply, RespError), reply
        cursor, batch = reply
        if cmd.upper() in ("HSCAN", "ZSCAN"):
            assert len(batch) % 2 == 0, batch
            batch = batch[::2]
        seen += batch
        calls += 1
        assert calls < max_calls, "SCAN did not finish"
        if cursor == b"0":
            return seen
        if between is not None:
            between(calls)


@pytest.fixture
def config(db):
    """config(name, value): CONFIG SET for this test only; the value before is restored afterwards
    (the module's server is shared by every test in the file)."""
    c = db.raw()
    saved: dict[str, bytes] = {}

    def set_(name: str, value):
        if name not in saved:
            got = c.cmd("CONFIG", "GET", name)
            assert len(got) == 2, got
            saved[name] = got[1]
        assert c.cmd("CONFIG", "SET", name, str(value)) == "OK"

    yield set_
    for name, value in reversed(list(saved.items())):  # reversed: alias names share one value
        c.cmd("CONFIG", "SET", name, value)
    c.close()


def require(conn, *probe):
    """Skip the test when the server does not know a command this test leans on but that belongs
    to another issue (MULTI, CLIENT UNBLOCK): it runs by itself once the server has it."""
    from helpers import RespError
    reply = conn.cmd(*probe)
    if isinstance(reply, RespError) and reply.text.startswith(("ERR unknown command", "ERR unknown subcommand")):
        pytest.skip(f"server lacks {' '.join(probe[:2])}: {reply.text}")
    return reply


def require_multi(conn):
    if require(conn, "MULTI") == "OK":
        assert conn.cmd("DISCARD") == "OK"
