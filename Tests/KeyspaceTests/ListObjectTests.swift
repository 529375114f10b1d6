import Testing
@testable import Keyspace

/// The list deque against a plain array model: every operation, many node limits (tiny nodes
/// force splits, neighbours and whole-node drops), element sizes across all three length forms.
@Suite struct ListObjectTests {
    struct RNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func contents(_ list: ListObject) -> [[UInt8]] {
        var out: [[UInt8]] = []
        list.forEach(from: 0) { out.append(Array($0)); return true }
        return out
    }

    static func reversedContents(_ list: ListObject) -> [[UInt8]] {
        var out: [[UInt8]] = []
        list.forEach(from: list.count - 1, reverse: true) { out.append(Array($0)); return true }
        return out
    }

    func check(_ list: ListObject, _ model: [[UInt8]], _ context: @autoclosure () -> String) {
        #expect(list.invariantViolation() == nil, "\(context())")
        #expect(list.count == model.count, "\(context())")
        #expect(Self.contents(list) == model, "\(context())")
    }

    @Test func pushPopBothEnds() {
        let list = ListObject(fill: -2)
        for i in 0..<10_000 {
            withBytes("v\(i)") { i % 2 == 0 ? list.pushFront($0) : list.pushBack($0) }
        }
        #expect(list.count == 10_000)
        #expect(list.invariantViolation() == nil)
        #expect(list.nodes > 1)
        var popped = 0
        while let _ = list.popFront({ $0.count }) { popped += 1 }
        #expect(popped == 10_000)
        #expect(list.nodes == 0)
    }

    @Test func nodeLimits() {
        #expect(ListNodeLimits(fill: -1).bytes == 4096)
        #expect(ListNodeLimits(fill: -2).bytes == 8192)
        #expect(ListNodeLimits(fill: -5).bytes == 65536)
        #expect(ListNodeLimits(fill: -100).bytes == 65536)
        #expect(ListNodeLimits(fill: Int.min).bytes == 65536)
        #expect(ListNodeLimits(fill: 128).elements == 128)
        #expect(ListNodeLimits(fill: 1 << 20).elements == 32767)
        // Positive fill: one element per node with 1, and the 8 KB safety limit.
        let list = ListObject(fill: 1)
        for i in 0..<5 { withBytes("\(i)") { list.pushBack($0) } }
        #expect(list.nodes == 5)
        let counted = ListObject(fill: 1000)
        let big = [UInt8](repeating: 7, count: 1000)
        for _ in 0..<20 { big.withUnsafeBytes { counted.pushBack($0) } }
        #expect(counted.nodes >= 3)  // 20 KB of elements cannot sit in fewer than three 8 KB nodes
    }

    @Test func lengthFormsRoundTrip() {
        let list = ListObject(fill: -1)
        let sizes = [0, 1, 127, 128, 129, 16383, 16384, 70_000]
        var model: [[UInt8]] = []
        for (i, n) in sizes.enumerated() {
            let value = (0..<n).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            value.withUnsafeBytes { list.pushBack($0) }
            model.append(value)
        }
        check(list, model, "sizes")
        #expect(Self.reversedContents(list) == model.reversed())
        for (i, value) in model.enumerated() { #expect(Array(list.element(at: i)) == value) }
        let copy = list.deepCopy() as! ListObject
        check(copy, model, "copy")
    }

    @Test(arguments: [(-1, 1), (-2, 2), (-5, 3), (1, 4), (2, 5), (3, 6), (0, 7), (5, 8)])
    func randomOperationsMatchArray(fill: Int, seed: UInt64) {
        var rng = RNG(state: seed)
        let list = ListObject(fill: fill)
        var model: [[UInt8]] = []
        func value() -> [UInt8] {
            switch Int.random(in: 0..<20, using: &rng) {
            case 0: return []
            case 1: return [UInt8](repeating: 0x61, count: Int.random(in: 100...300, using: &rng))
            case 2: return [UInt8](repeating: 0x62, count: Int.random(in: 3000...20_000, using: &rng))
            default: return Array("e\(Int.random(in: 0..<12, using: &rng))".utf8)
            }
        }
        // Start from a list spanning many nodes so that the operations meet node edges.
        for _ in 0..<1500 {
            let v = value()
            v.withUnsafeBytes { list.pushBack($0) }
            model.append(v)
        }
        for step in 0..<3000 {
            let op = Int.random(in: 0..<14, using: &rng)
            switch op {
            case 0, 1:
                let v = value()
                v.withUnsafeBytes { list.pushFront($0) }
                model.insert(v, at: 0)
            case 2, 3:
                let v = value()
                v.withUnsafeBytes { list.pushBack($0) }
                model.append(v)
            case 4:
                let got = list.popFront { Array($0) }
                #expect(got == (model.isEmpty ? nil : model.removeFirst()))
            case 5:
                let got = list.popBack { Array($0) }
                #expect(got == (model.isEmpty ? nil : model.removeLast()))
            case 6 where !model.isEmpty:
                let i = Int.random(in: 0..<model.count, using: &rng)
                #expect(Array(list.element(at: i)) == model[i])
            case 7 where !model.isEmpty:
                let i = Int.random(in: 0..<model.count, using: &rng)
                let v = value()
                v.withUnsafeBytes { list.replace(at: i, with: $0) }
                model[i] = v
            case 8 where !model.isEmpty:
                let pivot = model[Int.random(in: 0..<model.count, using: &rng)]
                let after = Bool.random(using: &rng)
                let v = value()
                let p = pivot.withUnsafeBytes { list.firstPosition(of: $0) }
                let index = model.firstIndex(of: pivot)!
                #expect(p != nil)
                v.withUnsafeBytes { list.insert($0, at: p!, after: after) }
                model.insert(v, at: after ? index + 1 : index)
            case 9:
                let k = Int.random(in: 0...4, using: &rng)
                list.removeFirst(k)
                model.removeFirst(min(k, model.count))
            case 10:
                let k = Int.random(in: 0...4, using: &rng)
                list.removeLast(k)
                model.removeLast(min(k, model.count))
            case 11:
                let target = Array("e\(Int.random(in: 0..<12, using: &rng))".utf8)
                let limit = Int.random(in: -3...3, using: &rng)
                let removed = target.withUnsafeBytes {
                    list.removeAll(equalTo: $0, limit: limit == 0 ? nil : abs(limit), fromBack: limit < 0)
                }
                var expected = 0
                if limit >= 0 {
                    var i = 0
                    while i < model.count {
                        if model[i] == target && (limit == 0 || expected < limit) {
                            model.remove(at: i)
                            expected += 1
                        } else {
                            i += 1
                        }
                    }
                } else {
                    var i = model.count - 1
                    while i >= 0 {
                        if model[i] == target && expected < -limit {
                            model.remove(at: i)
                            expected += 1
                        }
                        i -= 1
                    }
                }
                #expect(removed == expected)
            case 12 where !model.isEmpty:
                let start = Int.random(in: 0..<model.count, using: &rng)
                var got: [[UInt8]] = []
                let reverse = Bool.random(using: &rng)
                list.forEach(from: start, reverse: reverse) { got.append(Array($0)); return got.count < 7 }
                let expected = reverse
                    ? Array(model[max(0, start - 6)...start].reversed())
                    : Array(model[start..<min(model.count, start + 7)])
                #expect(got == expected)
            case 13 where step % 200 == 0:
                let copy = list.deepCopy() as! ListObject
                check(copy, model, "copy at step \(step)")
            default:
                break
            }
            if step % 50 == 0 { check(list, model, "fill \(fill) step \(step) op \(op)") }
        }
        check(list, model, "end")
        #expect(Self.reversedContents(list) == model.reversed())
    }

    /// One element per node and every other element removed: the node ring must be swept once,
    /// not shifted per removed node (that would be quadratic).
    @Test func removeAllOnTinyNodesIsLinear() {
        let list = ListObject(fill: 1)
        for i in 0..<100_000 { withBytes(i % 2 == 0 ? "a" : "b\(i)") { list.pushBack($0) } }
        let removed = withBytes("a") { list.removeAll(equalTo: $0, limit: nil, fromBack: false) }
        #expect(removed == 50_000)
        #expect(list.nodes == 50_000)
        #expect(list.invariantViolation() == nil)
        let fromBack = withBytes("b99999") { list.removeAll(equalTo: $0, limit: 1, fromBack: true) }
        #expect(fromBack == 1)
        #expect(list.count == 49_999)
    }

    @Test func ringShrinksWithTheList() {
        let list = ListObject(fill: 1)
        for i in 0..<1000 { withBytes("\(i)") { list.pushBack($0) } }
        #expect(list.ringMask + 1 >= 1000)
        for _ in 0..<990 { _ = list.popFront { _ in () } }
        #expect(list.ringMask + 1 <= 64)
        #expect(Self.contents(list) == (990..<1000).map { Array("\($0)".utf8) })
        for i in 0..<1000 { withBytes(i % 2 == 0 ? "x" : "y") { list.pushFront($0) } }
        _ = withBytes("x") { list.removeAll(equalTo: $0, limit: nil, fromBack: true) }
        #expect(list.count == 510)
        #expect(list.invariantViolation() == nil)
        _ = withBytes("y") { list.removeAll(equalTo: $0, limit: nil, fromBack: false) }
        #expect(list.ringMask + 1 <= 64)
        #expect(Self.contents(list) == (990..<1000).map { Array("\($0)".utf8) })
    }

    @Test func sparseNodesShrink() {
        let list = ListObject(fill: -2)
        for i in 0..<2000 { withBytes(i % 100 == 0 ? "keep" : "drop") { list.pushBack($0) } }
        let before = (0..<list.nodes).map { list.node($0).pointee.capacity }.reduce(0, +)
        _ = withBytes("drop") { list.removeAll(equalTo: $0, limit: nil, fromBack: false) }
        let after = (0..<list.nodes).map { list.node($0).pointee.capacity }.reduce(0, +)
        #expect(list.count == 20)
        #expect(after * 4 < before)
        #expect(list.invariantViolation() == nil)
    }

    @Test func entryReferenceFindsList() {
        let ks = Keyspace(databases: 1)
        let list = ListObject(fill: -2)
        withBytes("x") { list.pushBack($0) }
        withKey("l") { ks.setObject(db: 0, key: $0, object: list, now: 1) }
        withKey("l") { k in
            let e = ks.lookup(db: 0, key: k, now: 1)!
            #expect(e.type == .list)
            #expect(e.listObject === list)
            #expect(e.encodingName == "quicklist")
        }
        ks.set("s", "v")
        #expect(ks.entry("s")?.listObject == nil)
    }
}
