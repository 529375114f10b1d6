import Testing
import Keyspace
@testable import Commands

@Suite struct HashRandomCommandTests {
    static func filled(entries: Int, listpackLimit: Int = 128) -> HashHarness {
        let h = HashHarness()
        h.encodings.hashMaxListpackEntries = listpackLimit
        h.run(["HSET", "h"] + (0..<entries).flatMap { ["f\($0)", "v\($0)"] })
        return h
    }

    @Test(arguments: [10, 1000])
    func hrandfieldCounts(size: Int) {
        let h = Self.filled(entries: size)
        let fields = Set((0..<size).map { "f\($0)" })
        #expect(h.encoding("h") == R.bulk(size > 128 ? "hashtable" : "listpack"))
        for _ in 0..<20 {
            let one = h.bulks(h.run("HRANDFIELD", "h"))
            #expect(one.count == 1 && fields.contains(one[0]))
        }
        for count in [1, 5, size / 3, size / 3 + 1, size - 1, size, size + 5] {
            let got = h.bulks(h.run("HRANDFIELD", "h", "\(count)"))
            #expect(got.count == min(count, size))
            #expect(Set(got).count == got.count)  // distinct
            #expect(Set(got).isSubset(of: fields))
        }
        let repeated = h.bulks(h.run("HRANDFIELD", "h", "-\(3 * size)"))
        #expect(repeated.count == 3 * size && Set(repeated).isSubset(of: fields))
        let pairs = h.bulks(h.run("HRANDFIELD", "h", "-20", "WITHVALUES"))
        #expect(pairs.count == 40)
        for i in stride(from: 0, to: 40, by: 2) { #expect(pairs[i + 1] == "v" + pairs[i].dropFirst()) }
        let unique = h.bulks(h.run("HRANDFIELD", "h", "7", "withvalues"))
        #expect(unique.count == 14)
        #expect(h.run("HRANDFIELD", "h", "0") == "*0\r\n")
        #expect(h.run("HRANDFIELD", "h", "0", "WITHVALUES") == "*0\r\n")
    }

    @Test func hrandfieldShapesAndErrors() {
        let h = HashHarness()
        h.run("HSET", "one", "f", "v")
        #expect(h.run("HRANDFIELD", "one", "1", "WITHVALUES") == R.array(["f", "v"].map(R.bulk)))
        #expect(h.run("HRANDFIELD", "one", "-2") == R.array(["f", "f"].map(R.bulk)))
        #expect(h.run("HRANDFIELD", "nokey") == R.null)
        #expect(h.run("HRANDFIELD", "nokey", "3") == "*0\r\n")
        h.protocolVersion = 3
        #expect(h.run("HRANDFIELD", "one", "1", "WITHVALUES") == "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        #expect(h.run("HRANDFIELD", "one", "-2", "WITHVALUES") == "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        #expect(h.run("HRANDFIELD", "one", "5", "WITHVALUES") == "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        #expect(h.run("HRANDFIELD", "nokey") == R.null3)
        #expect(h.run("HRANDFIELD", "nokey", "3", "WITHVALUES") == "*0\r\n")
        h.protocolVersion = 2
        #expect(h.run("HRANDFIELD", "one", "x") == R.notInteger)
        #expect(h.run("HRANDFIELD", "one", "1", "FOO") == R.syntax)
        #expect(h.run("HRANDFIELD", "nokey", "1", "FOO") == R.syntax)
        #expect(h.run("HRANDFIELD", "one", "1", "WITHVALUES", "x") == R.syntax)
        #expect(h.run("HRANDFIELD", "one", "-9223372036854775808") == R.err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"))
        #expect(h.run("HRANDFIELD", "one", "-9223372036854775807", "WITHVALUES") == R.err("ERR value is out of range"))
        #expect(h.run("HRANDFIELD", "one", "-4611686018427387904", "WITHVALUES") == R.err("ERR value is out of range"))
        #expect(h.run("HRANDFIELD", "one", "4611686018427387903", "WITHVALUES") == R.array(["f", "v"].map(R.bulk)))
        // A reply that could never be built is refused instead of exhausting memory.
        #expect(h.run("HRANDFIELD", "one", "-9223372036854775807") == R.err("ERR value is out of range"))
    }

    @Test func hscanCompactReturnsEverythingAtOnce() {
        let h = Self.filled(entries: 50)
        let reply = h.run("HSCAN", "h", "0", "COUNT", "5")
        #expect(reply.hasPrefix("*2\r\n$1\r\n0\r\n*100\r\n"))
        #expect(h.run("HSCAN", "h", "12345") == reply)  // the cursor means nothing for a listpack
        let matched = h.bulks(h.run("HSCAN", "h", "0", "MATCH", "f1?"))
        #expect(matched == ["0"] + (10..<20).flatMap { ["f\($0)", "v\($0)"] })
        #expect(h.run("HSCAN", "nokey", "0") == "*2\r\n$1\r\n0\r\n*0\r\n")
        #expect(h.run("HSCAN", "nokey", "0", "FOO") == "*2\r\n$1\r\n0\r\n*0\r\n")
    }

    @Test func hscanErrors() {
        let h = Self.filled(entries: 3)
        #expect(h.run("HSCAN", "h", "x") == R.err("ERR invalid cursor"))
        #expect(h.run("HSCAN", "h", "0", "COUNT", "0") == R.syntax)
        #expect(h.run("HSCAN", "h", "0", "COUNT", "x") == R.notInteger)
        #expect(h.run("HSCAN", "h", "0", "COUNT") == R.syntax)
        #expect(h.run("HSCAN", "h", "0", "TYPE", "string") == R.syntax)
        #expect(h.run("HSCAN", "h", "0", "FOO") == R.syntax)
    }

    /// Walks a table-encoded hash with HSCAN, adding and removing other fields between calls.
    @Test func hscanTableGuarantee() {
        let h = Self.filled(entries: 2000, listpackLimit: 16)
        var seen = Set<String>()
        var cursor = "0"
        var calls = 0
        var churn: [String] = []
        var rng = HashRandom(seed: 9)
        repeat {
            let items = h.bulks(h.run("HSCAN", "h", cursor, "COUNT", "10"))
            cursor = items[0]
            for i in stride(from: 1, to: items.count, by: 2) {
                seen.insert(items[i])
                #expect(items[i + 1] == (items[i].hasPrefix("f") ? "v" + items[i].dropFirst() : "x"))
            }
            calls += 1
            let new = (0..<8).map { "churn:\(calls):\($0)" }
            h.run(["HSET", "h"] + new.flatMap { [$0, "x"] })
            churn += new
            if churn.count > 40 {
                let victims = (0..<10).map { _ in churn.remove(at: rng.below(churn.count)) }
                h.run(["HDEL", "h"] + victims)
            }
        } while cursor != "0" && calls < 100_000
        #expect(cursor == "0")
        #expect((0..<2000).allSatisfy { seen.contains("f\($0)") })
        let matched = h.bulks(h.run("HSCAN", "h", "0", "MATCH", "f1?", "COUNT", "100000"))
        #expect(matched.first == "0")
        #expect(Set(matched.dropFirst().enumerated().filter { $0.offset % 2 == 0 }.map { $0.element })
            == Set((10..<20).map { "f\($0)" }))
    }
}
