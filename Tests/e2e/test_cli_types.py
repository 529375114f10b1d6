"""Every list, hash, set and sorted-set command through redis-cli, against Shoal and a real
redis-server side by side: the text redis-cli prints (RESP2 and RESP3 renderings) must be the same.

Random commands (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER) run on one-element collections so
their output is deterministic; blocking ones use data that is already there, or a short timeout.
SUNION / SDIFF over hashtable sets have no defined order (not even between two redis-servers), so
they appear here through their STORE forms; test_sets.py checks their members."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from conftest import REDIS_SERVER
from helpers import IS_REDIS

pytestmark = pytest.mark.skipif(
    IS_REDIS or REDIS_SERVER is None, reason="compares shoal-server with redis-server")

SCRIPT = """
RPUSH l a b c d e
LPUSH l z
LPUSHX l y
RPUSHX l f
RPUSHX nolist x
LLEN l
LRANGE l 0 -1
LRANGE l -3 100
LINDEX l 2
LINDEX l 99
LSET l 0 Y
LSET nolist 0 x
LINSERT l BEFORE c bb
LINSERT l AFTER missing q
LREM l 0 bb
LTRIM l 0 5
LPOS l c
LPOS l c RANK -1 COUNT 0 MAXLEN 10
LPOP l
LPOP l 2
RPOP l
RPOP l 0
LMOVE l l2 LEFT RIGHT
RPOPLPUSH l l2
LMPOP 2 nolist l RIGHT COUNT 5
BLPOP l2 0.01
BRPOP l2 0.01
BLMOVE nolist l3 LEFT LEFT 0.01
BRPOPLPUSH nolist l3 0.01
BLMPOP 0.01 2 nolist l2 LEFT COUNT 2
LPOP nolist 3
HSET h f1 v1 f2 v2 f3 3
HSETNX h f1 x
HSETNX h f4 v4
HGET h f1
HMGET h f1 nofield f2
HMSET h f5 v5
HDEL h f5 nofield
HLEN h
HEXISTS h f1
HKEYS h
HVALS h
HGETALL h
HINCRBY h f3 10
HINCRBY h f1 1
HINCRBYFLOAT h f3 1.5
HINCRBYFLOAT h f6 0.1
HSTRLEN h f1
HSET h1 only one
HRANDFIELD h1
HRANDFIELD h1 1 WITHVALUES
HRANDFIELD h1 -2
HSCAN h 0
HSCAN h 0 MATCH f* COUNT 100
SADD s 3 1 2
SADD s 2 4
SADD t b a 3
SREM s 4 99
SMEMBERS s
SISMEMBER s 1
SMISMEMBER s 1 9
SCARD s
SADD one x
SPOP one
SADD one x
SRANDMEMBER one
SRANDMEMBER one -3
SPOP nosuchset 2
SMOVE s t 1
SINTER s t
SINTERCARD 2 s t LIMIT 5
SINTERSTORE st s t
SUNIONSTORE su s t
SDIFFSTORE sd t s
SSCAN s 0
SSCAN s 0 MATCH 2 COUNT 10
ZADD z 1 a 2 b 3 c
ZADD z NX 10 a 4 d
ZADD z XX GT CH 5 b
ZADD z INCR 0.5 a
ZADD z 0.1 e
ZINCRBY z -1 c
ZREM z nomember d
ZCARD z
ZSCORE z a
ZSCORE z e
ZMSCORE z a missing
ZRANK z b
ZREVRANK z b
ZRANGE z 0 -1 WITHSCORES
ZRANGE z (1 +inf BYSCORE LIMIT 0 2
ZRANGE z + - BYLEX REV
ZRANGESTORE zdst z 0 1
ZREVRANGE z 0 1 WITHSCORES
ZRANGEBYSCORE z -inf (5 WITHSCORES
ZREVRANGEBYSCORE z +inf 1
ZADD lex 0 a 0 b 0 c 0 d
ZRANGEBYLEX lex [b (d
ZREVRANGEBYLEX lex + [b LIMIT 0 2
ZCOUNT z 1 +inf
ZLEXCOUNT lex - +
ZPOPMIN z
ZPOPMAX z 2
ZADD z 1 a 2 b 3 c
ZADD z1 7 only
ZRANDMEMBER z1
ZRANDMEMBER z1 -2 WITHSCORES
ZADD w 1 a 5 x
ZUNION 2 z w WITHSCORES
ZINTER 2 z w WEIGHTS 2 3 AGGREGATE MAX WITHSCORES
ZDIFF 2 z w
ZUNIONSTORE zu 2 z w AGGREGATE MIN
ZINTERSTORE zi 2 z w
ZDIFFSTORE zd 2 z w
ZINTERCARD 2 z w
ZMPOP 2 nozset z MIN COUNT 2
BZPOPMIN z 0.01
BZPOPMAX nozset 0.01
BZMPOP 0.01 1 w MAX
ZREMRANGEBYRANK zu 0 0
ZREMRANGEBYSCORE zu -inf 2
ZREMRANGEBYLEX lex [a [b
ZSCAN lex 0
ZADD z nan a
ZADD z XX NX 1 a
LPUSH h x
HGET l f
TYPE l2
TYPE h
TYPE s
TYPE z
OBJECT ENCODING l2
OBJECT ENCODING h
OBJECT ENCODING s
OBJECT ENCODING t
OBJECT ENCODING z
"""


def run_script(port: int, *flags: str) -> list[str]:
    outputs = []
    for line in SCRIPT.strip().splitlines():
        res = subprocess.run(["redis-cli", "-p", str(port), *flags, *shlex.split(line)],
                             capture_output=True, timeout=30)
        outputs.append(f"> {line}\n" + res.stdout.decode("utf-8", "replace"))
    return outputs


@pytest.mark.parametrize("flags", [("--no-raw",), ("-3", "--no-raw")], ids=["resp2", "resp3"])
def test_every_collection_command_prints_as_redis(db, redis_peer, flags):
    assert redis_peer.cmd("FLUSHALL") == "OK"
    mine = run_script(db.port, *flags)
    theirs = run_script(redis_peer.port, *flags)
    different = [f"{a}--- redis-server printed:\n{b}" for a, b in zip(mine, theirs) if a != b]
    assert different == [], "\n".join(different[:10])
