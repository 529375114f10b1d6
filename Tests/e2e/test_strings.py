"""String commands: GET/SET family, counters, ranges, encodings, binary safety."""

import time

import pytest
import redis

from helpers import RespError


def err(excinfo) -> str:
    return str(excinfo.value)


# ---------------------------------------------------------------------------------------------
# GET / SET and its options

def test_get_set_basic(rr):
    assert rr.get("missing") is None
    assert rr.set("k", "v") is True
    assert rr.get("k") == "v"
    assert rr.set("k", "v2") is True
    assert rr.get("k") == "v2"
    assert rr.set("empty", "") is True
    assert rr.get("empty") == ""
    assert rr.strlen("empty") == 0


def test_set_ex_px(rr):
    rr.set("k", "v", ex=100)
    assert 92 <= rr.ttl("k") <= 100
    rr.set("k", "v", px=100000)
    assert 92000 <= rr.pttl("k") <= 100000
    rr.set("k", "v")  # a plain SET drops the TTL
    assert rr.ttl("k") == -1


def test_set_exat_pxat(rr):
    now = int(time.time())
    rr.set("k", "v", exat=now + 100)
    assert 90 <= rr.ttl("k") <= 101
    assert rr.expiretime("k") == now + 100
    rr.set("k", "v", pxat=(now + 200) * 1000)
    assert rr.pexpiretime("k") == (now + 200) * 1000
    # A time in the past: accepted, and the key is gone at once.
    assert rr.execute_command("SET", "past", "v", "EXAT", "1") in (True, "OK")
    assert rr.exists("past") == 0
    assert rr.get("past") is None


def test_set_nx_xx(rr):
    assert rr.set("k", "v", xx=True) is None
    assert rr.exists("k") == 0
    assert rr.set("k", "v1", nx=True) is True
    assert rr.set("k", "v2", nx=True) is None
    assert rr.get("k") == "v1"
    assert rr.set("k", "v3", xx=True) is True
    assert rr.get("k") == "v3"


def test_set_keepttl(rr):
    rr.set("k", "v", ex=100)
    rr.set("k", "v2", keepttl=True)
    assert 90 <= rr.ttl("k") <= 100
    assert rr.get("k") == "v2"
    rr.set("k", "v3")
    assert rr.ttl("k") == -1


def test_set_get_option(rr, raw):
    assert rr.set("k", "v1", get=True) is None
    assert rr.set("k", "v2", get=True) == "v1"
    assert rr.get("k") == "v2"
    # NX + GET is allowed since 7.0: returns the old value and does not set.
    assert raw.cmd("SET", "k", "v3", "NX", "GET") == b"v2"
    assert rr.get("k") == "v2"
    assert raw.cmd("SET", "new", "v", "NX", "GET") is None
    assert rr.get("new") == "v"
    assert raw.cmd("SET", "k", "v4", "XX", "GET") == b"v2"
    assert rr.get("k") == "v4"
    assert raw.cmd("SET", "nope", "v", "XX", "GET") is None
    assert rr.exists("nope") == 0


@pytest.mark.parametrize("args,msg", [
    (["EX", "0"], "invalid expire time in 'set' command"),
    (["EX", "-1"], "invalid expire time in 'set' command"),
    (["PX", "0"], "invalid expire time in 'set' command"),
    (["EX", "99999999999999999"], "invalid expire time in 'set' command"),
    (["EX", "abc"], "value is not an integer or out of range"),
    (["EX", "1.5"], "value is not an integer or out of range"),
    (["NX", "XX"], "syntax error"),
    (["EX", "10", "PX", "100"], "syntax error"),
    (["KEEPTTL", "EX", "10"], "syntax error"),
    (["EX"], "syntax error"),
    (["FOO"], "syntax error"),
])
def test_set_errors(raw, args, msg):
    assert raw.cmd("SET", "k", "v", *args) == RespError("ERR " + msg)
    assert raw.cmd("EXISTS", "k") == 0


def test_set_wrong_arity(raw):
    assert raw.cmd("SET", "k") == RespError("ERR wrong number of arguments for 'set' command")
    assert raw.cmd("GET") == RespError("ERR wrong number of arguments for 'get' command")


def test_setnx_setex_psetex(rr):
    assert rr.setnx("k", "v") is True
    assert rr.setnx("k", "w") is False
    assert rr.get("k") == "v"
    assert rr.setex("e", 100, "v") is True
    assert 92 <= rr.ttl("e") <= 100
    assert rr.psetex("p", 100000, "v") is True
    assert 92000 <= rr.pttl("p") <= 100000
    assert rr.get("p") == "v"


def test_setex_errors(raw):
    assert raw.cmd("SETEX", "k", "0", "v") == RespError("ERR invalid expire time in 'setex' command")
    assert raw.cmd("SETEX", "k", "abc", "v") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd("PSETEX", "k", "-5", "v") == RespError("ERR invalid expire time in 'psetex' command")
    assert raw.cmd("SETEX", "k", "10") == RespError("ERR wrong number of arguments for 'setex' command")


def test_getset_getdel(rr):
    assert rr.getset("k", "v1") is None
    assert rr.getset("k", "v2") == "v1"
    rr.expire("k", 100)
    assert rr.getset("k", "v3") == "v2"
    assert rr.ttl("k") == -1  # GETSET drops the TTL
    assert rr.getdel("k") == "v3"
    assert rr.exists("k") == 0
    assert rr.getdel("k") is None


def test_getex(rr):
    assert rr.getex("missing", ex=10) is None
    assert rr.exists("missing") == 0
    rr.set("k", "v")
    assert rr.getex("k") == "v"
    assert rr.ttl("k") == -1
    assert rr.getex("k", ex=100) == "v"
    assert 92 <= rr.ttl("k") <= 100
    assert rr.getex("k", px=200000) == "v"
    assert 192000 <= rr.pttl("k") <= 200000
    now = int(time.time())
    assert rr.getex("k", exat=now + 300) == "v"
    assert rr.expiretime("k") == now + 300
    assert rr.getex("k", pxat=(now + 400) * 1000) == "v"
    assert rr.pexpiretime("k") == (now + 400) * 1000
    assert rr.getex("k", persist=True) == "v"
    assert rr.ttl("k") == -1


def test_getex_errors(raw):
    raw.ok("SET", "k", "v")
    assert raw.cmd("GETEX", "k", "EX", "0") == RespError("ERR invalid expire time in 'getex' command")
    assert raw.cmd("GETEX", "k", "PERSIST", "EX", "1") == RespError("ERR syntax error")
    assert raw.cmd("GETEX", "k", "FOO") == RespError("ERR syntax error")
    assert raw.cmd("GETEX", "k", "EX", "x") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd("TTL", "k") == -1


def test_mget_mset_msetnx(rr):
    assert rr.mset({"a": "1", "b": "2", "c": "3"}) is True
    assert rr.mget("a", "b", "missing", "c") == ["1", "2", None, "3"]
    assert rr.msetnx({"c": "x", "d": "4"}) is False
    assert rr.exists("d") == 0
    assert rr.get("c") == "3"
    assert rr.msetnx({"d": "4", "e": "5"}) is True
    assert rr.mget("d", "e") == ["4", "5"]
    # the same key twice: the last one wins
    rr.execute_command("MSET", "z", "1", "z", "2")
    assert rr.get("z") == "2"


def test_mset_arity(raw):
    msg = RespError("ERR wrong number of arguments for 'mset' command")
    assert raw.cmd("MSET", "a") == msg
    assert raw.cmd("MSET", "a", "1", "b") == msg
    assert raw.cmd("MSETNX", "a", "1", "b") == RespError("ERR wrong number of arguments for 'msetnx' command")
    assert raw.cmd("MGET") == RespError("ERR wrong number of arguments for 'mget' command")


# ---------------------------------------------------------------------------------------------
# Counters

def test_incr_decr(rr):
    assert rr.incr("n") == 1
    assert rr.incr("n") == 2
    assert rr.decr("n") == 1
    assert rr.incrby("n", 10) == 11
    assert rr.decrby("n", 20) == -9
    assert rr.get("n") == "-9"
    assert rr.decr("m") == -1
    rr.set("s", "  5")
    with pytest.raises(redis.ResponseError) as e:
        rr.incr("s")
    assert err(e) == "value is not an integer or out of range"


def test_incr_keeps_ttl(rr):
    rr.set("n", "5", ex=100)
    assert rr.incr("n") == 6
    assert 90 <= rr.ttl("n") <= 100


@pytest.mark.parametrize("cmd", [["INCR", "n"], ["DECR", "n"], ["INCRBY", "n", "1"], ["DECRBY", "n", "1"]])
def test_incr_not_integer(raw, cmd):
    raw.ok("SET", "n", "abc")
    assert raw.cmd(*cmd) == RespError("ERR value is not an integer or out of range")
    raw.ok("SET", "n", "1.5")
    assert raw.cmd(*cmd) == RespError("ERR value is not an integer or out of range")
    raw.ok("SET", "n", "99999999999999999999")
    assert raw.cmd(*cmd) == RespError("ERR value is not an integer or out of range")


def test_incr_overflow(raw):
    raw.ok("SET", "n", str(2**63 - 1))
    assert raw.cmd("INCR", "n") == RespError("ERR increment or decrement would overflow")
    assert raw.cmd("INCRBY", "n", "1") == RespError("ERR increment or decrement would overflow")
    raw.ok("SET", "n", str(-2**63))
    assert raw.cmd("DECR", "n") == RespError("ERR increment or decrement would overflow")
    assert raw.cmd("GET", "n") == str(-2**63).encode()
    raw.ok("SET", "n", "0")
    assert raw.cmd("DECRBY", "n", str(-2**63)) == RespError("ERR decrement would overflow")
    assert raw.cmd("INCRBY", "n", "abc") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd("INCRBY", "n", "1.0") == RespError("ERR value is not an integer or out of range")


@pytest.mark.parametrize("start,incr,expected", [
    ("10.5", "0.1", b"10.6"),
    ("5.0e3", "0", b"5000"),
    ("5.0e3", "200", b"5200"),
    ("3", "1.5e-5", b"3.000015"),
    ("3.000015", "-3.000015", b"0"),
    (None, "1.10", b"1.1"),
    (None, "-0", b"0"),
    ("10", "-20", b"-10"),
    ("1", "0.5", b"1.5"),
    ("0.1", "0.2", b"0.3"),
])
def test_incrbyfloat_formatting(raw, start, incr, expected):
    if start is not None:
        raw.ok("SET", "f", start)
    assert raw.cmd("INCRBYFLOAT", "f", incr) == expected
    assert raw.cmd("GET", "f") == expected


def test_incrbyfloat_errors(raw):
    raw.ok("SET", "f", "abc")
    assert raw.cmd("INCRBYFLOAT", "f", "1") == RespError("ERR value is not a valid float")
    raw.ok("SET", "f", "1")
    assert raw.cmd("INCRBYFLOAT", "f", "abc") == RespError("ERR value is not a valid float")
    assert raw.cmd("INCRBYFLOAT", "f", "inf") == RespError("ERR increment would produce NaN or Infinity")
    assert raw.cmd("INCRBYFLOAT", "f", "-inf") == RespError("ERR increment would produce NaN or Infinity")
    assert raw.cmd("GET", "f") == b"1"


def test_incrbyfloat_resp3_is_bulk(server, db):
    with server.raw() as c:
        c.ok("HELLO", "3")
        assert c.cmd("INCRBYFLOAT", "f", "1.5") == b"1.5"  # a bulk string in RESP3 too


# ---------------------------------------------------------------------------------------------
# APPEND, STRLEN, GETRANGE, SETRANGE

def test_append_strlen(rr):
    assert rr.append("k", "Hello") == 5
    assert rr.append("k", " World") == 11
    assert rr.get("k") == "Hello World"
    assert rr.strlen("k") == 11
    assert rr.strlen("missing") == 0
    rr.set("n", "12")
    assert rr.append("n", "34") == 4
    assert rr.incr("n") == 1235


def test_getrange(rr):
    rr.set("k", "This is a string")
    assert rr.getrange("k", 0, 3) == "This"
    assert rr.getrange("k", -3, -1) == "ing"
    assert rr.getrange("k", 0, -1) == "This is a string"
    assert rr.getrange("k", 10, 100) == "string"
    assert rr.getrange("k", 5, 2) == ""
    assert rr.getrange("k", -100, 3) == "This"
    assert rr.getrange("k", 0, -100) == "T"
    assert rr.getrange("k", 100, 200) == ""
    assert rr.getrange("missing", 0, -1) == ""
    assert rr.execute_command("SUBSTR", "k", 0, 3) == "This"


def test_getrange_errors(raw):
    raw.ok("SET", "k", "abc")
    assert raw.cmd("GETRANGE", "k", "a", "1") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd("GETRANGE", "k", "0") == RespError("ERR wrong number of arguments for 'getrange' command")


def test_setrange(rb):
    rb.set("k", "Hello World")
    assert rb.setrange("k", 6, "Redis") == 11
    assert rb.get("k") == b"Hello Redis"
    assert rb.setrange("pad", 5, "x") == 6
    assert rb.get("pad") == b"\x00\x00\x00\x00\x00x"
    assert rb.setrange("k", 20, "!") == 21
    assert rb.get("k") == b"Hello Redis" + b"\x00" * 9 + b"!"
    # An empty value on a missing key creates nothing; on an existing key changes nothing.
    assert rb.setrange("none", 10, "") == 0
    assert rb.exists("none") == 0
    assert rb.setrange("k", 100, "") == 21


def test_setrange_errors(raw):
    assert raw.cmd("SETRANGE", "k", "-1", "x") == RespError("ERR offset is out of range")
    assert raw.cmd("SETRANGE", "k", "536870912", "x") == RespError(
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert raw.cmd("SETRANGE", "k", "a", "x") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd("EXISTS", "k") == 0


# ---------------------------------------------------------------------------------------------
# OBJECT ENCODING

@pytest.mark.parametrize("value,encoding", [
    ("12345", "int"),
    ("-1", "int"),
    ("0", "int"),
    (str(2**63 - 1), "int"),
    (str(-2**63), "int"),
    ("01", "embstr"),
    (" 1", "embstr"),
    ("1.5", "embstr"),
    ("12345678901234567890", "embstr"),
    ("x" * 44, "embstr"),
    ("x" * 45, "raw"),
    ("", "embstr"),
])
def test_object_encoding(rr, value, encoding):
    rr.set("k", value)
    assert rr.object("encoding", "k") == encoding
    assert rr.get("k") == value


def test_object_encoding_after_append(rr):
    rr.set("k", "abc")
    assert rr.object("encoding", "k") == "embstr"
    rr.append("k", "d")
    assert rr.object("encoding", "k") == "raw"
    rr.set("n", "1")
    rr.append("n", "2")
    assert rr.object("encoding", "n") == "raw"
    assert rr.get("n") == "12"
    rr.set("i", "100")
    rr.incr("i")
    assert rr.object("encoding", "i") == "int"
    assert rr.object("encoding", "missing") is None


# ---------------------------------------------------------------------------------------------
# Binary safety

BIN_KEY = b"k\x00ey\r\n\xff\xfe*1\r\n$3\r\n"
BIN_VALUE = b"\x00\r\n$-1\r\n*0\r\n" + bytes(range(256)) + b"\r\n"


def test_binary_keys_and_values(rb):
    assert rb.set(BIN_KEY, BIN_VALUE) is True
    assert rb.get(BIN_KEY) == BIN_VALUE
    assert rb.strlen(BIN_KEY) == len(BIN_VALUE)
    assert rb.exists(BIN_KEY) == 1
    assert rb.keys(b"k\x00ey*") == [BIN_KEY]
    assert rb.append(BIN_KEY, b"\x00") == len(BIN_VALUE) + 1
    assert rb.getrange(BIN_KEY, 0, 2) == b"\x00\r\n"
    assert rb.mget([BIN_KEY, b"\x00"]) == [BIN_VALUE + b"\x00", None]
    rb.set(b"\x00", b"")
    assert rb.get(b"\x00") == b""
    assert sorted(rb.keys("*")) == sorted([BIN_KEY, b"\x00"])


def test_binary_resp3(server, db):
    c = server.client(protocol=3, decode=False)
    try:
        c.set(BIN_KEY, BIN_VALUE)
        assert c.get(BIN_KEY) == BIN_VALUE
        assert c.getdel(BIN_KEY) == BIN_VALUE
    finally:
        c.close()
