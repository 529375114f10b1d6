"""Key expiry: lazy (on access) and active (background), and the counters that show it."""

import time

import pytest
import redis

from helpers import info_fields, parse_info, wait_for


def test_lazy_expiry_hides_key_everywhere(r):
    r.set("short", "v", px=50)
    r.set("keep", "v")
    assert r.get("short") == "v"
    time.sleep(0.06)
    # Every way of looking at the key agrees it is gone, whether or not it was reclaimed yet.
    assert r.get("short") is None
    r.set("short2", "v", px=50)
    time.sleep(0.06)
    assert r.exists("short2") == 0
    r.set("short3", "v", px=50)
    time.sleep(0.06)
    assert r.ttl("short3") == -2
    assert r.pttl("short3") == -2
    r.set("short4", "v", px=50)
    time.sleep(0.06)
    assert r.keys("*") == ["keep"]
    r.set("short5", "v", px=50)
    time.sleep(0.06)
    assert set(r.scan_iter(count=100)) == {"keep"}
    r.set("short6", "v", px=50)
    time.sleep(0.06)
    assert r.mget("short6", "keep") == [None, "v"]
    assert r.type("short6") == "none"
    assert r.strlen("short6") == 0
    assert r.incr("short6") == 1  # a fresh key, not the expired value
    # DBSIZE may count expired keys until they are reclaimed, but eventually it agrees.
    wait_for(lambda: r.dbsize() == 2, timeout=20, what="DBSIZE to drop the expired keys")


def test_lazy_expiry_on_write_commands(r):
    r.set("k", "old", px=50)
    time.sleep(0.06)
    assert r.append("k", "x") == 1
    assert r.get("k") == "x"
    assert r.ttl("k") == -1
    r.set("n", "v", px=50)
    time.sleep(0.06)
    assert r.set("n", "new", nx=True) is True
    r.set("g", "v", px=50)
    time.sleep(0.06)
    assert r.getset("g", "new") is None
    r.set("e", "v", px=50)
    time.sleep(0.06)
    assert r.expire("e", 100) is False
    assert r.persist("e") is False
    r.set("rn", "v", px=50)
    time.sleep(0.06)
    with pytest.raises(redis.ResponseError) as e:
        r.rename("rn", "other")
    assert str(e.value) == "no such key"


def test_active_expiry_reclaims_untouched_keys(server, r):
    before = int(info_fields(server.info_text("stats"))["expired_keys"])
    pipe = r.pipeline(transaction=False)
    for i in range(10_000):
        pipe.set(f"vol:{i}", "x", px=300)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    r.set("persistent", "v")

    def keyspace_db0():
        return parse_info(server.info_text("keyspace")).get("keyspace", {}).get("db0")

    db0 = keyspace_db0()
    assert db0 is not None
    # Right after loading, the volatile keys are counted (unless already reclaimed).
    # Then, without any access to those keys, the server reclaims them.
    wait_for(lambda: r.dbsize() == 1, timeout=30, interval=0.2, what="active expiry to reclaim 10,000 keys")
    wait_for(lambda: (keyspace_db0() or "").startswith("keys=1,expires=0"), timeout=10, interval=0.2,
             what="INFO keyspace to show only the persistent key")
    after = int(info_fields(server.info_text("stats"))["expired_keys"])
    assert after - before >= 10_000
    assert r.get("persistent") == "v"


def test_keyspace_line_counts_expires(server, r):
    r.set("a", "1")
    r.set("b", "2", ex=1000)
    r.set("c", "3", ex=1000)
    db0 = parse_info(server.info_text("keyspace"))["keyspace"]["db0"]
    fields = dict(kv.split("=") for kv in db0.split(","))
    assert fields["keys"] == "3"
    assert fields["expires"] == "2"
    # avg_ttl is an estimate Redis refreshes in its expiry cycle; 0 means "not known yet".
    assert 0 <= int(fields["avg_ttl"]) <= 1_000_000
