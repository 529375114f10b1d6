"""The append-only file of cluster nodes follows slots that move whole (CLUSTER MIGRATESLOTS): the
target logs the keys it imports, the source logs their deletion, so after both crash (kill -9) and
restart from their AOFs, the keys are on the new owner only."""

from __future__ import annotations

import time

import pytest

from cluster_helpers import key_for_slot
from persist_helpers import kill9
from test_slot_migration import _wait_job

pytestmark = pytest.mark.shoal_only


def _persistence(node) -> dict[str, str]:
    text = node.cmd("INFO", "persistence")
    text = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _wait_aof_on(node, timeout: float = 30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = _persistence(node)
        if p.get("aof_enabled") == "1" and p.get("aof_rewrite_in_progress") == "0":
            return
        time.sleep(0.05)
    pytest.fail(f"AOF not on at node {node.port}")


@pytest.mark.slow
def test_aof_follows_whole_slot_migration(cluster_factory):
    c = cluster_factory(3, replicas=0, node_timeout=5000)
    a, b = c.nodes[0], c.nodes[1]
    for node in (a, b):
        assert node.ok("CONFIG", "SET", "appendfsync", "always") == "OK"
        assert node.ok("CONFIG", "SET", "appendonly", "yes") == "OK"
    for node in (a, b):
        _wait_aof_on(node)
    a_slots = sorted(a.myself().slot_set())
    moving = a_slots[:40]
    staying = a_slots[40:60]
    data = {}
    with a.raw() as conn:
        for slot in moving + staying:
            for j in range(5):
                key = key_for_slot(slot, prefix=f"s{j}-")
                data[key] = f"{slot}:{j}"
                assert conn.cmd("SET", key, data[key]) == "OK"
        # A big hash moves in parts (appended on the target, logged as HSETs there).
        big = key_for_slot(moving[0], prefix="bighash-")
        for start in range(0, 20000, 1000):
            args = []
            for f in range(start, start + 1000):
                args += [f"f{f}", f"v{f}"]
            conn.cmd("HSET", big, *args)
    b_id = b.myself().id
    assert a.ok("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", moving[0], moving[-1], "NODE", b_id) == "OK"
    assert _wait_job(a)["state"] == "success"

    for node in (a, b):
        kill9(node)
        node.argv += ["--appendonly", "yes"]  # after COMMON_ARGS' "no": the later one wins
        node.restart()
    c.wait_ok(timeout=60)
    with b.raw() as conn:
        for slot in moving:
            for j in range(5):
                key = key_for_slot(slot, prefix=f"s{j}-")
                assert conn.cmd("GET", key) == data[key].encode(), key
        assert conn.cmd("HLEN", big) == 20000
        assert conn.cmd("HGET", big, "f19999") == b"v19999"
    with a.raw() as conn:
        for slot in moving:
            assert conn.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 0, slot
        for slot in staying:
            assert conn.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 5, slot
