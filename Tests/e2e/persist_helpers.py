"""Shared helpers for the persistence suites (test_persistence*.py, test_aof.py): a factory for
servers of either binary (the target, or a real redis-server as a peer) whose files can be placed in
their dir before they start, a data set of every type in several databases and its snapshot, fast
bulk loading, INFO persistence, SHUTDOWN, and a RESP parser for AOF files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers import (RespConn, RespError, ServerProcess, encode_command, info_fields,
                     server_binary, wait_for)

REDIS_SERVER = os.environ.get("REDIS_SERVER", shutil.which("redis-server") or "/usr/bin/redis-server")
TARGET_BINARY = server_binary()

# Databases the data set spreads over.
DBS = (0, 1, 5, 15)


# ------------------------------------------------------------------------------------------------
# Servers

@pytest.fixture
def procs(request):
    """factory(binary=None|"redis"|path, args=(), files={name: bytes|Path}, start=True,
    common_args=True) -> ServerProcess. `files` are written into the server's dir before it spawns
    (a dump.rdb, an appendonlydir/... tree); "redis" starts the real redis-server (a peer)."""
    started: list[ServerProcess] = []

    def factory(binary=None, args=(), files=None, start=True, common_args=True, timeout=60.0,
                name=None):
        sp = ServerProcess(args=args, common_args=common_args,
                           name=(name or request.node.name)[:40])
        if binary == "redis":
            sp.argv[0] = REDIS_SERVER
        elif binary:
            sp.argv[0] = str(binary)
        for rel, data in (files or {}).items():
            dst = sp.dir / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path):
                shutil.copyfile(data, dst)
            else:
                dst.write_bytes(data)
        started.append(sp)
        if start:
            sp.start(timeout=timeout)
        return sp

    try:
        yield factory
    finally:
        rep = getattr(request.node, "rep_call", None)
        for sp in started:
            if rep is not None and rep.failed:
                print(f"\n----- server log ({sp.argv[0]} port {sp.port}, dir {sp.dir}) -----")
                print(sp.log_tail(60))
            if sp.alive():
                sp.stop(timeout=15)
            sp.cleanup()


def pinfo(sp: ServerProcess) -> dict[str, str]:
    """INFO persistence as a dict."""
    return info_fields(sp.info_text("persistence"))


def wait_info(sp: ServerProcess, timeout: float = 60.0, **want) -> dict[str, str]:
    """Wait until every INFO persistence field has the wanted value (compared as strings)."""
    last: dict[str, str] = {}

    def ok():
        nonlocal last
        last = pinfo(sp)
        return all(last.get(k) == str(v) for k, v in want.items())

    try:
        wait_for(ok, timeout=timeout, interval=0.02, what=f"INFO persistence {want}")
    except AssertionError as e:
        raise AssertionError(f"{e}; last: { {k: last.get(k) for k in want} }") from None
    return last


def wait_bgsave_done(sp: ServerProcess, timeout: float = 60.0) -> dict[str, str]:
    return wait_info(sp, timeout=timeout, rdb_bgsave_in_progress=0)


def wait_rewrite_done(sp: ServerProcess, timeout: float = 60.0) -> dict[str, str]:
    return wait_info(sp, timeout=timeout, aof_rewrite_in_progress=0, aof_rewrite_scheduled=0)


def shutdown(sp: ServerProcess, *args, timeout: float = 60.0) -> int:
    """SHUTDOWN [args]: the server closes the connection without a reply and exits; its exit code."""
    c = sp.raw(timeout=timeout)
    try:
        c.send(encode_command("SHUTDOWN", *args))
        data = c.read_until_closed(timeout=timeout)
    finally:
        c.close()
    assert data == b"", f"SHUTDOWN {args} replied {data!r} instead of closing the connection"
    return sp.wait_exit(timeout=timeout)


def kill9(sp: ServerProcess):
    import signal
    sp.signal(signal.SIGKILL)
    sp.wait_exit(timeout=30)


def spawn_expect_exit(sp: ServerProcess, timeout: float = 20.0):
    """Spawn `sp` and wait for it to exit by itself: its exit code, or None if it was still running
    (or answering PING) after `timeout` (then it is stopped)."""
    sp.spawn()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rc = sp.proc.poll()
        if rc is not None:
            sp.wait_exit()
            return rc
        time.sleep(0.05)
    sp.stop()
    return None


def check_rdb(path) -> subprocess.CompletedProcess:
    return subprocess.run(["redis-check-rdb", str(path)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def check_aof(path) -> subprocess.CompletedProcess:
    return subprocess.run(["redis-check-aof", str(path)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


# ------------------------------------------------------------------------------------------------
# Loading data fast

def bulk_set(sp: ServerProcess, n: int, prefix: str = "key:", size: int = 16, db: int = 0,
             batch: int = 20_000):
    """SET prefix<i> to a `size`-byte value for i < n, pipelined in batches."""
    with sp.raw(timeout=120) as c:
        if db:
            c.ok("SELECT", db)
        for lo in range(0, n, batch):
            hi = min(n, lo + batch)
            buf = bytearray()
            for i in range(lo, hi):
                k = f"{prefix}{i}".encode()
                v = (b"%d:" % i).ljust(size, b"v")
                buf += b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v)
            c.send(bytes(buf))
            for _ in range(hi - lo):
                r = c.read()
                assert r == "OK", r


# ------------------------------------------------------------------------------------------------
# A data set of every type (compact and big encodings), TTLs, several databases

def fill_dataset(sp: ServerProcess, ttl_base: int = 3000):
    """Strings (int-encoded, short, long/compressible, binary, empty), lists (small, big, one with an
    element past the listpack node size), hashes (small, big by count, big by value length), sets
    (intset, big intset, hashtable), sorted sets (small, big, long member, infinite scores); keys
    with TTLs; spread over DBS."""
    for db in DBS:
        r = sp.client(decode=False, db=db)
        p = f"d{db}:".encode()
        r.set(p + b"int", 12345)
        r.set(p + b"negint", -987654321)
        r.set(p + b"bigint", 9223372036854775807)
        r.set(p + b"notint", "007")
        r.set(p + b"str", "hello world")
        r.set(p + b"empty", "")
        r.set(p + b"long", "x" * 300 + "y" * 300 + str(db))  # compressible (LZF in the file)
        r.set(p + b"bin\x00key\xff", bytes(range(256)) * 3)  # binary key and value
        r.set(p + b"ttl-str", "expires later", ex=ttl_base + 100 * db)
        r.rpush(p + b"list", *[f"e{i}" for i in range(7)])
        r.rpush(p + b"biglist", *[f"element-{i}" for i in range(3000)])
        r.rpush(p + b"intlist", *range(-50, 50))
        r.rpush(p + b"hugelist", b"a" * 10_000, b"small", b"b" * 20_000)  # plain quicklist nodes
        r.hset(p + b"hash", mapping={f"f{i}": f"v{i}" for i in range(6)})
        r.hset(p + b"bighash", mapping={f"field-{i}": f"value-{i}" for i in range(1000)})
        r.hset(p + b"longvalhash", mapping={"short": "1", "long": "L" * 100})
        r.sadd(p + b"intset", *range(10))
        r.sadd(p + b"bigintset", *range(0, 3000, 3))
        r.sadd(p + b"set", *[f"m{i}" for i in range(20)])
        r.sadd(p + b"bigset", *[f"member-{i}" for i in range(700)])
        r.zadd(p + b"zset", {f"z{i}": i * 1.5 for i in range(5)})
        r.zadd(p + b"bigzset", {f"member-{i}": i / 7 for i in range(500)})
        r.zadd(p + b"longzset", {"a": 1, "b" * 100: 2})
        r.zadd(p + b"infzset", {"lo": float("-inf"), "hi": float("inf"), "mid": 0, "neg": -2.5e-7})
        r.expire(p + b"hash", ttl_base + 1)
        r.expire(p + b"bigzset", ttl_base + 2)
        r.pexpire(p + b"set", ttl_base * 1000 + 3)
        r.expireat(p + b"biglist", int(time.time()) + ttl_base + 4)
        r.close()


def _value(r, k: bytes, t: str):
    if t == "string":
        return r.get(k)
    if t == "list":
        return r.lrange(k, 0, -1)
    if t == "hash":
        return r.hgetall(k)
    if t == "set":
        return sorted(r.smembers(k))
    if t == "zset":
        return r.zrange(k, 0, -1, withscores=True)
    raise AssertionError(f"unexpected type {t} of {k!r}")


def snapshot(sp: ServerProcess, dbs=DBS, encodings: bool = True) -> dict:
    """{db: {key: (type, value, encoding, pttl)}} for every key of every db in `dbs`."""
    out: dict = {}
    for db in dbs:
        r = sp.client(decode=False, db=db)
        keys = sorted(r.scan_iter(count=1000))
        d = {}
        for k in keys:
            t = r.type(k).decode()
            enc = r.object("encoding", k) if encodings else None
            if isinstance(enc, bytes):
                enc = enc.decode()
            d[k] = (t, _value(r, k, t), enc, r.pttl(k))
        out[db] = d
        r.close()
    return out


def assert_same_data(before: dict, after: dict, encodings: bool = True, ttl_slack_ms: int = 300_000):
    """Same dbs, keys, types and values (and encodings); a TTL after is the same or a little
    smaller (time passed), never larger, never lost or gained."""
    assert sorted(before) == sorted(after)
    for db in before:
        b, a = before[db], after[db]
        assert sorted(b) == sorted(a), (f"db {db}: keys differ: missing {sorted(set(b) - set(a))[:10]}, "
                                        f"extra {sorted(set(a) - set(b))[:10]}")
        for k in b:
            tb, vb, eb, ttl_b = b[k]
            ta, va, ea, ttl_a = a[k]
            assert (ta, va) == (tb, vb), f"db {db} key {k!r}: {ta} {str(va)[:200]} != {tb} {str(vb)[:200]}"
            if encodings:
                assert ea == eb, f"db {db} key {k!r}: encoding {ea} after, {eb} before"
            if ttl_b < 0:
                assert ttl_a == ttl_b, f"db {db} key {k!r}: pttl {ttl_a} after, {ttl_b} before"
            else:
                assert ttl_b - ttl_slack_ms < ttl_a <= ttl_b, f"db {db} key {k!r}: pttl {ttl_a} after, {ttl_b} before"


def dbsizes(sp: ServerProcess, dbs=DBS) -> dict[int, int]:
    out = {}
    with sp.raw() as c:
        for db in dbs:
            c.ok("SELECT", db)
            out[db] = c.ok("DBSIZE")
    return out


# ------------------------------------------------------------------------------------------------
# AOF files

def parse_aof(data: bytes) -> tuple[list[list[bytes]], int]:
    """The RESP commands of an AOF (incr file, or an AOF without preamble) and the offset where the
    parse stopped (== len(data) when the file is whole)."""
    cmds: list[list[bytes]] = []
    pos = 0
    n = len(data)
    while pos < n:
        start = pos
        try:
            if data[pos:pos + 1] != b"*":
                raise ValueError(f"expected '*' at {pos}: {data[pos:pos + 20]!r}")
            e = data.index(b"\r\n", pos)
            argc = int(data[pos + 1:e])
            pos = e + 2
            args = []
            for _ in range(argc):
                if data[pos:pos + 1] != b"$":
                    raise ValueError(f"expected '$' at {pos}")
                e = data.index(b"\r\n", pos)
                ln = int(data[pos + 1:e])
                pos = e + 2
                if pos + ln + 2 > n:
                    raise ValueError("truncated")
                args.append(data[pos:pos + ln])
                pos += ln + 2
            cmds.append(args)
        except ValueError:
            return cmds, start
    return cmds, pos


def read_manifest(aofdir: Path, name: str = "appendonly.aof") -> list[dict[str, str]]:
    """The manifest's lines as dicts: {"file": ..., "seq": ..., "type": "b"|"h"|"i"}."""
    out = []
    for line in (aofdir / f"{name}.manifest").read_text().splitlines():
        if not line.strip():
            continue
        toks = line.split()
        out.append(dict(zip(toks[0::2], toks[1::2])))
    return out


def incr_files(aofdir: Path) -> list[Path]:
    return [aofdir / e["file"] for e in read_manifest(aofdir) if e["type"] == "i"]


def aof_commands(aofdir: Path) -> list[list[bytes]]:
    """Every command of the incr files listed in the manifest, in order (upper-cased names)."""
    out = []
    for f in incr_files(aofdir):
        cmds, _ = parse_aof(f.read_bytes())
        out += [[c[0].upper()] + c[1:] for c in cmds]
    return out


def copy_tree_files(src: Path, sub: str) -> dict[str, Path]:
    """{"<sub>/<name>": path} for every file of src/<sub> (for procs(files=...))."""
    return {f"{sub}/{p.name}": p for p in sorted((src / sub).iterdir()) if p.is_file()}


__all__ = [
    "DBS", "REDIS_SERVER", "RespConn", "RespError", "aof_commands", "assert_same_data", "bulk_set",
    "check_aof", "check_rdb", "copy_tree_files", "dbsizes", "fill_dataset", "incr_files", "kill9",
    "parse_aof", "pinfo", "procs", "read_manifest", "shutdown", "snapshot", "spawn_expect_exit",
    "wait_bgsave_done", "wait_info", "wait_rewrite_done",
]
