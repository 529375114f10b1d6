import Testing
@testable import Keyspace

/// The skiplist + index object and the compact form, checked against a sorted-array model under
/// random operations.
@Suite struct SortedSetStructureTests {
    struct Model {
        var items: [(score: Double, member: [UInt8])] = []

        static func less(_ a: (score: Double, member: [UInt8]), _ b: (score: Double, member: [UInt8])) -> Bool {
            a.score < b.score || (a.score == b.score && a.member.lexicographicallyPrecedes(b.member))
        }

        mutating func insert(_ member: [UInt8], _ score: Double) {
            items.append((score, member))
            items.sort(by: Model.less)
        }

        mutating func remove(_ member: [UInt8]) { items.removeAll { $0.member == member } }
        func index(of member: [UInt8]) -> Int? { items.firstIndex { $0.member == member } }
    }

    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func member(_ i: Int) -> [UInt8] { Array("m\(i)".utf8) }

    func check(_ o: SortedSetObject, _ model: Model) {
        #expect(o.count == model.items.count)
        var x = o.first
        var i = 0
        var previous: SortedSetNode? = nil
        while let n = x {
            #expect(Array(n.member) == model.items[i].member)
            #expect(n.score == model.items[i].score)
            #expect(n.previous == previous)
            previous = n
            x = n.next
            i += 1
        }
        #expect(i == model.items.count)
        #expect(o.last == previous)
        var bytes = 0
        x = o.first
        while let n = x {
            bytes += n.allocationSize
            x = n.next
        }
        #expect(o.allocatedBytes >= bytes)
        for (r, item) in model.items.enumerated() {
            let node = item.member.withUnsafeBytes { o.node(for: $0) }
            #expect(node != nil)
            if let node { #expect(o.rank(of: node) == r) }
            #expect(o.node(at: r).map { Array($0.member) } == item.member)
        }
    }

    @Test func randomOperationsMatchModel() {
        var rng = Rng(state: 0x1234_5678_9abc_def1)
        let o = SortedSetObject()
        var model = Model()
        for step in 0..<4000 {
            let m = SortedSetStructureTests.member(rng.below(300))
            let score = Double(rng.below(40)) - 20
            switch rng.below(4) {
            case 0, 1:
                let present = m.withUnsafeBytes { o.node(for: $0) }
                if let present {
                    m.withUnsafeBytes { _ in o.setScore(present, to: score) }
                    model.remove(m)
                    model.insert(m, score)
                } else {
                    m.withUnsafeBytes { _ = o.insert(member: $0, score: score) }
                    model.insert(m, score)
                }
            case 2:
                let removed = m.withUnsafeBytes { o.remove(member: $0) }
                #expect(removed == (model.index(of: m) != nil))
                model.remove(m)
            default:
                if model.items.count > 10 && rng.below(10) == 0 {
                    let start = rng.below(model.items.count)
                    let n = rng.below(5) + 1
                    let removed = o.removeRange(from: start, count: n)
                    let expected = min(n, model.items.count - start)
                    #expect(removed == expected)
                    model.items.removeSubrange(start..<(start + expected))
                }
            }
            if step % 500 == 0 { check(o, model) }
        }
        check(o, model)

        // Score ranges.
        for _ in 0..<200 {
            let a = Double(rng.below(50)) - 25
            let b = Double(rng.below(50)) - 25
            let range = SortedSetScoreRange(min: a, max: b, minExclusive: rng.below(2) == 0, maxExclusive: rng.below(2) == 0)
            let inRange = model.items.indices.filter { range.contains(model.items[$0].score) }
            #expect(o.firstIndex(in: range) == inRange.first)
            #expect(o.lastIndex(in: range) == inRange.last)
        }

        let copy = o.deepCopy() as! SortedSetObject
        check(copy, model)
    }

    @Test func lexRangesOnEqualScores() {
        let o = SortedSetObject()
        let letters = (0..<26).map { [UInt8(ascii: "a") + UInt8($0)] }
        for l in letters.shuffled() { l.withUnsafeBytes { _ = o.insert(member: $0, score: 0) } }
        let c = Array("c".utf8)
        let f = Array("f".utf8)
        c.withUnsafeBytes { cb in
            f.withUnsafeBytes { fb in
                let closed = SortedSetLexRange(min: .value(cb, exclusive: false), max: .value(fb, exclusive: false))
                #expect(o.forwardLexRun(closed)! == (2, 4))
                #expect(o.backwardLexRun(closed)! == (5, 4))
                #expect(o.lexCount(closed) == 4)
                let open = SortedSetLexRange(min: .value(cb, exclusive: true), max: .value(fb, exclusive: true))
                #expect(o.forwardLexRun(open)! == (3, 2))
                #expect(o.lexCount(open) == 2)
                let all = SortedSetLexRange(min: .minusInfinity, max: .plusInfinity)
                #expect(o.forwardLexRun(all)! == (0, 26))
                #expect(o.forwardLexRun(all, limit: 3)! == (0, 3))
                let none = SortedSetLexRange(min: .value(fb, exclusive: false), max: .value(cb, exclusive: false))
                #expect(o.forwardLexRun(none) == nil)
                #expect(o.lexCount(none) == 0)
            }
        }
    }

    @Test func appendBuildsTheSameListAsInsert() {
        var model = Model()
        for i in 0..<1000 { model.insert(SortedSetStructureTests.member(i), Double(i % 37)) }
        let o = SortedSetObject()
        o.beginAppend()
        for item in model.items { item.member.withUnsafeBytes { o.append(member: $0, score: item.score) } }
        o.endAppend()
        check(o, model)
        // And it keeps working as a normal skiplist afterwards.
        for i in 1000..<1100 {
            let m = SortedSetStructureTests.member(i)
            m.withUnsafeBytes { _ = o.insert(member: $0, score: 3.5) }
            model.insert(m, 3.5)
        }
        check(o, model)
    }

    @Test func largeMembersLiveOutsideTheArena() {
        var model = Model()
        let o = SortedSetObject()
        for i in 0..<200 {
            let m = [UInt8](repeating: UInt8(65 + i % 26), count: i % 3 == 0 ? 700 : 10) + Array("\(i)".utf8)
            m.withUnsafeBytes { _ = o.insert(member: $0, score: Double(i % 7)) }
            model.insert(m, Double(i % 7))
        }
        for i in stride(from: 0, to: 200, by: 2) {
            let m = [UInt8](repeating: UInt8(65 + i % 26), count: i % 3 == 0 ? 700 : 10) + Array("\(i)".utf8)
            _ = m.withUnsafeBytes { o.remove(member: $0) }
            model.remove(m)
        }
        check(o, model)
        #expect(o.list.arena.largeNodes == model.items.filter { $0.member.count > 500 }.count)
    }

    @Test func scanVisitsEveryMemberAcrossResizes() {
        let o = SortedSetObject()
        for i in 0..<500 { SortedSetStructureTests.member(i).withUnsafeBytes { _ = o.insert(member: $0, score: Double(i)) } }
        var seen = Set<[UInt8]>()
        var cursor: UInt64 = 0
        var steps = 0
        repeat {
            cursor = o.scan(cursor: cursor) { seen.insert(Array($0.member)) }
            steps += 1
            // Grow the table mid-scan: members present throughout must still all be seen.
            if steps == 100 {
                for i in 500..<3000 { SortedSetStructureTests.member(i).withUnsafeBytes { _ = o.insert(member: $0, score: 0) } }
            }
        } while cursor != 0
        for i in 0..<500 { #expect(seen.contains(SortedSetStructureTests.member(i))) }

        // Shrink mid-scan as well.
        seen.removeAll()
        cursor = 0
        steps = 0
        repeat {
            cursor = o.scan(cursor: cursor) { seen.insert(Array($0.member)) }
            steps += 1
            if steps == 50 { o.removeRange(from: 0, count: 2900) }
        } while cursor != 0
        var x = o.first
        while let n = x {
            #expect(seen.contains(Array(n.member)))
            x = n.next
        }
    }

    @Test func compactBufferKeepsOrderAndCount() {
        var rng = Rng(state: 99)
        var buffer = CompactSortedSetBuffer()
        defer { buffer.deallocate() }
        var model = Model()
        for _ in 0..<2000 {
            let m = SortedSetStructureTests.member(rng.below(60))
            let score = Double(rng.below(10))
            m.withUnsafeBytes { mb in
                if let found = buffer.view.find(mb) {
                    buffer.remove(at: found.offset)
                    model.remove(m)
                    if rng.below(2) == 0 {
                        buffer.insert(score: score, member: mb)
                        model.insert(m, score)
                    }
                } else {
                    buffer.insert(score: score, member: mb)
                    model.insert(m, score)
                }
            }
        }
        let v = buffer.view
        #expect(v.count == model.items.count)
        var offset = v.startOffset
        for item in model.items {
            let e = v.element(at: offset)
            #expect(Array(e.member) == item.member)
            #expect(e.score == item.score)
            offset = e.next
        }
        #expect(offset == v.endOffset)
        // Long members use the 5-byte length.
        let long = [UInt8](repeating: 120, count: 300)
        long.withUnsafeBytes { buffer.insert(score: 100, member: $0) }
        let last = buffer.view.element(at: buffer.view.offset(ofIndex: buffer.count - 1))
        #expect(Array(last.member) == long)
        // Conversion keeps everything.
        let o = SortedSetObject(buffer.view)
        #expect(o.count == buffer.count)
    }

    @Test func negativeZeroIsStoredAsZeroInCompactForm() {
        var buffer = CompactSortedSetBuffer()
        defer { buffer.deallocate() }
        Array("a".utf8).withUnsafeBytes { buffer.insert(score: -0.0, member: $0) }
        let e = buffer.view.element(at: buffer.view.startOffset)
        #expect(e.score == 0 && e.score.sign == .plus)
    }
}
