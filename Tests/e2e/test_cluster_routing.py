"""Redis Cluster key routing on the shared 6-node cluster: MOVED / CROSSSLOT / SELECT errors with
Redis's exact texts, replicas and READONLY / READWRITE, ASKING, and real clients following
redirections: `redis-cli -c` and redis-py's RedisCluster (100,000 keys, hash tags, multi-key
commands). Every expected text was read from redis-server 7.0.15 (SHOAL_E2E_TARGET=redis).
"""

from __future__ import annotations

import os
import pty
import random
import select
import subprocess
import time


from cluster_helpers import key_for_slot, key_slot, redis_cli
from helpers import RespConn, RespError, info_fields, wait_for

CROSSSLOT = RespError("CROSSSLOT Keys in request don't hash to the same slot")


def moved(key, port) -> RespError:
    return RespError(f"MOVED {key_slot(key)} 127.0.0.1:{port}")


def replicates(node) -> bool:
    """Whether this replica has a working replication link (then it must see its master's writes)."""
    return info_fields(node.info_text("replication")).get("master_link_status") == "up"


# ---------------------------------------------------------------------------------------------
# Errors

def test_moved_to_the_owner(cluster6):
    masters = cluster6.masters()
    # one key in each master's range, asked of every node that does not own it
    for m in masters:
        key = key_for_slot(min(m.slot_set()) + 17, "moved-")
        for node in cluster6.nodes:
            with RespConn(node.port) as c:
                if node.port == m.port:
                    assert c.cmd("SET", key, "v") == "OK"
                    assert c.cmd("GET", key) == b"v"
                    assert c.cmd("DEL", key) == 1
                else:  # another master, or any replica (no READONLY): MOVED to the owner
                    assert c.cmd("GET", key) == moved(key, m.port)
                    assert c.cmd("SET", key, "v") == moved(key, m.port)
                    assert c.cmd("DEL", key) == moved(key, m.port)
                    assert c.cmd("EXISTS", key) == moved(key, m.port)
    foo_owner = cluster6.master_for_key("foo")
    other = cluster6.non_owner_for_key("foo")
    with RespConn(other.port) as c:
        assert c.cmd("GET", "foo") == RespError(f"MOVED 12182 127.0.0.1:{foo_owner.port}")
        # keyless commands are served anywhere
        assert c.cmd("PING") == "PONG"
        assert c.cmd("ECHO", "x") == b"x"
        assert c.cmd("DBSIZE") == 0


def test_multi_key_same_slot_elsewhere_is_moved(cluster6):
    key = "{user1000}.following"
    owner = cluster6.master_for_key(key)
    other = cluster6.non_owner_for_key(key)
    with RespConn(other.port) as c:
        assert c.cmd("MSET", "{user1000}.following", "1", "{user1000}.followers", "2") == moved(key, owner.port)
        assert c.cmd("MGET", "{user1000}.following", "{user1000}.followers") == moved(key, owner.port)


def test_crossslot(cluster6):
    assert key_slot("a") != key_slot("b")
    for node in (cluster6.nodes[0], cluster6.nodes[1], cluster6.nodes[5]):
        with RespConn(node.port) as c:
            assert c.cmd("MSET", "a", "1", "b", "2") == CROSSSLOT
            assert c.cmd("MGET", "a", "b") == CROSSSLOT
            assert c.cmd("DEL", "a", "b") == CROSSSLOT
            assert c.cmd("EXISTS", "a", "b") == CROSSSLOT
            assert c.cmd("SUNIONSTORE", "{x}dst", "{x}s1", "{y}s2") == CROSSSLOT
            assert c.cmd("RENAME", "{x}a", "{y}b") == CROSSSLOT


def test_select_not_allowed(cluster6):
    for node in (cluster6.nodes[0], cluster6.nodes[4]):
        with RespConn(node.port) as c:
            assert c.cmd("SELECT", 1) == RespError("ERR SELECT is not allowed in cluster mode")
            assert c.cmd("SELECT", 0) == "OK"


def test_asking_is_accepted(cluster6):
    key = "foo"
    owner = cluster6.master_for_key(key)
    other = cluster6.non_owner_for_key(key)
    for node in (other, cluster6.replica_of(owner.myid())):
        with RespConn(node.port) as c:
            assert c.cmd("ASKING") == "OK"
            # ASKING only matters for a slot this node is importing: still MOVED here
            assert c.cmd("GET", key) == moved(key, owner.port)
            assert c.cmd("ASKING", "extra") == RespError("ERR wrong number of arguments for 'asking' command")


# ---------------------------------------------------------------------------------------------
# Replicas: READONLY / READWRITE

def test_replica_moved_unless_readonly(cluster6):
    m = cluster6.masters()[1]
    master = cluster6.node(m.port)
    replica = cluster6.replica_of(m.id)
    key = key_for_slot(min(m.slot_set()) + 5, "ro-")
    foreign = next(x for x in cluster6.masters() if x.id != m.id)
    foreign_key = key_for_slot(min(foreign.slot_set()) + 5, "ro-")
    with RespConn(master.port) as c:
        assert c.cmd("SET", key, "from-master") == "OK"
    try:
        with RespConn(replica.port) as c:
            assert c.cmd("GET", key) == moved(key, m.port)
            assert c.cmd("READONLY") == "OK"
            # now reads of the master's slots are served here ...
            v = c.cmd("GET", key)
            assert not isinstance(v, RespError), v
            assert c.cmd("TTL", key) in (-1, -2)
            if replicates(replica):
                # ... with the master's data, once replication has caught up
                wait_for(lambda: c.cmd("GET", key) == b"from-master", timeout=20, what="the replica to see the write")
            # writes still go to the master, and other masters' slots are still MOVED
            assert c.cmd("SET", key, "x") == moved(key, m.port)
            assert c.cmd("DEL", key) == moved(key, m.port)
            assert c.cmd("GET", foreign_key) == moved(foreign_key, foreign.port)
            assert c.cmd("READWRITE") == "OK"
            assert c.cmd("GET", key) == moved(key, m.port)
        with RespConn(replica.port) as c:  # READONLY is per connection
            assert c.cmd("GET", key) == moved(key, m.port)
        with RespConn(master.port) as c:  # on a master it changes nothing
            assert c.cmd("READONLY") == "OK"
            assert c.cmd("GET", key) == b"from-master"
            assert c.cmd("SET", key, "again") == "OK"
            assert c.cmd("READWRITE") == "OK"
    finally:
        with RespConn(master.port) as c:
            c.cmd("DEL", key)


# ---------------------------------------------------------------------------------------------
# redis-cli -c

def test_redis_cli_c_follows_moved(cluster6):
    owner = cluster6.master_for_key("foo")
    other = cluster6.non_owner_for_key("foo")
    try:
        res = redis_cli("-p", other.port, "get", "foo")
        assert res.stdout.strip() == f"MOVED 12182 127.0.0.1:{owner.port}"
        res = redis_cli("-c", "-p", other.port, "set", "foo", "bar")
        assert res.returncode == 0 and res.stdout == "OK\n", res
        res = redis_cli("-c", "-p", other.port, "get", "foo")
        assert res.returncode == 0 and res.stdout == "bar\n", res
    finally:
        redis_cli("-p", owner.port, "del", "foo")


def _interactive_cli(port: int, lines: list[str], expect: list[str], timeout: float = 20.0) -> str:
    """Run `redis-cli -c -p port` on a pseudo-terminal (interactive mode, where it prints the
    redirections), type `lines`, wait until every text of `expect` appeared; return the output."""
    master, slave = pty.openpty()
    env = dict(os.environ, REDISCLI_HISTFILE="/dev/null", TERM="dumb")
    proc = subprocess.Popen(["redis-cli", "-c", "-p", str(port)], stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)
    os.close(slave)
    out = b""
    try:
        deadline = time.monotonic() + timeout

        def read_until(text: bytes):
            nonlocal out
            while text not in out.replace(b"\r", b""):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"redis-cli: no {text!r} in {out.decode(errors='replace')!r}")
                r, _, _ = select.select([master], [], [], min(left, 0.5))
                if r:
                    try:
                        out += os.read(master, 4096)
                    except OSError:
                        raise AssertionError(f"redis-cli exited: {out.decode(errors='replace')!r}")

        read_until(b"> ")
        for line, want in zip(lines, expect):
            os.write(master, line.encode() + b"\r")
            read_until(want.encode())
        os.write(master, b"quit\r")
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)
    return out.decode(errors="replace").replace("\r", "")


def test_redis_cli_c_interactive_prints_redirect(cluster6):
    owner = cluster6.master_for_key("foo")
    other = cluster6.non_owner_for_key("foo")
    redirect = f"-> Redirected to slot [12182] located at 127.0.0.1:{owner.port}"
    try:
        out = _interactive_cli(other.port, ["set foo bar"], [redirect + "\nOK"])
        assert redirect in out
        out = _interactive_cli(other.port, ["get foo"], [redirect + '\n"bar"'])
        assert redirect in out
    finally:
        redis_cli("-p", owner.port, "del", "foo")


# ---------------------------------------------------------------------------------------------
# redis-py RedisCluster

N_KEYS = 100_000


def _value(rng: random.Random, i: int) -> bytes:
    # mixed sizes and bytes (binary, UTF-8, empty)
    kind = i % 5
    if kind == 0:
        return b""
    if kind == 1:
        return ("välue-%d-☃" % i).encode()
    if kind == 2:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 64)))
    if kind == 3:
        return b"%d" % (i * 7919)
    return b"x" * rng.randrange(100, 600)


def test_redis_py_cluster_100k_keys(cluster6):
    from redis.cluster import RedisCluster

    rng = random.Random(1234)
    entry = cluster6.nodes[0]
    rc = RedisCluster(host="127.0.0.1", port=entry.port, decode_responses=False, socket_timeout=30)
    try:
        nodes = {n.port for n in rc.get_nodes()}
        assert nodes == {n.port for n in cluster6.nodes}
        data = {f"key:{i}".encode(): _value(rng, i) for i in range(N_KEYS)}
        keys = list(data)
        chunk = 10_000
        for i in range(0, N_KEYS, chunk):
            part = {k: data[k] for k in keys[i:i + chunk]}
            assert rc.mset_nonatomic(part)
        for i in range(0, N_KEYS, chunk):
            got = rc.mget_nonatomic(keys[i:i + chunk])
            bad = [k for k, v in zip(keys[i:i + chunk], got) if v != data[k]]
            assert not bad, f"{len(bad)} values differ, e.g. {bad[:3]}"
        # each key lives on the master that owns its slot, and only there
        per_master = {m.port: cluster6.node(m.port).cmd("DBSIZE") for m in cluster6.masters()}
        assert sum(per_master.values()) == N_KEYS, per_master
        assert all(v > N_KEYS // 4 for v in per_master.values()), per_master
        for k in keys[:: N_KEYS // 50]:
            owner = cluster6.master_for_key(k)
            assert owner.cmd("GET", k) == data[k]
            assert cluster6.non_owner_for_key(k).cmd("GET", k) == moved(k, owner.port)

        # hash tags: multi-key commands on keys of one slot
        for t in range(30):
            tag = f"{{user{t}}}"
            m = {f"{tag}.name".encode(): b"n%d" % t, f"{tag}.email".encode(): b"e%d@x" % t,
                 f"{tag}.bio".encode(): _value(rng, t)}
            assert len({key_slot(k) for k in m}) == 1
            assert rc.mset(m)
            assert rc.mget(list(m)) == list(m.values())
            assert rc.sadd(f"{tag}.s1", "a", "b", "c") == 3
            assert rc.sadd(f"{tag}.s2", "c", "d") == 2
            assert rc.sunionstore(f"{tag}.all", f"{tag}.s1", f"{tag}.s2") == 4
            assert rc.smembers(f"{tag}.all") == {b"a", b"b", b"c", b"d"}
            assert rc.delete(*m) == 3  # multi-key DEL in one slot
            assert rc.exists(f"{tag}.s1", f"{tag}.s2", f"{tag}.all") == 3
        # pipelines split by node
        pipe = rc.pipeline()
        for i in range(0, N_KEYS, 97):
            pipe.get(keys[i])
        assert pipe.execute() == [data[keys[i]] for i in range(0, N_KEYS, 97)]
        assert rc.get("{user1000}.following") is None
    finally:
        rc.close()
        for m in cluster6.masters():
            cluster6.node(m.port).cmd("FLUSHALL")
