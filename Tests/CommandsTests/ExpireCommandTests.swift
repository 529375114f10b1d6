import Testing
import Keyspace
@testable import Commands

@Suite struct ExpireCommandTests {
    @Test func expireFamily() {
        let h = Harness()
        #expect(h.run("EXPIRE", "k", "10") == R.int(0))
        h.run("SET", "k", "v")
        #expect(h.run("TTL", "k") == R.int(-1))
        #expect(h.run("PTTL", "k") == R.int(-1))
        #expect(h.run("EXPIRETIME", "k") == R.int(-1))
        #expect(h.run("TTL", "missing") == R.int(-2))
        #expect(h.run("PEXPIRETIME", "missing") == R.int(-2))
        #expect(h.run("EXPIRE", "k", "10") == R.int(1))
        #expect(h.run("TTL", "k") == R.int(10))
        #expect(h.run("PEXPIRE", "k", "2500") == R.int(1))
        #expect(h.run("PTTL", "k") == R.int(2500))
        #expect(h.run("TTL", "k") == R.int(3))  // rounded
        #expect(h.run("EXPIREAT", "k", "\(h.now / 1000 + 100)") == R.int(1))
        #expect(h.run("EXPIRETIME", "k") == R.int(Int(h.now / 1000 + 100)))
        #expect(h.run("PEXPIREAT", "k", "\(h.now + 1234)") == R.int(1))
        #expect(h.run("PEXPIRETIME", "k") == R.int(Int(h.now + 1234)))
        #expect(h.run("PERSIST", "k") == R.int(1))
        #expect(h.run("PERSIST", "k") == R.int(0))
        #expect(h.run("PERSIST", "missing") == R.int(0))
        #expect(h.run("TTL", "k") == R.int(-1))
        // Time passes.
        h.run("PEXPIRE", "k", "100")
        h.now += 100
        #expect(h.run("PTTL", "k") == R.int(0))
        h.now += 1
        #expect(h.run("PTTL", "k") == R.int(-2))
        #expect(h.run("GET", "k") == R.null)
    }

    @Test func pastTimesDelete() {
        let h = Harness()
        h.run("SET", "k", "v")
        #expect(h.run("EXPIRE", "k", "-1") == R.int(1))
        #expect(h.run("EXISTS", "k") == R.int(0))
        h.run("SET", "k", "v")
        #expect(h.run("PEXPIREAT", "k", "\(h.now)") == R.int(1))  // now counts as past
        #expect(h.run("EXISTS", "k") == R.int(0))
        h.run("SET", "k", "v")
        #expect(h.run("EXPIREAT", "k", "0") == R.int(1))
        #expect(h.run("EXISTS", "k") == R.int(0))
    }

    @Test func conditions() {
        let h = Harness()
        h.run("SET", "k", "v")
        #expect(h.run("EXPIRE", "k", "100", "XX") == R.int(0))
        #expect(h.run("EXPIRE", "k", "100", "GT") == R.int(0))  // no TTL counts as infinite
        #expect(h.run("EXPIRE", "k", "100", "NX") == R.int(1))
        #expect(h.run("EXPIRE", "k", "200", "NX") == R.int(0))
        #expect(h.run("EXPIRE", "k", "200", "XX") == R.int(1))
        #expect(h.run("EXPIRE", "k", "100", "GT") == R.int(0))
        #expect(h.run("EXPIRE", "k", "300", "gt") == R.int(1))
        #expect(h.run("EXPIRE", "k", "400", "LT") == R.int(0))
        #expect(h.run("EXPIRE", "k", "50", "LT") == R.int(1))
        #expect(h.run("TTL", "k") == R.int(50))
        #expect(h.run("EXPIRE", "k", "60", "XX", "GT") == R.int(1))
        h.run("SET", "p", "v")
        #expect(h.run("EXPIRE", "p", "50", "LT") == R.int(1))  // no TTL: LT sets it
    }

    @Test func errors() {
        let h = Harness()
        h.run("SET", "k", "v")
        #expect(h.run("EXPIRE", "k", "10", "NX", "XX") == R.err("ERR NX and XX, GT or LT options at the same time are not compatible"))
        #expect(h.run("EXPIRE", "k", "10", "NX", "GT") == R.err("ERR NX and XX, GT or LT options at the same time are not compatible"))
        #expect(h.run("EXPIRE", "k", "10", "GT", "LT") == R.err("ERR GT and LT options at the same time are not compatible"))
        #expect(h.run("EXPIRE", "k", "10", "FOO") == R.err("ERR Unsupported option FOO"))
        #expect(h.run("EXPIRE", "k", "ten") == R.notInteger)
        #expect(h.run("EXPIRE", "k", "9223372036854776") == R.err("ERR invalid expire time in 'expire' command"))
        #expect(h.run("EXPIRE", "k", "-9223372036854776") == R.err("ERR invalid expire time in 'expire' command"))
        #expect(h.run("PEXPIRE", "k", "9223372036854775807") == R.err("ERR invalid expire time in 'pexpire' command"))
        #expect(h.run("EXPIREAT", "k", "9223372036854776") == R.err("ERR invalid expire time in 'expireat' command"))
        #expect(h.run("PEXPIREAT", "k", "9223372036854775807") == R.int(1))
        #expect(h.run("TTL", "k") == R.int(Int((Int64.max - h.now + 500) / 1000)))
    }
}
