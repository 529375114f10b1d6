"""CLUSTER BUMPEPOCH, SAVECONFIG, FLUSHSLOTS, RESET SOFT|HARD, announced hostnames with
cluster-preferred-endpoint-type, and Shoal's PURGESLOTS. All but the last are valid against
redis-server 7.0 (SHOAL_E2E_TARGET=redis)."""

from __future__ import annotations

import time

import pytest

from cluster_helpers import key_for_slot, key_slot
from helpers import RespConn, RespError


def _wait(cond, what: str, timeout: float = 20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_bumpepoch_saveconfig_flushslots_on_a_lone_node(cluster_factory):
    c = cluster_factory(n=1, create=False)
    node = c.nodes[0]
    assert node.ok("CLUSTER", "BUMPEPOCH") == "BUMPED 1"
    assert node.ok("CLUSTER", "BUMPEPOCH") == "STILL 1"
    assert node.info()["cluster_my_epoch"] == "1"
    assert node.ok("CLUSTER", "SAVECONFIG") == "OK"
    conf = node.nodes_conf.read_text()
    assert "vars currentEpoch 1 " in conf and "myself,master" in conf
    assert node.ok("CLUSTER", "ADDSLOTSRANGE", 0, 16383) == "OK"
    _wait(lambda: node.info()["cluster_state"] == "ok", "cluster_state:ok")
    assert node.ok("SET", "k", "v") == "OK"
    err = node.cmd("CLUSTER", "FLUSHSLOTS")
    assert isinstance(err, RespError) and err.text == "ERR DB must be empty to perform CLUSTER FLUSHSLOTS."
    assert node.ok("DEL", "k") == 1
    assert node.ok("CLUSTER", "FLUSHSLOTS") == "OK"
    assert node.info()["cluster_slots_assigned"] == "0"


def test_reset_soft_and_hard(cluster_factory):
    c = cluster_factory(n=2, create=False)
    a, b = c.nodes
    assert a.ok("CLUSTER", "MEET", "127.0.0.1", b.port) == "OK"
    _wait(lambda: a.info()["cluster_known_nodes"] == "2" and b.info()["cluster_known_nodes"] == "2", "the MEET")
    assert a.ok("CLUSTER", "ADDSLOTS", key_slot("k")) == "OK"
    # Two masters that meet with configEpoch 0 collide, and the one with the smaller ID bumps itself
    # (Redis's collision rule); depending on whether that ping came first, `a` may already hold the
    # unique highest epoch, and then BUMPEPOCH answers STILL.
    verdict, epoch = a.ok("CLUSTER", "BUMPEPOCH").split()
    assert verdict in ("BUMPED", "STILL") and int(epoch) > 0
    assert a.info()["cluster_my_epoch"] == epoch
    assert a.ok("CONFIG", "SET", "cluster-require-full-coverage", "no") == "OK"
    _wait(lambda: a.info()["cluster_state"] == "ok", "cluster_state:ok")
    assert a.ok("SET", "k", "v") == "OK"
    err = a.cmd("CLUSTER", "RESET")
    assert isinstance(err, RespError) and err.text == "ERR CLUSTER RESET can't be called with master nodes containing keys"
    assert a.ok("DEL", "k") == 1
    old_id = a.myid()
    assert a.ok("CLUSTER", "RESET", "SOFT") == "OK"
    assert a.myid() == old_id
    info = a.info()
    assert info["cluster_known_nodes"] == "1" and info["cluster_slots_assigned"] == "0"
    assert info["cluster_current_epoch"] != "0"
    assert a.ok("CLUSTER", "RESET", "HARD") == "OK"
    assert a.myid() != old_id
    info = a.info()
    assert info["cluster_current_epoch"] == "0" and info["cluster_my_epoch"] == "0"
    err = a.cmd("CLUSTER", "RESET", "SOMETIMES")
    assert isinstance(err, RespError) and err.text == "ERR syntax error"


def test_announced_hostnames_in_redirects(cluster_factory):
    c = cluster_factory(n=3, replicas=0)
    for node in c.nodes:
        assert node.ok("CONFIG", "SET", "cluster-announce-hostname", f"node-{node.port}.example") == "OK"
    a = c.nodes[0]
    other = c.non_owner_for_key("somekey")
    owner = c.master_for_key("somekey")
    assert other.ok("CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname") == "OK"

    def moved_by_hostname():
        with RespConn(other.port) as conn:
            reply = conn.cmd("GET", "somekey")
        return isinstance(reply, RespError) and reply.text.endswith(f"node-{owner.port}.example:{owner.port}")

    _wait(moved_by_hostname, "MOVED naming the owner's hostname")
    assert f",node-{owner.port}.example" in other.text("CLUSTER", "NODES")
    # Every node's hostname reaches the others in gossip (a ping extension).
    _wait(lambda: {r[2][0] for r in other.ok("CLUSTER", "SLOTS")} == {f"node-{n.port}.example".encode() for n in c.nodes},
          "every hostname in CLUSTER SLOTS")
    assert other.ok("CONFIG", "SET", "cluster-preferred-endpoint-type", "unknown-endpoint") == "OK"
    with RespConn(other.port) as conn:
        # Redis 7.0 leaves the endpoint empty.
        assert conn.cmd("GET", "somekey").text.endswith(f" :{owner.port}")
    err = a.cmd("CONFIG", "SET", "cluster-announce-hostname", "bad_host!")
    assert isinstance(err, RespError) and "Hostnames may only contain alphanumeric characters" in err.text


@pytest.mark.shoal_only
def test_purgeslots_drops_only_slots_not_owned(cluster_factory):
    c = cluster_factory(n=3, replicas=0)
    a_line, b_line = c.masters()[0], c.masters()[1]
    a, b = c.node(a_line.port), c.node(b_line.port)
    foreign = min(a_line.slot_set())
    own = min(b_line.slot_set())
    k_foreign, k_own = key_for_slot(foreign), key_for_slot(own)
    assert a.ok("SET", k_foreign, "v") == "OK"
    payload = a.ok("DUMP", k_foreign)
    assert b.ok("CLUSTER", "SETSLOT", foreign, "IMPORTING", a_line.id) == "OK"
    with RespConn(b.port) as cb:
        assert cb.cmd("RESTORE-ASKING", k_foreign, 0, payload) == "OK"
        assert cb.cmd("SET", k_own, "mine") == "OK"
        assert cb.cmd("CLUSTER", "COUNTKEYSINSLOT", foreign) == 1
        # The owned slot is left alone, the imported one is emptied.
        assert cb.cmd("CLUSTER", "PURGESLOTS", foreign, own) == 1
        assert cb.cmd("CLUSTER", "COUNTKEYSINSLOT", foreign) == 0
        assert cb.cmd("GET", k_own) == b"mine"
        assert cb.cmd("CLUSTER", "PURGESLOTS", 16384).text == "ERR Invalid or out of range slot"
    assert a.ok("GET", k_foreign) == b"v"
