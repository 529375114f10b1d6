import Testing
import Keyspace
@testable import Commands

@Suite struct GenericCommandTests {
    @Test func delUnlinkExistsTouchType() {
        let h = Harness()
        h.run("MSET", "a", "1", "b", "2", "c", "3")
        #expect(h.run("EXISTS", "a", "a", "b", "zz") == R.int(3))
        #expect(h.run("DEL", "a", "zz", "a") == R.int(1))
        #expect(h.run("UNLINK", "b", "c") == R.int(2))
        #expect(h.run("EXISTS", "a", "b", "c") == R.int(0))
        h.run("SET", "s", "v")
        #expect(h.run("TOUCH", "s", "s", "nope") == R.int(2))
        #expect(h.run("TYPE", "s") == R.simple("string"))
        #expect(h.run("TYPE", "nope") == R.simple("none"))
        // An expired key is gone for every command.
        h.run("SET", "e", "v", "PX", "10")
        h.now += 11
        #expect(h.run("EXISTS", "e") == R.int(0))
        #expect(h.run("DEL", "e") == R.int(0))
        #expect(h.keyspace.expiredKeys == 1)
    }

    @Test func keysWithPatterns() {
        let h = Harness()
        h.run("MSET", "one", "1", "two", "2", "three", "3", "four", "4", "", "empty")
        func keys(_ pattern: String) -> Set<String> {
            let reply = h.run("KEYS", pattern)
            let lines = reply.split(separator: "\r\n", omittingEmptySubsequences: false)
            var result = Set<String>()
            var i = 1
            while i + 1 < lines.count {
                result.insert(String(lines[i + 1]))
                i += 2
            }
            return result
        }
        #expect(keys("*") == ["one", "two", "three", "four", ""])
        #expect(keys("t*") == ["two", "three"])
        #expect(keys("?o*") == ["four"])
        #expect(keys("*o") == ["two"])
        #expect(keys("[ot]*e*") == ["one", "three"])
        #expect(h.run("KEYS", "nomatch*") == "*0\r\n")
        h.run("SET", "k", "v")
        #expect(h.run("KEYS", "k") == "*1\r\n" + R.bulk("k"))
    }

    /// Parses a SCAN reply into (cursor, keys).
    func parseScan(_ reply: String) -> (String, [String]) {
        let lines = reply.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let cursor = lines[2]
        var keys: [String] = []
        var i = 4
        while i + 1 < lines.count {
            keys.append(lines[i + 1])
            i += 2
        }
        return (cursor, keys)
    }

    @Test func scanVisitsEveryKeyOnce() {
        let h = Harness()
        for i in 0..<1_000 { h.run("SET", "key:\(i)", "v") }
        var seen: [String] = []
        var cursor = "0"
        var calls = 0
        repeat {
            let (next, keys) = parseScan(h.run("SCAN", cursor))
            seen += keys
            cursor = next
            calls += 1
        } while cursor != "0"
        #expect(seen.count == 1_000)
        #expect(Set(seen).count == 1_000)
        #expect(calls > 10)
        let reply = h.run("SCAN", "0", "COUNT", "100000")
        #expect(parseScan(reply).0 == "0" && parseScan(reply).1.count == 1_000)
    }

    @Test func scanOptions() {
        let h = Harness()
        for i in 0..<200 { h.run("SET", "user:\(i)", "v") }
        for i in 0..<200 { h.run("SET", "item:\(i)", "v") }
        h.keyspace.setObject(db: 0, key: Key(UnsafeRawBufferPointer(start: nil, count: 0)), object: FakeHash(), now: h.now)
        var users: [String] = []
        var hashes: [String] = []
        var cursor = "0"
        repeat {
            let (next, keys) = parseScan(h.run("SCAN", cursor, "MATCH", "user:*", "COUNT", "50"))
            users += keys
            cursor = next
        } while cursor != "0"
        #expect(Set(users).count == 200 && users.allSatisfy { $0.hasPrefix("user:") })
        repeat {
            let (next, keys) = parseScan(h.run("SCAN", cursor, "TYPE", "HASH", "COUNT", "1000"))
            hashes += keys
            cursor = next
        } while cursor != "0"
        #expect(hashes == [""])
        #expect(h.run("SCAN", "abc") == R.err("ERR invalid cursor"))
        #expect(h.run("SCAN", " 1") == R.err("ERR invalid cursor"))
        #expect(h.run("SCAN", "99999999999999999999999") == R.err("ERR invalid cursor"))
        #expect(h.run("SCAN", "0", "COUNT", "0") == R.syntax)
        #expect(h.run("SCAN", "0", "COUNT", "x") == R.notInteger)
        #expect(h.run("SCAN", "0", "MATCH") == R.syntax)
        #expect(h.run("SCAN", "0", "BOGUS", "1") == R.syntax)
        #expect(h.run("SCAN", "123456789") == "*2\r\n" + R.bulk("0") + "*0\r\n")
        #expect(h.run("FLUSHALL") == R.ok)
        #expect(h.run("SCAN", "0") == "*2\r\n" + R.bulk("0") + "*0\r\n")
    }

    @Test func randomkey() {
        let h = Harness()
        #expect(h.run("RANDOMKEY") == R.null)
        h.run("SET", "only", "v")
        #expect(h.run("RANDOMKEY") == R.bulk("only"))
        h.protocolVersion = 3
        h.run("DEL", "only")
        #expect(h.run("RANDOMKEY") == R.null3)
    }

    @Test func renameAndRenamenx() {
        let h = Harness()
        #expect(h.run("RENAME", "nope", "x") == R.err("ERR no such key"))
        #expect(h.run("RENAMENX", "nope", "x") == R.err("ERR no such key"))
        h.run("SET", "a", "1", "EX", "100")
        #expect(h.run("RENAME", "a", "b") == R.ok)
        #expect(h.run("GET", "b") == R.bulk("1"))
        #expect(h.run("TTL", "b") == R.int(100))
        #expect(h.run("EXISTS", "a") == R.int(0))
        #expect(h.run("RENAME", "b", "b") == R.ok)
        #expect(h.run("RENAMENX", "b", "b") == R.int(0))
        h.run("SET", "c", "3")
        #expect(h.run("RENAMENX", "b", "c") == R.int(0))
        #expect(h.run("RENAME", "b", "c") == R.ok)
        #expect(h.run("GET", "c") == R.bulk("1"))
        #expect(h.run("RENAMENX", "c", "{x}d") == R.int(1))
        #expect(h.run("GET", "{x}d") == R.bulk("1"))
    }

    @Test func copy() {
        let h = Harness()
        h.run("SET", "src", "v", "EX", "50")
        #expect(h.run("COPY", "src", "dst") == R.int(1))
        #expect(h.run("GET", "dst") == R.bulk("v"))
        #expect(h.run("TTL", "dst") == R.int(50))
        #expect(h.run("COPY", "src", "dst") == R.int(0))
        h.run("SET", "src", "w")
        #expect(h.run("COPY", "src", "dst", "REPLACE") == R.int(1))
        #expect(h.run("GET", "dst") == R.bulk("w"))
        #expect(h.run("COPY", "src", "dst", "DB", "3") == R.int(1))
        h.run("SELECT", "3")
        #expect(h.run("GET", "dst") == R.bulk("w"))
        h.run("SELECT", "0")
        #expect(h.run("COPY", "nope", "x") == R.int(0))
        #expect(h.run("COPY", "src", "src") == R.err("ERR source and destination objects are the same"))
        #expect(h.run("COPY", "src", "src", "DB", "1") == R.int(1))
        #expect(h.run("COPY", "src", "x", "DB", "16") == R.err("ERR DB index is out of range"))
        #expect(h.run("COPY", "src", "x", "DB", "a") == R.notInteger)
        #expect(h.run("COPY", "src", "x", "DB") == R.syntax)
        #expect(h.run("COPY", "src", "x", "BOGUS") == R.syntax)
        h.limits.clusterEnabled = true
        #expect(h.run("COPY", "src", "y", "DB", "1") == R.err("ERR Copying to another database is not allowed in cluster mode"))
        #expect(h.run("COPY", "src", "y") == R.int(1))
    }

    @Test func object() {
        let h = Harness()
        h.run("SET", "s", "hello")
        h.run("SET", "n", "42")
        h.run("SET", "big", "100000")
        #expect(h.run("OBJECT", "ENCODING", "s") == R.bulk("embstr"))
        #expect(h.run("OBJECT", "encoding", "missing") == R.null)
        #expect(h.run("OBJECT", "REFCOUNT", "s") == R.int(1))
        #expect(h.run("OBJECT", "REFCOUNT", "n") == R.int(2_147_483_647))
        #expect(h.run("OBJECT", "REFCOUNT", "big") == R.int(1))
        h.now += 7_000
        #expect(h.run("OBJECT", "IDLETIME", "s") == R.int(7))
        h.run("GET", "s")
        #expect(h.run("OBJECT", "IDLETIME", "s") == R.int(0))
        #expect(h.run("OBJECT", "FREQ", "s") == R.err(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."))
        h.keyspace.maxmemoryPolicyIsLFU = true
        h.run("SET", "f", "v")
        #expect(h.run("OBJECT", "FREQ", "f") == R.int(5))
        #expect(h.run("OBJECT", "IDLETIME", "f") == R.err(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."))
        #expect(h.run("OBJECT", "FREQ", "missing") == R.null)
        h.keyspace.setObject(db: 0, key: Key(UnsafeRawBufferPointer(start: nil, count: 0)), object: FakeHash(), now: h.now)
        #expect(h.run("OBJECT", "ENCODING", "") == R.bulk("listpack"))
        let help = h.run("OBJECT", "HELP")
        #expect(help.hasPrefix("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"))
        #expect(help.hasSuffix("+HELP\r\n+    Print this help.\r\n"))
        #expect(h.run("OBJECT", "ENCODING") == R.err("ERR wrong number of arguments for 'object' command"))
    }

    @Test func statsCountReadLookupsOnly() {
        let h = Harness()
        h.run("SET", "a", "1")
        h.run("INCR", "a")        // write lookup: not counted
        h.run("EXPIRE", "a", "10") // write lookup: not counted
        #expect(h.stats.keyspaceHits == 0 && h.stats.keyspaceMisses == 0)
        h.run("GET", "a")
        h.run("EXISTS", "a", "b")
        h.run("TTL", "b")
        h.run("MGET", "a", "b")
        #expect(h.stats.keyspaceHits == 3 && h.stats.keyspaceMisses == 3)
    }
}
