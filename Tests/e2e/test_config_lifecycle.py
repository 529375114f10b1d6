"""Config files, command-line directives, the log, startup failures, signals, and the stock tools
(redis-cli, redis-benchmark) against a fresh server."""

import collections
import re
import signal
import subprocess
import time

import pytest

from helpers import (IS_REDIS, LOG_LINE_RE, READY_TEXT, RespError, ServerProcess,
                     seed_redis_conf, server_binary)


# ---------------------------------------------------------------------------------------------
# Config files

def test_config_file(server_factory):
    conf = "\n".join([
        "# a comment line",
        "",
        "   # an indented comment",
        "maxmemory 10mb",
        "maxmemory-policy allkeys-lru",
        "databases 4",
        'requirepass "pa ss"',
        "timeout 300",
        "hz 10",
        "",
    ])
    sp = server_factory(config_text=conf)
    sp.password = "pa ss"
    with sp.raw() as c:
        assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"10485760"]
        assert c.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lru"]
        assert c.cmd("CONFIG", "GET", "databases") == [b"databases", b"4"]
        assert c.cmd("CONFIG", "GET", "timeout") == [b"timeout", b"300"]
        assert c.cmd("SELECT", "3") == "OK"
        assert c.cmd("SELECT", "4") == RespError("ERR DB index is out of range")
    with sp.raw(auth=False) as c:
        assert c.cmd("GET", "x") == RespError("NOAUTH Authentication required.")


def test_command_line_overrides_config_file(server_factory):
    sp = server_factory(config_text="maxmemory 10mb\nhz 10\n", args=["--maxmemory", "20mb", "--hz", "20"])
    with sp.raw() as c:
        assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"20971520"]
        assert c.cmd("CONFIG", "GET", "hz") == [b"hz", b"20"]


def test_embedded_defaults_without_config_file(server_factory):
    # No file: the embedded defaults plus the directives given on the command line.
    sp = server_factory()
    with sp.raw() as c:
        assert c.cmd("CONFIG", "GET", "databases") == [b"databases", b"16"]
        assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"0"]


SEED_PASSWORD = "AI_Platform_Redis_2024_Secure"


def _seed_server():
    conf = seed_redis_conf()
    if conf is None:
        pytest.skip("seed redis.conf not found: expected <repo>/../shared/seeds/002_f17269ce7c4b01e0.txt "
                    "(the `tee /etc/redis/redis.conf` heredoc)")
    assert "requirepass " + SEED_PASSWORD in conf
    # The file is used UNMODIFIED. These overrides are what it takes for redis-server itself to start
    # it in a test: bind lists CIDR ranges Redis cannot bind, daemonize/logfile/pidfile/dir/aclfile
    # point at system paths. --aclfile "" (not an empty file: an empty ACL file would reset the
    # default user and drop requirepass).
    sp = ServerProcess(config_text=conf, common_args=False, name="seed", args=[])
    sp.argv += ["--bind", "127.0.0.1", "--daemonize", "no", "--logfile", "", "--aclfile", "",
                "--pidfile", str(sp.dir / "server.pid")]
    sp.password = SEED_PASSWORD  # from the file; not passed again on the command line
    return sp


def test_seed_production_config_loads(request):
    sp = _seed_server()
    request.addfinalizer(sp.cleanup)
    sp.start(timeout=30)
    with sp.raw(auth=False) as c:
        assert c.cmd("GET", "x") == RespError("NOAUTH Authentication required.")
        assert c.cmd("AUTH", SEED_PASSWORD) == "OK"
        assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"2147483648"]
        assert c.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lru"]
        assert c.cmd("CONFIG", "GET", "databases") == [b"databases", b"16"]
        assert c.cmd("CONFIG", "GET", "port") == [b"port", str(sp.port).encode()]
        assert c.cmd("SET", "k", "v") == "OK"
        assert c.cmd("GET", "k") == b"v"
    assert sp.cli("ping").stdout.strip() == b"PONG"
    log = sp.log()
    assert READY_TEXT in log
    sp.stop()
    assert sp.returncode == 0, sp.log_tail()


@pytest.mark.shoal_only
def test_seed_config_warns_once_per_unimplemented_directive(request):
    sp = _seed_server()
    request.addfinalizer(sp.cleanup)
    sp.start(timeout=30)
    conf = seed_redis_conf()
    names = collections.Counter(
        l.split()[0].lower() for l in conf.splitlines() if l.strip() and not l.lstrip().startswith("#"))
    for i in range(len(sp.argv)):
        if sp.argv[i].startswith("--"):
            names[sp.argv[i][2:].lower()] += 1
    warnings = [l for l in sp.log().splitlines() if LOG_LINE_RE.match(l) and l.split(" ", 6)[5] == "#"]
    warned = collections.Counter()
    for line in warnings:
        for name in names:
            if re.search("'" + re.escape(name) + "[' ]", line, re.I):  # named in quotes
                warned[name] += 1
    assert warned, "expected warnings for known-but-unimplemented directives (e.g. lua-time-limit)"
    assert warned["lua-time-limit"] == 1, "Shoal has no scripting: lua-time-limit is known but unimplemented"
    for name, n in warned.items():
        assert n <= names[name], f"{name} warned {n} times for {names[name]} occurrence(s): {warnings}"
    with sp.raw() as c:
        assert c.cmd("PING") == "PONG"


def _run_expect_failure(argv, timeout=20):
    res = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return res.returncode, (res.stdout + res.stderr).decode("utf-8", "replace")


def test_unknown_directive_in_file_fails_with_line_number(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("# comment\nport 16000\nno-such-directive yes\nmaxmemory 1mb\n")
    rc, out = _run_expect_failure([server_binary(), str(conf)])
    assert rc != 0
    assert "Bad directive or wrong number of arguments" in out
    assert re.search(r"\bline 3\b", out), out
    assert "no-such-directive" in out


def test_wrong_argument_count_fails(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("hz 10\nport\n")
    rc, out = _run_expect_failure([server_binary(), str(conf)])
    assert rc != 0
    assert "wrong number of arguments" in out
    assert re.search(r"\bline 2\b", out), out


def test_bad_value_fails(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("maxmemory abc\n")
    rc, out = _run_expect_failure([server_binary(), str(conf)])
    assert rc != 0
    assert "argument must be a memory value" in out
    assert re.search(r"\bline 1\b", out), out


def test_unknown_directive_on_command_line_fails():
    rc, out = _run_expect_failure([server_binary(), "--port", "16001", "--no-such-directive", "1"])
    assert rc != 0
    assert "Bad directive or wrong number of arguments" in out
    assert "no-such-directive" in out


def test_missing_config_file_fails(tmp_path):
    rc, out = _run_expect_failure([server_binary(), str(tmp_path / "nope.conf")])
    assert rc != 0
    assert "nope.conf" in out


# ---------------------------------------------------------------------------------------------
# Log and signals

def test_log_format_and_sigterm(server_factory):
    sp = server_factory()
    with sp.raw() as c:
        c.ok("SET", "k", "v")
    t0 = time.monotonic()
    sp.signal(signal.SIGTERM)
    assert sp.wait_exit(timeout=10) == 0
    assert time.monotonic() - t0 < 10
    log = sp.log()
    lines = [l for l in log.splitlines() if l.strip()]
    assert lines, "empty log"
    for line in lines:
        if IS_REDIS and re.match(r"^\d+:signal-handler ", line):
            continue  # Redis logs from its signal handler without the usual prefix
        assert LOG_LINE_RE.match(line), f"log line does not match the Redis format: {line!r}"
    pids = {int(l.split(":", 1)[0]) for l in lines}
    assert pids == {sp.pid}
    assert READY_TEXT in log
    assert re.search(r"(?i)shut ?down|ready to exit", log), "no shutdown message in the log"


@pytest.mark.shoal_only
def test_shoal_log_mentions_pid_and_tcp_ready(server_factory):
    sp = server_factory()
    log = sp.log()
    assert f"PID: {sp.pid}" in log
    assert "Ready to accept connections tcp" in log
    sp.stop()
    assert sp.returncode == 0


def test_sigint_also_exits_cleanly(server_factory):
    sp = server_factory()
    sp.signal(signal.SIGINT)
    assert sp.wait_exit(timeout=10) == 0


# ---------------------------------------------------------------------------------------------
# Stock tools

def test_redis_cli_ping(server_factory):
    sp = server_factory()
    assert sp.cli("ping").stdout == b"PONG\n"


def test_redis_benchmark_completes(server_factory):
    sp = server_factory()
    res = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(sp.port), "-t", "set,get",
                          "-n", "2000", "-q"], capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    out = res.stdout.decode()
    assert res.returncode == 0, res.stderr
    assert re.search(r"SET: [\d.]+ requests per second", out), out
    assert re.search(r"GET: [\d.]+ requests per second", out), out
    with sp.raw() as c:
        assert c.cmd("DBSIZE") >= 1
    assert sp.alive()
