import Keyspace
import Testing
@testable import Commands

/// ZUNION / ZINTER / ZDIFF, their STORE forms and ZINTERCARD, with sorted and plain set inputs.
@Suite struct SortedSetAlgebraTests {
    static func setup(skiplist: Bool) -> Harness {
        let h = ZHarness()
        if skiplist { h.encodings.zsetMaxListpackEntries = 0 }
        h.run("ZADD", "u", "1", "a", "2", "b")
        h.run("ZADD", "v", "10", "b", "20", "c")
        return h
    }

    /// Stores a plain set directly (the set commands live elsewhere): an object, or an intset.
    static func storeSet(_ h: Harness, _ key: String, _ members: [String]) {
        let set = SetObject()
        for m in members { m.utf8CString.withUnsafeBytes { _ = set.insert(UnsafeRawBufferPointer(rebasing: $0.dropLast())) } }
        key.utf8CString.withUnsafeBytes {
            h.keyspace.setObject(db: 0, key: Key(UnsafeRawBufferPointer(rebasing: $0.dropLast())), object: set, now: h.now)
        }
    }

    static func storeIntset(_ h: Harness, _ key: String, _ values: [Int16]) {
        var bytes: [UInt8] = [2]
        for v in values.sorted() { bytes += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        key.utf8CString.withUnsafeBytes { k in
            bytes.withUnsafeBytes {
                h.keyspace.setCompact(db: 0, key: Key(UnsafeRawBufferPointer(rebasing: k.dropLast())), type: .set,
                                      encoding: .intset, bytes: $0, now: h.now)
            }
        }
    }

    @Test(arguments: [false, true])
    func unionInterDiff(skiplist: Bool) {
        let h = SortedSetAlgebraTests.setup(skiplist: skiplist)
        #expect(h.run("ZUNION", "2", "u", "v", "WITHSCORES") == Z.bulks("a", "1", "b", "12", "c", "20"))
        #expect(h.run("ZUNION", "2", "u", "v", "WEIGHTS", "2", "0.5", "WITHSCORES") == Z.bulks("a", "2", "b", "9", "c", "10"))
        #expect(h.run("ZUNION", "2", "u", "v", "AGGREGATE", "MIN", "WITHSCORES") == Z.bulks("a", "1", "b", "2", "c", "20"))
        #expect(h.run("ZUNION", "3", "u", "v", "none") == Z.bulks("a", "b", "c"))
        #expect(h.run("ZINTER", "2", "u", "v", "WITHSCORES") == Z.bulks("b", "12"))
        #expect(h.run("ZINTER", "2", "u", "v", "AGGREGATE", "MAX", "WITHSCORES") == Z.bulks("b", "10"))
        #expect(h.run("ZINTER", "2", "u", "none") == R.array([]))
        #expect(h.run("ZINTER", "2", "u", "u", "WITHSCORES") == Z.bulks("a", "2", "b", "4"))
        #expect(h.run("ZDIFF", "2", "u", "v", "WITHSCORES") == Z.bulks("a", "1"))
        #expect(h.run("ZDIFF", "2", "u", "u") == R.array([]))
        #expect(h.run("ZDIFF", "1", "none") == R.array([]))
        #expect(h.run("ZINTERCARD", "2", "u", "v") == R.int(1))
        #expect(h.run("ZINTERCARD", "1", "u", "LIMIT", "1") == R.int(1))
        #expect(h.run("ZINTERCARD", "1", "u", "LIMIT", "0") == R.int(2))
        h.protocolVersion = 3
        #expect(h.run("ZUNION", "2", "u", "v", "WITHSCORES") == Z.pairs3([("a", "1"), ("b", "12"), ("c", "20")]))
    }

    @Test func infinitiesAndNaN() {
        let h = ZHarness()
        h.run("ZADD", "p", "inf", "x")
        h.run("ZADD", "n", "-inf", "x")
        #expect(h.run("ZUNION", "2", "p", "n", "WITHSCORES") == Z.bulks("x", "0"))
        #expect(h.run("ZINTER", "2", "p", "n", "WITHSCORES") == Z.bulks("x", "0"))
        #expect(h.run("ZUNION", "1", "p", "WEIGHTS", "0", "WITHSCORES") == Z.bulks("x", "0"))
        #expect(h.run("ZUNION", "2", "p", "n", "AGGREGATE", "MAX", "WITHSCORES") == Z.bulks("x", "inf"))
    }

    @Test func errors() {
        let h = SortedSetAlgebraTests.setup(skiplist: false)
        #expect(h.run("ZUNION", "0", "u") == R.err("ERR at least 1 input key is needed for 'zunion' command"))
        #expect(h.run("ZINTERCARD", "-1", "u") == R.err("ERR at least 1 input key is needed for 'zintercard' command"))
        #expect(h.run("ZDIFFSTORE", "d", "0", "u") == R.err("ERR at least 1 input key is needed for 'zdiffstore' command"))
        #expect(h.run("ZUNION", "x", "u") == R.notInteger)
        #expect(h.run("ZUNION", "3", "u", "v") == R.syntax)
        #expect(h.run("ZUNION", "2", "u", "v", "WEIGHTS", "1") == R.syntax)
        #expect(h.run("ZUNION", "2", "u", "v", "WEIGHTS", "1", "x") == R.err("ERR weight value is not a float"))
        #expect(h.run("ZUNION", "2", "u", "v", "AGGREGATE", "AVG") == R.syntax)
        #expect(h.run("ZDIFF", "2", "u", "v", "WEIGHTS", "1", "2") == R.syntax)
        #expect(h.run("ZUNIONSTORE", "d", "2", "u", "v", "WITHSCORES") == R.syntax)
        #expect(h.run("ZINTERCARD", "2", "u", "v", "LIMIT", "-1") == R.err("ERR LIMIT can't be negative"))
        #expect(h.run("ZINTERCARD", "2", "u", "v", "WITHSCORES") == R.syntax)
        h.run("SET", "s", "x")
        #expect(h.run("ZUNION", "2", "u", "s") == R.wrongType)
        // Keys are checked before options.
        #expect(h.run("ZUNION", "2", "s", "u", "FOO") == R.wrongType)
    }

    @Test(arguments: [false, true])
    func stores(skiplist: Bool) {
        let h = SortedSetAlgebraTests.setup(skiplist: skiplist)
        #expect(h.run("ZUNIONSTORE", "d", "2", "u", "v", "WEIGHTS", "1", "2") == R.int(3))
        #expect(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == Z.bulks("a", "1", "b", "22", "c", "40"))
        #expect(h.encoding("d") == R.bulk(skiplist ? "skiplist" : "listpack"))
        #expect(h.run("ZINTERSTORE", "d", "2", "u", "v", "AGGREGATE", "MIN") == R.int(1))
        #expect(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == Z.bulks("b", "2"))
        #expect(h.run("ZDIFFSTORE", "d", "2", "u", "v") == R.int(1))
        #expect(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == Z.bulks("a", "1"))
        #expect(h.run("ZINTERSTORE", "d", "2", "u", "none") == R.int(0))
        #expect(h.run("EXISTS", "d") == R.int(0))
        #expect(h.run("ZUNIONSTORE", "u", "2", "u", "v") == R.int(3))
        #expect(h.run("ZRANGE", "u", "0", "-1", "WITHSCORES") == Z.bulks("a", "1", "b", "12", "c", "20"))
        h.encodings.zsetMaxListpackEntries = 2
        #expect(h.run("ZUNIONSTORE", "big", "1", "u") == R.int(3))
        #expect(h.encoding("big") == R.bulk("skiplist"))
        #expect(h.readyKeys.contains("big"))
    }

    @Test func plainSetsScoreOne() {
        let h = SortedSetAlgebraTests.setup(skiplist: false)
        SortedSetAlgebraTests.storeSet(h, "s", ["b", "q"])
        SortedSetAlgebraTests.storeIntset(h, "i", [7, -3, 2])
        #expect(h.run("ZUNION", "2", "u", "s", "WITHSCORES") == Z.bulks("a", "1", "q", "1", "b", "3"))
        #expect(h.run("ZINTER", "2", "u", "s", "WEIGHTS", "1", "5", "WITHSCORES") == Z.bulks("b", "7"))
        #expect(h.run("ZDIFF", "2", "s", "u", "WITHSCORES") == Z.bulks("q", "1"))
        #expect(h.run("ZUNION", "1", "i", "WITHSCORES") == Z.bulks("-3", "1", "2", "1", "7", "1"))
        h.run("ZADD", "nums", "5", "7", "6", "8")
        #expect(h.run("ZINTER", "2", "nums", "i", "WITHSCORES") == Z.bulks("7", "6"))
        #expect(h.run("ZINTERCARD", "2", "i", "nums") == R.int(1))
        #expect(h.run("ZDIFF", "2", "i", "nums") == Z.bulks("-3", "2"))
    }
}
