import Testing
import Keyspace
@testable import Commands

@Suite struct DatabaseCommandTests {
    @Test func selectDbsizeFlush() {
        let h = Harness()
        h.run("MSET", "a", "1", "b", "2")
        #expect(h.run("DBSIZE") == R.int(2))
        #expect(h.run("SELECT", "1") == R.ok)
        #expect(h.db == 1)
        #expect(h.run("DBSIZE") == R.int(0))
        h.run("SET", "c", "3")
        #expect(h.run("SELECT", "16") == R.err("ERR DB index is out of range"))
        #expect(h.run("SELECT", "-1") == R.err("ERR DB index is out of range"))
        #expect(h.run("SELECT", "x") == R.notInteger)
        #expect(h.db == 1)
        #expect(h.run("FLUSHDB") == R.ok)
        #expect(h.run("DBSIZE") == R.int(0))
        h.run("SELECT", "0")
        #expect(h.run("DBSIZE") == R.int(2))
        #expect(h.run("FLUSHDB", "ASYNC") == R.ok)
        #expect(h.run("DBSIZE") == R.int(0))
        h.run("SET", "x", "1")
        h.run("SELECT", "5")
        h.run("SET", "y", "1")
        #expect(h.run("FLUSHALL", "SYNC") == R.ok)
        #expect(h.run("DBSIZE") == R.int(0))
        h.run("SELECT", "0")
        #expect(h.run("DBSIZE") == R.int(0))
        #expect(h.run("FLUSHALL", "LATER") == R.syntax)
        #expect(h.run("FLUSHDB", "ASYNC", "SYNC") == R.syntax)
        h.limits.clusterEnabled = true
        #expect(h.run("SELECT", "1") == R.err("ERR SELECT is not allowed in cluster mode"))
        #expect(h.run("SELECT", "0") == R.ok)
    }

    @Test func swapdb() {
        let h = Harness()
        h.run("SET", "a", "in0")
        h.run("SELECT", "1")
        h.run("SET", "b", "in1")
        #expect(h.run("SWAPDB", "0", "1") == R.ok)
        #expect(h.run("GET", "a") == R.bulk("in0"))
        h.run("SELECT", "0")
        #expect(h.run("GET", "b") == R.bulk("in1"))
        #expect(h.run("SWAPDB", "0", "0") == R.ok)
        #expect(h.run("SWAPDB", "x", "1") == R.err("ERR invalid first DB index"))
        #expect(h.run("SWAPDB", "0", "y") == R.err("ERR invalid second DB index"))
        #expect(h.run("SWAPDB", "0", "16") == R.err("ERR DB index is out of range"))
        #expect(h.run("SWAPDB", "-1", "0") == R.err("ERR DB index is out of range"))
        h.limits.clusterEnabled = true
        #expect(h.run("SWAPDB", "0", "1") == R.err("ERR SWAPDB is not allowed in cluster mode"))
    }
}
