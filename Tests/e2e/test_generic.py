"""Generic keyspace commands: DEL/EXISTS/TYPE, TTLs, KEYS/SCAN, RENAME/COPY, databases, OBJECT."""

import time

import pytest

from helpers import RespError


def test_del_unlink_exists(rr):
    rr.mset({"a": "1", "b": "2", "c": "3"})
    assert rr.exists("a", "a", "a", "missing") == 3
    assert rr.exists("a", "b", "c") == 3
    assert rr.delete("a", "missing", "a") == 1
    assert rr.exists("a") == 0
    assert rr.unlink("b", "c", "missing") == 2
    assert rr.exists("b", "c") == 0
    assert rr.delete("nothing") == 0


def test_del_arity(raw):
    assert raw.cmd("DEL") == RespError("ERR wrong number of arguments for 'del' command")
    assert raw.cmd("EXISTS") == RespError("ERR wrong number of arguments for 'exists' command")


def test_type(rr):
    rr.set("s", "v")
    assert rr.type("s") == "string"
    assert rr.type("missing") == "none"
    rr.set("n", 123)
    assert rr.type("n") == "string"


def test_ttl_pttl(rr):
    assert rr.ttl("missing") == -2
    assert rr.pttl("missing") == -2
    rr.set("k", "v")
    assert rr.ttl("k") == -1
    assert rr.pttl("k") == -1
    rr.expire("k", 100)
    assert 92 <= rr.ttl("k") <= 100
    assert 92000 <= rr.pttl("k") <= 100000


def test_expire_family(rr):
    rr.set("k", "v")
    assert rr.expire("k", 100) is True
    assert rr.pexpire("k", 200000) is True
    assert 192000 <= rr.pttl("k") <= 200000
    now = int(time.time())
    assert rr.expireat("k", now + 300) is True
    assert rr.expiretime("k") == now + 300
    assert rr.pexpireat("k", (now + 400) * 1000 + 123) is True
    assert rr.pexpiretime("k") == (now + 400) * 1000 + 123
    assert rr.expiretime("k") == now + 400
    assert rr.expire("missing", 100) is False
    assert rr.pexpire("missing", 100) is False
    assert rr.expireat("missing", now + 100) is False


def test_expire_in_the_past_deletes(rr):
    rr.set("a", "v")
    rr.set("b", "v")
    rr.set("c", "v")
    assert rr.expire("a", -1) is True
    assert rr.pexpire("b", 0) is True
    assert rr.expireat("c", 1) is True
    assert rr.exists("a", "b", "c") == 0


def test_expire_nx_xx_gt_lt(rr):
    rr.set("k", "v")
    # no TTL: GT never applies (no TTL counts as infinite), LT always does, XX never, NX does
    assert rr.expire("k", 100, gt=True) is False
    assert rr.expire("k", 100, xx=True) is False
    assert rr.ttl("k") == -1
    assert rr.expire("k", 100, nx=True) is True
    assert rr.expire("k", 200, nx=True) is False
    assert 92 <= rr.ttl("k") <= 100
    assert rr.expire("k", 200, gt=True) is True
    assert 192 <= rr.ttl("k") <= 200
    assert rr.expire("k", 50, gt=True) is False
    assert rr.expire("k", 50, lt=True) is True
    assert 42 <= rr.ttl("k") <= 50
    assert rr.expire("k", 60, lt=True) is False
    assert rr.expire("k", 70, xx=True) is True
    assert rr.execute_command("EXPIRE", "k", 80, "XX", "GT") == 1
    assert 72 <= rr.ttl("k") <= 80
    rr.persist("k")
    assert rr.expire("k", 10, lt=True) is True
    assert 2 <= rr.ttl("k") <= 10
    assert rr.pexpire("k", 500000, gt=True) is True
    assert rr.pexpire("k", 500, nx=True) is False


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_option_errors(raw, cmd):
    raw.ok("SET", "k", "v")
    assert raw.cmd(cmd, "k", "100", "NX", "XX") == RespError(
        "ERR NX and XX, GT or LT options at the same time are not compatible")
    assert raw.cmd(cmd, "k", "100", "NX", "GT") == RespError(
        "ERR NX and XX, GT or LT options at the same time are not compatible")
    assert raw.cmd(cmd, "k", "100", "GT", "LT") == RespError(
        "ERR GT and LT options at the same time are not compatible")
    assert raw.cmd(cmd, "k", "100", "FOO") == RespError("ERR Unsupported option FOO")
    assert raw.cmd(cmd, "k", "abc") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd(cmd, "k", "99999999999999999999") == RespError(
        "ERR value is not an integer or out of range")
    assert raw.cmd("TTL", "k") == -1


def test_expire_overflow_errors(raw):
    raw.ok("SET", "k", "v")
    assert raw.cmd("EXPIRE", "k", "99999999999999999") == RespError(
        "ERR invalid expire time in 'expire' command")
    assert raw.cmd("PEXPIRE", "k", str(2**63 - 1)) == RespError(
        "ERR invalid expire time in 'pexpire' command")
    assert raw.cmd("EXPIREAT", "k", "99999999999999999") == RespError(
        "ERR invalid expire time in 'expireat' command")
    assert raw.cmd("TTL", "k") == -1


def test_expiretime(rr):
    assert rr.expiretime("missing") == -2
    assert rr.pexpiretime("missing") == -2
    rr.set("k", "v")
    assert rr.expiretime("k") == -1
    assert rr.pexpiretime("k") == -1


def test_persist(rr):
    assert rr.persist("missing") is False
    rr.set("k", "v")
    assert rr.persist("k") is False
    rr.expire("k", 100)
    assert rr.persist("k") is True
    assert rr.ttl("k") == -1


def test_touch(rr):
    rr.mset({"a": "1", "b": "2"})
    assert rr.touch("a", "b", "missing") == 2
    assert rr.touch("a", "a") == 2


def test_keys_glob(rr):
    names = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h?llo", "h*llo", "other"]
    for n in names:
        rr.set(n, "v")
    assert sorted(rr.keys("*")) == sorted(names)
    assert sorted(rr.keys("h?llo")) == sorted(["hello", "hallo", "hxllo", "h?llo", "h*llo"])
    assert sorted(rr.keys("h*llo")) == sorted(["hello", "hallo", "hxllo", "hllo", "heeeello", "h?llo", "h*llo"])
    assert sorted(rr.keys("h[ae]llo")) == ["hallo", "hello"]
    assert sorted(rr.keys("h[^e]llo")) == sorted(["hallo", "hxllo", "h?llo", "h*llo"])
    assert sorted(rr.keys("h[a-b]llo")) == ["hallo"]
    assert rr.keys("h\\?llo") == ["h?llo"]
    assert rr.keys("h\\*llo") == ["h*llo"]
    assert rr.keys("oth*") == ["other"]
    assert rr.keys("nomatch*") == []
    assert rr.keys("hello") == ["hello"]


def test_scan_full_iteration(rr):
    keys = {f"key:{i}" for i in range(1000)}
    rr.mset({k: "v" for k in keys})
    seen = []
    cursor = 0
    calls = 0
    while True:
        cursor, batch = rr.scan(cursor, count=10)
        seen += batch
        calls += 1
        assert calls < 5000
        if cursor == 0:
            break
    assert set(seen) == keys


def test_scan_match_count_type(rr):
    for i in range(200):
        rr.set(f"user:{i}", "v")
        rr.set(f"item:{i}", "v")
    got = set(rr.scan_iter(match="user:1*", count=50))
    assert got == {f"user:{i}" for i in range(200) if str(i).startswith("1")}
    assert set(rr.scan_iter(_type="string", count=100)) == (
        {f"user:{i}" for i in range(200)} | {f"item:{i}" for i in range(200)})
    assert list(rr.scan_iter(_type="list", count=100)) == []
    assert list(rr.scan_iter(match="zzz*", count=1000)) == []


def test_scan_cursor_is_string_of_int(raw):
    raw.ok("SET", "a", "1")
    reply = raw.cmd("SCAN", "0", "COUNT", "100")
    assert isinstance(reply, list) and len(reply) == 2
    assert reply[0] == b"0"
    assert reply[1] == [b"a"]


def test_scan_errors(raw):
    assert raw.cmd("SCAN", "abc") == RespError("ERR invalid cursor")
    assert raw.cmd("SCAN", "0", "COUNT", "0") == RespError("ERR syntax error")
    assert raw.cmd("SCAN", "0", "COUNT", "abc") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd("SCAN", "0", "FOO", "x") == RespError("ERR syntax error")
    assert raw.cmd("SCAN", "0", "MATCH") == RespError("ERR syntax error")


def test_scan_while_adding_keys(rr):
    initial = {f"init:{i}" for i in range(500)}
    rr.mset({k: "v" for k in initial})
    seen = set()
    cursor = 0
    added = 0
    for _ in range(10000):
        cursor, batch = rr.scan(cursor, count=20)
        seen.update(batch)
        rr.mset({f"new:{added + j}": "v" for j in range(5)})
        added += 5
        if cursor == 0:
            break
    assert cursor == 0
    assert initial <= seen, f"missing {len(initial - seen)} keys present for the whole scan"
    assert all(k.startswith(("init:", "new:")) for k in seen)


def test_randomkey(rr):
    assert rr.randomkey() is None
    rr.set("only", "v")
    assert rr.randomkey() == "only"
    rr.mset({"a": "1", "b": "2"})
    for _ in range(20):
        assert rr.randomkey() in ("only", "a", "b")


def test_rename(rr):
    rr.set("a", "1", ex=100)
    assert rr.rename("a", "b") is True
    assert rr.exists("a") == 0
    assert rr.get("b") == "1"
    assert 90 <= rr.ttl("b") <= 100  # the TTL moves with the value
    rr.set("c", "3")
    assert rr.rename("b", "c") is True  # overwrites
    assert rr.get("c") == "1"
    assert rr.rename("c", "c") is True  # same name: fine when it exists
    assert rr.get("c") == "1"


def test_renamenx(rr):
    rr.set("a", "1")
    rr.set("b", "2")
    assert rr.renamenx("a", "b") is False
    assert rr.get("a") == "1"
    assert rr.renamenx("a", "c") is True
    assert rr.get("c") == "1"
    assert rr.renamenx("c", "c") is False


def test_rename_errors(raw):
    assert raw.cmd("RENAME", "missing", "x") == RespError("ERR no such key")
    assert raw.cmd("RENAMENX", "missing", "x") == RespError("ERR no such key")
    assert raw.cmd("RENAME", "a") == RespError("ERR wrong number of arguments for 'rename' command")


def test_copy(rr):
    rr.set("src", "v", ex=100)
    assert rr.copy("src", "dst") is True
    assert rr.get("dst") == "v"
    assert 90 <= rr.ttl("dst") <= 100
    rr.set("src", "v2")
    assert rr.copy("src", "dst") is False
    assert rr.get("dst") == "v"
    assert rr.copy("src", "dst", replace=True) is True
    assert rr.get("dst") == "v2"
    assert rr.copy("missing", "x") is False
    assert rr.exists("x") == 0


def test_copy_db(server, db):
    c0 = server.client(db=0)
    c1 = server.client(db=1)
    try:
        c0.set("k", "v0")
        assert c0.copy("k", "k", destination_db=1) is True
        assert c1.get("k") == "v0"
        assert c0.copy("k", "k", destination_db=1) is False
        c0.set("k", "new")
        assert c0.copy("k", "k", destination_db=1, replace=True) is True
        assert c1.get("k") == "new"
    finally:
        c0.close()
        c1.close()


def test_copy_errors(raw):
    raw.ok("SET", "k", "v")
    assert raw.cmd("COPY", "k", "k") == RespError("ERR source and destination objects are the same")
    assert raw.cmd("COPY", "k", "d", "DB", "16") == RespError("ERR DB index is out of range")
    assert raw.cmd("COPY", "k", "d", "DB", "abc") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd("COPY", "k", "d", "FOO") == RespError("ERR syntax error")


def test_dbsize_flushdb_flushall(server, db):
    c0 = server.client(db=0)
    c1 = server.client(db=1)
    try:
        assert c0.dbsize() == 0
        c0.mset({"a": "1", "b": "2"})
        c1.mset({"x": "1"})
        assert c0.dbsize() == 2
        assert c1.dbsize() == 1
        assert c0.flushdb() is True
        assert c0.dbsize() == 0
        assert c1.dbsize() == 1
        c0.set("a", "1")
        assert c0.execute_command("FLUSHDB", "ASYNC") in (True, "OK")
        assert c0.dbsize() == 0
        c0.set("a", "1")
        assert c0.execute_command("FLUSHALL", "SYNC") in (True, "OK")
        assert c0.dbsize() == 0 and c1.dbsize() == 0
        c0.set("a", "1")
        c1.set("b", "1")
        assert c0.execute_command("FLUSHALL", "ASYNC") in (True, "OK")
        assert c0.dbsize() == 0 and c1.dbsize() == 0
    finally:
        c0.close()
        c1.close()


def test_flush_errors(raw):
    assert raw.cmd("FLUSHDB", "FOO") == RespError("ERR syntax error")
    assert raw.cmd("FLUSHALL", "FOO") == RespError("ERR syntax error")


def test_select(raw):
    raw.ok("SET", "k", "db0")
    assert raw.cmd("SELECT", "1") == "OK"
    assert raw.cmd("GET", "k") is None
    raw.ok("SET", "k", "db1")
    assert raw.cmd("SELECT", "15") == "OK"
    assert raw.cmd("SELECT", "16") == RespError("ERR DB index is out of range")
    assert raw.cmd("SELECT", "-1") == RespError("ERR DB index is out of range")
    assert raw.cmd("SELECT", "abc") == RespError("ERR value is not an integer or out of range")
    assert raw.cmd("SELECT", "0") == "OK"
    assert raw.cmd("GET", "k") == b"db0"


def test_swapdb(server, db):
    c0 = server.client(db=0)
    c1 = server.client(db=1)
    try:
        c0.set("a", "in0")
        c1.set("b", "in1")
        assert c0.swapdb(0, 1) is True
        assert c0.get("a") is None and c0.get("b") == "in1"
        assert c1.get("a") == "in0" and c1.get("b") is None
    finally:
        c0.close()
        c1.close()


def test_swapdb_errors(raw):
    assert raw.cmd("SWAPDB", "0", "16") == RespError("ERR DB index is out of range")
    assert raw.cmd("SWAPDB", "0", "abc") == RespError("ERR invalid second DB index")
    assert raw.cmd("SWAPDB", "abc", "0") == RespError("ERR invalid first DB index")
    assert raw.cmd("SWAPDB", "0") == RespError("ERR wrong number of arguments for 'swapdb' command")


def test_object_freq_idletime_refcount(raw):
    raw.ok("SET", "k", "hello")
    assert raw.cmd("OBJECT", "FREQ", "k") == RespError(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
        "when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    idle = raw.cmd("OBJECT", "IDLETIME", "k")
    assert isinstance(idle, int) and 0 <= idle < 100
    refcount = raw.cmd("OBJECT", "REFCOUNT", "k")
    assert isinstance(refcount, int) and refcount >= 1
    assert raw.cmd("OBJECT", "IDLETIME", "missing") is None
    assert raw.cmd("OBJECT", "REFCOUNT", "missing") is None
    assert raw.cmd("OBJECT", "FOO", "k") == RespError("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")


def test_object_freq_with_lfu_policy(raw):
    raw.ok("SET", "k", "hello")
    assert raw.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == "OK"
    try:
        freq = raw.cmd("OBJECT", "FREQ", "k")
        assert isinstance(freq, int) and freq >= 0
        assert raw.cmd("OBJECT", "IDLETIME", "k") == RespError(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
            "switching between policies at runtime LRU and LFU data will take some time to adjust.")
    finally:
        assert raw.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction") == "OK"


def test_object_help(raw):
    lines = raw.cmd("OBJECT", "HELP")
    assert isinstance(lines, list) and len(lines) > 4
    text = [l if isinstance(l, str) else l.decode() for l in lines]
    assert text[0].startswith("OBJECT <subcommand>")
    for sub in ("ENCODING", "FREQ", "IDLETIME", "REFCOUNT", "HELP"):
        assert any(t.startswith(sub) for t in text), sub
