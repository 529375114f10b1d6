"""Generic commands on every collection type: TYPE, OBJECT ENCODING, DEBUG OBJECT, COPY (deep),
RENAME, DEL, EXPIRE/TTL, SCAN TYPE, WRONGTYPE across types, and empty collections disappearing."""

import time

import pytest

from types_helpers import WRONGTYPE, config, require_multi, wire  # noqa: F401

# name -> (commands creating a small one, commands making it big, small encoding, big encoding)
TYPES = {
    "list": ([["RPUSH", "{k}", "a", "b", "c"]],
             [["RPUSH", "{k}", *[f"e{i}" for i in range(300)]]], "quicklist", "quicklist"),
    "hash": ([["HSET", "{k}", "f1", "a", "f2", "b"]],
             [["HSET", "{k}", *[x for i in range(600) for x in (f"g{i}", "v")]]], "listpack", "hashtable"),
    "set": ([["SADD", "{k}", "1", "2", "3"]],
            [["SADD", "{k}", "x", "y"]], "intset", "hashtable"),
    "zset": ([["ZADD", "{k}", "1", "a", "2", "b"]],
             [["ZADD", "{k}", *[x for i in range(300) for x in (str(i), f"m{i}")]]], "listpack", "skiplist"),
}

# name -> (a command that reads the whole value as a comparable snapshot)
SNAPSHOT = {
    "list": lambda c, k: c.cmd("LRANGE", k, "0", "-1"),
    "hash": lambda c, k: sorted(c.cmd("HGETALL", k)),
    "set": lambda c, k: sorted(c.cmd("SMEMBERS", k)),
    "zset": lambda c, k: c.cmd("ZRANGE", k, "0", "-1", "WITHSCORES"),
}

# name -> a command that changes the value
MUTATE = {
    "list": ["RPUSH", "{k}", "changed"],
    "hash": ["HSET", "{k}", "f1", "changed"],
    "set": ["SADD", "{k}", "changed"],
    "zset": ["ZADD", "{k}", "100", "a"],
}


def make(raw, kind: str, key: str, big: bool = False):
    small, grow, _, _ = TYPES[kind]
    for cmd in small + (grow if big else []):
        assert raw.ok(*[a.replace("{k}", key) for a in cmd])


def mutate(raw, kind: str, key: str):
    raw.ok(*[a.replace("{k}", key) for a in MUTATE[kind]])


KINDS = list(TYPES)
SIZES = [False, True]
SIZE_IDS = ["small", "big"]


@pytest.mark.parametrize("big", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("kind", KINDS)
def test_type_and_encoding(raw, kind, big):
    make(raw, kind, "k", big)
    assert raw.cmd("TYPE", "k") == kind
    _, _, small_enc, big_enc = TYPES[kind]
    enc = big_enc if big else small_enc
    assert raw.cmd("OBJECT", "ENCODING", "k") == enc.encode()
    dbg = raw.cmd("DEBUG", "OBJECT", "k")
    text = dbg if isinstance(dbg, str) else dbg.decode()
    assert f"encoding:{enc}" in text, text
    assert raw.cmd("EXISTS", "k") == 1


@pytest.mark.parametrize("big", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("kind", KINDS)
def test_copy_is_deep(raw, kind, big):
    make(raw, kind, "src", big)
    before = SNAPSHOT[kind](raw, "src")
    assert raw.cmd("COPY", "src", "dst") == 1
    assert SNAPSHOT[kind](raw, "dst") == before
    assert raw.cmd("OBJECT", "ENCODING", "dst") == raw.cmd("OBJECT", "ENCODING", "src")
    mutate(raw, kind, "dst")
    assert SNAPSHOT[kind](raw, "src") == before, "changing the copy changed the source"
    assert SNAPSHOT[kind](raw, "dst") != before
    # and the other way round
    assert raw.cmd("COPY", "src", "dst2") == 1
    mutate(raw, kind, "src")
    assert SNAPSHOT[kind](raw, "dst2") == before, "changing the source changed the copy"


@pytest.mark.parametrize("kind", KINDS)
def test_copy_options(raw, kind):
    make(raw, kind, "src")
    raw.ok("SET", "dst", "x")
    assert raw.cmd("COPY", "src", "dst") == 0
    assert raw.cmd("TYPE", "dst") == "string"
    assert raw.cmd("COPY", "src", "dst", "REPLACE") == 1
    assert raw.cmd("TYPE", "dst") == kind
    # to another database; the TTL comes along
    raw.ok("EXPIRE", "src", "1000")
    assert raw.cmd("COPY", "src", "other", "DB", "3") == 1
    raw.ok("SELECT", "3")
    assert raw.cmd("TYPE", "other") == kind
    assert 990 <= raw.cmd("TTL", "other") <= 1000
    mutate(raw, kind, "other")
    raw.ok("SELECT", "0")
    assert SNAPSHOT[kind](raw, "src") == SNAPSHOT[kind](raw, "dst")
    assert raw.cmd("COPY", "missing", "x") == 0


@pytest.mark.parametrize("kind", KINDS)
def test_rename_del_expire(raw, kind):
    make(raw, kind, "a", big=True)
    snap = SNAPSHOT[kind](raw, "a")
    raw.ok("EXPIRE", "a", "500")
    assert raw.cmd("RENAME", "a", "b") == "OK"
    assert raw.cmd("EXISTS", "a") == 0
    assert SNAPSHOT[kind](raw, "b") == snap
    assert 490 <= raw.cmd("TTL", "b") <= 500  # RENAME keeps the TTL
    assert raw.cmd("PERSIST", "b") == 1
    assert raw.cmd("TTL", "b") == -1
    # RENAME onto an existing key of another type replaces it
    raw.ok("SET", "c", "x")
    assert raw.cmd("RENAME", "b", "c") == "OK"
    assert raw.cmd("TYPE", "c") == kind
    assert raw.cmd("RENAMENX", "c", "c2") == 1
    assert raw.cmd("DEL", "c2") == 1
    assert raw.cmd("EXISTS", "c2") == 0
    assert raw.cmd("TYPE", "c2") == "none"


@pytest.mark.parametrize("kind", KINDS)
def test_expiry_removes_collection(raw, kind):
    make(raw, kind, "k")
    assert raw.cmd("PEXPIRE", "k", "50") == 1
    assert 0 < raw.cmd("PTTL", "k") <= 50
    deadline = time.monotonic() + 10
    while raw.cmd("EXISTS", "k") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert raw.cmd("EXISTS", "k") == 0
    assert raw.cmd("TYPE", "k") == "none"
    # and a collection command on the expired key sees an empty one
    make(raw, kind, "k2")
    raw.ok("PEXPIRE", "k2", "1")
    time.sleep(0.05)
    mutate(raw, kind, "k2")
    assert raw.cmd("TTL", "k2") == -1
    assert raw.cmd("TYPE", "k2") == kind


@pytest.mark.parametrize("kind", KINDS)
def test_unlink_and_flush(raw, kind):
    make(raw, kind, "k", big=True)
    assert raw.cmd("UNLINK", "k") == 1
    assert raw.cmd("EXISTS", "k") == 0
    make(raw, kind, "k", big=True)
    raw.ok("FLUSHDB")
    assert raw.cmd("DBSIZE") == 0


def test_scan_type_filter(raw):
    for kind in KINDS:
        make(raw, kind, f"{kind}:1")
        make(raw, kind, f"{kind}:2", big=True)
    raw.ok("SET", "string:1", "v")
    for kind in KINDS + ["string"]:
        seen = set()
        cursor = b"0"
        while True:
            cursor, keys = raw.cmd("SCAN", cursor, "TYPE", kind, "COUNT", "100")
            seen.update(keys)
            if cursor == b"0":
                break
        want = {f"{kind}:1".encode()} | ({f"{kind}:2".encode()} if kind != "string" else set())
        assert seen == want, kind


# ---------------------------------------------------------------------------------------------
# WRONGTYPE across every pair of types

READ_CMD = {
    "string": ["GET", "{k}"],
    "list": ["LRANGE", "{k}", "0", "-1"],
    "hash": ["HGETALL", "{k}"],
    "set": ["SMEMBERS", "{k}"],
    "zset": ["ZRANGE", "{k}", "0", "-1"],
}
WRITE_CMD = {
    "string": ["APPEND", "{k}", "x"],
    "list": ["LPUSH", "{k}", "x"],
    "hash": ["HSET", "{k}", "f", "x"],
    "set": ["SADD", "{k}", "x"],
    "zset": ["ZADD", "{k}", "1", "x"],
}


@pytest.mark.parametrize("holder,other", [(h, o) for h in ["string"] + KINDS for o in ["string"] + KINDS
                                           if h != o])
def test_wrongtype_matrix(raw, holder, other):
    if holder == "string":
        raw.ok("SET", "k", "v")
    else:
        make(raw, holder, "k")
    snapshot = (lambda: raw.cmd("GET", "k")) if holder == "string" else (lambda: SNAPSHOT[holder](raw, "k"))
    before = snapshot()
    for cmd in (READ_CMD[other], WRITE_CMD[other]):
        assert wire(raw, *[a.replace("{k}", "k") for a in cmd]) == WRONGTYPE, (holder, cmd)
    assert raw.cmd("TYPE", "k") == holder
    assert snapshot() == before


# ---------------------------------------------------------------------------------------------
# Empty collections disappear, whatever removes the last element

EMPTYING = [
    ("list", ["RPUSH", "k", "a"], ["LPOP", "k"]),
    ("list", ["RPUSH", "k", "a", "b"], ["RPOP", "k", "5"]),
    ("list", ["RPUSH", "k", "a", "a"], ["LREM", "k", "0", "a"]),
    ("list", ["RPUSH", "k", "a", "b"], ["LTRIM", "k", "2", "-1"]),
    ("list", ["RPUSH", "k", "a"], ["LMOVE", "k", "other", "LEFT", "RIGHT"]),
    ("list", ["RPUSH", "k", "a"], ["RPOPLPUSH", "k", "other"]),
    ("list", ["RPUSH", "k", "a", "b"], ["LMPOP", "1", "k", "LEFT", "COUNT", "2"]),
    ("list", ["RPUSH", "k", "a"], ["BLPOP", "k", "0.1"]),
    ("hash", ["HSET", "k", "f", "v", "g", "w"], ["HDEL", "k", "f", "g"]),
    ("set", ["SADD", "k", "a", "b"], ["SREM", "k", "a", "b"]),
    ("set", ["SADD", "k", "a", "b"], ["SPOP", "k", "2"]),
    ("set", ["SADD", "k", "1"], ["SPOP", "k"]),
    ("set", ["SADD", "k", "a"], ["SMOVE", "k", "other", "a"]),
    ("set", ["SADD", "k", "a"], ["SINTERSTORE", "k", "k", "nothing"]),
    ("zset", ["ZADD", "k", "1", "a"], ["ZREM", "k", "a"]),
    ("zset", ["ZADD", "k", "1", "a", "2", "b"], ["ZPOPMIN", "k", "2"]),
    ("zset", ["ZADD", "k", "1", "a"], ["ZPOPMAX", "k"]),
    ("zset", ["ZADD", "k", "1", "a"], ["ZMPOP", "1", "k", "MAX"]),
    ("zset", ["ZADD", "k", "1", "a"], ["ZREMRANGEBYRANK", "k", "0", "-1"]),
    ("zset", ["ZADD", "k", "1", "a"], ["ZREMRANGEBYSCORE", "k", "-inf", "+inf"]),
    ("zset", ["ZADD", "k", "0", "a"], ["ZREMRANGEBYLEX", "k", "-", "+"]),
    ("zset", ["ZADD", "k", "1", "a"], ["BZPOPMIN", "k", "0.1"]),
    ("zset", ["ZADD", "k", "1", "a"], ["ZINTERSTORE", "k", "2", "k", "nothing"]),
]


@pytest.mark.parametrize("big", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("kind,setup,remove", EMPTYING,
                         ids=[f"{k}-{r[0].lower()}-{i}" for i, (k, s, r) in enumerate(EMPTYING)])
def test_empty_collection_disappears(raw, config, kind, setup, remove, big):
    if big:
        # the same through the big encoding (hashtable / skiplist)
        enc_cfg = {"hash": "hash-max-listpack-entries", "set": "set-max-intset-entries",
                   "zset": "zset-max-listpack-entries", "list": "list-max-listpack-size"}[kind]
        config(enc_cfg, 1 if kind == "list" else 0)
    raw.ok(*setup)
    if big and kind != "list":
        assert raw.cmd("OBJECT", "ENCODING", "k") in (b"hashtable", b"skiplist")
    raw.ok("EXPIRE", "k", "1000")
    assert raw.cmd("TYPE", "k") == kind
    reply = raw.cmd(*remove)
    assert not hasattr(reply, "text"), reply
    assert raw.cmd("EXISTS", "k") == 0, (remove, raw.cmd("TYPE", "k"))
    assert raw.cmd("TTL", "k") == -2
    # the key can be created again as another type, without a leftover TTL
    raw.ok("SET", "k", "v")
    assert raw.cmd("TTL", "k") == -1


@pytest.mark.parametrize("kind", KINDS)
def test_dbsize_and_keys(raw, kind):
    make(raw, kind, "a")
    make(raw, kind, "b", big=True)
    assert raw.cmd("DBSIZE") == 2
    assert sorted(raw.cmd("KEYS", "*")) == [b"a", b"b"]
    assert raw.cmd("RANDOMKEY") in (b"a", b"b")


def test_multi_exec_with_collections(raw):
    require_multi(raw)
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("RPUSH", "l", "a", "b") == "QUEUED"
    assert raw.cmd("HSET", "h", "f", "v") == "QUEUED"
    assert raw.cmd("SADD", "s", "m") == "QUEUED"
    assert raw.cmd("ZADD", "z", "1", "m") == "QUEUED"
    assert raw.cmd("LPOP", "h") == "QUEUED"
    assert raw.cmd("LRANGE", "l", "0", "-1") == "QUEUED"
    reply = raw.cmd("EXEC")
    assert reply[:4] == [2, 1, 1, 1]
    assert getattr(reply[4], "text", None) == WRONGTYPE[1:]
    assert reply[5] == [b"a", b"b"]
