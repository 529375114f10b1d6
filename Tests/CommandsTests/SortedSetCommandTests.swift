import Keyspace
import NIOCore
import RESP
import Testing
@testable import Commands

/// The shared harness with one blocked client pretended, so that ready-key signals are recorded.
func ZHarness() -> Harness {
    let h = Harness()
    h.blocked.value = 1
    return h
}

/// RESP text helpers for sorted set replies.
enum Z {
    static func bulks(_ items: String...) -> String { R.array(items.map(R.bulk)) }
    static func pairs3(_ items: [(String, String)]) -> String {
        "*\(items.count)\r\n" + items.map { "*2\r\n" + R.bulk($0.0) + ",\($0.1)\r\n" }.joined()
    }
}

@Suite struct SortedSetCommandTests {
    @Test func zaddBasicsAndReplies() {
        let h = ZHarness()
        #expect(h.run("ZADD", "z", "1", "a", "2", "b", "3", "c") == R.int(3))
        #expect(h.run("ZADD", "z", "1", "a", "5", "b") == R.int(0))
        #expect(h.run("ZADD", "z", "CH", "1", "a", "6", "b", "7", "d") == R.int(2))
        #expect(h.run("ZCARD", "z") == R.int(4))
        #expect(h.run("ZSCORE", "z", "b") == R.bulk("6"))
        #expect(h.run("ZSCORE", "z", "nope") == R.null)
        #expect(h.run("ZRANGE", "z", "0", "-1") == Z.bulks("a", "c", "b", "d"))
        #expect(h.encoding("z") == R.bulk("listpack"))
        #expect(h.run("TYPE", "z") == R.simple("zset"))
        #expect(h.readyKeys.contains("z"))
    }

    @Test func zaddOptionErrors() {
        let h = ZHarness()
        #expect(h.run("ZADD", "z", "NX", "XX", "1", "a") == R.err("ERR XX and NX options at the same time are not compatible"))
        #expect(h.run("ZADD", "z", "GT", "LT", "1", "a") == R.err("ERR GT, LT, and/or NX options at the same time are not compatible"))
        #expect(h.run("ZADD", "z", "NX", "GT", "1", "a") == R.err("ERR GT, LT, and/or NX options at the same time are not compatible"))
        #expect(h.run("ZADD", "z", "INCR", "1", "a", "2", "b") == R.err("ERR INCR option supports a single increment-element pair"))
        #expect(h.run("ZADD", "z", "1", "a", "2") == R.syntax)
        #expect(h.run("ZADD", "z", "nan", "a") == R.notFloat)
        #expect(h.run("ZADD", "z", "1", "a", "x", "b") == R.notFloat)
        #expect(h.run("ZADD", "z", " 1", "a") == R.notFloat)
        #expect(h.run("ZADD", "z", "1e400", "a") == R.notFloat)
        #expect(h.run("EXISTS", "z") == R.int(0))
        h.run("SET", "s", "x")
        #expect(h.run("ZADD", "s", "1", "a") == R.wrongType)
        #expect(h.run("ZINCRBY", "s", "1", "a") == R.wrongType)
    }

    @Test func zaddConditionalUpdates() {
        let h = ZHarness()
        #expect(h.run("ZADD", "z", "XX", "1", "a") == R.int(0))
        #expect(h.run("EXISTS", "z") == R.int(0))
        #expect(h.run("ZADD", "z", "XX", "INCR", "1", "a") == R.null)
        h.run("ZADD", "z", "1", "a", "3", "b")
        #expect(h.run("ZADD", "z", "GT", "CH", "0", "a", "5", "b") == R.int(1))
        #expect(h.run("ZADD", "z", "LT", "CH", "0", "a", "9", "b") == R.int(1))
        #expect(h.run("ZADD", "z", "GT", "INCR", "-1", "a") == R.null)
        #expect(h.run("ZADD", "z", "LT", "INCR", "-1", "a") == R.bulk("-1"))
        #expect(h.run("ZADD", "z", "NX", "INCR", "1", "a") == R.null)
        #expect(h.run("ZADD", "z", "INCR", "+inf", "a") == R.bulk("inf"))
        #expect(h.run("ZADD", "z", "INCR", "-inf", "a") == R.err("ERR resulting score is not a number (NaN)"))
        #expect(h.run("ZINCRBY", "z", "-inf", "a") == R.err("ERR resulting score is not a number (NaN)"))
        #expect(h.run("ZSCORE", "z", "a") == R.bulk("inf"))
        #expect(h.run("ZINCRBY", "z", "2.5", "new") == R.bulk("2.5"))
        #expect(h.run("ZINCRBY", "z", "abc", "new") == R.notFloat)
    }

    @Test func scoreTextMatchesRedis70() {
        let h = ZHarness()
        h.run("ZADD", "z", "0.1", "a", "1e17", "c", "123456789012345678", "g", "1.5e-5", "d", "-0", "i", "0x10", "h")
        #expect(h.run("ZSCORE", "z", "a") == R.bulk("0.10000000000000001"))
        #expect(h.run("ZSCORE", "z", "c") == R.bulk("1e+17"))
        #expect(h.run("ZSCORE", "z", "g") == R.bulk("1.2345678901234568e+17"))
        #expect(h.run("ZSCORE", "z", "d") == R.bulk("1.5e-05"))
        #expect(h.run("ZSCORE", "z", "i") == R.bulk("0"))  // the compact form stores -0 as 0
        #expect(h.run("ZSCORE", "z", "h") == R.bulk("16"))
        h.protocolVersion = 3
        #expect(h.run("ZSCORE", "z", "a") == ",0.10000000000000001\r\n")
        #expect(h.run("ZMSCORE", "z", "a", "nope", "h") == "*3\r\n,0.10000000000000001\r\n_\r\n,16\r\n")
        // ZSCAN shows a compact set's scores as the listpack's text.
        h.protocolVersion = 2
        h.run("DEL", "z")
        h.run("ZADD", "z", "1e17", "c", "5e18", "b", "0.1", "a")
        #expect(h.run("ZSCAN", "z", "0") == "*2\r\n$1\r\n0\r\n" + Z.bulks("a", "0.10000000000000001", "c", "100000000000000000", "b", "5e+18"))
    }

    @Test func skiplistKeepsNegativeZero() {
        let h = ZHarness()
        h.encodings.zsetMaxListpackEntries = 0
        h.run("ZADD", "s", "-0", "i", "1e17", "c")
        #expect(h.encoding("s") == R.bulk("skiplist"))
        #expect(h.run("ZSCORE", "s", "i") == R.bulk("-0"))
        #expect(h.run("ZSCAN", "s", "0") == "*2\r\n$1\r\n0\r\n" + Z.bulks("i", "-0", "c", "1e+17")
            || h.run("ZSCAN", "s", "0") == "*2\r\n$1\r\n0\r\n" + Z.bulks("c", "1e+17", "i", "-0"))
    }

    @Test func conversionToSkiplist() {
        let h = ZHarness()
        h.encodings.zsetMaxListpackEntries = 4
        h.encodings.zsetMaxListpackValue = 8
        for i in 0..<4 { h.run("ZADD", "z", "\(i)", "m\(i)") }
        #expect(h.encoding("z") == R.bulk("listpack"))
        h.run("ZADD", "z", "9", "m9")
        #expect(h.encoding("z") == R.bulk("skiplist"))
        #expect(h.run("ZRANGE", "z", "0", "-1") == Z.bulks("m0", "m1", "m2", "m3", "m9"))
        h.run("ZADD", "long", "1", "short")
        h.run("ZADD", "long", "2", "a-very-long-member")
        #expect(h.encoding("long") == R.bulk("skiplist"))
        h.run("ZADD", "first", "1", "a-very-long-member")
        #expect(h.encoding("first") == R.bulk("skiplist"))
        // Updating an existing member never converts.
        h.run("ZADD", "u", "1", "a", "2", "b", "3", "c", "4", "d")
        h.encodings.zsetMaxListpackEntries = 2
        h.run("ZADD", "u", "10", "a")
        #expect(h.encoding("u") == R.bulk("listpack"))
        // A set that shrinks stays a skiplist.
        h.run("ZREM", "z", "m0", "m1", "m2")
        #expect(h.encoding("z") == R.bulk("skiplist"))
    }

    @Test func zremAndEmptyKeys() {
        let h = ZHarness()
        #expect(h.run("ZREM", "z", "a") == R.int(0))
        h.run("ZADD", "z", "1", "a", "2", "b")
        #expect(h.run("ZREM", "z", "a", "x", "a") == R.int(1))
        #expect(h.run("ZREM", "z", "b") == R.int(1))
        #expect(h.run("EXISTS", "z") == R.int(0))
        h.encodings.zsetMaxListpackEntries = 0
        h.run("ZADD", "s", "1", "a", "2", "b")
        #expect(h.run("ZREM", "s", "a", "b", "c") == R.int(2))
        #expect(h.run("EXISTS", "s") == R.int(0))
        h.run("SET", "str", "x")
        #expect(h.run("ZREM", "str", "a") == R.wrongType)
    }

    @Test func ranks() {
        for limit in [128, 0] {
            let h = ZHarness()
            h.encodings.zsetMaxListpackEntries = limit
            h.run("ZADD", "z", "1", "a", "2", "b", "3", "c")
            #expect(h.run("ZRANK", "z", "a") == R.int(0))
            #expect(h.run("ZRANK", "z", "c") == R.int(2))
            #expect(h.run("ZREVRANK", "z", "c") == R.int(0))
            #expect(h.run("ZREVRANK", "z", "a") == R.int(2))
            #expect(h.run("ZRANK", "z", "x") == R.null)
            #expect(h.run("ZRANK", "nokey", "x") == R.null)
            #expect(h.run("ZCARD", "nokey") == R.int(0))
            #expect(h.run("ZMSCORE", "nokey", "a", "b") == R.array([R.null, R.null]))
        }
    }

    @Test func keyPositionsOfMovableKeyCommands() {
        let h = ZHarness()
        #expect(h.keyIndices("ZUNION", "2", "a", "b", "WITHSCORES") == [2, 3])
        #expect(h.keyIndices("ZUNIONSTORE", "d", "2", "a", "b") == [1, 3, 4])
        #expect(h.keyIndices("ZMPOP", "1", "a", "MIN") == [2])
        #expect(h.keyIndices("BZMPOP", "0", "2", "a", "b", "MIN") == [3, 4])
        #expect(h.keyIndices("ZINTERCARD", "9", "a") == [2])
        #expect(h.keyIndices("ZUNION", "x", "a") == [])
        #expect(h.keyIndices("BZPOPMIN", "a", "b", "0") == [1, 2])
        #expect(h.keyIndices("ZRANGESTORE", "d", "s", "0", "1") == [1, 2])
    }
}
