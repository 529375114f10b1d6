"""Extra set checks: fairness of random picks, reply shapes of the count forms, TTL kept by
partial pops, SSCAN's guarantee while the set shrinks hard. Valid against redis-server too
(SHOAL_E2E_TARGET=redis)."""

from __future__ import annotations

import pytest

from helpers import RespConn, RespSet


@pytest.fixture
def c(server):
    with RespConn(server.port) as conn:
        conn.cmd("FLUSHALL")
        yield conn


def members(n, kind):
    return [str(i) if kind == "int" else f"m:{i}" for i in range(n)]


# Redis's own dictGetFairRandomKey is visibly biased on a sparse table (the "str" case leaves
# 10 members in a table sized for 310), so that case is Shoal's guarantee only.
@pytest.mark.parametrize("kind", ["int", pytest.param("str", marks=pytest.mark.shoal_only)])
def test_srandmember_is_fair(c, kind):
    # 10 members, 20,000 picks with repetition: each ~2,000; a fair source stays within ±15%.
    c.cmd("SADD", "s", *members(10, kind))
    if kind == "str":
        c.cmd("SADD", "s", *members(300, kind))
        c.cmd("SREM", "s", *members(300, kind)[10:])
    picks = c.cmd("SRANDMEMBER", "s", "-20000")
    counts = {}
    for p in picks:
        counts[p] = counts.get(p, 0) + 1
    assert len(counts) == 10
    assert all(1700 < n < 2300 for n in counts.values()), counts


@pytest.mark.parametrize("kind", ["int", "str"])
def test_spop_is_fair(c, kind):
    seen = {}
    for _ in range(1000):
        c.cmd("DEL", "s")
        c.cmd("SADD", "s", *members(5, kind))
        p = c.cmd("SPOP", "s")
        seen[p] = seen.get(p, 0) + 1
    assert len(seen) == 5
    assert all(140 < n < 260 for n in seen.values()), seen


@pytest.mark.parametrize("kind", ["int", "str"])
def test_partial_pops_keep_ttl_and_members(c, kind):
    all_members = members(200, kind)
    c.cmd("SADD", "s", *all_members)
    c.cmd("EXPIRE", "s", "1000")
    popped = set()
    for count in (1, 30, 150):  # few, some, most of what is left (Redis's two strategies)
        got = c.cmd("SPOP", "s", str(count))
        assert len(got) == count and len(set(got)) == count
        popped |= set(got)
        assert 0 < c.cmd("TTL", "s") <= 1000
    rest = set(c.cmd("SMEMBERS", "s"))
    assert len(rest) == 19 and not (rest & popped)
    assert {m.decode() for m in rest | popped} == set(all_members)


def test_sscan_while_the_set_shrinks(c):
    c.cmd("SADD", "s", *[f"keep:{i}" for i in range(500)])
    c.cmd("SADD", "s", *[f"drop:{i}" for i in range(20000)])
    seen = set()
    cursor = b"0"
    dropped = 0
    while True:
        cursor, batch = c.cmd("SSCAN", "s", cursor, "COUNT", "25")
        seen.update(batch)
        if dropped < 20000:
            c.cmd("SREM", "s", *[f"drop:{i}" for i in range(dropped, dropped + 1000)])
            dropped += 1000
        if cursor == b"0":
            break
    assert {f"keep:{i}".encode() for i in range(500)} <= seen


def test_count_forms_reply_types_resp3(server):
    with RespConn(server.port) as c3:
        c3.cmd("HELLO", "3")
        c3.cmd("DEL", "s")
        c3.cmd("SADD", "s", "a", "b", "c")
        assert isinstance(c3.cmd("SPOP", "s", "1"), RespSet)
        one = c3.cmd("SRANDMEMBER", "s", "1")
        assert type(one) is list and len(one) == 1
        many = c3.cmd("SRANDMEMBER", "s", "-3")
        assert type(many) is list and len(many) == 3
        rest = c3.cmd("SPOP", "s", "5")
        assert isinstance(rest, RespSet) and len(rest) == 2
        assert c3.cmd("SINTERCARD", "1", "s") == 0
        assert c3.cmd("SPOP", "s") is None
