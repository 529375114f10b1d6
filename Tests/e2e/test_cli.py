"""redis-cli, the tool people will point at Shoal first."""

import re


def out(res) -> str:
    return res.stdout.decode("utf-8", "replace")


def test_cli_basic_commands(db):
    assert out(db.cli("ping")) == "PONG\n"
    assert out(db.cli("set", "foo", "bar")) == "OK\n"
    assert out(db.cli("get", "foo")) == "bar\n"
    assert out(db.cli("incr", "n")) == "1\n"
    assert out(db.cli("--no-raw", "incr", "n")) == "(integer) 2\n"
    assert out(db.cli("--no-raw", "get", "missing")) == "(nil)\n"
    assert out(db.cli("mget", "foo", "n")) == "bar\n2\n"
    assert out(db.cli("dbsize")) == "2\n"


def test_cli_error_text(db):
    res = db.cli("--no-raw", "get", check=False)
    assert "(error) ERR wrong number of arguments for 'get' command" in out(res)
    res = db.cli("nosuchcmd", "x", check=False)
    assert "ERR unknown command 'nosuchcmd', with args beginning with: 'x' " in out(res)


def test_cli_resp3_hello(db):
    text = out(db.cli("-3", "--no-raw", "hello", "3"))
    # redis-cli shows a RESP3 map as `N# "key" => value`
    assert re.search(r'^\d+# "proto" => \(integer\) 3$', text, re.M), text
    assert re.search(r'^\d+# "role" => "master"$', text, re.M), text
    assert re.search(r'^\d+# "modules" => \(empty array\)$', text, re.M), text


def test_cli_pipe_mode(db):
    n = 5000
    data = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (len(k), k)
                    for k in (b"pipe:%d" % i for i in range(n)))
    res = db.cli("--pipe", input=data, timeout=60)
    text = out(res)
    assert f"errors: 0, replies: {n}" in text, text
    assert out(db.cli("dbsize")) == f"{n}\n"


def test_cli_scan_and_info(db):
    for i in range(30):
        db.cli("set", f"scan:{i}", "v")
    db.cli("set", "other", "v")
    keys = out(db.cli("--scan", "--pattern", "scan:*")).split()
    assert sorted(keys) == sorted(f"scan:{i}" for i in range(30))
    info = out(db.cli("info", "keyspace"))
    assert "# Keyspace" in info
    assert re.search(r"db0:keys=31,expires=0,avg_ttl=\d+", info)


def test_cli_select_db(db):
    assert out(db.cli("-n", "3", "set", "k", "in3")) == "OK\n"
    assert out(db.cli("-n", "3", "get", "k")) == "in3\n"
    assert out(db.cli("--no-raw", "get", "k")) == "(nil)\n"
