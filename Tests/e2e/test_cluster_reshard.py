"""redis-cli --cluster reshard and rebalance drive SETSLOT / GETKEYSINSLOT / MIGRATE on the
cluster under test; every key must survive with its value. Valid against redis-server too."""

from __future__ import annotations

from redis.cluster import RedisCluster

from cluster_helpers import redis_cli


def _load(port: int, n: int):
    rc = RedisCluster(host="127.0.0.1", port=port)
    pipe = rc.pipeline()
    for i in range(n):
        pipe.set(f"key:{i}", f"value-{i}-" + "x" * 80)
    pipe.hset("{h}big", mapping={f"f{i}": i for i in range(300)})
    pipe.execute()
    return rc


def _check_all(port: int, n: int):
    rc = RedisCluster(host="127.0.0.1", port=port)
    values = rc.mget_nonatomic([f"key:{i}" for i in range(n)])
    assert [i for i, v in enumerate(values) if v != f"value-{i}-".encode() + b"x" * 80] == []
    assert rc.hlen("{h}big") == 300


def test_redis_cli_reshard_and_rebalance(cluster_factory):
    c = cluster_factory(n=3, replicas=0)
    a, b = c.masters()[0], c.masters()[1]
    _load(a.port, 10_000)
    res = redis_cli("--cluster", "reshard", f"127.0.0.1:{a.port}", "--cluster-from", a.id, "--cluster-to", b.id,
                    "--cluster-slots", 500, "--cluster-yes", timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    check = redis_cli("--cluster", "check", f"127.0.0.1:{a.port}")
    assert check.returncode == 0 and "[OK] All 16384 slots covered." in check.stdout, check.stdout
    assert "open" not in check.stdout.split("Check for open slots...")[-1].split(">>>")[0]
    _check_all(a.port, 10_000)
    counts = {m.id: len(m.slot_set()) for m in c.masters()}
    assert counts[b.id] == 5462 + 500
    # Even the slots out again.
    res = redis_cli("--cluster", "rebalance", f"127.0.0.1:{a.port}", "--cluster-threshold", 1, timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    counts = sorted(len(m.slot_set()) for m in c.masters())
    assert counts[-1] - counts[0] <= 2, counts
    _check_all(a.port, 10_000)
