#!/usr/bin/env python3
"""Makes the RDB fixtures of RDBTests from a real redis-server 7.0.

Usage (from the repository root, redis-server 7.0.15 on PATH, python3 with the `redis` package):

    python3 Tests/RDBTests/Fixtures/make-fixtures.py Tests/RDBTests/Fixtures

It is not run by the tests; run it again only to refresh the fixtures (the tests read what to
expect from manifest.json, which this script writes from what redis-server itself reports).

What it does: starts one redis-server (port < 22000, a temporary dir, no persistence of its own,
DEBUG enabled), creates keys of every type in each of its encodings, and writes:

    dump-<name>.bin         DUMP of each key (rdbcompression yes, the default)
    nocomp-<name>.bin       DUMP of each key with rdbcompression no (tests compare our encoder's
                            output with these byte for byte where the encoding is deterministic)
    redis70-dump.rdb        SAVE of the whole dataset: databases 0 and 1, keys with expiries, a
                            function library (FUNCTION2 record), default rdbcompression/rdbchecksum
    redis70-nochecksum.rdb  the same saved with rdbchecksum no (trailer 0) and rdbcompression no
    redis70-lru.rdb         a few keys saved under maxmemory-policy allkeys-lru (IDLE opcodes)
    redis70-lfu.rdb         a few keys saved under maxmemory-policy allkeys-lfu (FREQ opcodes)
    manifest.json           per key: name, db, type, OBJECT ENCODING, expiry (ms) and value as
                            redis-server reports it; byte strings are JSON strings whose code
                            points 0-255 are the bytes (latin-1), so binary data survives

Values in the manifest: string -> str; list -> [str]; set -> [str] sorted; hash -> [[f, v]] in
HGETALL order; zset -> [[member, score text as ZRANGE WITHSCORES gives it]] in rank order.
A value bigger than about 2 KB is given instead as "count" and "crc64" (see `canonical`).

The redis-server is killed by its PID at the end and its directory removed.
"""

import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

import redis

FAR_FUTURE_MS = 4102444800000  # 2100-01-01T00:00:00Z


def free_port():
    for _ in range(1000):
        port = random.randint(15000, 21999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def start_server(port, directory, extra):
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "",
         "--appendonly", "no", "--enable-debug-command", "yes", "--dbfilename", "dump.rdb"] + extra,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def connect(port):
    r = redis.Redis(port=port)
    for _ in range(200):
        try:
            r.ping()
            return r
        except (redis.ConnectionError, redis.BusyLoadingError):
            time.sleep(0.05)
    raise RuntimeError(f"redis-server on port {port} did not start")


def text(b):
    return b.decode("latin-1")


def build_dataset(r):
    """Creates the keys; returns [(name, db)] in creation order."""
    keys = []

    def add(name, db=0):
        keys.append((name, db))

    # Strings: every string encoding of RDB.
    r.set("str:embstr", "hello world"); add("str:embstr")
    r.set("str:int8", "-5"); add("str:int8")
    r.set("str:int16", "1000"); add("str:int16")
    r.set("str:int32", "100000"); add("str:int32")
    r.set("str:int64", "9007199254740993"); add("str:int64")          # text in RDB (> int32)
    r.set("str:intlike", "007"); add("str:intlike")                   # not canonical: bytes
    r.set("str:empty", ""); add("str:empty")
    r.set("str:binary", bytes(range(256)) * 2); add("str:binary")   # LZF of binary data
    r.set("str:lzf", "abcdefgh" * 40); add("str:lzf")               # compressible, > 20 bytes
    rnd = random.Random(7)
    r.set("str:random", bytes(rnd.getrandbits(8) for _ in range(60))); add("str:random")  # not compressible
    r.set("str:long", ("0123456789" * 2000).encode()); add("str:long")  # 20000 bytes: 32-bit length
    r.set("str:medium", "x" * 100 + "y" * 100); add("str:medium")       # 14-bit length
    r.append("str:appended", "raw"); add("str:appended")
    longkey = "key:" + "k" * 60                                       # the key itself is LZF-compressed
    r.set(longkey, "v"); add(longkey)

    # Lists (always quicklist in 7.0): one node, several nodes, compressed nodes, a PLAIN node.
    r.rpush("list:small", "a", "1", "-1", "127", "128", "-4096", "4095", "4096", "-32768", "32767",
            "32768", "-8388608", "8388607", "8388608", "2147483647", "-2147483648", "2147483648",
            "9223372036854775807", "-9223372036854775808", "", "x" * 63, "y" * 64, "z" * 4096)
    add("list:small")
    r.rpush("list:big", *[f"element-{i:012d}" for i in range(500)]); add("list:big")
    r.config_set("list-compress-depth", 1)
    r.rpush("list:compressed", *[f"compressed-{i:010d}" for i in range(1000)]); add("list:compressed")
    r.config_set("list-compress-depth", 0)
    r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000")
    r.rpush("list:plain", "small", "P" * 1500, "tail"); add("list:plain")
    r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", str(1 << 30))

    # Hashes: listpack (ints and strings), hashtable by count, hashtable by value size.
    r.hset("hash:small", mapping={"name": "shoal", "age": "3", "neg": "-70000", "big": "12345678901",
                                  "empty": "", "f" * 64: "v" * 64})
    add("hash:small")
    r.hset("hash:big", mapping={f"field:{i}": f"value:{i}" for i in range(520)}); add("hash:big")
    r.hset("hash:longvalue", mapping={"a": "1", "b": "x" * 65}); add("hash:longvalue")

    # Sets: intset of each width, hashtable (strings), hashtable by count.
    r.sadd("set:int16", 1, 2, 3, -7, 32767); add("set:int16")
    r.sadd("set:int32", 1, 70000, -70000); add("set:int32")
    r.sadd("set:int64", 1, 2**40, -(2**62)); add("set:int64")
    r.sadd("set:strings", "apple", "banana", "cherry", "1"); add("set:strings")
    r.sadd("set:big", *range(520)); add("set:big")

    # Sorted sets: listpack (integer, fractional, infinite, zero scores), skiplist by count and
    # by member length.
    r.zadd("zset:small", {"one": 1, "two-and-half": 2.5, "neg": -0.1, "pinf": float("inf"),
                          "ninf": float("-inf"), "zero": 0, "big": 1e20, "tiny": 1e-300,
                          "12": 12, "third": 1 / 3})
    add("zset:small")
    r.zadd("zset:big", {f"member:{i}": i * 1.5 for i in range(130)}); add("zset:big")
    r.zadd("zset:longmember", {"m" * 65: 1, "short": 2}); add("zset:longmember")

    # Expiries.
    r.set("ttl:string", "expiring"); r.pexpireat("ttl:string", FAR_FUTURE_MS); add("ttl:string")
    r.hset("ttl:hash", "f", "v"); r.pexpireat("ttl:hash", FAR_FUTURE_MS + 1234); add("ttl:hash")

    return keys


def describe(r, name):
    t = r.type(name).decode()
    enc = r.object("encoding", name).decode()
    pttl = r.pttl(name)
    expire = r.execute_command("PEXPIRETIME", name)
    expire = expire if expire >= 0 else None
    if t == "string":
        value = text(r.get(name))
    elif t == "list":
        value = [text(x) for x in r.lrange(name, 0, -1)]
    elif t == "set":
        value = sorted(text(x) for x in r.smembers(name))
    elif t == "hash":
        flat = r.execute_command("HGETALL", name)
        if isinstance(flat, dict):
            value = [[text(k), text(v)] for k, v in flat.items()]
        else:
            value = [[text(flat[i]), text(flat[i + 1])] for i in range(0, len(flat), 2)]
    elif t == "zset":
        pairs = r.zrange(name, 0, -1, withscores=True, score_cast_func=lambda s: s)
        value = [[text(m), s.decode() if isinstance(s, bytes) else str(s)] for m, s in pairs]
    else:
        raise RuntimeError(t)
    return {"type": t, "encoding": enc, "expire_at": expire, "value": value, "pttl_positive": pttl > 0}


def crc64(data, crc=0):
    """Redis's CRC-64 (Jones polynomial, reflected): crc64(b"123456789") == 0xe9c6d914c4b8d9ca."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x95AC9329AC4BC9B5 if crc & 1 else crc >> 1
    return crc


def canonical(t, value):
    """The bytes the tests digest for a big value: every item (a string, a list element, a sorted
    set member, a hash field then its value ...) as a 4-byte little-endian length and its bytes,
    sets sorted, hashes sorted by field, sorted sets in rank order with each score as 8 bytes of
    a little-endian double after its member."""
    out = bytearray()

    def item(s):
        b = s.encode("latin-1")
        out.extend(struct.pack("<I", len(b)))
        out.extend(b)

    if t == "string":
        item(value)
    elif t in ("list", "set"):
        for x in value:
            item(x)
    elif t == "hash":
        for f, v in sorted(value, key=lambda p: p[0].encode("latin-1")):
            item(f)
            item(v)
    elif t == "zset":
        for m, score in value:
            item(m)
            out.extend(struct.pack("<d", float(score)))
    return bytes(out)


def summarize(entry):
    """Big values are replaced by their element count and the CRC-64 of `canonical`."""
    v = entry["value"]
    size = len(v) if entry["type"] == "string" else sum(len(json.dumps(x)) for x in v)
    if size > 2000:
        entry["count"] = len(v)
        entry["crc64"] = "%016x" % crc64(canonical(entry["type"], v))
        entry["value"] = None


def safe(name):
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:40]


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="rdb-fixtures-")
    port = free_port()
    proc = start_server(port, tmp, [])
    try:
        r = connect(port)
        version = r.info("server")["redis_version"]
        manifest = {"redis_version": version, "keys": [], "files": {}}
        keys = build_dataset(r)
        r1 = redis.Redis(port=port, db=1)
        r1.set("db1:string", "in database one"); keys.append(("db1:string", 1))
        r1.rpush("db1:list", "x", "y"); keys.append(("db1:list", 1))
        r.execute_command("FUNCTION", "LOAD",
                          "#!lua name=shoallib\nredis.register_function('shoalfn', function() return 1 end)")

        for name, db in keys:
            conn = r if db == 0 else r1
            entry = describe(conn, name)
            summarize(entry)
            entry.update({"name": name, "db": db, "file": f"dump-{safe(name)}.bin",
                          "nocomp_file": f"nocomp-{safe(name)}.bin"})
            with open(os.path.join(out, entry["file"]), "wb") as f:
                f.write(conn.dump(name))
            manifest["keys"].append(entry)
        r.config_set("rdbcompression", "no")
        for entry in manifest["keys"]:
            conn = r if entry["db"] == 0 else r1
            payload = conn.dump(entry["name"])
            if len(payload) > 12000 or entry["name"] == "list:compressed":
                entry["nocomp_file"] = None  # too big to keep, or not deterministic (LZF nodes)
                continue
            with open(os.path.join(out, entry["nocomp_file"]), "wb") as f:
                f.write(payload)
        r.config_set("rdbcompression", "yes")

        r.save()
        shutil.copy(os.path.join(tmp, "dump.rdb"), os.path.join(out, "redis70-dump.rdb"))
        manifest["files"]["redis70-dump.rdb"] = {"keys": len(keys), "functions": 1}
        # rdbchecksum cannot change at run time: a second server loads the dump and saves it
        # again without checksum or compression.
        tmp2 = os.path.join(tmp, "nochecksum")
        os.makedirs(tmp2)
        shutil.copy(os.path.join(tmp, "dump.rdb"), os.path.join(tmp2, "dump.rdb"))
        port2 = free_port()
        proc2 = start_server(port2, tmp2, ["--rdbchecksum", "no"])
        try:
            r2 = connect(port2)
            r2.save()
            shutil.copy(os.path.join(tmp2, "dump.rdb"), os.path.join(out, "redis70-nochecksum.rdb"))
        finally:
            proc2.kill()
            proc2.wait()
        manifest["files"]["redis70-nochecksum.rdb"] = {"keys": len(keys), "functions": 1}

        # Access data: a small dataset saved under LRU and LFU policies.
        r.flushall()
        r.execute_command("FUNCTION", "FLUSH")
        r.set("a", "1")
        r.set("b", "2")
        r.hset("h", "f", "v")
        for policy, fname in (("allkeys-lru", "redis70-lru.rdb"), ("allkeys-lfu", "redis70-lfu.rdb")):
            r.config_set("maxmemory-policy", policy)
            for _ in range(20):
                r.get("a")
            r.save()
            shutil.copy(os.path.join(tmp, "dump.rdb"), os.path.join(out, fname))
            manifest["files"][fname] = {"keys": 3, "functions": 0, "policy": policy}

        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote fixtures of redis {version} for {len(keys)} keys to {out}")
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
