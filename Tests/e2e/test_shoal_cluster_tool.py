"""shoal-cluster, the operator tool (tools/shoal-cluster), end to end.

Most tests drive a real redis-server 7 cluster whatever SHOAL_E2E_TARGET says: the point is that
the tool creates, checks, fixes, reshards and rebalances a plain Redis cluster (keys move with
SETSLOT + GETKEYSINSLOT + MIGRATE), with every key still readable afterwards. One module-scoped
cluster of 3 masters (plus a spare node for add-node / del-node) is built by `shoal-cluster create`
and then changed by the tests in file order; each test leaves it healthy (`check` passes).
`test_target_binary_*` runs the tool against the binary under test (shoal-server by default).

The tool binary: $SHOAL_CLUSTER or .build/release/shoal-cluster (tools/build builds it).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time

import pytest
from redis.cluster import RedisCluster

from cluster_helpers import Cluster, ClusterNode, cluster_ports, key_slot
from helpers import IS_SHOAL, REPO_ROOT, RespConn, RespError, server_binary, wait_for

TOOL = os.environ.get("SHOAL_CLUSTER", str(REPO_ROOT / ".build" / "release" / "shoal-cluster"))
REDIS_SERVER = os.environ.get("REDIS_SERVER", shutil.which("redis-server") or "/usr/bin/redis-server")


def tool(*args, timeout: float = 180, input: str | None = None, ok: bool | None = True):
    """Run the tool; `ok`: expect exit 0 (True), non-zero (False) or anything (None)."""
    if not os.path.exists(TOOL):
        pytest.fail(f"{TOOL} does not exist: run tools/build (or swift build --product shoal-cluster), "
                    f"or set SHOAL_CLUSTER")
    argv = [TOOL, *[str(a) for a in args]]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                         input=input, stdin=None if input is not None else subprocess.DEVNULL)
    if ok is True and res.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {res.returncode}\n--- stdout\n{res.stdout[-4000:]}\n"
                             f"--- stderr\n{res.stderr[-3000:]}")
    if ok is False and res.returncode == 0:
        raise AssertionError(f"{' '.join(argv)} unexpectedly succeeded\n{res.stdout[-4000:]}")
    return res


def tool_json(*args, ok: bool | None = True, timeout: float = 180) -> dict:
    res = tool(*args, "--json", ok=ok, timeout=timeout)
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not JSON on stdout:\n{res.stdout[-3000:]}\n--- stderr\n{res.stderr[-2000:]}")


def addr(node) -> str:
    return f"127.0.0.1:{node.port}"


def owned(node) -> set[int]:
    return node.myself().slot_set()


def wait_state_ok(nodes, timeout=60):
    wait_for(lambda: all(n.info().get("cluster_state") == "ok" for n in nodes), timeout=timeout,
             what="cluster_state:ok on every node")


def wait_agree(nodes, timeout=60):
    """Every node's CLUSTER NODES gives the same slots per node id (no open slots anywhere)."""
    def agree():
        views = []
        for n in nodes:
            lines = n.nodes()
            views.append(sorted((x.id, tuple(x.slots)) for x in lines if x.role == "master"))
        return all(v == views[0] for v in views)
    wait_for(agree, timeout=timeout, interval=0.1, what="the nodes to agree on the slots")


def keys_in_slot(slot: int, n: int) -> list[str]:
    """n keys of `slot` (one hash tag)."""
    tag = next(f"t{i}" for i in range(100000) if key_slot(f"t{i}") == slot)
    return [f"{{{tag}}}:k{i}" for i in range(n)]


# --------------------------------------------------------------------------------------------
# The shared redis-server cluster

class ToolCluster:
    def __init__(self):
        self.c = Cluster(4, node_timeout=2000, name="tool", binaries=[REDIS_SERVER] * 4)
        self.members = self.c.nodes[:3]
        self.spare = self.c.nodes[3]
        self.create_result = None
        self.data: dict[bytes, object] = {}

    @property
    def first(self):
        return self.members[0]

    def rc(self) -> RedisCluster:
        return RedisCluster(host="127.0.0.1", port=self.first.port, decode_responses=False)

    def check_ok(self):
        res = tool("check", addr(self.first))
        assert "[OK] All 16384 slots covered." in res.stdout
        assert "[OK] All nodes agree about slots configuration." in res.stdout
        return res

    def load(self, n_strings=3000, seed=11):
        rng = random.Random(seed)
        rc = self.rc()
        try:
            pipe = rc.pipeline(transaction=False)
            for i in range(n_strings):
                k = f"str:{i}".encode()
                v = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
                self.data[k] = v
                pipe.set(k, v)
            for i in range(50):
                h = {f"f{j}".encode(): f"v{i}-{j}".encode() for j in range(rng.randrange(1, 20))}
                self.data[f"hash:{i}".encode()] = ("hash", h)
                pipe.hset(f"hash:{i}", mapping=h)
                items = [f"e{j}".encode() for j in range(rng.randrange(1, 30))]
                self.data[f"list:{i}".encode()] = ("list", items)
                pipe.rpush(f"list:{i}", *items)
                z = {f"m{j}".encode(): float(j) for j in range(rng.randrange(1, 30))}
                self.data[f"zset:{i}".encode()] = ("zset", z)
                pipe.zadd(f"zset:{i}", z)
            pipe.execute()
        finally:
            rc.close()

    def verify(self):
        """Every key written by load() reads back identical through a cluster client."""
        rc = self.rc()
        try:
            bad = []
            for k, v in self.data.items():
                if isinstance(v, bytes):
                    got = rc.get(k)
                elif v[0] == "hash":
                    got, v = rc.hgetall(k), v[1]
                elif v[0] == "list":
                    got, v = rc.lrange(k, 0, -1), v[1]
                else:
                    got, v = dict(rc.zrange(k, 0, -1, withscores=True)), v[1]
                if got != v:
                    bad.append(k)
            assert not bad, f"{len(bad)} keys differ after the move, e.g. {bad[:5]}"
            assert sum(n.cmd("DBSIZE") for n in self.c.nodes) == len(self.data)
        finally:
            rc.close()


@pytest.fixture(scope="module")
def tc():
    t = ToolCluster()
    try:
        t.c.start()
        t.create_result = tool("create", *[addr(n) for n in t.members], "--replicas", "0", "--yes",
                               "--seed", "1")
        t.c.wait_ok(nodes=t.members)
        yield t
    finally:
        t.c.cleanup()


# --------------------------------------------------------------------------------------------
# create / check / info / call

def test_create_builds_redis_cli_layout(tc):
    out = tc.create_result.stdout
    assert "Master[0] -> Slots 0 - 5460" in out
    assert "Master[2] -> Slots 10923 - 16383" in out
    assert "Waiting for the cluster to join" in out
    assert "[OK] All 16384 slots covered." in out
    assert [len(owned(n)) for n in tc.members] == [5461, 5462, 5461]
    assert owned(tc.members[0]) == set(range(0, 5461))
    epochs = sorted(n.myself().config_epoch for n in tc.members)
    assert len(set(epochs)) == 3
    wait_agree(tc.members)
    tc.check_ok()


def test_create_refuses_a_node_that_is_not_empty(tc):
    res = tool("create", addr(tc.members[0]), addr(tc.spare), addr(tc.members[1]), "--yes", ok=False)
    assert "is not empty" in res.stderr


def test_create_dry_run_places_replicas(tmp_path):
    """--dry-run with replicas: the layout is printed and nothing is changed."""
    c = Cluster(6, name="tool-dry", binaries=[REDIS_SERVER] * 6)
    try:
        c.start()
        doc = tool_json("create", *[addr(n) for n in c.nodes], "--replicas", "1", "--dry-run", "--seed", "3")
        plan = doc["plan"]
        assert doc["dry_run"] is True
        assert [m["slots"] for m in plan["masters"]] == ["0-5460", "5461-10922", "10923-16383"]
        assert len(plan["replicas"]) == 3
        assert {r["master_id"] for r in plan["replicas"]} == {m["id"] for m in plan["masters"]}
        # one host: every replica is on its master's host
        assert plan["anti_affinity_score"] == 30000
        for n in c.nodes:
            assert n.info()["cluster_known_nodes"] == "1"
            assert n.myself().slots == ()
    finally:
        c.cleanup()


def test_check_and_info_json(tc):
    doc = tool_json("check", addr(tc.first))
    assert doc["ok"] is True and doc["command"] == "check"
    chk = doc["check"]
    assert chk["consistent"] is True and chk["covered_slots"] == 16384 and chk["open_slots"] == []
    assert chk["uncovered_slots"] == ""
    assert len(chk["nodes"]) == 3
    for n in chk["nodes"]:
        assert set(n) >= {"id", "addr", "role", "slots", "slot_count", "shoal", "master_id", "flags"}
        assert n["role"] == "master" and n["shoal"] is False
    assert sum(n["slot_count"] for n in chk["nodes"]) == 16384
    info = tool_json("info", addr(tc.first))
    assert info["info"]["masters_count"] == 3
    assert info["info"]["keys"] == sum(n.cmd("DBSIZE") for n in tc.members)
    text = tool("info", addr(tc.first)).stdout
    assert "keys | 5461 slots | 0 slaves." in text and "keys in 3 masters." in text


def test_call_runs_on_every_node(tc):
    res = tool("call", addr(tc.first), "CLUSTER", "MYID")
    lines = [l for l in res.stdout.splitlines() if l.startswith("127.0.0.1:")]
    assert len(lines) == 3
    assert {l.split(": ", 1)[1] for l in lines} == {n.myid() for n in tc.members}
    # options go before HOST:PORT: everything after it is the command
    doc = json.loads(tool("call", "--json", "--only-masters", addr(tc.first), "DBSIZE").stdout)
    assert len(doc["replies"]) == 3 and all(isinstance(r["reply"], int) for r in doc["replies"])


# --------------------------------------------------------------------------------------------
# reshard

def test_reshard_dry_run_plan_changes_nothing(tc):
    tc.load()
    before = {n.port: owned(n) for n in tc.members}
    target = tc.members[2]
    doc = tool_json("reshard", addr(tc.first), "--from", "all", "--to", target.myid(), "--slots", "600",
                    "--dry-run")
    assert doc["dry_run"] is True and doc["ok"] is True
    plan = doc["plan"]
    assert plan["slot_count"] == 600 and len(plan["slots"]) == 600
    assert {s["to"] for s in plan["slots"]} == {target.myid()}
    assert {s["from"] for s in plan["slots"]} == {tc.members[0].myid(), tc.members[1].myid()}
    # keys per slot are COUNTKEYSINSLOT on the source
    for s in plan["slots"][:20]:
        src = next(n for n in tc.members if n.myid() == s["from"])
        assert s["keys"] == src.cmd("CLUSTER", "COUNTKEYSINSLOT", s["slot"])
    assert plan["keys"] == sum(s["keys"] for s in plan["slots"]) > 0
    assert plan["bytes_method"] == "memory-usage" and plan["bytes"] > 0 and plan["sampled_keys"] > 0
    assert sum(m["slot_count"] for m in plan["moves"]) == 600
    assert all(m["mode"] == "keys" for m in plan["moves"])
    # balanced per source (redis-cli's rounding: up for the biggest source, down for the other)
    assert sorted(m["slot_count"] for m in plan["moves"]) == [299, 301]
    assert {n.port: owned(n) for n in tc.members} == before
    text = tool("reshard", addr(tc.first), "--from", "all", "--to", target.myid(), "--slots", "600",
                "--dry-run").stdout
    assert "Moving 301 slots from" in text and "estimated from" in text


def test_reshard_moves_slots_with_their_keys(tc):
    target = tc.members[2]
    before = len(owned(target))
    # small batches and windows: several GETKEYSINSLOT / MIGRATE rounds and windows
    res = tool("reshard", addr(tc.first), "--from", f"{tc.members[0].myid()},{addr(tc.members[1])}",
               "--to", target.myid()[:10], "--slots", "700", "--yes", "--pipeline", "3", "--window", "50",
               "--migration", "keys", "--json")
    doc = json.loads(res.stdout)
    assert doc["ok"] is True
    r = doc["result"]
    assert r["slots_moved"] == 700 and r["keys_moved"] == doc["plan"]["keys"] > 0
    assert all(m["mode"] == "keys" for m in r["moves"]) and r["bytes_sent"] is None
    assert "progress:" in res.stderr  # not a terminal: plain log lines
    wait_agree(tc.members)
    assert len(owned(target)) == before + 700
    moved = {s["slot"] for s in doc["plan"]["slots"]}
    assert moved <= owned(target)
    for n in tc.members:
        assert "[" not in n.text("CLUSTER", "NODES")  # no slot left importing / migrating
        for s in list(moved)[:50]:
            if n is not target:
                assert n.cmd("CLUSTER", "COUNTKEYSINSLOT", s) == 0
    tc.verify()
    tc.check_ok()


def test_forced_whole_slot_migration_fails_cleanly_on_redis(tc):
    before = {n.port: owned(n) for n in tc.members}
    res = tool("reshard", addr(tc.first), "--from", "all", "--to", tc.members[0].myid(), "--slots", "10",
               "--yes", "--migration", "slots", ok=False)
    assert "MIGRATESLOTS" in res.stderr
    assert {n.port: owned(n) for n in tc.members} == before
    tc.check_ok()


def test_reshard_refuses_unknown_nodes(tc):
    res = tool("reshard", addr(tc.first), "--from", "all", "--to", "f" * 40, "--slots", "1", "--yes", ok=False)
    assert "is not known or not a master" in res.stderr
    res = tool("reshard", addr(tc.first), "--from", tc.first.myid(), "--to", tc.first.myid(), "--slots", "1",
               "--yes", ok=False)
    assert "target node as source node" in res.stderr


# --------------------------------------------------------------------------------------------
# add-node, rebalance, del-node

def test_add_node_then_rebalance_onto_it(tc):
    res = tool("add-node", addr(tc.spare), addr(tc.first))
    assert "[OK] New node added correctly." in res.stdout
    everyone = tc.members + [tc.spare]
    wait_for(lambda: all(len(n.nodes()) == 4 for n in everyone), timeout=30, what="4 nodes known everywhere")
    assert owned(tc.spare) == set()
    wait_state_ok(everyone)

    dry = tool_json("rebalance", addr(tc.first), "--use-empty-masters", "--dry-run")
    assert dry["balanced"] is False
    assert {s["to"] for s in dry["plan"]["slots"]} == {tc.spare.myid()}
    assert 4090 <= dry["plan"]["slot_count"] <= 4100
    assert owned(tc.spare) == set()

    doc = tool_json("rebalance", addr(tc.first), "--use-empty-masters")
    assert doc["ok"] is True
    assert doc["result"]["slots_moved"] == dry["plan"]["slot_count"]
    wait_agree(everyone)
    counts = [len(owned(n)) for n in everyone]
    assert sum(counts) == 16384 and all(abs(c - 4096) <= 82 for c in counts), counts
    again = tool("rebalance", addr(tc.first), "--use-empty-masters")
    assert "No rebalancing needed" in again.stdout
    tc.verify()
    tc.check_ok()


def test_rebalance_weight_zero_then_del_node(tc):
    spare_id = tc.spare.myid()
    doc = tool_json("rebalance", addr(tc.first), "--weight", f"{spare_id[:8]}=0")
    assert doc["ok"] is True and all(s["from"] == spare_id for s in doc["plan"]["slots"])
    wait_agree(tc.members + [tc.spare])
    assert owned(tc.spare) == set()
    tc.verify()

    # a node with slots cannot be removed
    res = tool("del-node", addr(tc.first), tc.members[1].myid(), ok=False)
    assert "is not empty" in res.stderr

    res = tool("del-node", addr(tc.first), spare_id)
    assert "Sending CLUSTER RESET SOFT to the deleted node." in res.stdout
    for n in tc.members:
        assert spare_id not in {x.id for x in n.nodes()}
    assert len(tc.spare.nodes()) == 1  # reset: knows only itself
    tc.check_ok()
    assert len(tool_json("check", addr(tc.first))["check"]["nodes"]) == 3


def test_add_node_as_replica_then_del_node(tc):
    # A fresh node: the one removed above is banned for 60 s by CLUSTER FORGET.
    (port,) = cluster_ports(1)
    fresh = ClusterNode(port, node_timeout=2000, name="tool-replica", binary=REDIS_SERVER)
    try:
        fresh.start()
        master = tc.members[1]
        res = tool("add-node", addr(fresh), addr(tc.first), "--replica-of", addr(master))
        assert "Configure node as replica of" in res.stdout
        wait_for(lambda: fresh.myself().role == "slave" and fresh.myself().master == master.myid(),
                 timeout=30, what="the new node to replicate")
        doc = tool_json("check", addr(tc.first))
        replicas = [n for n in doc["check"]["nodes"] if n["role"] == "replica"]
        assert [(r["id"], r["master_id"]) for r in replicas] == [(fresh.myid(), master.myid())]
        assert next(n for n in doc["check"]["nodes"] if n["id"] == master.myid())["replicas"] == 1
        fresh_id = fresh.myid()
        tool("del-node", addr(tc.first), fresh_id)
        for n in tc.members:
            assert fresh_id not in {x.id for x in n.nodes()}
        assert fresh.myself().role == "master" and len(fresh.nodes()) == 1
        tc.check_ok()
    finally:
        fresh.cleanup()


def test_progress_bar_on_a_terminal(tc):
    """On a terminal the progress is one redrawn line (\\r) with keys/s and ETA."""
    import pty
    master_fd, slave_fd = pty.openpty()
    try:
        target = tc.members[0]
        proc = subprocess.Popen([TOOL, "reshard", addr(tc.first), "--from", "all", "--to", target.myid(),
                                 "--slots", "200", "--yes"], stdout=slave_fd, stderr=slave_fd,
                                stdin=subprocess.DEVNULL)
        os.close(slave_fd)
        slave_fd = -1
        out = b""
        while True:
            try:
                chunk = os.read(master_fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(timeout=120) == 0, out.decode(errors="replace")[-2000:]
    finally:
        os.close(master_fd)
        if slave_fd >= 0:
            os.close(slave_fd)
    text = out.decode(errors="replace")
    assert "\r[" in text and "keys/s" in text and "ETA" in text and "200/200 slots" in text
    assert "progress:" not in text
    wait_agree(tc.members)
    tc.verify()


def test_interrupt_finishes_the_window_in_flight(tc):
    """SIGINT: the windows in flight finish, nothing is left open, the exit status says so."""
    target = tc.members[1]
    proc = subprocess.Popen([TOOL, "reshard", addr(tc.first), "--from", "all", "--to", target.myid(),
                             "--slots", "1500", "--yes", "--window", "2", "--pipeline", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        if any("[" in n.text("CLUSTER", "NODES") for n in tc.members):  # a window is open
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the reshard finished before the signal")
    assert proc.returncode == 1
    assert "Interrupted" in out + err
    for n in tc.members:
        assert "[" not in n.text("CLUSTER", "NODES")
    wait_agree(tc.members)
    tc.verify()
    tc.check_ok()


# --------------------------------------------------------------------------------------------
# fix

def _owner_and_other(tc, slot):
    owner = next(n for n in tc.members if slot in owned(n))
    other = next(n for n in tc.members if n is not owner)
    return owner, other


def test_fix_finishes_an_interrupted_migration(tc):
    slot = 4242
    src, dst = _owner_and_other(tc, slot)
    keys = keys_in_slot(slot, 6)
    for k in keys:
        assert src.cmd("SET", k, f"value of {k}") == "OK"
        tc.data[k.encode()] = f"value of {k}".encode()
    # what an interrupted reshard leaves behind: the slot open on both sides, some keys moved
    assert dst.cmd("CLUSTER", "SETSLOT", slot, "IMPORTING", src.myid()) == "OK"
    assert src.cmd("CLUSTER", "SETSLOT", slot, "MIGRATING", dst.myid()) == "OK"
    assert src.cmd("MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", *keys[:4]) == "OK"
    assert src.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 2 and dst.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 4

    chk = tool_json("check", addr(tc.first), ok=False)
    assert chk["ok"] is False and chk["check"]["open_slots"] == [slot]
    assert chk["check"]["migrating"] == [{"node": src.myid(), "slots": [slot]}]
    assert chk["check"]["importing"] == [{"node": dst.myid(), "slots": [slot]}]

    dry = tool("fix", addr(tc.first), "--dry-run")
    assert "Case 1" in dry.stdout
    assert src.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 2  # dry run: nothing moved

    doc = tool_json("fix", addr(tc.first), "--yes")
    assert doc["ok"] is True
    assert [f["case"] for f in doc["fixes"]] == ["1"]
    assert doc["after"]["open_slots"] == []
    wait_agree(tc.members)
    assert slot in owned(dst) and slot not in owned(src)
    assert dst.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == 6
    tc.verify()
    tc.check_ok()


def test_fix_closes_a_migrating_slot_without_importer(tc):
    slot = 99
    src, dst = _owner_and_other(tc, slot)
    assert src.cmd("CLUSTER", "SETSLOT", slot, "MIGRATING", dst.myid()) == "OK"
    tool("check", addr(tc.first), ok=False)
    res = tool("fix", addr(tc.first), "--yes")
    assert "Case 4" in res.stdout
    assert slot in owned(src)
    assert "[" not in src.text("CLUSTER", "NODES")
    tc.check_ok()


def test_fix_busykey_compares_values_and_replace_overwrites(tc):
    slot = 777
    src, dst = _owner_and_other(tc, slot)
    same, differ = keys_in_slot(slot, 2)
    assert src.cmd("SET", same, "same") == "OK" and src.cmd("SET", differ, "source") == "OK"
    tc.data[same.encode()] = b"same"
    tc.data[differ.encode()] = b"source"
    assert dst.cmd("CLUSTER", "SETSLOT", slot, "IMPORTING", src.myid()) == "OK"
    assert src.cmd("CLUSTER", "SETSLOT", slot, "MIGRATING", dst.myid()) == "OK"
    with RespConn(dst.port) as c:  # keys that already exist on the importing node
        for k, v in ((same, "same"), (differ, "target")):
            assert c.cmd("ASKING") == "OK" and c.cmd("SET", k, v) == "OK"
    res = tool("fix", addr(tc.first), "--yes", ok=False)
    assert "Target key exists" in res.stdout
    assert "having different values" in res.stdout + res.stderr
    assert differ in res.stdout + res.stderr and "--replace" in res.stdout + res.stderr
    assert src.cmd("GET", differ) == b"source"  # nothing overwritten

    res = tool("fix", addr(tc.first), "--yes", "--replace")
    assert "Replacing target keys" in res.stdout
    wait_agree(tc.members)
    assert slot in owned(dst)
    assert dst.cmd("GET", differ) == b"source" and dst.cmd("GET", same) == b"same"
    tc.verify()
    tc.check_ok()


def test_fix_assigns_an_unowned_slot(tc):
    # an empty slot dropped by its owner: nobody claims it in its own view
    slot = next(s for s in range(16384) if s not in (99, 777, 4242)
                and all(n.cmd("CLUSTER", "COUNTKEYSINSLOT", s) == 0 for n in tc.members))
    owner, _ = _owner_and_other(tc, slot)
    assert owner.cmd("CLUSTER", "DELSLOTS", slot) == "OK"
    chk = tool_json("check", addr(tc.first), ok=False)
    assert chk["check"]["covered_slots"] == 16383 and chk["check"]["uncovered_slots"] == str(slot)
    res = tool("fix", addr(tc.first), "--yes")
    assert "have no keys across the cluster" in res.stdout
    wait_agree(tc.members)
    assert sum(slot in owned(n) for n in tc.members) == 1
    wait_state_ok(tc.members)
    tc.check_ok()


def test_password_protected_cluster(tmp_path):
    """--auth (AUTH pw; MIGRATE ... AUTH pw) and --user (AUTH user pw; MIGRATE ... AUTH2 user pw)."""
    pw = "s3cret"
    c = Cluster(3, node_timeout=2000, name="tool-auth", binaries=[REDIS_SERVER] * 3,
                extra_args=["--requirepass", pw, "--masterauth", pw])
    try:
        c.start()
        res = tool("create", *[addr(n) for n in c.nodes], "--yes", ok=False)
        assert "NOAUTH" in res.stderr or "AUTH" in res.stderr
        tool("create", *[addr(n) for n in c.nodes], "--yes", "--auth", pw)
        def state_ok(n):
            with RespConn(n.port) as conn:
                assert conn.cmd("AUTH", pw) == "OK"
                return b"cluster_state:ok" in conn.cmd("CLUSTER", "INFO")
        wait_for(lambda: all(state_ok(n) for n in c.nodes), timeout=30, what="cluster_state:ok")
        tool("check", addr(c.nodes[0]), "--auth", pw)
        rc = RedisCluster(host="127.0.0.1", port=c.nodes[0].port, password=pw, decode_responses=False)
        try:
            data = {f"a:{i}".encode(): b"x%d" % i for i in range(800)}
            pipe = rc.pipeline(transaction=False)
            for k, v in data.items():
                pipe.set(k, v)
            pipe.execute()
            pongs = tool("call", "--auth", pw, addr(c.nodes[0]), "PING").stdout
            assert pongs.count(": PONG") == 3
            with RespConn(c.nodes[2].port) as conn:
                assert conn.cmd("AUTH", pw) == "OK"
                target_id = conn.cmd("CLUSTER", "MYID").decode()
            doc = tool_json("reshard", addr(c.nodes[0]), "--from", "all", "--to", target_id, "--slots", "400",
                            "--yes", "--auth", pw)
            assert doc["ok"] is True and doc["result"]["keys_moved"] > 0
            with RespConn(c.nodes[0].port) as conn:
                assert conn.cmd("AUTH", pw) == "OK"
                first_id = conn.cmd("CLUSTER", "MYID").decode()
            doc = tool_json("reshard", addr(c.nodes[0]), "--from", target_id, "--to", first_id, "--slots", "200",
                            "--yes", "--user", "default", "--auth", pw)
            assert doc["ok"] is True and doc["result"]["keys_moved"] > 0
            assert {k: rc.get(k) for k in data} == data
        finally:
            rc.close()
    finally:
        c.cleanup()


# --------------------------------------------------------------------------------------------
# The binary under test (shoal-server by default)

@pytest.fixture(scope="module")
def target_cluster():
    """3 nodes of the binary under test, created by the tool."""
    c = Cluster(3, node_timeout=2000, name="tool-target", binaries=[server_binary()] * 3)
    try:
        c.start()
        c.create_result = tool("create", *[addr(n) for n in c.nodes], "--replicas", "0", "--yes")
        c.wait_ok()
        yield c
    finally:
        c.cleanup()


def test_target_binary_create_check_info(target_cluster):
    c = target_cluster
    assert "[OK] All 16384 slots covered." in c.create_result.stdout
    assert [len(n.myself().slot_set()) for n in c.nodes] == [5461, 5462, 5461]
    info = tool_json("info", addr(c.nodes[0]))
    assert len(info["nodes"]) == 3
    assert all(n["shoal"] is IS_SHOAL for n in info["nodes"])
    assert all((n["shoal_version"] is not None) is IS_SHOAL for n in info["nodes"])
    assert tool_json("check", addr(c.nodes[0]))["ok"] is True


def test_target_binary_reshard_empty_slots(target_cluster):
    """Empty slots move with SETSLOT alone. Between two Shoal nodes `--migration auto` tries
    whole-slot migration (CLUSTER MIGRATESLOTS) first and falls back to SETSLOT when the node does
    not know it."""
    c = target_cluster
    probe = c.nodes[0].cmd("CLUSTER", "SETSLOT", "0", "STABLE")
    if isinstance(probe, RespError) and "unknown subcommand" in probe.text.lower():
        pytest.skip(f"{server_binary()} has no CLUSTER SETSLOT yet")
    target = c.nodes[1]
    doc = tool_json("reshard", addr(c.nodes[0]), "--from", "all", "--to", target.myid(), "--slots", "100", "--yes")
    assert doc["ok"] is True and doc["result"]["slots_moved"] == 100
    expected_mode = {"slots", "keys"} if IS_SHOAL else {"keys"}
    assert {m["mode"] for m in doc["result"]["moves"]} <= expected_mode
    # the tool returns once every node agrees (whole-slot migration hands slots over via the bus)
    assert [len(n.myself().slot_set()) for n in c.nodes] == [5411, 5562, 5411]
    wait_agree(c.nodes, timeout=5)
    c.wait_ok()
    assert tool_json("check", addr(c.nodes[0]))["ok"] is True



def test_target_binary_reshard_with_keys_in_both_modes(target_cluster):
    """Keys move with the default mode (whole-slot migration between Shoal nodes, MIGRATE with
    redis-server) and with --migration=keys (SETSLOT + MIGRATE, on Shoal too), values intact."""
    c = target_cluster
    probe = c.nodes[0].cmd("MIGRATE")
    if isinstance(probe, RespError) and "unknown command" in probe.text.lower():
        pytest.skip(f"{server_binary()} has no MIGRATE yet")
    rc = RedisCluster(host="127.0.0.1", port=c.nodes[0].port, decode_responses=False)
    try:
        data = {f"tk:{i}".encode(): (b"v%d-" % i) * (1 + i % 7) for i in range(2000)}
        pipe = rc.pipeline(transaction=False)
        for k, v in data.items():
            pipe.set(k, v)
        pipe.execute()
        a, b = c.nodes[0], c.nodes[2]

        doc = tool_json("reshard", addr(a), "--from", a.myid(), "--to", b.myid(), "--slots", "700", "--yes")
        r = doc["result"]
        assert doc["ok"] is True and r["slots_moved"] == 700 and r["keys_moved"] == doc["plan"]["keys"] > 0
        if IS_SHOAL:
            assert [m["mode"] for m in r["moves"]] == ["slots"] and r["bytes_sent"] > 0
        wait_agree(c.nodes, timeout=10)

        doc = tool_json("reshard", addr(a), "--from", b.myid(), "--to", a.myid(), "--slots", "300", "--yes",
                        "--migration", "keys", "--pipeline", "7", "--window", "40")
        r = doc["result"]
        assert doc["ok"] is True and r["slots_moved"] == 300 and [m["mode"] for m in r["moves"]] == ["keys"]
        wait_agree(c.nodes, timeout=10)
        c.wait_ok()

        got = {k: rc.get(k) for k in data}
        assert got == data
        assert sum(n.cmd("DBSIZE") for n in c.nodes) == len(data)
        assert tool_json("check", addr(a))["ok"] is True
    finally:
        rc.close()

# --------------------------------------------------------------------------------------------
# Whole-slot migration, against the contract (the node side does not exist yet): a fake cluster
# of "Shoal" nodes in this process that speaks just enough RESP.
#
# Contract: CLUSTER MIGRATESLOTS SLOTSRANGE start end [start end ...] NODE <target-id> on the
# source replies +OK (or an error); CLUSTER GETSLOTMIGRATIONS lists jobs as maps (RESP2: flat
# name/value arrays) with slot_ranges, state (running/success/failed/cancelled), keys_moved,
# bytes_sent, error; CLUSTER CANCELSLOTMIGRATIONS cancels. The target owns the slots at success.

import socketserver  # noqa: E402
import threading  # noqa: E402


class FakeShoalCluster:
    KEYS_PER_SLOT = 3

    def __init__(self, n=3, fail_with: str | None = None, steps=3):
        self.lock = threading.Lock()
        self.fail_with = fail_with
        self.steps = steps
        self.nodes = []
        self.owner = {}  # slot -> node index
        self.jobs = {}   # node index -> list of job dicts
        self.commands = []
        self.informed = []  # (node index, range args, owner id) of SETSLOTRANGE ... NODE
        per = 16384 // n
        for i in range(n):
            srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler(i))
            srv.daemon_threads = True
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.nodes.append({"id": f"{i + 1:040x}", "srv": srv, "port": srv.server_address[1]})
            self.jobs[i] = []
            for s in range(i * per, 16384 if i == n - 1 else (i + 1) * per):
                self.owner[s] = i

    def close(self):
        for nd in self.nodes:
            nd["srv"].shutdown()
            nd["srv"].server_close()

    def addr(self, i):
        return f"127.0.0.1:{self.nodes[i]['port']}"

    def slots_of(self, i):
        return sorted(s for s, o in self.owner.items() if o == i)

    @staticmethod
    def _ranges(slots):
        out, start, last = [], None, None
        for s in slots:
            if start is None:
                start = last = s
            elif s == last + 1:
                last = s
            else:
                out.append((start, last))
                start = last = s
        if start is not None:
            out.append((start, last))
        return out

    def _nodes_text(self, me):
        lines = []
        for i, nd in enumerate(self.nodes):
            flags = "myself,master" if i == me else "master"
            slots = " ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in self._ranges(self.slots_of(i)))
            lines.append(f"{nd['id']} 127.0.0.1:{nd['port']}@{nd['port'] + 10000} {flags} - 0 0 {i + 1} "
                         f"connected {slots}".rstrip())
        return "\n".join(lines) + "\n"

    def _advance(self, me):
        """Each GETSLOTMIGRATIONS call moves a running job one step on."""
        for job in self.jobs[me]:
            if job["state"] != "running":
                continue
            job["tick"] += 1
            total = len(job["slots"]) * self.KEYS_PER_SLOT
            if self.fail_with and job["tick"] >= 2:
                job["state"], job["error"] = "failed", self.fail_with
                continue
            job["keys_moved"] = min(total, total * job["tick"] // self.steps)
            job["bytes_sent"] = job["keys_moved"] * 110
            if job["tick"] >= self.steps:
                job["state"] = "success"
                for s in job["slots"]:
                    self.owner[s] = job["target"]

    def _handler(self, me):
        fake = self

        class H(socketserver.StreamRequestHandler):
            def handle(self):
                while True:
                    args = self._read_command()
                    if args is None:
                        return
                    with fake.lock:
                        fake.commands.append((me, args))
                        reply = fake._execute(me, args)
                    self.wfile.write(reply)
                    self.wfile.flush()

            def _read_command(self):
                line = self.rfile.readline()
                if not line:
                    return None
                assert line[:1] == b"*", line
                args = []
                for _ in range(int(line[1:])):
                    n = int(self.rfile.readline()[1:])
                    args.append(self.rfile.read(n + 2)[:-2].decode())
                return args

        return H

    @staticmethod
    def _enc(v) -> bytes:
        if isinstance(v, Exception):
            return f"-{v}\r\n".encode()
        if v is True:
            return b"+OK\r\n"
        if isinstance(v, int):
            return f":{v}\r\n".encode()
        if isinstance(v, str):
            b = v.encode()
            return b"$%d\r\n%s\r\n" % (len(b), b)
        if isinstance(v, list):
            return b"*%d\r\n" % len(v) + b"".join(FakeShoalCluster._enc(x) for x in v)
        raise TypeError(v)

    def _execute(self, me, args):
        cmd = [a.upper() for a in args[:2]]
        if cmd[0] == "PING":
            return b"+PONG\r\n"
        if cmd[0] == "INFO":
            return self._enc("# Server\r\nredis_version:7.0.15\r\nshoal_version:9.9.9\r\n"
                             "# Cluster\r\ncluster_enabled:1\r\n")
        if cmd[0] == "DBSIZE":
            return self._enc(len(self.slots_of(me)) * self.KEYS_PER_SLOT)
        if cmd[0] == "MEMORY":
            return self._enc(110)
        if cmd[0] != "CLUSTER":
            return self._enc(Exception(f"ERR unknown command '{args[0]}'"))
        sub = cmd[1]
        if sub == "NODES":
            return self._enc(self._nodes_text(me))
        if sub == "INFO":
            return self._enc("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n")
        if sub == "COUNTKEYSINSLOT":
            return self._enc(self.KEYS_PER_SLOT if self.owner[int(args[2])] == me else 0)
        if sub == "GETKEYSINSLOT":
            slot, n = int(args[2]), int(args[3])
            have = self.KEYS_PER_SLOT if self.owner[slot] == me else 0
            return self._enc([f"key:{slot}:{j}" for j in range(min(n, have))])
        if sub == "MIGRATESLOTS":
            # SLOTSRANGE a b [a b ...] NODE id
            up = [a.upper() for a in args]
            if up[2] != "SLOTSRANGE" or "NODE" not in up:
                return self._enc(Exception("ERR syntax error"))
            at = up.index("NODE")
            nums = [int(x) for x in args[3:at]]
            target = next(i for i, nd in enumerate(self.nodes) if nd["id"] == args[at + 1])
            slots = [s for a, b in zip(nums[::2], nums[1::2]) for s in range(a, b + 1)]
            if any(self.owner[s] != me for s in slots):
                return self._enc(Exception("ERR I'm not the owner of every slot"))
            self.jobs[me].append({"name": f"job-{len(self.commands)}", "slots": slots, "target": target,
                                  "state": "running", "keys_moved": 0, "bytes_sent": 0, "error": "", "tick": 0,
                                  "ranges": " ".join(f"{a}-{b}" for a, b in zip(nums[::2], nums[1::2]))})
            return self._enc(True)
        if sub == "SETSLOTRANGE":  # Shoal's SETSLOT for ranges: a b [a b ...] NODE id (only NODE here)
            up = [a.upper() for a in args]
            at = up.index("NODE")
            self.informed.append((me, args[2:at], args[at + 1]))
            return self._enc(True)
        if sub == "GETSLOTMIGRATIONS":
            self._advance(me)
            return self._enc([["name", j["name"], "slot_ranges", j["ranges"], "target_node",
                               self.nodes[j["target"]]["id"], "state", j["state"], "keys_moved", j["keys_moved"],
                               "bytes_sent", j["bytes_sent"], "error", j["error"]] for j in self.jobs[me]])
        if sub == "CANCELSLOTMIGRATIONS":
            for j in self.jobs[me]:
                if j["state"] == "running":
                    j["state"] = "cancelled"
            return self._enc(True)
        return self._enc(Exception(f"ERR unknown subcommand '{args[1]}'"))


@pytest.fixture
def fake_shoal():
    made = []

    def make(**kw):
        f = FakeShoalCluster(**kw)
        made.append(f)
        return f
    yield make
    for f in made:
        f.close()


def test_whole_slot_migration_between_shoal_nodes(fake_shoal):
    f = fake_shoal()
    target_id = f.nodes[2]["id"]
    dry = tool_json("reshard", f.addr(0), "--from", "all", "--to", target_id, "--slots", "300", "--dry-run")
    assert {m["mode"] for m in dry["plan"]["moves"]} == {"slots"}
    assert dry["plan"]["keys"] == 300 * FakeShoalCluster.KEYS_PER_SLOT

    res = tool("reshard", f.addr(0), "--from", "all", "--to", target_id, "--slots", "300", "--yes", "--json")
    doc = json.loads(res.stdout)
    assert doc["ok"] is True
    r = doc["result"]
    assert r["slots_moved"] == 300 and r["keys_moved"] == 900 and r["bytes_sent"] == 900 * 110
    assert [m["mode"] for m in r["moves"]] == ["slots", "slots"]
    # one MIGRATESLOTS per source with its ranges, no SETSLOT / MIGRATE at all
    calls = [(me, a) for me, a in f.commands if a[0].upper() == "CLUSTER" and a[1].upper() == "MIGRATESLOTS"]
    assert len(calls) == 2
    assert all(a[-2].upper() == "NODE" and a[-1] == target_id for _, a in calls)
    assert not any(a[0].upper() == "MIGRATE" or a[1].upper() == "SETSLOT" for _, a in f.commands if len(a) > 1)
    assert len(f.slots_of(2)) == 16384 - 2 * 5461 + 300
    # the third master is told at once (SETSLOTRANGE ... NODE target) instead of waiting for gossip
    assert sorted(me for me, _, owner in f.informed if owner == target_id) == [0, 1]


def test_whole_slot_migration_failure_is_reported(fake_shoal):
    f = fake_shoal(fail_with="target went away")
    res = tool("reshard", f.addr(0), "--from", f.nodes[0]["id"], "--to", f.nodes[1]["id"], "--slots", "10",
               "--yes", "--migration", "slots", ok=False)
    assert "failed: target went away" in res.stderr
    assert len(f.slots_of(0)) == 5461  # nothing moved


def test_keys_mode_can_be_forced_between_shoal_nodes(fake_shoal):
    """--migration=keys sends SETSLOT / GETKEYSINSLOT / MIGRATE even to Shoal nodes (the fake
    answers them with errors: the point is which commands are sent)."""
    f = fake_shoal()
    res = tool("reshard", f.addr(0), "--from", f.nodes[0]["id"], "--to", f.nodes[1]["id"], "--slots", "5",
               "--yes", "--migration", "keys", ok=False)
    assert "SETSLOT" in res.stderr
    assert not any(len(a) > 1 and a[1].upper() == "MIGRATESLOTS" for _, a in f.commands)


def test_target_binary_add_empty_master_and_rebalance():
    """An empty fourth node of the binary under test joins with add-node and rebalance moves a
    quarter of the slots onto it (whole slots between Shoal nodes), keys intact."""
    c = Cluster(4, node_timeout=2000, name="tool-rebal", binaries=[server_binary()] * 4)
    try:
        c.start()
        members, spare = c.nodes[:3], c.nodes[3]
        tool("create", *[addr(n) for n in members], "--replicas", "0", "--yes")
        c.wait_ok(nodes=members)
        rc = RedisCluster(host="127.0.0.1", port=members[0].port)
        pipe = rc.pipeline()
        for i in range(20_000):
            pipe.set(f"k:{i}", f"v:{i}")
        pipe.execute()
        res = tool("add-node", addr(spare), addr(members[0]))
        assert "[OK] New node added correctly." in res.stdout
        wait_for(lambda: all(len(n.nodes()) == 4 for n in c.nodes), timeout=30, what="4 nodes known everywhere")
        wait_state_ok(c.nodes)
        doc = tool_json("rebalance", addr(members[0]), "--use-empty-masters")
        assert doc["ok"] is True
        wait_agree(c.nodes)
        counts = [len(owned(n)) for n in c.nodes]
        assert sum(counts) == 16384 and all(abs(n - 4096) <= 82 for n in counts), counts
        assert sum(n.cmd("DBSIZE") for n in c.nodes) == 20_000
        assert spare.cmd("DBSIZE") > 4000
        values = RedisCluster(host="127.0.0.1", port=spare.port).mget_nonatomic([f"k:{i}" for i in range(20_000)])
        assert [i for i, v in enumerate(values) if v != f"v:{i}".encode()] == []
        assert tool_json("check", addr(members[0]))["ok"] is True
    finally:
        c.cleanup()
