"""RDB snapshots: SAVE / BGSAVE / LASTSAVE and INFO persistence, dbfilename and dir, DEBUG RELOAD,
the files themselves (redis-check-rdb, loaded by a real redis-server 7.0, and a redis-server file
loaded by the server under test), corrupt files at startup, and stop-writes-on-bgsave-error.

Restarts, SHUTDOWN, signals, save points and cluster nodes: test_persistence_restart.py.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest

from helpers import RespError, encode_command
from persist_helpers import (  # noqa: F401  (procs is a fixture)
    assert_same_data, bulk_set, check_rdb, dbsizes, fill_dataset, pinfo, procs, shutdown,
    snapshot, spawn_expect_exit, wait_bgsave_done, wait_info,
)

MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
           "to disk. Commands that may modify the data set are disabled, because this instance is "
           "configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
           "RDB error.")


# ---------------------------------------------------------------------------------------------
# Commands and INFO

def test_save_bgsave_and_info_fields(procs):
    sp = procs()
    info = pinfo(sp)
    for field in ("rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
                  "rdb_last_bgsave_status", "rdb_saves", "aof_enabled", "aof_rewrite_in_progress",
                  "loading"):
        assert field in info, f"INFO persistence has no {field}"
    assert info["rdb_bgsave_in_progress"] == "0"
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["aof_enabled"] == "0"
    assert info["loading"] == "0"
    saves = int(info["rdb_saves"])
    with sp.raw() as c:
        for i in range(3):
            c.ok("SET", f"k{i}", i)
        assert pinfo(sp)["rdb_changes_since_last_save"] == "3"
        assert c.cmd("SAVE") == "OK"
        assert (sp.dir / "dump.rdb").is_file()
        info = pinfo(sp)
        assert info["rdb_changes_since_last_save"] == "0"
        assert int(info["rdb_saves"]) == saves + 1
        assert int(info["rdb_last_save_time"]) == c.cmd("LASTSAVE")
        assert abs(int(info["rdb_last_save_time"]) - int(c.cmd("TIME")[0])) <= 2

        c.ok("SET", "k9", "v")
        assert c.cmd("BGSAVE") == "Background saving started"
        info = wait_bgsave_done(sp)
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["rdb_changes_since_last_save"] == "0"
        assert int(info["rdb_saves"]) == saves + 2
        assert c.cmd("SAVE", "x") == RespError("ERR wrong number of arguments for 'save' command")
        assert c.cmd("BGSAVE", "NOW") == RespError("ERR syntax error")


def test_bgsave_already_in_progress(procs):
    sp = procs()
    bulk_set(sp, 200_000, size=32)
    with sp.raw(timeout=60) as c:
        # One packet: the second BGSAVE and INFO arrive while the first save (200k keys) runs.
        c.send(encode_command("BGSAVE") + encode_command("BGSAVE") + encode_command("SAVE")
               + encode_command("BGSAVE", "SCHEDULE") + encode_command("INFO", "persistence"))
        assert c.read() == "Background saving started"
        assert c.read() == RespError("ERR Background save already in progress")
        assert c.read() == RespError("ERR Background save already in progress")
        # SCHEDULE only schedules behind another kind of background job (an AOF rewrite); behind
        # a BGSAVE it is the same error.
        assert c.read() == RespError("ERR Background save already in progress")
        assert b"rdb_bgsave_in_progress:1" in c.read()
    info = wait_bgsave_done(sp)
    assert info["rdb_last_bgsave_status"] == "ok"
    with sp.raw() as c:
        # Nothing running: SCHEDULE starts it at once.
        assert c.cmd("BGSAVE", "SCHEDULE") == "Background saving started"
    wait_bgsave_done(sp)
    assert check_rdb(sp.dir / "dump.rdb").returncode == 0


@pytest.mark.parametrize("threads", ["1", "2"])
def test_bgsave_is_a_point_in_time_snapshot(procs, threads):
    # One event loop (the walk runs on it in steps) and two (each slot read under its lock).
    sp = procs(args=["--io-threads", threads])
    bulk_set(sp, 200_000, size=32)
    with sp.raw(timeout=60) as c:
        # Writes pipelined right behind BGSAVE must not reach the file.
        c.send(encode_command("BGSAVE") + encode_command("SET", "marker", "after")
               + encode_command("SET", "key:0", "changed") + encode_command("DEL", "key:1"))
        assert c.read() == "Background saving started"
        assert c.read() == "OK"
        assert c.read() == "OK"
        assert c.read() == 1
        # keep writing while the snapshot is taken
        for i in range(2, 5000):
            c.send(encode_command("SET", f"key:{i}", "overwritten"))
        for i in range(2, 5000):
            assert c.read() == "OK"
    wait_bgsave_done(sp)
    peer = procs("redis", files={"dump.rdb": sp.dir / "dump.rdb"})
    with peer.raw() as c:
        assert c.cmd("DBSIZE") == 200_000
        assert c.cmd("EXISTS", "marker") == 0
        assert c.cmd("GET", "key:0") == b"0:".ljust(32, b"v")
        assert c.cmd("GET", "key:1") == b"1:".ljust(32, b"v")
        assert c.cmd("GET", "key:4999") == b"4999:".ljust(32, b"v")


def test_lastsave_advances(procs):
    sp = procs()
    with sp.raw() as c:
        assert c.cmd("SAVE") == "OK"
        first = c.cmd("LASTSAVE")
        assert isinstance(first, int)
        # wait for the next second, then save again
        while int(c.cmd("TIME")[0]) <= first:
            time.sleep(0.05)
        c.ok("SET", "a", "1")
        assert c.cmd("BGSAVE") == "Background saving started"
        wait_bgsave_done(sp)
        assert c.cmd("LASTSAVE") > first
        assert int(pinfo(sp)["rdb_last_save_time"]) == c.cmd("LASTSAVE")


def test_dbfilename_and_dir_are_honoured(procs, tmp_path):
    sp = procs(args=["--enable-protected-configs", "yes", "--dbfilename", "start.rdb"])
    with sp.raw() as c:
        c.ok("SET", "k", "v")
        assert c.cmd("SAVE") == "OK"
        assert (sp.dir / "start.rdb").is_file() and not (sp.dir / "dump.rdb").exists()
        assert c.cmd("CONFIG", "SET", "dbfilename", "other.rdb") == "OK"
        assert c.cmd("CONFIG", "GET", "dbfilename") == [b"dbfilename", b"other.rdb"]
        assert c.cmd("SAVE") == "OK"
        assert (sp.dir / "other.rdb").is_file()
        newdir = tmp_path / "elsewhere"
        newdir.mkdir()
        assert c.cmd("CONFIG", "SET", "dir", str(newdir)) == "OK"
        assert c.cmd("CONFIG", "GET", "dir") == [b"dir", str(newdir).encode()]
        c.ok("SET", "k2", "v2")
        assert c.cmd("BGSAVE") == "Background saving started"
        wait_bgsave_done(sp)
        assert (newdir / "other.rdb").is_file()
        assert c.cmd("CONFIG", "SET", "dir", str(tmp_path / "missing")).prefix == "ERR"
        assert c.cmd("CONFIG", "GET", "dir") == [b"dir", str(newdir).encode()]
    peer = procs("redis", files={"dump.rdb": newdir / "other.rdb"})
    with peer.raw() as c:
        assert c.cmd("MGET", "k", "k2") == [b"v", b"v2"]


def test_dir_and_dbfilename_are_protected_configs(procs):
    sp = procs()
    with sp.raw() as c:
        assert c.cmd("CONFIG", "SET", "dbfilename", "x.rdb") == RespError(
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config")
        assert c.cmd("CONFIG", "SET", "dir", "/tmp") == RespError(
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config")
        assert c.cmd("CONFIG", "SET", "save", "100") == RespError(
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters")
        assert c.cmd("CONFIG", "SET", "save", "100 10 20 5") == "OK"
        assert c.cmd("CONFIG", "GET", "save") == [b"save", b"100 10 20 5"]
        assert c.cmd("CONFIG", "SET", "save", "") == "OK"
        assert c.cmd("CONFIG", "GET", "save") == [b"save", b""]


def test_debug_reload_keeps_the_data(procs):
    sp = procs()
    fill_dataset(sp)
    before = snapshot(sp)
    with sp.raw(timeout=60) as c:
        assert c.cmd("DEBUG", "RELOAD") == "OK"
    assert (sp.dir / "dump.rdb").is_file()
    assert_same_data(before, snapshot(sp))
    with sp.raw() as c:
        # NOSAVE: load the file as it is (without the key written after it).
        c.ok("SET", "after-the-file", "1")
        assert c.cmd("DEBUG", "RELOAD", "NOSAVE") == "OK"
        assert c.cmd("EXISTS", "after-the-file") == 0
        assert c.cmd("DEBUG", "RELOAD", "BOGUS") == RespError(
            "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    assert_same_data(before, snapshot(sp))


# ---------------------------------------------------------------------------------------------
# The file format, both ways with a real redis-server 7.0

def test_rdb_of_every_type_loads_into_redis(procs):
    sp = procs()
    fill_dataset(sp)
    with sp.raw() as c:
        c.ok("SET", "short-lived", "x", "PX", 1500)
    before = snapshot(sp)
    sizes = dbsizes(sp)
    with sp.raw() as c:
        assert c.cmd("SAVE") == "OK"
    rdb = sp.dir / "dump.rdb"
    assert rdb.read_bytes()[:5] == b"REDIS"
    res = check_rdb(rdb)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "RDB looks OK" in res.stdout
    # A key that expired in the meantime is not loaded.
    with sp.raw() as c:
        while c.cmd("PTTL", "short-lived") != -2:
            time.sleep(0.05)
    del before[0][b"short-lived"]
    sizes[0] -= 1
    peer = procs("redis", files={"dump.rdb": rdb})
    assert dbsizes(peer) == sizes
    assert_same_data(before, snapshot(peer))
    with peer.raw() as c:
        assert c.cmd("EXISTS", "short-lived") == 0


def test_redis_rdb_loads_into_the_server(procs):
    peer = procs("redis")
    fill_dataset(peer)
    before = snapshot(peer)
    sizes = dbsizes(peer)
    with peer.raw() as c:
        assert c.cmd("SAVE") == "OK"
    sp = procs(files={"dump.rdb": peer.dir / "dump.rdb"})
    assert dbsizes(sp) == sizes
    assert_same_data(before, snapshot(sp))
    info = pinfo(sp)
    assert info["loading"] == "0"
    assert info["rdb_changes_since_last_save"] == "0"
    # ...and what it saves again is the same data for redis.
    with sp.raw() as c:
        assert c.cmd("SAVE") == "OK"
    assert check_rdb(sp.dir / "dump.rdb").returncode == 0
    again = procs("redis", files={"dump.rdb": sp.dir / "dump.rdb"})
    assert_same_data(before, snapshot(again))


def test_rdbchecksum_no_writes_a_zero_checksum_that_loads(procs):
    sp = procs(args=["--rdbchecksum", "no"])
    fill_dataset(sp)
    before = snapshot(sp)
    with sp.raw() as c:
        assert c.cmd("SAVE") == "OK"
    data = (sp.dir / "dump.rdb").read_bytes()
    assert data[-9:] == b"\xff" + b"\x00" * 8, data[-9:]
    assert check_rdb(sp.dir / "dump.rdb").returncode == 0
    peer = procs("redis", files={"dump.rdb": sp.dir / "dump.rdb"})
    assert_same_data(before, snapshot(peer))
    # A redis file with a zeroed checksum loads into the server under test (checksum on).
    with peer.raw() as c:
        assert c.cmd("SAVE") == "OK"
    good = (peer.dir / "dump.rdb").read_bytes()
    zeroed = good[:-8] + b"\x00" * 8
    back = procs(files={"dump.rdb": zeroed})
    assert_same_data(before, snapshot(back))


def test_rdbcompression_no_loads_into_redis(procs):
    sp = procs(args=["--rdbcompression", "no"])
    fill_dataset(sp)
    before = snapshot(sp)
    with sp.raw() as c:
        assert c.cmd("SAVE") == "OK"
    assert ("y" * 300).encode() in (sp.dir / "dump.rdb").read_bytes()
    assert check_rdb(sp.dir / "dump.rdb").returncode == 0
    peer = procs("redis", files={"dump.rdb": sp.dir / "dump.rdb"})
    assert_same_data(before, snapshot(peer))


# ---------------------------------------------------------------------------------------------
# Corrupt files: the server refuses to start

def _good_rdb(procs) -> bytes:
    peer = procs("redis")
    with peer.raw() as c:
        for i in range(2000):
            # short values (under 20 bytes: never LZF-compressed), so their bytes are in the file
            c.send(encode_command("SET", f"key:{i}", f"value-{i:08d}"))
        for i in range(2000):
            assert c.read() == "OK"
        assert c.cmd("SAVE") == "OK"
    return (peer.dir / "dump.rdb").read_bytes()


def _refuses(procs, data: bytes) -> str:
    sp = procs(files={"dump.rdb": data}, start=False)
    rc = spawn_expect_exit(sp, timeout=20)
    assert rc is not None, f"the server started on a bad dump.rdb:\n{sp.log_tail()}"
    assert rc != 0, f"exit code 0 on a bad dump.rdb:\n{sp.log_tail()}"
    log = sp.log()
    assert re.search(r"(?i)rdb|\bdb\b", log), f"the log says nothing about the RDB:\n{sp.log_tail()}"
    return log


def test_corrupt_rdb_flipped_byte(procs):
    good = _good_rdb(procs)
    # A flipped bit inside a value: the file still parses, only the checksum tells.
    i = good.index(b"value-00001000") + 13
    bad = bytearray(good)
    bad[i] ^= 0x01
    log = _refuses(procs, bytes(bad))
    # Redis: "Wrong RDB checksum expected: (...) but got (...). Aborting now."
    assert re.search(r"(?i)checksum|crc", log), log[-2000:]
    # A flipped bit in the middle of the file, wherever it lands (a length, a type, a value).
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0x01
    _refuses(procs, bytes(bad))


def test_corrupt_rdb_truncated(procs):
    good = _good_rdb(procs)
    # Redis: "Short read or OOM loading DB. Unrecoverable error, aborting now."
    _refuses(procs, good[: len(good) // 2])
    _refuses(procs, good[:-1])  # only the last checksum byte missing


def test_corrupt_rdb_garbage_and_empty(procs):
    # Redis: "Wrong signature trying to load DB from file" / "Fatal error loading the DB: ..."
    _refuses(procs, b"this is not an RDB file at all\n" * 20)
    _refuses(procs, b"REDIS0010\xfe\x00\x00\x05hello")  # valid header, nonsense after it
    _refuses(procs, b"")  # Redis 7.0 refuses an empty dump.rdb too


def test_missing_rdb_starts_empty(procs):
    sp = procs()
    with sp.raw() as c:
        assert c.cmd("DBSIZE") == 0


# ---------------------------------------------------------------------------------------------
# stop-writes-on-bgsave-error

def test_stop_writes_on_bgsave_error(procs, tmp_path):
    """The dir is removed under the running server: saving fails even for root. With save points
    configured, writes then get -MISCONF, reads still work; SAVE and SHUTDOWN fail; a successful save
    (after pointing dir somewhere that exists) lifts the ban."""
    data = tmp_path / "data"
    data.mkdir()
    sp = procs(args=["--save", "3600 1", "--enable-protected-configs", "yes", "--dir", str(data)])
    with sp.raw() as c:
        c.ok("SET", "a", "1")
        shutil.rmtree(data)
        reply = c.cmd("BGSAVE")
        assert reply == "Background saving started" or isinstance(reply, RespError), reply
        info = wait_info(sp, rdb_bgsave_in_progress=0, rdb_last_bgsave_status="err")
        assert info["rdb_changes_since_last_save"] == "1"
        assert c.cmd("SET", "b", "2") == RespError(MISCONF)
        assert c.cmd("DEL", "a") == RespError(MISCONF)
        assert c.cmd("INCR", "n") == RespError(MISCONF)
        assert c.cmd("GET", "a") == b"1"
        assert c.cmd("EXISTS", "a") == 1
        # Redis refuses PING too (so that health checks notice), but not ECHO or INFO.
        assert c.cmd("PING") == RespError(MISCONF)
        assert c.cmd("ECHO", "hi") == b"hi"
        assert c.cmd("SAVE") == RespError("ERR")
        assert c.cmd("SHUTDOWN") == RespError("ERR Errors trying to SHUTDOWN. Check logs.")
        assert c.cmd("SHUTDOWN", "SAVE") == RespError("ERR Errors trying to SHUTDOWN. Check logs.")
        assert c.cmd("SHUTDOWN", "ABORT") == RespError("ERR No shutdown in progress.")
        # The option off: writes are accepted again; on again: refused again.
        assert c.cmd("CONFIG", "SET", "stop-writes-on-bgsave-error", "no") == "OK"
        assert c.cmd("SET", "b", "2") == "OK"
        assert c.cmd("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes") == "OK"
        assert c.cmd("SET", "b", "3") == RespError(MISCONF)
        # A good BGSAVE clears the error.
        data2 = tmp_path / "data2"
        data2.mkdir()
        assert c.cmd("CONFIG", "SET", "dir", str(data2)) == "OK"
        assert c.cmd("BGSAVE") == "Background saving started"
        wait_info(sp, rdb_bgsave_in_progress=0, rdb_last_bgsave_status="ok")
        assert c.cmd("SET", "b", "4") == "OK"
    assert shutdown(sp, "NOSAVE") == 0


def test_no_misconf_without_save_points(procs, tmp_path):
    """stop-writes-on-bgsave-error only matters when save points are configured."""
    data = tmp_path / "data"
    data.mkdir()
    sp = procs(args=["--dir", str(data)])  # --save '' from COMMON_ARGS
    with sp.raw() as c:
        c.ok("SET", "a", "1")
        shutil.rmtree(data)
        c.cmd("BGSAVE")
        wait_info(sp, rdb_bgsave_in_progress=0, rdb_last_bgsave_status="err")
        assert c.cmd("SET", "b", "2") == "OK"
        # Without save points a plain SHUTDOWN does not save, so it is not stopped by the error.
        c.send(encode_command("SHUTDOWN"))
        assert c.read_until_closed(timeout=30) == b""
    assert sp.wait_exit(timeout=30) == 0


@pytest.mark.shoal_only
def test_writes_during_bgsave_are_counted_as_copied_memory(procs):
    """Shoal reports what writes made it serialise ahead of the walk as rdb_last_cow_size (Redis
    reports its child's copied pages there); no writes, nothing copied."""
    sp = procs(args=["--io-threads", "2"])
    bulk_set(sp, 200_000, size=64)
    with sp.raw(timeout=60) as c:
        assert c.cmd("BGSAVE") == "Background saving started"
    wait_bgsave_done(sp)
    assert pinfo(sp)["rdb_last_cow_size"] == "0"
    with sp.raw(timeout=60) as c:
        c.send(encode_command("BGSAVE")
               + b"".join(encode_command("SET", f"key:{i}", "changed") for i in range(0, 200_000, 97)))
        assert c.read() == "Background saving started"
        for _ in range(0, 200_000, 97):
            assert c.read() == "OK"
    wait_bgsave_done(sp)
    assert int(pinfo(sp)["rdb_last_cow_size"]) > 0
