"""Server and connection commands: PING ECHO QUIT HELLO AUTH TIME INFO CONFIG CLIENT COMMAND DEBUG
SHUTDOWN, and the exact texts of the generic errors."""

import re
import time

import pytest
import redis

from helpers import IS_REDIS, RespError, ServerProcess, Verbatim, b2s, info_fields, parse_info

PASSWORD = "s3cret-Pass"


# ---------------------------------------------------------------------------------------------
# PING ECHO QUIT TIME

def test_ping_echo(raw):
    assert raw.cmd("PING") == "PONG"
    assert raw.cmd("PING", "hello world") == b"hello world"
    assert raw.cmd("PING", "") == b""
    assert raw.cmd("ECHO", "x\r\ny") == b"x\r\ny"
    assert raw.cmd("PING", "a", "b") == RespError("ERR wrong number of arguments for 'ping' command")
    assert raw.cmd("ECHO") == RespError("ERR wrong number of arguments for 'echo' command")
    assert raw.cmd("ping") == "PONG"  # case-insensitive names
    assert raw.cmd("PiNg") == "PONG"


def test_quit_replies_ok_then_closes(server):
    c = server.raw()
    c.send(b"*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n")
    data = c.read_until_closed()
    assert data == b"+OK\r\n"
    c.close()


def test_time(raw):
    reply = raw.cmd("TIME")
    assert isinstance(reply, list) and len(reply) == 2
    sec, usec = int(reply[0]), int(reply[1])
    assert abs(sec - time.time()) < 30
    assert 0 <= usec < 1_000_000


# ---------------------------------------------------------------------------------------------
# HELLO

def _check_hello_fields(m, proto):
    assert set(m) >= {"server", "version", "proto", "id", "mode", "role", "modules"}
    assert m["proto"] == proto
    assert isinstance(m["id"], int) and m["id"] > 0
    assert m["mode"] == "standalone"
    assert m["role"] == "master"
    assert m["modules"] == []
    assert isinstance(m["server"], str) and m["server"]
    if IS_REDIS:
        assert m["server"] == "redis"


def test_hello_3_map(server, db):
    with server.raw() as c:
        reply = b2s(c.cmd("HELLO", "3"))
        assert isinstance(reply, dict), "HELLO 3 replies with a RESP3 map"
        _check_hello_fields(reply, 3)
        version = reply["version"]
        info = info_fields(server.info_text("server"))
        assert version == info["redis_version"]
        assert reply["id"] == c.cmd("CLIENT", "ID")
        # The connection now speaks RESP3: a map for CONFIG GET, null as _.
        c.send(b"*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n")
        assert c.read_raw() == b"_\r\n"
        assert isinstance(c.cmd("CONFIG", "GET", "port"), dict)


def test_hello_2_flat(server, db):
    with server.raw() as c:
        reply = b2s(c.cmd("HELLO", "2"))
        assert isinstance(reply, list) and len(reply) % 2 == 0
        _check_hello_fields(dict(zip(reply[::2], reply[1::2])), 2)
        c.send(b"*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n")
        assert c.read_raw() == b"$-1\r\n"


def test_hello_without_version_and_back_to_2(server, db):
    with server.raw() as c:
        reply = b2s(c.cmd("HELLO"))  # no version: current protocol (2)
        assert isinstance(reply, list)
        assert isinstance(c.cmd("HELLO", "3"), dict)
        assert isinstance(c.cmd("HELLO"), dict)
        assert isinstance(c.cmd("HELLO", "2"), list)


def test_hello_errors(raw):
    assert raw.cmd("HELLO", "4") == RespError("NOPROTO unsupported protocol version")
    assert raw.cmd("HELLO", "1") == RespError("NOPROTO unsupported protocol version")
    assert raw.cmd("HELLO", "abc") == RespError("ERR Protocol version is not an integer or out of range")
    assert raw.cmd("HELLO", "3", "FOO") == RespError("ERR Syntax error in HELLO option 'FOO'")
    assert raw.cmd("HELLO", "3", "SETNAME", "bad name") == RespError(
        "ERR Client names cannot contain spaces, newlines or special characters.")
    assert raw.cmd("PING") == "PONG"  # still RESP2 after the failed HELLOs


def test_hello_setname(raw):
    reply = raw.cmd("HELLO", "3", "SETNAME", "myclient")
    assert isinstance(reply, dict)
    assert raw.cmd("CLIENT", "GETNAME") == b"myclient"


def test_hello_auth_without_password_configured(raw):
    # The default user has no password: any password is accepted for it, other users do not exist.
    assert isinstance(raw.cmd("HELLO", "3", "AUTH", "default", "whatever"), dict)
    assert raw.cmd("HELLO", "3", "AUTH", "nouser", "whatever") == RespError(
        "WRONGPASS invalid username-password pair or user is disabled.")


def test_resp3_via_redis_py(r3):
    r3.set("k", "v")
    assert r3.get("k") == "v"
    assert r3.get("missing") is None
    assert r3.mget("k", "missing") == ["v", None]
    assert r3.ttl("k") == -1
    hello = r3.execute_command("HELLO", "3")
    assert hello["proto"] == 3


# ---------------------------------------------------------------------------------------------
# AUTH / NOAUTH with requirepass

@pytest.fixture(scope="module")
def auth_server():
    sp = ServerProcess(password=PASSWORD, name="auth")
    try:
        sp.start()
        yield sp
    finally:
        sp.cleanup()


def test_auth_without_requirepass(raw):
    assert raw.cmd("AUTH", "foo") == RespError(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?")
    assert raw.cmd("AUTH", "a", "b", "c") == RespError("ERR syntax error")


def test_noauth(auth_server):
    with auth_server.raw(auth=False) as c:
        assert c.cmd("GET", "k") == RespError("NOAUTH Authentication required.")
        assert c.cmd("SET", "k", "v") == RespError("NOAUTH Authentication required.")
        assert c.cmd("PING") == RespError("NOAUTH Authentication required.")
        assert c.cmd("AUTH", "wrong") == RespError("WRONGPASS invalid username-password pair or user is disabled.")
        assert c.cmd("GET", "k") == RespError("NOAUTH Authentication required.")
        assert c.cmd("AUTH", PASSWORD) == "OK"
        assert c.cmd("PING") == "PONG"
        assert c.cmd("SET", "k", "v") == "OK"
    with auth_server.raw(auth=False) as c:
        assert c.cmd("AUTH", "default", PASSWORD) == "OK"
        assert c.cmd("GET", "k") == b"v"
    with auth_server.raw(auth=False) as c:
        assert c.cmd("AUTH", "default", "nope") == RespError(
            "WRONGPASS invalid username-password pair or user is disabled.")
        assert c.cmd("AUTH", "nouser", PASSWORD) == RespError(
            "WRONGPASS invalid username-password pair or user is disabled.")


def test_hello_auth(auth_server):
    with auth_server.raw(auth=False) as c:
        assert c.cmd("HELLO", "3") == RespError(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
            "AUTH <user> <pass> option can be used to authenticate the client and select the "
            "RESP protocol version at the same time")
        assert c.cmd("HELLO", "3", "AUTH", "default", "wrong") == RespError(
            "WRONGPASS invalid username-password pair or user is disabled.")
        reply = b2s(c.cmd("HELLO", "3", "AUTH", "default", PASSWORD, "SETNAME", "authed"))
        assert isinstance(reply, dict) and reply["proto"] == 3
        assert c.cmd("CLIENT", "GETNAME") == b"authed"
        assert c.cmd("PING") == "PONG"


def test_auth_redis_py_and_cli(auth_server):
    c = auth_server.client()
    try:
        assert c.ping() is True
    finally:
        c.close()
    bad = auth_server.client(auth=False)
    with pytest.raises(redis.AuthenticationError):
        bad.get("x")
    bad.close()
    assert auth_server.cli("ping").stdout.strip() == b"PONG"
    res = auth_server.cli("ping", auth=False, check=False)
    assert b"NOAUTH" in res.stdout + res.stderr


def test_unauthenticated_huge_multibulk_refused(auth_server):
    # Before AUTH, Redis refuses big requests outright and closes the connection.
    with auth_server.raw(auth=False) as c:
        c.send(b"*2000000\r\n")
        assert c.read_until_closed() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    with auth_server.raw(auth=False) as c:
        c.send(b"*1\r\n$100000\r\n")
        assert c.read_until_closed() == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    with auth_server.raw() as c:
        assert c.cmd("PING") == "PONG"


# ---------------------------------------------------------------------------------------------
# INFO

SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace"]


def test_info_default_sections(server, raw):
    raw.ok("SET", "k", "v")
    text = server.info_text()
    headers = [l[2:].strip().lower() for l in text.splitlines() if l.startswith("# ")]
    for s in SECTIONS:
        assert s in headers, f"section {s} missing from INFO: {headers}"
    positions = [headers.index(s) for s in SECTIONS]
    assert positions == sorted(positions), f"sections out of order: {headers}"
    assert "\r\n" in text  # INFO lines end with CRLF
    f = info_fields(text)
    assert f["redis_version"] == "7.0.15"
    assert f["tcp_port"] == str(server.port)
    assert int(f["process_id"]) == server.pid
    assert int(f["connected_clients"]) >= 1
    assert int(f["used_memory"]) > 0
    assert int(f["total_commands_processed"]) > 0
    assert int(f["keyspace_hits"]) >= 0 and int(f["keyspace_misses"]) >= 0
    assert f["role"] == "master"
    assert re.fullmatch(r"keys=1,expires=0,avg_ttl=\d+", parse_info(text)["keyspace"]["db0"])


def test_info_single_section(server, raw):
    raw.ok("SET", "k", "v")
    text = server.info_text("keyspace")
    headers = [l for l in text.splitlines() if l.startswith("# ")]
    assert headers == ["# Keyspace"]
    assert re.search(r"^db0:keys=1,expires=0,avg_ttl=\d+\r?$", text, re.M)
    assert [l for l in server.info_text("server").splitlines() if l.startswith("# ")] == ["# Server"]
    two = server.info_text("server", "clients")
    assert [l for l in two.splitlines() if l.startswith("# ")] == ["# Server", "# Clients"]


def test_info_everything_includes_defaults(server, raw):
    headers = [l[2:].strip().lower() for l in server.info_text("everything").splitlines() if l.startswith("# ")]
    for s in SECTIONS:
        assert s in headers


def test_info_hits_misses(server, raw):
    raw.ok("SET", "k", "v")
    f0 = info_fields(server.info_text("stats"))
    raw.ok("GET", "k")
    raw.ok("GET", "k")
    raw.ok("GET", "missing")
    f1 = info_fields(server.info_text("stats"))
    assert int(f1["keyspace_hits"]) - int(f0["keyspace_hits"]) == 2
    assert int(f1["keyspace_misses"]) - int(f0["keyspace_misses"]) == 1
    assert int(f1["total_commands_processed"]) > int(f0["total_commands_processed"])


def test_info_resp3_is_verbatim(server, db):
    with server.raw() as c:
        c.ok("HELLO", "3")
        v = c.cmd("INFO", "server")
        assert isinstance(v, Verbatim) and v.format == "txt"
        assert "redis_version:" in v


@pytest.mark.shoal_only
def test_info_shoal_version(server):
    f = info_fields(server.info_text("server"))
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", f["shoal_version"])
    assert f["redis_version"] == "7.0.15"


# ---------------------------------------------------------------------------------------------
# CONFIG

def test_config_get(server, r):
    got = r.config_get("maxmemory*")
    assert got["maxmemory"] == "0"
    assert got["maxmemory-policy"] == "noeviction"
    assert "maxmemory-samples" in got
    assert all(k.startswith("maxmemory") for k in got)
    with server.raw() as c:  # several patterns in one call (7.0)
        flat = b2s(c.cmd("CONFIG", "GET", "port", "databases", "bind"))
    assert dict(zip(flat[::2], flat[1::2])) == {"port": str(server.port), "databases": "16", "bind": "127.0.0.1"}
    assert r.config_get("no-such-parameter") == {}
    # names are case-insensitive (Redis 7.0 echoes the name as the client spelled it)
    assert {k.lower(): v for k, v in r.config_get("PORT").items()} == {"port": str(server.port)}
    with server.raw() as c:  # a parameter matched twice is reported once
        assert b2s(c.cmd("CONFIG", "GET", "port", "port")) == ["port", str(server.port)]


def test_config_get_raw_shapes(server, db):
    with server.raw() as c:
        flat = c.cmd("CONFIG", "GET", "databases")
        assert flat == [b"databases", b"16"]
        c.ok("HELLO", "3")
        assert c.cmd("CONFIG", "GET", "databases") == {b"databases": b"16"}


def test_config_set(r):
    try:
        assert r.execute_command("CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru") in (True, "OK")
        assert r.config_get("maxmemory") == {"maxmemory": "104857600"}
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        assert r.config_set("maxmemory", "1gb") is True
        assert r.config_get("maxmemory") == {"maxmemory": "1073741824"}
    finally:
        r.execute_command("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction")


def test_config_set_errors(raw):
    assert raw.cmd("CONFIG", "SET", "daemonize", "yes") == RespError(
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config")
    assert raw.cmd("CONFIG", "SET", "maxmemory-policy", "foo") == RespError(
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one "
        "of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, "
        "allkeys-lfu, allkeys-random, noeviction")
    assert raw.cmd("CONFIG", "SET", "maxmemory", "abc") == RespError(
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")
    assert raw.cmd("CONFIG", "SET", "no-such-param", "x") == RespError(
        "ERR Unknown option or number of arguments for CONFIG SET - 'no-such-param'")
    assert raw.cmd("CONFIG", "SET", "maxmemory", "0", "maxmemory", "1") == RespError(
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter")
    assert raw.cmd("CONFIG", "SET", "maxmemory") == RespError(
        "ERR wrong number of arguments for 'config|set' command")
    # All or nothing: one bad pair leaves the good one unapplied.
    assert raw.cmd("CONFIG", "SET", "maxmemory", "5mb", "daemonize", "no") == RespError(
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config")
    assert raw.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"0"]
    assert raw.cmd("CONFIG", "FOO") == RespError("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")


def test_config_resetstat(server, raw):
    for _ in range(50):
        raw.ok("PING")
    raw.ok("GET", "missing")
    assert raw.cmd("CONFIG", "RESETSTAT") == "OK"
    f = info_fields(server.info_text("stats"))
    assert int(f["total_commands_processed"]) <= 5
    assert f["keyspace_misses"] == "0"
    assert f["keyspace_hits"] == "0"


# ---------------------------------------------------------------------------------------------
# CLIENT

def _client_line_fields(line: str) -> dict:
    return dict(kv.split("=", 1) for kv in line.strip().split(" ") if "=" in kv)


def test_client_id_name_info(raw):
    cid = raw.cmd("CLIENT", "ID")
    assert isinstance(cid, int) and cid > 0
    assert raw.cmd("CLIENT", "GETNAME") is None
    assert raw.cmd("CLIENT", "SETNAME", "worker-1") == "OK"
    assert raw.cmd("CLIENT", "GETNAME") == b"worker-1"
    info = b2s(raw.cmd("CLIENT", "INFO"))
    assert info.endswith("\n")
    f = _client_line_fields(info)
    assert f["id"] == str(cid)
    assert f["name"] == "worker-1"
    assert f["db"] == "0"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", f["addr"])
    assert f["cmd"] == "client|info"
    assert raw.cmd("CLIENT", "SETNAME", "") == "OK"
    assert raw.cmd("CLIENT", "GETNAME") is None
    for bad in ("a b", "a\nb"):
        assert raw.cmd("CLIENT", "SETNAME", bad) == RespError(
            "ERR Client names cannot contain spaces, newlines or special characters.")
    assert raw.cmd("CLIENT", "FOO") == RespError("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")


def test_client_list(server, raw):
    raw.ok("CLIENT", "SETNAME", "lister")
    with server.raw() as other:
        other.ok("CLIENT", "SETNAME", "other")
        other_id = other.cmd("CLIENT", "ID")
        text = b2s(raw.cmd("CLIENT", "LIST"))
        lines = [l for l in text.split("\n") if l]
        fields = [_client_line_fields(l) for l in lines]
        names = {f["name"]: f for f in fields}
        assert "lister" in names and "other" in names
        assert names["other"]["id"] == str(other_id)
        assert names["lister"]["cmd"] == "client|list"
        assert all("addr" in f and "id" in f for f in fields)


def test_client_kill_by_id(server, raw):
    victim = server.raw()
    vid = victim.cmd("CLIENT", "ID")
    assert raw.cmd("CLIENT", "KILL", "ID", str(vid)) == 1
    assert victim.read_until_closed() == b""
    victim.close()
    assert raw.cmd("CLIENT", "KILL", "ID", str(vid)) == 0
    assert raw.cmd("CLIENT", "KILL", "ID", "abc") == RespError("ERR client-id should be greater than 0")


def test_client_kill_by_addr(server, raw):
    victim = server.raw()
    addr = _client_line_fields(b2s(victim.cmd("CLIENT", "INFO")))["addr"]
    assert raw.cmd("CLIENT", "KILL", "ADDR", addr) == 1
    assert victim.read_until_closed() == b""
    victim.close()
    # the old form: CLIENT KILL ip:port -> +OK, or an error when nobody matches
    victim = server.raw()
    addr = _client_line_fields(b2s(victim.cmd("CLIENT", "INFO")))["addr"]
    assert raw.cmd("CLIENT", "KILL", addr) == "OK"
    assert victim.read_until_closed() == b""
    victim.close()
    assert raw.cmd("CLIENT", "KILL", addr) == RespError("ERR No such client")
    assert raw.cmd("CLIENT", "KILL", "ADDR", "1.2.3.4:5") == 0
    assert raw.cmd("CLIENT", "KILL", "FOO", "bar") == RespError("ERR syntax error")
    assert raw.cmd("PING") == "PONG"


def test_client_no_evict(raw):
    assert raw.cmd("CLIENT", "NO-EVICT", "on") == "OK"
    assert raw.cmd("CLIENT", "NO-EVICT", "off") == "OK"
    assert raw.cmd("CLIENT", "NO-EVICT", "maybe") == RespError("ERR syntax error")


# ---------------------------------------------------------------------------------------------
# COMMAND

def test_command_count_and_list(raw):
    count = raw.cmd("COMMAND", "COUNT")
    assert isinstance(count, int) and count > 20
    names = {b2s(n) for n in raw.cmd("COMMAND", "LIST")}
    for name in ("get", "set", "del", "expire", "scan", "info", "config|get", "client|kill", "command|getkeys"):
        assert name in names, name


def test_command_info(raw):
    reply = b2s(raw.cmd("COMMAND", "INFO", "get", "set", "no-such-command"))
    assert len(reply) == 3
    get, set_, missing = reply
    assert missing is None
    assert get[0] == "get" and get[1] == 2
    assert {"readonly", "fast"} <= set(get[2])
    assert get[3:6] == [1, 1, 1]
    assert "@read" in get[6] and "@string" in get[6]
    assert set_[0] == "set" and set_[1] == -3
    assert {"write", "denyoom"} <= set(set_[2])
    assert set_[3:6] == [1, 1, 1]
    assert "@write" in set_[6]
    mset = b2s(raw.cmd("COMMAND", "INFO", "mset"))[0]
    assert mset[1] == -3 and mset[3:6] == [1, -1, 2]


def test_command_docs(server, db):
    with server.raw() as c:
        c.ok("HELLO", "3")
        docs = b2s(c.cmd("COMMAND", "DOCS", "get"))
        assert set(docs) == {"get"}
        d = docs["get"]
        assert d["summary"]
        assert d["group"] == "string"
        assert d["since"] == "1.0.0"
        assert d["complexity"] == "O(1)"
        assert d["arguments"][0]["name"] == "key"


def test_command_getkeys(raw):
    assert raw.cmd("COMMAND", "GETKEYS", "SET", "a", "b") == [b"a"]
    assert raw.cmd("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == [b"a", b"b"]
    assert raw.cmd("COMMAND", "GETKEYS", "MGET", "x", "y", "z") == [b"x", b"y", b"z"]
    assert raw.cmd("COMMAND", "GETKEYS", "COPY", "s", "d") == [b"s", b"d"]
    assert raw.cmd("COMMAND", "GETKEYS", "GET", "a", "b") == RespError(
        "ERR Invalid number of arguments specified for command")
    assert raw.cmd("COMMAND", "GETKEYS", "SET", "a") == RespError(
        "ERR Invalid number of arguments specified for command")
    assert raw.cmd("COMMAND", "GETKEYS", "GET") == RespError(
        "ERR wrong number of arguments for 'command|getkeys' command")
    assert raw.cmd("COMMAND", "GETKEYS", "PING", "x") == RespError("ERR The command has no key arguments")
    assert raw.cmd("COMMAND", "GETKEYS", "NOPE", "x") == RespError("ERR Invalid command specified")


# ---------------------------------------------------------------------------------------------
# DEBUG

def test_debug_sleep_and_object(raw):
    assert raw.cmd("DEBUG", "SLEEP", "0") == "OK"
    raw.ok("SET", "k", "hello")
    s = raw.cmd("DEBUG", "OBJECT", "k")
    assert isinstance(s, str)
    assert s.startswith("Value at:")
    assert "refcount:" in s
    assert "encoding:embstr" in s
    assert "lru_seconds_idle:" in s
    assert raw.cmd("DEBUG", "OBJECT", "missing") == RespError("ERR no such key")


# ---------------------------------------------------------------------------------------------
# Errors

def test_unknown_command_text(raw):
    assert raw.cmd("foo", "a", "b") == RespError("ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
    assert raw.cmd("FOO") == RespError("ERR unknown command 'FOO', with args beginning with: ")
    assert raw.cmd("foo", "a") == RespError("ERR unknown command 'foo', with args beginning with: 'a' ")


def test_wrong_arity_text(raw):
    assert raw.cmd("GET") == RespError("ERR wrong number of arguments for 'get' command")
    assert raw.cmd("get", "a", "b") == RespError("ERR wrong number of arguments for 'get' command")
    assert raw.cmd("CONFIG", "GET") == RespError("ERR wrong number of arguments for 'config|get' command")
    assert raw.cmd("CLIENT") == RespError("ERR wrong number of arguments for 'client' command")


def test_errors_keep_connection_open(raw):
    assert isinstance(raw.cmd("NOPE"), RespError)
    assert isinstance(raw.cmd("GET"), RespError)
    assert raw.cmd("PING") == "PONG"


def test_redis_py_error_mapping(r):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("FOO", "a", "b")
    assert str(e.value) == "unknown command 'FOO', with args beginning with: 'a' 'b' "


# ---------------------------------------------------------------------------------------------
# SHUTDOWN

def test_shutdown_nosave(server_factory):
    sp = server_factory()
    with sp.raw() as c:
        c.ok("SET", "k", "v")
        c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
        assert c.read_until_closed() == b""
    assert sp.wait_exit(timeout=15) == 0
    assert not (sp.dir / "dump.rdb").exists()


def test_shutdown_via_redis_cli(server_factory):
    sp = server_factory()
    sp.cli("shutdown", "nosave", check=False)  # redis-cli reports the closed connection; fine
    assert sp.wait_exit(timeout=15) == 0
