"""The cluster bus (port+10000) on the wire: what a node answers to a well-formed PING from a
stranger, that hostile input cannot crash a node or change its view of the cluster, and
interoperability with a real redis-server node in the same cluster.

(This module sorts after the other users of the shared cluster on purpose: if hostile input ever
kills a node, only the tests here see it.)

Message layout: Redis 7.0's clusterMsg, protocol version 1 (see cluster_helpers.bus_header).
"""

from __future__ import annotations

import random
import shutil
import struct
import time

import pytest

from cluster_helpers import (
    BUS_GOSSIP_LEN, BUS_HEADER_LEN, MSG_FAIL, MSG_MEET, MSG_PING, MSG_PONG, MSG_UPDATE, ClusterNode,
    bus_connect, bus_header, cluster_ports, gossip_entry, peer_closes, read_bus_message, redis_cli,
    stable_view,
)
from helpers import RespConn, wait_for

REDIS_SERVER = shutil.which("redis-server")

STRANGER = b"0123456789abcdef0123456789abcdef01234567"  # a node name nobody knows


def _views(c):
    return {n.port: stable_view(n.nodes()) for n in c.nodes}


def _slots_from_bitmap(bitmap: bytes) -> set[int]:
    return {i for i in range(len(bitmap) * 8) if bitmap[i // 8] & (1 << (i & 7))}


def test_bus_answers_ping_from_a_stranger_with_pong(cluster6):
    """Redis replies to any well-formed PING with a PONG that describes itself, even from a node it
    does not know (and adds nothing to its view: only MEET does that)."""
    target = cluster6.node(cluster6.masters()[0].port)
    me = target.myself()
    before = _views(cluster6)
    # a PING from an unknown sender, carrying gossip about another unknown node
    msg = bus_header(BUS_HEADER_LEN + BUS_GOSSIP_LEN, type_=MSG_PING, count=1, sender=STRANGER) + \
        gossip_entry(name=b"9" * 40, port=1, cport=10001)
    with bus_connect(target.port) as s:
        s.sendall(msg)
        reply = read_bus_message(s)
    assert reply is not None, "the node closed the link instead of answering PONG"
    sig, totlen, ver, port, type_, count = struct.unpack(">4sIHHHH", reply[:16])
    assert (sig, ver, type_) == (b"RCmb", 1, MSG_PONG)
    assert totlen == len(reply) >= BUS_HEADER_LEN + count * BUS_GOSSIP_LEN
    assert port == target.port
    sender = reply[40:80].decode()
    assert sender == me.id
    assert _slots_from_bitmap(reply[80:80 + 2048]) == me.slot_set()
    cport, = struct.unpack(">H", reply[2248:2250])
    assert cport == target.bus_port
    time.sleep(0.5)
    assert _views(cluster6) == before
    assert all(b"9" * 40 not in n.text("CLUSTER", "NODES").encode() for n in cluster6.nodes)


def _probes(rng: random.Random, victim_id: bytes):
    """(name, payload, peer must close?) -- hostile inputs for one bus connection each."""
    yield "garbage text", b"hello world\r\n" * 200, True
    yield "wrong signature", b"XXXX" + struct.pack(">I", BUS_HEADER_LEN) + bytes(BUS_HEADER_LEN - 8), True
    yield "totlen below the header size", bus_header(16), True
    yield "totlen zero", bus_header(0)[:8] + bytes(100), True
    yield "huge totlen, then 64 KiB", bus_header(0xFFFFFFFF) + bytes(65536), False
    yield "huge totlen, header only", bus_header(0x7FFFFFFF)[:64], False
    yield "truncated message", bus_header(BUS_HEADER_LEN + BUS_GOSSIP_LEN, count=1)[:1000], False
    yield "gossip count beyond totlen", \
        bus_header(BUS_HEADER_LEN + BUS_GOSSIP_LEN, count=1000, sender=STRANGER) + gossip_entry(), False
    yield "MEET with gossip count beyond totlen", \
        bus_header(BUS_HEADER_LEN + BUS_GOSSIP_LEN, type_=MSG_MEET, count=50, sender=STRANGER) + gossip_entry(), False
    yield "MEET with totlen beyond its gossip", \
        bus_header(BUS_HEADER_LEN + 3 * BUS_GOSSIP_LEN, type_=MSG_MEET, count=1, sender=STRANGER) + gossip_entry() + \
        bytes(2 * BUS_GOSSIP_LEN), False
    yield "protocol version 9", bus_header(BUS_HEADER_LEN, ver=9, sender=STRANGER), False
    yield "unknown message type", bus_header(BUS_HEADER_LEN, type_=4242, sender=STRANGER), False
    yield "FAIL from a stranger about a real node", \
        bus_header(BUS_HEADER_LEN + 40, type_=MSG_FAIL, sender=STRANGER) + victim_id, False
    # UPDATE: configEpoch, nodename, slots bitmap -- a stranger claiming every slot for a real node
    yield "UPDATE from a stranger", \
        bus_header(BUS_HEADER_LEN + 2096, type_=MSG_UPDATE, sender=STRANGER, current_epoch=1 << 40,
                   config_epoch=1 << 40) + struct.pack(">Q", 1 << 40) + victim_id + b"\xff" * 2048, False
    yield "PING with a short gossip entry", \
        bus_header(BUS_HEADER_LEN + 50, type_=MSG_PING, count=1, sender=STRANGER) + gossip_entry()[:50], False
    yield "PING header cut at the sender name", bus_header(BUS_HEADER_LEN, sender=STRANGER)[:60], False
    # random bodies behind a valid signature and length (never MEET, which would legitimately start
    # a handshake with the stranger)
    for i in range(20):
        body_len = rng.choice([0, 1, 40, 104, 2096, rng.randrange(0, 5000)])
        type_ = rng.choice([MSG_PING, MSG_PONG, MSG_FAIL, MSG_UPDATE, 5, 6, 8, 9, 10, 11, 200])
        h = bytearray(bus_header(BUS_HEADER_LEN + body_len, type_=type_, count=rng.randrange(0, 65536),
                                 sender=STRANGER, flags=rng.randrange(0, 65536)))
        for _ in range(rng.randrange(0, 64)):  # flip bytes after the signature/length/type
            h[rng.randrange(16, len(h))] = rng.randrange(256)
        yield f"random #{i}", bytes(h) + rng.randbytes(body_len), False


def test_hostile_bus_input(cluster6):
    master = cluster6.masters()[0]
    target = cluster6.node(master.port)
    victim = cluster6.masters()[1]
    before = _views(cluster6)
    rng = random.Random(20240601)
    for name, payload, must_close in _probes(rng, victim.id.encode()):
        s = bus_connect(target.port)
        try:
            try:
                s.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                assert must_close, f"{name}: connection dropped while sending"
            if must_close:
                assert peer_closes(s, timeout=5), f"{name}: the node kept the link open"
            else:
                peer_closes(s, timeout=0.2)  # whatever it does, give it a moment
        finally:
            s.close()
        with RespConn(target.port, timeout=5) as c:
            assert c.cmd("PING") == "PONG", f"no PONG after: {name}"
        assert target.alive(), f"node died after: {name}\n{target.log_tail()}"
    time.sleep(1.0)
    # nothing of it changed what any node believes
    cluster6.wait_converged(timeout=30)
    assert _views(cluster6) == before
    for n in cluster6.nodes:
        text = n.text("CLUSTER", "NODES")
        assert STRANGER.decode() not in text
        assert n.info()["cluster_state"] == "ok"
        assert not any({"fail?", "fail", "handshake"} & x.flags for x in n.nodes())


# ---------------------------------------------------------------------------------------------
# Interop: a real redis-server node joins a cluster of target-binary masters.

@pytest.mark.shoal_only
@pytest.mark.slow
def test_interop_redis_node_joins_and_replicates(cluster_factory):
    """3 masters of the target binary (created by redis-cli), then a redis-server cluster node MEETs
    them; both sides must agree on ids, roles and slot owners. Then the redis-server node becomes a
    replica of one of them (CLUSTER REPLICATE) and both sides show it so.
    (With SHOAL_E2E_TARGET=redis this would be redis + redis, hence shoal_only.)"""
    assert REDIS_SERVER, "redis-server not installed"
    c = cluster_factory(3, replicas=0, node_timeout=5000)
    rnode = ClusterNode(cluster_ports(1)[0], node_timeout=5000, name="interop-redis", binary=REDIS_SERVER)
    c.nodes.append(rnode)  # stopped and cleaned with the cluster
    rnode.start()
    shoal_node = c.nodes[0]
    assert rnode.ok("CLUSTER", "MEET", "127.0.0.1", shoal_node.port) == "OK"
    views = c.wait_converged(timeout=60, expect_nodes=4)
    rid = rnode.myid()
    from_redis = stable_view(views[rnode.port])
    from_shoal = stable_view(views[shoal_node.port])
    assert from_redis == from_shoal
    lines = {x.id: x for x in rnode.nodes()}
    assert lines[rid].role == "master" and lines[rid].slots == ()
    masters = sorted((x for x in lines.values() if x.slots), key=lambda x: x.port)
    assert [x.port for x in masters] == sorted(n.port for n in c.nodes[:3])
    assert {x.id for x in shoal_node.nodes()} == set(lines)
    c.wait_ok(timeout=60)

    target_master = masters[0]
    assert rnode.ok("CLUSTER", "REPLICATE", target_master.id) == "OK"

    def replica_everywhere():
        for n in c.nodes:
            line = next((x for x in n.nodes() if x.id == rid), None)
            if line is None or line.role != "slave" or line.master != target_master.id:
                return False
        return True
    wait_for(replica_everywhere, timeout=60, interval=0.2,
             what="every node (redis and target) to show the redis node as a replica")
    views = c.wait_converged(timeout=60, expect_nodes=4)
    assert stable_view(views[rnode.port]) == stable_view(views[shoal_node.port])
    replicas = c.node(target_master.port).cmd("CLUSTER", "REPLICAS", target_master.id)
    assert len(replicas) == 1 and replicas[0].decode().startswith(rid + " ")
    res = redis_cli("--cluster", "check", f"127.0.0.1:{shoal_node.port}")
    assert res.returncode == 0 and "All 16384 slots covered" in res.stdout, res.stdout + res.stderr
