"""List commands (Redis 7.0 semantics): push/pop, ranges, LINSERT/LREM/LTRIM/LPOS, LMOVE, LMPOP,
reply shapes in RESP2 and RESP3, error texts, encoding. Blocking pops are in test_blocking.py."""

import pytest

from types_helpers import NOT_INT, SYNTAX, WRONGTYPE, arity, config, raw3, wire  # noqa: F401

OUT_OF_RANGE_POSITIVE = "-ERR value is out of range, must be positive"


# ---------------------------------------------------------------------------------------------
# Push / pop / length / range

def test_push_and_range(rr):
    assert rr.lpush("l", "a", "b", "c") == 3
    assert rr.lrange("l", 0, -1) == ["c", "b", "a"]
    assert rr.rpush("l", "x", "y") == 5
    assert rr.lrange("l", 0, -1) == ["c", "b", "a", "x", "y"]
    assert rr.llen("l") == 5
    assert rr.llen("missing") == 0
    assert rr.type("l") == "list"


def test_pushx(rr):
    assert rr.lpushx("l", "a") == 0
    assert rr.rpushx("l", "a", "b") == 0
    assert rr.exists("l") == 0
    rr.rpush("l", "m")
    assert rr.lpushx("l", "a", "b") == 3
    assert rr.rpushx("l", "y", "z") == 5
    assert rr.lrange("l", 0, -1) == ["b", "a", "m", "y", "z"]


def test_pop_single(rr):
    rr.rpush("l", "a", "b", "c")
    assert rr.lpop("l") == "a"
    assert rr.rpop("l") == "c"
    assert rr.lpop("l") == "b"
    assert rr.exists("l") == 0  # the last pop deletes the key
    assert rr.lpop("l") is None
    assert rr.rpop("l") is None


def test_pop_count(rr):
    rr.rpush("l", *"abcde")
    assert rr.lpop("l", 2) == ["a", "b"]
    assert rr.rpop("l", 2) == ["e", "d"]
    assert rr.rpop("l", 10) == ["c"]
    assert rr.exists("l") == 0
    assert rr.lpop("l", 3) is None


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_count_shapes(raw, raw3, cmd):
    raw.ok("RPUSH", "l", "a", "b")
    # count 0 on an existing list: an empty array; the list stays
    assert wire(raw, cmd, "l", "0") == "[]"
    assert wire(raw3, cmd, "l", "0") == "[]"
    assert raw.cmd("LLEN", "l") == 2
    # missing key: a null array with a count, a null bulk without one
    assert wire(raw, cmd, "nol", "2") == "*-1"
    assert wire(raw3, cmd, "nol", "2") == "_"
    assert wire(raw, cmd, "nol", "0") == "*-1"
    assert wire(raw, cmd, "nol") == "$-1"
    assert wire(raw3, cmd, "nol") == "_"
    first = '"a"' if cmd == "LPOP" else '"b"'
    assert wire(raw3, cmd, "l", "1") == f"[{first}]"


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_count_errors(raw, cmd):
    raw.ok("RPUSH", "l", "a")
    assert wire(raw, cmd, "l", "-1") == OUT_OF_RANGE_POSITIVE
    assert wire(raw, cmd, "nol", "-1") == OUT_OF_RANGE_POSITIVE
    assert wire(raw, cmd, "l", "x") == OUT_OF_RANGE_POSITIVE
    assert wire(raw, cmd, "l", "1", "2") == arity(cmd)
    assert raw.cmd("LLEN", "l") == 1


def test_lrange(rr):
    rr.rpush("l", *"abcdefghij")
    assert rr.lrange("l", 0, 2) == ["a", "b", "c"]
    assert rr.lrange("l", -3, -1) == ["h", "i", "j"]
    assert rr.lrange("l", 5, 3) == []
    assert rr.lrange("l", -100, 1) == ["a", "b"]
    assert rr.lrange("l", 8, 100) == ["i", "j"]
    assert rr.lrange("l", 100, 200) == []
    assert rr.lrange("l", -1, -2) == []
    assert rr.lrange("l", 0, 9223372036854775807) == list("abcdefghij")
    assert rr.lrange("l", -9223372036854775808, 0) == ["a"]
    assert rr.lrange("missing", 0, -1) == []


def test_lrange_errors(raw):
    raw.ok("RPUSH", "l", "a")
    assert wire(raw, "LRANGE", "l", "0", "9223372036854775808") == NOT_INT
    assert wire(raw, "LRANGE", "l", "a", "1") == NOT_INT
    assert wire(raw, "LRANGE", "l", "0") == arity("lrange")


def test_lindex(rr):
    rr.rpush("l", "a", "b", "c")
    assert rr.lindex("l", 0) == "a"
    assert rr.lindex("l", -1) == "c"
    assert rr.lindex("l", 2) == "c"
    assert rr.lindex("l", 3) is None
    assert rr.lindex("l", -4) is None
    assert rr.lindex("missing", 0) is None


def test_lindex_errors(raw, raw3):
    raw.ok("RPUSH", "l", "a")
    assert wire(raw, "LINDEX", "l", "x") == NOT_INT
    assert wire(raw, "LINDEX", "l", "5") == "$-1"
    assert wire(raw3, "LINDEX", "l", "5") == "_"


def test_lset(rr, raw):
    rr.rpush("l", "a", "b", "c")
    assert rr.lset("l", 0, "A") is True
    assert rr.lset("l", -1, "C") is True
    assert rr.lrange("l", 0, -1) == ["A", "b", "C"]
    assert wire(raw, "LSET", "l", "3", "x") == "-ERR index out of range"
    assert wire(raw, "LSET", "l", "-4", "x") == "-ERR index out of range"
    assert wire(raw, "LSET", "missing", "0", "x") == "-ERR no such key"
    assert wire(raw, "LSET", "l", "x", "x") == NOT_INT
    # a much longer value in the middle of the list
    big = "v" * 10000
    assert rr.lset("l", 1, big) is True
    assert rr.lrange("l", 0, -1) == ["A", big, "C"]


def test_linsert(rr, raw):
    rr.rpush("l", "a", "c")
    assert rr.linsert("l", "BEFORE", "c", "b") == 3
    assert rr.linsert("l", "AFTER", "c", "d") == 4
    assert rr.linsert("l", "before", "a", "0") == 5
    assert rr.lrange("l", 0, -1) == ["0", "a", "b", "c", "d"]
    assert rr.linsert("l", "AFTER", "zz", "x") == -1
    assert rr.linsert("missing", "AFTER", "a", "x") == 0
    assert rr.exists("missing") == 0
    assert wire(raw, "LINSERT", "l", "MIDDLE", "a", "x") == SYNTAX
    assert wire(raw, "LINSERT", "l", "BEFORE", "a") == arity("linsert")
    # only the first pivot from the head counts
    rr.rpush("dup", "p", "x", "p")
    assert rr.linsert("dup", "AFTER", "p", "n") == 4
    assert rr.lrange("dup", 0, -1) == ["p", "n", "x", "p"]


def test_lrem(rr, raw):
    rr.rpush("l", *"abacada")
    assert rr.lrem("l", 2, "a") == 2
    assert rr.lrange("l", 0, -1) == list("bcada")
    rr.delete("l")
    rr.rpush("l", *"abacada")
    assert rr.lrem("l", -2, "a") == 2
    assert rr.lrange("l", 0, -1) == list("abacd")
    assert rr.lrem("l", 0, "a") == 2
    assert rr.lrange("l", 0, -1) == list("bcd")
    assert rr.lrem("l", 0, "zz") == 0
    assert rr.lrem("missing", 0, "a") == 0
    assert rr.lrem("l", 0, "b") == 1
    assert rr.lrem("l", 0, "c") == 1
    assert rr.lrem("l", 0, "d") == 1
    assert rr.exists("l") == 0
    assert wire(raw, "LREM", "l", "x", "a") == NOT_INT


def test_ltrim(rr, raw):
    rr.rpush("l", *"abcdef")
    assert rr.ltrim("l", 1, -2) is True
    assert rr.lrange("l", 0, -1) == list("bcde")
    assert rr.ltrim("l", -2, 100) is True
    assert rr.lrange("l", 0, -1) == ["d", "e"]
    assert rr.ltrim("missing", 0, 1) is True
    # an empty range removes the key
    assert rr.ltrim("l", 5, 1) is True
    assert rr.exists("l") == 0
    rr.rpush("l", "a", "b")
    assert rr.ltrim("l", 0, 9223372036854775807) is True
    assert rr.lrange("l", 0, -1) == ["a", "b"]
    assert wire(raw, "LTRIM", "l", "0", "x") == NOT_INT


# ---------------------------------------------------------------------------------------------
# LPOS

def test_lpos(raw, raw3):
    raw.ok("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert wire(raw, "LPOS", "l", "c") == ":2"
    assert wire(raw, "LPOS", "l", "zz") == "$-1"
    assert wire(raw3, "LPOS", "l", "zz") == "_"
    assert wire(raw, "LPOS", "l", "c", "RANK", "2") == ":6"
    assert wire(raw, "LPOS", "l", "c", "RANK", "-1") == ":7"
    assert wire(raw, "LPOS", "l", "c", "RANK", "-3") == ":2"
    assert wire(raw, "LPOS", "l", "c", "RANK", "4") == "$-1"
    assert wire(raw, "LPOS", "l", "c", "COUNT", "2") == "[:2, :6]"
    assert wire(raw, "LPOS", "l", "c", "COUNT", "0") == "[:2, :6, :7]"
    assert wire(raw, "LPOS", "l", "c", "RANK", "-1", "COUNT", "2") == "[:7, :6]"
    assert wire(raw, "LPOS", "l", "zz", "COUNT", "0") == "[]"
    assert wire(raw3, "LPOS", "l", "c", "COUNT", "1") == "[:2]"
    assert wire(raw, "LPOS", "l", "c", "MAXLEN", "3") == ":2"
    assert wire(raw, "LPOS", "l", "c", "MAXLEN", "2") == "$-1"
    assert wire(raw, "LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7") == "[:2, :6]"
    assert wire(raw, "LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1") == ":7"
    # missing key
    assert wire(raw, "LPOS", "nol", "c") == "$-1"
    assert wire(raw, "LPOS", "nol", "c", "COUNT", "0") == "[]"


def test_lpos_errors(raw):
    raw.ok("RPUSH", "l", "a")
    assert wire(raw, "LPOS", "l", "a", "RANK", "0") == (
        "-ERR RANK can't be zero: use 1 to start from the first match, "
        "2 from the second ... or use negative to start from the end of the list")
    assert wire(raw, "LPOS", "l", "a", "COUNT", "-1") == "-ERR COUNT can't be negative"
    assert wire(raw, "LPOS", "l", "a", "MAXLEN", "-1") == "-ERR MAXLEN can't be negative"
    assert wire(raw, "LPOS", "l", "a", "RANK", "x") == NOT_INT
    assert wire(raw, "LPOS", "l", "a", "FOO", "1") == SYNTAX
    assert wire(raw, "LPOS", "l", "a", "RANK") == SYNTAX
    # (RANK -9223372036854775808 is left out: Redis 7.0 negates it, undefined behaviour; 7.2 rejects it)


# ---------------------------------------------------------------------------------------------
# LMOVE / RPOPLPUSH / LMPOP

def test_lmove_directions(rr):
    rr.rpush("src", "1", "2", "3")
    assert rr.lmove("src", "dst", "LEFT", "RIGHT") == "1"
    assert rr.lmove("src", "dst", "RIGHT", "LEFT") == "3"
    assert rr.lrange("src", 0, -1) == ["2"]
    assert rr.lrange("dst", 0, -1) == ["3", "1"]
    assert rr.lmove("src", "dst", "LEFT", "LEFT") == "2"
    assert rr.exists("src") == 0
    assert rr.lrange("dst", 0, -1) == ["2", "3", "1"]
    assert rr.lmove("src", "dst", "LEFT", "LEFT") is None
    assert rr.lmove("dst", "dst", "RIGHT", "LEFT") == "1"  # rotation
    assert rr.lrange("dst", 0, -1) == ["1", "2", "3"]
    assert rr.lmove("dst", "dst", "LEFT", "RIGHT") == "1"
    assert rr.lrange("dst", 0, -1) == ["2", "3", "1"]


def test_lmove_errors(raw):
    raw.ok("RPUSH", "src", "a")
    raw.ok("SET", "str", "x")
    assert wire(raw, "LMOVE", "src", "dst", "UP", "LEFT") == SYNTAX
    assert wire(raw, "LMOVE", "src", "dst", "LEFT") == arity("lmove")
    # a destination of the wrong type: error, and the source keeps its element
    assert wire(raw, "LMOVE", "src", "str", "LEFT", "LEFT") == WRONGTYPE
    assert raw.cmd("LRANGE", "src", "0", "-1") == [b"a"]
    assert wire(raw, "RPOPLPUSH", "src", "str") == WRONGTYPE
    assert wire(raw, "LMOVE", "str", "dst", "LEFT", "LEFT") == WRONGTYPE
    # a missing source with a wrong-type destination: nothing to move, null (no error)
    assert wire(raw, "LMOVE", "nosrc", "str", "LEFT", "LEFT") == "$-1"


def test_rpoplpush(rr, raw3):
    rr.rpush("a", "1", "2", "3")
    assert rr.rpoplpush("a", "b") == "3"
    assert rr.rpoplpush("a", "a") == "2"
    assert rr.lrange("a", 0, -1) == ["2", "1"]
    assert rr.lrange("b", 0, -1) == ["3"]
    assert rr.rpoplpush("missing", "b") is None
    assert wire(raw3, "RPOPLPUSH", "missing", "b") == "_"


def test_lmpop(raw, raw3):
    raw.ok("RPUSH", "l2", "a", "b", "c", "d")
    assert wire(raw, "LMPOP", "2", "l1", "l2", "LEFT") == '["l2", ["a"]]'
    assert wire(raw, "LMPOP", "2", "l1", "l2", "RIGHT", "COUNT", "2") == '["l2", ["d", "c"]]'
    assert wire(raw3, "LMPOP", "1", "l2", "left", "count", "10") == '["l2", ["b"]]'
    assert raw.cmd("EXISTS", "l2") == 0
    assert wire(raw, "LMPOP", "2", "l1", "l2", "LEFT") == "*-1"
    assert wire(raw3, "LMPOP", "2", "l1", "l2", "LEFT") == "_"
    raw.ok("RPUSH", "l1", "x")
    raw.ok("RPUSH", "l2", "y")
    assert wire(raw, "LMPOP", "2", "l1", "l2", "LEFT", "COUNT", "5") == '["l1", ["x"]]'


def test_lmpop_errors(raw):
    raw.ok("RPUSH", "l", "a")
    raw.ok("SET", "str", "x")
    assert wire(raw, "LMPOP", "0", "l", "LEFT") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "LMPOP", "-1", "l", "LEFT") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "LMPOP", "x", "l", "LEFT") == "-ERR numkeys should be greater than 0"
    assert wire(raw, "LMPOP", "3", "l", "LEFT") == SYNTAX
    assert wire(raw, "LMPOP", "1", "l", "MIDDLE") == SYNTAX
    assert wire(raw, "LMPOP", "1", "l", "LEFT", "COUNT", "0") == "-ERR count should be greater than 0"
    assert wire(raw, "LMPOP", "1", "l", "LEFT", "COUNT", "-1") == "-ERR count should be greater than 0"
    assert wire(raw, "LMPOP", "1", "l", "LEFT", "COUNT") == SYNTAX
    assert wire(raw, "LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1") == SYNTAX
    assert wire(raw, "LMPOP", "1", "l") == arity("lmpop")
    assert wire(raw, "LMPOP", "2", "str", "l", "LEFT") == WRONGTYPE
    assert raw.cmd("LLEN", "l") == 1


# ---------------------------------------------------------------------------------------------
# Types, encodings, size

def test_wrongtype(raw):
    raw.ok("SET", "s", "v")
    for cmd in (["LPUSH", "s", "a"], ["RPUSH", "s", "a"], ["LPUSHX", "s", "a"], ["RPUSHX", "s", "a"],
                ["LPOP", "s"], ["RPOP", "s", "2"], ["LLEN", "s"], ["LRANGE", "s", "0", "-1"],
                ["LINDEX", "s", "0"], ["LSET", "s", "0", "a"], ["LINSERT", "s", "BEFORE", "a", "b"],
                ["LREM", "s", "0", "a"], ["LTRIM", "s", "0", "1"], ["LPOS", "s", "a"],
                ["RPOPLPUSH", "s", "d"], ["LMOVE", "s", "d", "LEFT", "LEFT"], ["LMPOP", "1", "s", "LEFT"]):
        assert wire(raw, *cmd) == WRONGTYPE, cmd
    assert raw.cmd("GET", "s") == b"v"
    raw.ok("RPUSH", "l", "a")
    assert wire(raw, "GET", "l") == WRONGTYPE
    assert wire(raw, "APPEND", "l", "x") == WRONGTYPE


def test_encoding_is_quicklist(rr):
    rr.rpush("small", "a")
    assert rr.object("encoding", "small") == "quicklist"
    rr.rpush("big", *[f"e{i}" for i in range(1000)])
    rr.rpush("big", "x" * 100000)
    assert rr.object("encoding", "big") == "quicklist"
    assert rr.llen("big") == 1001
    rr.ltrim("big", 0, 0)
    assert rr.object("encoding", "big") == "quicklist"


def test_list_max_listpack_size_alias(rr, config):
    assert rr.config_get("list-max-listpack-size") == {"list-max-listpack-size": "-2"}
    config("list-max-ziplist-size", "128")
    assert rr.config_get("list-max-listpack-size") == {"list-max-listpack-size": "128"}
    assert rr.config_get("list-max-ziplist-size") == {"list-max-ziplist-size": "128"}
    rr.rpush("l", *[str(i) for i in range(1000)])
    assert rr.lrange("l", 998, -1) == ["998", "999"]
    assert rr.object("encoding", "l") == "quicklist"
    config("list-max-listpack-size", "-5")
    assert rr.config_get("list-max-ziplist-size") == {"list-max-ziplist-size": "-5"}
    rr.rpush("m", "x" * 100000, "y")
    assert rr.lrange("m", 1, 1) == ["y"]


def test_big_list_and_binary_elements(rb):
    n = 20000
    rb.rpush("l", *[b"%d" % i for i in range(n)])
    assert rb.llen("l") == n
    assert rb.lindex("l", n // 2) == b"%d" % (n // 2)
    assert rb.lrange("l", -2, -1) == [b"%d" % (n - 2), b"%d" % (n - 1)]
    assert rb.lrem("l", 0, b"100") == 1
    assert rb.linsert("l", "AFTER", b"19998", b"ins") == n
    assert rb.lpos("l", b"ins") == n - 2
    weird = [b"", b"\x00", b"a\r\nb", bytes(range(256)), b"-1", b"9223372036854775808"]
    rb.rpush("w", *weird)
    assert rb.lrange("w", 0, -1) == weird
    assert rb.lpos("w", b"\x00") == 1
    assert rb.lrem("w", 0, b"") == 1


def test_integer_like_elements_keep_their_text(rr):
    vals = ["1", "01", "-0", "+1", " 1", "1.0", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "0x10"]
    rr.rpush("l", *vals)
    assert rr.lrange("l", 0, -1) == vals
    assert rr.lpos("l", "1") == 0
    assert rr.lpos("l", "01") == 1
    assert rr.lrem("l", 0, "1") == 1
    assert rr.lrange("l", 0, 0) == ["01"]


@pytest.mark.parametrize("cmd,n", [
    ("LPUSH", 1), ("RPUSH", 1), ("LPUSHX", 1), ("RPUSHX", 1), ("LPOP", 0), ("RPOP", 0),
    ("LLEN", 0), ("LRANGE", 2), ("LINDEX", 1), ("LSET", 2), ("LINSERT", 3), ("LREM", 2),
    ("LTRIM", 2), ("LPOS", 1), ("RPOPLPUSH", 1), ("LMOVE", 3), ("LMPOP", 1),
])
def test_arity(raw, cmd, n):
    # one argument too few (the key counts as an argument)
    args = ["k"] + ["x"] * (n - 1) if n >= 1 else []
    assert wire(raw, cmd, *args) == arity(cmd)
    assert raw.cmd("PING") == "PONG"


def test_pop_huge_counts(rr, raw):
    rr.rpush("l", "a", "b")
    assert wire(raw, "LPOP", "l", "9223372036854775807") == '["a", "b"]'
    assert wire(raw, "LPOP", "l", "9223372036854775808") == OUT_OF_RANGE_POSITIVE
    assert raw.cmd("PING") == "PONG"
