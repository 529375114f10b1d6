"""Helpers for the Redis Cluster end-to-end tests: start N nodes of the target binary in cluster
mode, create the cluster with `redis-cli --cluster create`, wait for it, parse CLUSTER NODES,
compute key slots, and speak a little of the cluster bus (for the hostile-input tests).

Target-agnostic like helpers.py: the same code starts shoal-server or redis-server
(SHOAL_E2E_TARGET=redis), with redis-server's command line either way.

Ports: cluster nodes take client ports from a range of their own, CLUSTER_PORT_MIN..MAX (20000 up to
21999, one 500-port slice per pytest-xdist worker), so the bus ports (port+10000) stay below
32000, out of the kernel's ephemeral range (32768+). Every port handed out here is also recorded in
helpers._used_ports, so helpers.free_port() never gives one of them to another server of the same run.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import helpers
from helpers import RespConn, RespError, ServerProcess

CLUSTER_SLOTS = 16384
BUS_PORT_INCR = 10000

CLUSTER_PORT_MIN, CLUSTER_PORT_MAX = 20000, 21999
_WORKER_SLICE = 500


def _worker_index() -> int:
    m = re.match(r"gw(\d+)$", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(m.group(1)) if m else 0


_next_cluster_port = CLUSTER_PORT_MIN + (_worker_index() % 4) * _WORKER_SLICE


def cluster_ports(n: int) -> list[int]:
    """n client ports P (P and P+10000 free on 127.0.0.1) from this worker's slice of the cluster
    range, contiguous when possible, never handed out before in this process."""
    global _next_cluster_port
    lo = CLUSTER_PORT_MIN + (_worker_index() % 4) * _WORKER_SLICE
    hi = min(lo + _WORKER_SLICE, CLUSTER_PORT_MAX + 1)
    out: list[int] = []
    tried = 0
    while len(out) < n:
        if tried > 2 * _WORKER_SLICE:
            raise RuntimeError(f"no {n} free cluster port pairs in {lo}..{hi - 1}")
        p = _next_cluster_port
        _next_cluster_port += 1
        if _next_cluster_port >= hi:
            _next_cluster_port = lo
        tried += 1
        if p in helpers._used_ports:
            continue
        if helpers._port_free(p) and helpers._port_free(p + BUS_PORT_INCR):
            helpers._used_ports.add(p)
            out.append(p)
    return out


# --------------------------------------------------------------------------------------------
# Key slots (CRC16-XMODEM of the key or of its first non-empty {hash tag}, mod 16384)

def _crc16_table():
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC16_TABLE = _crc16_table()


def crc16(data: bytes) -> int:
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16_TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc


def key_slot(key) -> int:
    if isinstance(key, str):
        key = key.encode()
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) % CLUSTER_SLOTS


def key_for_slot(slot: int, prefix: str = "k") -> str:
    """Some key (prefix + a number) that hashes to `slot`."""
    i = 0
    while True:
        k = f"{prefix}{i}"
        if key_slot(k) == slot:
            return k
        i += 1


# --------------------------------------------------------------------------------------------
# CLUSTER NODES

@dataclass
class NodeLine:
    id: str
    addr: str          # ip:port@cport[,hostname]
    flags: frozenset
    master: str        # master id or "-"
    ping_sent: int
    pong_recv: int
    config_epoch: int
    link_state: str
    slots: tuple = ()  # "0-5460", "42", "[42->-id]", "[42-<-id]" as printed

    @property
    def ip(self) -> str:
        return self.addr.split(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.addr.split(":", 1)[1].split("@", 1)[0])

    @property
    def cport(self) -> int:
        return int(self.addr.split("@", 1)[1].split(",", 1)[0])

    @property
    def role(self) -> str:
        return "master" if "master" in self.flags else "slave" if "slave" in self.flags else "?"

    def slot_set(self) -> set[int]:
        out: set[int] = set()
        for s in self.slots:
            if s.startswith("["):
                continue
            a, _, b = s.partition("-")
            out.update(range(int(a), int(b or a) + 1))
        return out

    def stable(self) -> tuple:
        """What every node must agree on: id, address, role, master, slots (not myself, timings)."""
        return (self.id, self.port, self.cport, self.role, self.master, tuple(self.slots))


NODE_LINE_RE = re.compile(
    r"^(?P<id>[0-9a-f]{40}) (?P<addr>\S+) (?P<flags>\S+) (?P<master>-|[0-9a-f]{40}) "
    r"(?P<ping>\d+) (?P<pong>\d+) (?P<epoch>\d+) (?P<link>connected|disconnected)(?P<slots>( \S+)*)$")


def parse_cluster_nodes(text) -> list[NodeLine]:
    if isinstance(text, bytes):
        text = text.decode()
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = NODE_LINE_RE.match(line)
        if not m:
            raise AssertionError(f"CLUSTER NODES line not in Redis's format: {line!r}")
        out.append(NodeLine(
            id=m["id"], addr=m["addr"], flags=frozenset(m["flags"].split(",")), master=m["master"],
            ping_sent=int(m["ping"]), pong_recv=int(m["pong"]), config_epoch=int(m["epoch"]),
            link_state=m["link"], slots=tuple(m["slots"].split())))
    return out


def parse_cluster_info(text) -> dict[str, str]:
    if isinstance(text, bytes):
        text = text.decode()
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, _, v = line.strip().partition(":")
            out[k] = v
    return out


def stable_view(lines: list[NodeLine]) -> list[tuple]:
    return sorted(n.stable() for n in lines)


# --------------------------------------------------------------------------------------------
# Nodes and clusters

class ClusterNode(ServerProcess):
    """A server process started with cluster-enabled yes (redis-server's arguments)."""

    def __init__(self, port: int, node_timeout: int = 5000, extra_args=(), name: str = "cluster",
                 binary: str | None = None):
        self.config_file = f"nodes-{port}.conf"
        args = ["--cluster-enabled", "yes", "--cluster-config-file", self.config_file,
                "--cluster-node-timeout", str(node_timeout), *extra_args]
        super().__init__(args=args, port=port, name=f"{name}-{port}")
        if binary is not None:
            self.argv[0] = binary

    @property
    def bus_port(self) -> int:
        return self.port + BUS_PORT_INCR

    @property
    def nodes_conf(self) -> Path:
        return self.dir / self.config_file

    def cmd(self, *args, timeout: float = 10.0):
        with RespConn(self.port, timeout=timeout) as c:
            return c.cmd(*args)

    def ok(self, *args, timeout: float = 10.0):
        v = self.cmd(*args, timeout=timeout)
        assert not isinstance(v, RespError), f"port {self.port}: {args!r} -> {v!r}"
        return v

    def text(self, *args) -> str:
        v = self.ok(*args)
        return v.decode() if isinstance(v, bytes) else str(v)

    def nodes(self) -> list[NodeLine]:
        return parse_cluster_nodes(self.text("CLUSTER", "NODES"))

    def info(self) -> dict[str, str]:
        return parse_cluster_info(self.text("CLUSTER", "INFO"))

    def myself(self) -> NodeLine:
        return next(n for n in self.nodes() if "myself" in n.flags)

    def myid(self) -> str:
        return self.text("CLUSTER", "MYID")


class Cluster:
    """N cluster nodes on 127.0.0.1, created as one cluster by redis-cli --cluster create."""

    def __init__(self, n: int, node_timeout: int = 5000, extra_args=(), name: str = "cluster",
                 binaries: list[str] | None = None):
        self.ports = cluster_ports(n)
        self.nodes = [ClusterNode(p, node_timeout=node_timeout, extra_args=extra_args, name=name,
                                  binary=(binaries[i] if binaries else None))
                      for i, p in enumerate(self.ports)]
        self.create_result: subprocess.CompletedProcess | None = None
        self.create_seconds: float | None = None

    # -- lifecycle --

    def start(self, timeout: float = 30.0) -> "Cluster":
        for node in self.nodes:
            node.spawn()
        for node in self.nodes:
            node.wait_ready(timeout)
        return self

    def create(self, replicas: int = 1, nodes=None, timeout: float = 120.0) -> subprocess.CompletedProcess:
        nodes = nodes if nodes is not None else self.nodes
        argv = ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in nodes],
                "--cluster-replicas", str(replicas), "--cluster-yes"]
        t0 = time.monotonic()
        try:
            res = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                                 text=True)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            raise AssertionError(f"{' '.join(argv)} still running after {timeout}s:\n{out[-3000:]}\n"
                                 f"{self.logs()}") from None
        self.create_result = res
        if res.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {res.returncode}:\n{res.stdout[-3000:]}\n"
                                 f"{res.stderr[-2000:]}\n{self.logs()}")
        self.wait_ok(nodes=nodes)
        self.create_seconds = time.monotonic() - t0
        return res

    def cleanup(self):
        for node in self.nodes:
            if node.alive():  # never signal a PID that was already reaped
                try:
                    node.signal(signal.SIGCONT)  # a test may have left it stopped
                except ProcessLookupError:
                    pass
            node.cleanup()

    def logs(self, n: int = 30) -> str:
        return "\n".join(f"----- node {x.port} ({x.argv[0]}) -----\n{x.log_tail(n)}" for x in self.nodes)

    # -- views --

    def node(self, port: int) -> ClusterNode:
        return next(n for n in self.nodes if n.port == port)

    def view(self, node: ClusterNode | None = None) -> list[NodeLine]:
        return (node or self.nodes[0]).nodes()

    def masters(self) -> list[NodeLine]:
        return sorted((n for n in self.view() if n.role == "master" and n.slots), key=lambda n: n.port)

    def replicas(self) -> list[NodeLine]:
        return sorted((n for n in self.view() if n.role == "slave"), key=lambda n: n.port)

    def owner_of(self, slot: int, view: list[NodeLine] | None = None) -> NodeLine:
        for n in view or self.view():
            if n.role == "master" and slot in n.slot_set():
                return n
        raise AssertionError(f"no master owns slot {slot}")

    def master_for_key(self, key) -> ClusterNode:
        return self.node(self.owner_of(key_slot(key)).port)

    def replica_of(self, master_id: str) -> ClusterNode:
        r = next(n for n in self.view() if n.role == "slave" and n.master == master_id)
        return self.node(r.port)

    def non_owner_for_key(self, key) -> ClusterNode:
        owner = self.owner_of(key_slot(key)).id
        for n in self.view():
            if n.role == "master" and n.id != owner:
                return self.node(n.port)
        raise AssertionError("no other master")

    # -- waiting --

    def wait_ok(self, nodes=None, timeout: float = 60.0):
        nodes = nodes if nodes is not None else [n for n in self.nodes if n.alive()]
        deadline = time.monotonic() + timeout
        bad = {}
        while True:
            bad = {}
            for n in nodes:
                try:
                    st = n.info().get("cluster_state")
                except (OSError, AssertionError) as e:
                    st = repr(e)
                if st != "ok":
                    bad[n.port] = st
            if not bad:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"cluster_state not ok after {timeout}s on {bad}\n{self.logs()}")
            time.sleep(0.1)

    def wait_converged(self, nodes=None, timeout: float = 60.0, expect_nodes: int | None = None):
        """Every node's CLUSTER NODES agrees on ids, addresses, roles, masters and slots, every line
        is settled (no handshake/noaddr/fail?/fail flags), and links are connected."""
        nodes = nodes if nodes is not None else [n for n in self.nodes if n.alive()]
        expect = expect_nodes if expect_nodes is not None else len(nodes)
        deadline = time.monotonic() + timeout
        why = ""
        while True:
            try:
                views = {n.port: n.nodes() for n in nodes}
                first = stable_view(next(iter(views.values())))
                why = ""
                for port, v in views.items():
                    if len(v) != expect:
                        why = f"node {port} knows {len(v)} nodes, expected {expect}"
                    elif stable_view(v) != first:
                        why = f"node {port} disagrees:\n{stable_view(v)}\nvs\n{first}"
                    elif any(f in line.flags for line in v
                             for f in ("handshake", "noaddr", "fail?", "fail", "nofailover")):
                        why = f"node {port} has unsettled flags: {[sorted(x.flags) for x in v]}"
                    elif any(line.link_state != "connected" for line in v if "myself" not in line.flags):
                        why = f"node {port} has a disconnected link"
                    if why:
                        break
                if not why:
                    return views
            except (OSError, AssertionError) as e:
                why = repr(e)
            if time.monotonic() > deadline:
                raise AssertionError(f"cluster not converged after {timeout}s: {why}\n{self.logs()}")
            time.sleep(0.1)


def start_cluster(n: int = 6, replicas: int = 1, node_timeout: int = 5000, name: str = "cluster",
                  binaries: list[str] | None = None) -> Cluster:
    """Start n nodes, create the cluster, wait for cluster_state:ok and convergence. On failure the
    nodes are stopped before the error propagates."""
    c = Cluster(n, node_timeout=node_timeout, name=name, binaries=binaries)
    try:
        c.start()
        c.create(replicas=replicas)
        c.wait_converged()
        return c
    except BaseException:
        c.cleanup()
        raise


def redis_cli(*args, timeout: float = 60, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["redis-cli", *[str(a) for a in args]], capture_output=True, text=True,
                          timeout=timeout, input=input,
                          **({} if input is not None else {"stdin": subprocess.DEVNULL}))


# --------------------------------------------------------------------------------------------
# The cluster bus (Redis 7.0, protocol version 1): the fixed header of clusterMsg.
#
#   char sig[4] "RCmb"; uint32 totlen; uint16 ver, port, type, count; uint64 currentEpoch,
#   configEpoch, offset; char sender[40]; uint8 myslots[2048]; char slaveof[40]; char myip[46];
#   uint16 extensions; char notused1[30]; uint16 pport, cport, flags; uint8 state; uint8 mflags[3]
#   -- 2256 bytes, then the body (for PING/PONG/MEET: `count` gossip entries of 104 bytes).
# All integers big-endian.

BUS_HEADER_LEN = 2256
BUS_GOSSIP_LEN = 104
MSG_PING, MSG_PONG, MSG_MEET, MSG_FAIL, MSG_UPDATE = 0, 1, 2, 3, 7
NODE_MASTER = 1


def bus_header(totlen: int, type_: int = MSG_PING, count: int = 0, sender: bytes = b"f" * 40,
               port: int = 1, cport: int = 10001, flags: int = NODE_MASTER, ver: int = 1,
               current_epoch: int = 0, config_epoch: int = 0, sig: bytes = b"RCmb",
               myslots: bytes = bytes(2048)) -> bytes:
    h = struct.pack(">4sIHHHHQQQ40s2048s40s46sH30sHHHB3s", sig, totlen, ver, port, type_, count,
                    current_epoch, config_epoch, 0, sender, myslots, b"\0" * 40, b"127.0.0.1",
                    0, b"", 0, cport, flags, 0, b"")
    assert len(h) == BUS_HEADER_LEN, len(h)
    return h


def gossip_entry(name: bytes = b"e" * 40, port: int = 2, cport: int = 10002, flags: int = NODE_MASTER) -> bytes:
    g = struct.pack(">40sII46sHHHHH", name, 0, 0, b"127.0.0.1", port, cport, flags, 0, 0)
    assert len(g) == BUS_GOSSIP_LEN
    return g


def bus_connect(port: int, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port + BUS_PORT_INCR), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_bus_message(s: socket.socket, timeout: float = 5.0) -> bytes | None:
    """One whole message from the bus socket, or None if the peer closed it first."""
    s.settimeout(timeout)
    data = b""
    while len(data) < 8:
        d = s.recv(65536)
        if not d:
            return None
        data += d
    if data[:4] != b"RCmb":
        raise AssertionError(f"reply without the RCmb signature: {data[:16]!r}")
    totlen = struct.unpack(">I", data[4:8])[0]
    assert BUS_HEADER_LEN <= totlen < 1 << 24, totlen
    while len(data) < totlen:
        d = s.recv(65536)
        if not d:
            raise AssertionError(f"peer closed in the middle of a {totlen}-byte message")
        data += d
    return data[:totlen]


def peer_closes(s: socket.socket, timeout: float = 5.0) -> bool:
    """True if the peer closes the connection (EOF or reset) within `timeout`, reading and dropping
    whatever it sends meanwhile; False if it is still open then."""
    s.settimeout(0.2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
        if not d:
            return True
    return False

