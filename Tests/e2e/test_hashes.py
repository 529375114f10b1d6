"""Hash commands (Redis 7.0 semantics): reply shapes in RESP2/RESP3, counters, HRANDFIELD, HSCAN,
listpack -> hashtable encoding transitions, error texts."""

import random

import pytest

from types_helpers import NOT_FLOAT, NOT_INT, SYNTAX, WRONGTYPE, arity, config, raw3, scan_all, wire  # noqa: F401


# ---------------------------------------------------------------------------------------------
# Set / get

def test_hset_hget(rr):
    assert rr.hset("h", "f1", "v1") == 1
    assert rr.hset("h", mapping={"f1": "v1b", "f2": "v2", "f3": "v3"}) == 2
    assert rr.hget("h", "f1") == "v1b"
    assert rr.hget("h", "nofield") is None
    assert rr.hget("missing", "f") is None
    assert rr.hlen("h") == 3
    assert rr.hlen("missing") == 0
    assert rr.type("h") == "hash"
    # the same field twice in one call: counted once, the last value wins
    assert rr.execute_command("HSET", "h2", "a", "1", "a", "2") == 1
    assert rr.hget("h2", "a") == "2"


def test_hset_arity(raw):
    assert wire(raw, "HSET", "h", "f") == arity("hset")
    assert wire(raw, "HSET", "h", "f", "v", "g") == arity("hset")
    assert wire(raw, "HMSET", "h", "f", "v", "g") == arity("hmset")
    assert wire(raw, "HMSET", "h") == arity("hmset")
    assert raw.cmd("EXISTS", "h") == 0


def test_hmset_hmget(raw, raw3):
    assert wire(raw, "HMSET", "h", "a", "1", "b", "2") == "+OK"
    assert wire(raw, "HMGET", "h", "a", "x", "b") == '["1", $-1, "2"]'
    assert wire(raw3, "HMGET", "h", "a", "x", "b") == '["1", _, "2"]'
    assert wire(raw, "HMGET", "missing", "a", "b") == "[$-1, $-1]"
    assert wire(raw3, "HMGET", "missing", "a") == "[_]"


def test_hsetnx(rr):
    assert rr.hsetnx("h", "f", "v1") == 1
    assert rr.hsetnx("h", "f", "v2") == 0
    assert rr.hget("h", "f") == "v1"


def test_hdel_hexists(rr):
    rr.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert rr.hexists("h", "a") is True
    assert rr.hexists("h", "zz") is False
    assert rr.hexists("missing", "a") is False
    assert rr.hdel("h", "a", "zz", "a") == 1
    assert rr.hdel("missing", "a") == 0
    assert rr.hdel("h", "b", "c") == 2
    assert rr.exists("h") == 0  # the last field removes the key


def test_hkeys_hvals_hgetall(rr):
    assert rr.hkeys("missing") == []
    assert rr.hvals("missing") == []
    assert rr.hgetall("missing") == {}
    rr.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert sorted(rr.hkeys("h")) == ["a", "b", "c"]
    assert sorted(rr.hvals("h")) == ["1", "2", "3"]
    assert rr.hgetall("h") == {"a": "1", "b": "2", "c": "3"}
    # keys and values line up
    assert dict(zip(rr.hkeys("h"), rr.hvals("h"))) == {"a": "1", "b": "2", "c": "3"}


def test_reply_shapes(raw, raw3):
    raw.ok("HSET", "h", "a", "1", "b", "2")
    assert wire(raw, "HGETALL", "h") in ('["a", "1", "b", "2"]', '["b", "2", "a", "1"]')
    assert wire(raw3, "HGETALL", "h") == '%{"a": "1", "b": "2"}'
    assert wire(raw, "HGETALL", "missing") == "[]"
    assert wire(raw3, "HGETALL", "missing") == "%{}"
    assert wire(raw3, "HKEYS", "missing") == "[]"
    assert wire(raw3, "HGET", "h", "zz") == "_"
    assert wire(raw, "HGET", "h", "zz") == "$-1"
    assert wire(raw3, "HEXISTS", "h", "a") == ":1"
    assert wire(raw3, "HSTRLEN", "h", "a") == ":1"


def test_hstrlen(rr):
    rr.hset("h", mapping={"a": "hello", "n": "12345", "e": ""})
    assert rr.hstrlen("h", "a") == 5
    assert rr.hstrlen("h", "n") == 5
    assert rr.hstrlen("h", "e") == 0
    assert rr.hstrlen("h", "zz") == 0
    assert rr.hstrlen("missing", "a") == 0


# ---------------------------------------------------------------------------------------------
# Counters

def test_hincrby(rr, raw):
    assert rr.hincrby("h", "n", 5) == 5
    assert rr.hincrby("h", "n", -7) == -2
    rr.hset("h", "s", "abc")
    assert wire(raw, "HINCRBY", "h", "s", "1") == "-ERR hash value is not an integer"
    rr.hset("h", "f", "1.5")
    assert wire(raw, "HINCRBY", "h", "f", "1") == "-ERR hash value is not an integer"
    assert wire(raw, "HINCRBY", "h", "n", "x") == NOT_INT
    assert wire(raw, "HINCRBY", "h", "n", "1.0") == NOT_INT
    rr.hset("h", "big", str(2**63 - 1))
    assert wire(raw, "HINCRBY", "h", "big", "1") == "-ERR increment or decrement would overflow"
    rr.hset("h", "small", str(-2**63))
    assert wire(raw, "HINCRBY", "h", "small", "-1") == "-ERR increment or decrement would overflow"
    assert rr.hget("h", "big") == str(2**63 - 1)
    assert rr.hincrby("h", "small", 2**63 - 1) == -1


@pytest.mark.parametrize("start,incr,expected", [
    ("10.50", "0.1", "10.6"),
    ("5.0e3", "2.0e2", "5200"),
    ("1", "1", "2"),
    (None, "3.0", "3"),
    (None, "-0.5", "-0.5"),
    ("0.1", "0.2", "0.3"),
    ("3", "1.5e-5", "3.000015"),
])
def test_hincrbyfloat(raw, raw3, start, incr, expected):
    if start is not None:
        raw.ok("HSET", "h", "f", start)
    assert wire(raw, "HINCRBYFLOAT", "h", "f", incr) == f'"{expected}"'
    assert wire(raw, "HGET", "h", "f") == f'"{expected}"'
    # a bulk string in RESP3 too (not a double)
    assert wire(raw3, "HINCRBYFLOAT", "h", "f", "0") == f'"{expected}"'


def test_hincrbyfloat_errors(raw):
    raw.ok("HSET", "h", "s", "abc", "f", "1")
    assert wire(raw, "HINCRBYFLOAT", "h", "s", "1") == "-ERR hash value is not a float"
    assert wire(raw, "HINCRBYFLOAT", "h", "f", "abc") == NOT_FLOAT
    # the increment is checked first: "value is NaN or Infinity" (not INCRBYFLOAT's text)
    assert wire(raw, "HINCRBYFLOAT", "h", "f", "inf") == "-ERR value is NaN or Infinity"
    assert wire(raw, "HINCRBYFLOAT", "h", "f", "-inf") == "-ERR value is NaN or Infinity"
    assert wire(raw, "HINCRBYFLOAT", "h", "f", "nan") == NOT_FLOAT
    raw.ok("HSET", "h", "i", "inf")
    assert wire(raw, "HINCRBYFLOAT", "h", "i", "1") == "-ERR increment would produce NaN or Infinity"
    assert raw.cmd("HGET", "h", "f") == b"1"


# ---------------------------------------------------------------------------------------------
# HRANDFIELD

def test_hrandfield(rr, raw, raw3):
    fields = {f"f{i}": f"v{i}" for i in range(10)}
    rr.hset("h", mapping=fields)
    assert rr.hrandfield("h") in fields
    got = rr.hrandfield("h", 5)
    assert len(got) == 5 and len(set(got)) == 5 and set(got) <= set(fields)
    got = rr.hrandfield("h", 100)
    assert sorted(got) == sorted(fields)  # positive count: distinct, at most the size
    got = rr.hrandfield("h", -30)
    assert len(got) == 30 and set(got) <= set(fields)  # negative: exactly |count|, may repeat
    assert rr.hrandfield("h", 0) == []
    assert rr.hrandfield("missing") is None
    assert rr.hrandfield("missing", 5) == []
    # WITHVALUES: flat in RESP2, pairs in RESP3
    raw.ok("HSET", "one", "f", "v")
    assert wire(raw, "HRANDFIELD", "one", "1", "WITHVALUES") == '["f", "v"]'
    assert wire(raw3, "HRANDFIELD", "one", "1", "WITHVALUES") == '[["f", "v"]]'
    assert wire(raw3, "HRANDFIELD", "one", "-2", "WITHVALUES") == '[["f", "v"], ["f", "v"]]'
    assert wire(raw, "HRANDFIELD", "one", "-2") == '["f", "f"]'
    assert wire(raw3, "HRANDFIELD", "missing", "3", "WITHVALUES") == "[]"
    assert wire(raw3, "HRANDFIELD", "missing") == "_"
    assert wire(raw, "HRANDFIELD", "missing") == "$-1"
    reply = raw.cmd("HRANDFIELD", "h", "-20", "WITHVALUES")
    assert len(reply) == 40
    for f, v in zip(reply[::2], reply[1::2]):
        assert fields[f.decode()] == v.decode()


def test_hrandfield_errors(raw):
    raw.ok("HSET", "h", "f", "v")
    assert wire(raw, "HRANDFIELD", "h", "x") == NOT_INT
    assert wire(raw, "HRANDFIELD", "h", "1", "FOO") == SYNTAX
    assert wire(raw, "HRANDFIELD", "h", "1", "WITHVALUES", "x") == SYNTAX
    assert wire(raw, "HRANDFIELD", "h", "-9223372036854775808") == (
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    # WITHVALUES doubles the reply: a negative count whose double overflows is refused
    assert wire(raw, "HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES") == "-ERR value is out of range"
    assert wire(raw, "HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == "-ERR value is out of range"
    assert raw.cmd("PING") == "PONG"


def test_hrandfield_large_hash(rr):
    rr.hset("h", mapping={f"f{i}": str(i) for i in range(1000)})
    got = rr.hrandfield("h", 600)
    assert len(got) == 600 and len(set(got)) == 600
    got = rr.hrandfield("h", 20, withvalues=True)
    assert len(got) in (20, 40)


# ---------------------------------------------------------------------------------------------
# HSCAN

def test_hscan_small(raw):
    raw.ok("HSET", "h", "a", "1", "b", "2")
    cursor, items = raw.cmd("HSCAN", "h", "0")
    assert cursor == b"0"
    assert dict(zip(items[::2], items[1::2])) == {b"a": b"1", b"b": b"2"}
    assert wire(raw, "HSCAN", "missing", "0") == '["0", []]'


def test_hscan_full_and_match(raw):
    n = 1000
    for i in range(0, n, 100):
        args = []
        for j in range(i, i + 100):
            args += [f"field:{j}", f"v{j}"]
        raw.ok("HSET", "h", *args)
    seen = scan_all(raw, "HSCAN", "h", count=10)
    assert set(seen) == {f"field:{j}".encode() for j in range(n)}
    matched = scan_all(raw, "HSCAN", "h", "MATCH", "field:1?", count=100)
    assert set(matched) == {f"field:{j}".encode() for j in range(10, 20)}


def test_hscan_values_match_fields(raw):
    raw.ok("HSET", "h", *[x for j in range(300) for x in (f"f{j}", f"v{j}")])
    cursor = b"0"
    while True:
        cursor, items = raw.cmd("HSCAN", "h", cursor, "COUNT", "7")
        for f, v in zip(items[::2], items[1::2]):
            assert v == b"v" + f[1:]
        if cursor == b"0":
            break


def test_hscan_guarantee_under_changes(raw):
    """Every field present for the whole scan is returned at least once, while others come and go."""
    stable = [f"stable:{i}" for i in range(2000)]
    for i in range(0, len(stable), 200):
        raw.ok("HSET", "h", *[x for f in stable[i:i + 200] for x in (f, "v")])
    ever = set(stable)
    rng = random.Random(7)
    churn = []

    def between(call):
        new = [f"churn:{call}:{j}" for j in range(5)]
        raw.ok("HSET", "h", *[x for f in new for x in (f, "v")])
        churn.extend(new)
        ever.update(new)
        if len(churn) > 20:
            victims = rng.sample(churn, 5)
            for v in victims:
                churn.remove(v)
            raw.ok("HDEL", "h", *victims)

    seen = scan_all(raw, "HSCAN", "h", count=10, between=between)
    missing = {f.encode() for f in stable} - set(seen)
    assert not missing, f"{len(missing)} stable fields never returned"
    assert set(seen) <= {m.encode() for m in ever}, "SCAN returned something never added"


def test_hscan_errors(raw):
    raw.ok("HSET", "h", "a", "1")
    assert wire(raw, "HSCAN", "h", "x") == "-ERR invalid cursor"
    assert wire(raw, "HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert wire(raw, "HSCAN", "h", "0", "COUNT", "x") == NOT_INT
    assert wire(raw, "HSCAN", "h", "0", "FOO") == SYNTAX
    assert wire(raw, "HSCAN", "h") == arity("hscan")


# ---------------------------------------------------------------------------------------------
# Encodings

def test_encoding_listpack_to_hashtable_by_entries(rr, config):
    config("hash-max-listpack-entries", 4)
    rr.hset("h", mapping={f"f{i}": "v" for i in range(4)})
    assert rr.object("encoding", "h") == "listpack"
    rr.hset("h", "f4", "v")
    assert rr.object("encoding", "h") == "hashtable"
    rr.hdel("h", "f0", "f1", "f2", "f3")
    assert rr.object("encoding", "h") == "hashtable"  # never back
    assert rr.hgetall("h") == {"f4": "v"}
    # one HSET with many fields converts too
    rr.hset("m", mapping={f"f{i}": "v" for i in range(10)})
    assert rr.object("encoding", "m") == "hashtable"


def test_encoding_listpack_to_hashtable_by_value(rr):
    rr.hset("h", "f", "x" * 64)
    assert rr.object("encoding", "h") == "listpack"
    rr.hset("h", "g", "x" * 65)
    assert rr.object("encoding", "h") == "hashtable"
    # a long field name counts too
    rr.hset("h2", "y" * 65, "v")
    assert rr.object("encoding", "h2") == "hashtable"
    # HSETNX / HINCRBYFLOAT paths
    rr.hset("h3", "a", "1")
    rr.hsetnx("h3", "b", "z" * 100)
    assert rr.object("encoding", "h3") == "hashtable"


def test_encoding_defaults(rr):
    # the compiled-in defaults (redis.conf's sample file says 128, the server itself uses 512)
    assert rr.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "512"}
    assert rr.config_get("hash-max-listpack-value") == {"hash-max-listpack-value": "64"}
    rr.hset("h", mapping={f"f{i}": "v" for i in range(512)})
    assert rr.object("encoding", "h") == "listpack"
    rr.hset("h", "one-more", "v")
    assert rr.object("encoding", "h") == "hashtable"
    assert rr.hlen("h") == 513


def test_encoding_ziplist_alias_names(rr, config):
    assert rr.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "512"}
    assert rr.config_get("hash-max-ziplist-value") == {"hash-max-ziplist-value": "64"}
    config("hash-max-ziplist-entries", 2)
    config("hash-max-ziplist-value", 8)
    assert rr.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "2"}
    assert rr.config_get("hash-max-listpack-value") == {"hash-max-listpack-value": "8"}
    rr.hset("a", mapping={"f1": "v", "f2": "v"})
    assert rr.object("encoding", "a") == "listpack"
    rr.hset("a", "f3", "v")
    assert rr.object("encoding", "a") == "hashtable"
    rr.hset("b", "f", "12345678")
    assert rr.object("encoding", "b") == "listpack"
    rr.hset("b", "f", "123456789")
    assert rr.object("encoding", "b") == "hashtable"


def test_encoding_zero_entries_means_hashtable(rr, config):
    config("hash-max-listpack-entries", 0)
    rr.hset("h", "f", "v")
    assert rr.object("encoding", "h") == "hashtable"


def test_big_hash_operations(rb):
    n = 5000
    for i in range(0, n, 500):
        rb.hset("h", mapping={b"f%d" % j: b"v%d" % j for j in range(i, i + 500)})
    assert rb.hlen("h") == n
    assert rb.object("encoding", "h") == b"hashtable"
    assert rb.hget("h", b"f4321") == b"v4321"
    assert rb.hmget("h", [b"f0", b"nope", b"f4999"]) == [b"v0", None, b"v4999"]
    assert rb.hdel("h", *[b"f%d" % j for j in range(0, n, 2)]) == n // 2
    assert rb.hlen("h") == n // 2
    assert len(rb.hgetall("h")) == n // 2


def test_binary_fields(rb):
    fields = {b"": b"empty", b"\x00": b"nul", b"a\r\nb": b"\r\n", bytes(range(256)): b"\xff"}
    rb.hset("h", mapping=fields)
    assert rb.hgetall("h") == fields
    rb.hset("big", mapping={**fields, b"x" * 100: b"y"})
    assert rb.hgetall("big") == {**fields, b"x" * 100: b"y"}


# ---------------------------------------------------------------------------------------------
# Errors

def test_wrongtype(raw):
    raw.ok("SET", "s", "v")
    for cmd in (["HSET", "s", "f", "v"], ["HSETNX", "s", "f", "v"], ["HGET", "s", "f"],
                ["HMGET", "s", "f"], ["HMSET", "s", "f", "v"], ["HDEL", "s", "f"], ["HLEN", "s"],
                ["HEXISTS", "s", "f"], ["HKEYS", "s"], ["HVALS", "s"], ["HGETALL", "s"],
                ["HINCRBY", "s", "f", "1"], ["HINCRBYFLOAT", "s", "f", "1"], ["HSTRLEN", "s", "f"],
                ["HRANDFIELD", "s"], ["HRANDFIELD", "s", "2"], ["HSCAN", "s", "0"]):
        assert wire(raw, *cmd) == WRONGTYPE, cmd
    raw.ok("HSET", "h", "f", "v")
    assert wire(raw, "GET", "h") == WRONGTYPE
    assert wire(raw, "LPUSH", "h", "x") == WRONGTYPE


@pytest.mark.parametrize("cmd,n", [
    ("HSET", 2), ("HSETNX", 2), ("HGET", 1), ("HMGET", 1), ("HMSET", 2), ("HDEL", 1), ("HLEN", 0),
    ("HEXISTS", 1), ("HKEYS", 0), ("HVALS", 0), ("HGETALL", 0), ("HINCRBY", 2),
    ("HINCRBYFLOAT", 2), ("HSTRLEN", 1), ("HRANDFIELD", 0), ("HSCAN", 1),
])
def test_arity(raw, cmd, n):
    args = ["k"] + ["x"] * (n - 1) if n >= 1 else []
    assert wire(raw, cmd, *args) == arity(cmd)
    assert raw.cmd("PING") == "PONG"
