import Testing
import Keyspace
import NIOCore
import RESP
@testable import Commands

/// The shared harness, under the name these tests were written with.
typealias HashHarness = Harness

extension Harness {
    /// Fields of a flat HGETALL / HSCAN reply, parsed from RESP2 bulk strings.
    func bulks(_ reply: String) -> [String] {
        var out: [String] = []
        let lines = reply.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        while i < lines.count {
            if lines[i].hasPrefix("$"), let n = Int(lines[i].dropFirst()), n >= 0 {
                out.append(lines[i + 1])
                i += 2
            } else {
                i += 1
            }
        }
        return out
    }
}

private let listpack = R.bulk("listpack")
private let hashtable = R.bulk("hashtable")

@Suite struct HashCommandTests {
    @Test func setGetAndReplyShapes() {
        let h = HashHarness()
        #expect(h.run("HSET", "h", "a", "1", "b", "2") == R.int(2))
        #expect(h.run("HSET", "h", "a", "10", "c", "3") == R.int(1))
        #expect(h.run("HGET", "h", "a") == R.bulk("10"))
        #expect(h.run("HGET", "h", "zz") == R.null)
        #expect(h.run("HGET", "nokey", "a") == R.null)
        #expect(h.run("HLEN", "h") == R.int(3))
        #expect(h.run("HLEN", "nokey") == R.int(0))
        #expect(h.run("TYPE", "h") == R.simple("hash"))
        #expect(h.encoding("h") == listpack)
        // Listpack order: insertion order, updates in place.
        #expect(h.run("HGETALL", "h") == R.array(["a", "10", "b", "2", "c", "3"].map(R.bulk)))
        #expect(h.run("HKEYS", "h") == R.array(["a", "b", "c"].map(R.bulk)))
        #expect(h.run("HVALS", "h") == R.array(["10", "2", "3"].map(R.bulk)))
        #expect(h.run("HMGET", "h", "a", "x", "c") == "*3\r\n$2\r\n10\r\n$-1\r\n$1\r\n3\r\n")
        #expect(h.run("HMGET", "nokey", "a") == "*1\r\n$-1\r\n")
        #expect(h.run("HEXISTS", "h", "b") == R.int(1))
        #expect(h.run("HEXISTS", "h", "x") == R.int(0))
        #expect(h.run("HSTRLEN", "h", "a") == R.int(2))
        #expect(h.run("HSTRLEN", "h", "x") == R.int(0))
        #expect(h.run("HGETALL", "nokey") == "*0\r\n")
        h.protocolVersion = 3
        #expect(h.run("HGETALL", "h") == "%3\r\n$1\r\na\r\n$2\r\n10\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n")
        #expect(h.run("HGETALL", "nokey") == "%0\r\n")
        #expect(h.run("HKEYS", "nokey") == "*0\r\n")
        #expect(h.run("HGET", "h", "zz") == R.null3)
        #expect(h.run("HMGET", "h", "zz") == "*1\r\n_\r\n")
    }

    @Test func hmsetAndArity() {
        let h = HashHarness()
        #expect(h.run("HMSET", "h", "a", "1", "b", "2") == R.ok)
        #expect(h.run("HSET", "h", "a", "1", "b") == R.err("ERR wrong number of arguments for 'hset' command"))
        #expect(h.run("HMSET", "h", "a", "1", "b") == R.err("ERR wrong number of arguments for 'hmset' command"))
        #expect(h.run("HLEN", "h") == R.int(2))
        #expect(h.run("HSET", "h", "a", "1", "a", "2") == R.int(0))
        #expect(h.run("HGET", "h", "a") == R.bulk("2"))
    }

    @Test func hsetnx() {
        let h = HashHarness()
        #expect(h.run("HSETNX", "h", "f", "v1") == R.int(1))
        #expect(h.run("HSETNX", "h", "f", "v2") == R.int(0))
        #expect(h.run("HGET", "h", "f") == R.bulk("v1"))
        #expect(h.run("HSETNX", "h", "g", String(repeating: "z", count: 100)) == R.int(1))
        #expect(h.encoding("h") == hashtable)
        #expect(h.run("HSETNX", "h", "g", "x") == R.int(0))
    }

    @Test func hdelRemovesEmptyHashes() {
        let h = HashHarness()
        h.run("HSET", "h", "a", "1", "b", "2", "c", "3")
        #expect(h.run("HDEL", "h", "a", "zz", "a") == R.int(1))
        #expect(h.run("HGETALL", "h") == R.array(["b", "2", "c", "3"].map(R.bulk)))
        #expect(h.run("HDEL", "h", "zz") == R.int(0))
        #expect(h.run("HDEL", "nokey", "a") == R.int(0))
        #expect(h.run("HDEL", "h", "b", "c", "d") == R.int(2))
        #expect(h.run("EXISTS", "h") == R.int(0))
        // The same in a table.
        h.encodings.hashMaxListpackEntries = 2
        h.run("HSET", "t", "a", "1", "b", "2", "c", "3")
        #expect(h.encoding("t") == hashtable)
        #expect(h.run("HDEL", "t", "a", "zz") == R.int(1))
        #expect(h.run("HDEL", "t", "b", "c", "x") == R.int(2))
        #expect(h.run("EXISTS", "t") == R.int(0))
    }

    @Test func wrongType() {
        let h = HashHarness()
        h.run("SET", "s", "v")
        let commands: [[String]] = [
            ["HSET", "s", "f", "v"], ["HSETNX", "s", "f", "v"], ["HGET", "s", "f"], ["HMGET", "s", "f"],
            ["HMSET", "s", "f", "v"], ["HDEL", "s", "f"], ["HLEN", "s"], ["HEXISTS", "s", "f"], ["HKEYS", "s"],
            ["HVALS", "s"], ["HGETALL", "s"], ["HINCRBY", "s", "f", "1"], ["HINCRBYFLOAT", "s", "f", "1"],
            ["HSTRLEN", "s", "f"], ["HRANDFIELD", "s"], ["HRANDFIELD", "s", "2"], ["HSCAN", "s", "0"],
        ]
        for c in commands { #expect(h.run(c) == R.wrongType, "\(c)") }
        h.run("HSET", "h", "f", "v")
        #expect(h.run("GET", "h") == R.wrongType)
    }

    @Test func encodingThresholds() {
        let h = HashHarness()
        h.encodings.hashMaxListpackEntries = 4
        h.run("HSET", "h", "f0", "v", "f1", "v", "f2", "v", "f3", "v")
        #expect(h.encoding("h") == listpack)
        h.run("HSET", "h", "f4", "v")
        #expect(h.encoding("h") == hashtable)
        h.run("HDEL", "h", "f0", "f1", "f2", "f3")
        #expect(h.encoding("h") == hashtable)  // never back
        #expect(h.run("HGETALL", "h") == R.array(["f4", "v"].map(R.bulk)))
        // Conversion in the middle of one HSET keeps every pair.
        let many = (0..<20).flatMap { ["m\($0)", "v\($0)"] }
        #expect(h.run(["HSET", "m"] + many) == R.int(20))
        #expect(h.encoding("m") == hashtable)
        #expect(h.run("HLEN", "m") == R.int(20))
        #expect(h.run("HGET", "m", "m19") == R.bulk("v19"))

        h.encodings.hashMaxListpackEntries = 128
        h.encodings.hashMaxListpackValue = 8
        h.run("HSET", "v", "f", "12345678")
        #expect(h.encoding("v") == listpack)
        h.run("HSET", "v", "f", "123456789")
        #expect(h.encoding("v") == hashtable)
        #expect(h.run("HGET", "v", "f") == R.bulk("123456789"))
        h.run("HSET", "w", "a-long-field", "1")
        #expect(h.encoding("w") == hashtable)
        // HINCRBYFLOAT producing a long value converts too.
        h.run("HSET", "x", "f", "1")
        h.run("HINCRBYFLOAT", "x", "f", "0.123456789")
        #expect(h.encoding("x") == hashtable)
        #expect(h.run("HGET", "x", "f") == R.bulk("1.123456789"))

        h.encodings.hashMaxListpackEntries = 0
        h.run("HSET", "z", "f", "v")
        #expect(h.encoding("z") == hashtable)
    }

    @Test func writesKeepTheTTL() {
        let h = HashHarness()
        h.run("HSET", "h", "a", "1")
        h.run("PEXPIRE", "h", "5000")
        h.run("HSET", "h", "b", "2")
        #expect(h.run("PTTL", "h") == R.int(5000))
        h.run("HSET", "h", "a", "9")  // same-length update, in place
        #expect(h.run("PTTL", "h") == R.int(5000))
        h.encodings.hashMaxListpackEntries = 2
        h.run("HSET", "h", "c", "3")  // converts
        #expect(h.encoding("h") == hashtable)
        #expect(h.run("PTTL", "h") == R.int(5000))
        h.run("HDEL", "h", "a")
        #expect(h.run("PTTL", "h") == R.int(5000))
        h.now += 6000
        #expect(h.run("HGET", "h", "b") == R.null)
    }

    @Test func hincrby() {
        let h = HashHarness()
        #expect(h.run("HINCRBY", "h", "n", "5") == R.int(5))
        #expect(h.run("HINCRBY", "h", "n", "-7") == R.int(-2))
        #expect(h.run("HGET", "h", "n") == R.bulk("-2"))
        h.run("HSET", "h", "s", "abc", "f", "1.5", "z", "007")
        #expect(h.run("HINCRBY", "h", "s", "1") == R.err("ERR hash value is not an integer"))
        #expect(h.run("HINCRBY", "h", "f", "1") == R.err("ERR hash value is not an integer"))
        #expect(h.run("HINCRBY", "h", "z", "1") == R.err("ERR hash value is not an integer"))
        #expect(h.run("HINCRBY", "h", "n", "x") == R.notInteger)
        #expect(h.run("HINCRBY", "nokey", "n", "1.0") == R.notInteger)
        #expect(h.run("EXISTS", "nokey") == R.int(0))
        h.run("HSET", "h", "big", "9223372036854775807", "small", "-9223372036854775808")
        #expect(h.run("HINCRBY", "h", "big", "1") == R.err("ERR increment or decrement would overflow"))
        #expect(h.run("HINCRBY", "h", "small", "-1") == R.err("ERR increment or decrement would overflow"))
        #expect(h.run("HINCRBY", "h", "small", "9223372036854775807") == R.int(-1))
        #expect(h.run("HGET", "h", "big") == R.bulk("9223372036854775807"))
        // The same in a table.
        h.encodings.hashMaxListpackEntries = 1
        #expect(h.run("HINCRBY", "t", "a", "1") == R.int(1))
        #expect(h.run("HINCRBY", "t", "b", "100") == R.int(100))
        #expect(h.encoding("t") == hashtable)
        #expect(h.run("HINCRBY", "t", "a", "99999") == R.int(100_000))
        #expect(h.run("HGET", "t", "a") == R.bulk("100000"))
    }

    @Test func hincrbyfloat() {
        let h = HashHarness()
        let cases: [(String?, String, String)] = [
            ("10.50", "0.1", "10.6"), ("5.0e3", "2.0e2", "5200"), ("1", "1", "2"), (nil, "3.0", "3"),
            (nil, "-0.5", "-0.5"), ("0.1", "0.2", "0.3"), ("3", "1.5e-5", "3.000015"),
        ]
        for (start, increment, expected) in cases {
            h.run("DEL", "h")
            if let start { h.run("HSET", "h", "f", start) }
            #expect(h.run("HINCRBYFLOAT", "h", "f", increment) == R.bulk(expected))
            #expect(h.run("HGET", "h", "f") == R.bulk(expected))
        }
        h.run("HSET", "e", "s", "abc", "f", "1", "i", "inf")
        #expect(h.run("HINCRBYFLOAT", "e", "s", "1") == R.err("ERR hash value is not a float"))
        #expect(h.run("HINCRBYFLOAT", "e", "f", "abc") == R.notFloat)
        #expect(h.run("HINCRBYFLOAT", "e", "f", "inf") == R.err("ERR value is NaN or Infinity"))
        #expect(h.run("HINCRBYFLOAT", "e", "f", "nan") == R.notFloat)
        #expect(h.run("HINCRBYFLOAT", "e", "i", "1") == R.err("ERR increment would produce NaN or Infinity"))
        #expect(h.run("HINCRBYFLOAT", "nokey", "f", "inf") == R.err("ERR value is NaN or Infinity"))
        #expect(h.run("EXISTS", "nokey") == R.int(0))
        h.protocolVersion = 3
        #expect(h.run("HINCRBYFLOAT", "e", "f", "0.5") == R.bulk("1.5"))  // a bulk string in RESP3 too
    }

    @Test func binarySafeFieldsAndValues() {
        let h = HashHarness()
        let field: [UInt8] = [0, 13, 10, 255]
        let value: [UInt8] = Array(repeating: 0, count: 20)
        let cmd = { (s: String) in Array(s.utf8) }
        #expect(h.runBytes([cmd("HSET"), cmd("h"), field, value, [], []]) == Array(R.int(2).utf8))
        #expect(h.runBytes([cmd("HGET"), cmd("h"), field]) == Array("$20\r\n".utf8) + value + [13, 10])
        #expect(h.runBytes([cmd("HGET"), cmd("h"), []]) == Array("$0\r\n\r\n".utf8))
        h.encodings.hashMaxListpackEntries = 1
        #expect(h.runBytes([cmd("HSET"), cmd("t"), field, value, [], []]) == Array(R.int(2).utf8))
        #expect(h.runBytes([cmd("HGET"), cmd("t"), field]) == Array("$20\r\n".utf8) + value + [13, 10])
        #expect(h.runBytes([cmd("HSTRLEN"), cmd("t"), []]) == Array(R.int(0).utf8))
    }

    @Test func bigHashThroughTheTable() {
        let h = HashHarness()
        h.encodings.hashMaxListpackEntries = 128
        for i in stride(from: 0, to: 5000, by: 500) {
            let args = (i..<(i + 500)).flatMap { ["f\($0)", "v\($0)"] }
            #expect(h.run(["HSET", "h"] + args) == R.int(500))
        }
        #expect(h.run("HLEN", "h") == R.int(5000))
        #expect(h.encoding("h") == hashtable)
        #expect(h.run("HGET", "h", "f4321") == R.bulk("v4321"))
        #expect(h.run("HDEL", "h", "f0", "f1", "nope") == R.int(2))
        #expect(h.bulks(h.run("HKEYS", "h")).count == 4998)
        let all = h.bulks(h.run("HGETALL", "h"))
        #expect(all.count == 2 * 4998)
        for i in stride(from: 0, to: all.count, by: 2) { #expect(all[i + 1] == "v" + all[i].dropFirst()) }
    }

    @Test func copyDuplicatesBothEncodings() {
        let h = HashHarness()
        h.run("HSET", "small", "a", "1")
        #expect(h.run("COPY", "small", "small2") == R.int(1))
        h.run("HSET", "small", "a", "2")
        #expect(h.run("HGET", "small2", "a") == R.bulk("1"))
        h.encodings.hashMaxListpackEntries = 1
        h.run("HSET", "big", "a", "1", "b", "2")
        #expect(h.run("COPY", "big", "big2") == R.int(1))
        h.run("HSET", "big", "a", "changed")
        #expect(h.run("HGET", "big2", "a") == R.bulk("1"))
        #expect(h.encoding("big2") == hashtable)
    }
}
