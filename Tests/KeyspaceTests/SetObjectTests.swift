import Testing
@testable import Keyspace

@Suite struct SetObjectTests {
    func add(_ s: SetObject, _ text: String) -> Bool { withBytes(text) { s.insert($0) } }
    func has(_ s: SetObject, _ text: String) -> Bool { withBytes(text) { s.contains($0) } }
    func del(_ s: SetObject, _ text: String) -> Bool { withBytes(text) { s.remove($0) } }
    func members(_ s: SetObject) -> [String] {
        var out: [String] = []
        s.forEach { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }

    @Test func insertContainsRemove() {
        let s = SetObject()
        #expect(add(s, "a"))
        #expect(!add(s, "a"))
        #expect(add(s, ""))
        #expect(add(s, String(repeating: "x", count: 300)))
        #expect(s.count == 3)
        #expect(has(s, "a") && has(s, "") && has(s, String(repeating: "x", count: 300)))
        #expect(!has(s, "b"))
        #expect(del(s, "a"))
        #expect(!del(s, "a"))
        #expect(s.count == 2)
        #expect(Set(members(s)) == ["", String(repeating: "x", count: 300)])
        #expect(s.validate())
    }

    @Test func growsShrinksAndKeepsItsInvariants() {
        let s = SetObject()
        for i in 0..<100_000 { #expect(add(s, "element:\(i)")) }
        #expect(s.count == 100_000)
        #expect(s.validate())
        for i in stride(from: 0, to: 100_000, by: 7) { #expect(has(s, "element:\(i)")) }
        #expect(!has(s, "element:100000"))
        for i in 0..<99_990 { #expect(del(s, "element:\(i)")) }
        #expect(s.count == 10)
        #expect(s.validate())
        #expect(s.positionLimit <= 78)
        #expect(Set(members(s)) == Set((99_990..<100_000).map { "element:\($0)" }))
    }

    @Test func randomOperationsMatchAReferenceSet() {
        let s = SetObject()
        var reference = Set<String>()
        var rng = SetRandom(seed: 42)
        for step in 0..<200_000 {
            let m = "m\(rng.below(3_000))"
            if rng.below(3) == 0 {
                #expect(del(s, m) == (reference.remove(m) != nil))
            } else {
                #expect(add(s, m) == reference.insert(m).inserted)
            }
            if step % 20_000 == 0 { #expect(s.validate()) }
        }
        #expect(s.count == reference.count)
        #expect(Set(members(s)) == reference)
        #expect(s.validate())
    }

    @Test func deepCopyIsIndependent() {
        let s = SetObject()
        for i in 0..<1_000 { _ = add(s, "k\(i)") }
        let c = s.deepCopy() as! SetObject
        _ = del(s, "k1")
        _ = add(c, "extra")
        #expect(!has(s, "k1") && has(c, "k1"))
        #expect(has(c, "extra") && !has(s, "extra"))
        #expect(c.count == 1_001 && s.count == 999)
        #expect(c.validate())
    }

    @Test func randomPicksAreFair() {
        let s = SetObject()
        for i in 0..<20 { _ = add(s, "v\(i)") }
        var counts: [String: Int] = [:]
        var rng = SetRandom(seed: 7)
        for _ in 0..<200_000 {
            let m = String(decoding: s.member(at: s.randomPosition(using: &rng)), as: UTF8.self)
            counts[m, default: 0] += 1
        }
        #expect(counts.count == 20)
        // Each expected 10,000; a fair draw stays well within ±8%.
        for (_, n) in counts { #expect(n > 9_200 && n < 10_800) }
    }

    @Test func popUntilEmpty() {
        let s = SetObject()
        for i in 0..<50_000 { _ = add(s, "p\(i)") }
        var rng = SetRandom(seed: 3)
        var seen = Set<String>()
        while s.count > 0 {
            let p = s.randomPosition(using: &rng)
            seen.insert(String(decoding: s.member(at: p), as: UTF8.self))
            s.remove(at: p)
        }
        #expect(seen.count == 50_000)
        #expect(s.validate())
    }

    @Test func scanReturnsEveryStableMemberWhileTheSetGrowsAndShrinks() {
        let s = SetObject()
        for i in 0..<5_000 { _ = add(s, "stable:\(i)") }
        var seen: [String: Int] = [:]
        var cursor: UInt64 = 0
        var step = 0
        var churn = 0
        repeat {
            cursor = s.scan(cursor: cursor, count: 10) { seen[String(decoding: $0, as: UTF8.self), default: 0] += 1 }
            // Grow by a lot, then shrink back, while the scan runs.
            if step % 50 < 25 {
                for _ in 0..<400 { _ = add(s, "churn:\(churn)"); churn += 1 }
            } else {
                var i = churn - 1
                while i >= 0 && s.count > 5_000 { _ = del(s, "churn:\(i)"); i -= 1 }
            }
            step += 1
        } while cursor != 0
        for i in 0..<5_000 { #expect(seen["stable:\(i)"] == 1) }
        #expect(s.validate())
    }

    @Test func scanHonoursCount() {
        let s = SetObject()
        for i in 0..<1_000 { _ = add(s, "\(i)x") }
        var n = 0
        let next = s.scan(cursor: 0, count: 100) { _ in n += 1 }
        #expect(next != 0)
        #expect(n >= 100 && n < 110)
        #expect(s.scan(cursor: 1 << 40, count: 10) { _ in } == 0)
    }

    @Test func memoryPerMemberIsSmall() {
        let s = SetObject()
        for i in 0..<100_000 { _ = add(s, "element:\(i)") }
        // element:NNNNN is 13-14 bytes; Redis's dict costs ~70 bytes per such member.
        #expect(s.allocatedBytes / 100_000 < 40)
    }
}

@Suite struct SetIntsetTests {
    func make(_ values: [Int64]) -> [UInt8] {
        let sorted = Array(Set(values)).sorted()
        return sorted.withUnsafeBufferPointer { add in
            SetIntset.withMerged(UnsafeRawBufferPointer(start: nil, count: 0), adding: add) { Array($0) }
        }
    }

    @Test func widthsFollowTheLargestMember() {
        #expect(make([1, 2, 3]).count == 1 + 3 * 2)
        #expect(make([1, 70_000]).count == 1 + 2 * 4)
        #expect(make([1, Int64.max]).count == 1 + 2 * 8)
        #expect(make([-32768, 32767])[0] == 2)
        #expect(make([-32769])[0] == 4)
    }

    @Test func searchAndMerge() {
        let a = make([5, -3, 100, 7])
        a.withUnsafeBytes { b in
            #expect(SetIntset.count(b) == 4)
            #expect((0..<4).map { SetIntset.value(b, at: $0) } == [-3, 5, 7, 100])
            #expect(SetIntset.contains(b, 7))
            #expect(!SetIntset.contains(b, 6))
            #expect(!SetIntset.contains(b, 1 << 40))
            #expect(SetIntset.search(b, 6).index == 2)
            let merged: [UInt8] = [Int64(6), 1 << 40].withUnsafeBufferPointer { add in
                SetIntset.withMerged(b, adding: add) { Array($0) }
            }
            merged.withUnsafeBytes { m in
                #expect(m[0] == 8)
                #expect((0..<6).map { SetIntset.value(m, at: $0) } == [-3, 5, 6, 7, 100, 1 << 40])
                let removed: [UInt8] = [0, 5].withUnsafeBufferPointer { idx in
                    SetIntset.withRemoved(m, indices: idx) { Array($0) }
                }
                removed.withUnsafeBytes { r in
                    #expect(r[0] == 8)  // never narrows
                    #expect((0..<4).map { SetIntset.value(r, at: $0) } == [5, 6, 7, 100])
                }
            }
        }
    }
}
