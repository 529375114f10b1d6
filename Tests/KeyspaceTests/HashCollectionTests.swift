import Testing
@testable import Keyspace

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

private extension HashFieldTable {
    func set(_ f: [UInt8], _ v: [UInt8]) -> Bool {
        f.withUnsafeBytes { fb in v.withUnsafeBytes { vb in set(field: fb, value: vb) } }
    }
    func get(_ f: [UInt8]) -> [UInt8]? { f.withUnsafeBytes { value(of: $0).map(Array.init) } }
    func remove(_ f: [UInt8]) -> Bool { f.withUnsafeBytes { remove(field: $0) } }
    func all() -> [[UInt8]: [UInt8]] {
        var d: [[UInt8]: [UInt8]] = [:]
        forEach { d[Array($0.field)] = Array($0.value) }
        return d
    }
}

private func pairs(_ c: HashListpack) -> [(String, String)] {
    c.elements.map { (String(decoding: $0.field, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) }
}

@Suite struct HashCollectionTests {
    @Test func pairCodecRoundTripsEveryLengthClass() {
        let lengths = [0, 1, 14, 15, 16, 127, 128, 300, 16_383, 16_384, 70_000]
        for f in lengths {
            for v in lengths {
                let field = [UInt8](repeating: 0x61, count: f)
                let value = [UInt8](repeating: 0x62, count: v)
                var buffer = [UInt8](repeating: 0, count: f + v + 16)
                let written = buffer.withUnsafeMutableBytes { out in
                    field.withUnsafeBytes { fb in
                        value.withUnsafeBytes { vb in HashPairCodec.writePair(field: fb, value: vb, to: out.baseAddress!) }
                    }
                }
                #expect(written == HashPairCodec.pairSize(fieldLength: f, valueLength: v))
                buffer.withUnsafeBytes { b in
                    var o = 0
                    let (rf, rv) = HashPairCodec.readHeader(b.baseAddress!, &o)
                    #expect(rf == f && rv == v)
                    #expect(o + f + v == written)
                }
            }
        }
        // Both lengths under 15: one byte of overhead.
        #expect(HashPairCodec.pairSize(fieldLength: 6, valueLength: 12) == 19)
    }

    @Test func listpackKeepsInsertionOrderThroughUpdatesAndDeletes() {
        var b = HashListpackBuilder(copying: nil, reserve: 0)
        func set(_ f: String, _ v: String) -> Bool {
            bytes(f).withUnsafeBytes { fb in bytes(v).withUnsafeBytes { vb in b.set(field: fb, value: vb) } }
        }
        func remove(_ f: String) -> Bool { bytes(f).withUnsafeBytes { b.remove(field: $0) } }
        for (f, v) in [("a", "1"), ("b", "2"), ("c", "3")] {
            let inserted = set(f, v)
            #expect(inserted)
        }
        // Grow a value past the one-byte header, shrink another, delete the first.
        let long = String(repeating: "x", count: 200)
        let outcomes = [set("b", long), set("c", ""), remove("a"), remove("zz")]
        #expect(outcomes == [false, false, true, false])
        let sealed = b.sealed()
        #expect(sealed.count == 2)
        #expect(pairs(sealed).map { $0.0 } == ["b", "c"])
        #expect(pairs(sealed)[0].1 == long)
        #expect(pairs(sealed)[1].1 == "")
        // A copy of the sealed bytes reads the same.
        let copy = Array(sealed.bytes)
        copy.withUnsafeBytes { raw in
            let view = HashListpack(raw)
            #expect(view.count == 2)
            #expect(bytes("b").withUnsafeBytes { view.value(of: $0)?.count } == 200)
            #expect(bytes("a").withUnsafeBytes { view.value(of: $0) } == nil)
            #expect(view.pairOffsets().count == 2)
        }
    }

    @Test func listpackCountHeaderGrowsPast127() {
        let encoded = HashListpack.encode((0..<300).map { (bytes("f\($0)"), bytes("v\($0)")) })
        encoded.withUnsafeBytes { raw in
            let view = HashListpack(raw)
            #expect(view.count == 300)
            #expect(view.elements.count == 300)
            #expect(bytes("f299").withUnsafeBytes { view.value(of: $0).map(Array.init) } == bytes("v299"))
        }
    }

    @Test func tableSetGetRemoveThroughGrowthAndShrink() {
        let t = HashFieldTable()
        let n = 20_000
        for i in 0..<n { #expect(t.set(bytes("field:\(i)"), bytes("v\(i)"))) }
        #expect(t.count == n)
        #expect(!t.set(bytes("field:7"), bytes("seven, longer than before")))
        #expect(t.get(bytes("field:7")) == bytes("seven, longer than before"))
        #expect(!t.set(bytes("field:7"), bytes("7")))
        #expect(t.get(bytes("field:7")) == bytes("7"))
        #expect(t.get(bytes("field:\(n)")) == nil)
        for i in stride(from: 0, to: n, by: 1) where i % 100 != 0 { #expect(t.remove(bytes("field:\(i)"))) }
        #expect(!t.remove(bytes("field:1")))
        #expect(t.count == n / 100)
        while t.isRehashing { _ = t.get(bytes("field:0")) }
        #expect(t.bucketCount <= 4 * n / 100)  // shrank
        let all = t.all()
        #expect(all.count == n / 100)
        #expect(all[bytes("field:500")] == bytes("v500"))
    }

    /// While a resize is in progress (fields in two bucket arrays), every operation sees each
    /// field exactly once.
    @Test func operationsDuringIncrementalRehash() {
        let t = HashFieldTable()
        var n = 0
        while !t.isRehashing || n < 2100 {
            _ = t.set(bytes("f\(n)"), bytes("v\(n)"))
            n += 1
        }
        #expect(t.isRehashing)
        var walked = 0
        t.forEach { _ in walked += 1 }
        #expect(walked == n && t.count == n)
        var copy = t.deepCopy() as! HashFieldTable
        #expect(copy.count == n)
        var rng = HashRandom(seed: 3)
        for _ in 0..<200 {
            let node = t.randomNode(&rng)
            #expect(Array(node.value) == bytes("v") + Array(node.field.dropFirst()))
        }
        var scanned: [[UInt8]] = []
        var cursor: UInt64 = 0
        repeat { cursor = t.scan(cursor: cursor) { scanned.append(Array($0.field)) } } while cursor != 0
        #expect(Set(scanned).count == n)
        #expect(t.get(bytes("f0")) == bytes("v0") && t.get(bytes("f\(n - 1)")) == bytes("v\(n - 1)"))
        #expect(t.remove(bytes("f1")) && !t.remove(bytes("f1")))
        while t.isRehashing { _ = t.get(bytes("f2")) }
        #expect(t.count == n - 1 && t.all().count == n - 1)
        copy = HashFieldTable()
        #expect(copy.count == 0)
    }

    @Test func tableDeepCopyIsIndependent() {
        let t = HashFieldTable()
        for i in 0..<100 { _ = t.set(bytes("f\(i)"), bytes("v\(i)")) }
        let c = t.deepCopy() as! HashFieldTable
        _ = t.set(bytes("f1"), bytes("changed"))
        _ = t.remove(bytes("f2"))
        #expect(c.count == 100)
        #expect(c.get(bytes("f1")) == bytes("v1"))
        #expect(c.get(bytes("f2")) == bytes("v2"))
        #expect(c.encodingName == "hashtable" && c.valueType == .hash)
    }

    @Test func tableFromCompactHoldsEveryPair() {
        let encoded = HashListpack.encode((0..<50).map { (bytes("f\($0)"), bytes("v\($0)")) })
        let t = encoded.withUnsafeBytes { HashFieldTable(HashListpack($0)) }
        #expect(t.count == 50)
        #expect(t.get(bytes("f49")) == bytes("v49"))
    }

    /// The HSCAN promise: a field present for the whole walk is returned at least once, while the
    /// table grows and shrinks (by factors of 16) between steps.
    @Test(arguments: [1, 2, 3])
    func scanReturnsStableFieldsDespiteResizes(seed: UInt64) {
        let t = HashFieldTable()
        let stable = (0..<500).map { bytes("stable:\($0)") }
        for f in stable { _ = t.set(f, bytes("v")) }
        var rng = HashRandom(seed: seed)
        var churn: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        var cursor: UInt64 = 0
        var step = 0
        var grew = false
        var shrank = false
        var rehashingSeen = false
        repeat {
            let before = t.main.count
            cursor = t.scan(cursor: cursor) { seen.insert(Array($0.field)) }
            step += 1
            rehashingSeen = rehashingSeen || t.isRehashing
            // Alternate: grow to ~8500 fields, then drain back to the 500 stable ones.
            if (step / 150) % 2 == 0 {
                for j in 0..<50 where churn.count < 8000 {
                    let f = bytes("churn:\(step):\(j)")
                    _ = t.set(f, bytes("x"))
                    churn.append(f)
                }
            } else {
                for _ in 0..<min(60, churn.count) {
                    let k = rng.below(churn.count)
                    _ = t.remove(churn[k])
                    churn.swapAt(k, churn.count - 1)
                    churn.removeLast()
                }
            }
            grew = grew || t.main.count > before
            shrank = shrank || t.main.count < before
        } while cursor != 0 && step < 1_000_000
        #expect(cursor == 0)
        #expect(grew && shrank && rehashingSeen)
        #expect(stable.allSatisfy { seen.contains($0) })
    }

    @Test func scanOfUnchangedTableVisitsEachFieldOnce() {
        let t = HashFieldTable()
        for i in 0..<1000 { _ = t.set(bytes("f\(i)"), bytes("v")) }
        var seen: [[UInt8]] = []
        var cursor: UInt64 = 0
        repeat { cursor = t.scan(cursor: cursor) { seen.append(Array($0.field)) } } while cursor != 0
        #expect(seen.count == 1000 && Set(seen).count == 1000)
    }

    @Test func randomNodesAreMembersAndSpread() {
        let t = HashFieldTable()
        for i in 0..<64 { _ = t.set(bytes("f\(i)"), bytes("v\(i)")) }
        var rng = HashRandom(seed: 42)
        var hits = Set<[UInt8]>()
        for _ in 0..<5000 {
            let n = t.randomNode(&rng)
            #expect(t.get(Array(n.field)) == Array(n.value))
            hits.insert(Array(n.field))
        }
        #expect(hits.count == 64)
    }

    /// The memory target: a 10-field hash (`field0`..`field9`, 12-byte values) under a 13-byte key
    /// is one entry block of 168 bytes (the shared `field` prefix stored once), a 176-byte chunk.
    @Test func tenFieldHashFitsOneSmallChunk() {
        let ks = Keyspace(databases: 1)
        let encoded = HashListpack.encode((0..<10).map { (bytes("field\($0)"), bytes("value-000123")) })
        #expect(encoded.count == 1 + 1 + 5 + 10 * (1 + 1 + 12))
        withKey("hash:00000123") { key in
            encoded.withUnsafeBytes { ks.setCompact(db: 0, key: key, type: .hash, encoding: .listpack, bytes: $0, now: 1) }
        }
        let e = ks.entry("hash:00000123")!
        #expect(e.type == .hash && !e.holdsObject && e.encodingName == "listpack")
        #expect(8 + 13 + encoded.count == 168)
        #if canImport(Glibc)
        #expect(e.allocatedSize <= 168)
        #endif
        // Without a shared prefix a small pair still costs one byte beyond its data.
        let plain = HashListpack.encode([(bytes("name"), bytes("Ada")), (bytes("email"), bytes("ada@example.org"))])
        #expect(plain.count == 1 + (1 + 4 + 3) + (1 + 5 + 1 + 15))
    }

    @Test func sharedPrefixFollowsTheFields() {
        var b = HashListpackBuilder(copying: nil, reserve: 0)
        func set(_ f: String, _ v: String) {
            bytes(f).withUnsafeBytes { fb in bytes(v).withUnsafeBytes { vb in _ = b.set(field: fb, value: vb) } }
        }
        set("user:name", "Ada")
        #expect(b.sealed().prefix.count == 0)  // one field: nothing to share
        set("user:email", "a@b")
        set("user:", "exactly the prefix")
        var view = b.sealed()
        #expect(Array(view.prefix) == bytes("user:"))
        #expect(pairs(view).map { $0.0 } == ["user:name", "user:email", "user:"])
        #expect(bytes("user:").withUnsafeBytes { view.value(of: $0).map(Array.init) } == bytes("exactly the prefix"))
        #expect(bytes("user").withUnsafeBytes { view.value(of: $0) } == nil)  // shorter than the prefix
        #expect(bytes("").withUnsafeBytes { view.value(of: $0) } == nil)
        #expect(bytes("userXname").withUnsafeBytes { view.value(of: $0) } == nil)
        let offsets = view.pairOffsets()
        #expect(view.withElement(at: offsets[1]) { Array($0.field) } == bytes("user:email"))
        // A copy of prefixed bytes expands the fields back; a field without the prefix shortens it.
        let stored = Array(view.bytes)
        stored.withUnsafeBytes { raw in
            var copy = HashListpackBuilder(copying: HashListpack(raw), reserve: 0)
            _ = bytes("usr").withUnsafeBytes { fb in bytes("1").withUnsafeBytes { vb in copy.set(field: fb, value: vb) } }
            let v2 = copy.sealed()
            #expect(Array(v2.prefix) == bytes("us"))
            #expect(pairs(v2).map { $0.0 } == ["user:name", "user:email", "user:", "usr"])
            _ = bytes("usr").withUnsafeBytes { copy.remove(field: $0) }
            #expect(Array(copy.sealed().prefix) == bytes("user:"))
            // Into a table.
            let t = HashFieldTable(copy.sealed())
            #expect(t.get(bytes("user:name")) == bytes("Ada"))
        }
        // Removing all but one drops the prefix.
        _ = bytes("user:email").withUnsafeBytes { b.remove(field: $0) }
        _ = bytes("user:").withUnsafeBytes { b.remove(field: $0) }
        view = b.sealed()
        #expect(view.prefix.count == 0 && view.count == 1)
        #expect(pairs(view)[0] == ("user:name", "Ada"))
    }
}
