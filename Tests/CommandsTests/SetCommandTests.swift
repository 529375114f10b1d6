import Keyspace
import NIOCore
import RESP
import Testing
@testable import Commands

/// The shared harness, under the name these tests were written with.
typealias SetHarness = Harness

extension Harness {
    /// The members of a set reply (array or RESP3 set), in reply order.
    func members(_ args: String...) -> [String] { SetHarness.parseArray(run(args)) }

    static func parseArray(_ reply: String) -> [String] {
        var lines = setReplyLines(reply).dropLast()
        guard let header = lines.first, header.first == "*" || header.first == "~" else { return ["<\(reply)>"] }
        lines = lines.dropFirst()
        var out: [String] = []
        while let line = lines.first {
            lines = lines.dropFirst()
            if line.first == "$" { out.append(lines.first!); lines = lines.dropFirst() }
        }
        return out
    }
}

/// The lines of a reply ("\r\n" is one Character in Swift).
func setReplyLines(_ reply: String) -> [String] {
    reply.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
}

private let intsetReply = R.bulk("intset")
private let hashtableReply = R.bulk("hashtable")

@Suite struct SetCommandTests {
    @Test func saddSremScardSismember() {
        let h = SetHarness()
        #expect(h.run("sadd", "s", "a", "b", "a") == R.int(2))
        #expect(h.run("sadd", "s", "b", "c") == R.int(1))
        #expect(h.run("scard", "s") == R.int(3))
        #expect(h.run("sismember", "s", "a") == R.int(1))
        #expect(h.run("sismember", "s", "z") == R.int(0))
        #expect(h.run("sismember", "nokey", "z") == R.int(0))
        #expect(h.run("smismember", "s", "a", "z", "c") == R.array([R.int(1), R.int(0), R.int(1)]))
        #expect(h.run("smismember", "nokey", "a") == R.array([R.int(0)]))
        #expect(h.run("srem", "s", "a", "a", "z") == R.int(1))
        #expect(h.run("srem", "nokey", "a") == R.int(0))
        #expect(h.run("srem", "s", "b", "c") == R.int(2))
        #expect(h.run("exists", "s") == R.int(0))
        #expect(h.run("type", "s") == R.simple("none"))
    }

    @Test func wrongTypeAndArity() {
        let h = SetHarness()
        h.run("set", "str", "x")
        for cmd in [["sadd", "str", "a"], ["srem", "str", "a"], ["smembers", "str"], ["sismember", "str", "a"],
                    ["smismember", "str", "a"], ["scard", "str"], ["spop", "str"], ["srandmember", "str"],
                    ["sinter", "str"], ["sunion", "str"], ["sdiff", "str"], ["sscan", "str", "0"],
                    ["sintercard", "1", "str"], ["spop", "str", "1"], ["srandmember", "str", "1"]] {
            #expect(h.run(cmd) == R.wrongType, "\(cmd)")
        }
        #expect(h.run("sadd", "s") == R.err("ERR wrong number of arguments for 'sadd' command"))
        #expect(h.run("spop", "s", "1", "2") == R.syntax)
        #expect(h.run("srandmember", "s", "1", "2") == R.syntax)
    }

    @Test func intsetEncodingAndConversion() {
        let h = SetHarness()
        h.run("sadd", "i", "3", "1", "2", "-5")
        #expect(h.encoding("i") == intsetReply)
        #expect(h.members("smembers", "i") == ["-5", "1", "2", "3"])
        // Non-canonical integers are strings.
        h.run("sadd", "j", "1", "01")
        #expect(h.encoding("j") == hashtableReply)
        #expect(Set(h.members("smembers", "j")) == ["1", "01"])
        // A non-integer member converts, for good.
        h.run("sadd", "i", "x")
        #expect(h.encoding("i") == hashtableReply)
        h.run("srem", "i", "x")
        #expect(h.encoding("i") == hashtableReply)
        #expect(Set(h.members("smembers", "i")) == ["-5", "1", "2", "3"])
        // The size limit.
        h.encodings.setMaxIntsetEntries = 4
        h.run("sadd", "k", "1", "2", "3", "4")
        #expect(h.encoding("k") == intsetReply)
        #expect(h.run("sadd", "k", "5") == R.int(1))
        #expect(h.encoding("k") == hashtableReply)
        #expect(h.run("scard", "k") == R.int(5))
        // First member decides a new set's encoding.
        h.run("sadd", "n", "a", "1")
        #expect(h.encoding("n") == hashtableReply)
        #expect(h.run("sismember", "k", "5") == R.int(1))
    }

    @Test func intsetWidthsAndExtremes() {
        let h = SetHarness()
        h.run("sadd", "w", "1", "9223372036854775807", "-9223372036854775808", "40000")
        #expect(h.encoding("w") == intsetReply)
        #expect(h.members("smembers", "w") == ["-9223372036854775808", "1", "40000", "9223372036854775807"])
        #expect(h.run("sismember", "w", "9223372036854775807") == R.int(1))
        #expect(h.run("sismember", "w", "9223372036854775808") == R.int(0))
        #expect(h.run("srem", "w", "-9223372036854775808", "1") == R.int(2))
        #expect(h.members("smembers", "w") == ["40000", "9223372036854775807"])
    }

    @Test func resp3Shapes() {
        let h = SetHarness()
        h.protocolVersion = 3
        h.run("sadd", "s", "1", "2")
        #expect(h.run("smembers", "s") == "~2\r\n$1\r\n1\r\n$1\r\n2\r\n")
        #expect(h.run("smembers", "nokey") == "~0\r\n")
        #expect(h.run("sinter", "nokey", "s") == "~0\r\n")
        #expect(h.run("spop", "nokey", "2") == "~0\r\n")
        #expect(h.run("spop", "s", "0") == "~0\r\n")
        #expect(h.run("spop", "nokey") == "_\r\n")
        #expect(h.run("srandmember", "nokey") == "_\r\n")
        #expect(h.run("srandmember", "nokey", "3") == "*0\r\n")
        #expect(h.run("srandmember", "s", "5").hasPrefix("*2\r\n"))
        #expect(h.run("sunion", "s").hasPrefix("~2\r\n"))
        #expect(h.run("sscan", "nokey", "0") == "*2\r\n$1\r\n0\r\n*0\r\n")
        #expect(h.run("sismember", "s", "1") == ":1\r\n")
    }

    @Test func spopAndSrandmember() {
        let h = SetHarness()
        #expect(h.run("spop", "s", "-1") == R.err("ERR value is out of range, must be positive"))
        #expect(h.run("spop", "s", "x") == R.err("ERR value is out of range, must be positive"))
        #expect(h.run("srandmember", "s", "x") == R.notInteger)
        #expect(h.run("srandmember", "s", "-9223372036854775808")
            == R.err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"))
        #expect(h.run("spop", "nokey") == R.null)
        #expect(h.run("spop", "nokey", "3") == "*0\r\n")
        for encoding in ["int", "str"] {
            let members = (0..<100).map { encoding == "int" ? "\($0)" : "m\($0)" }
            h.run(["sadd", "s"] + members)
            let one = h.members("srandmember", "s", "1")
            #expect(one.count == 1 && members.contains(one[0]))
            let distinct = h.members("srandmember", "s", "20")
            #expect(distinct.count == 20 && Set(distinct).count == 20)
            let most = h.members("srandmember", "s", "90")
            #expect(most.count == 90 && Set(most).count == 90)
            #expect(Set(h.members("srandmember", "s", "500")) == Set(members))
            let repeated = h.members("srandmember", "s", "-300")
            #expect(repeated.count == 300 && Set(repeated).isSubset(of: Set(members)))
            #expect(h.run("srandmember", "s", "0") == "*0\r\n")
            var popped = Set(h.members("spop", "s", "10"))
            #expect(popped.count == 10)
            popped.formUnion(h.members("spop", "s", "85"))  // most of the rest
            #expect(popped.count == 95)
            let single = String(h.run("spop", "s").split(separator: "\r\n")[1])
            popped.insert(single)
            #expect(h.run("scard", "s") == R.int(4))
            popped.formUnion(h.members("spop", "s", "10"))
            #expect(popped == Set(members))
            #expect(h.run("exists", "s") == R.int(0))
        }
    }

    @Test func spopKeepsTheTTL() {
        let h = SetHarness()
        h.run(["sadd", "s"] + (0..<50).map { "m\($0)" })
        h.run("expire", "s", "100")
        h.run("spop", "s", "45")
        #expect(h.run("scard", "s") == R.int(5))
        #expect(h.run("ttl", "s") == R.int(100))
        h.run(["sadd", "i"] + (0..<50).map { "\($0)" })
        h.run("expire", "i", "100")
        h.run("spop", "i", "3")
        h.run("srem", "i", "49")
        h.run("sadd", "i", "77")
        #expect(h.run("ttl", "i") == R.int(100))
        #expect(h.encoding("i") == intsetReply)
    }

    @Test func smove() {
        let h = SetHarness()
        h.run("sadd", "a", "1", "2")
        h.run("set", "str", "x")
        #expect(h.run("smove", "nokey", "str", "1") == R.int(0))
        #expect(h.run("smove", "a", "str", "1") == R.wrongType)
        #expect(h.run("smove", "str", "a", "1") == R.wrongType)
        #expect(h.run("smove", "a", "a", "1") == R.int(1))
        #expect(h.run("smove", "a", "a", "9") == R.int(0))
        #expect(h.run("smove", "a", "b", "9") == R.int(0))
        #expect(h.run("smove", "a", "b", "1") == R.int(1))
        #expect(h.encoding("b") == intsetReply)
        #expect(h.run("smove", "a", "c", "2") == R.int(1))
        #expect(h.run("exists", "a") == R.int(0))
        h.run("sadd", "t", "x", "y")
        #expect(h.run("smove", "t", "b", "x") == R.int(1))
        #expect(h.encoding("b") == hashtableReply)
        #expect(Set(h.members("smembers", "b")) == ["1", "x"])
        #expect(h.run("smove", "t", "b", "y") == R.int(1))
        #expect(h.run("exists", "t") == R.int(0))
    }

    @Test func interUnionDiff() {
        let h = SetHarness()
        h.run("sadd", "a", "1", "2", "3", "x")
        h.run("sadd", "b", "2", "3", "4")
        h.run("sadd", "c", "3", "x", "2")
        #expect(h.members("sinter", "a", "b") == ["2", "3"])
        #expect(Set(h.members("sinter", "a", "c")) == ["2", "3", "x"])
        #expect(h.members("sinter", "a", "nokey") == [])
        #expect(Set(h.members("sunion", "a", "b", "nokey")) == ["1", "2", "3", "4", "x"])
        #expect(Set(h.members("sdiff", "a", "b")) == ["1", "x"])
        #expect(h.members("sdiff", "a", "b", "a") == [])
        #expect(h.members("sdiff", "nokey", "a") == [])
        #expect(h.members("sdiff", "b", "nokey") == ["2", "3", "4"])
        h.run("set", "str", "v")
        #expect(h.run("sinter", "nokey", "str") == R.wrongType)
        #expect(h.run("sunion", "a", "str") == R.wrongType)
        #expect(h.run("sintercard", "2", "a", "b") == R.int(2))
        #expect(h.run("sintercard", "2", "a", "b", "LIMIT", "1") == R.int(1))
        #expect(h.run("sintercard", "2", "a", "b", "limit", "1", "LIMIT", "0") == R.int(2))
        #expect(h.run("sintercard", "2", "a", "nokey") == R.int(0))
        #expect(h.run("sintercard", "2", "nokey", "str") == R.wrongType)
        #expect(h.run("sintercard", "0", "a") == R.err("ERR numkeys should be greater than 0"))
        #expect(h.run("sintercard", "x", "a") == R.err("ERR numkeys should be greater than 0"))
        #expect(h.run("sintercard", "3", "a") == R.err("ERR Number of keys can't be greater than number of args"))
        #expect(h.run("sintercard", "1", "a", "LIMIT", "-1") == R.err("ERR LIMIT can't be negative"))
        #expect(h.run("sintercard", "1", "a", "LIMIT") == R.syntax)
        #expect(h.run("sintercard", "1", "a", "foo") == R.syntax)
    }

    @Test func storeVariants() {
        let h = SetHarness()
        h.run("sadd", "a", "1", "2", "3")
        h.run("sadd", "b", "2", "3", "4")
        h.run("sadd", "t", "x", "2")
        h.run("set", "dst", "string")
        h.run("expire", "dst", "100")
        #expect(h.run("sinterstore", "dst", "a", "b") == R.int(2))
        #expect(h.encoding("dst") == intsetReply)
        #expect(h.run("ttl", "dst") == R.int(-1))
        #expect(h.members("smembers", "dst") == ["2", "3"])
        #expect(h.run("sunionstore", "dst", "a", "t") == R.int(4))
        #expect(h.encoding("dst") == hashtableReply)
        #expect(h.run("sdiffstore", "dst", "a", "b") == R.int(1))
        #expect(h.members("smembers", "dst") == ["1"])
        #expect(h.run("sinterstore", "dst", "a", "nokey") == R.int(0))
        #expect(h.run("exists", "dst") == R.int(0))
        h.run("set", "dst", "x")
        #expect(h.run("sdiffstore", "dst", "a", "a") == R.int(0))
        #expect(h.run("exists", "dst") == R.int(0))
        // The destination may be one of the sources.
        #expect(h.run("sunionstore", "a", "a", "b") == R.int(4))
        #expect(h.members("smembers", "a") == ["1", "2", "3", "4"])
        // An intset result past the limit is a table, as Redis builds it.
        h.encodings.setMaxIntsetEntries = 3
        #expect(h.run("sunionstore", "u", "a", "b") == R.int(4))
        #expect(h.encoding("u") == hashtableReply)
    }

    @Test func sscan() {
        let h = SetHarness()
        h.run("sadd", "i", "1", "2", "3")
        #expect(h.run("sscan", "i", "0", "COUNT", "1") == R.array([R.bulk("0"), R.array(["1", "2", "3"].map(R.bulk))]))
        #expect(h.run("sscan", "i", "0", "MATCH", "2*") == R.array([R.bulk("0"), R.array([R.bulk("2")])]))
        #expect(h.run("sscan", "i", "x") == R.err("ERR invalid cursor"))
        #expect(h.run("sscan", "nokey", "0", "COUNT", "0") == R.array([R.bulk("0"), R.array([])]))
        #expect(h.run("sscan", "i", "0", "COUNT", "0") == R.syntax)
        #expect(h.run("sscan", "i", "0", "COUNT", "x") == R.notInteger)
        #expect(h.run("sscan", "i", "0", "MATCH") == R.syntax)
        #expect(h.run("sscan", "i", "0", "TYPE", "set") == R.syntax)
        let members = (0..<1_000).map { "member:\($0)" }
        h.run(["sadd", "t"] + members)
        var seen: [String] = []
        var cursor = "0"
        var calls = 0
        repeat {
            let reply = h.run("sscan", "t", cursor, "COUNT", "20")
            let parts = setReplyLines(reply)
            cursor = parts[2]
            seen += SetHarness.parseArray(parts[3...].joined(separator: "\r\n"))
            calls += 1
        } while cursor != "0"
        #expect(seen.count == 1_000 && Set(seen) == Set(members))
        #expect(calls > 40 && calls < 60)
        var matched: [String] = []
        cursor = "0"
        repeat {
            let parts = setReplyLines(h.run("sscan", "t", cursor, "MATCH", "member:1*"))
            cursor = parts[2]
            matched += SetHarness.parseArray(parts[3...].joined(separator: "\r\n"))
        } while cursor != "0"
        #expect(Set(matched) == Set(members.filter { $0.hasPrefix("member:1") }))
    }

    @Test func copyAndRenameKeepSets() {
        let h = SetHarness()
        h.run("sadd", "t", "a", "b")
        h.run("sadd", "i", "1", "2")
        #expect(h.run("copy", "t", "t2") == R.int(1))
        #expect(h.run("copy", "i", "i2") == R.int(1))
        h.run("sadd", "t", "c")
        #expect(Set(h.members("smembers", "t2")) == ["a", "b"])
        #expect(h.members("smembers", "i2") == ["1", "2"])
        #expect(h.encoding("i2") == intsetReply)
        #expect(h.run("type", "t2") == R.simple("set"))
    }

    @Test func bigSetAndPopEverything() {
        let h = SetHarness()
        for chunk in stride(from: 0, to: 20_000, by: 1_000) {
            h.run(["sadd", "big"] + (chunk..<chunk + 1_000).map { "element:\($0)" })
        }
        #expect(h.run("scard", "big") == R.int(20_000))
        #expect(h.run("sadd", "big", "element:5") == R.int(0))
        var total = 0
        while h.run("exists", "big") == R.int(1) {
            total += h.members("spop", "big", "777").count
        }
        #expect(total == 20_000)
    }
}
