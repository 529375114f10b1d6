/// Members with scores gathered by ZUNION / ZINTER / ZDIFF before the result is ordered: a member
/// index over unlinked nodes (the accumulator owns them), so each member is copied once and found
/// in O(1) while scores aggregate.
public final class SortedSetAccumulator {
    @usableFromInline var index: SortedSetIndex

    public init(capacity: Int = 0) {
        index = SortedSetIndex(capacity: capacity)
    }

    deinit {
        for i in 0...index.mask where index.slots[i] != 0 {
            SortedSetIndex.node(index.slots[i]).deallocate()
        }
        index.destroy()
    }

    @inlinable
    public var count: Int { index.count }

    @inlinable
    public func find(_ member: UnsafeRawBufferPointer) -> SortedSetNode? {
        let slot = index.find(member, hash: SortedSetIndex.hash(member))
        return slot < 0 ? nil : SortedSetIndex.node(index.slots[slot])
    }

    /// Adds a member that is not present.
    @inlinable
    public func add(_ member: UnsafeRawBufferPointer, score: Double) {
        let node = SortedSetNode.allocate(levels: 0, score: score, member: member)
        index.insert(node, hash: SortedSetIndex.hash(member))
    }

    @inlinable
    public func setScore(_ node: SortedSetNode, _ score: Double) { node.score = score }

    /// The members in ascending (score, member) order; valid while the accumulator lives.
    public func sorted() -> [SortedSetNode] {
        var nodes: [SortedSetNode] = []
        nodes.reserveCapacity(index.count)
        for i in 0...index.mask where index.slots[i] != 0 { nodes.append(SortedSetIndex.node(index.slots[i])) }
        nodes.sort { a, b in
            let sa = a.score
            let sb = b.score
            return sa < sb || (sa == sb && SortedSetBytes.compare(a.member, b.member) < 0)
        }
        return nodes
    }
}
