"""CLUSTER SETSLOT and the redirections of a slot in migration: -ASK from the source for keys it
no longer has, ASKING on the target (one command only), -TRYAGAIN for multi-key commands whose
keys are split between the two nodes, and the handoff with SETSLOT NODE. Valid against
redis-server 7.0 (SHOAL_E2E_TARGET=redis)."""

from __future__ import annotations

import time

import pytest

from cluster_helpers import key_slot
from helpers import RespConn, RespError


def _keys_in_slot(slot: int, n: int) -> list[str]:
    """n keys of slot `slot`, all sharing one hash tag."""
    tag = None
    i = 0
    while tag is None:
        if key_slot(f"{{t{i}}}") == slot:
            tag = f"t{i}"
        i += 1
    return [f"{{{tag}}}:{j}" for j in range(n)]


def _err(v) -> str:
    assert isinstance(v, RespError), v
    return v.text


@pytest.fixture
def three_masters(cluster_factory):
    return cluster_factory(n=3, replicas=0)


def test_setslot_migration_redirections(three_masters):
    c = three_masters
    masters = c.masters()
    a_line, b_line = masters[0], masters[1]
    a, b = c.node(a_line.port), c.node(b_line.port)
    slot = min(a_line.slot_set())
    k_present, k_moved = _keys_in_slot(slot, 2)
    assert a.ok("SET", k_present, "here") == "OK"

    # Open the slot: importing on the target first, then migrating on the source (redis-cli's order).
    assert b.ok("CLUSTER", "SETSLOT", slot, "IMPORTING", a_line.id) == "OK"
    assert a.ok("CLUSTER", "SETSLOT", slot, "MIGRATING", b_line.id) == "OK"
    a_nodes = a.text("CLUSTER", "NODES")
    b_nodes = b.text("CLUSTER", "NODES")
    assert f"[{slot}->-{b_line.id}]" in a_nodes
    assert f"[{slot}-<-{a_line.id}]" in b_nodes

    with RespConn(a.port) as ca, RespConn(b.port) as cb:
        # Source: a key it has is served, a key it lacks is sent to the target with -ASK.
        assert ca.cmd("GET", k_present) == b"here"
        assert _err(ca.cmd("GET", k_moved)) == f"ASK {slot} 127.0.0.1:{b.port}"
        # Keys split between the nodes: TRYAGAIN.
        assert _err(ca.cmd("MGET", k_present, k_moved)).startswith("TRYAGAIN")
        # Target: without ASKING the slot is still the source's.
        assert _err(cb.cmd("GET", k_moved)) == f"MOVED {slot} 127.0.0.1:{a.port}"
        assert cb.cmd("ASKING") == "OK"
        assert cb.cmd("SET", k_moved, "there") == "OK"
        # ASKING lasts one command.
        assert _err(cb.cmd("GET", k_moved)) == f"MOVED {slot} 127.0.0.1:{a.port}"
        assert cb.cmd("ASKING") == "OK"
        assert cb.cmd("GET", k_moved) == b"there"
        # Several keys on the target while one is still on the source: TRYAGAIN.
        assert cb.cmd("ASKING") == "OK"
        assert _err(cb.cmd("MGET", k_present, k_moved)).startswith("TRYAGAIN")
        # The same key twice is one key: served.
        assert cb.cmd("ASKING") == "OK"
        assert cb.cmd("MGET", k_moved, k_moved) == [b"there", b"there"]

    # The source refuses to give the slot away while it holds keys of it.
    err = _err(a.cmd("CLUSTER", "SETSLOT", slot, "NODE", b_line.id))
    assert err == (f"ERR Can't assign hashslot {slot} to a different node while I still hold keys "
                   "for this hash slot.")
    assert a.ok("DEL", k_present) == 1
    # Handoff: target first, then source, then the other master (redis-cli's order).
    for node in (b, a, c.node(masters[2].port)):
        assert node.ok("CLUSTER", "SETSLOT", slot, "NODE", b_line.id) == "OK"
    assert "->-" not in a.text("CLUSTER", "NODES") and "-<-" not in b.text("CLUSTER", "NODES")
    assert _err(a.cmd("GET", k_moved)) == f"MOVED {slot} 127.0.0.1:{b.port}"
    assert b.ok("GET", k_moved) == b"there"
    # The new owner's claim wins everywhere (it took a new config epoch).
    deadline = time.time() + 20
    while time.time() < deadline:
        if all(slot in c.owner_of(slot, n.nodes()).slot_set() and c.owner_of(slot, n.nodes()).id == b_line.id
               for n in c.nodes):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the slot's new owner did not propagate")


def test_setslot_errors(three_masters):
    c = three_masters
    masters = c.masters()
    a_line, b_line = masters[0], masters[1]
    a, b = c.node(a_line.port), c.node(b_line.port)
    slot_a = min(a_line.slot_set())
    slot_b = min(b_line.slot_set())
    assert _err(a.cmd("CLUSTER", "SETSLOT", slot_b, "MIGRATING", b_line.id)) == \
        f"ERR I'm not the owner of hash slot {slot_b}"
    assert _err(a.cmd("CLUSTER", "SETSLOT", slot_a, "IMPORTING", b_line.id)) == \
        f"ERR I'm already the owner of hash slot {slot_a}"
    unknown = "f" * 40
    assert _err(a.cmd("CLUSTER", "SETSLOT", slot_a, "MIGRATING", unknown)) == f"ERR I don't know about node {unknown}"
    assert _err(b.cmd("CLUSTER", "SETSLOT", slot_a, "IMPORTING", unknown)) == f"ERR I don't know about node {unknown}"
    assert _err(a.cmd("CLUSTER", "SETSLOT", slot_a, "NODE", unknown)) == f"ERR Unknown node {unknown}"
    assert _err(a.cmd("CLUSTER", "SETSLOT", slot_a, "BOGUS")) == \
        "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"
    assert _err(a.cmd("CLUSTER", "SETSLOT", 16384, "STABLE")) == "ERR Invalid or out of range slot"
    # STABLE closes an open slot.
    assert a.ok("CLUSTER", "SETSLOT", slot_a, "MIGRATING", b_line.id) == "OK"
    assert a.ok("CLUSTER", "SETSLOT", slot_a, "STABLE") == "OK"
    assert "->-" not in a.text("CLUSTER", "NODES")
