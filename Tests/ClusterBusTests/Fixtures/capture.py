#!/usr/bin/env python3
"""Captures real Redis 7.0 cluster bus messages as fixtures for ClusterBusTests.

How the fixtures in this directory were made (run from the repository root):

    python3 Tests/ClusterBusTests/Fixtures/capture.py Tests/ClusterBusTests/Fixtures

with the Debian redis-server 7.0.15 on PATH. It is not run by the tests; run it again only to
refresh the fixtures (the tests then check the new values through redis70.json).

What it does: starts one `redis-server --cluster-enabled yes` (port P) and plays two fake cluster
nodes A and B (ports QA, QB, whose bus ports QA+10000 / QB+10000 are Python listeners). Redis is
told `CLUSTER MEET 127.0.0.1 QA` (and QB), so it connects to our listeners and sends a MEET; we
answer PONG to complete the handshake and then answer every PING, so both fakes become known
masters. Then, while recording everything Redis sends:

    redis70-meet.bin        the MEET Redis sends A (hostname extension, no gossip)
    redis70-ping.bin        a PING Redis sends A once A and B are known (one gossip entry if Redis
                            picked one: the gossip choice is random) + hostname extension
    redis70-pong.bin        the PONG Redis answers to a PING A sends over an inbound connection
    redis70-update.bin      the UPDATE Redis sends when A claims slot 0 with a stale configEpoch
    redis70-publish.bin     the PUBLISH Redis propagates after a client's PUBLISH chan hello
    redis70-fail.bin        the FAIL Redis broadcasts about B once B stops answering PINGs (PFAIL)
                            and A reports B as PFAIL in its gossip (7.0 needs a master's report)
    redis70-ping-nohostname.bin  a PING after cluster-announce-hostname is cleared (no extensions)
    redis70.json            what the script knows independently: Redis's CLUSTER MYID, ports, the
                            announced hostname, the fakes' names and ports, Redis's slots and epoch.

Ports are chosen free below 22000 so every bus port (port + 10000) stays below 32768. The
redis-server is killed by its PID at the end (proc.kill), and its temporary directory removed.
The redis-server run for the committed fixtures: 7.0.15, --cluster-node-timeout 2000, config epoch
7, slots 0-99, 5000, 16383 (the cluster state is therefore "fail": not every slot is covered).
"""

import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HEADER_LEN = 2256
HOSTNAME = "redis-fixture.example"
REDIS_EPOCH = 7
REDIS_SLOTS = list(range(0, 100)) + [5000, 16383]  # redis70.json lists them as slot_ranges

TYPE_PING, TYPE_PONG, TYPE_MEET, TYPE_FAIL, TYPE_PUBLISH, TYPE_UPDATE = 0, 1, 2, 3, 4, 7


def free_port():
    """A port p < 22000 with p and p + 10000 both free on 127.0.0.1."""
    for _ in range(1000):
        port = random.randint(15000, 21999)
        ok = True
        for candidate in (port, port + 10000):
            s = socket.socket()
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", candidate))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return port
    raise RuntimeError("no free port")


def resp(port, *args):
    """One command over a fresh connection; returns the raw reply line(s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        s.sendall(out)
        data = b""
        while not data.endswith(b"\r\n") or (data.startswith(b"$") and data.count(b"\r\n") < 2):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        if data.startswith(b"-"):
            raise RuntimeError("%r -> %r" % (args, data))
        return data


def bulk(reply):
    return reply.split(b"\r\n")[1].decode()


def header(msg_type, name, port, cport, totlen, count=0, config_epoch=0, current_epoch=0, slots=()):
    bitmap = bytearray(2048)
    for s in slots:
        bitmap[s // 8] |= 1 << (s % 8)
    return struct.pack(
        ">4sIHHHHQQQ40s2048s40s46sH30sHHHB3s",
        b"RCmb", totlen, 1, port, msg_type, count,
        current_epoch, config_epoch, 0,
        name.encode(), bytes(bitmap), b"", b"", 0, b"", 0, cport, 1, 0, b"",
    )


def gossip(name, port, cport, flags):
    return struct.pack(">40sII46sHHHHH", name.encode(), 0, 0, b"127.0.0.1", port, cport, flags, 0, 0)


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class FakeNode:
    """A bus endpoint that records every message Redis sends it and answers PING/MEET with PONG."""

    def __init__(self, name, port):
        self.name, self.port, self.cport = name, port, port + 10000
        self.messages = []  # (connection kind, type, bytes)
        self.lock = threading.Lock()
        self.alive = True
        self.muted = False  # still connected and reading, but no longer answering
        self.claim_slots = ()
        self.sockets = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.cport))
        self.listener.listen(8)
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def pong(self):
        return header(TYPE_PONG, self.name, self.port, self.cport, HEADER_LEN, slots=self.claim_slots)

    def accept_loop(self):
        while self.alive:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if not self.alive:
                conn.close()
                return
            self.sockets.append(conn)
            threading.Thread(target=self.read_loop, args=(conn, "accepted"), daemon=True).start()

    def connect_to(self, redis_cport):
        """An inbound link from Redis's point of view."""
        conn = socket.create_connection(("127.0.0.1", redis_cport), timeout=5)
        conn.settimeout(None)
        self.sockets.append(conn)
        threading.Thread(target=self.read_loop, args=(conn, "connected"), daemon=True).start()
        return conn

    def read_loop(self, conn, kind):
        try:
            while self.alive:
                first = read_exactly(conn, 8)
                totlen = struct.unpack(">I", first[4:8])[0]
                msg = first + read_exactly(conn, totlen - 8)
                msg_type = struct.unpack(">H", msg[12:14])[0]
                with self.lock:
                    self.messages.append((kind, msg_type, msg))
                if msg_type in (TYPE_PING, TYPE_MEET) and not self.muted:
                    conn.sendall(self.pong())
        except (EOFError, OSError):
            pass

    def wait_for(self, predicate, what, timeout=20, since=0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for m in self.messages[since:]:
                    if predicate(m):
                        return m[2]
            time.sleep(0.05)
        raise RuntimeError("timed out waiting for " + what)

    def count(self):
        with self.lock:
            return len(self.messages)

    def stop(self):
        self.alive = False
        for s in self.sockets + [self.listener]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix="shoal-bus-capture-")
    redis_port = free_port()
    name_a = "".join(random.choice("0123456789abcdef") for _ in range(40))
    name_b = "".join(random.choice("0123456789abcdef") for _ in range(40))
    proc = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
         "--cluster-enabled", "yes", "--cluster-config-file", os.path.join(work, "nodes.conf"),
         "--cluster-node-timeout", "2000", "--cluster-announce-hostname", HOSTNAME,
         "--dir", work, "--save", "", "--appendonly", "no", "--logfile", os.path.join(work, "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                resp(redis_port, "PING")
                break
            except OSError:
                time.sleep(0.1)
        info = resp(redis_port, "INFO", "server").decode()
        version = [l for l in info.split("\r\n") if l.startswith("redis_version:")][0].split(":")[1]
        myid = bulk(resp(redis_port, "CLUSTER", "MYID"))
        resp(redis_port, "CLUSTER", "SET-CONFIG-EPOCH", str(REDIS_EPOCH))
        resp(redis_port, "CLUSTER", "ADDSLOTS", *[str(s) for s in REDIS_SLOTS])

        a = FakeNode(name_a, free_port())
        b = FakeNode(name_b, free_port())
        resp(redis_port, "CLUSTER", "MEET", "127.0.0.1", str(a.port))
        meet = a.wait_for(lambda m: m[1] == TYPE_MEET, "MEET to A")
        resp(redis_port, "CLUSTER", "MEET", "127.0.0.1", str(b.port))
        b.wait_for(lambda m: m[1] == TYPE_MEET, "MEET to B")

        def known(n):
            nodes = resp(redis_port, "CLUSTER", "NODES").decode()
            return any(line.startswith(n.name) and "handshake" not in line for line in nodes.split("\n"))

        deadline = time.time() + 20
        while not (known(a) and known(b)):
            if time.time() > deadline:
                raise RuntimeError("handshake did not complete")
            time.sleep(0.1)

        # A PING to A sent after both fakes are known: Redis may gossip about B (or A).
        start = a.count()
        def ping_with_gossip(m):
            return m[1] == TYPE_PING and struct.unpack(">H", m[2][14:16])[0] > 0
        try:
            ping = a.wait_for(ping_with_gossip, "PING with gossip to A", timeout=20, since=start)
        except RuntimeError:
            ping = a.wait_for(lambda m: m[1] == TYPE_PING, "PING to A", since=start)

        # PONG: A pings Redis over a connection A opens (an inbound link for Redis).
        inbound = a.connect_to(redis_port + 10000)
        inbound.sendall(header(TYPE_PING, name_a, a.port, a.cport, HEADER_LEN))
        pong = a.wait_for(lambda m: m[0] == "connected" and m[1] == TYPE_PONG, "PONG on inbound link")

        # UPDATE: A claims slot 0 with configEpoch 0 < Redis's 7.
        inbound.sendall(header(TYPE_PING, name_a, a.port, a.cport, HEADER_LEN, slots=[0]))
        update = a.wait_for(lambda m: m[1] == TYPE_UPDATE, "UPDATE to A")

        resp(redis_port, "PUBLISH", "chan", "hello")
        publish = a.wait_for(lambda m: m[1] == TYPE_PUBLISH, "PUBLISH to A")

        # B goes silent (a node that hangs): its PINGs stay unanswered and Redis marks it PFAIL after
        # the node timeout. Redis 7.0 promotes PFAIL to FAIL only on a failure report from a master,
        # so A then gossips B as PFAIL; with A's report and its own (quorum 1) Redis broadcasts FAIL.
        b.muted = True
        deadline = time.time() + 30
        while "fail?" not in [l for l in resp(redis_port, "CLUSTER", "NODES").decode().split("\n") if l.startswith(name_b)][0]:
            if time.time() > deadline:
                raise RuntimeError("B never became PFAIL")
            time.sleep(0.2)
        report = gossip(name_b, b.port, b.cport, 1 | 4)
        inbound.sendall(header(TYPE_PING, name_a, a.port, a.cport, HEADER_LEN + len(report), count=1) + report)
        fail = a.wait_for(lambda m: m[1] == TYPE_FAIL, "FAIL about B", timeout=30)

        resp(redis_port, "CONFIG", "SET", "cluster-announce-hostname", "")
        start = a.count()
        def ping_without_ext(m):
            return m[1] == TYPE_PING and m[2][2253] & 4 == 0
        ping_plain = a.wait_for(ping_without_ext, "PING without hostname", timeout=20, since=start)

        fixtures = {
            "redis70-meet.bin": meet,
            "redis70-ping.bin": ping,
            "redis70-pong.bin": pong,
            "redis70-update.bin": update,
            "redis70-publish.bin": publish,
            "redis70-fail.bin": fail,
            "redis70-ping-nohostname.bin": ping_plain,
        }
        for file, data in fixtures.items():
            with open(os.path.join(out_dir, file), "wb") as f:
                f.write(data)
        meta = {
            "redis_version": version,
            "myid": myid,
            "port": redis_port,
            "cport": redis_port + 10000,
            "hostname": HOSTNAME,
            "config_epoch": REDIS_EPOCH,
            "slot_ranges": [[0, 99], [5000, 5000], [16383, 16383]],
            "node_a": {"name": name_a, "port": a.port, "cport": a.cport},
            "node_b": {"name": name_b, "port": b.port, "cport": b.cport},
            "publish": {"channel": "chan", "message": "hello"},
        }
        with open(os.path.join(out_dir, "redis70.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        a.stop()
        b.stop()
        print("captured %s from redis %s (myid %s)" % (", ".join(fixtures), version, myid))
    except Exception:
        try:
            sys.stderr.write(resp(redis_port, "CLUSTER", "NODES").decode() + "\n")
        except Exception:
            pass
        with open(os.path.join(work, "redis.log")) as log:
            sys.stderr.write("".join(log.readlines()[-30:]))
        raise
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
