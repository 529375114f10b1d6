"""Connection limits and live settings: maxclients, timeout, client-query-buffer-limit, CONFIG SET
of hz / timeout / requirepass taking effect without a restart. Same expectations for redis-server."""

from __future__ import annotations

import socket
import time

from helpers import RespConn, RespError, wait_for


def test_maxclients_refuses_the_extra_client(server_factory):
    sp = server_factory(args=["--maxclients", "3"])
    held = []

    def take_a_slot():
        # The readiness probe's connection may not be counted out yet when the first ones
        # arrive (its close is handled on another event loop): a refused one is tried again.
        c = sp.raw()
        reply = c.cmd("PING")
        if reply == "PONG":
            held.append(c)
            return True
        assert reply == RespError("ERR max number of clients reached")
        c.close()
        return False

    try:
        for _ in range(3):
            wait_for(take_a_slot, timeout=5, what="a client slot")
        extra = RespConn(sp.port)
        try:
            # Redis greets the refused client with the error and closes the connection.
            data = extra.read_until_closed(timeout=5)
            assert data == b"-ERR max number of clients reached\r\n"
        finally:
            extra.close()
        held.pop().close()
        # A slot is free again once a client leaves.
        def answers():
            with RespConn(sp.port) as c:
                try:
                    return c.cmd("PING") == "PONG"
                except (ConnectionError, OSError, AssertionError):
                    return False
        wait_for(answers, timeout=5, what="a client slot to free up")
    finally:
        for c in held:
            c.close()
    info = sp.info_text("stats")
    assert "rejected_connections:" in info
    assert int(info.split("rejected_connections:")[1].split()[0]) >= 1


def test_idle_timeout_closes_silent_clients(server_factory):
    sp = server_factory(args=["--timeout", "1"])
    idle = sp.raw()
    busy = sp.raw()
    try:
        assert idle.cmd("PING") == "PONG"
        deadline = time.monotonic() + 8
        closed = False
        while time.monotonic() < deadline and not closed:
            assert busy.cmd("PING") == "PONG"  # an active client is never timed out
            try:
                idle.sock.settimeout(0.2)
                closed = idle.sock.recv(1) == b""
            except socket.timeout:
                pass
            except OSError:
                closed = True
        assert closed, "the idle client was not closed within 8 s of a 1 s timeout"
        assert busy.cmd("PING") == "PONG"
    finally:
        idle.close()
        busy.close()


def test_config_set_timeout_applies_live(server_factory):
    sp = server_factory()
    admin = sp.raw()
    idle = sp.raw()
    try:
        assert idle.cmd("PING") == "PONG"
        assert admin.cmd("CONFIG", "SET", "timeout", "1") == "OK"
        def idle_closed():
            assert admin.cmd("PING") == "PONG"
            try:
                idle.sock.settimeout(0.2)
                return idle.sock.recv(1) == b""
            except socket.timeout:
                return False
            except OSError:
                return True
        wait_for(idle_closed, timeout=8, what="the idle client to be closed after CONFIG SET timeout 1")
    finally:
        admin.close()
        idle.close()


def test_query_buffer_limit_closes_the_client(server_factory):
    sp = server_factory(args=["--client-query-buffer-limit", "1mb"])
    c = sp.raw()
    try:
        # A bulk header announcing 4 MiB, then more than the 1 MiB limit of its payload: the
        # server must drop the client instead of buffering without bound.
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4194304\r\n")
        chunk = b"x" * 65536
        try:
            for _ in range(40):
                c.send(chunk)
                time.sleep(0.002)
            data = c.read_until_closed(timeout=10)
        except OSError:
            data = b""
        assert b"+OK" not in data
    finally:
        c.close()
    with sp.raw() as other:
        assert other.cmd("PING") == "PONG"
        assert other.cmd("EXISTS", "k") == 0


def test_config_set_requirepass_applies_to_new_connections(server_factory):
    sp = server_factory()
    admin = sp.raw()
    try:
        assert admin.cmd("CONFIG", "SET", "requirepass", "s3cret") == "OK"
        # The connection that set it stays authenticated, as in Redis.
        assert admin.cmd("PING") == "PONG"
        with RespConn(sp.port) as fresh:
            assert fresh.cmd("GET", "x") == RespError("NOAUTH Authentication required.")
            assert fresh.cmd("AUTH", "wrong") == RespError(
                "WRONGPASS invalid username-password pair or user is disabled.")
            assert fresh.cmd("AUTH", "s3cret") == "OK"
            assert fresh.cmd("GET", "x") is None
        assert admin.cmd("CONFIG", "SET", "requirepass", "") == "OK"
    finally:
        admin.close()


def test_config_set_hz_keeps_active_expiry_running(server_factory):
    sp = server_factory()
    c = sp.raw()
    try:
        assert c.cmd("CONFIG", "SET", "hz", "100") == "OK"
        assert c.cmd("CONFIG", "GET", "hz") == [b"hz", b"100"]
        for i in range(200):
            c.send(f"*5\r\n$3\r\nSET\r\n${len(f'e{i}')}\r\ne{i}\r\n$1\r\nv\r\n$2\r\nPX\r\n$2\r\n50\r\n".encode())
        for _ in range(200):
            assert c.read() == "OK"
        # Nobody touches the keys: only the active cycle (driven by hz) can remove them.
        wait_for(lambda: c.cmd("DBSIZE") == 0, timeout=10, what="active expiry at hz 100")
    finally:
        c.close()
