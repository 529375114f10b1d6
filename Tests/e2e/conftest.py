"""Fixtures for the Shoal end-to-end suite.

Target: SHOAL_E2E_TARGET=shoal (default; binary from $SHOAL_SERVER or .build/release/shoal-server)
or SHOAL_E2E_TARGET=redis (/usr/bin/redis-server, to prove the tests right against Redis itself).

Every server runs as its own process on a free port < 22768 with a temp `dir`, and is killed by PID
at teardown (fixture finalizers; an atexit hook as the last resort).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from helpers import (  # noqa: E402
    IS_REDIS, TARGET, RespConn, ServerProcess, free_port, server_binary, wait_for,
)

# A real redis-server started beside the server under test, for tests that compare the two.
REDIS_SERVER = shutil.which("redis-server")


def pytest_report_header(config):
    return f"shoal e2e target: {TARGET} ({server_binary()})"


def pytest_collection_modifyitems(config, items):
    if IS_REDIS:
        skip = pytest.mark.skip(reason="Shoal-specific behaviour (SHOAL_E2E_TARGET=redis)")
        for item in items:
            if "shoal_only" in item.keywords:
                item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return rep is not None and rep.failed


def _report_log(sp: ServerProcess, why: str):
    print(f"\n----- {why}: server log ({sp.argv[0]} port {sp.port}, dir {sp.dir}) -----")
    print(sp.log_tail(60))
    print("----- end of server log -----")


@pytest.fixture(scope="module")
def server(request):
    """One server per test module, on the embedded defaults plus COMMON_ARGS."""
    sp = ServerProcess(name=request.module.__name__.rsplit(".", 1)[-1])
    try:
        sp.start()
        yield sp
    finally:
        sp.cleanup()


@pytest.fixture(autouse=True)
def _server_health(request):
    """After each test that used the module server: it must still be running."""
    yield
    if "server" not in request.fixturenames:
        return
    sp = request.getfixturevalue("server")
    if _failed(request):
        _report_log(sp, "test failed")
    if not sp.alive():
        _report_log(sp, "server died")
        pytest.fail(f"server process {sp.pid} is not running after the test "
                    f"(exit code {sp.proc.poll()})")


@pytest.fixture
def db(server):
    """A clean keyspace for the test (FLUSHALL on all databases)."""
    if not server.alive():
        # An earlier test killed it (and failed for that); start it again so that one crash does
        # not turn every later test of the module into noise.
        server.restart()
    with server.raw() as c:
        assert c.cmd("FLUSHALL") == "OK"
    return server


@pytest.fixture
def r(db):
    """redis-py, RESP2, str replies."""
    c = db.client(protocol=2)
    yield c
    c.close()


@pytest.fixture
def r3(db):
    """redis-py, RESP3, str replies."""
    c = db.client(protocol=3)
    yield c
    c.close()


@pytest.fixture
def rb(db):
    """redis-py, RESP2, bytes replies."""
    c = db.client(protocol=2, decode=False)
    yield c
    c.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def rr(request, db):
    """redis-py in both protocols (the test runs twice)."""
    c = db.client(protocol=request.param)
    c.protocol = request.param
    yield c
    c.close()


@pytest.fixture
def raw(db):
    """A raw RESP connection (RespConn) to the module server."""
    c = db.raw()
    yield c
    c.close()


@pytest.fixture
def server_factory(request):
    """Start extra servers for one test: factory(args=[...], config_text=..., password=..., start=True)."""
    started: list[ServerProcess] = []

    def factory(args=(), config_text=None, password=None, start=True, common_args=True, port=None,
                timeout=20.0):
        sp = ServerProcess(args=args, config_text=config_text, password=password,
                           common_args=common_args, port=port, name=request.node.name[:40])
        started.append(sp)
        if start:
            sp.start(timeout=timeout)
        else:
            sp.spawn()
        return sp

    try:
        yield factory
    finally:
        for sp in started:
            if _failed(request):
                _report_log(sp, "test failed")
            sp.cleanup()


@pytest.fixture(scope="module")
def redis_peer():
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="shoal-e2e-redis-peer-")
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def ready():
            try:
                with RespConn(port, timeout=1) as c:
                    return c.cmd("PING") == "PONG"
            except OSError:
                return False
        wait_for(ready, timeout=15, what="redis-server to answer")
        with RespConn(port) as c:
            c.port = port
            yield c
    finally:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# Redis Cluster fixtures (cluster_helpers.py; tests in test_cluster*.py)

from cluster_helpers import Cluster, start_cluster  # noqa: E402

_CLUSTER6: dict = {}


def _cluster_report(c: Cluster, why: str):
    for node in c.nodes:
        _report_log(node, why)


@pytest.fixture(scope="session")
def _cluster6_session():
    """The shared 3 masters + 3 replicas cluster, created once for every read-mostly cluster test."""
    c = start_cluster(6, replicas=1, node_timeout=10000, name="cluster6")
    _CLUSTER6["cluster"] = c
    try:
        yield c
    finally:
        c.cleanup()
        _CLUSTER6.clear()


@pytest.fixture
def cluster6(request, _cluster6_session):
    """The shared 6-node cluster (cluster_helpers.Cluster). After each test every node must still run;
    after the last test of the session that uses it, its nodes are stopped at once (not at the end of
    the whole session)."""
    c = _cluster6_session
    dead = [n.port for n in c.nodes if not n.alive()]
    if dead:
        pytest.fail(f"shared cluster nodes {dead} died in an earlier test")
    yield c
    if _failed(request):
        _cluster_report(c, "test failed")
    dead = [n for n in c.nodes if not n.alive()]
    for n in dead:
        _report_log(n, "node died")
    users = [item for item in request.session.items if "cluster6" in getattr(item, "fixturenames", ())]
    if users and request.node is users[-1]:
        c.cleanup()
    if dead:
        pytest.fail(f"cluster node(s) {[n.port for n in dead]} not running after the test "
                    f"(exit codes {[n.proc.poll() for n in dead]})")


@pytest.fixture
def cluster_factory(request):
    """Clusters of its own for a test that destroys state:
    factory(n=6, replicas=1, node_timeout=..., create=True, binaries=None) -> Cluster (created, ok,
    converged), or only started nodes with create=False."""
    made: list[Cluster] = []

    def factory(n=6, replicas=1, node_timeout=5000, create=True, binaries=None, name=None):
        nm = name or request.node.name[:24]
        if create:
            c = start_cluster(n, replicas=replicas, node_timeout=node_timeout, name=nm, binaries=binaries)
        else:
            c = Cluster(n, node_timeout=node_timeout, name=nm, binaries=binaries)
            made.append(c)
            c.start()
        if c not in made:
            made.append(c)
        return c

    try:
        yield factory
    finally:
        for c in made:
            if _failed(request):
                _cluster_report(c, "test failed")
            c.cleanup()
