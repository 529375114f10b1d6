import Testing
import Keyspace
@testable import Commands

@Suite struct StringCommandTests {
    @Test func getAndSet() {
        let h = Harness()
        #expect(h.run("GET", "k") == R.null)
        #expect(h.run("SET", "k", "hello") == R.ok)
        #expect(h.run("GET", "k") == R.bulk("hello"))
        #expect(h.run("SET", "n", "12345") == R.ok)
        #expect(h.run("GET", "n") == R.bulk("12345"))
        #expect(h.run("set", "k", "") == R.ok)
        #expect(h.run("GET", "k") == R.bulk(""))
        #expect(h.stats.keyspaceHits == 3 && h.stats.keyspaceMisses == 1)
        h.protocolVersion = 3
        #expect(h.run("GET", "missing") == R.null3)
    }

    @Test func binarySafeValues() {
        let h = Harness()
        let value: [UInt8] = [0, 13, 10, 255, 0]
        #expect(h.runBytes([Array("SET".utf8), [1, 0, 2], value]) == Array(R.ok.utf8))
        #expect(h.runBytes([Array("GET".utf8), [1, 0, 2]]) == Array("$5\r\n".utf8) + value + [13, 10])
    }

    @Test func setOptions() {
        let h = Harness()
        #expect(h.run("SET", "k", "v", "NX") == R.ok)
        #expect(h.run("SET", "k", "v2", "NX") == R.null)
        #expect(h.run("SET", "k", "v3", "XX") == R.ok)
        #expect(h.run("SET", "other", "v", "XX") == R.null)
        #expect(h.run("GET", "k") == R.bulk("v3"))
        #expect(h.run("SET", "k", "v4", "GET") == R.bulk("v3"))
        #expect(h.run("SET", "new", "v", "GET") == R.null)
        #expect(h.run("GET", "new") == R.bulk("v"))
        #expect(h.run("SET", "k", "v5", "NX", "GET") == R.bulk("v4"))  // not set, old value returned
        #expect(h.run("GET", "k") == R.bulk("v4"))
        #expect(h.run("SET", "k", "v", "EX", "100") == R.ok)
        #expect(h.run("PTTL", "k") == R.int(100_000))
        #expect(h.run("SET", "k", "v", "PX", "1500") == R.ok)
        #expect(h.run("PTTL", "k") == R.int(1500))
        #expect(h.run("SET", "k", "v", "KEEPTTL") == R.ok)
        #expect(h.run("PTTL", "k") == R.int(1500))
        #expect(h.run("SET", "k", "v") == R.ok)
        #expect(h.run("PTTL", "k") == R.int(-1))
        #expect(h.run("SET", "k", "v", "EXAT", "\(h.now / 1000 + 50)") == R.ok)
        #expect(h.run("TTL", "k") == R.int(50))
        #expect(h.run("SET", "k", "v", "PXAT", "\(h.now + 777)") == R.ok)
        #expect(h.run("PTTL", "k") == R.int(777))
        #expect(h.run("SET", "k", "v", "ex", "10", "EX", "20") == R.ok)  // repeated unit: last wins
        #expect(h.run("TTL", "k") == R.int(20))
    }

    @Test func setErrors() {
        let h = Harness()
        #expect(h.run("SET", "k", "v", "NX", "XX") == R.syntax)
        #expect(h.run("SET", "k", "v", "EX", "10", "PX", "10") == R.syntax)
        #expect(h.run("SET", "k", "v", "EX", "10", "KEEPTTL") == R.syntax)
        #expect(h.run("SET", "k", "v", "EX") == R.syntax)
        #expect(h.run("SET", "k", "v", "PERSIST") == R.syntax)
        #expect(h.run("SET", "k", "v", "FOO") == R.syntax)
        #expect(h.run("SET", "k", "v", "EX", "abc") == R.notInteger)
        #expect(h.run("SET", "k", "v", "EX", "0") == R.err("ERR invalid expire time in 'set' command"))
        #expect(h.run("SET", "k", "v", "PX", "-5") == R.err("ERR invalid expire time in 'set' command"))
        #expect(h.run("SET", "k", "v", "EX", "9223372036854775") == R.err("ERR invalid expire time in 'set' command"))
        #expect(h.run("SET", "k", "v", "PX", "9223372036854775807") == R.err("ERR invalid expire time in 'set' command"))
        #expect(h.run("GET", "k") == R.null)
        h.keyspace.setObject(db: 0, key: Key(UnsafeRawBufferPointer(start: nil, count: 0)), object: FakeHash(), now: h.now)
        #expect(h.run("SET", "", "v", "GET") == R.wrongType)
        #expect(h.run("TYPE", "") == R.simple("hash"))
        #expect(h.run("SET", "", "v") == R.ok)  // plain SET overwrites any type
        #expect(h.run("TYPE", "") == R.simple("string"))
    }

    @Test func setnxSetexPsetex() {
        let h = Harness()
        #expect(h.run("SETNX", "k", "a") == R.int(1))
        #expect(h.run("SETNX", "k", "b") == R.int(0))
        #expect(h.run("GET", "k") == R.bulk("a"))
        #expect(h.run("SETEX", "k", "10", "v") == R.ok)
        #expect(h.run("TTL", "k") == R.int(10))
        #expect(h.run("PSETEX", "k", "2500", "v") == R.ok)
        #expect(h.run("PTTL", "k") == R.int(2500))
        #expect(h.run("SETEX", "k", "0", "v") == R.err("ERR invalid expire time in 'setex' command"))
        #expect(h.run("PSETEX", "k", "-1", "v") == R.err("ERR invalid expire time in 'psetex' command"))
        #expect(h.run("SETEX", "k", "x", "v") == R.notInteger)
    }

    @Test func getsetGetdelGetex() {
        let h = Harness()
        #expect(h.run("GETSET", "k", "1") == R.null)
        #expect(h.run("EXPIRE", "k", "100") == R.int(1))
        #expect(h.run("GETSET", "k", "2") == R.bulk("1"))
        #expect(h.run("TTL", "k") == R.int(-1))  // GETSET drops the TTL
        #expect(h.run("GETDEL", "k") == R.bulk("2"))
        #expect(h.run("GETDEL", "k") == R.null)
        #expect(h.run("EXISTS", "k") == R.int(0))
        #expect(h.run("SET", "k", "v") == R.ok)
        #expect(h.run("GETEX", "k") == R.bulk("v"))
        #expect(h.run("TTL", "k") == R.int(-1))
        #expect(h.run("GETEX", "k", "EX", "100") == R.bulk("v"))
        #expect(h.run("TTL", "k") == R.int(100))
        #expect(h.run("GETEX", "k", "PX", "5000") == R.bulk("v"))
        #expect(h.run("PTTL", "k") == R.int(5000))
        #expect(h.run("GETEX", "k", "PERSIST") == R.bulk("v"))
        #expect(h.run("TTL", "k") == R.int(-1))
        #expect(h.run("GETEX", "k", "EXAT", "\(h.now / 1000 + 30)") == R.bulk("v"))
        #expect(h.run("TTL", "k") == R.int(30))
        // An absolute time in the past deletes the key after returning it.
        #expect(h.run("GETEX", "k", "PXAT", "\(h.now - 1)") == R.bulk("v"))
        #expect(h.run("EXISTS", "k") == R.int(0))
        #expect(h.run("GETEX", "missing", "EX", "10") == R.null)
        #expect(h.run("SET", "k", "v") == R.ok)
        #expect(h.run("GETEX", "k", "EX", "10", "PERSIST") == R.syntax)
        #expect(h.run("GETEX", "k", "NX") == R.syntax)
        #expect(h.run("GETEX", "k", "EX", "0") == R.err("ERR invalid expire time in 'getex' command"))
        #expect(h.run("GETEX", "k", "EX", "nope") == R.notInteger)
    }

    @Test func mgetMsetMsetnx() {
        let h = Harness()
        #expect(h.run("MSET", "a", "1", "b", "2") == R.ok)
        #expect(h.run("MSET", "a", "1", "b") == R.err("ERR wrong number of arguments for 'mset' command"))
        h.keyspace.setObject(db: 0, key: Key(UnsafeRawBufferPointer(start: nil, count: 0)), object: FakeHash(), now: h.now)
        #expect(h.run("MGET", "a", "missing", "b", "") == "*4\r\n" + R.bulk("1") + R.null + R.bulk("2") + R.null)
        #expect(h.run("MSETNX", "c", "3", "a", "9") == R.int(0))
        #expect(h.run("GET", "c") == R.null)
        #expect(h.run("MSETNX", "c", "3", "d", "4") == R.int(1))
        #expect(h.run("MGET", "c", "d") == "*2\r\n" + R.bulk("3") + R.bulk("4"))
        #expect(h.run("MSETNX", "e", "1", "f") == R.err("ERR wrong number of arguments for 'msetnx' command"))
        h.protocolVersion = 3
        #expect(h.run("MGET", "a", "zz") == "*2\r\n" + R.bulk("1") + R.null3)
    }

    @Test func incrDecr() {
        let h = Harness()
        #expect(h.run("INCR", "c") == R.int(1))
        #expect(h.run("INCR", "c") == R.int(2))
        #expect(h.run("DECR", "c") == R.int(1))
        #expect(h.run("INCRBY", "c", "100") == R.int(101))
        #expect(h.run("DECRBY", "c", "1") == R.int(100))
        #expect(h.run("DECRBY", "c", "-5") == R.int(105))
        #expect(h.run("GET", "c") == R.bulk("105"))
        #expect(h.run("OBJECT", "ENCODING", "c") == R.bulk("int"))
        #expect(h.run("SET", "c", "9223372036854775806") == R.ok)
        #expect(h.run("INCR", "c") == R.int(9_223_372_036_854_775_807))
        #expect(h.run("INCR", "c") == R.err("ERR increment or decrement would overflow"))
        #expect(h.run("SET", "c", "-9223372036854775808") == R.ok)
        #expect(h.run("DECR", "c") == R.err("ERR increment or decrement would overflow"))
        #expect(h.run("DECRBY", "c", "-9223372036854775808") == R.err("ERR decrement would overflow"))
        #expect(h.run("INCRBY", "c", "1.5") == R.notInteger)
        #expect(h.run("SET", "s", "abc") == R.ok)
        #expect(h.run("INCR", "s") == R.notInteger)
        #expect(h.run("SET", "s", " 1") == R.ok)
        #expect(h.run("INCR", "s") == R.notInteger)
        // A string written as text ("raw" after APPEND) still increments.
        #expect(h.run("SET", "t", "1") == R.ok)
        #expect(h.run("APPEND", "t", "0") == R.int(2))
        #expect(h.run("OBJECT", "ENCODING", "t") == R.bulk("raw"))
        #expect(h.run("INCR", "t") == R.int(11))
        #expect(h.run("OBJECT", "ENCODING", "t") == R.bulk("int"))
        // INCR keeps the TTL.
        #expect(h.run("SET", "x", "5", "EX", "100") == R.ok)
        #expect(h.run("INCR", "x") == R.int(6))
        #expect(h.run("TTL", "x") == R.int(100))
        h.keyspace.setObject(db: 0, key: Key(UnsafeRawBufferPointer(start: nil, count: 0)), object: FakeHash(), now: h.now)
        #expect(h.run("INCR", "") == R.wrongType)
    }

    @Test func incrbyfloat() {
        let h = Harness()
        #expect(h.run("INCRBYFLOAT", "f", "10.5") == R.bulk("10.5"))
        #expect(h.run("INCRBYFLOAT", "f", "0.1") == R.bulk("10.6"))
        #expect(h.run("INCRBYFLOAT", "f", "-5") == R.bulk("5.6"))
        #expect(h.run("SET", "f", "5.0e3") == R.ok)
        #expect(h.run("INCRBYFLOAT", "f", "2.0e2") == R.bulk("5200"))
        #expect(h.run("OBJECT", "ENCODING", "f") == R.bulk("embstr"))
        #expect(h.run("SET", "i", "3") == R.ok)
        #expect(h.run("INCRBYFLOAT", "i", "1.5") == R.bulk("4.5"))
        #expect(h.run("INCRBYFLOAT", "z", "-0") == R.bulk("0"))
        #expect(h.run("INCRBYFLOAT", "f", "abc") == R.notFloat)
        #expect(h.run("INCRBYFLOAT", "f", " 1") == R.notFloat)
        #expect(h.run("INCRBYFLOAT", "f", "nan") == R.notFloat)
        #expect(h.run("INCRBYFLOAT", "f", "inf") == R.err("ERR increment would produce NaN or Infinity"))
        #expect(h.run("SET", "s", "x") == R.ok)
        #expect(h.run("INCRBYFLOAT", "s", "1") == R.notFloat)
        #expect(h.run("SET", "k", "1", "EX", "100") == R.ok)
        #expect(h.run("INCRBYFLOAT", "k", "1.25") == R.bulk("2.25"))
        #expect(h.run("TTL", "k") == R.int(100))
        #expect(h.run("INCRBYFLOAT", "g", "1e3") == R.bulk("1000"))
        // Values far beyond Double's integers print all their digits, as %.17Lf does.
        #expect(h.run("INCRBYFLOAT", "g2", "1e300").hasPrefix("$301\r\n1000000000000000000"))
    }

    @Test func appendStrlenGetrangeSetrange() {
        let h = Harness()
        #expect(h.run("APPEND", "k", "Hello") == R.int(5))
        #expect(h.run("APPEND", "k", " World") == R.int(11))
        #expect(h.run("GET", "k") == R.bulk("Hello World"))
        #expect(h.run("STRLEN", "k") == R.int(11))
        #expect(h.run("STRLEN", "missing") == R.int(0))
        #expect(h.run("SET", "n", "-123") == R.ok)
        #expect(h.run("STRLEN", "n") == R.int(4))
        #expect(h.run("GETRANGE", "k", "0", "4") == R.bulk("Hello"))
        #expect(h.run("GETRANGE", "k", "-5", "-1") == R.bulk("World"))
        #expect(h.run("GETRANGE", "k", "6", "100") == R.bulk("World"))
        #expect(h.run("GETRANGE", "k", "5", "3") == R.bulk(""))
        #expect(h.run("GETRANGE", "k", "-1", "-5") == R.bulk(""))
        #expect(h.run("GETRANGE", "k", "-100", "1") == R.bulk("He"))
        #expect(h.run("SUBSTR", "k", "0", "0") == R.bulk("H"))
        #expect(h.run("GETRANGE", "n", "1", "2") == R.bulk("12"))
        #expect(h.run("GETRANGE", "missing", "0", "-1") == R.bulk(""))
        #expect(h.run("GETRANGE", "k", "a", "1") == R.notInteger)
        #expect(h.run("SETRANGE", "k", "6", "Redis") == R.int(11))
        #expect(h.run("GET", "k") == R.bulk("Hello Redis"))
        #expect(h.run("SETRANGE", "pad", "3", "x") == R.int(4))
        #expect(h.run("GET", "pad") == "$4\r\n\0\0\0x\r\n")
        #expect(h.run("OBJECT", "ENCODING", "pad") == R.bulk("raw"))
        #expect(h.run("SETRANGE", "nothing", "3", "") == R.int(0))
        #expect(h.run("EXISTS", "nothing") == R.int(0))
        #expect(h.run("SETRANGE", "k", "100", "") == R.int(11))
        #expect(h.run("SETRANGE", "k", "-1", "x") == R.err("ERR offset is out of range"))
        #expect(h.run("SETRANGE", "k", "x", "x") == R.notInteger)
        #expect(h.run("SETRANGE", "k", "536870911", "xx") == R.err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"))
        h.limits.maxBulkLength = 12
        #expect(h.run("APPEND", "k", "xx") == R.err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"))
        #expect(h.run("APPEND", "k", "x") == R.int(12))
        h.keyspace.setObject(db: 0, key: Key(UnsafeRawBufferPointer(start: nil, count: 0)), object: FakeHash(), now: h.now)
        #expect(h.run("APPEND", "", "x") == R.wrongType)
        #expect(h.run("STRLEN", "") == R.wrongType)
        #expect(h.run("GETRANGE", "", "0", "1") == R.wrongType)
        #expect(h.run("SETRANGE", "", "0", "1") == R.wrongType)
        #expect(h.run("GET", "") == R.wrongType)
    }

    @Test func encodingsAsRedisReportsThem() {
        let h = Harness()
        h.run("SET", "a", "123")
        h.run("SET", "b", "0123")
        h.run("SET", "c", String(repeating: "x", count: 44))
        h.run("SET", "d", String(repeating: "x", count: 45))
        h.run("SET", "e", "abc")
        h.run("APPEND", "e", "d")
        #expect(h.run("OBJECT", "ENCODING", "a") == R.bulk("int"))
        #expect(h.run("OBJECT", "ENCODING", "b") == R.bulk("embstr"))
        #expect(h.run("OBJECT", "ENCODING", "c") == R.bulk("embstr"))
        #expect(h.run("OBJECT", "ENCODING", "d") == R.bulk("raw"))
        #expect(h.run("OBJECT", "ENCODING", "e") == R.bulk("raw"))
        h.run("APPEND", "new", "123")
        #expect(h.run("OBJECT", "ENCODING", "new") == R.bulk("int"))
    }
}

/// A stand-in non-string value.
final class FakeHash: KeyspaceObject, @unchecked Sendable {
    var valueType: ValueType { .hash }
    var encodingName: String { "listpack" }
    func deepCopy() -> any KeyspaceObject { FakeHash() }
}
