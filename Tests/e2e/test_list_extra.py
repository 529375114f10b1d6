"""Lists that span many nodes: random operations checked against a Python model under several
`list-max-listpack-size` values (node edges, splits, whole-node drops), large elements, and a few
Redis 7.0 argument edge cases (LONG_MIN counts and ranks, timeouts a long double cannot cast).
Runs unchanged against redis-server (SHOAL_E2E_TARGET=redis)."""

from __future__ import annotations

import random

import pytest

from types_helpers import require_multi, wire  # noqa: F401


def _bytes_list(raw, key):
    return raw.cmd("LRANGE", key, "0", "-1")


def _index(model, i):
    return i + len(model) if i < 0 else i


@pytest.mark.parametrize("fill", ["-2", "-1", "1", "3", "0"])
def test_random_operations_match_model(raw, fill):
    assert raw.cmd("CONFIG", "SET", "list-max-listpack-size", fill) == "OK"
    rng = random.Random(int(fill) + 100)
    model: list[bytes] = []

    def value():
        k = rng.randrange(20)
        if k == 0:
            return b""
        if k == 1:
            return b"L" * rng.randrange(200, 5000)
        return b"e%d" % rng.randrange(15)

    for _ in range(300):
        v = value()
        raw.cmd("RPUSH", "l", v)
        model.append(v)
    for step in range(1500):
        op = rng.randrange(12)
        if op == 0:
            v = value()
            assert raw.cmd("LPUSH", "l", v) == len(model) + 1
            model.insert(0, v)
        elif op == 1:
            vs = [value() for _ in range(rng.randrange(1, 4))]
            assert raw.cmd("RPUSH", "l", *vs) == len(model) + len(vs)
            model.extend(vs)
        elif op == 2:
            n = rng.randrange(0, 4)
            got = raw.cmd("LPOP", "l", str(n))
            if model:
                assert got == model[:n]
                del model[:n]
            else:
                assert got is None
        elif op == 3:
            got = raw.cmd("RPOP", "l")
            assert got == (model.pop() if model else None)
        elif op == 4 and model:
            i = rng.randrange(-len(model), len(model))
            v = value()
            assert raw.cmd("LSET", "l", str(i), v) == "OK"
            model[_index(model, i)] = v
        elif op == 5 and model:
            pivot = model[rng.randrange(len(model))]
            where = rng.choice(["BEFORE", "AFTER"])
            v = value()
            assert raw.cmd("LINSERT", "l", where, pivot, v) == len(model) + 1
            at = model.index(pivot)
            model.insert(at + 1 if where == "AFTER" else at, v)
        elif op == 6:
            target = b"e%d" % rng.randrange(15)
            count = rng.randrange(-3, 4)
            removed = raw.cmd("LREM", "l", str(count), target)
            expected = 0
            if count >= 0:
                out = []
                for x in model:
                    if x == target and (count == 0 or expected < count):
                        expected += 1
                    else:
                        out.append(x)
                model = out
            else:
                out = []
                for x in reversed(model):
                    if x == target and expected < -count:
                        expected += 1
                    else:
                        out.append(x)
                model = out[::-1]
            assert removed == expected
        elif op == 7 and model:
            start = rng.randrange(-len(model) - 2, len(model) + 2)
            stop = rng.randrange(-len(model) - 2, len(model) + 2)
            got = raw.cmd("LRANGE", "l", str(start), str(stop))
            s = max(_index(model, start), 0)
            e = min(_index(model, stop), len(model) - 1)
            assert got == (model[s:e + 1] if s <= e else [])
        elif op == 8 and model:
            i = rng.randrange(-len(model) - 1, len(model) + 1)
            got = raw.cmd("LINDEX", "l", str(i))
            j = _index(model, i)
            assert got == (model[j] if 0 <= j < len(model) else None)
        elif op == 9 and len(model) > 10 and step % 10 == 0:
            start, stop = rng.randrange(0, 5), -rng.randrange(1, 5)
            assert raw.cmd("LTRIM", "l", str(start), str(stop)) == "OK"
            model = model[start:len(model) + stop + 1]
        elif op == 10:
            target = b"e%d" % rng.randrange(15)
            rank = rng.choice([1, 2, -1, -2])
            got = raw.cmd("LPOS", "l", target, "RANK", str(rank), "COUNT", "0")
            idx = [i for i, x in enumerate(model) if x == target]
            if rank < 0:
                idx = idx[::-1]
            assert got == idx[abs(rank) - 1:]
        elif op == 11 and model:
            src_side, dst_side = rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"])
            v = model.pop(0) if src_side == "LEFT" else model.pop()
            assert raw.cmd("LMOVE", "l", "l", src_side, dst_side) == v
            if dst_side == "LEFT":
                model.insert(0, v)
            else:
                model.append(v)
        if not model:
            assert raw.cmd("EXISTS", "l") == 0
        if step % 100 == 0:
            assert raw.cmd("LLEN", "l") == len(model)
            assert _bytes_list(raw, "l") == model
    assert _bytes_list(raw, "l") == model
    assert raw.cmd("CONFIG", "SET", "list-max-listpack-size", "-2") == "OK"


def test_large_elements_and_copy(raw):
    big = [bytes([i]) * (100_000 + i) for i in range(5)]
    raw.cmd("RPUSH", "l", *big)
    raw.cmd("LPUSH", "l", "small")
    assert raw.cmd("LINDEX", "l", "3") == big[2]
    assert raw.cmd("LSET", "l", "1", "tiny") == "OK"
    assert raw.cmd("LINSERT", "l", "BEFORE", big[3], "mid") == 7
    assert raw.cmd("COPY", "l", "c") == 1
    assert raw.cmd("RPOP", "c", "2") == [big[4], big[3]]
    assert raw.cmd("LRANGE", "l", "0", "-1") == [b"small", b"tiny", big[1], big[2], b"mid", big[3], big[4]]
    assert raw.cmd("OBJECT", "ENCODING", "c") == b"quicklist"


def test_long_min_arguments(raw):
    raw.cmd("RPUSH", "l", "a", "b", "a", "c", "a")
    # Redis negates these with C's wrap-around: LONG_MIN stays negative.
    assert raw.cmd("LPOS", "l", "a", "RANK", "-9223372036854775808") == 4
    assert raw.cmd("LREM", "l", "-9223372036854775808", "a") == 3
    assert raw.cmd("LRANGE", "l", "-9223372036854775808", "9223372036854775807") == [b"b", b"c"]
    assert raw.cmd("LINDEX", "l", "-9223372036854775808") is None
    assert raw.cmd("LTRIM", "l", "9223372036854775807", "-9223372036854775808") == "OK"
    assert raw.cmd("EXISTS", "l") == 0


@pytest.mark.parametrize("timeout,error", [
    ("inf", "-ERR timeout is negative"),
    ("1e400", "-ERR timeout is negative"),
    ("9223372036854775807", "-ERR timeout is negative"),
    ("nan", "-ERR timeout is not a float or out of range"),
    ("", "-ERR timeout is not a float or out of range"),
    ("1 ", "-ERR timeout is not a float or out of range"),
])
def test_timeouts_a_long_double_cast_refuses(raw, timeout, error):
    assert wire(raw, "BLPOP", "l", timeout) == error
    assert wire(raw, "BLMOVE", "l", "d", "LEFT", "LEFT", timeout) == error


def test_blocking_pop_with_data_in_multi(raw):
    require_multi(raw)
    raw.cmd("RPUSH", "l", "x")
    assert raw.cmd("MULTI") == "OK"
    raw.cmd("BLPOP", "l", "0")
    raw.cmd("BLPOP", "l", "0")
    raw.cmd("BLMOVE", "l", "d", "LEFT", "LEFT", "0")
    raw.cmd("BLMPOP", "0", "1", "l", "LEFT")
    assert raw.cmd("EXEC") == [[b"l", b"x"], None, None, None]
