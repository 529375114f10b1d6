"""Snapshots across restarts: SHUTDOWN [SAVE|NOSAVE|ABORT], SIGTERM / SIGINT with and without save
points, `save <seconds> <changes>` rules, and a cluster node restarted from its dump.rdb and
nodes.conf (node ID, epochs, slots and keys kept).

Every server here starts with COMMON_ARGS (`--save ''`); a test that needs save points passes
`--save "<s> <n>"` after them, which replaces the empty list (as in redis.conf, a later `save` line
with arguments after `save ""` sets the points).
"""

from __future__ import annotations

import signal
import time

import pytest

from cluster_helpers import key_for_slot, key_slot
from helpers import RespError, encode_command
from persist_helpers import (  # noqa: F401  (procs is a fixture)
    assert_same_data, bulk_set, fill_dataset, kill9, pinfo, procs, shutdown, snapshot, wait_info,
)


def _get(sp, key):
    with sp.raw() as c:
        return c.cmd("GET", key)


def _set(sp, *pairs):
    with sp.raw() as c:
        for k, v in zip(pairs[0::2], pairs[1::2]):
            c.ok("SET", k, v)


# ---------------------------------------------------------------------------------------------
# SHUTDOWN

def test_shutdown_save_then_restart_keeps_every_type(procs):
    sp = procs()
    fill_dataset(sp)
    before = snapshot(sp)
    assert shutdown(sp, "SAVE") == 0
    assert (sp.dir / "dump.rdb").is_file()
    sp.restart()
    assert_same_data(before, snapshot(sp))
    info = pinfo(sp)
    assert info["rdb_changes_since_last_save"] == "0"


def test_shutdown_nosave_keeps_the_old_file(procs):
    sp = procs()
    _set(sp, "a", "1")
    assert shutdown(sp, "SAVE") == 0
    sp.restart()
    _set(sp, "b", "2", "a", "changed")
    assert shutdown(sp, "NOSAVE") == 0
    sp.restart()
    assert _get(sp, "a") == b"1"
    assert _get(sp, "b") is None


def test_shutdown_without_save_points_does_not_save(procs):
    sp = procs()  # --save ''
    _set(sp, "a", "1")
    assert shutdown(sp, "SAVE") == 0
    sp.restart()
    _set(sp, "b", "2")
    assert shutdown(sp) == 0  # plain SHUTDOWN, no save points: no save
    sp.restart()
    assert _get(sp, "a") == b"1" and _get(sp, "b") is None
    _set(sp, "c", "3")
    sp.signal(signal.SIGTERM)  # the same for SIGTERM
    assert sp.wait_exit(timeout=60) == 0
    sp.restart()
    assert _get(sp, "c") is None and _get(sp, "a") == b"1"


def test_shutdown_and_signals_save_when_save_points_exist(procs):
    sp = procs(args=["--save", "3600 1"])
    with sp.raw() as c:
        assert c.cmd("CONFIG", "GET", "save") == [b"save", b"3600 1"]
    _set(sp, "a", "1")
    assert shutdown(sp) == 0  # plain SHUTDOWN saves
    sp.restart()
    assert _get(sp, "a") == b"1"
    _set(sp, "b", "2")
    sp.signal(signal.SIGTERM)
    assert sp.wait_exit(timeout=60) == 0
    sp.restart()
    assert _get(sp, "b") == b"2"
    _set(sp, "c", "3")
    sp.signal(signal.SIGINT)
    assert sp.wait_exit(timeout=60) == 0
    sp.restart()
    assert _get(sp, "c") == b"3"
    _set(sp, "d", "4")
    assert shutdown(sp, "NOSAVE") == 0  # NOSAVE wins over the save points
    sp.restart()
    assert _get(sp, "d") is None and _get(sp, "c") == b"3"


def test_save_points_set_at_runtime_apply_to_sigterm(procs):
    sp = procs()
    with sp.raw() as c:
        assert c.cmd("CONFIG", "SET", "save", "3600 1") == "OK"
        c.ok("SET", "k", "v")
    sp.signal(signal.SIGTERM)
    assert sp.wait_exit(timeout=60) == 0
    assert (sp.dir / "dump.rdb").is_file()
    sp.restart()
    assert _get(sp, "k") == b"v"


def test_shutdown_abort_and_argument_errors(procs):
    sp = procs()
    with sp.raw() as c:
        assert c.cmd("SHUTDOWN", "ABORT") == RespError("ERR No shutdown in progress.")
        assert c.cmd("SHUTDOWN", "BOGUS") == RespError("ERR syntax error")
        assert c.cmd("SHUTDOWN", "SAVE", "NOSAVE") == RespError("ERR syntax error")
        assert c.cmd("SHUTDOWN", "NOSAVE", "SAVE") == RespError("ERR syntax error")
        assert c.cmd("SHUTDOWN", "ABORT", "NOW") == RespError("ERR syntax error")
        assert c.cmd("SHUTDOWN", "NOW", "FORCE", "ABORT") == RespError("ERR syntax error")
        assert c.cmd("PING") == "PONG"
    assert sp.alive()
    # NOW / FORCE are accepted (with NOSAVE: no file).
    assert shutdown(sp, "NOSAVE", "NOW", "FORCE") == 0
    assert not (sp.dir / "dump.rdb").exists()


def test_shutdown_from_a_pipeline_saves_what_came_before(procs):
    sp = procs()
    with sp.raw() as c:
        c.send(b"".join(encode_command("SET", f"k{i}", i) for i in range(1000))
               + encode_command("SHUTDOWN", "SAVE"))
        # Redis exits without flushing the replies still buffered for this client: whatever
        # arrived is some prefix of the +OKs.
        data = c.read_until_closed(timeout=60)
        assert data == b"+OK\r\n" * (len(data) // 5)
    assert sp.wait_exit(timeout=60) == 0
    sp.restart()
    with sp.raw() as c:
        assert c.cmd("DBSIZE") == 1000
        assert c.cmd("GET", "k999") == b"999"


# ---------------------------------------------------------------------------------------------
# save <seconds> <changes>

def test_save_rule_triggers_a_background_save(procs):
    sp = procs(args=["--save", "1 1"])
    first = pinfo(sp)
    saves = int(first["rdb_saves"])
    assert not (sp.dir / "dump.rdb").exists()
    _set(sp, "k", "v")
    # one change and more than a second since the last save: a BGSAVE starts by itself
    info = wait_info(sp, timeout=30, rdb_changes_since_last_save=0, rdb_bgsave_in_progress=0)
    assert int(info["rdb_saves"]) > saves
    assert info["rdb_last_bgsave_status"] == "ok"
    assert int(info["rdb_last_save_time"]) >= int(first["rdb_last_save_time"])
    assert (sp.dir / "dump.rdb").is_file()
    peer = procs("redis", files={"dump.rdb": sp.dir / "dump.rdb"})
    assert _get(peer, "k") == b"v"


def test_save_rule_needs_enough_changes(procs):
    sp = procs(args=["--save", "1 5"])
    _set(sp, "a", "1", "b", "2")
    time.sleep(2.5)  # long enough for the rule's period, but only 2 of 5 changes
    info = pinfo(sp)
    assert info["rdb_changes_since_last_save"] == "2"
    assert not (sp.dir / "dump.rdb").exists()
    _set(sp, "c", "3", "d", "4", "e", "5")
    wait_info(sp, timeout=30, rdb_changes_since_last_save=0, rdb_bgsave_in_progress=0)
    assert (sp.dir / "dump.rdb").is_file()


def test_save_rule_set_at_runtime(procs):
    sp = procs()
    _set(sp, "k", "v")
    with sp.raw() as c:
        assert c.cmd("CONFIG", "SET", "save", "1 1") == "OK"
    wait_info(sp, timeout=30, rdb_changes_since_last_save=0, rdb_bgsave_in_progress=0)
    assert (sp.dir / "dump.rdb").is_file()


# ---------------------------------------------------------------------------------------------
# Cluster nodes

def _fill_slots(node, me, n=200):
    """n keys in the node's slots; returns {key: value}."""
    slots = sorted(me.slot_set())
    data = {}
    with node.raw() as c:
        for i in range(n):
            key = key_for_slot(slots[(i * 37) % len(slots)], prefix=f"p{i}-")
            data[key] = f"value-{i}"
            assert c.cmd("SET", key, data[key]) == "OK"
    return data


@pytest.mark.slow
@pytest.mark.parametrize("how", ["shutdown-save", "sigterm-with-save-points"])
def test_cluster_node_restart_keeps_id_epochs_slots_and_keys(cluster_factory, how):
    c = cluster_factory(3, replicas=0, node_timeout=5000)
    node = c.nodes[1]
    me = node.myself()
    info = node.info()
    data = _fill_slots(node, me)
    with node.raw() as conn:
        dbsize = conn.cmd("DBSIZE")
    assert dbsize == len(data)

    if how == "shutdown-save":
        assert shutdown(node, "SAVE") == 0
    else:
        with node.raw() as conn:
            assert conn.cmd("CONFIG", "SET", "save", "3600 1") == "OK"
        node.signal(signal.SIGTERM)
        assert node.wait_exit(timeout=60) == 0
    assert (node.dir / "dump.rdb").is_file()

    node.restart()  # same port, dir, nodes.conf; --save '' again from COMMON_ARGS
    assert node.myid() == me.id
    c.wait_ok(timeout=60)
    c.wait_converged(timeout=60)
    after = node.myself()
    assert (after.id, after.slots, after.role, after.config_epoch) == (me.id, me.slots, "master",
                                                                     me.config_epoch)
    info_after = node.info()
    assert info_after["cluster_current_epoch"] == info["cluster_current_epoch"]
    assert info_after["cluster_my_epoch"] == info["cluster_my_epoch"]
    with node.raw() as conn:
        assert conn.cmd("DBSIZE") == dbsize
        for k, v in data.items():
            assert conn.cmd("GET", k) == v.encode(), k
        # the keys are indexed by slot again
        per_slot = {}
        for k in data:
            per_slot[key_slot(k)] = per_slot.get(key_slot(k), 0) + 1
        for slot, count in list(per_slot.items())[:20]:
            assert conn.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == count
        for k in list(data)[:20]:
            assert k.encode() in conn.cmd("CLUSTER", "GETKEYSINSLOT", key_slot(k), 1000)
    # the other masters still route to it
    other = c.nodes[0]
    k = next(iter(data))
    moved = other.cmd("GET", k)
    assert isinstance(moved, RespError) and moved.text.startswith("MOVED ")
    assert moved.text.endswith(f":{node.port}")


# ---------------------------------------------------------------------------------------------
# FLUSHALL

def test_flushall_with_save_points_saves_the_empty_data_set(procs):
    """As Redis: FLUSHALL stops a running BGSAVE (quietly: the status stays ok) and, when save
    points exist, saves at once, so a restart cannot bring the old keys back."""
    sp = procs(args=["--save", "3600 1"])
    _set(sp, "a", "1", "b", "2")
    with sp.raw() as c:
        assert c.cmd("SAVE") == "OK"
        c.ok("SET", "c", "3")
        assert c.cmd("FLUSHALL") == "OK"
    info = pinfo(sp)
    assert info["rdb_last_bgsave_status"] == "ok"
    kill9(sp)  # no save at exit: what is on disk is what FLUSHALL left
    sp.restart()
    with sp.raw() as c:
        assert c.cmd("DBSIZE") == 0


def test_flushall_stops_a_running_bgsave_without_failing_it(procs):
    """FLUSHALL while a BGSAVE of a big data set runs: the save is abandoned (not an error: no
    MISCONF afterwards), and the empty data set is what is on disk."""
    sp = procs(args=["--save", "3600 1"])
    bulk_set(sp, 300_000, size=64)
    with sp.raw(timeout=60) as c:
        c.send(encode_command("BGSAVE") + encode_command("FLUSHALL"))
        assert c.read() == "Background saving started"
        assert c.read() == "OK"
    info = wait_info(sp, rdb_bgsave_in_progress="0")
    assert info["rdb_last_bgsave_status"] == "ok"
    with sp.raw() as c:
        assert c.cmd("SET", "after", "1") == "OK"  # no MISCONF
        assert c.cmd("DEL", "after") == 1
    kill9(sp)
    sp.restart()
    with sp.raw() as c:
        assert c.cmd("DBSIZE") == 0
