"""The command table seen by clients, compared with a real redis-server 7.0 in the same run.

Cluster clients read key positions from COMMAND INFO and redis-cli reads argument hints from
COMMAND DOCS, so for every command Shoal lists that Redis also has, both must say the same."""

from __future__ import annotations

import pytest

from conftest import REDIS_SERVER
from helpers import IS_REDIS, RespConn

pytestmark = pytest.mark.skipif(
    IS_REDIS or REDIS_SERVER is None, reason="compares shoal-server with redis-server")


def shared_commands(shoal: RespConn, redis: RespConn) -> list[str]:
    names = [n.decode() for n in shoal.cmd("COMMAND", "LIST")]
    known = set(n.decode() for n in redis.cmd("COMMAND", "LIST"))
    shared = [n for n in names if n in known]
    assert len(shared) > 60, shared
    return shared


def test_command_info_matches_redis(raw, redis_peer):
    mismatches = []
    for name in shared_commands(raw, redis_peer):
        mine = raw.cmd("COMMAND", "INFO", name)[0]
        theirs = redis_peer.cmd("COMMAND", "INFO", name)[0]
        # name, arity, flags (a set), first key, last key, step, ACL categories (Redis's order)
        def core(info):
            return (info[0], info[1], sorted(info[2]), info[3], info[4], info[5], info[6])
        if core(mine) != core(theirs):
            mismatches.append((name, core(mine), core(theirs)))
        # Key specs (begin_search / find_keys / flags), compared whole: cluster clients use them.
        if mine[8] != theirs[8]:
            mismatches.append((name, "key specs", mine[8], theirs[8]))
    assert mismatches == []


def test_command_docs_arguments_match_redis(raw, redis_peer):
    mismatches = []
    for name in shared_commands(raw, redis_peer):
        mine = raw.cmd("COMMAND", "DOCS", name)
        theirs = redis_peer.cmd("COMMAND", "DOCS", name)

        def arguments(reply):
            doc = dict(zip(reply[1][::2], reply[1][1::2]))
            return doc.get(b"arguments")
        if arguments(mine) != arguments(theirs):
            mismatches.append(name)
    assert mismatches == []
