"""Blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP) with several
clients on raw sockets.

No timing thresholds: "blocked" is observed through INFO blocked_clients / CLIENT LIST, never by
sleeping a fixed time and hoping; timeouts are only checked to be "not before roughly the timeout"
and "within a generous bound"."""

import select
import time

import pytest

from helpers import encode_command, info_fields, wait_for
from types_helpers import WRONGTYPE, arity, raw3, read_wire, require, require_multi, wire  # noqa: F401

NEGATIVE = "-ERR timeout is negative"
NOT_A_FLOAT = "-ERR timeout is not a float or out of range"
WAIT = 20.0  # generous upper bound for anything that should happen "now"


class Blocker:
    """A client that sends a (blocking) command and collects its reply later."""

    def __init__(self, server, protocol: int = 2):
        self.c = server.raw(timeout=WAIT)
        self.sent = ()
        self.expect_block = False
        if protocol == 3:
            assert isinstance(self.c.cmd("HELLO", "3"), dict)

    def send(self, *args) -> "Blocker":
        self.sent = args
        self.expect_block = True
        self.c.send(encode_command(*args))
        return self

    def reply(self) -> str:
        self.expect_block = False
        return read_wire(self.c)

    def has_reply(self, wait: float = 0.0) -> bool:
        if self.c.buf:
            return True
        r, _, _ = select.select([self.c.sock], [], [], wait)
        return bool(r)

    def close(self):
        self.expect_block = False
        self.c.close()


@pytest.fixture
def clients(db):
    def make(protocol: int = 2) -> Blocker:
        b = Blocker(db, protocol)
        _senders.append(b)
        return b

    yield make
    for b in _senders:
        b.close()
    _senders.clear()


def blocked_clients(server) -> int:
    return int(info_fields(server.info_text("clients"))["blocked_clients"])


_senders: list[Blocker] = []


def wait_blocked(server, n: int):
    """Wait until INFO says n clients are blocked; fail at once (with the reply) if a client that
    should be blocked got an answer instead (an error, say), rather than after the whole wait."""
    def check():
        for b in _senders:
            if b.expect_block and b.has_reply():
                b.expect_block = False
                raise AssertionError(f"{b.sent!r} answered instead of blocking: {b.reply()}")
        return blocked_clients(server) == n
    wait_for(check, timeout=WAIT, what=f"blocked_clients == {n}")


# ---------------------------------------------------------------------------------------------
# Immediate answers when there is data

IMMEDIATE = [
    (["RPUSH", "k", "a", "b"], ["BLPOP", "k", "0"], '["k", "a"]', '["k", "a"]'),
    (["RPUSH", "k", "a", "b"], ["BRPOP", "k", "1"], '["k", "b"]', '["k", "b"]'),
    (["RPUSH", "k", "a", "b"], ["BLMOVE", "k", "d", "LEFT", "RIGHT", "0"], '"a"', '"a"'),
    (["RPUSH", "k", "a", "b"], ["BRPOPLPUSH", "k", "d", "0"], '"b"', '"b"'),
    (["RPUSH", "k", "a", "b"], ["BLMPOP", "0", "2", "x", "k", "RIGHT", "COUNT", "5"],
     '["k", ["b", "a"]]', '["k", ["b", "a"]]'),
    (["ZADD", "k", "1", "a", "2.5", "b"], ["BZPOPMIN", "k", "0"], '["k", "a", "1"]', '["k", "a", ,1]'),
    (["ZADD", "k", "1", "a", "2.5", "b"], ["BZPOPMAX", "x", "k", "0"], '["k", "b", "2.5"]', '["k", "b", ,2.5]'),
    (["ZADD", "k", "1", "a", "2.5", "b"], ["BZMPOP", "0", "1", "k", "MIN", "COUNT", "2"],
     '["k", [["a", "1"], ["b", "2.5"]]]', '["k", [["a", ,1], ["b", ,2.5]]]'),
]


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("setup,cmd,resp2,resp3", IMMEDIATE, ids=[c[1][0] for c in IMMEDIATE])
def test_immediate_when_data_exists(server, db, clients, proto, setup, cmd, resp2, resp3):
    c = clients(proto)
    assert c.c.cmd(*setup) in (2, b"2", "2")
    assert wire(c.c, *cmd) == (resp2 if proto == 2 else resp3)


def test_first_nonempty_key_in_argument_order(raw):
    raw.ok("RPUSH", "k2", "two")
    raw.ok("RPUSH", "k3", "three")
    assert wire(raw, "BLPOP", "k1", "k2", "k3", "0") == '["k2", "two"]'
    assert wire(raw, "BRPOP", "k1", "k2", "k3", "0") == '["k3", "three"]'
    raw.ok("ZADD", "z2", "1", "m")
    assert wire(raw, "BZPOPMIN", "z1", "z2", "0") == '["z2", "m", "1"]'


# ---------------------------------------------------------------------------------------------
# Blocking and waking up

WAKE = [
    (["BLPOP", "k", "0"], ["RPUSH", "k", "v"], '["k", "v"]', '["k", "v"]'),
    (["BRPOP", "k", "0"], ["LPUSH", "k", "v"], '["k", "v"]', '["k", "v"]'),
    (["BLMOVE", "k", "d", "RIGHT", "LEFT", "0"], ["RPUSH", "k", "v"], '"v"', '"v"'),
    (["BRPOPLPUSH", "k", "d", "0"], ["RPUSH", "k", "v"], '"v"', '"v"'),
    (["BLMPOP", "0", "2", "x", "k", "LEFT", "COUNT", "3"], ["RPUSH", "k", "v", "w"],
     '["k", ["v", "w"]]', '["k", ["v", "w"]]'),
    (["BZPOPMIN", "k", "0"], ["ZADD", "k", "1.5", "v"], '["k", "v", "1.5"]', '["k", "v", ,1.5]'),
    (["BZPOPMAX", "k", "0"], ["ZADD", "k", "1", "v", "2", "w"], '["k", "w", "2"]', '["k", "w", ,2]'),
    (["BZMPOP", "0", "1", "k", "MAX", "COUNT", "5"], ["ZADD", "k", "1", "v"],
     '["k", [["v", "1"]]]', '["k", [["v", ,1]]]'),
    (["BZPOPMIN", "k", "0"], ["ZINCRBY", "k", "3", "v"], '["k", "v", "3"]', '["k", "v", ,3]'),
    (["BLPOP", "k", "0"], ["LMOVE", "src", "k", "LEFT", "LEFT"], '["k", "s"]', '["k", "s"]'),
]


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("block,push,resp2,resp3", WAKE, ids=[f"{b[0]}-{p[0]}" for b, p, _, _ in WAKE])
def test_block_then_wake(db, raw, clients, proto, block, push, resp2, resp3):
    raw.ok("RPUSH", "src", "s")
    c = clients(proto)
    c.send(*block)
    wait_blocked(db, 1)
    assert not c.has_reply()
    raw.ok(*push)
    assert c.reply() == (resp2 if proto == 2 else resp3)
    wait_blocked(db, 0)


def test_blmove_result_lands_in_destination(db, raw, clients):
    c = clients()
    c.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
    wait_blocked(db, 1)
    raw.ok("RPUSH", "src", "a", "b")
    assert c.reply() == '"a"'
    assert raw.cmd("LRANGE", "dst", "0", "-1") == [b"a"]
    assert raw.cmd("LRANGE", "src", "0", "-1") == [b"b"]


def test_blmove_chain_wakes_next_client(db, raw, clients):
    """BLMOVE's push into its destination serves a client blocked on that destination."""
    a = clients()
    a.send("BLPOP", "dst", "0")
    wait_blocked(db, 1)
    b = clients()
    b.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
    wait_blocked(db, 2)
    raw.ok("RPUSH", "src", "v")
    assert b.reply() == '"v"'
    assert a.reply() == '["dst", "v"]'
    assert raw.cmd("EXISTS", "src", "dst") == 0


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("cmd", [
    ["BLPOP", "k", "0.2"], ["BRPOP", "k", "k2", "0.2"], ["BLMOVE", "k", "d", "LEFT", "LEFT", "0.2"],
    ["BRPOPLPUSH", "k", "d", "0.2"], ["BLMPOP", "0.2", "1", "k", "LEFT"], ["BZPOPMIN", "k", "0.2"],
    ["BZPOPMAX", "k", "0.2"], ["BZMPOP", "0.2", "1", "k", "MIN"],
], ids=lambda c: c[0])
def test_fractional_timeout_returns_null(db, clients, proto, cmd):
    c = clients(proto)
    t0 = time.monotonic()
    c.send(*cmd)
    got = c.reply()
    elapsed = time.monotonic() - t0
    assert got == ("*-1" if proto == 2 else "_")
    assert elapsed >= 0.15, elapsed  # roughly the timeout, not at once
    assert elapsed < WAIT
    assert c.c.cmd("PING") in ("PONG",)
    assert blocked_clients(db) == 0


def test_timeout_zero_waits(db, raw, clients):
    c = clients()
    c.send("BLPOP", "k", "0")
    wait_blocked(db, 1)
    assert not c.has_reply(wait=1.0)  # still waiting after a while
    assert blocked_clients(db) == 1
    raw.ok("RPUSH", "k", "late")
    assert c.reply() == '["k", "late"]'


def test_fairness_in_blocking_order(db, raw, clients):
    a, b, c = clients(), clients(), clients()
    for i, x in enumerate((a, b, c), 1):
        x.send("BLPOP", "k", "0")
        wait_blocked(db, i)
    raw.ok("RPUSH", "k", "1", "2", "3")
    assert a.reply() == '["k", "1"]'
    assert b.reply() == '["k", "2"]'
    assert c.reply() == '["k", "3"]'
    assert raw.cmd("EXISTS", "k") == 0


def test_fairness_one_push_at_a_time(db, raw, clients):
    a, b, c = clients(), clients(), clients()
    for i, x in enumerate((a, b, c), 1):
        x.send("BZPOPMIN", "z", "0")
        wait_blocked(db, i)
    raw.ok("ZADD", "z", "1", "first")
    assert a.reply() == '["z", "first", "1"]'
    assert not b.has_reply() and not c.has_reply()
    raw.ok("ZADD", "z", "2", "second")
    assert b.reply() == '["z", "second", "2"]'
    raw.ok("ZADD", "z", "3", "third")
    assert c.reply() == '["z", "third", "3"]'


def test_client_on_several_keys_gets_the_first_fed(db, raw, clients):
    c = clients()
    c.send("BLPOP", "k1", "k2", "k3", "0")
    wait_blocked(db, 1)
    raw.ok("RPUSH", "k3", "x")
    assert c.reply() == '["k3", "x"]'
    # with two keys fed in one transaction, the first one fed wins
    require_multi(raw)
    c.send("BRPOP", "k1", "k2", "k3", "0")
    wait_blocked(db, 1)
    assert raw.cmd("MULTI") == "OK"
    raw.cmd("RPUSH", "k2", "two")
    raw.cmd("RPUSH", "k1", "one")
    assert raw.cmd("EXEC") == [1, 1]
    assert c.reply() == '["k2", "two"]'
    assert raw.cmd("LRANGE", "k1", "0", "-1") == [b"one"]


def test_push_then_pop_in_one_transaction_keeps_client_blocked(db, raw, clients):
    require_multi(raw)
    c = clients()
    c.send("BLPOP", "k", "0")
    wait_blocked(db, 1)
    assert raw.cmd("MULTI") == "OK"
    raw.cmd("RPUSH", "k", "x")
    raw.cmd("LPOP", "k")
    assert raw.cmd("EXEC") == [1, b"x"]
    assert not c.has_reply(wait=0.3)
    assert blocked_clients(db) == 1
    raw.ok("RPUSH", "k", "y")
    assert c.reply() == '["k", "y"]'


@pytest.mark.parametrize("how", ["RENAME", "COPY"])
def test_wake_on_rename_or_copy_into_watched_key(db, raw, clients, how):
    """Redis 7.0 signals a list/zset key made by RENAME / COPY as ready (dbAdd)."""
    c = clients()
    c.send("BLPOP", "dst", "0")
    wait_blocked(db, 1)
    raw.ok("RPUSH", "src", "moved")
    raw.ok(how, "src", "dst")
    assert c.reply() == '["dst", "moved"]'
    z = clients()
    z.send("BZPOPMIN", "zdst", "0")
    wait_blocked(db, 1)
    raw.ok("ZADD", "zsrc", "1", "m")
    raw.ok(how, "zsrc", "zdst")
    assert z.reply() == '["zdst", "m", "1"]'


def test_wake_on_store_into_watched_key(db, raw, clients):
    c = clients()
    c.send("BZPOPMAX", "dst", "0")
    wait_blocked(db, 1)
    raw.ok("ZADD", "a", "1", "x", "2", "y")
    assert raw.cmd("ZUNIONSTORE", "dst", "1", "a") == 2
    assert c.reply() == '["dst", "y", "2"]'
    assert raw.cmd("ZRANGE", "dst", "0", "-1") == [b"x"]


def test_wrong_type_push_does_not_wake_but_errors(db, raw, clients):
    c = clients()
    c.send("BLPOP", "k", "0")
    wait_blocked(db, 1)
    raw.ok("SET", "k", "string")  # not a list: the client stays blocked
    assert not c.has_reply(wait=0.3)
    raw.ok("DEL", "k")
    raw.ok("RPUSH", "k", "v")
    assert c.reply() == '["k", "v"]'


def test_blocking_on_wrong_type_errors_at_once(raw):
    raw.ok("SET", "s", "v")
    raw.ok("RPUSH", "l", "v")
    assert wire(raw, "BLPOP", "s", "0") == WRONGTYPE
    assert wire(raw, "BZPOPMIN", "l", "0") == WRONGTYPE
    assert wire(raw, "BLMOVE", "l", "s", "LEFT", "LEFT", "0") == WRONGTYPE
    assert wire(raw, "BLMPOP", "0", "2", "missing", "s", "LEFT") == WRONGTYPE
    assert wire(raw, "BZMPOP", "0", "1", "s", "MIN") == WRONGTYPE
    assert raw.cmd("LLEN", "l") == 1


def test_disconnected_blocked_client_does_not_break_pushes(db, raw, clients):
    gone = clients()
    gone.send("BLPOP", "k", "0")
    wait_blocked(db, 1)
    gone.close()
    wait_blocked(db, 0)
    assert raw.cmd("RPUSH", "k", "v") == 1
    assert raw.cmd("LRANGE", "k", "0", "-1") == [b"v"]  # nobody took it
    # a client blocked after the one that left is served normally
    gone2 = clients()
    gone2.send("BLPOP", "q", "0")
    wait_blocked(db, 1)
    stays = clients()
    stays.send("BLPOP", "q", "0")
    wait_blocked(db, 2)
    gone2.close()
    wait_blocked(db, 1)
    raw.ok("RPUSH", "q", "w")
    assert stays.reply() == '["q", "w"]'


def test_client_list_and_info_show_blocked(db, raw, clients):
    assert blocked_clients(db) == 0
    c = clients()
    c.send("BLPOP", "k", "0")
    d = clients()
    d.send("BZPOPMIN", "z", "0")
    wait_blocked(db, 2)
    listing = raw.cmd("CLIENT", "LIST").decode()
    lines = [l for l in listing.splitlines() if "cmd=blpop" in l or "cmd=bzpopmin" in l]
    assert len(lines) == 2, listing
    for line in lines:
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        assert "b" in fields["flags"], line
    raw.ok("RPUSH", "k", "v")
    assert c.reply() == '["k", "v"]'
    wait_blocked(db, 1)
    raw.ok("ZADD", "z", "1", "m")
    assert d.reply() == '["z", "m", "1"]'
    wait_blocked(db, 0)


def test_blocking_inside_multi_does_not_block(raw, raw3):
    require_multi(raw)
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("BLPOP", "none", "0") == "QUEUED"
    assert raw.cmd("BZPOPMIN", "none", "0") == "QUEUED"
    assert raw.cmd("BLMOVE", "none", "d", "LEFT", "LEFT", "0") == "QUEUED"
    assert raw.cmd("BLMPOP", "0", "1", "none", "LEFT") == "QUEUED"
    # BLMOVE answers like LMOVE there (a null bulk); on a real timeout it sends a null array
    assert wire(raw, "EXEC") == "[*-1, *-1, $-1, *-1]"
    assert raw3.cmd("MULTI") == "OK"
    assert raw3.cmd("BZMPOP", "0", "1", "none", "MIN") == "QUEUED"
    assert wire(raw3, "EXEC") == "[_]"


def test_blocked_client_unblocked_by_client_unblock(db, raw, clients):
    require(raw, "CLIENT", "UNBLOCK", "999999")
    c = clients()
    cid = c.c.cmd("CLIENT", "ID")
    c.send("BLPOP", "k", "0")
    wait_blocked(db, 1)
    assert raw.cmd("CLIENT", "UNBLOCK", str(cid)) == 1
    assert c.reply() == "*-1"
    c.send("BLPOP", "k", "0")
    wait_blocked(db, 1)
    assert raw.cmd("CLIENT", "UNBLOCK", str(cid), "ERROR") == 1
    assert c.reply() == "-UNBLOCKED client unblocked via CLIENT UNBLOCK"


# ---------------------------------------------------------------------------------------------
# Errors

@pytest.mark.parametrize("cmd", [
    ["BLPOP", "k", "{t}"], ["BRPOP", "k", "{t}"], ["BLMOVE", "k", "d", "LEFT", "LEFT", "{t}"],
    ["BRPOPLPUSH", "k", "d", "{t}"], ["BLMPOP", "{t}", "1", "k", "LEFT"], ["BZPOPMIN", "k", "{t}"],
    ["BZPOPMAX", "k", "{t}"], ["BZMPOP", "{t}", "1", "k", "MIN"],
], ids=lambda c: c[0])
def test_timeout_errors(raw, cmd):
    def run(t):
        return wire(raw, *[a.replace("{t}", t) for a in cmd])
    assert run("-1") == NEGATIVE
    assert run("-0.5") == NEGATIVE
    assert run("abc") == NOT_A_FLOAT
    assert run("nan") == NOT_A_FLOAT
    assert run("1x") == NOT_A_FLOAT
    assert run("") == NOT_A_FLOAT
    # absurdly large timeouts are refused (Redis 7.0 words it "negative" after an overflow)
    assert run("1e300").startswith("-ERR timeout is")
    assert raw.cmd("PING") == "PONG"
    assert raw.cmd("DBSIZE") == 0


def test_blocking_syntax_errors(raw):
    assert wire(raw, "BLPOP", "k") == arity("blpop")
    assert wire(raw, "BZPOPMIN", "k") == arity("bzpopmin")
    assert wire(raw, "BLMOVE", "k", "d", "UP", "LEFT", "0") == "-ERR syntax error"
    assert wire(raw, "BLMPOP", "0", "0", "k", "LEFT") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0") == "-ERR count should be greater than 0"
    assert wire(raw, "BLMPOP", "0", "2", "k", "LEFT") == "-ERR syntax error"
    assert wire(raw, "BZMPOP", "0", "1", "k", "UP") == "-ERR syntax error"
    assert wire(raw, "BZMPOP", "0", "1", "k", "MIN", "COUNT", "-1") == "-ERR count should be greater than 0"
    assert wire(raw, "BLMPOP", "0", "1", "k") == arity("blmpop")
    assert raw.cmd("PING") == "PONG"
