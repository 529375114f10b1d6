"""The RESP wire protocol: pipelining, inline commands, protocol errors, big values, clients that
misbehave (half-sent commands, disconnects mid-reply, random bytes). The server must survive all."""

import os
import random
import socket
import time

import pytest

from helpers import RespError, encode_command


def _alive_and_serving(server):
    assert server.alive(), f"server died:\n{server.log_tail()}"
    with server.raw() as c:
        assert c.cmd("PING") == "PONG"


# ---------------------------------------------------------------------------------------------
# Pipelining and inline commands

def test_pipeline_1000_commands_in_one_write(raw):
    payload = []
    expected = []
    for i in range(500):
        payload.append(encode_command("SET", f"key:{i}", f"value:{i}"))
        payload.append(encode_command("GET", f"key:{i}"))
        expected += ["OK", f"value:{i}".encode()]
    raw.send(b"".join(payload))
    got = [raw.read() for _ in range(1000)]
    assert got == expected


def test_pipeline_mixed_errors_stay_in_order(raw):
    raw.send(encode_command("SET", "a", "1") + encode_command("NOPE") + encode_command("INCR", "a")
             + encode_command("GET") + encode_command("GET", "a"))
    assert raw.read() == "OK"
    assert isinstance(raw.read(), RespError)
    assert raw.read() == 2
    assert raw.read() == RespError("ERR wrong number of arguments for 'get' command")
    assert raw.read() == b"2"


def test_pipeline_byte_by_byte(raw):
    data = encode_command("SET", "slow", "drip") + encode_command("GET", "slow")
    for i in range(len(data)):
        raw.send(data[i:i + 1])
    assert raw.read() == "OK"
    assert raw.read() == b"drip"


def test_inline_commands(raw):
    raw.send(b"PING\r\n")
    assert raw.read() == "PONG"
    raw.send(b'SET a "b c"\r\n')
    assert raw.read() == "OK"
    raw.send(b"GET a\r\n")
    assert raw.read() == b"b c"
    raw.send(b"SET b 'single quoted'\r\nGET b\r\n")
    assert raw.read() == "OK"
    assert raw.read() == b"single quoted"
    raw.send(b'SET c "x\\x41\\n"\r\nGET c\r\n')  # hex and backslash escapes in double quotes
    assert raw.read() == "OK"
    assert raw.read() == b"xA\n"
    raw.send(b"PING\n")  # a bare LF ends an inline command too
    assert raw.read() == "PONG"
    raw.send(b"\r\n\r\nECHO   spaced\r\n")  # empty lines are ignored, runs of spaces separate
    assert raw.read() == b"spaced"
    raw.send(b"FOO a b\r\n")
    assert raw.read() == RespError("ERR unknown command 'FOO', with args beginning with: 'a' 'b' ")


def test_inline_unbalanced_quotes(server, db):
    with server.raw() as c:
        c.send(b'SET a "b\r\n')
        assert c.read_until_closed() == b"-ERR Protocol error: unbalanced quotes in request\r\n"
    _alive_and_serving(server)


def test_empty_multibulk_is_ignored(raw):
    raw.send(b"*0\r\n*1\r\n$4\r\nPING\r\n")
    assert raw.read() == "PONG"


# ---------------------------------------------------------------------------------------------
# Protocol errors: exact reply, then the connection is closed

@pytest.mark.parametrize("data,reply", [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
    (b"*2\r\n$3\r\nGET\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$999999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$536870913\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
])
def test_protocol_errors_close_connection(server, db, data, reply):
    with server.raw() as c:
        c.send(data)
        assert c.read_until_closed() == reply
    _alive_and_serving(server)


def test_protocol_error_after_good_commands(server, db):
    with server.raw() as c:
        c.send(encode_command("SET", "k", "v") + b"*x\r\n" + encode_command("GET", "k"))
        data = c.read_until_closed()
        assert data == b"+OK\r\n-ERR Protocol error: invalid multibulk length\r\n"
    with server.raw() as c:
        assert c.cmd("GET", "k") == b"v"


def test_huge_multibulk_count_does_not_hurt(server, db):
    """`*2000000` from an authenticated client: Redis waits for the arguments without allocating
    them up front. Whatever the server does (wait or refuse), it keeps serving and its memory
    stays bounded."""
    rss_before = _rss_kib(server.pid)
    conns = []
    for _ in range(20):
        c = server.raw()
        c.send(b"*2000000\r\n")
        conns.append(c)
    time.sleep(0.2)
    _alive_and_serving(server)
    rss_after = _rss_kib(server.pid)
    assert rss_after - rss_before < 200 * 1024, f"RSS grew {rss_after - rss_before} KiB"
    for c in conns:
        c.close()
    _alive_and_serving(server)


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


# ---------------------------------------------------------------------------------------------
# Big values

def test_one_mib_value_round_trip(rb):
    value = os.urandom(1 << 20)
    assert rb.set("big", value) is True
    assert rb.strlen("big") == 1 << 20
    assert rb.get("big") == value
    assert rb.getrange("big", -10, -1) == value[-10:]
    assert rb.append("big", b"tail") == (1 << 20) + 4
    assert rb.get("big") == value + b"tail"


def test_many_big_values_in_one_mget(rb):
    values = {f"b{i}": os.urandom(256 * 1024) for i in range(16)}
    rb.mset(values)
    got = rb.mget(list(values))
    assert got == list(values.values())


# ---------------------------------------------------------------------------------------------
# Misbehaving clients

def test_half_sent_command_then_disconnect(server, db):
    half = server.raw()
    half.send(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nonly")
    with server.raw() as other:  # a partial command on one connection blocks nobody else
        assert other.cmd("SET", "x", "1") == "OK"
        assert other.cmd("GET", "x") == b"1"
    half.close()
    time.sleep(0.05)
    with server.raw() as other:
        assert other.cmd("EXISTS", "half") == 0
        assert other.cmd("PING") == "PONG"
    half = server.raw()
    half.send(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel")  # finished later: still executed once
    time.sleep(0.05)
    half.send(b"lo\r\n")
    assert half.read() == b"hello"
    half.close()
    _alive_and_serving(server)


def test_disconnect_while_big_reply_is_written(server, db):
    with server.raw() as c:
        c.ok("MSET", *[x for i in range(20) for x in (f"big{i}", "x" * (256 * 1024))])
    keys = [f"big{i}" for i in range(20)] * 4  # ~20 MiB of reply
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(encode_command("MGET", *keys) * 3)
        s.recv(1024)
        # close with unread data: the kernel resets the connection under the server's writes
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    time.sleep(0.2)
    _alive_and_serving(server)
    with server.raw() as c:
        assert c.cmd("STRLEN", "big0") == 256 * 1024


def test_random_garbage_never_crashes(server, db):
    rng = random.Random(20240607)
    valid = [encode_command("SET", "k", "v"), encode_command("GET", "k"), encode_command("PING"),
             encode_command("MGET", "a", "b", "c"), b"PING\r\n", b'SET a "b c"\r\n']
    for round_ in range(60):
        kind = round_ % 4
        if kind == 0:    # pure random bytes
            data = rng.randbytes(rng.randrange(1, 8192))
        elif kind == 1:  # valid commands with random bytes flipped
            data = bytearray(b"".join(rng.choice(valid) for _ in range(20)))
            for _ in range(rng.randrange(1, 10)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data)
        elif kind == 2:  # RESP-looking headers with random numbers
            data = b"".join(rng.choice([b"*", b"$", b":", b"+", b"-", b"\r\n", b"\n", b"\r", b"\"", b"'",
                                        b"%d" % rng.randrange(-5, 1 << 40), b"SET", b"GET", b"\x00"])
                            for _ in range(200))
        else:            # valid command truncated at a random point
            data = b"".join(rng.choice(valid) for _ in range(5))
            data = data[:rng.randrange(len(data))]
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(data)
            s.settimeout(0.05)
            try:
                s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                pass
            s.close()
        except (BrokenPipeError, ConnectionResetError):
            pass
        if round_ % 10 == 9:
            _alive_and_serving(server)
    _alive_and_serving(server)
    assert server.alive()


def test_many_connections(server, db):
    conns = [server.raw() for _ in range(200)]
    try:
        for i, c in enumerate(conns):
            c.send(encode_command("SET", f"c{i}", str(i)))
        for c in conns:
            assert c.read() == "OK"
        for i, c in enumerate(conns):
            assert c.cmd("GET", f"c{i}") == str(i).encode()
    finally:
        for c in conns:
            c.close()
    _alive_and_serving(server)
