"""Redis Cluster: creating a 3 masters + 3 replicas cluster with `redis-cli --cluster create`, and
what every node then says about it (CLUSTER NODES / SLOTS / SHARDS / INFO / LINKS ..., INFO,
nodes.conf), plus the exact error texts of the single-node CLUSTER subcommands.

All tests but the lone-node ones share one cluster (the session fixture `cluster6`), so they read,
or write only keys they delete again; tests that break a cluster are in test_cluster_failure.py.
Every expected text here was read from redis-server 7.0.15 (SHOAL_E2E_TARGET=redis).
"""

from __future__ import annotations

import re

import pytest

from cluster_helpers import (
    CLUSTER_SLOTS, ClusterNode, cluster_ports, key_for_slot, key_slot, parse_cluster_info,
    parse_cluster_nodes, redis_cli, stable_view,
)
from helpers import RespConn, RespError, b2s, parse_info, wait_for

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEX40 = re.compile(r"^[0-9a-f]{40}$")


def plain(text: str) -> str:
    return ANSI.sub("", text)


def flush_cluster(c):
    """Empty every node: FLUSHALL on the masters, then wait until the replicas follow."""
    for n in c.masters():
        assert c.node(n.port).cmd("FLUSHALL") == "OK"
    wait_for(lambda: all(node.cmd("DBSIZE") == 0 for node in c.nodes), timeout=30,
             what="every node of the cluster to be empty")


# ---------------------------------------------------------------------------------------------
# Creation and the agreed view

def test_create_reaches_ok_on_all_six(cluster6):
    out = plain(cluster6.create_result.stdout)
    assert "[OK] All nodes agree about slots configuration." in out
    assert "[OK] All 16384 slots covered." in out
    for node in cluster6.nodes:
        info = node.info()
        assert info["cluster_state"] == "ok", (node.port, info)
        assert info["cluster_slots_assigned"] == "16384"
        assert info["cluster_slots_ok"] == "16384"


def test_redis_cli_cluster_check(cluster6):
    for node in (cluster6.nodes[0], cluster6.nodes[-1]):
        res = redis_cli("--cluster", "check", f"127.0.0.1:{node.port}")
        out = plain(res.stdout)
        assert res.returncode == 0, out + res.stderr
        assert "[OK] All nodes agree about slots configuration." in out
        assert "[OK] All 16384 slots covered." in out
        assert "[ERR]" not in out and "[WARNING]" not in out, out


def test_cluster_nodes_same_on_every_node(cluster6):
    ports = {n.port for n in cluster6.nodes}
    views = {}
    for node in cluster6.nodes:
        lines = node.nodes()
        assert len(lines) == 6, lines
        me = [x for x in lines if "myself" in x.flags]
        assert len(me) == 1 and me[0].port == node.port
        assert me[0].id == node.myid()
        assert {x.port for x in lines} == ports
        for x in lines:
            assert x.ip == "127.0.0.1"
            assert x.cport == x.port + 10000
            assert x.addr == f"127.0.0.1:{x.port}@{x.port + 10000}"
            assert x.link_state == "connected"
            assert x.flags - {"myself"} in ({"master"}, {"slave"}), x.flags
        views[node.port] = lines
    first = stable_view(views[cluster6.nodes[0].port])
    for port, lines in views.items():
        assert stable_view(lines) == first, f"node {port} disagrees"

    lines = views[cluster6.nodes[0].port]
    masters = [x for x in lines if x.role == "master"]
    replicas = [x for x in lines if x.role == "slave"]
    assert len(masters) == 3 and len(replicas) == 3
    assert all(x.master == "-" for x in masters)
    # redis-cli's layout: three even ranges.
    assert sorted(x.slots for x in masters) == [("0-5460",), ("10923-16383",), ("5461-10922",)]
    covered = [s for m in masters for s in m.slot_set()]
    assert len(covered) == CLUSTER_SLOTS and set(covered) == set(range(CLUSTER_SLOTS))
    # every master has exactly one replica; a replica shows its master's config epoch
    by_id = {x.id: x for x in lines}
    assert sorted(r.master for r in replicas) == sorted(m.id for m in masters)
    for r in replicas:
        assert r.slots == ()
        assert r.config_epoch == by_id[r.master].config_epoch
    # redis-cli --cluster create gives every node its own config epoch (1..6)
    assert len({m.config_epoch for m in masters}) == 3
    assert all(m.config_epoch >= 1 for m in masters)


def test_cluster_slots_shape(cluster6):
    view = cluster6.view()
    by_id = {x.id: x for x in view}
    for node in cluster6.nodes:
        with RespConn(node.port) as c:
            reply = b2s(c.cmd("CLUSTER", "SLOTS"))
        assert isinstance(reply, list) and len(reply) == 3
        ranges = sorted((e[0], e[1]) for e in reply)
        assert ranges == [(0, 5460), (5461, 10922), (10923, 16383)]
        for entry in reply:
            start, end, master, *reps = entry
            assert isinstance(start, int) and isinstance(end, int)
            assert len(master) == 4 and master[0] == "127.0.0.1" and isinstance(master[1], int)
            assert HEX40.match(master[2]) and master[3] == []
            m = by_id[master[2]]
            assert m.role == "master" and m.port == master[1]
            assert m.slots == (f"{start}-{end}",)
            # Redis lists a replica only once it has a replication offset (it has synced): 0 or 1 here.
            assert len(reps) <= 1
            for r in reps:
                assert len(r) == 4 and r[0] == "127.0.0.1" and r[3] == []
                assert by_id[r[2]].master == m.id and by_id[r[2]].port == r[1]


def test_cluster_shards_shape(cluster6):
    view = cluster6.view()
    by_id = {x.id: x for x in view}
    for node in (cluster6.nodes[0], cluster6.nodes[3]):
        with RespConn(node.port) as c:
            reply = b2s(c.cmd("CLUSTER", "SHARDS"))
        assert isinstance(reply, list) and len(reply) == 3
        seen = set()
        for shard in reply:
            assert shard[0::2] == ["slots", "nodes"], shard
            slots, nodes = shard[1], shard[3]
            assert len(slots) == 2 and all(isinstance(s, int) for s in slots)
            assert len(nodes) == 2
            roles = []
            for n in nodes:
                # RESP2: a flat map, in Redis's order
                assert n[0::2] == ["id", "port", "ip", "endpoint", "role", "replication-offset", "health"], n
                d = dict(zip(n[0::2], n[1::2]))
                line = by_id[d["id"]]
                seen.add(d["id"])
                assert d["port"] == line.port and d["ip"] == "127.0.0.1" and d["endpoint"] == "127.0.0.1"
                assert d["role"] == {"master": "master", "slave": "replica"}[line.role]
                assert isinstance(d["replication-offset"], int) and d["replication-offset"] >= 0
                assert d["health"] in ("online", "loading", "failed")
                roles.append(d["role"])
                if d["role"] == "master":
                    assert line.slots == (f"{slots[0]}-{slots[1]}",)
                    assert d["health"] == "online"
            assert sorted(roles) == ["master", "replica"]
        assert seen == set(by_id)
    with RespConn(cluster6.nodes[0].port) as c:
        c.cmd("HELLO", "3")
        reply = b2s(c.cmd("CLUSTER", "SHARDS"))
        assert all(isinstance(s, dict) and set(s) == {"slots", "nodes"} for s in reply)
        assert all(isinstance(n, dict) for s in reply for n in s["nodes"])


INFO_FIELDS_7_0 = ["cluster_state", "cluster_slots_assigned", "cluster_slots_ok", "cluster_slots_pfail",
                   "cluster_slots_fail", "cluster_known_nodes", "cluster_size", "cluster_current_epoch",
                   "cluster_my_epoch"]


def test_cluster_info_fields(cluster6):
    epochs = {x.id: x.config_epoch for x in cluster6.view()}
    for node in cluster6.nodes:
        text = node.text("CLUSTER", "INFO")
        assert text.endswith("\r\n") and "\r\n" in text
        keys = [line.split(":", 1)[0] for line in text.split("\r\n") if line]
        assert keys[:len(INFO_FIELDS_7_0)] == INFO_FIELDS_7_0, keys
        info = parse_cluster_info(text)
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_pfail"] == "0" and info["cluster_slots_fail"] == "0"
        assert info["cluster_known_nodes"] == "6"
        assert info["cluster_size"] == "3"
        assert int(info["cluster_current_epoch"]) >= 6
        assert int(info["cluster_my_epoch"]) == epochs[node.myid()]
        for k in ("cluster_stats_messages_ping_sent", "cluster_stats_messages_pong_sent",
                  "cluster_stats_messages_sent", "cluster_stats_messages_ping_received",
                  "cluster_stats_messages_pong_received", "cluster_stats_messages_received"):
            assert k in info and int(info[k]) > 0, (k, info)
        sent = [k for k in info if re.fullmatch(r"cluster_stats_messages_[a-z-]+_sent", k)]
        received = [k for k in info if re.fullmatch(r"cluster_stats_messages_[a-z-]+_received", k)]
        assert sum(int(info[k]) for k in sent) == int(info["cluster_stats_messages_sent"])
        assert sum(int(info[k]) for k in received) == int(info["cluster_stats_messages_received"])
        assert info["total_cluster_links_buffer_limit_exceeded"] == "0"


def test_info_cluster_section_and_empty_keyspace(cluster6):
    flush_cluster(cluster6)
    for node in cluster6.nodes:
        text = node.info_text()
        sections = parse_info(text)
        assert sections["cluster"] == {"cluster_enabled": "1"}
        assert sections["server"]["redis_mode"] == "cluster"
        assert "# Keyspace" in text
        assert not re.search(r"^db\d+:", text, re.M), "no db line while the node holds no keys"
        assert node.info_text("cluster") == "# Cluster\r\ncluster_enabled:1\r\n"


def test_cluster_myid(cluster6):
    ids = set()
    for node in cluster6.nodes:
        myid = node.cmd("CLUSTER", "MYID")
        assert isinstance(myid, bytes) and HEX40.match(myid.decode())
        assert myid.decode() == node.myself().id
        ids.add(myid)
    assert len(ids) == 6


def test_cluster_myshardid(cluster6):
    # CLUSTER MYSHARDID came with Redis 7.2: 7.0 answers the unknown-subcommand error. A node that
    # has it must give a master and its replica the same 40-hex shard id, each shard its own.
    replies = {node.port: node.cmd("CLUSTER", "MYSHARDID") for node in cluster6.nodes}
    if all(isinstance(v, RespError) for v in replies.values()):
        for v in replies.values():
            assert v == RespError("ERR unknown subcommand 'MYSHARDID'. Try CLUSTER HELP.")
        return
    view = cluster6.view()
    shard_of_master = {}
    for x in view:
        sid = replies[x.port]
        assert isinstance(sid, bytes) and HEX40.match(sid.decode()), replies
        shard_of_master.setdefault(x.id if x.role == "master" else x.master, set()).add(sid)
    assert all(len(s) == 1 for s in shard_of_master.values())
    assert len({next(iter(s)) for s in shard_of_master.values()}) == 3


@pytest.mark.parametrize("key, slot", [
    ("foo", 12182), ("bar", 5061), ("", 0), ("123456789", 12739),
    ("{user1000}.following", 3443), ("{user1000}.followers", 3443), ("user1000", 3443),
    ("foo{}{bar}", key_slot("foo{}{bar}")), ("foo{{bar}}zap", key_slot("{bar")),
    ("foo{bar}{zap}", key_slot("bar")), ("{}", key_slot("{}")),
])
def test_cluster_keyslot(cluster6, key, slot):
    assert key_slot(key) == slot
    with RespConn(cluster6.nodes[1].port) as c:
        assert c.cmd("CLUSTER", "KEYSLOT", key) == slot
    with RespConn(cluster6.nodes[4].port) as c:  # a replica computes it the same
        assert c.cmd("CLUSTER", "KEYSLOT", key) == slot


def test_countkeysinslot_getkeysinslot(cluster6):
    slot = 100
    owner = cluster6.node(cluster6.owner_of(slot).port)
    other = cluster6.non_owner_for_key(key_for_slot(slot))
    keys = [f"{{{key_for_slot(slot, 'tag')}}}:{i}" for i in range(7)]
    assert all(key_slot(k) == slot for k in keys)
    with RespConn(owner.port) as c:
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
        assert c.cmd("CLUSTER", "GETKEYSINSLOT", slot, 10) == []
        try:
            for k in keys:
                assert c.cmd("SET", k, "v") == "OK"
            assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 7
            got = c.cmd("CLUSTER", "GETKEYSINSLOT", slot, 100)
            assert sorted(b2s(got)) == sorted(keys)
            assert len(c.cmd("CLUSTER", "GETKEYSINSLOT", slot, 3)) == 3
            assert c.cmd("CLUSTER", "GETKEYSINSLOT", slot, 0) == []
            assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", slot + 1) == 0
        finally:
            assert c.cmd("DEL", *keys) == 7
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    with RespConn(other.port) as c:  # not routed: another master just has no keys there
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    with RespConn(owner.port) as c:
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", 16384) == RespError("ERR Invalid slot")
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", -1) == RespError("ERR Invalid slot")
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", "x") == \
            RespError("ERR value is not an integer or out of range")
        assert c.cmd("CLUSTER", "GETKEYSINSLOT", 0, -1) == RespError("ERR Invalid slot or number of keys")
        assert c.cmd("CLUSTER", "GETKEYSINSLOT", 16384, 1) == RespError("ERR Invalid slot or number of keys")


def test_count_failure_reports(cluster6):
    view = cluster6.view()
    for node in cluster6.nodes[:2]:
        with RespConn(node.port) as c:
            for x in view:
                assert c.cmd("CLUSTER", "COUNT-FAILURE-REPORTS", x.id) == 0
            assert c.cmd("CLUSTER", "COUNT-FAILURE-REPORTS", "a" * 40) == RespError("ERR Unknown node " + "a" * 40)


LINK_FIELDS = ["direction", "node", "create-time", "events", "send-buffer-allocated", "send-buffer-used"]


def test_cluster_links_shape(cluster6):
    view = cluster6.view()
    for node in cluster6.nodes:
        others = {x.id for x in view if x.port != node.port}

        def links():
            with RespConn(node.port) as c:
                return b2s(c.cmd("CLUSTER", "LINKS"))

        def settled():
            ls = links()
            to = sorted(d["node"] for d in map(lambda e: dict(zip(e[0::2], e[1::2])), ls) if d["direction"] == "to")
            fr = sorted(d["node"] for d in map(lambda e: dict(zip(e[0::2], e[1::2])), ls) if d["direction"] == "from")
            return ls if to == sorted(others) and fr == sorted(others) else None

        ls = wait_for(settled, timeout=30, interval=0.2, what=f"node {node.port}: a link to and from every peer")
        assert len(ls) == 10
        for e in ls:
            assert e[0::2] == LINK_FIELDS, e
            d = dict(zip(e[0::2], e[1::2]))
            assert d["direction"] in ("to", "from")
            assert isinstance(d["create-time"], int) and d["create-time"] > 1_600_000_000_000  # ms
            assert isinstance(d["events"], str) and set(d["events"]) <= {"r", "w"}
            assert isinstance(d["send-buffer-allocated"], int) and isinstance(d["send-buffer-used"], int)


def test_cluster_replicas_and_slaves(cluster6):
    view = cluster6.view()
    by_id = {x.id: x for x in view}
    for node in (cluster6.nodes[0], cluster6.nodes[5]):
        with RespConn(node.port) as c:
            for m in (x for x in view if x.role == "master"):
                for sub in ("REPLICAS", "SLAVES"):
                    reply = b2s(c.cmd("CLUSTER", sub, m.id))
                    assert isinstance(reply, list) and len(reply) == 1, reply
                    line = parse_cluster_nodes(reply[0])[0]
                    assert line.master == m.id and line.role == "slave"
                    assert line.stable() == by_id[line.id].stable()
            r = next(x for x in view if x.role == "slave")
            assert c.cmd("CLUSTER", "REPLICAS", r.id) == RespError("ERR The specified node is not a master")
            assert c.cmd("CLUSTER", "SLAVES", r.id) == RespError("ERR The specified node is not a master")
            assert c.cmd("CLUSTER", "REPLICAS", "a" * 40) == RespError("ERR Unknown node " + "a" * 40)


def test_nodes_conf_format(cluster6):
    for node in cluster6.nodes:
        def saved():
            text = node.nodes_conf.read_text() if node.nodes_conf.exists() else ""
            lines = text.splitlines()
            return text if len(lines) == 7 and lines[-1].startswith("vars ") else None
        text = wait_for(saved, timeout=20, interval=0.2, what=f"{node.nodes_conf} with 6 nodes")
        lines = text.splitlines()
        m = re.fullmatch(r"vars currentEpoch (\d+) lastVoteEpoch (\d+)", lines[-1])
        assert m, lines[-1]
        assert int(m.group(1)) == int(node.info()["cluster_current_epoch"])
        saved_view = parse_cluster_nodes("\n".join(lines[:-1]))
        me = [x for x in saved_view if "myself" in x.flags]
        assert len(me) == 1 and me[0].id == node.myid() and me[0].port == node.port
        assert stable_view(saved_view) == stable_view(node.nodes())


# ---------------------------------------------------------------------------------------------
# Single-node CLUSTER subcommands: errors (exact Redis 7.0 texts) on the shared cluster. None of
# these changes anything when the node answers as Redis does.

def test_cluster_command_errors(cluster6):
    view = cluster6.view()
    me_node = cluster6.node(cluster6.masters()[0].port)
    me = me_node.myself()
    other_master = next(x for x in view if x.role == "master" and x.id != me.id)
    replica = next(x for x in view if x.role == "slave")
    mine, theirs = min(me.slot_set()), min(other_master.slot_set())
    unknown = "a" * 40
    with RespConn(me_node.port) as c:
        assert c.cmd("CLUSTER", "ADDSLOTS", mine) == RespError(f"ERR Slot {mine} is already busy")
        assert c.cmd("CLUSTER", "ADDSLOTS", theirs) == RespError(f"ERR Slot {theirs} is already busy")
        assert c.cmd("CLUSTER", "ADDSLOTSRANGE", theirs, theirs + 1) == \
            RespError(f"ERR Slot {theirs} is already busy")
        assert c.cmd("CLUSTER", "ADDSLOTSRANGE", 5, 1) == \
            RespError("ERR start slot number 5 is greater than end slot number 1")
        assert c.cmd("CLUSTER", "ADDSLOTS", 16384) == RespError("ERR Invalid or out of range slot")
        assert c.cmd("CLUSTER", "ADDSLOTS", "x") == RespError("ERR Invalid or out of range slot")
        assert c.cmd("CLUSTER", "SET-CONFIG-EPOCH", 99) == RespError(
            "ERR The user can assign a config epoch only when the node does not know any other node.")
        assert c.cmd("CLUSTER", "FORGET", me.id) == RespError("ERR I tried hard but I can't forget myself...")
        assert c.cmd("CLUSTER", "FORGET", unknown) == RespError(f"ERR Unknown node {unknown}")
        assert c.cmd("CLUSTER", "REPLICATE", unknown) == RespError(f"ERR Unknown node {unknown}")
        assert c.cmd("CLUSTER", "REPLICATE", me.id) == RespError("ERR Can't replicate myself")
        assert c.cmd("CLUSTER", "REPLICATE", replica.id) == \
            RespError("ERR I can only replicate a master, not a replica.")
        assert c.cmd("CLUSTER", "REPLICATE", other_master.id) == \
            RespError("ERR To set a master the node must be empty and without assigned slots.")
        assert c.cmd("CLUSTER", "SETSLOT", mine, "NODE", unknown) == RespError(f"ERR Unknown node {unknown}")
        assert c.cmd("CLUSTER", "KEYSLOT") == \
            RespError("ERR wrong number of arguments for 'cluster|keyslot' command")
        assert c.cmd("CLUSTER", "NOSUCHSUB") == \
            RespError("ERR unknown subcommand 'NOSUCHSUB'. Try CLUSTER HELP.")
    rnode = cluster6.node(replica.port)
    with RespConn(rnode.port) as c:
        assert c.cmd("CLUSTER", "FORGET", replica.master) == RespError("ERR Can't forget my master!")
    # nothing changed
    cluster6.wait_converged(timeout=10)
    assert stable_view(cluster6.view()) == stable_view(view)


# ---------------------------------------------------------------------------------------------
# A lone node in cluster mode (not part of any cluster): its own small state, so the commands that
# would change the shared cluster run here.

@pytest.fixture
def lone_node():
    node = ClusterNode(cluster_ports(1)[0], name="lone")
    try:
        node.start()
        yield node
    finally:
        node.cleanup()


def test_lone_node_slots_and_errors(lone_node):
    n = lone_node
    with RespConn(n.port) as c:
        info = parse_cluster_info(b2s(c.cmd("CLUSTER", "INFO")))
        assert info["cluster_state"] == "fail"
        # (not cluster_size: Redis starts it at 1 and recounts only 2 s after startup)
        assert info["cluster_known_nodes"] == "1"
        assert info["cluster_slots_assigned"] == "0"
        lines = parse_cluster_nodes(c.cmd("CLUSTER", "NODES"))
        assert len(lines) == 1 and lines[0].flags == {"myself", "master"} and lines[0].slots == ()
        assert c.cmd("CLUSTER", "SLOTS") == []
        assert c.cmd("GET", "foo") == RespError("CLUSTERDOWN Hash slot not served")
        assert c.cmd("SET", "foo", "bar") == RespError("CLUSTERDOWN Hash slot not served")
        assert c.cmd("CLUSTER", "DELSLOTS", 0) == RespError("ERR Slot 0 is already unassigned")
        assert c.cmd("CLUSTER", "DELSLOTSRANGE", 10, 20) == RespError("ERR Slot 10 is already unassigned")
        assert c.cmd("CLUSTER", "ADDSLOTS", 7) == "OK"
        assert c.cmd("CLUSTER", "ADDSLOTS", 7) == RespError("ERR Slot 7 is already busy")
        assert c.cmd("CLUSTER", "ADDSLOTS", 8, 8) == RespError("ERR Slot 8 specified multiple times")
        assert c.cmd("CLUSTER", "DELSLOTS", 7) == "OK"
        assert c.cmd("CLUSTER", "DELSLOTS", 7) == RespError("ERR Slot 7 is already unassigned")
        # a node that knows no other node may set its config epoch, once
        assert c.cmd("CLUSTER", "SET-CONFIG-EPOCH", 5) == "OK"
        assert c.cmd("CLUSTER", "SET-CONFIG-EPOCH", 6) == \
            RespError("ERR Node config epoch is already non-zero")
        assert c.cmd("CLUSTER", "SET-CONFIG-EPOCH", -1) == RespError("ERR Invalid config epoch specified: -1")
        assert c.cmd("SELECT", 1) == RespError("ERR SELECT is not allowed in cluster mode")
        assert c.cmd("SELECT", 0) == "OK"


def test_lone_node_owning_every_slot_serves_keys(lone_node):
    """One node that owns all 16384 slots: a cluster of one (tools/bench --only cluster measures it)."""
    n = lone_node
    with RespConn(n.port) as c:
        assert c.cmd("CLUSTER", "ADDSLOTSRANGE", 0, CLUSTER_SLOTS - 1) == "OK"
    wait_for(lambda: n.info()["cluster_state"] == "ok", timeout=30, what="cluster_state:ok on a one-node cluster")
    with RespConn(n.port) as c:
        info = parse_cluster_info(b2s(c.cmd("CLUSTER", "INFO")))
        assert info["cluster_slots_assigned"] == "16384" and info["cluster_size"] == "1"
        # A node learns its own IP from the first MEET it receives; one that never met anyone has none
        # yet, so Redis shows an empty IP (and ":port@cport" in CLUSTER NODES).
        assert b2s(c.cmd("CLUSTER", "SLOTS")) == [[0, 16383, ["", n.port, n.myid(), []]]]
        assert n.myself().addr == f":{n.port}@{n.port + 10000}"
        for i in range(200):
            assert c.cmd("SET", f"key:{i}", f"v{i}") == "OK"
        assert c.cmd("MGET", "{t}a", "{t}b") == [None, None]
        assert c.cmd("MSET", "a", "1", "b", "2") == RespError("CROSSSLOT Keys in request don't hash to the same slot")
        assert c.cmd("GET", "key:199") == b"v199"
        assert c.cmd("DBSIZE") == 200
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", key_slot("key:7")) >= 1
