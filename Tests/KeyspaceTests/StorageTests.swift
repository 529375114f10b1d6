import Testing
@testable import Keyspace

@Suite struct StorageTests {
    @Test func setGetOverwriteDelete() {
        let ks = Keyspace(databases: 2)
        #expect(ks.get("a") == nil)
        ks.set("a", "hello")
        #expect(ks.get("a") == "hello")
        ks.set("a", "a much longer value than before, crossing sizes")
        #expect(ks.get("a") == "a much longer value than before, crossing sizes")
        ks.set("a", "x")
        #expect(ks.get("a") == "x")
        #expect(ks.get("a", db: 1) == nil)
        #expect(ks.keyCount(db: 0) == 1)
        #expect(ks.del("a"))
        #expect(!ks.del("a"))
        #expect(ks.get("a") == nil)
        #expect(ks.keyCount(db: 0) == 0)
        #expect(ks.checkInvariants())
    }

    @Test func binaryAndEmptyKeysAndValues() {
        let ks = Keyspace()
        let k: [UInt8] = [0, 1, 0, 255, 10, 13]
        let v: [UInt8] = [0, 0, 0, 7, 255]
        ks.set(k, v)
        #expect(ks.get(k) == v)
        ks.set([], [])
        #expect(ks.get([]) == [])
        ks.set([], [1, 2])
        #expect(ks.get([]) == [1, 2])
        #expect(ks.keyCount(db: 0) == 2)
        #expect(ks.checkInvariants())
    }

    @Test func longKeysAndValuesUseExtendedLengths() {
        let ks = Keyspace()
        let longKey = [UInt8](repeating: 0x6B, count: 300)
        let bigValue = (0..<70_000).map { UInt8(truncatingIfNeeded: $0) }
        ks.set(longKey, [1, 2, 3])
        #expect(ks.get(longKey) == [1, 2, 3])
        ks.set(longKey, bigValue)
        #expect(ks.get(longKey) == bigValue)
        ks.set("short", "v")
        ks.set(Array("short".utf8), bigValue)
        #expect(ks.get(Array("short".utf8)) == bigValue)
        ks.set("short", "back to small")
        #expect(ks.get("short") == "back to small")
        #expect(ks.checkInvariants())
    }

    @Test func stringEncodings() {
        let ks = Keyspace()
        ks.set("i", "12345")
        #expect(ks.entry("i")?.stringEncoding == .int)
        #expect(ks.entry("i")?.integerValue == 12345)
        #expect(ks.get("i") == "12345")
        #expect(ks.entry("i")?.stringLength == 5)
        ks.set("n", "-9223372036854775808")
        #expect(ks.entry("n")?.stringEncoding == .int)
        #expect(ks.get("n") == "-9223372036854775808")
        for text in ["012", "-0", "+1", " 1", "1 ", "9223372036854775808", "1.5", ""] {
            ks.set("s", text)
            #expect(ks.entry("s")?.stringEncoding == .embstr, "\(text)")
            #expect(ks.get("s") == text)
        }
        ks.set("e", String(repeating: "x", count: 44))
        #expect(ks.entry("e")?.stringEncoding == .embstr)
        ks.set("r", String(repeating: "x", count: 45))
        #expect(ks.entry("r")?.stringEncoding == .raw)
        ks.set(Array("f".utf8), Array("1".utf8), encoding: .noInteger)
        #expect(ks.entry("f")?.stringEncoding == .embstr)
    }

    @Test func integerInPlaceUpdate() {
        let ks = Keyspace()
        ks.set("c", "41")
        let e = ks.entry("c")!
        e.setIntegerValue(42)
        #expect(ks.get("c") == "42")
        withKey("c") { k in ks.setInteger(db: 0, key: k, value: -7, keepTTL: true, now: 1_000) }
        #expect(ks.get("c") == "-7")
    }

    @Test func appendAndSetRange() {
        let ks = Keyspace()
        let n = withKey("a") { k in withBytes("hello") { ks.append(db: 0, key: k, bytes: $0, now: 1) } }
        #expect(n == 5)
        #expect(ks.entry("a")?.stringEncoding == .embstr)
        for i in 0..<2_000 {
            _ = withKey("a") { k in withBytes("\(i % 10)") { ks.append(db: 0, key: k, bytes: $0, now: 1) } }
        }
        let expected = "hello" + (0..<2_000).map { "\($0 % 10)" }.joined()
        #expect(ks.get("a") == expected)
        #expect(ks.entry("a")?.stringEncoding == .raw)
        // Appending to an integer turns it into raw text.
        ks.set("i", "12")
        _ = withKey("i") { k in withBytes("3") { ks.append(db: 0, key: k, bytes: $0, now: 1) } }
        #expect(ks.get("i") == "123")
        #expect(ks.entry("i")?.stringEncoding == .raw)
        // SETRANGE pads with zeros, and crosses into extended lengths.
        let len = withKey("r") { k in withBytes("xy") { ks.setRange(db: 0, key: k, offset: 3, bytes: $0, now: 1) } }
        #expect(len == 5)
        #expect(ks.get(Array("r".utf8)) == [0, 0, 0, 0x78, 0x79])
        let len2 = withKey("r") { k in withBytes("Z") { ks.setRange(db: 0, key: k, offset: 70_000, bytes: $0, now: 1) } }
        #expect(len2 == 70_001)
        let v = ks.get(Array("r".utf8))!
        #expect(v.count == 70_001 && v[3] == 0x78 && v[70_000] == 0x5A && v[69_999] == 0)
        // Writing nothing changes nothing.
        let len3 = withKey("none") { k in withBytes("") { ks.setRange(db: 0, key: k, offset: 10, bytes: $0, now: 1) } }
        #expect(len3 == 0)
        #expect(ks.get("none") == nil)
        #expect(ks.checkInvariants())
    }

    @Test func expiryFieldsRoundTrip() {
        let ks = Keyspace()
        ks.set("k", "value")
        #expect(ks.entry("k")?.expireAt == nil)
        withKey("k") { k in #expect(ks.setExpire(db: 0, key: k, at: 50_000, now: 1_000)) }
        #expect(ks.entry("k")?.expireAt == 50_000)
        #expect(ks.get("k") == "value")
        #expect(ks.expiringKeyCount(db: 0) == 1)
        withKey("k") { k in #expect(ks.setExpire(db: 0, key: k, at: 60_000, now: 1_000)) }
        #expect(ks.entry("k")?.expireAt == 60_000)
        #expect(ks.expiringKeyCount(db: 0) == 1)
        // SET without KEEPTTL drops it, with KEEPTTL keeps it.
        ks.set("k", "v2", keepTTL: true)
        #expect(ks.entry("k")?.expireAt == 60_000)
        ks.set("k", "v3")
        #expect(ks.entry("k")?.expireAt == nil)
        #expect(ks.expiringKeyCount(db: 0) == 0)
        ks.set("k", "v4", expireAt: 70_000)
        #expect(ks.entry("k")?.expireAt == 70_000)
        withKey("k") { k in #expect(ks.removeExpire(db: 0, key: k, now: 1_000)) }
        withKey("k") { k in #expect(!ks.removeExpire(db: 0, key: k, now: 1_000)) }
        #expect(ks.entry("k")?.expireAt == nil)
        #expect(ks.get("k") == "v4")
        #expect(ks.checkInvariants())
    }

    @Test func renameCopyMove() {
        let ks = Keyspace(databases: 2)
        ks.set("src", "v", expireAt: 99_000)
        let r = withKey("src") { s in withKey("dst") { d in ks.rename(db: 0, from: s, to: d, onlyIfAbsent: false, now: 1_000) } }
        #expect(r == .renamed)
        #expect(ks.get("src") == nil)
        #expect(ks.get("dst") == "v")
        #expect(ks.entry("dst")?.expireAt == 99_000)
        #expect(ks.expiringKeyCount(db: 0) == 1)
        ks.set("other", "o")
        let nx = withKey("other") { s in withKey("dst") { d in ks.rename(db: 0, from: s, to: d, onlyIfAbsent: true, now: 1_000) } }
        #expect(nx == .destinationExists)
        let missing = withKey("nope") { s in withKey("dst") { d in ks.rename(db: 0, from: s, to: d, onlyIfAbsent: false, now: 1_000) } }
        #expect(missing == .noSuchKey)
        let copied = withKey("dst") { s in withKey("copy") { d in ks.copy(db: 0, key: s, toDatabase: 1, key: d, replace: false, now: 1_000) } }
        #expect(copied)
        #expect(ks.get("copy", db: 1) == "v")
        #expect(ks.entry("copy", db: 1)?.expireAt == 99_000)
        let again = withKey("dst") { s in withKey("copy") { d in ks.copy(db: 0, key: s, toDatabase: 1, key: d, replace: false, now: 1_000) } }
        #expect(!again)
        let moved = withKey("other") { k in ks.move(db: 0, key: k, toDatabase: 1, now: 1_000) }
        #expect(moved)
        #expect(ks.get("other") == nil && ks.get("other", db: 1) == "o")
        #expect(ks.checkInvariants())
    }

    @Test func objectsAreRetainedCopiedAndReleased() {
        let counter = LiveCounter()
        do {
            let ks = Keyspace(databases: 2)
            withKey("l") { k in ks.setObject(db: 0, key: k, object: TestList(["a", "b"], counter: counter), now: 1) }
            #expect(counter.count == 1)
            let e = ks.entry("l")!
            #expect(e.type == .list && !e.isString)
            #expect(e.encodingName == "listpack")
            #expect(e.object(as: TestList.self)?.items == ["a", "b"])
            let c = withKey("l") { s in withKey("l2") { d in ks.copy(db: 0, key: s, toDatabase: 0, key: d, replace: false, now: 1) } }
            #expect(c && counter.count == 2)
            ks.entry("l2")!.object(as: TestList.self)!.items.append("c")
            #expect(ks.entry("l")!.object(as: TestList.self)!.items == ["a", "b"])
            let r = withKey("l2") { s in withKey("l3") { d in ks.rename(db: 0, from: s, to: d, onlyIfAbsent: false, now: 1) } }
            #expect(r == .renamed && counter.count == 2)
            // Overwriting with a string releases the object.
            ks.set("l3", "now a string")
            #expect(counter.count == 1)
            withKey("x") { k in ks.setObject(db: 1, key: k, object: TestList([], counter: counter), now: 1) }
            #expect(counter.count == 2)
            #expect(ks.del("l"))
            #expect(counter.count == 1)
        }
        // deinit releases the rest.
        #expect(counter.count == 0)
    }

    @Test func flushAndSwap() {
        let counter = LiveCounter()
        let ks = Keyspace(databases: 3)
        for i in 0..<500 { ks.set("k\(i)", "v\(i)", db: 1) }
        ks.set("a", "b", db: 2, expireAt: 10_000)
        withKey("o") { k in ks.setObject(db: 1, key: k, object: TestList([], counter: counter), now: 1) }
        ks.swapDatabases(1, 2)
        #expect(ks.keyCount(db: 2) == 501)
        #expect(ks.keyCount(db: 1) == 1)
        #expect(ks.get("a", db: 1) == "b")
        #expect(ks.expiringKeyCount(db: 1) == 1)
        #expect(ks.flush(db: 2) == 501)
        #expect(counter.count == 0)
        #expect(ks.keyCount(db: 2) == 0)
        #expect(ks.flushAll() == 1)
        #expect(ks.keyCount(db: 1) == 0)
        #expect(ks.expiringKeyCount(db: 1) == 0)
        ks.set("again", "works", db: 2)
        #expect(ks.get("again", db: 2) == "works")
        #expect(ks.checkInvariants())
    }

    @Test func lruAndLfuTracking() {
        let ks = Keyspace()
        ks.set("k", "v", now: 10_000)
        #expect(ks.idleTimeSeconds(ks.entry("k", now: 10_000)!, now: 25_000) == 15)
        _ = ks.get("k", now: 20_000)  // touches
        #expect(ks.idleTimeSeconds(ks.entry("k")!, now: 25_000) == 5)
        ks.maxmemoryPolicyIsLFU = true
        ks.set("f", "v", now: 60_000)
        #expect(ks.accessFrequency(ks.entry("f")!, now: 60_000) == 5)
        for _ in 0..<1_000 { _ = ks.get("f", now: 60_000) }
        let hot = ks.accessFrequency(ks.entry("f")!, now: 60_000)
        #expect(hot > 10 && hot < 40)
        // Decays by one per minute idle.
        #expect(ks.accessFrequency(ks.entry("f")!, now: 60_000 + 3 * 60_000) == hot - 3)
        #expect(ks.objectRefCount(ks.entry("k")!) == 1)
        ks.set("n", "100")
        #expect(ks.objectRefCount(ks.entry("n")!) == Int(Int32.max))
    }

    @Test func bigSingleSlotTableUsesFullHash() {
        // One hash tag: all keys in one slot, past the 2^17-position threshold.
        let ks = Keyspace(databases: 1)
        let n = 150_000
        for i in 0..<n { ks.set("{t}\(i)", "\(i)") }
        withKey("{t}0") { k in #expect(ks.keyCount(db: 0, slot: k.slot) == n) }
        #expect(ks.databases[0].shards[withKey("{t}0") { $0.slot }].capacity > UInt32(ShardTable.largeCapacity))
        for i in stride(from: 0, to: n, by: 3) { #expect(ks.del("{t}\(i)")) }
        for i in 0..<n {
            let v = ks.get("{t}\(i)")
            if i % 3 == 0 { #expect(v == nil) } else if v != "\(i)" { Issue.record("lost {t}\(i)"); break }
        }
        #expect(ks.checkInvariants())
    }
}
