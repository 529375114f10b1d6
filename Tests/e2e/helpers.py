"""Helpers for the end-to-end suite: server processes, free ports, a raw RESP client.

Everything here is target-agnostic: the same code starts `shoal-server` or a real
`redis-server` (SHOAL_E2E_TARGET=redis), so every test can be checked against Redis itself.
"""

from __future__ import annotations

import atexit
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"

TARGET = os.environ.get("SHOAL_E2E_TARGET", "shoal").strip().lower()
if TARGET not in ("shoal", "redis"):
    raise SystemExit(f"SHOAL_E2E_TARGET must be 'shoal' or 'redis', not {TARGET!r}")
IS_REDIS = TARGET == "redis"
IS_SHOAL = TARGET == "shoal"

# Arguments every test server gets (both targets, same meaning as in redis.conf).
# --save "" / --appendonly no: no persistence files; --enable-debug-command yes: DEBUG SLEEP/OBJECT
# (Redis 7 refuses DEBUG by default).
COMMON_ARGS = [
    "--bind", "127.0.0.1",
    "--save", "",
    "--appendonly", "no",
    "--enable-debug-command", "yes",
]

# Client ports stay below 22768 so that port+10000 (the cluster bus) stays below the
# kernel's ephemeral range (32768+). See DESIGN.md, "Testing notes".
PORT_MIN, PORT_MAX = 12000, 22700

READY_TEXT = "Ready to accept connections"

# Redis log line: "<pid>:<role> <dd> <Mon> <yyyy> <hh:mm:ss.mmm> <level> <message>"
LOG_LINE_RE = re.compile(r"^\d+:[MSCX] \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} [.\-*#] ")


def server_binary() -> str:
    if IS_REDIS:
        return os.environ.get("REDIS_SERVER", shutil.which("redis-server") or "/usr/bin/redis-server")
    return os.environ.get("SHOAL_SERVER", str(REPO_ROOT / ".build" / "release" / "shoal-server"))


# --------------------------------------------------------------------------------------------
# Ports

_used_ports: set[int] = set()


def _port_free(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port() -> int:
    """A port P < 22768 with P and P+10000 free on 127.0.0.1, not handed out before here."""
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(2000):
        p = rng.randrange(PORT_MIN, PORT_MAX)
        if p in _used_ports:
            continue
        if _port_free(p) and _port_free(p + 10000):
            _used_ports.add(p)
            return p
    raise RuntimeError("no free port pair found")


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Poll `predicate` until it returns a truthy value; return it, or raise after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Server processes

_live: dict[int, "ServerProcess"] = {}


def _kill_all_at_exit():
    for sp in list(_live.values()):
        try:
            sp.stop(timeout=3)
        except Exception:
            pass


atexit.register(_kill_all_at_exit)


class ServerStartError(RuntimeError):
    pass


class ServerProcess:
    """One server process (shoal-server or redis-server) with its own temp dir and log file.

    The process writes its log to stdout (logfile ""), which goes to `<dir>/server.log`.
    """

    def __init__(self, args=(), config_text: str | None = None, port: int | None = None,
                 password: str | None = None, common_args: bool = True, name: str = "server"):
        self.dir = Path(tempfile.mkdtemp(prefix=f"shoal-e2e-{name}-"))
        self.port = port if port is not None else free_port()
        self.password = password
        self.log_path = self.dir / "server.log"
        self.config_path: Path | None = None
        self.argv = [server_binary()]
        if config_text is not None:
            self.config_path = self.dir / "test.conf"
            self.config_path.write_text(config_text)
            self.argv.append(str(self.config_path))
        if common_args:
            self.argv += COMMON_ARGS
        self._auto_port = port is None
        self.argv += ["--port", str(self.port), "--dir", str(self.dir)]
        if password is not None:
            self.argv += ["--requirepass", password]
        self.argv += [str(a) for a in args]
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None

    # -- lifecycle --

    def spawn(self) -> "ServerProcess":
        if not os.path.exists(self.argv[0]):
            raise ServerStartError(
                f"server binary {self.argv[0]} does not exist: build it with "
                f"`swift build -c release --product shoal-server`, set SHOAL_SERVER, "
                f"or run against Redis with SHOAL_E2E_TARGET=redis")
        self._log_fh = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log_fh,
                                     stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True)
        _live[self.proc.pid] = self
        return self

    def start(self, timeout: float = 20.0) -> "ServerProcess":
        """Spawn and wait until PING answers. If the port was taken between our check and the
        server's bind (another suite on the machine), retry on a new port."""
        for attempt in range(3):
            self.spawn()
            try:
                self.wait_ready(timeout)
                return self
            except ServerStartError:
                self.stop()
                in_use = re.search(r"(?i)address already in use|could not create server tcp listening",
                                   self.log())
                if not (self._auto_port and in_use and attempt < 2):
                    raise
                old = self.port
                self.port = free_port()
                i = self.argv.index("--port", 1 + (self.config_path is not None))
                self.argv[i + 1] = str(self.port)
                with open(self.log_path, "ab") as f:
                    f.write(f"\n----- port {old} was taken; retrying on {self.port} -----\n".encode())
            except Exception:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def restart(self, timeout: float = 20.0) -> "ServerProcess":
        """Start the same server again (same port, dir and log file) after it stopped or died."""
        self.stop()
        with open(self.log_path, "ab") as f:
            f.write(b"\n----- restarted by the test suite -----\n")
        return self.start(timeout)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-n:])

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                data = s.recv(64)
                return data.startswith(b"+PONG") or data.startswith(b"-NOAUTH")
        except OSError:
            return False

    def wait_ready(self, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                self.returncode = self.proc.returncode
                raise ServerStartError(
                    f"{self.argv[0]} exited with {self.returncode} before it was ready:\n"
                    f"{self.log_tail()}")
            # Ready means answering: +PONG, or -NOAUTH when a password is set. (The log line
            # "Ready to accept connections" is checked by the lifecycle tests.)
            if self._answers_ping():
                return
            time.sleep(0.02)
        raise ServerStartError(f"server on port {self.port} not ready after {timeout}s:\n{self.log_tail()}")

    def wait_exit(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        self.returncode = self.proc.wait(timeout=timeout)
        _live.pop(self.proc.pid, None)
        return self.returncode

    def signal(self, sig: int):
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0):
        """SIGTERM by PID, then SIGKILL if it does not go; always reaps the process."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.returncode = self.proc.returncode
        _live.pop(self.proc.pid, None)
        try:
            self._log_fh.close()
        except Exception:
            pass

    def cleanup(self):
        self.stop()
        if not os.environ.get("SHOAL_E2E_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients --

    def client(self, protocol: int = 2, decode: bool = True, auth: bool = True, **kw):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        if auth and self.password is not None:
            kw.setdefault("password", self.password)
        # No silent retries: a dropped connection must fail the test, not be papered over.
        kw.setdefault("retry", Retry(NoBackoff(), 0))
        return redis.Redis(host="127.0.0.1", port=self.port, protocol=protocol,
                           decode_responses=decode, socket_timeout=30, **kw)

    def raw(self, timeout: float = 10.0, auth: bool = True) -> "RespConn":
        c = RespConn(self.port, timeout=timeout)
        if auth and self.password is not None:
            assert c.cmd("AUTH", self.password) == "OK"
        return c

    def info_text(self, *sections) -> str:
        """INFO [section ...] as the raw text the server sent."""
        with self.raw() as c:
            v = c.cmd("INFO", *sections)
        assert not isinstance(v, RespError), v
        return v.decode() if isinstance(v, bytes) else str(v)

    def cli(self, *args, input: bytes | None = None, timeout: float = 60, check: bool = True,
            auth: bool = True) -> subprocess.CompletedProcess:
        argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)]
        if auth and self.password is not None:
            argv += ["-a", self.password, "--no-auth-warning"]
        argv += [str(a) for a in args]
        stdin = {} if input is not None else {"stdin": subprocess.DEVNULL}
        res = subprocess.run(argv, input=input, capture_output=True, timeout=timeout, **stdin)
        if check and res.returncode != 0:
            raise AssertionError(f"{argv} exited {res.returncode}: {res.stderr!r} {res.stdout[:500]!r}")
        return res


# --------------------------------------------------------------------------------------------
# Raw RESP client (RESP2 and RESP3 replies), for exact bytes and reply types.

class RespError:
    """An error reply, returned (not raised) by RespConn.cmd so tests can compare its text."""

    def __init__(self, text: str, blob: bool = False):
        self.text = text
        self.blob = blob

    @property
    def prefix(self) -> str:
        return self.text.split(" ", 1)[0]

    def __eq__(self, other):
        return isinstance(other, RespError) and other.text == self.text

    def __repr__(self):
        return f"RespError({self.text!r})"


class Verbatim(str):
    """RESP3 verbatim string; `.format` is the 3-letter format (txt/mkd)."""
    format: str = "txt"


class Push(list):
    pass


class RespSet(list):
    pass


class RespDouble(float):
    pass


class ConnectionClosed(Exception):
    pass


def encode_command(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, float):
            a = repr(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespConn:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self):
        d = self.sock.recv(1 << 20)
        if not d:
            raise ConnectionClosed("server closed the connection")
        self.buf += d

    def _line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            self._fill()
        data, crlf, self.buf = self.buf[:n], self.buf[n:n + 2], self.buf[n + 2:]
        assert crlf == b"\r\n", f"bulk not terminated by CRLF: {crlf!r}"
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode("utf-8", "replace")
        if t == b"-":
            return RespError(rest.decode("utf-8", "replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self.read() for _ in range(n)]
            return {b"*": list, b"~": RespSet, b">": Push}[t](items)
        if t == b"%":
            n = int(rest)
            m = {}
            for _ in range(n):
                k = self.read()
                m[_hashable(k)] = self.read()
            return m
        if t == b"|":  # attribute: read and drop, then the real reply follows
            n = int(rest)
            for _ in range(2 * n):
                self.read()
            return self.read()
        if t == b"_":
            return None
        if t == b"#":
            return rest == b"t"
        if t == b",":
            return RespDouble(float(rest.decode()))
        if t == b"(":
            return int(rest)
        if t == b"!":
            return RespError(self._exact(int(rest)).decode("utf-8", "replace"), blob=True)
        if t == b"=":
            data = self._exact(int(rest)).decode("utf-8", "replace")
            v = Verbatim(data[4:])
            v.format = data[:3]
            return v
        raise AssertionError(f"unexpected RESP type byte in line {line!r}")

    def cmd(self, *args):
        self.send(encode_command(*args))
        return self.read()

    def ok(self, *args):
        """Run a command and fail on an error reply."""
        v = self.cmd(*args)
        assert not isinstance(v, RespError), f"{args!r} -> {v!r}"
        return v

    def read_raw(self, n: int = 65536) -> bytes:
        """Whatever bytes arrive next (buffered first)."""
        if self.buf:
            data, self.buf = self.buf, b""
            return data
        return self.sock.recv(n)

    def read_until_closed(self, timeout: float = 10.0) -> bytes:
        """Read everything until the server closes the connection; fail if it does not."""
        self.sock.settimeout(timeout)
        data, self.buf = self.buf, b""
        while True:
            try:
                d = self.sock.recv(65536)
            except ConnectionResetError:
                return data
            except socket.timeout:
                raise AssertionError(f"server did not close the connection; got {data[:300]!r}")
            if not d:
                return data
            data += d


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    return v


def b2s(v):
    """Recursively decode bytes to str (for comparing raw replies)."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list):
        return type(v)([b2s(x) for x in v])
    if isinstance(v, tuple):
        return tuple(b2s(x) for x in v)
    if isinstance(v, dict):
        return {b2s(k): b2s(x) for k, x in v.items()}
    return v


def parse_info(text: str) -> dict[str, dict[str, str]]:
    """INFO text -> {section_lower: {field: value}}."""
    sections: dict[str, dict[str, str]] = {}
    cur = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("# "):
            cur = sections.setdefault(line[2:].strip().lower(), {})
            continue
        if cur is None:
            cur = sections.setdefault("", {})
        k, _, v = line.partition(":")
        cur[k] = v
    return sections


def info_fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for sec in parse_info(text).values():
        out.update(sec)
    return out


def seed_redis_conf() -> str | None:
    """The production redis.conf from shared/seeds (the `tee /etc/redis/redis.conf` heredoc)."""
    if not SEEDS_DIR.is_dir():
        return None
    candidates = [SEEDS_DIR / "002_f17269ce7c4b01e0.txt"] + sorted(SEEDS_DIR.glob("*"))
    for path in candidates:
        if not path.is_file():
            continue
        lines = path.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if "tee /etc/redis/redis.conf" in line and "<<" in line:
                body = []
                for l in lines[i + 1:]:
                    if l.strip() == "EOF":
                        return "\n".join(body) + "\n"
                    body.append(l)
    return None
