"""cluster-require-full-coverage and cluster-allow-reads-when-down: what a node answers while a
slot is unowned. Valid against redis-server 7.0."""

from __future__ import annotations

import time

import pytest

from cluster_helpers import key_for_slot
from helpers import RespConn, RespError


def _wait_state(node, state: str, timeout: float = 20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if node.info().get("cluster_state") == state:
            return
        time.sleep(0.1)
    pytest.fail(f"port {node.port}: cluster_state never became {state}")


def test_unowned_slot_and_down_state(cluster_factory):
    c = cluster_factory(n=3, replicas=0)
    a_line = c.masters()[0]
    a = c.node(a_line.port)
    lost = min(a_line.slot_set())
    kept = max(a_line.slot_set())
    k_lost, k_kept = key_for_slot(lost), key_for_slot(kept)
    assert a.ok("SET", k_kept, "v") == "OK"
    for node in c.nodes:
        node.ok("CLUSTER", "DELSLOTS", lost)
    _wait_state(a, "fail")
    with RespConn(a.port) as ca:
        assert ca.cmd("GET", k_lost).text == "CLUSTERDOWN Hash slot not served"
        assert ca.cmd("GET", k_kept).text == "CLUSTERDOWN The cluster is down"
        assert ca.cmd("CONFIG", "SET", "cluster-allow-reads-when-down", "yes") == "OK"
        assert ca.cmd("GET", k_kept) == b"v"
        assert ca.cmd("SET", k_kept, "w").text == \
            "CLUSTERDOWN The cluster is down and only accepts read commands"
        assert ca.cmd("CONFIG", "SET", "cluster-require-full-coverage", "no") == "OK"
    _wait_state(a, "ok")
    with RespConn(a.port) as ca:
        assert ca.cmd("SET", k_kept, "w") == "OK"
        assert ca.cmd("GET", k_lost).text == "CLUSTERDOWN Hash slot not served"
        assert ca.cmd("CONFIG", "GET", "cluster-require-full-coverage") == [b"cluster-require-full-coverage", b"no"]
