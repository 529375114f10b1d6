"""Hash edge cases beyond test_hashes.py, checked against redis-server 7.0 too
(SHOAL_E2E_TARGET=redis): listpack order, conversion rules per command, shared field prefixes,
HRANDFIELD's whole-hash case, values of every length class."""

import pytest

from types_helpers import NOT_FLOAT, NOT_INT, raw3, wire  # noqa: F401


@pytest.fixture
def limits(r):
    """Restores the hash encoding thresholds a test changes."""
    saved = {k: r.config_get(k)[k] for k in ("hash-max-listpack-entries", "hash-max-listpack-value")}
    yield r
    for k, v in saved.items():
        r.config_set(k, v)


def test_listpack_order_is_insertion_order(raw):
    raw.ok("HSET", "h", "c", "3", "a", "1", "b", "2")
    raw.ok("HSET", "h", "a", "longer value", "d", "4")
    assert wire(raw, "HGETALL", "h") == '["c", "3", "a", "longer value", "b", "2", "d", "4"]'
    raw.cmd("HDEL", "h", "c")
    assert wire(raw, "HKEYS", "h") == '["a", "b", "d"]'
    assert wire(raw, "HVALS", "h") == '["longer value", "2", "4"]'
    # count >= size: the whole hash, in its order
    assert wire(raw, "HRANDFIELD", "h", "10") == '["a", "b", "d"]'
    assert wire(raw, "HRANDFIELD", "h", "3", "WITHVALUES") == '["a", "longer value", "b", "2", "d", "4"]'
    # a listpack ignores the cursor and returns everything at once
    assert wire(raw, "HSCAN", "h", "987") == '["0", ["a", "longer value", "b", "2", "d", "4"]]'


def test_shared_field_prefixes(raw):
    fields = [f"field{i}" for i in range(10)]
    raw.ok("HSET", "h", *[x for f in fields for x in (f, f"value-{f}")])
    assert wire(raw, "OBJECT", "ENCODING", "h") == '"listpack"'
    assert raw.cmd("HKEYS", "h") == [f.encode() for f in fields]
    assert raw.cmd("HGET", "h", "field7") == b"value-field7"
    assert raw.cmd("HGET", "h", "field") is None
    assert raw.cmd("HGET", "h", "fiel") is None
    assert raw.cmd("HEXISTS", "h", "field10") == 0
    # a field that is exactly the shared part, then one that shares less
    raw.ok("HSET", "h", "field", "bare", "fx", "other")
    assert raw.cmd("HGET", "h", "field") == b"bare"
    assert raw.cmd("HKEYS", "h") == [f.encode() for f in fields] + [b"field", b"fx"]
    raw.cmd("HDEL", "h", "fx", "field")
    assert raw.cmd("HKEYS", "h") == [f.encode() for f in fields]
    cursor, items = raw.cmd("HSCAN", "h", "0", "MATCH", "*[13]")
    assert cursor == b"0" and items == [b"field1", b"value-field1", b"field3", b"value-field3"]
    assert raw.cmd("HSTRLEN", "h", "field9") == len("value-field9")
    assert wire(raw, "HINCRBY", "h", "field0", "1") == "-ERR hash value is not an integer"
    assert wire(raw, "HINCRBY", "h", "field10", "1") == ":1"
    assert raw.cmd("HGET", "h", "field10") == b"1"


def test_length_classes_round_trip(rb, limits):
    limits.config_set("hash-max-listpack-value", 100000)
    limits.config_set("hash-max-listpack-entries", 1000)
    sizes = [0, 1, 14, 15, 16, 127, 128, 129, 300, 16383, 16384, 70000]
    mapping = {b"f" * n: b"v" * m for n in sizes for m in sizes[:: max(1, len(sizes) // 4)]}
    mapping.update({b"k%d" % m: b"x" * m for m in sizes})
    rb.hset("h", mapping=mapping)
    assert rb.object("encoding", "h") == b"listpack"
    assert rb.hgetall("h") == mapping
    for f, v in mapping.items():
        assert rb.hstrlen("h", f) == len(v)
    rb.hset("h", b"f" * 15, b"shorter")
    mapping[b"f" * 15] = b"shorter"
    assert rb.hgetall("h") == mapping


def test_conversion_rules_per_command(r, limits):
    long_field = "f" * 65
    # HSETNX on an existing field converts nothing, whatever the value
    r.hset("a", "x", "1")
    assert r.hsetnx("a", "x", "v" * 100) == 0
    assert r.object("encoding", "a") == "listpack"
    # HINCRBY / HINCRBYFLOAT with a long field name convert (hashTypeSet's check)
    assert r.hincrby("b", long_field, 5) == 5
    assert r.object("encoding", "b") == "hashtable"
    assert r.hincrbyfloat("c", long_field, 1.5) == 1.5
    assert r.object("encoding", "c") == "hashtable"
    # exactly the limit stays compact
    r.hset("d", "f" * 64, "v" * 64)
    assert r.object("encoding", "d") == "listpack"
    # a zero value limit: only empty fields and values stay compact
    limits.config_set("hash-max-listpack-value", 0)
    r.hset("e", "", "")
    assert r.object("encoding", "e") == "listpack"
    r.hset("e", "x", "")
    assert r.object("encoding", "e") == "hashtable"
    assert r.hgetall("e") == {"": "", "x": ""}


def test_one_big_hset(r):
    args = {f"k{i}": str(i) for i in range(3000)}
    assert r.hset("h", mapping=args) == 3000
    assert r.object("encoding", "h") == "hashtable"
    assert r.hlen("h") == 3000
    assert r.hgetall("h") == args
    assert r.hmget("h", "k0", "k2999", "nope", "k0") == ["0", "2999", None, "0"]


def test_writes_keep_ttl_and_copy(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.expire("h", 100)
    r.hset("h", "c", "3")
    r.hincrby("h", "a", 10)
    r.hdel("h", "b")
    assert 0 < r.ttl("h") <= 100
    assert r.copy("h", "h2") == 1
    r.hset("h", "a", "changed")
    assert r.hgetall("h2") == {"a": "11", "c": "3"}


def test_counter_texts(raw):
    raw.ok("HSET", "h", "plus", "+1", "space", " 1", "neg", "-123", "zero", "-0", "f", "1")
    assert wire(raw, "HINCRBY", "h", "plus", "1") == "-ERR hash value is not an integer"
    assert wire(raw, "HINCRBY", "h", "space", "1") == "-ERR hash value is not an integer"
    assert wire(raw, "HINCRBY", "h", "neg", "-1") == ":-124"
    assert wire(raw, "HSTRLEN", "h", "neg") == ":4"
    assert wire(raw, "HINCRBYFLOAT", "h", "f", " 1") == NOT_FLOAT
    assert wire(raw, "HINCRBYFLOAT", "h", "new", "1.5e-7") == '"0.00000015"'
    assert wire(raw, "HINCRBYFLOAT", "h", "new", "-1.5e-7") == '"0"'
    assert wire(raw, "HINCRBY", "h", "new", "7") == ":7"
    assert wire(raw, "HINCRBY", "h", "x", "9223372036854775808") == NOT_INT


def test_hrandfield_resp3_pairs(raw3):
    raw3.cmd("HSET", "h", "a", "1", "b", "2")
    reply = wire(raw3, "HRANDFIELD", "h", "-3", "WITHVALUES")
    assert reply.startswith("[[") and reply.count("[") == 4
    assert wire(raw3, "HRANDFIELD", "h", "2", "WITHVALUES") == '[["a", "1"], ["b", "2"]]'
    assert wire(raw3, "HRANDFIELD", "h", "0", "WITHVALUES") == "[]"
