import Testing
@testable import Commands

/// ZPOPMIN / ZPOPMAX, ZMPOP, the blocking pops, ZRANDMEMBER and ZSCAN.
@Suite struct SortedSetPopTests {
    @Test(arguments: [false, true])
    func pops(skiplist: Bool) {
        let h = SortedSetRangeTests.fiveMembers(skiplist: skiplist)
        #expect(h.run("ZPOPMIN", "z") == Z.bulks("a", "1"))
        #expect(h.run("ZPOPMAX", "z", "2") == Z.bulks("e", "5", "d", "4"))
        #expect(h.run("ZPOPMIN", "z", "0") == R.array([]))
        #expect(h.run("ZPOPMIN", "z", "-1") == R.err("ERR value is out of range, must be positive"))
        #expect(h.run("ZPOPMIN", "z", "x") == R.err("ERR value is out of range, must be positive"))
        #expect(h.run("ZPOPMIN", "z", "1", "2") == R.syntax)
        h.protocolVersion = 3
        #expect(h.run("ZPOPMIN", "z") == "*2\r\n$1\r\nb\r\n,2\r\n")
        #expect(h.run("ZPOPMIN", "z", "5") == Z.pairs3([("c", "3")]))
        #expect(h.run("EXISTS", "z") == R.int(0))
        #expect(h.run("ZPOPMIN", "z") == R.array([]))
        h.run("SET", "s", "x")
        #expect(h.run("ZPOPMAX", "s") == R.wrongType)
    }

    @Test func zmpop() {
        let h = SortedSetRangeTests.fiveMembers(skiplist: false)
        #expect(h.run("ZMPOP", "2", "none", "z", "MIN") == "*2\r\n$1\r\nz\r\n*1\r\n" + Z.bulks("a", "1"))
        #expect(h.run("ZMPOP", "1", "z", "MAX", "COUNT", "2")
            == "*2\r\n$1\r\nz\r\n*2\r\n" + Z.bulks("e", "5") + Z.bulks("d", "4"))
        #expect(h.run("ZMPOP", "1", "none", "MIN") == "*-1\r\n")
        #expect(h.run("ZMPOP", "0", "z", "MIN") == R.err("ERR numkeys should be greater than 0"))
        #expect(h.run("ZMPOP", "x", "z", "MIN") == R.err("ERR numkeys should be greater than 0"))
        #expect(h.run("ZMPOP", "2", "z", "MIN") == R.syntax)
        #expect(h.run("ZMPOP", "9223372036854775807", "z", "MIN") == R.syntax)
        #expect(h.run("ZMPOP", "1", "z", "UP") == R.syntax)
        #expect(h.run("ZMPOP", "1", "z", "MIN", "COUNT", "0") == R.err("ERR count should be greater than 0"))
        #expect(h.run("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1") == R.syntax)
        h.protocolVersion = 3
        #expect(h.run("ZMPOP", "1", "none", "MIN") == "_\r\n")
    }

    @Test func blockingPops() {
        let h = ZHarness()
        #expect(h.run("BZPOPMIN", "a", "b", "0") == "")
        #expect(h.lastBlock?.keyIndices == [1, 2])
        #expect(h.lastBlock?.timeout == 0)
        #expect(h.run("BZMPOP", "1.5", "2", "a", "b", "MAX", "COUNT", "3") == "")
        #expect(h.lastBlock?.keyIndices == [3, 4])
        #expect(h.lastBlock?.timeout == 1.5)
        h.run("ZADD", "b", "1", "x", "2", "y")
        #expect(h.run("BZPOPMAX", "a", "b", "0") == "*3\r\n$1\r\nb\r\n$1\r\ny\r\n$1\r\n2\r\n")
        #expect(h.run("BZMPOP", "0", "2", "a", "b", "MIN", "COUNT", "5") == "*2\r\n$1\r\nb\r\n*1\r\n" + Z.bulks("x", "1"))
        // Where blocking is not allowed it replies as on timeout.
        h.mayBlock = false
        #expect(h.run("BZPOPMIN", "a", "0") == "*-1\r\n")
        h.mayBlock = true
        #expect(h.run("BZPOPMIN", "a", "x") == R.err("ERR timeout is not a float or out of range"))
        #expect(h.run("BZPOPMIN", "a", "-1") == R.err("ERR timeout is negative"))
        #expect(h.run("BZPOPMIN", "a", "1e20") == R.err("ERR timeout is negative"))
        #expect(h.run("BZPOPMIN", "a", "nan") == R.err("ERR timeout is not a float or out of range"))
        #expect(h.run("BZMPOP", "x", "1", "a", "MIN") == R.err("ERR timeout is not a float or out of range"))
        #expect(h.run("BZMPOP", "-1", "1", "a", "FOO") == R.syntax)
        // A tiny timeout truncates to 0 ms: wait forever, as Redis does.
        #expect(h.run("BZPOPMIN", "a", "0.0001") == "")
        #expect(h.lastBlock?.timeout == 0)
        h.run("SET", "s", "x")
        #expect(h.run("BZPOPMIN", "a", "s", "0") == R.wrongType)
    }

    @Test(arguments: [false, true])
    func randomMembers(skiplist: Bool) {
        let h = SortedSetRangeTests.fiveMembers(skiplist: skiplist)
        // Counts covering the set return it whole, from the top.
        #expect(h.run("ZRANDMEMBER", "z", "10") == Z.bulks("e", "d", "c", "b", "a"))
        #expect(h.run("ZRANDMEMBER", "z", "5", "WITHSCORES") == Z.bulks("e", "5", "d", "4", "c", "3", "b", "2", "a", "1"))
        let distinct = h.run("ZRANDMEMBER", "z", "3")
        #expect(distinct.hasPrefix("*3\r\n"))
        #expect(Set(distinct.split(separator: "\r\n").filter { !$0.hasPrefix("$") && !$0.hasPrefix("*") }).count == 3)
        #expect(h.run("ZRANDMEMBER", "z", "-7").hasPrefix("*7\r\n"))
        #expect(h.run("ZRANDMEMBER", "z", "-2", "WITHSCORES").hasPrefix("*4\r\n"))
        #expect(h.run("ZRANDMEMBER", "z", "0") == R.array([]))
        #expect(h.run("ZRANDMEMBER", "z").hasPrefix("$1\r\n"))
        #expect(h.run("ZRANDMEMBER", "nokey") == R.null)
        #expect(h.run("ZRANDMEMBER", "nokey", "3") == R.array([]))
        #expect(h.run("ZRANDMEMBER", "z", "x") == R.notInteger)
        #expect(h.run("ZRANDMEMBER", "z", "1", "FOO") == R.syntax)
        #expect(h.run("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES") == R.err("ERR value is out of range"))
        #expect(h.run("ZRANDMEMBER", "z", "-9223372036854775808")
            == R.err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"))
        h.protocolVersion = 3
        #expect(h.run("ZRANDMEMBER", "z", "2", "WITHSCORES").hasPrefix("*2\r\n*2\r\n"))
    }

    @Test func scanBigSetReturnsEveryMemberOnce() {
        let h = ZHarness()
        h.encodings.zsetMaxListpackEntries = 0
        for i in 0..<300 { h.run("ZADD", "z", "\(i)", "m\(i)") }
        var cursor = "0"
        var seen: [String: Int] = [:]
        repeat {
            let reply = h.run("ZSCAN", "z", cursor, "COUNT", "7")
            let lines = reply.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            cursor = lines[2]
            // "$len", member, "$len", score ... : the odd lines from index 4 are the values.
            let items = lines[4...].enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            for pair in stride(from: 0, to: items.count, by: 2) { seen[items[pair], default: 0] += 1 }
        } while cursor != "0"
        #expect(seen.count == 300)
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect(h.run("ZSCAN", "z", "0", "MATCH", "m29?", "COUNT", "1000").hasPrefix("*2\r\n$1\r\n0\r\n*20\r\n"))
    }

    @Test func scanErrors() {
        let h = SortedSetRangeTests.fiveMembers(skiplist: false)
        #expect(h.run("ZSCAN", "z", "x") == R.err("ERR invalid cursor"))
        #expect(h.run("ZSCAN", "z", "0", "COUNT", "0") == R.syntax)
        #expect(h.run("ZSCAN", "z", "0", "FOO") == R.syntax)
        #expect(h.run("ZSCAN", "nokey", "0", "FOO") == "*2\r\n$1\r\n0\r\n*0\r\n")
        #expect(h.run("ZSCAN", "z", "0", "MATCH", "[ab]") == "*2\r\n$1\r\n0\r\n" + Z.bulks("a", "1", "b", "2"))
    }
}
