#!/usr/bin/env python3
"""Shoal vs redis-server, side by side in one run. Driven by tools/bench (which installs and builds).

Scenarios (all by default; pick some with --only a,b,...), each for both servers:

setget     Throughput and latency: redis-benchmark -t set,get -c 50 -r 100000 at -P 1 and -P 16,
           the two servers interleaved (A B A B ...) over several rounds, each server pinned to
           core 0 and redis-benchmark to core 1, shoal with --io-threads 1. Median requests/s,
           p50 and p99 (ms).
types      Collection throughput, same method at -P 16: redis-benchmark -t lpush,lpop,hset,sadd,zadd
           (one big list/hash/set/zset each, -r random members) then `ZRANGE myzset 0 10` on the
           zset that ZADD filled. Each command is probed first: one a server does not support is
           reported "unsupported" instead of benchmarked.
memory     A fresh server, VmRSS before and after loading exactly N distinct keys (16-byte keys,
           32-byte values) through `redis-cli --pipe`; bytes per key = RSS delta / DBSIZE.
hashmem    The same for N hashes of 10 fields (`HSET user:%08d field0 value-%06d ... field9 ...`,
           12-byte values): RSS delta per hash.
callgrind  Instructions per request: the server under `valgrind --tool=callgrind --instr-atstart=no`,
           instrumentation switched on (`callgrind_control -i on`) only around a fixed
           redis-benchmark workload (-t set,get -c 50 -P 16); total Ir / requests. Shoal runs from
           an `objcopy --strip-debug` copy (valgrind 3.19 refuses Swift 6.3 binaries with debug info).
cluster    Redis Cluster, per server, interleaved rounds: (a) a fresh 6-node cluster (3 masters +
           3 replicas, cluster-node-timeout 5000) and the seconds from the start of `redis-cli
           --cluster create ... --cluster-replicas 1 --cluster-yes` to cluster_state:ok on all six
           (polled while it runs); (b) then, idle, the cluster-bus bytes each node sends and receives
           per second: the kernel's per-socket counters (`ss -tinp` bytes_sent / bytes_received of
           every established socket of the node's PID with a bus port, port+10000, at either end)
           sampled over --bus-seconds; (c) the cost of the slot check: one node with cluster-enabled
           yes owning all 16384 slots (CLUSTER ADDSLOTSRANGE 0 16383) against the same binary with
           cluster-enabled no, redis-benchmark -t set,get -P 16 -r <keyspace> (requests/s, on/off
           ratio), and callgrind Ir/request for both (unless --no-callgrind).

`--only throughput` means setget,types.

Every server is started by this script and killed by PID when it ends, however it ends.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import glob
import io
import re
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PORT_BASE = 17300  # client ports stay below 22768 (bus port + 10000 below the ephemeral range)


def log(msg: str):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    pass


# ------------------------------------------------------------------------------------------------
# Servers

_live: list["Server"] = []


def _kill_everything(*_):
    for s in list(_live):
        s.kill()


def _on_signal(signum, frame):
    _kill_everything()
    raise SystemExit(128 + signum)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


_next_port = PORT_BASE


def free_port() -> int:
    global _next_port
    while _next_port < 22700:
        p = _next_port
        _next_port += 1
        if _port_free(p) and _port_free(p + 10000):
            return p
    raise BenchError("no free port")


def resp(port: int, *args: str, timeout: float = 5.0) -> bytes:
    """Send one command, return the first reply line (enough for PING/DBSIZE/SHUTDOWN)."""
    payload = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0]


class Server:
    def __init__(self, name: str, binary: str, extra: list[str], workdir: Path, cpu: int | None,
                 wrapper: list[str] | None = None, cluster_node_timeout: int | None = None):
        self.name = name
        self.port = free_port()
        self.dir = workdir / f"{name}-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.dir), "--logfile", ""] + extra
        if cluster_node_timeout is not None:  # cluster mode; the bus listens on port + 10000
            argv += ["--cluster-enabled", "yes", "--cluster-config-file", str(self.dir / "nodes.conf"),
                     "--cluster-node-timeout", str(cluster_node_timeout)]
        prefix = []
        if cpu is not None:
            prefix = ["taskset", "-c", str(cpu)]
        self.argv = prefix + (wrapper or []) + argv
        self.proc: subprocess.Popen | None = None
        self.log_path = self.dir / "server.log"

    def start(self, timeout: float = 30.0) -> "Server":
        self._log = open(self.log_path, "wb")
        # taskset and valgrind exec/run the server in the same process: proc.pid is the server's PID.
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        _live.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if resp(self.port, "PING", timeout=1) == b"+PONG":
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise BenchError(f"{self.name} not ready on port {self.port} after {timeout}s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise BenchError("no VmRSS")

    def dbsize(self) -> int:
        line = resp(self.port, "DBSIZE", timeout=30)
        if not line.startswith(b":"):
            raise BenchError(f"DBSIZE -> {line!r}")
        return int(line[1:])

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (lets callgrind write its profile), SIGKILL if it does not go."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} ignored SIGTERM for {timeout}s; killing")
                self.kill()
            except ProcessLookupError:
                pass
        if self in _live:
            _live.remove(self)
        self._log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self in _live:
            _live.remove(self)


# ------------------------------------------------------------------------------------------------
# redis-benchmark

def run_benchmark(port: int, requests: int, pipeline: int, clients: int, keyspace: int | None,
                  cpu: int | None, timeout: float = 900, tests: str = "set,get",
                  command: list[str] | None = None) -> dict[str, dict[str, float]]:
    """redis-benchmark -t <tests>, or one explicit command line (then -t is ignored by the tool)."""
    argv = (["taskset", "-c", str(cpu)] if cpu is not None else []) + [
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", str(requests),
        "-c", str(clients), "-P", str(pipeline), "--csv"]
    if keyspace:
        argv += ["-r", str(keyspace)]
    argv += command if command else ["-t", tests]
    res = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise BenchError(f"redis-benchmark failed ({res.returncode}): {res.stderr.decode()[-500:]}")
    return parse_csv(res.stdout.decode())


def parse_csv(text: str) -> dict[str, dict[str, float]]:
    """redis-benchmark 7 --csv: "test","rps","avg_latency_ms",...,"p50_latency_ms",...,"p99_latency_ms",..."""
    rows = list(csv.DictReader(io.StringIO(text.strip())))
    out = {}
    for row in rows:
        out[row["test"]] = {"rps": float(row["rps"]), "p50": float(row["p50_latency_ms"]),
                            "p99": float(row["p99_latency_ms"])}
    if not out:
        raise BenchError(f"no CSV rows from redis-benchmark: {text[:300]!r}")
    return out


# ------------------------------------------------------------------------------------------------
# The three measurements

def server_specs(args) -> list[tuple[str, str, list[str]]]:
    specs = []
    for name in args.servers:
        if name == "redis":
            specs.append(("redis", args.redis, []))
        elif name == "shoal":
            specs.append(("shoal", args.shoal, ["--io-threads", "1"]))
        else:
            raise SystemExit(f"unknown server {name!r}")
    return specs


def measure_throughput(args, workdir: Path, cpu_server, cpu_client):
    scenarios = [1, 16]
    results: dict = {}  # results[server][P][test] -> list of dicts
    servers = []
    try:
        for name, binary, extra in server_specs(args):
            servers.append(Server(name, binary, extra, workdir, cpu_server).start())
        for s in servers:  # warm-up: allocator, page cache, first connections
            run_benchmark(s.port, min(args.requests, 20000), 16, 50, args.keyspace, cpu_client)
        for rnd in range(args.rounds):
            for p in scenarios:
                for s in servers:  # interleaved: A B, A B, ...
                    try:
                        r = run_benchmark(s.port, args.requests, p, 50, args.keyspace, cpu_client)
                    except (BenchError, subprocess.TimeoutExpired) as e:
                        log(f"{s.name} -P {p} round {rnd + 1}: {e}")
                        if not s.proc or s.proc.poll() is not None:
                            log(f"{s.name} died:\n{s.log_tail()}")
                        continue
                    for test, v in r.items():
                        results.setdefault(s.name, {}).setdefault(p, {}).setdefault(test, []).append(v)
                    log(f"round {rnd + 1}/{args.rounds} -P {p:<2} {s.name:<5} " + "  ".join(
                        f"{t} {v['rps']:>10.0f} rps p50 {v['p50']:.3f} p99 {v['p99']:.3f}" for t, v in r.items()))
    finally:
        for s in servers:
            s.stop()
    return results


# Collection workloads at -P 16. Each: (label, redis-benchmark -t name or None, explicit command or
# None, probe commands that must not answer an error for the workload to count as supported).
TYPE_WORKLOADS = [
    ("LPUSH", "lpush", None, [["LPUSH", "bench:probe:l", "x"]]),
    ("LPOP", "lpop", None, [["LPUSH", "bench:probe:l", "x"], ["LPOP", "bench:probe:l"]]),
    ("HSET", "hset", None, [["HSET", "bench:probe:h", "f", "v"]]),
    ("SADD", "sadd", None, [["SADD", "bench:probe:s", "m"]]),
    ("ZADD", "zadd", None, [["ZADD", "bench:probe:z", "1", "m"]]),
    ("ZRANGE", None, ["ZRANGE", "myzset", "0", "10"],
     [["ZADD", "bench:probe:z", "1", "m"], ["ZRANGE", "bench:probe:z", "0", "10"]]),
]
TYPE_PIPELINE = 16
PROBE_KEYS = ["bench:probe:l", "bench:probe:h", "bench:probe:s", "bench:probe:z"]


def probe_types(s: "Server") -> dict[str, str]:
    """label -> "" if the server answers the workload's commands, else the error it gave."""
    out = {}
    for label, _, _, probes in TYPE_WORKLOADS:
        err = ""
        for cmd in probes:
            try:
                line = resp(s.port, *cmd)
            except OSError as e:
                err = f"{cmd[0]}: {e}"
                break
            if line.startswith(b"-"):
                err = line[1:].decode(errors="replace")
                break
        out[label] = err
    try:
        resp(s.port, "DEL", *PROBE_KEYS)
    except OSError:
        pass
    return out


def run_types(s: "Server", args, supported: dict[str, str], cpu_client, requests: int) -> dict:
    """One pass of the supported collection workloads on one server: label -> {rps, p50, p99}."""
    out = {}
    tests = [t for label, t, _, _ in TYPE_WORKLOADS if t and not supported[label]]
    if tests:
        r = run_benchmark(s.port, requests, TYPE_PIPELINE, 50, args.keyspace, cpu_client,
                          tests=",".join(tests))
        for label, t, _, _ in TYPE_WORKLOADS:
            if t and label in r:
                out[label] = r[label]
    for label, _, command, _ in TYPE_WORKLOADS:
        if command and not supported[label]:
            r = run_benchmark(s.port, requests, TYPE_PIPELINE, 50, args.keyspace, cpu_client, command=command)
            out[label] = next(iter(r.values()))
    return out


def measure_types(args, workdir: Path, cpu_server, cpu_client):
    """results[server][label] -> list of dicts; unsupported[server][label] -> error text."""
    results: dict = {}
    unsupported: dict = {}
    servers = []
    try:
        for name, binary, extra in server_specs(args):
            servers.append(Server(name, binary, extra, workdir, cpu_server).start())
        for s in servers:
            unsupported[s.name] = {k: v for k, v in probe_types(s).items() if v}
            for label, err in unsupported[s.name].items():
                log(f"types {s.name}: {label} unsupported ({err})")
        supported_by = {s.name: {label: unsupported[s.name].get(label, "") for label, *_ in TYPE_WORKLOADS}
                        for s in servers}
        for s in servers:  # warm-up, and fills the zset that ZRANGE reads
            try:
                run_types(s, args, supported_by[s.name], cpu_client, min(args.requests, 20000))
            except (BenchError, subprocess.TimeoutExpired) as e:
                log(f"types {s.name} warm-up: {e}")
        for rnd in range(args.rounds):
            for s in servers:  # interleaved: A B, A B, ...
                if not s.proc or s.proc.poll() is not None:
                    continue
                try:
                    r = run_types(s, args, supported_by[s.name], cpu_client, args.requests)
                except (BenchError, subprocess.TimeoutExpired) as e:
                    log(f"types {s.name} round {rnd + 1}: {e}")
                    if not s.proc or s.proc.poll() is not None:
                        log(f"{s.name} died:\n{s.log_tail()}")
                    continue
                for label, v in r.items():
                    results.setdefault(s.name, {}).setdefault(label, []).append(v)
                log(f"types round {rnd + 1}/{args.rounds} {s.name:<5} " + "  ".join(
                    f"{t} {v['rps']:>9.0f}" for t, v in r.items()))
    finally:
        for s in servers:
            s.stop()
    return {"results": results, "unsupported": unsupported}


def make_pipe_file(path: Path, nkeys: int):
    """RESP SET commands for nkeys distinct keys: key:%012d (16 bytes), values of 32 bytes."""
    with open(path, "wb") as f:
        batch = []
        for i in range(nkeys):
            k = b"key:%012d" % i
            v = b"val:%028d" % i
            assert len(k) == 16 and len(v) == 32
            batch.append(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$32\r\n%s\r\n" % (k, v))
            if len(batch) == 100000:
                f.write(b"".join(batch))
                batch.clear()
        f.write(b"".join(batch))


def measure_memory(args, workdir: Path, cpu_server):
    pipe_file = workdir / f"set-{args.mem_keys}.resp"
    make_pipe_file(pipe_file, args.mem_keys)
    out = {}
    for name, binary, extra in server_specs(args):
        s = Server(name, binary, extra, workdir, cpu_server).start()
        try:
            time.sleep(0.5)
            before = s.rss_bytes()
            with open(pipe_file, "rb") as f:
                res = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(s.port), "--pipe"],
                                     stdin=f, capture_output=True, timeout=900)
            if res.returncode != 0 or b"errors: 0" not in res.stdout:
                raise BenchError(f"redis-cli --pipe into {name}: {res.stdout[-300:]!r} {res.stderr[-300:]!r}")
            n = s.dbsize()
            if n != args.mem_keys:
                raise BenchError(f"{name}: DBSIZE {n}, expected {args.mem_keys}")
            time.sleep(1.0)
            after = s.rss_bytes()
            out[name] = {"before": before, "after": after, "keys": n, "per_key": (after - before) / n}
            log(f"memory {name}: RSS {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB for {n} keys: "
                f"{(after - before) / n:.1f} B/key")
        except (BenchError, subprocess.TimeoutExpired) as e:
            log(f"memory {name}: {e}")
        finally:
            s.stop()
    pipe_file.unlink(missing_ok=True)
    return out


HASH_FIELDS = 10


def make_hash_pipe_file(path: Path, nhashes: int):
    """RESP `HSET user:%08d field0 value-%06d ... field9 value-%06d` (12-byte values) per hash."""
    with open(path, "wb") as f:
        batch = []
        for i in range(nhashes):
            k = b"user:%08d" % i
            parts = [b"*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n" % (2 + 2 * HASH_FIELDS, len(k), k)]
            for j in range(HASH_FIELDS):
                fname = b"field%d" % j
                v = b"value-%06d" % ((i * HASH_FIELDS + j) % 1000000)
                assert len(v) == 12
                parts.append(b"$%d\r\n%s\r\n$12\r\n%s\r\n" % (len(fname), fname, v))
            batch.append(b"".join(parts))
            if len(batch) == 20000:
                f.write(b"".join(batch))
                batch.clear()
        f.write(b"".join(batch))


def measure_hash_memory(args, workdir: Path, cpu_server):
    """name -> {before, after, keys, per_key} or {unsupported: text}."""
    pipe_file = workdir / f"hset-{args.hash_keys}.resp"
    make_hash_pipe_file(pipe_file, args.hash_keys)
    out = {}
    for name, binary, extra in server_specs(args):
        s = Server(name, binary, extra, workdir, cpu_server).start()
        try:
            line = resp(s.port, "HSET", "bench:probe:h", "f", "v")
            if line.startswith(b"-"):
                out[name] = {"unsupported": line[1:].decode(errors="replace")}
                log(f"hash memory {name}: HSET unsupported ({out[name]['unsupported']})")
                continue
            resp(s.port, "DEL", "bench:probe:h")
            time.sleep(0.5)
            before = s.rss_bytes()
            with open(pipe_file, "rb") as f:
                res = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(s.port), "--pipe"],
                                     stdin=f, capture_output=True, timeout=900)
            if res.returncode != 0 or b"errors: 0" not in res.stdout:
                raise BenchError(f"redis-cli --pipe into {name}: {res.stdout[-300:]!r} {res.stderr[-300:]!r}")
            n = s.dbsize()
            if n != args.hash_keys:
                raise BenchError(f"{name}: DBSIZE {n}, expected {args.hash_keys}")
            fields = resp(s.port, "HLEN", "user:%08d" % (n - 1))
            if fields != b":%d" % HASH_FIELDS:
                raise BenchError(f"{name}: HLEN of the last hash -> {fields!r}")
            time.sleep(1.0)
            after = s.rss_bytes()
            out[name] = {"before": before, "after": after, "keys": n, "per_key": (after - before) / n}
            log(f"hash memory {name}: RSS {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB for {n} hashes: "
                f"{(after - before) / n:.1f} B/hash")
        except (BenchError, subprocess.TimeoutExpired, OSError) as e:
            log(f"hash memory {name}: {e}")
        finally:
            s.stop()
    pipe_file.unlink(missing_ok=True)
    return out


def strip_debug(binary: str) -> str:
    """A copy without debug info, next to the original (so a relative rpath still resolves)."""
    src = Path(binary).resolve()
    dst = src.with_name(src.name + ".nodebug")
    if not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime:
        subprocess.run(["objcopy", "--strip-debug", str(src), str(dst)], check=True)
        dst.chmod(0o755)
    return str(dst)


def callgrind_per_request(args, workdir: Path, label: str, name: str, binary: str, extra: list[str],
                          cpu_server, cpu_client, cluster_node_timeout: int | None = None,
                          setup=None, keyspace: int | None = None) -> dict:
    """One server under callgrind, instrumentation on only around redis-benchmark -t set,get -P 16
    (-r keyspace if given): {ir, requests, per_request}. `setup(server)` runs before instrumentation
    is switched on."""
    target = strip_debug(binary) if name == "shoal" else binary
    cg_dir = workdir / f"callgrind-{label}"
    cg_dir.mkdir(exist_ok=True)
    cg_out = cg_dir / "callgrind.out"
    wrapper = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={cg_out}"]
    s = Server(label, target, extra, workdir, cpu_server, wrapper=wrapper, cluster_node_timeout=cluster_node_timeout)
    try:
        s.start(timeout=300)
        if setup is not None:
            setup(s)
        on = subprocess.run(["callgrind_control", "-i", "on", str(s.pid)], capture_output=True, timeout=120)
        if on.returncode != 0:
            raise BenchError(f"callgrind_control -i on failed: {on.stdout!r} {on.stderr!r}")
        argv = (["taskset", "-c", str(cpu_client)] if cpu_client is not None else []) + [
            "redis-benchmark", "-h", "127.0.0.1", "-p", str(s.port), "-t", "set,get",
            "-n", str(args.cg_requests), "-c", "50", "-P", "16", "-q"]
        if keyspace:
            argv += ["-r", str(keyspace)]
        res = subprocess.run(argv, capture_output=True, timeout=1800, stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise BenchError(f"redis-benchmark under callgrind failed: {res.stderr[-300:]!r}")
        subprocess.run(["callgrind_control", "-i", "off", str(s.pid)], capture_output=True, timeout=120)
        rc = s.stop(timeout=120)
        total = 0
        files = sorted(glob.glob(str(cg_out) + "*"))
        for path in files:
            with open(path, errors="replace") as f:
                for line in f:
                    if line.startswith("totals:"):
                        total += int(line.split()[1])
        if total == 0:
            raise BenchError(f"no instructions collected ({files}, exit {rc}):\n{s.log_tail()}")
        requests = 2 * args.cg_requests  # SET + GET
        log(f"callgrind {label}: {total:,} Ir / {requests:,} requests = {total / requests:,.0f} Ir/request")
        return {"ir": total, "requests": requests, "per_request": total / requests}
    finally:
        s.stop()


def measure_instructions(args, workdir: Path, cpu_server, cpu_client):
    out = {}
    for name, binary, extra in server_specs(args):
        try:
            out[name] = callgrind_per_request(args, workdir, name, name, binary, extra, cpu_server, cpu_client)
        except (BenchError, subprocess.TimeoutExpired, subprocess.CalledProcessError) as e:
            log(f"callgrind {name}: {e}")
    return out


# ------------------------------------------------------------------------------------------------
# Cluster: creation time, idle bus traffic, cost of the slot check

CLUSTER_NODES = 6
CLUSTER_REPLICAS = 1
BUS_PORT_INCR = 10000


def resp_reply(sock: socket.socket, *args: str) -> str:
    """Send one command on an open connection; return a status/error line or a whole bulk string."""
    sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args))
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise BenchError("connection closed")
        data += chunk
    first, rest = data.split(b"\r\n", 1)
    if first.startswith(b"$"):
        n = int(first[1:])
        if n < 0:
            return ""
        while len(rest) < n + 2:
            chunk = sock.recv(65536)
            if not chunk:
                raise BenchError("connection closed")
            rest += chunk
        return rest[:n].decode(errors="replace")
    return first.decode(errors="replace")


def cluster_state(sock: socket.socket) -> str:
    for line in resp_reply(sock, "CLUSTER", "INFO").splitlines():
        if line.startswith("cluster_state:"):
            return line.split(":", 1)[1].strip()
    return "?"


def wait_cluster_ok(nodes: list["Server"], timeout: float, interval: float = 0.05, proc=None) -> float:
    """Poll CLUSTER INFO on every node (one connection each) until all say cluster_state:ok; return
    time.monotonic() at that moment. `proc` (redis-cli) failing ends the wait early."""
    socks = [socket.create_connection(("127.0.0.1", n.port), timeout=10) for n in nodes]
    try:
        deadline = time.monotonic() + timeout
        while True:
            if all(cluster_state(s) == "ok" for s in socks):
                return time.monotonic()
            if proc is not None and proc.poll() not in (None, 0):
                raise BenchError(f"redis-cli --cluster create exited {proc.returncode}")
            if time.monotonic() > deadline:
                raise BenchError(f"cluster_state not ok on all {len(nodes)} nodes after {timeout}s")
            time.sleep(interval)
    finally:
        for s in socks:
            s.close()


def wait_cluster_converged(nodes: list["Server"], timeout: float = 60, interval: float = 0.2) -> float:
    """Every node knows every node, with the replicas' roles, and nothing in handshake/fail; returns
    time.monotonic() at that moment."""
    want_replicas = len(nodes) // (CLUSTER_REPLICAS + 1) * CLUSTER_REPLICAS
    deadline = time.monotonic() + timeout
    while True:
        ok = True
        for n in nodes:
            with socket.create_connection(("127.0.0.1", n.port), timeout=10) as s:
                lines = [l.split() for l in resp_reply(s, "CLUSTER", "NODES").splitlines() if l.strip()]
            flags = [l[2].split(",") for l in lines]
            if (len(lines) != len(nodes) or sum("slave" in f for f in flags) != want_replicas
                    or any(set(f) & {"handshake", "fail?", "fail", "noaddr"} for f in flags)):
                ok = False
                break
        if ok:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise BenchError(f"cluster not converged after {timeout}s")
        time.sleep(interval)


def start_cluster_nodes(name: str, binary: str, extra: list[str], workdir: Path, cpu, node_timeout: int) -> list["Server"]:
    nodes = []
    try:
        for i in range(CLUSTER_NODES):
            nodes.append(Server(f"{name}-node{i}", binary, extra, workdir, cpu, cluster_node_timeout=node_timeout))
        for n in nodes:
            n.start()
        return nodes
    except BaseException:
        for n in nodes:
            n.stop()
        raise


def create_cluster(nodes: list["Server"], cpu_client, timeout: float = 180) -> dict:
    """redis-cli --cluster create (--cluster-replicas 1 --cluster-yes), timed: seconds from its start
    to cluster_state:ok on every node (polled while it runs), to redis-cli's own exit, and to every
    node showing all 6 nodes with their roles (3 masters + 3 replicas)."""
    argv = (["taskset", "-c", str(cpu_client)] if cpu_client is not None else []) + [
        "redis-cli", "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in nodes],
        "--cluster-replicas", str(CLUSTER_REPLICAS), "--cluster-yes"]
    out_path = nodes[0].dir / "create.log"
    with open(out_path, "wb") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            t_ok = wait_cluster_ok(nodes, timeout, proc=proc)
            rc = proc.wait(timeout=timeout)
            t_cli = time.monotonic()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if rc != 0:
        raise BenchError(f"redis-cli --cluster create exited {rc}: {out_path.read_text(errors='replace')[-500:]}")
    t_conv = wait_cluster_converged(nodes, timeout, interval=0.05)
    return {"ok_s": t_ok - t0, "cli_s": t_cli - t0, "converged_s": t_conv - t0}


_SS_SOCKET = re.compile(r"^\s*\d+\s+\d+\s+(\S+):(\d+)\s+(\S+):(\d+)\s.*?pid=(\d+)")


def bus_socket_bytes(pids: set[int], bus_ports: set[int]) -> dict[tuple, tuple[int, int]]:
    """(pid, local, lport, remote, rport) -> (bytes_sent, bytes_received) for every established TCP
    socket of these processes with a bus port at either end (`ss -tinp`: the kernel's own counters)."""
    res = subprocess.run(["ss", "-tinpH", "state", "established"], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise BenchError(f"ss failed: {res.stderr[-300:]}")
    out: dict[tuple, tuple[int, int]] = {}
    key = None
    for line in res.stdout.splitlines():
        m = _SS_SOCKET.match(line)
        if m:
            lport, rport, pid = int(m.group(2)), int(m.group(4)), int(m.group(5))
            key = (pid, m.group(1), lport, m.group(3), rport) \
                if pid in pids and (lport in bus_ports or rport in bus_ports) else None
            continue
        if key is not None and ("bytes_" in line):
            sent = re.search(r"\bbytes_sent:(\d+)", line)
            recv = re.search(r"\bbytes_received:(\d+)", line)
            out[key] = (int(sent.group(1)) if sent else 0, int(recv.group(1)) if recv else 0)
            key = None
    return out


def measure_bus_idle(nodes: list["Server"], seconds: float) -> dict:
    """Bytes each node sends and receives on cluster-bus sockets while the cluster is idle:
    per-socket deltas of the kernel's counters over `seconds` (a socket opened meanwhile counts
    whole; one closed meanwhile is lost, and counted in `churn`)."""
    pids = {n.pid for n in nodes}
    bus_ports = {n.port + BUS_PORT_INCR for n in nodes}
    before = bus_socket_bytes(pids, bus_ports)
    t0 = time.monotonic()
    time.sleep(seconds)
    after = bus_socket_bytes(pids, bus_ports)
    dt = time.monotonic() - t0
    sent = {p: 0 for p in pids}
    recv = {p: 0 for p in pids}
    for k, (s1, r1) in after.items():
        s0, r0 = before.get(k, (0, 0))
        sent[k[0]] += s1 - s0
        recv[k[0]] += r1 - r0
    churn = len(set(before) ^ set(after))
    per_node_sent = [sent[n.pid] / dt for n in nodes]
    per_node_recv = [recv[n.pid] / dt for n in nodes]
    return {"sent": statistics.mean(per_node_sent), "recv": statistics.mean(per_node_recv),
            "max_sent": max(per_node_sent), "sockets": len(after), "churn": churn, "seconds": dt}


def setup_one_node_cluster(s: "Server", timeout: float = 120):
    """A lone cluster-mode node takes all 16384 slots (a one-node cluster) and waits for ok."""
    line = resp(s.port, "CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    if line != b"+OK":
        raise BenchError(f"{s.name}: CLUSTER ADDSLOTSRANGE 0 16383 -> {line!r}")
    wait_cluster_ok([s], timeout, interval=0.1)


def measure_cluster(args, workdir: Path, cpu_server, cpu_client) -> dict:
    out: dict = {"create": {}, "bus": {}, "slots": {}, "slots_cg": {}}
    specs = server_specs(args)
    # (a) + (b): a fresh 6-node cluster per server per round, servers interleaved
    for rnd in range(args.rounds):
        for name, binary, extra in specs:
            nodes = []
            try:
                nodes = start_cluster_nodes(f"{name}-r{rnd}", binary, extra, workdir, cpu_server,
                                            args.cluster_node_timeout)
                c = create_cluster(nodes, cpu_client)
                out["create"].setdefault(name, []).append(c)
                log(f"cluster round {rnd + 1}/{args.rounds} {name:<5} create -> cluster_state:ok on all "
                    f"{CLUSTER_NODES}: {c['ok_s']:.2f} s (redis-cli exited after {c['cli_s']:.2f} s, "
                    f"all roles known after {c['converged_s']:.2f} s)")
                if args.bus_seconds > 0:
                    wait_cluster_converged(nodes)
                    time.sleep(args.bus_settle)
                    b = measure_bus_idle(nodes, args.bus_seconds)
                    out["bus"].setdefault(name, []).append(b)
                    log(f"cluster round {rnd + 1}/{args.rounds} {name:<5} idle bus over {b['seconds']:.0f} s: "
                        f"{b['sent'] / 1000:.2f} kB/s sent, {b['recv'] / 1000:.2f} kB/s received per node "
                        f"(max {b['max_sent'] / 1000:.2f}; {b['sockets']} sockets, {b['churn']} opened/closed)")
            except (BenchError, subprocess.TimeoutExpired, OSError) as e:
                log(f"cluster {name} round {rnd + 1}: {e}")
                for n in nodes:
                    if n.proc and n.proc.poll() is not None:
                        log(f"{n.name} died:\n{n.log_tail()}")
            finally:
                for n in nodes:
                    n.stop()
    # (c): one node, cluster-enabled no vs yes (owning every slot): throughput, then instructions
    variants = []
    for name, binary, extra in specs:
        variants.append((name, "off", binary, extra))
        variants.append((name, "on", binary, extra))
    servers = {}
    try:
        for name, mode, binary, extra in variants:
            label = f"{name}-cluster-{mode}"
            try:
                s = Server(label, binary, extra, workdir, cpu_server,
                           cluster_node_timeout=args.cluster_node_timeout if mode == "on" else None).start()
                servers[(name, mode)] = s
                if mode == "on":
                    setup_one_node_cluster(s)
                run_benchmark(s.port, min(args.requests, 20000), 16, 50, args.keyspace, cpu_client)  # warm-up
            except (BenchError, subprocess.TimeoutExpired, OSError) as e:
                log(f"slot check {label}: {e}")
                servers.pop((name, mode), None)
        for rnd in range(args.rounds):
            for (name, mode), s in servers.items():  # interleaved: redis off, redis on, shoal off, shoal on
                try:
                    r = run_benchmark(s.port, args.requests, 16, 50, args.keyspace, cpu_client)
                except (BenchError, subprocess.TimeoutExpired) as e:
                    log(f"slot check {name} cluster {mode} round {rnd + 1}: {e}")
                    continue
                for test, v in r.items():
                    out["slots"].setdefault(name, {}).setdefault(mode, {}).setdefault(test, []).append(v)
                log(f"slot check round {rnd + 1}/{args.rounds} {name:<5} cluster-enabled {'yes' if mode == 'on' else 'no ':<3} "
                    + "  ".join(f"{t} {v['rps']:>10.0f} rps" for t, v in r.items()))
    finally:
        for s in servers.values():
            s.stop()
    if not args.no_callgrind:
        for name, mode, binary, extra in variants:
            try:
                out["slots_cg"].setdefault(name, {})[mode] = callgrind_per_request(
                    args, workdir, f"{name}-cluster-{mode}", name, binary, extra, cpu_server, cpu_client,
                    cluster_node_timeout=args.cluster_node_timeout if mode == "on" else None,
                    setup=setup_one_node_cluster if mode == "on" else None, keyspace=args.keyspace)
            except (BenchError, subprocess.TimeoutExpired, subprocess.CalledProcessError, OSError) as e:
                log(f"callgrind {name} cluster {mode}: {e}")
    return out


def report_cluster(args, cl) -> list[str]:
    def cell(v, width, spec):
        return format(v, f">{width}{spec}") if v is not None else format("n/a", f">{width}")

    lines = ["", f"cluster: {CLUSTER_NODES} nodes (3 masters + 3 replicas) on 127.0.0.1, cluster-node-timeout "
                 f"{args.cluster_node_timeout} ms, nodes pinned to core {args.server_cpu}; median of {args.rounds} "
                 f"round(s); ratio = shoal/redis"]
    lines.append(f"  {'':48}{'redis':>10}{'shoal':>10}{'ratio':>7}")

    def med(srv, part, key):
        runs = cl[part].get(srv, [])
        return statistics.median(r[key] for r in runs) if runs else None

    def row(label, part, key, scale=1.0):
        r, s_ = med("redis", part, key), med("shoal", part, key)
        r = r / scale if r is not None else None
        s_ = s_ / scale if s_ is not None else None
        lines.append(f"  {label:48}{cell(r, 10, '.2f')}{cell(s_, 10, '.2f')}{ratio(s_, r):>7}")
    row("create: redis-cli start -> ok on all 6 (s)", "create", "ok_s")
    row("create: redis-cli start -> redis-cli exit (s)", "create", "cli_s")
    row("create: redis-cli start -> all roles known (s)", "create", "converged_s")
    if args.bus_seconds > 0:
        row(f"idle bus, sent per node (kB/s, {args.bus_seconds:.0f} s sample)", "bus", "sent", 1000)
        row("idle bus, received per node (kB/s)", "bus", "recv", 1000)
        row("idle bus, busiest node, sent (kB/s)", "bus", "max_sent", 1000)

    lines.append("")
    lines.append(f"slot check: one node, cluster-enabled no vs yes (owning all 16384 slots); redis-benchmark "
                 f"-t set,get -P 16 -n {args.requests} -c 50 -r {args.keyspace} (median of {args.rounds})")
    lines.append(f"  {'':8}{'test':5}{'redis off':>12}{'redis on':>12}{'on/off':>8}"
                 f"{'shoal off':>12}{'shoal on':>12}{'on/off':>8}{'shoal/redis on':>16}")
    for test in ("SET", "GET"):
        m = {}
        for srv in ("redis", "shoal"):
            for mode in ("off", "on"):
                runs = cl["slots"].get(srv, {}).get(mode, {}).get(test, [])
                m[(srv, mode)] = statistics.median(r["rps"] for r in runs) if runs else None
        lines.append(f"  {'-P 16':8}{test:5}{cell(m[('redis', 'off')], 12, ',.0f')}{cell(m[('redis', 'on')], 12, ',.0f')}"
                     f"{ratio(m[('redis', 'on')], m[('redis', 'off')]):>8}"
                     f"{cell(m[('shoal', 'off')], 12, ',.0f')}{cell(m[('shoal', 'on')], 12, ',.0f')}"
                     f"{ratio(m[('shoal', 'on')], m[('shoal', 'off')]):>8}"
                     f"{ratio(m[('shoal', 'on')], m[('redis', 'on')]):>16}")
    if not args.no_callgrind:
        lines.append(f"  callgrind, user-space Ir per request (-t set,get -n {args.cg_requests} -c 50 -P 16 "
                     f"-r {args.keyspace}):")
        for srv in ("redis", "shoal"):
            c = cl["slots_cg"].get(srv, {})
            off, on = (c.get(k, {}).get("per_request") for k in ("off", "on"))
            if srv in args.servers:
                lines.append(f"  {srv:6} off {cell(off, 8, ',.0f')}   on {cell(on, 8, ',.0f')}   "
                             f"on/off {ratio(on, off):>5}   on - off {cell(on - off if on and off else None, 6, ',.0f')} Ir")
    return lines


# ------------------------------------------------------------------------------------------------
# Report

def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def fmt(v, spec):
    return format(v, spec) if v is not None else "n/a"


def report_types(args, types) -> list[str]:
    lines = ["", f"collections: redis-benchmark -P {TYPE_PIPELINE} -n {args.requests} -c 50 -r {args.keyspace}, "
                 f"-t lpush,lpop,hset,sadd,zadd and `ZRANGE myzset 0 10` (median of {args.rounds})"]
    lines.append(f"{'':8}{'test':7}{'redis rps':>12}{'shoal rps':>12}{'ratio':>7}  "
                 f"{'redis p50/p99 ms':>17}{'shoal p50/p99 ms':>18}")
    res, unsup = types["results"], types["unsupported"]
    for label, *_ in TYPE_WORKLOADS:
        med = {}
        for srv in ("redis", "shoal"):
            runs = res.get(srv, {}).get(label, [])
            med[srv] = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")} if runs else None

        def cell(srv, k, spec):
            if srv not in args.servers:
                return "-"
            if label in unsup.get(srv, {}):
                return "unsupported"
            return fmt(med[srv][k], spec) if med[srv] else "n/a"
        r, s_ = med["redis"], med["shoal"]
        lat = {srv: (cell(srv, "p50", ".3f") + "/" + cell(srv, "p99", ".3f")
                     if med[srv] else cell(srv, "p50", ".3f")) for srv in ("redis", "shoal")}
        lines.append(f"{'-P ' + str(TYPE_PIPELINE):8}{label:7}{cell('redis', 'rps', ',.0f'):>12}"
                     f"{cell('shoal', 'rps', ',.0f'):>12}"
                     f"{ratio(s_ and s_['rps'], r and r['rps']):>7}  {lat['redis']:>17}{lat['shoal']:>18}")
    return lines


def report_hash_memory(args, hmem) -> list[str]:
    lines = ["", f"hash memory: {args.hash_keys:,} hashes of {HASH_FIELDS} fields (13 B key, 6 B fields, "
                 f"12 B values) via redis-cli --pipe; RSS delta / DBSIZE"]
    for srv in ("redis", "shoal"):
        m = hmem.get(srv)
        if m and "unsupported" in m:
            lines.append(f"  {srv:6} unsupported ({m['unsupported']})")
        elif m:
            lines.append(f"  {srv:6} {m['before'] / 2**20:8.1f} MiB -> {m['after'] / 2**20:8.1f} MiB   "
                         f"{m['per_key']:7.1f} B/hash")
        elif srv in args.servers:
            lines.append(f"  {srv:6} n/a")
    r, s = hmem.get("redis"), hmem.get("shoal")
    lines.append(f"  ratio  {ratio(s and s.get('per_key'), r and r.get('per_key'))}")
    return lines


def report(args, tp, mem, cg, started: float, types=None, hmem=None, cl=None) -> str:
    lines = []
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip() or "?"
    rv = subprocess.run([args.redis, "--version"], capture_output=True, text=True).stdout.split()
    redis_version = next((w.split("=", 1)[1] for w in rv if w.startswith("v=")), "?")
    lines.append(f"Shoal benchmark  {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}  commit {commit}  "
                 f"redis-server {redis_version}  {os.cpu_count()} cores"
                 + ("  (--quick)" if args.quick else ""))
    lines.append(f"servers pinned to core {args.server_cpu}, redis-benchmark to core {args.client_cpu}; "
                 f"shoal --io-threads 1; {args.rounds} interleaved round(s); ratio = shoal/redis")
    if tp:
        lines.append("")
        lines.append(f"throughput: redis-benchmark -t set,get -n {args.requests} -c 50 -r {args.keyspace} "
                     f"(median of {args.rounds})")
        hdr = (f"{'':8}{'test':5}{'redis rps':>12}{'shoal rps':>12}{'ratio':>7}  "
               f"{'redis p50/p99 ms':>17}{'shoal p50/p99 ms':>18}{'p50 ratio':>10}{'p99 ratio':>10}")
        lines.append(hdr)
        for p in (1, 16):
            for test in ("SET", "GET"):
                med = {}
                for srv in ("redis", "shoal"):
                    runs = tp.get(srv, {}).get(p, {}).get(test, [])
                    med[srv] = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")} if runs else None
                r, s = med["redis"], med["shoal"]
                g = lambda m, k: m[k] if m else None  # noqa: E731
                lines.append(
                    f"{'-P ' + str(p):8}{test:5}{fmt(g(r, 'rps'), '>12,.0f')}{fmt(g(s, 'rps'), '>12,.0f')}"
                    f"{ratio(g(s, 'rps'), g(r, 'rps')):>7}  "
                    f"{(fmt(g(r, 'p50'), '.3f') + '/' + fmt(g(r, 'p99'), '.3f')):>17}"
                    f"{(fmt(g(s, 'p50'), '.3f') + '/' + fmt(g(s, 'p99'), '.3f')):>18}"
                    f"{ratio(g(s, 'p50'), g(r, 'p50')):>10}{ratio(g(s, 'p99'), g(r, 'p99')):>10}")
    if types is not None:
        lines += report_types(args, types)
    if mem is not None:
        lines.append("")
        lines.append(f"memory: {args.mem_keys:,} distinct keys (16 B key, 32 B value) via redis-cli --pipe; "
                     f"RSS delta / DBSIZE")
        for srv in ("redis", "shoal"):
            m = mem.get(srv)
            if m:
                lines.append(f"  {srv:6} {m['before'] / 2**20:8.1f} MiB -> {m['after'] / 2**20:8.1f} MiB   "
                             f"{m['per_key']:7.1f} B/key")
            elif srv in args.servers:
                lines.append(f"  {srv:6} n/a")
        r, s = mem.get("redis"), mem.get("shoal")
        lines.append(f"  ratio  {ratio(s and s['per_key'], r and r['per_key'])}")
    if hmem is not None:
        lines += report_hash_memory(args, hmem)
    if cg is not None:
        lines.append("")
        lines.append(f"instructions: callgrind, user-space Ir per request, redis-benchmark -t set,get "
                     f"-n {args.cg_requests} -c 50 -P 16")
        for srv in ("redis", "shoal"):
            c = cg.get(srv)
            if c:
                lines.append(f"  {srv:6} {c['per_request']:10,.0f} Ir/request  ({c['ir']:,} Ir / {c['requests']:,})")
            elif srv in args.servers:
                lines.append(f"  {srv:6} n/a")
        r, s = cg.get("redis"), cg.get("shoal")
        lines.append(f"  ratio  {ratio(s and s['per_request'], r and r['per_request'])}")
    if cl is not None:
        lines += report_cluster(args, cl)
    lines.append("")
    lines.append(f"total time {time.monotonic() - started:.0f} s")
    return "\n".join(lines)


SCENARIOS = ["setget", "types", "memory", "hashmem", "callgrind", "cluster"]
SCENARIO_ALIASES = {"throughput": ["setget", "types"], "strings": ["setget"], "collections": ["types"],
                    "mem": ["memory", "hashmem"], "all": SCENARIOS}


def parse_only(text: str) -> list[str]:
    chosen = []
    for word in (w.strip().lower() for w in text.split(",")):
        if not word:
            continue
        names = SCENARIO_ALIASES.get(word, [word])
        for n in names:
            if n not in SCENARIOS:
                raise SystemExit(f"--only: unknown scenario {word!r} (choose from {', '.join(SCENARIOS)}, "
                                 f"or {', '.join(SCENARIO_ALIASES)})")
            if n not in chosen:
                chosen.append(n)
    return chosen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a fast smoke run: 1 round, small counts")
    ap.add_argument("--only", default=None, metavar="LIST",
                    help=f"comma list of scenarios to run: {','.join(SCENARIOS)} "
                         f"(or throughput = setget,types; mem = memory,hashmem); default all")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3; --quick 1)")
    ap.add_argument("--requests", type=int, default=None, help="redis-benchmark -n (default 200000)")
    ap.add_argument("--keyspace", type=int, default=100000, help="redis-benchmark -r (default 100000)")
    ap.add_argument("--mem-keys", type=int, default=None, help="keys for the memory test (default 1000000)")
    ap.add_argument("--hash-keys", type=int, default=None,
                    help="hashes for the hash memory test (default 100000; --quick 20000)")
    ap.add_argument("--cg-requests", type=int, default=None, help="-n under callgrind (default 100000)")
    ap.add_argument("--bus-seconds", type=float, default=None,
                    help="cluster: how long to sample idle bus traffic (default 30; --quick 10; 0 skips it)")
    ap.add_argument("--bus-settle", type=float, default=None,
                    help="cluster: idle seconds after creation before sampling (default 5; --quick 3)")
    ap.add_argument("--cluster-node-timeout", type=int, default=5000,
                    help="cluster: cluster-node-timeout in ms (default 5000, as tools/start)")
    ap.add_argument("--no-throughput", action="store_true", help="skip setget and types")
    ap.add_argument("--no-memory", action="store_true", help="skip memory and hashmem")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--servers", default="redis,shoal", help="comma list of redis,shoal")
    ap.add_argument("--shoal", default=os.environ.get("SHOAL_SERVER", str(REPO / ".build/release/shoal-server")))
    ap.add_argument("--redis", default=os.environ.get("REDIS_SERVER", "/usr/bin/redis-server"))
    ap.add_argument("--skip-build", action="store_true", help="(handled by tools/bench)")
    args = ap.parse_args(argv)
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    q = args.quick
    args.rounds = args.rounds or (1 if q else 3)
    args.requests = args.requests or (20000 if q else 200000)
    args.mem_keys = args.mem_keys or (100000 if q else 1000000)
    args.hash_keys = args.hash_keys or (20000 if q else 100000)
    args.cg_requests = args.cg_requests or (10000 if q else 100000)
    args.bus_seconds = args.bus_seconds if args.bus_seconds is not None else (10.0 if q else 30.0)
    args.bus_settle = args.bus_settle if args.bus_settle is not None else (3.0 if q else 5.0)
    run = set(parse_only(args.only) if args.only else SCENARIOS)
    if args.no_throughput:
        run -= {"setget", "types"}
    if args.no_memory:
        run -= {"memory", "hashmem"}
    if args.no_callgrind:
        run.discard("callgrind")

    for name, binary, _ in server_specs(args):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"{name}: {binary} is not an executable (build it, or set SHOAL_SERVER)")
    tools = ["redis-benchmark", "redis-cli", "taskset"]
    if "callgrind" in run or ("cluster" in run and not args.no_callgrind):
        tools += ["valgrind", "callgrind_control", "objcopy"]
    if "cluster" in run:
        tools += ["ss"]
    for tool in tools:
        if shutil.which(tool) is None:
            raise SystemExit(f"missing {tool}: run tools/deps --bench"
                             + (" (ss: apt-get install iproute2)" if tool == "ss" else ""))

    ncpu = os.cpu_count() or 1
    if ncpu >= 2:
        args.server_cpu, args.client_cpu = 0, 1
    else:
        log("only one CPU: no pinning")
        args.server_cpu = args.client_cpu = None

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="shoal-bench-"))
    tp = mem = cg = types = hmem = cl = None
    try:
        if "setget" in run:
            log("throughput (SET/GET) ...")
            tp = measure_throughput(args, workdir, args.server_cpu, args.client_cpu)
        if "types" in run:
            log("throughput (collections) ...")
            types = measure_types(args, workdir, args.server_cpu, args.client_cpu)
        if "memory" in run:
            log(f"memory ({args.mem_keys:,} keys) ...")
            mem = measure_memory(args, workdir, args.server_cpu)
        if "hashmem" in run:
            log(f"hash memory ({args.hash_keys:,} hashes) ...")
            hmem = measure_hash_memory(args, workdir, args.server_cpu)
        if "callgrind" in run:
            log("callgrind ...")
            cg = measure_instructions(args, workdir, args.server_cpu, args.client_cpu)
        if "cluster" in run:
            log("cluster (create time, idle bus traffic, slot check) ...")
            cl = measure_cluster(args, workdir, args.server_cpu, args.client_cpu)
    finally:
        _kill_everything()
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report(args, tp, mem, cg, started, types=types, hmem=hmem, cl=cl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
