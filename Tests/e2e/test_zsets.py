"""Sorted-set commands (Redis 7.0 semantics): ZADD options, ranges by rank/score/lex, pops,
algebra with WEIGHTS/AGGREGATE, *STORE, ZSCAN, listpack -> skiplist encoding, the exact score text
Redis 7.0.15 prints (%.17g: 0.1 -> 0.10000000000000001) in RESP2 bulks and RESP3 doubles."""

import math
import random

import pytest

from types_helpers import NOT_FLOAT, NOT_INT, SYNTAX, WRONGTYPE, arity, config, raw3, scan_all, wire  # noqa: F401

NAN_SCORE = "-ERR resulting score is not a number (NaN)"
NOT_FLOAT_RANGE = "-ERR min or max is not a float"
NOT_LEX_RANGE = "-ERR min or max not valid string range item"
OUT_OF_RANGE_POSITIVE = "-ERR value is out of range, must be positive"


def pairs(reply):
    """ZRANGE ... WITHSCORES from redis-py in either protocol -> [(member, float score)]."""
    return [(m, float(s)) for m, s in reply]


# ---------------------------------------------------------------------------------------------
# ZADD and its options

def test_zadd_basic(rr):
    assert rr.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
    assert rr.zadd("z", {"a": 5, "d": 0}) == 1
    assert rr.zcard("z") == 4
    assert rr.zcard("missing") == 0
    assert rr.zrange("z", 0, -1) == ["d", "b", "c", "a"]
    assert rr.zscore("z", "a") == 5.0
    assert rr.zscore("z", "zz") is None
    assert rr.type("z") == "zset"


def test_zadd_nx_xx_ch(rr):
    rr.zadd("z", {"a": 1, "b": 2})
    assert rr.zadd("z", {"a": 10, "c": 3}, nx=True) == 1
    assert rr.zscore("z", "a") == 1.0
    assert rr.zadd("z", {"a": 10, "new": 3}, xx=True) == 0
    assert rr.zscore("z", "a") == 10.0
    assert rr.zscore("z", "new") is None
    assert rr.zadd("z", {"a": 11, "b": 2, "d": 4}, ch=True) == 2  # a changed, d added, b same
    assert rr.zadd("z", {"a": 12, "e": 5}, xx=True, ch=True) == 1


def test_zadd_gt_lt(rr):
    rr.zadd("z", {"a": 5, "b": 5})
    assert rr.zadd("z", {"a": 1, "b": 10, "n": 4}, gt=True, ch=True) == 2
    assert rr.zscore("z", "a") == 5.0
    assert rr.zscore("z", "b") == 10.0
    assert rr.zscore("z", "n") == 4.0  # GT/LT still add new elements
    assert rr.zadd("z", {"a": 1, "b": 20}, lt=True, ch=True) == 1
    assert rr.zscore("z", "a") == 1.0
    assert rr.zscore("z", "b") == 10.0
    assert rr.zadd("z", {"a": 0, "x": 1}, lt=True, xx=True) == 0
    assert rr.zscore("z", "a") == 0.0
    assert rr.zscore("z", "x") is None


def test_zadd_incr(raw, raw3):
    assert wire(raw, "ZADD", "z", "INCR", "1.5", "a") == '"1.5"'
    assert wire(raw3, "ZADD", "z", "INCR", "1", "a") == ",2.5"
    assert wire(raw, "ZADD", "z", "NX", "INCR", "1", "a") == "$-1"
    assert wire(raw3, "ZADD", "z", "NX", "INCR", "1", "a") == "_"
    assert wire(raw, "ZADD", "z", "XX", "INCR", "1", "nope") == "$-1"
    assert wire(raw, "ZADD", "z", "GT", "INCR", "-1", "a") == "$-1"
    assert wire(raw, "ZADD", "z", "LT", "INCR", "-1", "a") == '"1.5"'
    assert wire(raw, "ZADD", "z", "INCR", "inf", "q") == '"inf"'
    assert wire(raw, "ZADD", "z", "INCR", "-inf", "q") == NAN_SCORE
    assert wire(raw, "ZSCORE", "z", "q") == '"inf"'


def test_zadd_errors(raw):
    raw.ok("ZADD", "z", "1", "a")
    assert wire(raw, "ZADD", "z", "NX", "XX", "1", "a") == "-ERR XX and NX options at the same time are not compatible"
    for opts in (["GT", "LT"], ["NX", "GT"], ["NX", "LT"]):
        assert wire(raw, "ZADD", "z", *opts, "1", "a") == (
            "-ERR GT, LT, and/or NX options at the same time are not compatible")
    assert wire(raw, "ZADD", "z", "INCR", "1", "a", "2", "b") == (
        "-ERR INCR option supports a single increment-element pair")
    assert wire(raw, "ZADD", "z", "1", "a", "2") == SYNTAX
    assert wire(raw, "ZADD", "z", "CH", "1") == SYNTAX
    assert wire(raw, "ZADD", "z", "x", "a") == NOT_FLOAT
    assert wire(raw, "ZADD", "z", "nan", "a") == NOT_FLOAT
    assert wire(raw, "ZADD", "z", "1", "b", "x", "c") == NOT_FLOAT
    assert wire(raw, "ZADD", "z", "XX") == arity("zadd")
    assert raw.cmd("ZCARD", "z") == 1  # nothing of the failed calls was applied
    assert wire(raw, "ZADD", "new", "1", "a", "bad", "b") == NOT_FLOAT
    assert raw.cmd("EXISTS", "new") == 0


def test_zincrby(raw, raw3):
    assert wire(raw, "ZINCRBY", "z", "2", "a") == '"2"'
    assert wire(raw3, "ZINCRBY", "z", "0.5", "a") == ",2.5"
    assert wire(raw, "ZINCRBY", "z", "x", "a") == NOT_FLOAT
    assert wire(raw, "ZINCRBY", "z", "nan", "a") == NOT_FLOAT
    assert wire(raw, "ZINCRBY", "z", "inf", "a") == '"inf"'
    assert wire(raw, "ZINCRBY", "z", "-inf", "a") == NAN_SCORE
    assert wire(raw, "ZSCORE", "z", "a") == '"inf"'
    assert wire(raw, "ZINCRBY", "z", "1") == arity("zincrby")


# ---------------------------------------------------------------------------------------------
# Score text

SCORES = [
    ("0.1", "0.10000000000000001"),
    ("1e300", "1.0000000000000001e+300"),
    ("inf", "inf"),
    ("+inf", "inf"),
    ("-inf", "-inf"),
    ("1", "1"),
    ("3.0", "3"),
    ("-0", "0"),
    ("1.5", "1.5"),
    ("-1.5e-7", "-1.4999999999999999e-07"),
    ("1e17", "1e+17"),
    ("123456789012345678", "1.2345678901234568e+17"),
    ("1e-310", "9.9999999999999694e-311"),
    ("2.5", "2.5"),
    ("-3", "-3"),
    ("9007199254740993", "9007199254740992"),
]


def zscan_text(given: str, text: str, encoding: str) -> str:
    """ZSCAN of a listpack zset returns the score as stored: an integral score that fits a long long
    is stored (and so printed) as an integer. A skiplist prints like ZSCORE."""
    if encoding == "listpack":
        v = float(given)
        if math.isfinite(v) and v == int(v) and abs(v) < 2**63:
            return str(int(v))
    return text


@pytest.mark.parametrize("encoding", ["listpack", "skiplist"])
@pytest.mark.parametrize("given,text", SCORES + [("1e18", "1e+18"), ("1e19", "1e+19")])
def test_score_text(raw, raw3, config, given, text, encoding):
    if encoding == "skiplist":
        config("zset-max-listpack-entries", 0)
        if given == "-0":
            text = "-0"  # a skiplist keeps the sign of zero; a listpack stores the integer 0
    raw.ok("ZADD", "z", given, "m")
    assert raw.cmd("OBJECT", "ENCODING", "z") == encoding.encode()
    assert wire(raw, "ZSCORE", "z", "m") == f'"{text}"'
    assert wire(raw3, "ZSCORE", "z", "m") == f",{text}"
    assert wire(raw, "ZRANGE", "z", "0", "-1", "WITHSCORES") == f'["m", "{text}"]'
    assert wire(raw3, "ZRANGE", "z", "0", "-1", "WITHSCORES") == f'[["m", ,{text}]]'
    assert wire(raw, "ZMSCORE", "z", "m") == f'["{text}"]'
    assert wire(raw3, "ZMSCORE", "z", "m") == f"[,{text}]"
    assert wire(raw3, "ZPOPMIN", "z") == f'["m", ,{text}]'
    raw.ok("ZADD", "z", given, "m")
    assert wire(raw, "ZSCAN", "z", "0") == f'["0", ["m", "{zscan_text(given, text, encoding)}"]]'


def test_score_hex_is_accepted_like_strtod(raw):
    # Redis parses scores with strtod, which reads hexadecimal too.
    raw.ok("ZADD", "z", "0x10", "m")
    assert wire(raw, "ZSCORE", "z", "m") == '"16"'


def test_zincrby_text(raw3):
    wire(raw3, "ZADD", "z", "1.5", "a")
    assert wire(raw3, "ZINCRBY", "z", "0.1", "a") == ",1.6000000000000001"


# ---------------------------------------------------------------------------------------------
# Shapes of the reading commands

def test_reply_shapes(raw, raw3):
    raw.ok("ZADD", "z", "1", "a", "2", "b")
    assert wire(raw, "ZSCORE", "missing", "a") == "$-1"
    assert wire(raw3, "ZSCORE", "z", "zz") == "_"
    assert wire(raw, "ZMSCORE", "z", "a", "zz") == '["1", $-1]'
    assert wire(raw3, "ZMSCORE", "z", "a", "zz") == "[,1, _]"
    assert wire(raw3, "ZMSCORE", "missing", "a") == "[_]"
    assert wire(raw, "ZRANK", "z", "b") == ":1"
    assert wire(raw, "ZREVRANK", "z", "b") == ":0"
    assert wire(raw, "ZRANK", "z", "zz") == "$-1"
    assert wire(raw3, "ZRANK", "missing", "zz") == "_"
    assert wire(raw3, "ZRANGE", "z", "0", "-1") == '["a", "b"]'
    assert wire(raw3, "ZRANGE", "missing", "0", "-1", "WITHSCORES") == "[]"
    assert wire(raw, "ZREVRANGE", "z", "0", "-1", "WITHSCORES") == '["b", "2", "a", "1"]'
    assert wire(raw3, "ZREVRANGE", "z", "0", "-1", "WITHSCORES") == '[["b", ,2], ["a", ,1]]'
    assert wire(raw3, "ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES") == '[["a", ,1], ["b", ,2]]'
    assert wire(raw3, "ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES") == '[["b", ,2], ["a", ,1]]'


def test_pop_shapes(raw, raw3):
    raw.ok("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f")
    # without a count: flat [member, score] in both protocols
    assert wire(raw, "ZPOPMIN", "z") == '["a", "1"]'
    assert wire(raw3, "ZPOPMIN", "z") == '["b", ,2]'
    # with a count: flat in RESP2, pairs in RESP3
    assert wire(raw, "ZPOPMAX", "z", "2") == '["f", "6", "e", "5"]'
    assert wire(raw3, "ZPOPMAX", "z", "1") == '[["d", ,4]]'
    assert wire(raw3, "ZPOPMIN", "z", "0") == "[]"
    assert wire(raw, "ZPOPMIN", "missing") == "[]"
    assert wire(raw3, "ZPOPMIN", "missing", "3") == "[]"
    assert wire(raw3, "ZPOPMIN", "z", "10") == '[["c", ,3]]'
    assert raw.cmd("EXISTS", "z") == 0
    assert wire(raw, "ZPOPMIN", "z", "-1") == OUT_OF_RANGE_POSITIVE
    assert wire(raw, "ZPOPMIN", "z", "x") == OUT_OF_RANGE_POSITIVE
    assert wire(raw, "ZPOPMIN", "z", "1", "2") == SYNTAX


def test_zmpop(raw, raw3):
    raw.ok("ZADD", "z2", "1", "a", "2", "b", "3", "c", "4", "d")
    assert wire(raw, "ZMPOP", "2", "z1", "z2", "MIN") == '["z2", [["a", "1"]]]'
    assert wire(raw3, "ZMPOP", "2", "z1", "z2", "MAX", "COUNT", "2") == '["z2", [["d", ,4], ["c", ,3]]]'
    assert wire(raw, "ZMPOP", "1", "z2", "min", "count", "10") == '["z2", [["b", "2"]]]'
    assert raw.cmd("EXISTS", "z2") == 0
    assert wire(raw, "ZMPOP", "2", "z1", "z2", "MIN") == "*-1"
    assert wire(raw3, "ZMPOP", "2", "z1", "z2", "MIN") == "_"


def test_zmpop_errors(raw):
    raw.ok("ZADD", "z", "1", "a")
    raw.ok("SET", "str", "x")
    assert wire(raw, "ZMPOP", "0", "z", "MIN") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "ZMPOP", "x", "z", "MIN") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "ZMPOP", "2", "z", "MIN") == SYNTAX
    assert wire(raw, "ZMPOP", "1", "z", "FOO") == SYNTAX
    assert wire(raw, "ZMPOP", "1", "z", "MIN", "COUNT", "0") == "-ERR count should be greater than 0"
    assert wire(raw, "ZMPOP", "1", "z", "MIN", "COUNT", "-2") == "-ERR count should be greater than 0"
    assert wire(raw, "ZMPOP", "1", "z", "MIN", "COUNT") == SYNTAX
    assert wire(raw, "ZMPOP", "2", "str", "z", "MIN") == WRONGTYPE
    assert raw.cmd("ZCARD", "z") == 1


# ---------------------------------------------------------------------------------------------
# Ranges

@pytest.fixture
def scores(raw):
    raw.ok("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    return raw


def test_zrange_by_rank(scores):
    r = scores
    assert wire(r, "ZRANGE", "z", "0", "1") == '["a", "b"]'
    assert wire(r, "ZRANGE", "z", "-2", "-1") == '["d", "e"]'
    assert wire(r, "ZRANGE", "z", "3", "100") == '["d", "e"]'
    assert wire(r, "ZRANGE", "z", "4", "2") == "[]"
    assert wire(r, "ZRANGE", "z", "-100", "0") == '["a"]'
    assert wire(r, "ZRANGE", "z", "0", "9223372036854775807") == '["a", "b", "c", "d", "e"]'
    assert wire(r, "ZRANGE", "z", "0", "1", "REV") == '["e", "d"]'
    assert wire(r, "ZREVRANGE", "z", "1", "2") == '["d", "c"]'
    assert wire(r, "ZRANGE", "z", "0", "x") == NOT_INT


def test_zrange_by_score(scores):
    r = scores
    assert wire(r, "ZRANGE", "z", "2", "4", "BYSCORE") == '["b", "c", "d"]'
    assert wire(r, "ZRANGE", "z", "(2", "(4", "BYSCORE") == '["c"]'
    assert wire(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2") == '["b", "c"]'
    assert wire(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1") == '["b", "c", "d", "e"]'
    assert wire(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "1") == "[]"
    assert wire(r, "ZRANGE", "z", "4", "2", "BYSCORE", "REV") == '["d", "c", "b"]'
    assert wire(r, "ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2", "WITHSCORES") == (
        '["e", "5", "d", "4"]')
    assert wire(r, "ZRANGE", "z", "2", "4", "BYSCORE", "REV") == "[]"
    assert wire(r, "ZRANGEBYSCORE", "z", "(1", "3") == '["b", "c"]'
    assert wire(r, "ZRANGEBYSCORE", "z", "1", "(5", "LIMIT", "1", "2", "WITHSCORES") == '["b", "2", "c", "3"]'
    assert wire(r, "ZREVRANGEBYSCORE", "z", "5", "(3") == '["e", "d"]'
    assert wire(r, "ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "1") == '["e"]'
    assert wire(r, "ZRANGEBYSCORE", "z", "3", "3") == '["c"]'
    assert wire(r, "ZRANGEBYSCORE", "z", "(3", "3") == "[]"


def test_zrange_by_lex(raw):
    raw.ok("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
    assert wire(raw, "ZRANGE", "l", "[b", "(d", "BYLEX") == '["b", "c"]'
    assert wire(raw, "ZRANGE", "l", "(d", "[b", "BYLEX", "REV") == '["c", "b"]'
    assert wire(raw, "ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2") == '["d", "c"]'
    assert wire(raw, "ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", "1", "-1") == '["b", "c", "d", "e"]'
    assert wire(raw, "ZRANGEBYLEX", "l", "-", "[c") == '["a", "b", "c"]'
    assert wire(raw, "ZRANGEBYLEX", "l", "(c", "+") == '["d", "e"]'
    assert wire(raw, "ZRANGEBYLEX", "l", "-", "+", "LIMIT", "0", "-5") == '["a", "b", "c", "d", "e"]'
    assert wire(raw, "ZRANGEBYLEX", "l", "[aa", "(c") == '["b"]'
    assert wire(raw, "ZREVRANGEBYLEX", "l", "[c", "-") == '["c", "b", "a"]'
    assert wire(raw, "ZREVRANGEBYLEX", "l", "+", "(b", "LIMIT", "1", "1") == '["d"]'
    assert wire(raw, "ZRANGEBYLEX", "l", "+", "-") == "[]"
    assert wire(raw, "ZLEXCOUNT", "l", "-", "+") == ":5"
    assert wire(raw, "ZLEXCOUNT", "l", "[b", "[d") == ":3"
    assert wire(raw, "ZLEXCOUNT", "l", "(b", "(d") == ":1"


def test_range_errors(scores):
    r = scores
    assert wire(r, "ZRANGE", "z", "0", "-1", "LIMIT", "0", "1") == (
        "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    assert wire(r, "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == (
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    assert wire(r, "ZRANGE", "z", "a", "b", "BYLEX") == NOT_LEX_RANGE
    assert wire(r, "ZRANGE", "z", "a", "b", "BYSCORE") == NOT_FLOAT_RANGE
    assert wire(r, "ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX") == SYNTAX
    assert wire(r, "ZRANGE", "z", "0", "-1", "FOO") == SYNTAX
    assert wire(r, "ZRANGEBYSCORE", "z", "a", "b") == NOT_FLOAT_RANGE
    assert wire(r, "ZRANGEBYSCORE", "z", "nan", "1") == NOT_FLOAT_RANGE
    assert wire(r, "ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "0") == SYNTAX
    assert wire(r, "ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "a", "b") == NOT_INT
    assert wire(r, "ZRANGEBYLEX", "z", "a", "b") == NOT_LEX_RANGE
    assert wire(r, "ZRANGEBYLEX", "z", "[a", "b") == NOT_LEX_RANGE
    assert wire(r, "ZRANGEBYLEX", "z", "-", "+", "WITHSCORES") == (
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    assert wire(r, "ZCOUNT", "z", "a", "b") == NOT_FLOAT_RANGE
    assert wire(r, "ZLEXCOUNT", "z", "a", "b") == NOT_LEX_RANGE
    assert wire(r, "ZREMRANGEBYSCORE", "z", "a", "b") == NOT_FLOAT_RANGE
    assert wire(r, "ZREMRANGEBYLEX", "z", "a", "b") == NOT_LEX_RANGE
    assert wire(r, "ZREMRANGEBYRANK", "z", "a", "b") == NOT_INT
    assert r.cmd("ZCARD", "z") == 5


def test_zcount_zrank(scores):
    r = scores
    assert wire(r, "ZCOUNT", "z", "-inf", "+inf") == ":5"
    assert wire(r, "ZCOUNT", "z", "(1", "3") == ":2"
    assert wire(r, "ZCOUNT", "z", "3", "1") == ":0"
    assert wire(r, "ZCOUNT", "missing", "0", "1") == ":0"
    assert wire(r, "ZRANK", "z", "a") == ":0"
    assert wire(r, "ZRANK", "z", "e") == ":4"
    assert wire(r, "ZREVRANK", "z", "a") == ":4"


def test_zrangestore(raw, raw3):
    raw.ok("ZADD", "src", "1", "a", "2", "b", "3", "c")
    assert wire(raw, "ZRANGESTORE", "dst", "src", "0", "1") == ":2"
    assert wire(raw, "ZRANGE", "dst", "0", "-1", "WITHSCORES") == '["a", "1", "b", "2"]'
    assert wire(raw, "ZRANGESTORE", "dst", "src", "(1", "+inf", "BYSCORE", "LIMIT", "0", "1") == ":1"
    assert wire(raw, "ZRANGE", "dst", "0", "-1", "WITHSCORES") == '["b", "2"]'
    assert wire(raw, "ZRANGESTORE", "dst", "src", "+inf", "-inf", "BYSCORE", "REV") == ":3"
    assert wire(raw, "ZRANGE", "dst", "0", "-1") == '["a", "b", "c"]'
    assert wire(raw3, "ZRANGESTORE", "dst", "src", "[b", "+", "BYLEX") == ":2"
    # an empty result deletes the destination
    assert wire(raw, "ZRANGESTORE", "dst", "src", "5", "10") == ":0"
    assert raw.cmd("EXISTS", "dst") == 0
    assert wire(raw, "ZRANGESTORE", "dst", "missing", "0", "-1") == ":0"
    assert wire(raw, "ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES") == SYNTAX
    raw.ok("SET", "str", "x")
    assert wire(raw, "ZRANGESTORE", "dst", "str", "0", "-1") == WRONGTYPE
    # a string destination is overwritten
    assert wire(raw, "ZRANGESTORE", "str", "src", "0", "0") == ":1"
    assert raw.cmd("TYPE", "str") == "zset"


# ---------------------------------------------------------------------------------------------
# Removal by range

def test_zrem(rr):
    rr.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert rr.zrem("z", "a", "zz", "a") == 1
    assert rr.zrem("missing", "a") == 0
    assert rr.zrem("z", "b", "c") == 2
    assert rr.exists("z") == 0


def test_zremrangebyrank(rr):
    rr.zadd("z", {m: i for i, m in enumerate("abcdef")})
    assert rr.zremrangebyrank("z", 0, 1) == 2
    assert rr.zrange("z", 0, -1) == list("cdef")
    assert rr.zremrangebyrank("z", -1, -1) == 1
    assert rr.zremrangebyrank("z", 5, 10) == 0
    assert rr.zremrangebyrank("z", 0, 9223372036854775807) == 3
    assert rr.exists("z") == 0


def test_zremrangebyscore(rr):
    rr.zadd("z", {m: i for i, m in enumerate("abcdef")})
    assert rr.zremrangebyscore("z", "(1", 3) == 2
    assert rr.zrange("z", 0, -1) == ["a", "b", "e", "f"]
    assert rr.zremrangebyscore("z", "-inf", "+inf") == 4
    assert rr.exists("z") == 0
    assert rr.zremrangebyscore("z", 0, 1) == 0


def test_zremrangebylex(rr):
    rr.zadd("z", {m: 0 for m in "abcdef"})
    assert rr.zremrangebylex("z", "[b", "(d") == 2
    assert rr.zrange("z", 0, -1) == list("adef")
    assert rr.zremrangebylex("z", "-", "+") == 4
    assert rr.exists("z") == 0


# ---------------------------------------------------------------------------------------------
# ZRANDMEMBER

def test_zrandmember(rr, raw, raw3):
    members = {f"m{i}": i for i in range(10)}
    rr.zadd("z", members)
    assert rr.zrandmember("z") in members
    got = rr.zrandmember("z", 5)
    assert len(got) == 5 and len(set(got)) == 5
    assert sorted(rr.zrandmember("z", 50)) == sorted(members)
    got = rr.zrandmember("z", -30)
    assert len(got) == 30 and set(got) <= set(members)
    assert rr.zrandmember("z", 0) == []
    assert rr.zrandmember("missing") is None
    assert rr.zrandmember("missing", 3) == []
    raw.ok("ZADD", "one", "1.5", "m")
    assert wire(raw, "ZRANDMEMBER", "one", "1", "WITHSCORES") == '["m", "1.5"]'
    assert wire(raw3, "ZRANDMEMBER", "one", "-2", "WITHSCORES") == '[["m", ,1.5], ["m", ,1.5]]'
    assert wire(raw3, "ZRANDMEMBER", "one", "-2") == '["m", "m"]'
    assert wire(raw3, "ZRANDMEMBER", "missing") == "_"
    assert wire(raw, "ZRANDMEMBER", "missing", "2", "WITHSCORES") == "[]"
    assert wire(raw, "ZRANDMEMBER", "one", "x") == NOT_INT
    assert wire(raw, "ZRANDMEMBER", "one", "1", "FOO") == SYNTAX
    assert wire(raw, "ZRANDMEMBER", "one", "-9223372036854775808") == (
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert wire(raw, "ZRANDMEMBER", "one", "-9223372036854775807", "WITHSCORES") == "-ERR value is out of range"


# ---------------------------------------------------------------------------------------------
# Algebra

@pytest.fixture
def uv(raw):
    raw.ok("ZADD", "u", "1", "a", "2", "b")
    raw.ok("ZADD", "v", "10", "b", "20", "c")
    return raw


def test_zunion_zinter_zdiff(uv, raw3):
    r = uv
    assert wire(r, "ZUNION", "2", "u", "v", "WITHSCORES") == '["a", "1", "b", "12", "c", "20"]'
    assert wire(r, "ZUNION", "2", "u", "v", "WEIGHTS", "2", "0.5", "WITHSCORES") == (
        '["a", "2", "b", "9", "c", "10"]')
    assert wire(r, "ZUNION", "2", "u", "v", "AGGREGATE", "MIN", "WITHSCORES") == (
        '["a", "1", "b", "2", "c", "20"]')
    assert wire(r, "ZUNION", "2", "u", "v", "AGGREGATE", "MAX") == '["a", "b", "c"]'
    assert wire(r, "ZINTER", "2", "u", "v", "WITHSCORES") == '["b", "12"]'
    assert wire(r, "ZINTER", "2", "u", "v", "AGGREGATE", "max", "WITHSCORES") == '["b", "10"]'
    assert wire(raw3, "ZINTER", "2", "u", "v", "WEIGHTS", "1", "-1", "WITHSCORES") == '[["b", ,-8]]'
    assert wire(r, "ZDIFF", "2", "u", "v", "WITHSCORES") == '["a", "1"]'
    assert wire(r, "ZDIFF", "2", "v", "u") == '["c"]'
    assert wire(raw3, "ZUNION", "2", "u", "missing", "WITHSCORES") == '[["a", ,1], ["b", ,2]]'
    assert wire(r, "ZINTER", "2", "u", "missing") == "[]"
    assert wire(r, "ZDIFF", "1", "missing") == "[]"


def test_algebra_with_plain_sets(raw):
    raw.ok("SADD", "plain", "x", "y")
    raw.ok("ZADD", "u", "1", "a", "2", "b", "5", "x")
    assert wire(raw, "ZUNION", "2", "plain", "u", "WITHSCORES") == (
        '["a", "1", "y", "1", "b", "2", "x", "6"]')
    assert wire(raw, "ZINTER", "2", "plain", "u", "WEIGHTS", "3", "1", "WITHSCORES") == '["x", "8"]'
    assert wire(raw, "ZUNIONSTORE", "dst", "2", "plain", "u") == ":4"
    assert wire(raw, "ZDIFF", "2", "plain", "u") == '["y"]'
    assert wire(raw, "ZINTERCARD", "2", "plain", "u") == ":1"


def test_algebra_inf_and_nan(raw):
    raw.ok("ZADD", "i1", "inf", "a")
    raw.ok("ZADD", "i2", "-inf", "a")
    # inf + -inf is taken as 0, and so is inf * 0
    assert wire(raw, "ZUNION", "2", "i1", "i2", "WITHSCORES") == '["a", "0"]'
    assert wire(raw, "ZUNION", "1", "i1", "WEIGHTS", "0", "WITHSCORES") == '["a", "0"]'
    assert wire(raw, "ZINTER", "2", "i1", "i2", "AGGREGATE", "MAX", "WITHSCORES") == '["a", "inf"]'
    assert wire(raw, "ZUNION", "1", "i1", "WEIGHTS", "-2", "WITHSCORES") == '["a", "-inf"]'


def test_store_commands(uv):
    r = uv
    assert wire(r, "ZUNIONSTORE", "d", "2", "u", "v", "WEIGHTS", "1", "2") == ":3"
    assert wire(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == '["a", "1", "b", "22", "c", "40"]'
    assert wire(r, "ZINTERSTORE", "d", "2", "u", "v", "AGGREGATE", "MIN") == ":1"
    assert wire(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == '["b", "2"]'
    assert wire(r, "ZDIFFSTORE", "d", "2", "u", "v") == ":1"
    assert wire(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == '["a", "1"]'
    # an empty result deletes the destination
    assert wire(r, "ZINTERSTORE", "d", "2", "u", "missing") == ":0"
    assert r.cmd("EXISTS", "d") == 0
    r.ok("SET", "d", "string")
    assert wire(r, "ZDIFFSTORE", "d", "1", "missing") == ":0"
    assert r.cmd("EXISTS", "d") == 0
    # the destination may be an input
    assert wire(r, "ZUNIONSTORE", "u", "2", "u", "v") == ":3"
    assert wire(r, "ZRANGE", "u", "0", "-1", "WITHSCORES") == '["a", "1", "b", "12", "c", "20"]'
    assert wire(r, "ZUNIONSTORE", "d", "2", "u", "v", "WITHSCORES") == SYNTAX
    assert wire(r, "ZINTERSTORE", "d", "1", "u", "WEIGHTS", "2", "AGGREGATE", "MAX") == ":3"
    assert wire(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == '["a", "2", "b", "24", "c", "40"]'
    assert wire(r, "ZINTERSTORE", "d", "1", "u", "WEIGHTS", "inf") == ":3"
    assert wire(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == '["a", "inf", "b", "inf", "c", "inf"]'


def test_zintercard(uv):
    r = uv
    r.ok("ZADD", "w", "1", "b", "2", "c", "3", "d")
    assert wire(r, "ZINTERCARD", "2", "v", "w") == ":2"
    assert wire(r, "ZINTERCARD", "2", "v", "w", "LIMIT", "1") == ":1"
    assert wire(r, "ZINTERCARD", "2", "v", "w", "LIMIT", "0") == ":2"
    assert wire(r, "ZINTERCARD", "3", "u", "v", "w") == ":1"
    assert wire(r, "ZINTERCARD", "2", "u", "missing") == ":0"
    assert wire(r, "ZINTERCARD", "2", "v", "w", "LIMIT", "-1") == "-ERR LIMIT can't be negative"
    assert wire(r, "ZINTERCARD", "2", "v") == SYNTAX


def test_algebra_errors(uv):
    r = uv
    for cmd in ("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"):
        assert wire(r, cmd, "0", "u") == f"-ERR at least 1 input key is needed for '{cmd.lower()}' command"
    for cmd in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        assert wire(r, cmd, "d", "0", "u") == f"-ERR at least 1 input key is needed for '{cmd.lower()}' command"
    assert wire(r, "ZUNION", "3", "u", "v") == SYNTAX
    assert wire(r, "ZUNION", "x", "u") == NOT_INT
    assert wire(r, "ZUNION", "1", "u", "WEIGHTS", "x") == "-ERR weight value is not a float"
    assert wire(r, "ZUNION", "1", "u", "WEIGHTS", "1", "2") == SYNTAX
    assert wire(r, "ZUNION", "2", "u", "v", "WEIGHTS", "1") == SYNTAX
    assert wire(r, "ZUNION", "1", "u", "AGGREGATE", "AVG") == SYNTAX
    assert wire(r, "ZUNION", "1", "u", "AGGREGATE") == SYNTAX
    assert wire(r, "ZDIFF", "1", "u", "WEIGHTS", "1") == SYNTAX
    assert wire(r, "ZDIFF", "1", "u", "AGGREGATE", "SUM") == SYNTAX
    assert wire(r, "ZDIFFSTORE", "d", "1", "u", "WEIGHTS", "1") == SYNTAX
    assert wire(r, "ZDIFFSTORE", "d", "1", "u", "AGGREGATE", "MAX") == SYNTAX
    assert wire(r, "ZINTERSTORE", "d", "1", "u", "WEIGHTS", "2", "AGGREGATE", "MAX", "WITHSCORES") == SYNTAX
    r.ok("SET", "str", "x")
    for cmd in (["ZUNION", "2", "u", "str"], ["ZINTER", "2", "u", "str"], ["ZDIFF", "2", "u", "str"],
                ["ZUNIONSTORE", "d", "2", "u", "str"], ["ZINTERSTORE", "d", "1", "str"],
                ["ZDIFFSTORE", "d", "2", "str", "u"], ["ZINTERCARD", "2", "u", "str"]):
        assert wire(r, *cmd) == WRONGTYPE, cmd
    assert r.cmd("EXISTS", "d") == 0


def test_big_algebra(rr):
    rr.zadd("a", {f"m{i}": i for i in range(3000)})
    rr.zadd("b", {f"m{i}": 1 for i in range(0, 3000, 3)})
    assert rr.zinterstore("d", ["a", "b"]) == 1000
    assert rr.zscore("d", "m300") == 301.0
    assert rr.zunionstore("d", {"a": 1, "b": 1000}, aggregate="MAX") == 3000
    assert rr.zscore("d", "m3") == 1000.0
    assert rr.zscore("d", "m2999") == 2999.0
    assert rr.zdiffstore("d", ["a", "b"]) == 2000
    assert rr.zcard("d") == 2000


# ---------------------------------------------------------------------------------------------
# ZSCAN

def test_zscan_small(raw):
    raw.ok("ZADD", "z", "1", "a", "2.5", "b")
    assert wire(raw, "ZSCAN", "z", "0") == '["0", ["a", "1", "b", "2.5"]]'
    assert wire(raw, "ZSCAN", "missing", "0") == '["0", []]'
    assert wire(raw, "ZSCAN", "z", "0", "MATCH", "b*") == '["0", ["b", "2.5"]]'


def test_zscan_full_with_scores(raw):
    n = 2000
    raw.ok("ZADD", "z", *[x for i in range(n) for x in (str(i), f"m{i}")])
    seen = {}
    cursor = b"0"
    while True:
        cursor, items = raw.cmd("ZSCAN", "z", cursor, "COUNT", "10")
        for m, s in zip(items[::2], items[1::2]):
            seen[m] = s
        if cursor == b"0":
            break
    assert len(seen) == n
    assert all(seen[f"m{i}".encode()] == str(i).encode() for i in range(n))


def test_zscan_guarantee_under_changes(raw):
    stable = [f"stable:{i}" for i in range(2000)]
    raw.ok("ZADD", "z", *[x for i, m in enumerate(stable) for x in (str(i), m)])
    ever = set(stable)
    rng = random.Random(5)
    churn = []

    def between(call):
        new = [f"churn:{call}:{j}" for j in range(5)]
        raw.ok("ZADD", "z", *[x for m in new for x in (str(rng.random() * 4000), m)])
        churn.extend(new)
        ever.update(new)
        if len(churn) > 20:
            victims = rng.sample(churn, 5)
            for v in victims:
                churn.remove(v)
            raw.ok("ZREM", "z", *victims)
        # changing the score of a stable member must not hide it either
        raw.ok("ZINCRBY", "z", "0.5", rng.choice(stable))

    seen = scan_all(raw, "ZSCAN", "z", count=10, between=between)
    missing = {m.encode() for m in stable} - set(seen)
    assert not missing, f"{len(missing)} stable members never returned"
    assert set(seen) <= {m.encode() for m in ever}, "SCAN returned something never added"


def test_zscan_errors(raw):
    raw.ok("ZADD", "z", "1", "a")
    assert wire(raw, "ZSCAN", "z", "x") == "-ERR invalid cursor"
    assert wire(raw, "ZSCAN", "z", "0", "COUNT", "0") == SYNTAX
    assert wire(raw, "ZSCAN", "z", "0", "COUNT", "x") == NOT_INT


# ---------------------------------------------------------------------------------------------
# Encodings

def test_encoding_by_entries(rr, config):
    config("zset-max-listpack-entries", 4)
    rr.zadd("z", {f"m{i}": i for i in range(4)})
    assert rr.object("encoding", "z") == "listpack"
    rr.zadd("z", {"m4": 4})
    assert rr.object("encoding", "z") == "skiplist"
    rr.zremrangebyrank("z", 0, 3)
    assert rr.object("encoding", "z") == "skiplist"  # never back
    assert pairs(rr.zrange("z", 0, -1, withscores=True)) == [("m4", 4.0)]
    rr.zadd("m", {f"m{i}": i for i in range(10)})
    assert rr.object("encoding", "m") == "skiplist"


def test_encoding_by_value(rr):
    rr.zadd("z", {"x" * 64: 1})
    assert rr.object("encoding", "z") == "listpack"
    rr.zadd("z", {"y" * 65: 2})
    assert rr.object("encoding", "z") == "skiplist"
    rr.zincrby("z2", 1, "y" * 65)
    assert rr.object("encoding", "z2") == "skiplist"


def test_encoding_default_limit(rr):
    rr.zadd("z", {f"m{i}": i for i in range(128)})
    assert rr.object("encoding", "z") == "listpack"
    rr.zadd("z", {"more": 0})
    assert rr.object("encoding", "z") == "skiplist"
    assert rr.zrank("z", "more") == 1  # m0 (0) < "more" (0) by member order


def test_encoding_ziplist_aliases(rr, config):
    assert rr.config_get("zset-max-ziplist-entries") == {"zset-max-ziplist-entries": "128"}
    assert rr.config_get("zset-max-ziplist-value") == {"zset-max-ziplist-value": "64"}
    config("zset-max-ziplist-entries", 2)
    config("zset-max-ziplist-value", 4)
    assert rr.config_get("zset-max-listpack-entries") == {"zset-max-listpack-entries": "2"}
    assert rr.config_get("zset-max-listpack-value") == {"zset-max-listpack-value": "4"}
    rr.zadd("a", {"m1": 1, "m2": 2})
    assert rr.object("encoding", "a") == "listpack"
    rr.zadd("a", {"m3": 3})
    assert rr.object("encoding", "a") == "skiplist"
    rr.zadd("b", {"abcd": 1})
    assert rr.object("encoding", "b") == "listpack"
    rr.zadd("b", {"abcde": 1})
    assert rr.object("encoding", "b") == "skiplist"


def test_store_results_are_compact_when_small(rr):
    rr.zadd("big", {f"m{i}": i for i in range(300)})
    assert rr.object("encoding", "big") == "skiplist"
    rr.zrangestore("d", "big", 0, 9)
    assert rr.object("encoding", "d") == "listpack"
    rr.zunionstore("u", ["d"])
    assert rr.object("encoding", "u") == "listpack"
    rr.zinterstore("i", ["big", "d"])
    assert rr.object("encoding", "i") == "listpack"
    rr.zunionstore("all", ["big"])
    assert rr.object("encoding", "all") == "skiplist"


def test_big_zset_consistency(rr):
    rng = random.Random(3)
    ref = {}
    for _ in range(20):
        batch = {f"m{rng.randrange(5000)}": rng.choice([rng.randrange(-100, 100), rng.random() * 10])
                 for _ in range(200)}
        rr.zadd("z", batch)
        ref.update(batch)
        victims = rng.sample(sorted(ref), 30)
        rr.zrem("z", *victims)
        for v in victims:
            del ref[v]
    expect = sorted(ref.items(), key=lambda kv: (kv[1], kv[0]))
    got = pairs(rr.zrange("z", 0, -1, withscores=True))
    assert [m for m, _ in got] == [m for m, _ in expect]
    assert all(math.isclose(s, ref[m]) for m, s in got)
    m, s = expect[len(expect) // 2]
    assert rr.zrank("z", m) == len(expect) // 2
    assert rr.zrevrank("z", m) == len(expect) - 1 - len(expect) // 2
    lo, hi = -10, 10
    assert rr.zcount("z", lo, hi) == sum(1 for v in ref.values() if lo <= v <= hi)


def test_binary_members(rb):
    ms = {b"": 1, b"\x00": 2, b"a\r\nb": 3, bytes(range(256)): 4}
    rb.zadd("z", ms)
    assert rb.zrange("z", 0, -1) == [b"", b"\x00", b"a\r\nb", bytes(range(256))]
    assert rb.zscore("z", b"\x00") == 2.0
    assert rb.zrangebylex("z", b"[\x00", b"(a") == [b"\x00"]


# ---------------------------------------------------------------------------------------------
# Errors

def test_wrongtype(raw):
    raw.ok("SET", "str", "v")
    for cmd in (["ZADD", "str", "1", "a"], ["ZINCRBY", "str", "1", "a"], ["ZREM", "str", "a"],
                ["ZCARD", "str"], ["ZSCORE", "str", "a"], ["ZMSCORE", "str", "a"], ["ZRANK", "str", "a"],
                ["ZREVRANK", "str", "a"], ["ZRANGE", "str", "0", "1"], ["ZREVRANGE", "str", "0", "1"],
                ["ZRANGEBYSCORE", "str", "0", "1"], ["ZREVRANGEBYSCORE", "str", "1", "0"],
                ["ZRANGEBYLEX", "str", "-", "+"], ["ZREVRANGEBYLEX", "str", "+", "-"],
                ["ZCOUNT", "str", "0", "1"], ["ZLEXCOUNT", "str", "-", "+"], ["ZPOPMIN", "str"],
                ["ZPOPMAX", "str", "2"], ["ZRANDMEMBER", "str"], ["ZREMRANGEBYRANK", "str", "0", "1"],
                ["ZREMRANGEBYSCORE", "str", "0", "1"], ["ZREMRANGEBYLEX", "str", "-", "+"],
                ["ZSCAN", "str", "0"], ["ZMPOP", "1", "str", "MIN"]):
        assert wire(raw, *cmd) == WRONGTYPE, cmd
    raw.ok("ZADD", "z", "1", "a")
    assert wire(raw, "GET", "z") == WRONGTYPE
    assert wire(raw, "SADD", "z", "a") == WRONGTYPE
    assert wire(raw, "SMEMBERS", "z") == WRONGTYPE


@pytest.mark.parametrize("cmd,n", [
    ("ZADD", 2), ("ZINCRBY", 2), ("ZREM", 1), ("ZCARD", 0), ("ZSCORE", 1), ("ZMSCORE", 1),
    ("ZRANK", 1), ("ZREVRANK", 1), ("ZRANGE", 2), ("ZRANGESTORE", 3), ("ZREVRANGE", 2),
    ("ZRANGEBYSCORE", 2), ("ZREVRANGEBYSCORE", 2), ("ZRANGEBYLEX", 2), ("ZREVRANGEBYLEX", 2),
    ("ZCOUNT", 2), ("ZLEXCOUNT", 2), ("ZPOPMIN", 0), ("ZPOPMAX", 0), ("ZMPOP", 2),
    ("ZRANDMEMBER", 0), ("ZUNION", 1), ("ZINTER", 1), ("ZDIFF", 1), ("ZUNIONSTORE", 2),
    ("ZINTERSTORE", 2), ("ZDIFFSTORE", 2), ("ZINTERCARD", 1), ("ZREMRANGEBYRANK", 2),
    ("ZREMRANGEBYSCORE", 2), ("ZREMRANGEBYLEX", 2), ("ZSCAN", 1),
])
def test_arity(raw, cmd, n):
    args = ["k"] + ["x"] * (n - 1) if n >= 1 else []
    assert wire(raw, cmd, *args) == arity(cmd)
    assert raw.cmd("PING") == "PONG"


def test_huge_ranges_do_not_hurt(raw):
    raw.ok("ZADD", "z", "1", "a", "2", "b")
    assert wire(raw, "ZRANGE", "z", "-9223372036854775808", "9223372036854775807") == '["a", "b"]'
    assert wire(raw, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "9223372036854775807",
                "9223372036854775807") == "[]"
    assert wire(raw, "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "1") == "[]"
    assert wire(raw, "ZPOPMIN", "z", "9223372036854775807") == '["a", "1", "b", "2"]'
    assert wire(raw, "ZREMRANGEBYRANK", "z", "-9223372036854775808", "9223372036854775807") == ":0"
    assert raw.cmd("PING") == "PONG"
