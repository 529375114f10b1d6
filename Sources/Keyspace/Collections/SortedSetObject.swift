/// A large sorted set (OBJECT ENCODING `skiplist`): a skiplist ordered by (score, member) for ranks
/// and ranges, plus a member index for O(1) score lookups. Mutated in place through the entry's
/// reference; the commands decide when to create one (see `zset-max-listpack-entries`).
public final class SortedSetObject: KeyspaceObject {
    @usableFromInline var list: SortedSetSkipList
    @usableFromInline var index: SortedSetIndex

    /// An empty set, its index sized for `capacity` members.
    public init(capacity: Int = 0) {
        list = SortedSetSkipList(seed: 0)
        index = SortedSetIndex(capacity: capacity)
        // Levels only need to be unpredictable enough to stay balanced: the address will do.
        list.random = UInt64(UInt(bitPattern: ObjectIdentifier(self).hashValue)) &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    /// The same elements as a compact set.
    public convenience init(_ compact: CompactSortedSet) {
        self.init(capacity: compact.count)
        beginAppend()
        var offset = compact.startOffset
        while offset < compact.endOffset {
            let e = compact.element(at: offset)
            append(member: e.member, score: e.score)
            offset = e.next
        }
        endAppend()
    }

    deinit {
        list.destroy()
        index.destroy()
    }

    public var valueType: ValueType { .zset }
    public var encodingName: String { "skiplist" }

    public func deepCopy() -> any KeyspaceObject {
        let copy = SortedSetObject(capacity: count)
        copy.beginAppend()
        var x = list.first
        while let n = x {
            copy.append(member: n.member, score: n.score)
            x = n.next
        }
        copy.endAppend()
        return copy
    }

    @inlinable
    public var count: Int { list.length }

    /// Approximate bytes the set occupies: nodes, index, skiplist header.
    public var allocatedBytes: Int {
        list.arena.reservedBytes + (index.mask + 1) * 8 + SortedSetNode.levelsOffset
            + SortedSetSkipList.maxLevel * SortedSetNode.levelSize + 64
    }

    @inlinable
    public var first: SortedSetNode? { list.first }

    @inlinable
    public var last: SortedSetNode? { list.tail }

    // MARK: Members

    @inlinable
    public func node(for member: UnsafeRawBufferPointer) -> SortedSetNode? {
        let slot = index.find(member, hash: SortedSetIndex.hash(member))
        return slot < 0 ? nil : SortedSetIndex.node(index.slots[slot])
    }

    @inlinable
    public func score(of member: UnsafeRawBufferPointer) -> Double? { node(for: member)?.score }

    /// Adds a member that is not present.
    @inlinable
    @discardableResult
    public func insert(member: UnsafeRawBufferPointer, score: Double) -> SortedSetNode {
        let node = list.insert(score: score, member: member)
        index.insert(node, hash: SortedSetIndex.hash(member))
        return node
    }

    /// Changes the score of a present member.
    @inlinable
    public func setScore(_ node: SortedSetNode, to score: Double) {
        list.updateScore(node, to: score)
    }

    /// Removes a member; false if absent.
    @inlinable
    @discardableResult
    public func remove(member: UnsafeRawBufferPointer) -> Bool {
        let slot = index.find(member, hash: SortedSetIndex.hash(member))
        if slot < 0 { return false }
        let node = SortedSetIndex.node(index.slots[slot])
        index.remove(at: slot)
        list.remove(node)
        list.freeNode(node)
        return true
    }

    /// Call after a batch of removals: shrinks the index when it became sparse.
    @inlinable
    public func shrinkIndexIfSparse() { index.shrinkIfSparse() }

    // MARK: Ranks (0-based)

    /// The rank of a present node.
    @inlinable
    public func rank(of node: SortedSetNode) -> Int {
        list.rank(score: node.score, member: node.member) - 1
    }

    @inlinable
    public func node(at rank: Int) -> SortedSetNode? {
        rank < 0 || rank >= count ? nil : list.node(atRank: rank + 1)
    }

    /// Removes `n` elements from rank `start` on; returns how many went.
    @discardableResult
    public func removeRange(from start: Int, count n: Int) -> Int {
        guard n > 0, start >= 0, start < count else { return 0 }
        var x = list.findPredecessors(ofRank: start + 1)
        var removed = 0
        while let node = x, removed < n {
            x = node.next
            list.unlink(node)
            let slot = index.find(node.member, hash: SortedSetIndex.hash(node.member))
            index.remove(at: slot)
            list.freeNode(node)
            removed += 1
        }
        index.shrinkIfSparse()
        return removed
    }

    // MARK: Ranges, as ranks (0-based, inclusive)

    public func firstIndex(in range: SortedSetScoreRange) -> Int? {
        if range.isEmpty { return nil }
        guard let (node, rank) = list.firstAbove(range), range.belowMax(node.score) else { return nil }
        return rank - 1
    }

    public func lastIndex(in range: SortedSetScoreRange) -> Int? {
        if range.isEmpty { return nil }
        guard let (node, rank) = list.lastBelow(range), range.aboveMin(node.score) else { return nil }
        return rank - 1
    }

    /// Redis's `zslIsInLexRange`.
    func mayHold(_ range: SortedSetLexRange) -> Bool {
        guard !range.isEmpty, let first = list.first, let last = list.tail else { return false }
        return range.aboveMin(last.member) && range.belowMax(first.member)
    }

    /// The forward run Redis walks for a lex range (first member above min, then while below max),
    /// stopping after `limit` elements. Returns (first rank, length).
    public func forwardLexRun(_ range: SortedSetLexRange, limit: Int = Int.max) -> (first: Int, count: Int)? {
        guard mayHold(range), let (node, rank) = list.firstAbove(range) else { return nil }
        var n = 0
        var x: SortedSetNode? = node
        while let y = x, n < limit, range.belowMax(y.member) {
            n += 1
            x = y.next
        }
        return n == 0 ? nil : (rank - 1, n)
    }

    /// The backward run: last member below max, then back while above min. Returns (last rank, length).
    public func backwardLexRun(_ range: SortedSetLexRange, limit: Int = Int.max) -> (last: Int, count: Int)? {
        guard mayHold(range), let (node, rank) = list.lastBelow(range) else { return nil }
        var n = 0
        var x: SortedSetNode? = node
        while let y = x, n < limit, range.aboveMin(y.member) {
            n += 1
            x = y.previous
        }
        return n == 0 ? nil : (rank - 1, n)
    }

    /// ZLEXCOUNT: rank distance between the first and last members in range, as Redis computes it.
    public func lexCount(_ range: SortedSetLexRange) -> Int {
        guard mayHold(range), let (first, firstRank) = list.firstAbove(range), range.belowMax(first.member)
        else { return 0 }
        var n = count - (firstRank - 1)
        if let (last, lastRank) = list.lastBelow(range), range.aboveMin(last.member) { n -= count - lastRank }
        return n
    }

    // MARK: Building from sorted input

    /// Starts filling an empty set with members in ascending (score, member) order.
    public func beginAppend() { list.beginAppend() }

    /// Adds the next member of a sorted, duplicate-free sequence.
    public func append(member: UnsafeRawBufferPointer, score: Double) {
        let node = list.makeNode(score: score, member: member)
        list.append(node)
        index.insert(node, hash: SortedSetIndex.hash(member))
    }

    public func endAppend() { list.endAppend() }

    // MARK: Scanning

    /// One ZSCAN step over the members of one home bucket; returns the next cursor (0: done).
    public func scan(cursor: UInt64, _ body: (SortedSetNode) -> Void) -> UInt64 {
        index.scan(cursor: cursor, body)
    }
}

extension EntryRef {
    /// The skiplist object of a sorted set entry, nil when the set is compact. Only sorted set
    /// entries may ask (a zset object is always a `SortedSetObject`, so no dynamic cast is needed).
    @inlinable
    public var sortedSetObject: SortedSetObject? {
        if !holdsObject { return nil }
        let raw = pointer.loadUnaligned(fromByteOffset: valueOffset, as: UnsafeRawPointer.self)
        return Unmanaged<SortedSetObject>.fromOpaque(raw).takeUnretainedValue()
    }
}
