"""DUMP / RESTORE / MIGRATE: Redis's serialisation format, its errors, and MIGRATE in both
directions between the server under test and a real redis-server 7.0."""

from __future__ import annotations

import pytest

from helpers import RespError

# One key of every type, small (compact encodings) and big (hash table, skiplist, quicklist).
def _fill(r, prefix=""):
    r.set(prefix + "str", "hello")
    r.set(prefix + "int", 12345)
    r.set(prefix + "long", "x" * 200 + "y" * 200)  # compressible: LZF in the payload
    r.rpush(prefix + "list", *[f"e{i}" for i in range(5)])
    r.rpush(prefix + "biglist", *[f"element-{i}" for i in range(2000)])
    r.hset(prefix + "hash", mapping={f"f{i}": f"v{i}" for i in range(5)})
    r.hset(prefix + "bighash", mapping={f"field-{i}": f"value-{i}" for i in range(1000)})
    r.sadd(prefix + "intset", *range(10))
    r.sadd(prefix + "set", *[f"m{i}" for i in range(700)])
    r.zadd(prefix + "zset", {f"z{i}": i * 1.5 for i in range(5)})
    r.zadd(prefix + "bigzset", {f"member-{i}": i / 7 for i in range(500)})
    r.pexpire(prefix + "hash", 500_000)


def _snapshot(r, names):
    out = {}
    for n in names:
        t = r.type(n)
        if t == "string":
            out[n] = r.get(n)
        elif t == "list":
            out[n] = r.lrange(n, 0, -1)
        elif t == "hash":
            out[n] = r.hgetall(n)
        elif t == "set":
            out[n] = sorted(r.smembers(n))
        elif t == "zset":
            out[n] = r.zrange(n, 0, -1, withscores=True)
        out[n] = (t, out[n], r.object("encoding", n))
    return out


NAMES = ["str", "int", "long", "list", "biglist", "hash", "bighash", "intset", "set", "zset", "bigzset"]


def test_dump_restore_every_type(r):
    _fill(r)
    before = _snapshot(r, NAMES)
    payloads = {n: r.dump(n) for n in NAMES}
    r.delete(*NAMES)
    for n in NAMES:
        assert r.restore(n, 0, payloads[n]) in (True, "OK")
    assert _snapshot(r, NAMES) == before
    assert r.dump("nosuchkey") is None


def test_restore_options_and_errors(r, raw):
    r.set("k", "v")
    payload = r.dump("k")
    assert raw.cmd("RESTORE", "k", 0, payload).text == "BUSYKEY Target key name already exists."
    assert raw.cmd("RESTORE", "k", 0, payload, "REPLACE") == "OK"
    assert raw.cmd("RESTORE", "k2", -1, payload).text == "ERR Invalid TTL value, must be >= 0"
    assert raw.cmd("RESTORE", "k2", 0, b"garbage").text == "ERR DUMP payload version or checksum are wrong"
    assert raw.cmd("RESTORE", "k2", 0, payload, "BOGUS").text == "ERR syntax error"
    assert raw.cmd("RESTORE", "k2", 0, payload, "IDLETIME", -1).text == "ERR Invalid IDLETIME value, must be >= 0"
    assert raw.cmd("RESTORE", "k2", 0, payload, "FREQ", 256).text == "ERR Invalid FREQ value, must be >= 0 and <= 255"
    assert raw.cmd("RESTORE", "k2", "x", payload).text == "ERR value is not an integer or out of range"
    # Relative and absolute TTLs.
    assert raw.cmd("RESTORE", "t1", 100_000, payload) == "OK"
    assert 90_000 < r.pttl("t1") <= 100_000
    now_ms = int(raw.cmd("TIME")[0]) * 1000
    assert raw.cmd("RESTORE", "t2", now_ms + 200_000, payload, "ABSTTL") == "OK"
    assert 150_000 < r.pttl("t2") <= 200_000
    # An absolute time in the past creates nothing.
    assert raw.cmd("RESTORE", "t3", 1000, payload, "ABSTTL") == "OK"
    assert r.exists("t3") == 0
    # A payload whose CRC is right but whose object is not: Bad data format.
    body = bytes([0]) + b"\x7f" + b"abc"  # string object whose length says 127
    bad = body + payload[-10:-8]
    bad += _crc64(bad).to_bytes(8, "little")
    assert raw.cmd("RESTORE", "k3", 0, bad).text == "ERR Bad data format"
    assert r.exists("k3") == 0


def _crc64(data: bytes) -> int:
    """Redis's CRC-64 (Jones polynomial, reflected), bit by bit."""
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def test_crc64_matches_redis_payloads(r):
    r.set("k", "some value")
    payload = r.dump("k")
    assert _crc64(payload[:-8]) == int.from_bytes(payload[-8:], "little")


@pytest.mark.shoal_only
def test_migrate_both_ways_with_redis_server(r, raw, db, redis_peer):
    """Every type, server under test -> redis-server -> server under test, through MIGRATE KEYS."""
    import redis as redispy
    _fill(r)
    before = _snapshot(r, NAMES)
    peer = redispy.Redis(port=redis_peer.port, decode_responses=True)
    assert raw.cmd("MIGRATE", "127.0.0.1", redis_peer.port, "", 0, 5000, "KEYS", *NAMES) == "OK"
    assert r.dbsize() == 0
    assert _snapshot(peer, NAMES) == before
    assert peer.pttl("hash") > 400_000
    assert redis_peer.cmd("MIGRATE", "127.0.0.1", db.port, "", 0, 5000, "KEYS", *NAMES) == "OK"
    assert peer.dbsize() == 0
    assert _snapshot(r, NAMES) == before
    # COPY keeps the source, REPLACE overwrites, a missing key is NOKEY, a busy one an error.
    assert raw.cmd("MIGRATE", "127.0.0.1", redis_peer.port, "str", 0, 5000, "COPY") == "OK"
    assert r.get("str") == "hello" and peer.get("str") == "hello"
    err = raw.cmd("MIGRATE", "127.0.0.1", redis_peer.port, "str", 0, 5000)
    assert err.text == "ERR Target instance replied with error: BUSYKEY Target key name already exists."
    assert r.get("str") == "hello"
    r.set("str", "new")
    assert raw.cmd("MIGRATE", "127.0.0.1", redis_peer.port, "str", 0, 5000, "REPLACE") == "OK"
    assert peer.get("str") == "new" and r.exists("str") == 0
    assert raw.cmd("MIGRATE", "127.0.0.1", redis_peer.port, "nokey", 0, 5000) == "NOKEY"
    assert raw.cmd("MIGRATE", "127.0.0.1", redis_peer.port, "x", 0, 5000, "KEYS", "a").text == \
        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"


def test_migrate_errors(r, raw):
    r.set("k", "v")
    err = raw.cmd("MIGRATE", "127.0.0.1", 1, "k", 0, 300)
    assert isinstance(err, RespError) and err.text.startswith("IOERR")
    assert r.get("k") == "v"
    assert raw.cmd("MIGRATE", "127.0.0.1", 1, "k", 0, 300, "AUTH").text == "ERR syntax error"
