import Testing
@testable import Commands

/// ZRANGE and friends, ZCOUNT / ZLEXCOUNT, ZREMRANGEBY*, ZRANGESTORE, in both encodings.
@Suite struct SortedSetRangeTests {
    /// A harness with z = a:1 b:2 c:3 d:4 e:5, compact or skiplist.
    static func fiveMembers(skiplist: Bool) -> Harness {
        let h = ZHarness()
        if skiplist { h.encodings.zsetMaxListpackEntries = 0 }
        h.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
        #expect(h.encoding("z") == R.bulk(skiplist ? "skiplist" : "listpack"))
        return h
    }

    @Test(arguments: [false, true])
    func rankRanges(skiplist: Bool) {
        let h = SortedSetRangeTests.fiveMembers(skiplist: skiplist)
        #expect(h.run("ZRANGE", "z", "0", "-1") == Z.bulks("a", "b", "c", "d", "e"))
        #expect(h.run("ZRANGE", "z", "-2", "100") == Z.bulks("d", "e"))
        #expect(h.run("ZRANGE", "z", "3", "1") == R.array([]))
        #expect(h.run("ZRANGE", "z", "-100", "0") == Z.bulks("a"))
        #expect(h.run("ZRANGE", "z", "0", "1", "REV") == Z.bulks("e", "d"))
        #expect(h.run("ZREVRANGE", "z", "1", "2", "WITHSCORES") == Z.bulks("d", "4", "c", "3"))
        #expect(h.run("ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1") == Z.bulks("a", "b", "c", "d", "e"))
        #expect(h.run("ZRANGE", "z", "9223372036854775807", "-9223372036854775808") == R.array([]))
        h.protocolVersion = 3
        #expect(h.run("ZRANGE", "z", "0", "1", "WITHSCORES") == Z.pairs3([("a", "1"), ("b", "2")]))
    }

    @Test(arguments: [false, true])
    func scoreRanges(skiplist: Bool) {
        let h = SortedSetRangeTests.fiveMembers(skiplist: skiplist)
        #expect(h.run("ZRANGEBYSCORE", "z", "-inf", "+inf") == Z.bulks("a", "b", "c", "d", "e"))
        #expect(h.run("ZRANGEBYSCORE", "z", "(1", "(5") == Z.bulks("b", "c", "d"))
        #expect(h.run("ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES", "LIMIT", "1", "5") == Z.bulks("c", "3", "d", "4"))
        #expect(h.run("ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "-1", "5") == R.array([]))
        #expect(h.run("ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "0", "0") == R.array([]))
        #expect(h.run("ZREVRANGEBYSCORE", "z", "4", "2") == Z.bulks("d", "c", "b"))
        #expect(h.run("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2") == Z.bulks("d", "c"))
        #expect(h.run("ZRANGE", "z", "(2", "+inf", "BYSCORE", "LIMIT", "1", "1") == Z.bulks("d"))
        #expect(h.run("ZRANGE", "z", "5", "1", "BYSCORE", "REV", "LIMIT", "1", "2") == Z.bulks("d", "c"))
        #expect(h.run("ZRANGE", "z", "3", "3", "BYSCORE") == Z.bulks("c"))
        #expect(h.run("ZRANGE", "z", "(3", "3", "BYSCORE") == R.array([]))
        #expect(h.run("ZRANGEBYSCORE", "z", "", "2") == Z.bulks("a", "b"))  // strtod reads "" as 0
        #expect(h.run("ZRANGEBYSCORE", "z", " 1", "2") == Z.bulks("a", "b"))
        #expect(h.run("ZCOUNT", "z", "(1", "5") == R.int(4))
        #expect(h.run("ZCOUNT", "z", "6", "+inf") == R.int(0))
        #expect(h.run("ZCOUNT", "z", "x", "1") == R.err("ERR min or max is not a float"))
        #expect(h.run("ZRANGEBYSCORE", "z", "nan", "1") == R.err("ERR min or max is not a float"))
    }

    @Test(arguments: [false, true])
    func lexRanges(skiplist: Bool) {
        let h = ZHarness()
        if skiplist { h.encodings.zsetMaxListpackEntries = 0 }
        h.run("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f")
        #expect(h.run("ZRANGEBYLEX", "l", "-", "+") == Z.bulks("a", "b", "c", "d", "e", "f"))
        #expect(h.run("ZRANGEBYLEX", "l", "[b", "(e") == Z.bulks("b", "c", "d"))
        #expect(h.run("ZRANGEBYLEX", "l", "(b", "[e", "LIMIT", "1", "2") == Z.bulks("d", "e"))
        #expect(h.run("ZREVRANGEBYLEX", "l", "[e", "(b") == Z.bulks("e", "d", "c"))
        #expect(h.run("ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "2", "2") == Z.bulks("d", "c"))
        #expect(h.run("ZRANGE", "l", "[c", "+", "BYLEX") == Z.bulks("c", "d", "e", "f"))
        #expect(h.run("ZRANGE", "l", "+", "[c", "BYLEX", "REV") == Z.bulks("f", "e", "d", "c"))
        #expect(h.run("ZRANGE", "l", "+", "-", "BYLEX") == R.array([]))
        #expect(h.run("ZLEXCOUNT", "l", "[b", "[d") == R.int(3))
        #expect(h.run("ZLEXCOUNT", "l", "-", "+") == R.int(6))
        #expect(h.run("ZLEXCOUNT", "l", "(f", "+") == R.int(0))
        #expect(h.run("ZLEXCOUNT", "l", "a", "+") == R.err("ERR min or max not valid string range item"))
        #expect(h.run("ZRANGEBYLEX", "l", "", "+") == R.err("ERR min or max not valid string range item"))
        #expect(h.run("ZRANGEBYLEX", "l", "-x", "+") == R.err("ERR min or max not valid string range item"))
    }

    @Test func parsingErrorsAndOrder() {
        let h = SortedSetRangeTests.fiveMembers(skiplist: false)
        #expect(h.run("ZRANGE", "z", "0", "1", "LIMIT", "0", "1")
            == R.err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"))
        #expect(h.run("ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES")
            == R.err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"))
        #expect(h.run("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES")
            == R.err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"))
        #expect(h.run("ZRANGE", "z", "0", "1", "LIMIT", "0") == R.syntax)
        #expect(h.run("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX") == R.syntax)
        #expect(h.run("ZRANGE", "z", "0", "1", "REV", "REV") == R.syntax)
        #expect(h.run("ZREVRANGE", "z", "0", "1", "REV") == R.syntax)
        #expect(h.run("ZRANGEBYSCORE", "z", "0", "1", "BYSCORE") == R.syntax)
        #expect(h.run("ZRANGE", "z", "a", "1") == R.notInteger)
        #expect(h.run("ZRANGE", "z", "1", "2", "BYSCORE", "LIMIT", "x", "1") == R.notInteger)
        #expect(h.run("ZRANGE", "nokey", "0", "1", "LIMIT", "0", "1")
            == R.err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"))
        #expect(h.run("ZRANGE", "nokey", "0", "-1") == R.array([]))
        h.run("SET", "s", "x")
        #expect(h.run("ZRANGE", "s", "0", "-1") == R.wrongType)
        #expect(h.run("ZRANGE", "s", "x", "-1") == R.notInteger)
    }

    @Test(arguments: [false, true])
    func removeRanges(skiplist: Bool) {
        var h = SortedSetRangeTests.fiveMembers(skiplist: skiplist)
        #expect(h.run("ZREMRANGEBYRANK", "z", "1", "2") == R.int(2))
        #expect(h.run("ZRANGE", "z", "0", "-1") == Z.bulks("a", "d", "e"))
        #expect(h.run("ZREMRANGEBYRANK", "z", "5", "10") == R.int(0))
        #expect(h.run("ZREMRANGEBYRANK", "z", "0", "-1") == R.int(3))
        #expect(h.run("EXISTS", "z") == R.int(0))
        h = SortedSetRangeTests.fiveMembers(skiplist: skiplist)
        #expect(h.run("ZREMRANGEBYSCORE", "z", "(1", "3") == R.int(2))
        #expect(h.run("ZRANGE", "z", "0", "-1") == Z.bulks("a", "d", "e"))
        #expect(h.run("ZREMRANGEBYSCORE", "z", "x", "3") == R.err("ERR min or max is not a float"))
        #expect(h.run("ZREMRANGEBYLEX", "z", "[d", "+") == R.int(2))
        #expect(h.run("ZRANGE", "z", "0", "-1") == Z.bulks("a"))
        #expect(h.run("ZREMRANGEBYLEX", "z", "d", "+") == R.err("ERR min or max not valid string range item"))
        #expect(h.run("ZREMRANGEBYRANK", "nokey", "0", "-1") == R.int(0))
        #expect(h.run("ZREMRANGEBYRANK", "z", "x", "-1") == R.notInteger)
    }

    @Test(arguments: [false, true])
    func rangeStore(skiplist: Bool) {
        let h = SortedSetRangeTests.fiveMembers(skiplist: skiplist)
        #expect(h.run("ZRANGESTORE", "d", "z", "1", "3") == R.int(3))
        #expect(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == Z.bulks("b", "2", "c", "3", "d", "4"))
        #expect(h.encoding("d") == R.bulk(skiplist ? "skiplist" : "listpack"))
        #expect(h.run("ZRANGESTORE", "d", "z", "4", "+inf", "BYSCORE") == R.int(2))
        #expect(h.run("ZRANGE", "d", "0", "-1") == Z.bulks("d", "e"))
        #expect(h.run("ZRANGESTORE", "d", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2") == R.int(2))
        #expect(h.run("ZRANGE", "d", "0", "-1") == Z.bulks("d", "e"))
        #expect(h.run("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES") == R.syntax)
        // An empty result deletes the destination, even when it held another type.
        h.run("SET", "str", "x")
        #expect(h.run("ZRANGESTORE", "str", "z", "10", "20") == R.int(0))
        #expect(h.run("EXISTS", "str") == R.int(0))
        #expect(h.run("ZRANGESTORE", "d", "nokey", "0", "-1") == R.int(0))
        #expect(h.run("EXISTS", "d") == R.int(0))
        // Source and destination may be the same key.
        #expect(h.run("ZRANGESTORE", "z", "z", "0", "1") == R.int(2))
        #expect(h.run("ZRANGE", "z", "0", "-1") == Z.bulks("a", "b"))
        // Results beyond the entry limit are skiplists.
        h.encodings.zsetMaxListpackEntries = 1
        #expect(h.run("ZRANGESTORE", "big", "z", "0", "-1") == R.int(2))
        #expect(h.encoding("big") == R.bulk("skiplist"))
        #expect(h.readyKeys.contains("big"))
    }
}
