"""The append-only file (Redis 7.0 multi-part AOF): the appendonlydir layout and manifest, restarts,
kill -9 with appendfsync always / everysec, BGREWRITEAOF under writes and the automatic rewrite,
what goes into the file for expiry and non-deterministic commands, truncated and corrupt files,
turning it on at runtime, AOF over dump.rdb, and AOF directories moved between the server under test
and a real redis-server 7.0 both ways.
"""

from __future__ import annotations

import re
import shutil
import threading
import time

import pytest

from helpers import RespConn, RespError, encode_command, wait_for
from persist_helpers import (  # noqa: F401  (procs is a fixture)
    assert_same_data, aof_commands, bulk_set, check_aof, copy_tree_files, fill_dataset, incr_files,
    kill9, pinfo, procs, read_manifest, snapshot, spawn_expect_exit, wait_info, wait_rewrite_done,
)

AOF = ["--appendonly", "yes"]
ALWAYS = AOF + ["--appendfsync", "always"]


def _aofdir(sp):
    return sp.dir / "appendonlydir"


def _append(sp, *args):
    """Append one command to the last incr file, raw."""
    f = incr_files(_aofdir(sp))[-1]
    with open(f, "ab") as fh:
        fh.write(encode_command(*args))


# ---------------------------------------------------------------------------------------------
# Layout and restart

@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_layout_restart_and_redis_check_aof(procs, preamble):
    sp = procs(args=AOF + ["--aof-use-rdb-preamble", preamble])
    assert pinfo(sp)["aof_enabled"] == "1"
    d = _aofdir(sp)
    base = "appendonly.aof.1.base." + ("rdb" if preamble == "yes" else "aof")
    assert read_manifest(d) == [{"file": base, "seq": "1", "type": "b"},
                                {"file": "appendonly.aof.1.incr.aof", "seq": "1", "type": "i"}]
    assert (d / "appendonly.aof.manifest").read_text() == (
        f"file {base} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
    assert (d / base).is_file() and (d / "appendonly.aof.1.incr.aof").is_file()
    fill_dataset(sp)
    before = snapshot(sp)
    # the writes are in the incr file as commands
    cmds = aof_commands(d)
    assert [b"SELECT", b"0"] in cmds and [b"SELECT", b"15"] in cmds
    assert any(c[:2] == [b"SET", b"d0:str"] for c in cmds)
    sp.stop()
    assert sp.returncode == 0
    res = check_aof(d / "appendonly.aof.manifest")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "All AOF files and manifest are valid" in res.stdout
    sp.restart()
    assert_same_data(before, snapshot(sp))
    # a rewrite puts everything in a new base (RDB when the preamble is on)
    with sp.raw() as c:
        assert c.cmd("BGREWRITEAOF") == "Background append only file rewriting started"
    wait_rewrite_done(sp)
    m = read_manifest(d)
    assert [(e["seq"], e["type"]) for e in m] == [("2", "b"), ("2", "i")]
    assert m[0]["file"] == base.replace(".1.", ".2.")
    head = (d / m[0]["file"]).read_bytes()[:5]
    assert head == (b"REDIS" if preamble == "yes" else b"*2\r\n$")
    assert check_aof(d / "appendonly.aof.manifest").returncode == 0
    kill9(sp)
    sp.restart()
    assert_same_data(before, snapshot(sp))


def test_kill9_with_appendfsync_always_loses_no_acknowledged_write(procs):
    sp = procs(args=ALWAYS)
    n, m = 500, 2000
    with sp.raw() as c:
        for i in range(n):  # one by one: each acknowledged before the next is sent
            assert c.cmd("INCR", "counter") == i + 1
        for lo in range(0, m, 100):  # then pipelined, 100 at a time
            c.send(b"".join(encode_command("SET", f"k:{i}", f"v{i}") for i in range(lo, lo + 100)))
            for _ in range(100):
                assert c.read() == "OK"
        kill9(sp)
    sp.restart()
    with sp.raw() as c:
        assert c.cmd("GET", "counter") == str(n).encode()
        assert c.cmd("DBSIZE") == m + 1
        assert c.cmd("MGET", *[f"k:{i}" for i in range(m)]) == [f"v{i}".encode() for i in range(m)]


def test_kill9_with_appendfsync_everysec_keeps_all_but_the_last_second(procs):
    """everysec may lose the writes of about the last second before a crash, nothing older; and
    what is there is a prefix of what was written (the list holds 0, 1, 2, ... with no hole)."""
    sp = procs(args=AOF + ["--appendfsync", "everysec"])
    acked: list[tuple[float, int]] = []  # (time acknowledged, number of elements acknowledged)
    sent = 0
    with sp.raw() as c:
        t_end = time.monotonic() + 3.0
        while time.monotonic() < t_end:
            c.send(b"".join(encode_command("RPUSH", "seq", sent + j) for j in range(50)))
            for j in range(50):
                assert c.read() == sent + j + 1
            sent += 50
            acked.append((time.monotonic(), sent))
        t_kill = time.monotonic()
        kill9(sp)
    sp.restart()
    r = sp.client()
    got = [int(x) for x in r.lrange("seq", 0, -1)]
    r.close()
    assert got == list(range(len(got))), "the list has holes or is out of order"
    must = max((n for t, n in acked if t < t_kill - 2.0), default=0)
    assert must <= len(got) <= sent, f"{len(got)} elements after the restart; {must} acknowledged >2 s before the kill"


def test_bgrewriteaof_under_writes_loses_nothing(procs):
    sp = procs(args=ALWAYS)
    bulk_set(sp, 200_000, size=32)
    stop = threading.Event()
    acked = [0]
    errors = []

    def writer():
        try:
            with RespConn(sp.port, timeout=60) as w:
                i = 0
                while not stop.is_set():
                    w.send(encode_command("RPUSH", "wlog", i) + encode_command("INCR", "wcount"))
                    assert w.read() == i + 1
                    assert w.read() == i + 1
                    i += 1
                    acked[0] = i
        except Exception as e:  # reported by the main thread
            errors.append(e)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        while acked[0] < 200:
            time.sleep(0.01)
        with sp.raw() as c:
            c.send(encode_command("BGREWRITEAOF") + encode_command("BGREWRITEAOF"))
            assert c.read() == "Background append only file rewriting started"
            assert c.read() == RespError("ERR Background append only file rewriting already in progress")
        at_start = acked[0]
        info = wait_rewrite_done(sp, timeout=120)
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert int(info["aof_rewrites"]) >= 1
        # keep writing a little after the switch to the new incr file
        goal = acked[0] + 300
        while acked[0] < goal and not errors:
            time.sleep(0.01)
    finally:
        stop.set()
        t.join(timeout=60)
    assert not errors, errors
    n = acked[0]
    assert n > at_start
    m = read_manifest(_aofdir(sp))
    assert [(e["seq"], e["type"]) for e in m if e["type"] in "bi"] == [("2", "b"), ("2", "i")]
    kill9(sp)
    sp.restart()
    with sp.raw(timeout=60) as c:
        assert c.cmd("GET", "wcount") == str(n).encode()
        assert [int(x) for x in c.cmd("LRANGE", "wlog", 0, -1)] == list(range(n))
        assert c.cmd("DBSIZE") == 200_000 + 2
        assert c.cmd("GET", "key:199999") == b"199999:".ljust(32, b"v")


def test_rewrite_and_bgsave_one_at_a_time(procs):
    """Redis runs one background child at a time; its replies when a second job is asked for."""
    sp = procs(args=AOF)
    bulk_set(sp, 200_000, size=32)
    with sp.raw(timeout=60) as c:
        c.send(encode_command("BGREWRITEAOF") + encode_command("BGSAVE")
               + encode_command("BGSAVE", "SCHEDULE"))
        assert c.read() == "Background append only file rewriting started"
        assert c.read() == RespError(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. "
            "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
        assert c.read() == "Background saving scheduled"
    wait_info(sp, timeout=120, aof_rewrite_in_progress=0, rdb_bgsave_in_progress=0)
    wait_info(sp, timeout=120, rdb_bgsave_in_progress=0, rdb_last_bgsave_status="ok")
    assert (sp.dir / "dump.rdb").is_file()  # the scheduled BGSAVE ran afterwards
    with sp.raw(timeout=60) as c:
        c.send(encode_command("BGSAVE") + encode_command("BGREWRITEAOF"))
        assert c.read() == "Background saving started"
        assert c.read() == "Background append only file rewriting scheduled"
    wait_info(sp, timeout=120, rdb_bgsave_in_progress=0, aof_rewrite_in_progress=0,
              aof_rewrite_scheduled=0)
    assert read_manifest(_aofdir(sp))[0]["seq"] == "3"


def test_auto_rewrite(procs):
    sp = procs(args=AOF + ["--auto-aof-rewrite-percentage", "100", "--auto-aof-rewrite-min-size", "1mb"])
    assert pinfo(sp)["aof_rewrites"] == "0"
    bulk_set(sp, 30_000, size=100)  # ~4 MB of commands
    wait_info(sp, timeout=60, aof_rewrite_in_progress=0, aof_rewrite_scheduled=0,
              aof_last_bgrewrite_status="ok")

    def rewritten():
        return int(pinfo(sp)["aof_rewrites"]) >= 1 and pinfo(sp)["aof_rewrite_in_progress"] == "0"

    wait_for(rewritten, timeout=60, what="an automatic AOF rewrite")
    assert int(read_manifest(_aofdir(sp))[0]["seq"]) >= 2
    kill9(sp)
    sp.restart()
    with sp.raw() as c:
        assert c.cmd("DBSIZE") == 30_000


# ---------------------------------------------------------------------------------------------
# What is written

def _find(cmds, name: bytes, key: bytes):
    hits = [c for c in cmds if c[0] == name and len(c) > 1 and c[1] == key]
    assert len(hits) == 1, f"{name} {key}: {hits} in {cmds[-40:]}"
    return hits[0]


def test_expiry_is_written_as_absolute_times(procs):
    sp = procs(args=AOF)
    with sp.raw() as c:
        t0 = int(c.cmd("TIME")[0]) * 1000
        c.ok("SET", "ex", "v", "EX", 100)
        c.ok("SET", "px", "v", "PX", 100_000)
        c.ok("SET", "exat", "v", "EXAT", 4_000_000_000)
        c.ok("SETEX", "setex", 100, "v")
        c.ok("PSETEX", "psetex", 100_000, "v")
        c.ok("SET", "exp", "v")
        assert c.cmd("EXPIRE", "exp", 100) == 1
        c.ok("SET", "pexp", "v")
        assert c.cmd("PEXPIRE", "pexp", 100_000) == 1
        c.ok("SET", "expat", "v")
        assert c.cmd("EXPIREAT", "expat", 4_000_000_000) == 1
        c.ok("SET", "getex", "v")
        assert c.cmd("GETEX", "getex", "EX", 100) == b"v"
        c.ok("SET", "persist", "v", "EX", 100)
        assert c.cmd("GETEX", "persist", "PERSIST") == b"v"
        c.ok("SET", "neg", "v")
        assert c.cmd("EXPIRE", "neg", -1) == 1
        t1 = int(c.cmd("TIME")[0]) * 1000 + 1000
    cmds = aof_commands(_aofdir(sp))
    names = {c[0] for c in cmds}
    for relative in (b"SETEX", b"PSETEX", b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"GETEX"):
        assert relative not in names, f"{relative} in the AOF: {cmds}"
    for key in (b"ex", b"px", b"setex", b"psetex"):
        c = _find(cmds, b"SET", key)
        assert [x.upper() for x in c[:2] + c[3:4]] == [b"SET", key.upper(), b"PXAT"], c
        assert c[2] == b"v" and len(c) == 5, c
        assert t0 + 100_000 <= int(c[4]) <= t1 + 100_000, c
    assert _find(cmds, b"SET", b"exat")[3:] == [b"PXAT", b"4000000000000"]
    for key in (b"exp", b"pexp", b"getex"):
        c = _find(cmds, b"PEXPIREAT", key)
        assert len(c) == 3 and t0 + 100_000 <= int(c[2]) <= t1 + 100_000, c
    assert _find(cmds, b"PEXPIREAT", b"expat") == [b"PEXPIREAT", b"expat", b"4000000000000"]
    assert _find(cmds, b"PERSIST", b"persist") == [b"PERSIST", b"persist"]
    assert _find(cmds, b"DEL", b"neg") == [b"DEL", b"neg"]

    # After a restart the TTLs run on from the same deadlines (not restarted from full).
    with sp.raw() as c:
        while int(c.cmd("TIME")[0]) * 1000 < t1 + 1500:
            time.sleep(0.1)
    kill9(sp)
    sp.restart()
    with sp.raw() as c:
        for key in ("ex", "px", "setex", "psetex", "exp", "pexp", "getex"):
            ttl = c.cmd("PTTL", key)
            assert 0 < ttl <= 100_000 - 1500, (key, ttl)
        assert c.cmd("PEXPIRETIME", "exat") == 4_000_000_000_000
        assert c.cmd("PEXPIRETIME", "expat") == 4_000_000_000_000
        assert c.cmd("TTL", "persist") == -1
        assert c.cmd("EXISTS", "neg") == 0


def test_non_deterministic_commands_replay_identically(procs):
    sp = procs(args=ALWAYS)
    with sp.raw() as c:
        c.ok("SADD", "s", *[f"m{i}" for i in range(30)])
        c.ok("SPOP", "s")
        c.ok("SPOP", "s", 5)
        c.ok("SRANDMEMBER", "s")
        c.ok("SET", "f", "1.5")
        assert c.cmd("INCRBYFLOAT", "f", "0.1") == b"1.6"
        c.ok("SET", "fx", "10", "EX", 1000)
        c.ok("INCRBYFLOAT", "fx", "3.0e3")
        c.ok("HSET", "h", "x", "1")
        assert c.cmd("HINCRBYFLOAT", "h", "x", "0.25") == b"1.25"
        c.ok("SELECT", 1)
        c.ok("SET", "in-db1", "x")
        c.ok("FLUSHDB")
        c.ok("SET", "db1-after-flush", "y")
        c.ok("SELECT", 0)
        c.ok("RPUSH", "tx", "a")
        c.ok("INCR", "txn")
    # blocking pops served later
    results = {}

    def blocked(name, *cmd):
        with RespConn(sp.port, timeout=30) as b:
            results[name] = b.cmd(*cmd)

    threads = [threading.Thread(target=blocked, args=("blpop", "BLPOP", "bl", 0)),
               threading.Thread(target=blocked, args=("blmove", "BLMOVE", "bm", "dst", "LEFT", "RIGHT", 0)),
               threading.Thread(target=blocked, args=("bzpop", "BZPOPMIN", "bz", 0))]
    for t in threads:
        t.start()
    with sp.raw() as c:
        def blocked_clients():
            return int(re.search(rb"blocked_clients:(\d+)", c.cmd("INFO", "clients"))[1])

        while blocked_clients() < 3:  # all three blocked; now serve them
            time.sleep(0.01)
        assert c.cmd("RPUSH", "bl", "x", "y") == 2
        assert c.cmd("RPUSH", "bm", "q", "r") == 2
        assert c.cmd("ZADD", "bz", 1, "m1", 2, "m2") == 2
    for t in threads:
        t.join(timeout=30)
    assert results == {"blpop": [b"bl", b"x"], "blmove": b"q", "bzpop": [b"bz", b"m1", b"1"]}
    before = snapshot(sp, dbs=(0, 1), encodings=False)
    cmds = aof_commands(_aofdir(sp))
    names = {c[0] for c in cmds}
    for nd in (b"SPOP", b"SRANDMEMBER", b"INCRBYFLOAT", b"HINCRBYFLOAT", b"BLPOP", b"BLMOVE", b"BZPOPMIN"):
        assert nd not in names, f"{nd} written to the AOF as such"
    kill9(sp)
    sp.restart()
    assert_same_data(before, snapshot(sp, dbs=(0, 1), encodings=False))
    with sp.raw() as c:
        assert c.cmd("LRANGE", "bl", 0, -1) == [b"y"]
        assert c.cmd("LRANGE", "dst", 0, -1) == [b"q"]
        assert c.cmd("ZRANGE", "bz", 0, -1) == [b"m2"]
        assert c.cmd("GET", "f") == b"1.6"
        assert 0 < c.cmd("TTL", "fx") <= 1000  # INCRBYFLOAT keeps the TTL through the replay
        c.ok("SELECT", 1)
        assert c.cmd("KEYS", "*") == [b"db1-after-flush"]


# ---------------------------------------------------------------------------------------------
# Damaged files

def _stopped_with_data(procs, extra=()):
    sp = procs(args=AOF + list(extra))
    with sp.raw() as c:
        for i in range(100):
            c.ok("SET", f"k{i}", f"v{i}")
    sp.stop()
    assert sp.returncode == 0
    return sp


def test_truncated_tail_loads_when_aof_load_truncated_yes(procs):
    sp = _stopped_with_data(procs)
    f = incr_files(_aofdir(sp))[-1]
    with open(f, "ab") as fh:
        fh.write(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf")  # half a command
    sp.restart()
    assert re.search(r"(?i)truncat|short read|unexpected end", sp.log()), sp.log_tail()
    with sp.raw() as c:
        assert c.cmd("DBSIZE") == 100
        assert c.cmd("EXISTS", "half") == 0
        c.ok("SET", "after", "1")  # appended after the cut, not after the garbage
    sp.stop()
    res = check_aof(_aofdir(sp) / "appendonly.aof.manifest")
    assert res.returncode == 0, res.stdout
    sp.restart()
    with sp.raw() as c:
        assert c.cmd("DBSIZE") == 101
        assert c.cmd("GET", "after") == b"1"


def test_truncated_tail_refused_when_aof_load_truncated_no(procs):
    sp = _stopped_with_data(procs, ["--aof-load-truncated", "no"])
    f = incr_files(_aofdir(sp))[-1]
    with open(f, "ab") as fh:
        fh.write(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf")
    rc = spawn_expect_exit(sp, timeout=20)
    assert rc is not None and rc != 0, sp.log_tail()
    # Redis: "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. ..."
    assert re.search(r"(?i)append ?only|aof", sp.log()), sp.log_tail()


@pytest.mark.parametrize("damage", ["garbage-line", "bad-bulk-length", "unknown-command"])
def test_bad_format_in_the_middle_refused(procs, damage):
    sp = _stopped_with_data(procs)
    f = incr_files(_aofdir(sp))[-1]
    data = f.read_bytes()
    mid = data.index(encode_command("SET", "k50", "v50"))
    bad = {"garbage-line": b"garbage!\r\n",
           "bad-bulk-length": b"*3\r\n$3\r\nSET\r\n$x\r\nk\r\n$1\r\nv\r\n",
           "unknown-command": encode_command("NOSUCHCOMMAND", "a")}[damage]
    f.write_bytes(data[:mid] + bad + data[mid:])
    rc = spawn_expect_exit(sp, timeout=20)
    assert rc is not None and rc != 0, sp.log_tail()
    # Redis: "Bad file format reading the append only file ..." / "Unknown command 'X' reading ..."
    assert re.search(r"(?i)append ?only|aof", sp.log()), sp.log_tail()


def test_missing_file_listed_in_manifest_refused(procs):
    sp = _stopped_with_data(procs)
    incr_files(_aofdir(sp))[-1].unlink()
    rc = spawn_expect_exit(sp, timeout=20)
    assert rc is not None and rc != 0, sp.log_tail()


# ---------------------------------------------------------------------------------------------
# Turning it on, precedence, and files moved between redis-server and the server under test

def test_config_set_appendonly_yes_at_runtime(procs):
    sp = procs()
    fill_dataset(sp)
    with sp.raw() as c:
        assert c.cmd("CONFIG", "SET", "appendonly", "yes") == "OK"
    wait_info(sp, timeout=60, aof_enabled=1, aof_rewrite_in_progress=0, aof_rewrite_scheduled=0)
    assert (_aofdir(sp) / "appendonly.aof.manifest").is_file()
    with sp.raw() as c:
        c.ok("SET", "after-switch", "1")
    before = snapshot(sp)
    sp.stop()
    sp.argv += ["--appendonly", "yes"]
    sp.restart()
    assert_same_data(before, snapshot(sp))
    assert check_aof(_aofdir(sp) / "appendonly.aof.manifest").returncode == 0


def test_aof_takes_precedence_over_dump_rdb(procs):
    sp = procs(args=AOF)
    with sp.raw() as c:
        c.ok("SET", "a", "from-aof")
        c.ok("SET", "only-aof", "1")
    sp.stop()
    peer = procs("redis")
    with peer.raw() as c:
        c.ok("SET", "a", "from-rdb")
        c.ok("SET", "only-rdb", "1")
        assert c.cmd("SAVE") == "OK"
    shutil.copyfile(peer.dir / "dump.rdb", sp.dir / "dump.rdb")
    sp.restart()
    with sp.raw() as c:
        assert c.cmd("GET", "a") == b"from-aof"
        assert c.cmd("EXISTS", "only-rdb") == 0
    sp.stop()
    sp.argv += ["--appendonly", "no"]
    sp.restart()
    with sp.raw() as c:
        assert c.cmd("GET", "a") == b"from-rdb"
        assert c.cmd("EXISTS", "only-aof") == 0


def _fill_base_and_incr(sp):
    """Data in the base (after a rewrite) and more in the incr file."""
    fill_dataset(sp)
    with sp.raw() as c:
        assert c.cmd("BGREWRITEAOF") == "Background append only file rewriting started"
    wait_rewrite_done(sp)
    with sp.raw() as c:
        c.ok("SET", "d0:after-rewrite", "x", "EX", 5000)
        c.ok("RPUSH", "d0:list", "tail")
        c.ok("HDEL", "d0:hash", "f0")
        c.ok("SELECT", 5)
        c.ok("ZINCRBY", "d5:zset", 10, "z1")
        c.ok("DEL", "d5:str")


def test_redis_aof_loads_into_the_server(procs):
    peer = procs("redis", args=AOF)
    _fill_base_and_incr(peer)
    before = snapshot(peer)
    peer.stop()
    sp = procs(args=AOF, files=copy_tree_files(peer.dir, "appendonlydir"))
    assert_same_data(before, snapshot(sp))
    # and it keeps appending to that directory
    with sp.raw() as c:
        c.ok("SET", "new", "1")
    before = snapshot(sp)
    kill9(sp)
    sp.restart()
    assert_same_data(before, snapshot(sp))


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_server_aof_loads_into_redis(procs, preamble):
    sp = procs(args=AOF + ["--aof-use-rdb-preamble", preamble])
    _fill_base_and_incr(sp)
    before = snapshot(sp)
    sp.stop()
    res = check_aof(_aofdir(sp) / "appendonly.aof.manifest")
    assert res.returncode == 0, res.stdout
    peer = procs("redis", args=AOF, files=copy_tree_files(sp.dir, "appendonlydir"))
    assert_same_data(before, snapshot(peer))
