"""Set commands (Redis 7.0 semantics): membership, random members, algebra and *STORE, SSCAN,
intset -> hashtable encoding, reply shapes in RESP2/RESP3, error texts."""

import random

import pytest

from types_helpers import NOT_INT, SYNTAX, WRONGTYPE, arity, config, raw3, scan_all, wire  # noqa: F401

OUT_OF_RANGE_POSITIVE = "-ERR value is out of range, must be positive"


# ---------------------------------------------------------------------------------------------
# Membership

def test_sadd_srem_smembers(rr):
    assert rr.sadd("s", "a", "b", "c", "a") == 3
    assert rr.sadd("s", "c", "d") == 1
    assert rr.smembers("s") == {"a", "b", "c", "d"}
    assert rr.scard("s") == 4
    assert rr.scard("missing") == 0
    assert rr.srem("s", "a", "zz", "a") == 1
    assert rr.srem("missing", "a") == 0
    assert rr.srem("s", "b", "c", "d") == 3
    assert rr.exists("s") == 0
    assert rr.smembers("s") == set()
    rr.sadd("s", "x")
    assert rr.type("s") == "set"


def test_sismember_smismember(rr, raw, raw3):
    rr.sadd("s", "a", "1")
    assert rr.sismember("s", "a") is True or rr.sismember("s", "a") == 1
    assert rr.sismember("s", "zz") in (False, 0)
    assert rr.sismember("missing", "a") in (False, 0)
    assert wire(raw, "SISMEMBER", "s", "a") == ":1"
    assert wire(raw3, "SISMEMBER", "s", "zz") == ":0"
    assert wire(raw, "SMISMEMBER", "s", "a", "zz", "1") == "[:1, :0, :1]"
    assert wire(raw3, "SMISMEMBER", "missing", "a", "b") == "[:0, :0]"
    assert wire(raw, "SMISMEMBER", "s") == arity("smismember")


def test_reply_shapes(raw, raw3):
    raw.ok("SADD", "s", "a", "b")
    assert wire(raw, "SMEMBERS", "s") in ('["a", "b"]', '["b", "a"]')
    assert wire(raw3, "SMEMBERS", "s") == '~["a", "b"]'
    assert wire(raw3, "SMEMBERS", "missing") == "~[]"
    assert wire(raw, "SMEMBERS", "missing") == "[]"
    assert wire(raw3, "SINTER", "s", "s") == '~["a", "b"]'
    assert wire(raw3, "SUNION", "s", "missing") == '~["a", "b"]'
    assert wire(raw3, "SDIFF", "s", "s") == "~[]"
    assert wire(raw, "SDIFF", "s", "s") == "[]"
    # SRANDMEMBER with a count is an array in both protocols (it may repeat)
    assert wire(raw3, "SRANDMEMBER", "missing", "3") == "[]"
    assert wire(raw3, "SRANDMEMBER", "missing") == "_"
    assert wire(raw, "SRANDMEMBER", "missing") == "$-1"
    # SPOP with a count is a set in RESP3
    assert wire(raw3, "SPOP", "missing", "2") == "~[]"
    assert wire(raw, "SPOP", "missing", "2") == "[]"
    assert wire(raw3, "SPOP", "missing") == "_"
    assert wire(raw, "SPOP", "missing") == "$-1"
    assert wire(raw3, "SPOP", "s", "0") == "~[]"
    assert wire(raw3, "SPOP", "s", "5") == '~["a", "b"]'
    assert raw.cmd("EXISTS", "s") == 0


# ---------------------------------------------------------------------------------------------
# SPOP / SRANDMEMBER

@pytest.mark.parametrize("kind", ["int", "str"])
def test_spop(rr, kind):
    members = {str(i) if kind == "int" else f"m{i}" for i in range(50)}
    rr.sadd("s", *members)
    one = rr.spop("s")
    assert one in members
    some = rr.spop("s", 10)
    assert len(some) == 10 and set(some) <= members and one not in some
    assert rr.scard("s") == 39
    rest = rr.spop("s", 1000)
    assert len(rest) == 39
    assert {one, *some, *rest} == members
    assert rr.exists("s") == 0


def test_spop_errors(raw):
    raw.ok("SADD", "s", "a")
    assert wire(raw, "SPOP", "s", "-1") == OUT_OF_RANGE_POSITIVE
    assert wire(raw, "SPOP", "s", "x") == OUT_OF_RANGE_POSITIVE
    assert wire(raw, "SPOP", "s", "1", "2") == SYNTAX
    assert raw.cmd("SCARD", "s") == 1


@pytest.mark.parametrize("kind", ["int", "str"])
def test_srandmember(rr, kind):
    members = {str(i) if kind == "int" else f"m{i}" for i in range(20)}
    rr.sadd("s", *members)
    assert rr.srandmember("s") in members
    got = rr.srandmember("s", 5)
    assert len(got) == 5 and len(set(got)) == 5 and set(got) <= members
    assert sorted(rr.srandmember("s", 100)) == sorted(members)
    got = rr.srandmember("s", -50)
    assert len(got) == 50 and set(got) <= members
    assert rr.srandmember("s", 0) == []
    assert rr.scard("s") == 20  # nothing removed


def test_srandmember_large_counts(rr, raw):
    rr.sadd("s", *range(1000))
    got = rr.srandmember("s", 900)
    assert len(set(got)) == 900
    assert wire(raw, "SRANDMEMBER", "s", "-9223372036854775808") == (
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert wire(raw, "SRANDMEMBER", "s", "x") == NOT_INT
    assert wire(raw, "SRANDMEMBER", "s", "1", "2") == SYNTAX
    assert raw.cmd("PING") == "PONG"


# ---------------------------------------------------------------------------------------------
# SMOVE

def test_smove(rr, raw):
    rr.sadd("a", "1", "2")
    rr.sadd("b", "3")
    assert rr.smove("a", "b", "1") is True
    assert rr.smembers("a") == {"2"}
    assert rr.smembers("b") == {"1", "3"}
    assert rr.smove("a", "b", "zz") is False
    assert rr.smove("missing", "b", "1") is False
    assert rr.smove("a", "new", "2") is True
    assert rr.exists("a") == 0
    assert rr.smembers("new") == {"2"}
    # same source and destination
    assert rr.smove("b", "b", "1") is True
    assert rr.smove("b", "b", "zz") is False
    assert rr.smembers("b") == {"1", "3"}
    raw.ok("SET", "str", "x")
    assert wire(raw, "SMOVE", "b", "str", "1") == WRONGTYPE
    assert wire(raw, "SMOVE", "str", "b", "1") == WRONGTYPE
    assert rr.smembers("b") == {"1", "3"}
    # member already in the destination: removed from the source only
    rr.sadd("c", "1")
    assert rr.smove("b", "c", "1") is True
    assert rr.smembers("b") == {"3"}
    assert rr.smembers("c") == {"1"}


# ---------------------------------------------------------------------------------------------
# Algebra

@pytest.fixture
def abc(rr):
    rr.sadd("a", "1", "2", "3", "4")
    rr.sadd("b", "3", "4", "5")
    rr.sadd("c", "4", "x")
    return rr


def test_sinter(abc):
    r = abc
    assert r.sinter("a", "b") == {"3", "4"}
    assert r.sinter("a", "b", "c") == {"4"}
    assert r.sinter("a") == {"1", "2", "3", "4"}
    assert r.sinter("a", "missing") == set()
    assert r.sinter("missing", "a") == set()


def test_sunion_sdiff(abc):
    r = abc
    assert r.sunion("a", "b", "c") == {"1", "2", "3", "4", "5", "x"}
    assert r.sunion("missing") == set()
    assert r.sdiff("a", "b") == {"1", "2"}
    assert r.sdiff("a", "b", "c") == {"1", "2"}
    assert r.sdiff("b", "a") == {"5"}
    assert r.sdiff("a", "missing") == {"1", "2", "3", "4"}
    assert r.sdiff("missing", "a") == set()
    assert r.sdiff("a", "a") == set()


def test_store_variants(abc):
    r = abc
    assert r.sinterstore("d", ["a", "b"]) == 2
    assert r.smembers("d") == {"3", "4"}
    assert r.sunionstore("d", ["a", "c"]) == 5
    assert r.smembers("d") == {"1", "2", "3", "4", "x"}
    assert r.sdiffstore("d", ["a", "b"]) == 2
    assert r.smembers("d") == {"1", "2"}
    # an empty result deletes the destination
    assert r.sinterstore("d", ["a", "missing"]) == 0
    assert r.exists("d") == 0
    r.set("d", "string")
    assert r.sdiffstore("d", ["a", "a"]) == 0
    assert r.exists("d") == 0
    # the destination may be a source; a string destination is overwritten
    r.set("d", "string")
    assert r.sunionstore("d", ["a"]) == 4
    assert r.type("d") == "set"
    assert r.sinterstore("a", ["a", "b"]) == 2
    assert r.smembers("a") == {"3", "4"}


def test_store_drops_ttl(rr):
    rr.sadd("a", "1")
    rr.sadd("d", "z")
    rr.expire("d", 100)
    rr.sunionstore("d", ["a"])
    assert rr.ttl("d") == -1


def test_sintercard(rr, raw):
    rr.sadd("a", *range(10))
    rr.sadd("b", *range(5, 20))
    assert rr.sintercard(2, ["a", "b"]) == 5
    assert rr.sintercard(2, ["a", "b"], limit=3) == 3
    assert rr.sintercard(2, ["a", "b"], limit=0) == 5  # 0 means no limit
    assert rr.sintercard(1, ["a"]) == 10
    assert rr.sintercard(2, ["a", "missing"]) == 0
    assert wire(raw, "SINTERCARD", "0", "a") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "SINTERCARD", "-1", "a") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "SINTERCARD", "x", "a") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "SINTERCARD", "3", "a", "b") == "-ERR Number of keys can't be greater than number of args"
    assert wire(raw, "SINTERCARD", "2", "a", "b", "LIMIT", "-1") == "-ERR LIMIT can't be negative"
    assert wire(raw, "SINTERCARD", "2", "a", "b", "LIMIT", "x") == "-ERR LIMIT can't be negative"
    assert wire(raw, "SINTERCARD", "2", "a", "b", "LIMIT") == SYNTAX
    assert wire(raw, "SINTERCARD", "1", "a", "b") == SYNTAX
    assert wire(raw, "SINTERCARD", "1") == arity("sintercard")


def test_algebra_wrongtype(raw):
    raw.ok("SADD", "s", "a")
    raw.ok("SET", "str", "x")
    for cmd in (["SINTER", "s", "str"], ["SUNION", "s", "str"], ["SDIFF", "s", "str"],
                ["SDIFF", "str", "s"], ["SINTERSTORE", "d", "s", "str"], ["SUNIONSTORE", "d", "str"],
                ["SDIFFSTORE", "d", "s", "str"], ["SINTERCARD", "2", "s", "str"],
                ["SINTER", "missing", "str"], ["SINTERCARD", "2", "missing", "str"]):
        assert wire(raw, *cmd) == WRONGTYPE, cmd
    assert raw.cmd("EXISTS", "d") == 0


def test_big_algebra(rr):
    rr.sadd("even", *range(0, 4000, 2))
    rr.sadd("three", *range(0, 4000, 3))
    rr.sadd("words", *[f"w{i}" for i in range(2000)], *range(0, 100))
    assert rr.sinter("even", "three") == {str(i) for i in range(0, 4000, 6)}
    assert rr.scard("even") == 2000
    assert len(rr.sunion("even", "three")) == len(set(range(0, 4000, 2)) | set(range(0, 4000, 3)))
    assert rr.sdiff("words", "even") == {f"w{i}" for i in range(2000)} | {str(i) for i in range(1, 100, 2)}
    assert rr.sinterstore("d", ["words", "three"]) == len(range(0, 100, 3))


# ---------------------------------------------------------------------------------------------
# SSCAN

def test_sscan_small_and_match(raw):
    raw.ok("SADD", "s", "a", "b", "c")
    cursor, items = raw.cmd("SSCAN", "s", "0")
    assert cursor == b"0" and sorted(items) == [b"a", b"b", b"c"]
    assert wire(raw, "SSCAN", "missing", "0") == '["0", []]'
    raw.ok("SADD", "i", *range(100))
    assert sorted(scan_all(raw, "SSCAN", "i", "MATCH", "9*")) == sorted(
        [str(x).encode() for x in range(100) if str(x).startswith("9")])


def test_sscan_full(raw):
    raw.ok("SADD", "s", *[f"m{i}" for i in range(3000)])
    seen = scan_all(raw, "SSCAN", "s", count=10)
    assert set(seen) == {f"m{i}".encode() for i in range(3000)}


def test_sscan_guarantee_under_changes(raw):
    stable = [f"stable:{i}" for i in range(2000)]
    raw.ok("SADD", "s", *stable)
    ever = set(stable)
    rng = random.Random(11)
    churn = []

    def between(call):
        new = [f"churn:{call}:{j}" for j in range(5)]
        raw.ok("SADD", "s", *new)
        churn.extend(new)
        ever.update(new)
        if len(churn) > 20:
            victims = rng.sample(churn, 5)
            for v in victims:
                churn.remove(v)
            raw.ok("SREM", "s", *victims)

    seen = scan_all(raw, "SSCAN", "s", count=10, between=between)
    missing = {m.encode() for m in stable} - set(seen)
    assert not missing, f"{len(missing)} stable members never returned"
    assert set(seen) <= {m.encode() for m in ever}, "SCAN returned something never added"


def test_sscan_errors(raw):
    raw.ok("SADD", "s", "a")
    assert wire(raw, "SSCAN", "s", "x") == "-ERR invalid cursor"
    assert wire(raw, "SSCAN", "s", "0", "COUNT", "0") == SYNTAX
    assert wire(raw, "SSCAN", "s", "0", "MATCH") == SYNTAX


# ---------------------------------------------------------------------------------------------
# Encodings

def test_intset_to_hashtable_on_string(rr):
    rr.sadd("s", 1, 2, 3, -5, 2**63 - 1, -2**63)
    assert rr.object("encoding", "s") == "intset"
    assert rr.smembers("s") == {"1", "2", "3", "-5", str(2**63 - 1), str(-2**63)}
    rr.sadd("s", "abc")
    assert rr.object("encoding", "s") == "hashtable"
    rr.srem("s", "abc")
    assert rr.object("encoding", "s") == "hashtable"  # never back
    assert rr.sismember("s", "3") in (True, 1)


@pytest.mark.parametrize("member", ["01", "+1", " 1", "1.0", "9223372036854775808", "-0", "0x1", ""])
def test_non_canonical_integers_are_strings(rr, member):
    rr.sadd("s", "1")
    rr.sadd("s", member)
    assert rr.object("encoding", "s") == "hashtable"
    assert rr.scard("s") == 2
    assert rr.sismember("s", member) in (True, 1)


def test_intset_limit(rr, config):
    assert rr.config_get("set-max-intset-entries") == {"set-max-intset-entries": "512"}
    rr.sadd("d", *range(512))
    assert rr.object("encoding", "d") == "intset"
    rr.sadd("d", 512)
    assert rr.object("encoding", "d") == "hashtable"
    config("set-max-intset-entries", 10)
    rr.sadd("s", *range(10))
    assert rr.object("encoding", "s") == "intset"
    rr.sadd("s", 10)
    assert rr.object("encoding", "s") == "hashtable"
    rr.srem("s", *range(11))
    assert rr.exists("s") == 0
    # one SADD with many integers converts too
    rr.sadd("m", *range(100))
    assert rr.object("encoding", "m") == "hashtable"


def test_store_result_encoding(rr):
    rr.sadd("a", 1, 2, 3)
    rr.sadd("b", 2, 3, "x")
    rr.sinterstore("d", ["a", "b"])
    assert rr.object("encoding", "d") == "intset"
    rr.sunionstore("u", ["a", "b"])
    assert rr.object("encoding", "u") == "hashtable"
    rr.sdiffstore("f", ["b", "a"])
    assert rr.smembers("f") == {"x"}


def test_spop_keeps_intset(rr):
    rr.sadd("s", *range(100))
    rr.spop("s", 50)
    assert rr.object("encoding", "s") == "intset"
    assert rr.scard("s") == 50


def test_binary_members(rb):
    ms = {b"", b"\x00", b"a\r\nb", bytes(range(256)), b"-1"}
    rb.sadd("s", *ms)
    assert rb.smembers("s") == ms
    assert rb.sismember("s", b"\x00")
    assert rb.sinter("s", "s") == ms


# ---------------------------------------------------------------------------------------------
# Errors

def test_wrongtype(raw):
    raw.ok("SET", "str", "v")
    for cmd in (["SADD", "str", "a"], ["SREM", "str", "a"], ["SMEMBERS", "str"],
                ["SISMEMBER", "str", "a"], ["SMISMEMBER", "str", "a"], ["SCARD", "str"],
                ["SPOP", "str"], ["SPOP", "str", "2"], ["SRANDMEMBER", "str"],
                ["SRANDMEMBER", "str", "2"], ["SSCAN", "str", "0"]):
        assert wire(raw, *cmd) == WRONGTYPE, cmd
    raw.ok("SADD", "s", "a")
    assert wire(raw, "GET", "s") == WRONGTYPE
    assert wire(raw, "HGET", "s", "a") == WRONGTYPE


@pytest.mark.parametrize("cmd,n", [
    ("SADD", 1), ("SREM", 1), ("SMEMBERS", 0), ("SISMEMBER", 1), ("SMISMEMBER", 1), ("SCARD", 0),
    ("SPOP", 0), ("SRANDMEMBER", 0), ("SMOVE", 2), ("SINTER", 0), ("SINTERCARD", 1),
    ("SINTERSTORE", 1), ("SUNION", 0), ("SUNIONSTORE", 1), ("SDIFF", 0), ("SDIFFSTORE", 1),
    ("SSCAN", 1),
])
def test_arity(raw, cmd, n):
    args = ["k"] + ["x"] * (n - 1) if n >= 1 else []
    assert wire(raw, cmd, *args) == arity(cmd)
    assert raw.cmd("PING") == "PONG"
