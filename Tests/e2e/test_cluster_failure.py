"""Redis Cluster tests that break their cluster, each on a small cluster of its own: failure
detection (PFAIL `fail?` then FAIL `fail` in CLUSTER NODES) and a node restarted from its nodes.conf.

Timing: the nodes run with a short cluster-node-timeout and the tests poll with generous limits;
nothing asserts how fast a step happens, only that it happens within a bound.
"""

from __future__ import annotations

import re
import signal
import time

import pytest

from cluster_helpers import key_for_slot, stable_view
from helpers import wait_for

pytestmark = pytest.mark.slow

NODE_TIMEOUT_MS = 1500


def flags_of(node, target_id: str) -> frozenset:
    for line in node.nodes():
        if line.id == target_id:
            return line.flags
    return frozenset()


def test_failure_detection_pfail_then_fail(cluster_factory):
    """Kill -9 master A and SIGSTOP master B: the live nodes mark both `fail?` (PFAIL) and cannot
    go further, since FAIL needs failure reports from a majority of the masters (2 of 3) and only C
    is left to report. SIGCONT B: B and C together are a majority, so A becomes `fail` everywhere
    (and B's `fail?` clears). The stop of B is what makes the PFAIL stage observable without any
    timing luck."""
    c = cluster_factory(6, replicas=1, node_timeout=NODE_TIMEOUT_MS)
    view = c.view()
    masters = sorted((x for x in view if x.role == "master"), key=lambda x: x.port)
    a, b, cm = masters
    node_a, node_b = c.node(a.port), c.node(b.port)
    live = [n for n in c.nodes if n.port not in (a.port, b.port)]  # C and the three replicas

    node_a.signal(signal.SIGKILL)
    node_a.wait_exit(timeout=10)
    node_b.signal(signal.SIGSTOP)
    try:
        def both_pfail():
            return all({"fail?"} <= flags_of(n, a.id) and {"fail?"} <= flags_of(n, b.id) for n in live)
        wait_for(both_pfail, timeout=30, interval=0.1, what="every live node to flag A and B `fail?`")
        # Without a majority of masters nobody may promote PFAIL to FAIL: still `fail?` a while later.
        time.sleep(2 * NODE_TIMEOUT_MS / 1000)
        for n in live:
            fa, fb = flags_of(n, a.id), flags_of(n, b.id)
            assert "fail?" in fa and "fail" not in fa, (n.port, fa)
            assert "fail?" in fb and "fail" not in fb, (n.port, fb)
        assert all(int(n.info()["cluster_slots_pfail"]) > 0 for n in live if n.port == cm.port)
    finally:
        node_b.signal(signal.SIGCONT)

    everyone = live + [node_b]

    def a_failed():
        return all("fail" in flags_of(n, a.id) for n in everyone)
    wait_for(a_failed, timeout=60, interval=0.1, what="every node to flag A `fail` once B is back")
    wait_for(lambda: all(not ({"fail?", "fail"} & flags_of(n, b.id)) for n in everyone), timeout=60,
             interval=0.1, what="B's `fail?` to clear once it answers again")
    for n in everyone:
        line = next(x for x in n.nodes() if x.id == a.id)
        assert "fail?" not in line.flags
        assert line.link_state == "disconnected"
    # NOTE: replica failover. Against redis-server, A's replica may now win an election and take A's
    # slots (once it has synced with A before A died); A then stays `master,fail` without slots.
    # Shoal: replica failover is a later issue. So this test checks only the PFAIL -> FAIL marking
    # above and accepts either outcome for A's replica (master with A's slots, or still a replica).
    replica_of_a = next(x for x in view if x.master == a.id)
    line = next(x for x in c.node(cm.port).nodes() if x.id == replica_of_a.id)
    assert (line.role == "slave" and line.master == a.id) or \
        (line.role == "master" and (line.slots == a.slots or not line.slots)), line


NODES_CONF_VARS = re.compile(r"^vars currentEpoch (\d+) lastVoteEpoch (\d+)$", re.M)


def test_restart_from_nodes_conf(cluster_factory):
    c = cluster_factory(3, replicas=0, node_timeout=5000)
    node = c.nodes[1]
    before_view = node.nodes()
    me = next(x for x in before_view if "myself" in x.flags)
    info = node.info()
    text = node.nodes_conf.read_text()
    vars_before = NODES_CONF_VARS.search(text)
    assert vars_before, text
    assert me.id in text and "myself" in text

    node.stop()  # SIGTERM: a clean shutdown (Redis saves nodes.conf on the way out)
    assert node.returncode == 0, node.log_tail()
    text_after_stop = node.nodes_conf.read_text()
    assert NODES_CONF_VARS.search(text_after_stop)
    line = next(x for x in text_after_stop.splitlines() if "myself" in x)
    assert line.startswith(me.id + " ")

    node.restart()  # same port, same dir, same --cluster-config-file
    assert node.myid() == me.id
    c.wait_ok(timeout=60)
    c.wait_converged(timeout=60)
    after = node.myself()
    assert after.id == me.id and after.slots == me.slots and after.role == "master"
    assert after.config_epoch == me.config_epoch
    info_after = node.info()
    assert info_after["cluster_current_epoch"] == info["cluster_current_epoch"]
    assert info_after["cluster_my_epoch"] == info["cluster_my_epoch"]
    assert info_after["cluster_known_nodes"] == "3"
    # every node, the restarted one included, has the same view as before
    for n in c.nodes:
        assert stable_view(n.nodes()) == stable_view(before_view)
    vars_after = NODES_CONF_VARS.search(node.nodes_conf.read_text())
    assert vars_after and vars_after.groups() == vars_before.groups()
    # and it serves its slots again
    key = key_for_slot(min(me.slot_set()))
    assert node.cmd("SET", key, "after-restart") == "OK"
    assert node.cmd("GET", key) == b"after-restart"
