#!/usr/bin/env python3
"""Shoal vs redis-server, side by side in one run. Driven by tools/bench (which installs and builds).

Three measurements, each for both servers:

1. Throughput and latency: redis-benchmark -t set,get -c 50 -r 100000 at -P 1 and -P 16, the two
   servers interleaved (A B A B ...) over several rounds, each server pinned to core 0 and
   redis-benchmark to core 1, shoal with --io-threads 1. Median requests/s, p50 and p99 (ms).
2. Memory: a fresh server, VmRSS before and after loading exactly N distinct keys (16-byte keys,
   32-byte values) through `redis-cli --pipe`; bytes per key = RSS delta / DBSIZE.
3. Instructions per request: the server under `valgrind --tool=callgrind --instr-atstart=no`,
   instrumentation switched on (`callgrind_control -i on`) only around a fixed redis-benchmark
   workload (-t set,get -c 50 -P 16); total Ir / requests. Shoal runs from an
   `objcopy --strip-debug` copy (valgrind 3.19 refuses Swift 6.3 binaries with debug info).

Every server is started by this script and killed by PID when it ends, however it ends.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import glob
import io
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
                 wrapper: list[str] | None = None):
        self.name = name
        self.port = free_port()
        self.dir = workdir / f"{name}-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.dir), "--logfile", ""] + extra
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
                  cpu: int | None, timeout: float = 900) -> dict[str, dict[str, float]]:
    argv = (["taskset", "-c", str(cpu)] if cpu is not None else []) + [
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set,get", "-n", str(requests),
        "-c", str(clients), "-P", str(pipeline), "--csv"]
    if keyspace:
        argv += ["-r", str(keyspace)]
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


def strip_debug(binary: str) -> str:
    """A copy without debug info, next to the original (so a relative rpath still resolves)."""
    src = Path(binary).resolve()
    dst = src.with_name(src.name + ".nodebug")
    if not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime:
        subprocess.run(["objcopy", "--strip-debug", str(src), str(dst)], check=True)
        dst.chmod(0o755)
    return str(dst)


def measure_instructions(args, workdir: Path, cpu_server, cpu_client):
    out = {}
    for name, binary, extra in server_specs(args):
        target = strip_debug(binary) if name == "shoal" else binary
        cg_dir = workdir / f"callgrind-{name}"
        cg_dir.mkdir(exist_ok=True)
        cg_out = cg_dir / "callgrind.out"
        wrapper = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={cg_out}"]
        s = Server(name, target, extra, workdir, cpu_server, wrapper=wrapper)
        try:
            s.start(timeout=300)
            on = subprocess.run(["callgrind_control", "-i", "on", str(s.pid)], capture_output=True, timeout=120)
            if on.returncode != 0:
                raise BenchError(f"callgrind_control -i on failed: {on.stdout!r} {on.stderr!r}")
            argv = (["taskset", "-c", str(cpu_client)] if cpu_client is not None else []) + [
                "redis-benchmark", "-h", "127.0.0.1", "-p", str(s.port), "-t", "set,get",
                "-n", str(args.cg_requests), "-c", "50", "-P", "16", "-q"]
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
            out[name] = {"ir": total, "requests": requests, "per_request": total / requests}
            log(f"callgrind {name}: {total:,} Ir / {requests:,} requests = {total / requests:,.0f} Ir/request")
        except (BenchError, subprocess.TimeoutExpired, subprocess.CalledProcessError) as e:
            log(f"callgrind {name}: {e}")
        finally:
            s.stop()
    return out


# ------------------------------------------------------------------------------------------------
# Report

def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def fmt(v, spec):
    return format(v, spec) if v is not None else "n/a"


def report(args, tp, mem, cg, started: float) -> str:
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
    lines.append("")
    lines.append(f"total time {time.monotonic() - started:.0f} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a fast smoke run: 1 round, small counts")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3; --quick 1)")
    ap.add_argument("--requests", type=int, default=None, help="redis-benchmark -n (default 200000)")
    ap.add_argument("--keyspace", type=int, default=100000, help="redis-benchmark -r (default 100000)")
    ap.add_argument("--mem-keys", type=int, default=None, help="keys for the memory test (default 1000000)")
    ap.add_argument("--cg-requests", type=int, default=None, help="-n under callgrind (default 100000)")
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--no-memory", action="store_true")
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
    args.cg_requests = args.cg_requests or (10000 if q else 100000)

    for name, binary, _ in server_specs(args):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"{name}: {binary} is not an executable (build it, or set SHOAL_SERVER)")
    for tool in ("redis-benchmark", "redis-cli", "taskset", "valgrind", "callgrind_control", "objcopy"):
        if shutil.which(tool) is None:
            raise SystemExit(f"missing {tool}: run tools/deps --bench")

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
    tp = mem = cg = None
    try:
        if not args.no_throughput:
            log("throughput ...")
            tp = measure_throughput(args, workdir, args.server_cpu, args.client_cpu)
        if not args.no_memory:
            log(f"memory ({args.mem_keys:,} keys) ...")
            mem = measure_memory(args, workdir, args.server_cpu)
        if not args.no_callgrind:
            log("callgrind ...")
            cg = measure_instructions(args, workdir, args.server_cpu, args.client_cpu)
    finally:
        _kill_everything()
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report(args, tp, mem, cg, started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
