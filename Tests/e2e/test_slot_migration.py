"""Whole-slot migration between Shoal nodes (CLUSTER MIGRATESLOTS): keys and ownership move
together in LZ4-compressed batches while a cluster client keeps reading and writing, with nothing
lost, nothing stale and no error reaching the application; a cancelled migration leaves every
slot whole on exactly one side; corrupt batches are refused whole."""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest
from redis.cluster import RedisCluster

from cluster_helpers import key_slot
from helpers import RespConn, RespError

pytestmark = pytest.mark.shoal_only

TOOL = os.environ.get("SHOAL_CLUSTER",
                      str(Path(__file__).resolve().parents[2] / ".build" / "release" / "shoal-cluster"))

N_KEYS = 20_000


def _value(i: int, version: int) -> str:
    return '{"id": %d, "version": %d, "name": "user %d", "tags": ["a", "b"]}' % (i, version, i)


def _load(port: int, n: int) -> RedisCluster:
    rc = RedisCluster(host="127.0.0.1", port=port)
    pipe = rc.pipeline()
    for i in range(n):
        pipe.set(f"key:{i}", _value(i, 0))
    pipe.execute()
    return rc


def _wait_job(node, timeout: float = 60.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        jobs = node.ok("CLUSTER", "GETSLOTMIGRATIONS")
        job = jobs[-1]
        d = job if isinstance(job, dict) else dict(zip(job[::2], job[1::2]))
        d = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
             for k, v in d.items()}
        if d["state"] != "running":
            return d
        time.sleep(0.02)
    pytest.fail("slot migration did not finish")


def _owner_ids(c) -> dict[str, set[int]]:
    return {n.id: n.slot_set() for n in c.masters()}


@pytest.mark.parametrize("how", ["migrateslots", "shoal-cluster"])
def test_migrate_slots_under_load(cluster_factory, how):
    c = cluster_factory(n=3, replicas=0)
    a_line, b_line = c.masters()[0], c.masters()[1]
    a, b = c.node(a_line.port), c.node(b_line.port)
    _load(a.port, N_KEYS)
    moving = sorted(a_line.slot_set())[:4096]
    moving_keys = [i for i in range(N_KEYS) if key_slot(f"key:{i}") in set(moving)]
    assert len(moving_keys) > 3000

    # A client keeps writing new versions and reading them back while the slots move.
    latest: dict[int, int] = {}
    errors: list[str] = []
    stale: list[tuple] = []
    stop = threading.Event()

    def traffic():
        rc = RedisCluster(host="127.0.0.1", port=c.nodes[2].port)
        rnd = random.Random(7)
        version = 0
        while not stop.is_set():
            i = rnd.choice(moving_keys)
            version += 1
            try:
                rc.set(f"key:{i}", _value(i, version))
                latest[i] = version
                got = rc.get(f"key:{i}")
                if got != _value(i, version).encode():
                    stale.append((i, version, got))
            except Exception as e:  # anything the application would see
                errors.append(repr(e))

    t = threading.Thread(target=traffic)
    t.start()
    time.sleep(0.3)
    if how == "migrateslots":
        assert a.ok("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", moving[0], moving[-1], "NODE", b_line.id) == "OK"
    else:
        # The operator tool: it picks the slots (the lowest of the source, as redis-cli does) and
        # moves them whole between Shoal nodes.
        res = subprocess.run([TOOL, "reshard", f"127.0.0.1:{a.port}", "--from", a_line.id, "--to", b_line.id,
                              "--slots", str(len(moving)), "--yes"], capture_output=True, text=True, timeout=300,
                             stdin=subprocess.DEVNULL)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    job = _wait_job(a)
    time.sleep(0.3)
    stop.set()
    t.join(timeout=30)

    assert job["state"] == "success", job
    if how == "migrateslots":
        assert job["slots_moved"] == len(moving)
        assert job["keys_moved"] >= len(moving_keys)
    assert errors == []
    assert stale == []
    # Every key is where it belongs, with its last written value.
    rc = RedisCluster(host="127.0.0.1", port=a.port)
    values = rc.mget_nonatomic([f"key:{i}" for i in range(N_KEYS)])
    lost = [i for i, v in enumerate(values) if v != _value(i, latest.get(i, 0)).encode()]
    assert lost == []
    assert a.ok("CLUSTER", "COUNTKEYSINSLOT", moving[0]) == 0
    # Ownership: every node sees the target own the moved slots.
    deadline = time.time() + 20
    while time.time() < deadline:
        if all(set(moving) <= {s for line in node.nodes() if line.id == b_line.id for s in line.slot_set()}
               for node in c.nodes):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the new owner did not propagate")
    # The migrated keys arrived in the compressed form.
    if how == "migrateslots":
        assert job["bytes_sent"] < sum(len(f"key:{i}") + len(_value(i, 0)) for i in moving_keys)


def test_cancelled_migration_leaves_every_slot_whole(cluster_factory):
    c = cluster_factory(n=3, replicas=0)
    a_line, b_line = c.masters()[0], c.masters()[1]
    a, b = c.node(a_line.port), c.node(b_line.port)
    _load(a.port, 60_000)
    slots = sorted(a_line.slot_set())
    assert a.ok("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slots[0], slots[-1], "NODE", b_line.id) == "OK"
    assert a.ok("CLUSTER", "CANCELSLOTMIGRATIONS") == "OK"
    job = _wait_job(a)
    assert job["state"] in ("cancelled", "success"), job
    time.sleep(0.5)
    owners = {}
    for line in a.nodes():
        for s in line.slot_set():
            owners[s] = line.id
    for s in slots:
        assert owners[s] in (a_line.id, b_line.id)
        other = b if owners[s] == a_line.id else a
        assert other.ok("CLUSTER", "COUNTKEYSINSLOT", s) == 0, f"slot {s}: keys left on the non-owner"
        assert "->-" not in a.text("CLUSTER", "NODES") and "-<-" not in b.text("CLUSTER", "NODES")
    rc = RedisCluster(host="127.0.0.1", port=a.port)
    values = rc.mget_nonatomic([f"key:{i}" for i in range(60_000)])
    assert [i for i, v in enumerate(values) if v != _value(i, 0).encode()] == []


def test_migrateslots_errors_and_corrupt_batches(cluster_factory):
    c = cluster_factory(n=3, replicas=0)
    a_line, b_line = c.masters()[0], c.masters()[1]
    a, b = c.node(a_line.port), c.node(b_line.port)
    b_slot = min(b_line.slot_set())
    a_slot = min(a_line.slot_set())
    with RespConn(a.port) as ca:
        err = ca.cmd("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", b_slot, b_slot, "NODE", b_line.id)
        assert isinstance(err, RespError) and err.text == f"ERR I'm not the owner of hash slot {b_slot}"
        err = ca.cmd("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", a_slot, a_slot, "NODE", "f" * 40)
        assert isinstance(err, RespError) and err.text == f"ERR Unknown node {'f' * 40}"
        err = ca.cmd("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", 5, 1, "NODE", b_line.id)
        assert isinstance(err, RespError) and err.text.startswith("ERR start slot number 5")
        err = ca.cmd("CLUSTER", "MIGRATESLOTS", "NODE", b_line.id)
        assert isinstance(err, RespError)
    before = b.ok("DBSIZE")
    with RespConn(b.port) as cb:
        for frame in (b"", b"garbage", b"SLZ\x01" + b"\xff" * 40, bytes(range(256)) * 10):
            err = cb.cmd("CLUSTER", "IMPORTKEYS", frame)
            assert isinstance(err, RespError) and err.text.startswith("ERR"), err
        assert cb.cmd("PING") == "PONG"
    assert b.ok("DBSIZE") == before


def test_big_collections_move_in_parts(cluster_factory):
    """Collections far above one part (8192 elements) arrive whole, with their TTL."""
    c = cluster_factory(n=3, replicas=0)
    a_line, b_line = c.masters()[0], c.masters()[1]
    a, b = c.node(a_line.port), c.node(b_line.port)
    rc = RedisCluster(host="127.0.0.1", port=a.port)
    # All in one slot of a, via a hash tag.
    tag = next(t for t in (f"{{b{i}}}" for i in range(100000)) if key_slot(t) in a_line.slot_set())
    slot = key_slot(tag)
    pipe = rc.pipeline(transaction=False)
    for start in range(0, 100_000, 5000):
        pipe.hset(f"{tag}hash", mapping={f"field:{i}": f"value:{i}" for i in range(start, start + 5000)})
        pipe.sadd(f"{tag}set", *[f"member:{i}" for i in range(start, start + 5000)])
        pipe.zadd(f"{tag}zset", {f"z:{i}": i / 3 for i in range(start, start + 5000)})
        pipe.rpush(f"{tag}list", *[f"item:{i}" for i in range(start, start + 5000)])
    pipe.execute()
    rc.pexpire(f"{tag}hash", 600_000)
    assert a.ok("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slot, slot, "NODE", b_line.id) == "OK"
    job = _wait_job(a, timeout=120)
    assert job["state"] == "success", job
    assert b.ok("CLUSTER", "COUNTKEYSINSLOT", slot) == 4
    assert a.ok("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    with RespConn(b.port) as cb:
        assert cb.cmd("HLEN", f"{tag}hash") == 100_000
        assert cb.cmd("HGET", f"{tag}hash", "field:99999") == b"value:99999"
        assert 500_000 < cb.cmd("PTTL", f"{tag}hash") <= 600_000
        assert cb.cmd("SCARD", f"{tag}set") == 100_000
        assert cb.cmd("ZCARD", f"{tag}zset") == 100_000
        assert cb.cmd("ZSCORE", f"{tag}zset", "z:300") == b"100"
        assert cb.cmd("LLEN", f"{tag}list") == 100_000
        assert cb.cmd("LRANGE", f"{tag}list", 0, 2) == [b"item:0", b"item:1", b"item:2"]
        assert cb.cmd("LINDEX", f"{tag}list", -1) == b"item:99999"
