#!/usr/bin/env python3
"""Checks that redis-server 7.0 understands what Shoal's RDB module writes.

Usage (from the repository root; redis-server, redis-check-rdb and python3 with `redis`):

    python3 Tests/RDBTests/Fixtures/check-interop.py [--scratch-path .build] [--dir DIR] [--no-export]

1. Runs `swift test --filter InteropExportTests` with SHOAL_RDB_INTEROP_DIR=DIR (a temporary
   directory unless --dir is given; --no-export reuses what DIR already holds), which writes:
   DUMP payloads of many values (payload-N.bin, old-N.bin: hand-made ziplist/zipmap encodings of
   older Redis versions), payloads both must refuse (bad-N.bin), two snapshots (shoal.rdb; shoal-lfu-nochecksum.rdb with FREQ opcodes and
   no checksum) and expected.json (values, TTLs and the OBJECT ENCODING Shoal chose).
2. Starts redis-server (port < 22000, sanitize-dump-payload yes) and RESTOREs every payload:
   the value and OBJECT ENCODING must be what Shoal expects; the malformed ones must be refused
   with the error text Shoal gives.
3. Runs redis-check-rdb on each snapshot (must say "RDB looks OK").
4. Starts redis-server on each snapshot as its dump.rdb: every key, value, expiry and encoding
   must be there, and nothing else.

Prints a summary and exits non-zero on any mismatch. Every redis-server it starts is killed by PID.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis


def free_port():
    for _ in range(1000):
        port = random.randint(15000, 21999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def start_server(directory, dbfilename="dump.rdb"):
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "",
         "--appendonly", "no", "--dbfilename", dbfilename, "--sanitize-dump-payload", "yes",
         "--logfile", os.path.join(directory, "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = redis.Redis(port=port)
    for _ in range(400):
        try:
            r.ping()
            return proc, port
        except redis.BusyLoadingError:
            time.sleep(0.05)
        except redis.ConnectionError:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited; log: {open(os.path.join(directory, 'redis.log')).read()[-2000:]}")
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def b(s):
    return s.encode("latin-1")


def expected_value(entry):
    t, v = entry["type"], entry["value"]
    if t == "string":
        return b(v)
    if t == "list":
        return [b(x) for x in v]
    if t == "set":
        return sorted(b(x) for x in v)
    if t == "hash":
        return sorted((b(f), b(x)) for f, x in v)
    if t == "zset":
        return sorted(((b(m), float(s)) for m, s in v), key=lambda e: (e[1], e[0]))


def actual_value(r, key, t):
    if t == "string":
        return r.get(key)
    if t == "list":
        return r.lrange(key, 0, -1)
    if t == "set":
        return sorted(r.smembers(key))
    if t == "hash":
        return sorted(r.hgetall(key).items())
    if t == "zset":
        return [(m, float(s)) for m, s in r.zrange(key, 0, -1, withscores=True)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch-path", default=".build")
    ap.add_argument("--dir")
    ap.add_argument("--no-export", action="store_true")
    args = ap.parse_args()
    out = args.dir or tempfile.mkdtemp(prefix="shoal-rdb-interop-")
    if not args.no_export:
        env = dict(os.environ, SHOAL_RDB_INTEROP_DIR=out)
        subprocess.run(["swift", "test", "--scratch-path", args.scratch_path, "--filter", "InteropExportTests"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    expected = json.load(open(os.path.join(out, "expected.json")))
    failures = []
    work = tempfile.mkdtemp(prefix="shoal-rdb-redis-")
    procs = []
    try:
        # 2. RESTORE every payload.
        proc, port = start_server(work)
        procs.append(proc)
        r = redis.Redis(port=port)
        restored = 0
        for i, p in enumerate(expected["payloads"]):
            payload = open(os.path.join(out, p["file"]), "rb").read()
            key = f"restored:{i}"
            try:
                r.restore(key, 0, payload)
            except redis.ResponseError as e:
                failures.append(f"RESTORE {p['name']}: {e}")
                continue
            if r.type(key).decode() != p["type"]:
                failures.append(f"{p['name']}: type {r.type(key)}")
                continue
            if actual_value(r, key, p["type"]) != expected_value(p):
                failures.append(f"{p['name']}: value differs")
            if "encoding" in p and r.object("encoding", key).decode() != p["encoding"]:
                failures.append(f"{p['name']}: OBJECT ENCODING {r.object('encoding', key)} != {p['encoding']}")
            restored += 1
        print(f"RESTORE: {restored}/{len(expected['payloads'])} payloads restored with the expected value")
        same = 0
        for i, p in enumerate(expected.get("refused", [])):
            payload = open(os.path.join(out, p["file"]), "rb").read()
            try:
                r.restore(f"refused:{i}", 0, payload)
                if p.get("redis_accepts"):
                    same += 1  # known: Redis reads into the footer / ignores trailing bytes
                else:
                    failures.append(f"redis-server accepted {p['file']} ({p['reason']}) that Shoal refuses")
            except redis.ResponseError as e:
                want = p["error"][4:] if p["error"].startswith("ERR ") else p["error"]
                if str(e) == want:
                    same += 1
                else:
                    failures.append(f"{p['file']} ({p['reason']}): redis-server says {e!s}, Shoal {want}")
        print(f"RESTORE: {same}/{len(expected.get('refused', []))} malformed payloads refused with Shoal's error text "
              f"(or, as expected, accepted by Redis's laxer reading)")
        proc.kill()
        proc.wait()

        # 3. redis-check-rdb, 4. redis-server loading each snapshot.
        for snapshot in expected["snapshots"]:
            path = os.path.join(out, snapshot)
            check = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True)
            ok = check.returncode == 0 and "RDB looks OK" in check.stdout
            print(f"redis-check-rdb {snapshot}: {'OK' if ok else 'FAILED'}")
            if not ok:
                failures.append(f"redis-check-rdb {snapshot}: {check.stdout[-1500:]}")
            d = tempfile.mkdtemp(dir=work)
            shutil.copy(path, os.path.join(d, "dump.rdb"))
            proc, port = start_server(d)
            procs.append(proc)
            loaded = 0
            dbs = {}
            for k in expected["keys"]:
                dbs[k["db"]] = dbs.get(k["db"], 0) + 1
                rr = redis.Redis(port=port, db=k["db"])
                key = b(k["key"])
                t = rr.type(key).decode()
                if t != k["type"]:
                    failures.append(f"{snapshot} db{k['db']} {k['key']}: type {t}")
                    continue
                if actual_value(rr, key, t) != expected_value(k):
                    failures.append(f"{snapshot} {k['key']}: value differs")
                enc = rr.object("encoding", key).decode()
                if enc != k["encoding"]:
                    failures.append(f"{snapshot} {k['key']}: OBJECT ENCODING {enc} != {k['encoding']}")
                expire = rr.execute_command("PEXPIRETIME", key)
                if (k["expire_at"] or -1) != expire:
                    failures.append(f"{snapshot} {k['key']}: expire {expire} != {k['expire_at']}")
                loaded += 1
            for db, n in dbs.items():
                size = redis.Redis(port=port, db=db).dbsize()
                if size != n:
                    failures.append(f"{snapshot}: db{db} has {size} keys, expected {n}")
            print(f"redis-server loading {snapshot}: {loaded}/{len(expected['keys'])} keys as expected "
                  f"(dbs {sorted(dbs.items())})")
            proc.kill()
            proc.wait()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)
        if not args.dir:
            shutil.rmtree(out, ignore_errors=True)
    if failures:
        print(f"{len(failures)} FAILURES:")
        for f in failures[:50]:
            print("  " + f)
        sys.exit(1)
    print("interop OK")


if __name__ == "__main__":
    main()
