#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One skiplist node: a single malloc block that also holds the member, so an element costs one
/// allocation (Redis needs three: node, sds, dict entry).
///
/// ```
/// [score: Float64][backward: pointer][meta: UInt64 = memberLength << 8 | levels]
/// [levels × (forward: pointer, span: Int)][member bytes]
/// ```
public struct SortedSetNode: Equatable {
    public let raw: UnsafeMutableRawPointer

    @inlinable @inline(__always)
    init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }

    @usableFromInline static let levelsOffset = 24
    @usableFromInline static let levelSize = 16

    /// Bytes a node with `levels` levels and a member of `memberLength` bytes needs.
    @inlinable @inline(__always)
    static func size(levels: Int, memberLength: Int) -> Int { levelsOffset &+ levels &* levelSize &+ memberLength }

    /// A node in its own malloc block (the skiplist header, accumulators).
    @inlinable
    static func allocate(levels: Int, score: Double, member: UnsafeRawBufferPointer) -> SortedSetNode {
        let p = malloc(size(levels: levels, memberLength: member.count)).unsafelyUnwrapped
        return initialize(p, levels: levels, score: score, member: member)
    }

    /// Writes a node into `p` (at least `size(levels:memberLength:)` bytes).
    @inlinable
    static func initialize(_ p: UnsafeMutableRawPointer, levels: Int, score: Double, member: UnsafeRawBufferPointer)
        -> SortedSetNode
    {
        let n = member.count
        p.storeBytes(of: score, as: Double.self)
        p.storeBytes(of: nil, toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
        p.storeBytes(of: UInt64(n) << 8 | UInt64(levels), toByteOffset: 16, as: UInt64.self)
        if n > 0 {
            (p + levelsOffset + levels * levelSize).copyMemory(from: member.baseAddress!, byteCount: n)
        }
        return SortedSetNode(p)
    }

    /// Frees a node made by `allocate`.
    @inlinable
    func deallocate() { free(raw) }

    /// Bytes requested for this node.
    @inlinable
    var allocationSize: Int {
        let meta = raw.load(fromByteOffset: 16, as: UInt64.self)
        return SortedSetNode.levelsOffset &+ Int(truncatingIfNeeded: meta & 0xFF) &* SortedSetNode.levelSize
            &+ Int(truncatingIfNeeded: meta >> 8)
    }

    public internal(set) var score: Double {
        @inlinable @inline(__always) get { raw.load(as: Double.self) }
        @inlinable @inline(__always) nonmutating set { raw.storeBytes(of: newValue, as: Double.self) }
    }

    @inlinable @inline(__always)
    var backward: SortedSetNode? {
        get { raw.load(fromByteOffset: 8, as: UnsafeMutableRawPointer?.self).map(SortedSetNode.init) }
        nonmutating set { raw.storeBytes(of: newValue?.raw, toByteOffset: 8, as: UnsafeMutableRawPointer?.self) }
    }

    @inlinable @inline(__always)
    var levels: Int { Int(truncatingIfNeeded: raw.load(fromByteOffset: 16, as: UInt64.self) & 0xFF) }

    public var member: UnsafeRawBufferPointer {
        @inlinable @inline(__always) get {
            let meta = raw.load(fromByteOffset: 16, as: UInt64.self)
            let levels = Int(truncatingIfNeeded: meta & 0xFF)
            return UnsafeRawBufferPointer(
                start: raw + SortedSetNode.levelsOffset + levels &* SortedSetNode.levelSize,
                count: Int(truncatingIfNeeded: meta >> 8))
        }
    }

    @inlinable @inline(__always)
    func forward(_ level: Int) -> SortedSetNode? {
        raw.load(fromByteOffset: SortedSetNode.levelsOffset &+ level &* SortedSetNode.levelSize,
                 as: UnsafeMutableRawPointer?.self).map(SortedSetNode.init)
    }

    @inlinable @inline(__always)
    func setForward(_ level: Int, _ node: SortedSetNode?) {
        raw.storeBytes(of: node?.raw, toByteOffset: SortedSetNode.levelsOffset &+ level &* SortedSetNode.levelSize,
                       as: UnsafeMutableRawPointer?.self)
    }

    @inlinable @inline(__always)
    func span(_ level: Int) -> Int {
        raw.load(fromByteOffset: SortedSetNode.levelsOffset &+ level &* SortedSetNode.levelSize &+ 8, as: Int.self)
    }

    @inlinable @inline(__always)
    func setSpan(_ level: Int, _ span: Int) {
        raw.storeBytes(of: span, toByteOffset: SortedSetNode.levelsOffset &+ level &* SortedSetNode.levelSize &+ 8,
                       as: Int.self)
    }

    /// The next node in ascending order.
    @inlinable @inline(__always)
    public var next: SortedSetNode? { forward(0) }

    /// The previous node, nil for the first.
    @inlinable @inline(__always)
    public var previous: SortedSetNode? { backward }

    /// Whether this node sorts strictly before (score, member).
    @inlinable @inline(__always)
    func precedes(_ score: Double, _ member: UnsafeRawBufferPointer) -> Bool {
        let s = self.score
        return s < score || (s == score && SortedSetBytes.compare(self.member, member) < 0)
    }
}

/// The ordered half of a large sorted set: Pugh's skiplist with Redis's changes (repeated scores
/// ordered by member, spans for O(log n) ranks, backward links for reverse walks). It owns its
/// nodes; the member index only points at them.
@usableFromInline
struct SortedSetSkipList {
    @usableFromInline static let maxLevel = 32

    @usableFromInline let header: SortedSetNode
    @usableFromInline var tail: SortedSetNode?
    @usableFromInline var length = 0
    @usableFromInline var level = 1
    @usableFromInline var random: UInt64
    /// Scratch for the per-level predecessors and ranks of an update (kept to avoid a stack array).
    @usableFromInline let update: UnsafeMutablePointer<UnsafeMutableRawPointer>
    @usableFromInline let rank: UnsafeMutablePointer<Int>
    @usableFromInline var arena = SortedSetNodeArena()

    @usableFromInline
    init(seed: UInt64) {
        header = SortedSetNode.allocate(levels: SortedSetSkipList.maxLevel, score: 0, member: UnsafeRawBufferPointer(start: nil, count: 0))
        for i in 0..<SortedSetSkipList.maxLevel {
            header.setForward(i, nil)
            header.setSpan(i, 0)
        }
        random = seed | 1
        update = .allocate(capacity: SortedSetSkipList.maxLevel)
        rank = .allocate(capacity: SortedSetSkipList.maxLevel)
    }

    /// Frees every node and the scratch.
    @usableFromInline
    func destroy() {
        if arena.largeNodes > 0 {
            var x = header.forward(0)
            while let node = x {
                x = node.forward(0)
                let size = node.allocationSize
                if SortedSetNodeArena.isLarge(size) { free(node.raw) }
            }
        }
        arena.destroy()
        header.deallocate()
        update.deallocate()
        rank.deallocate()
    }

    @inlinable
    var first: SortedSetNode? { header.forward(0) }

    /// 1 + levels with probability 1/4 each (Redis's ZSKIPLIST_P), at most 32.
    @inlinable
    mutating func randomLevel() -> Int {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        let zeros = (random | (1 << 62)).trailingZeroBitCount
        return Swift.min(1 + zeros / 2, SortedSetSkipList.maxLevel)
    }

    /// Inserts a new node for a member known to be absent.
    @inlinable
    mutating func insert(score: Double, member: UnsafeRawBufferPointer) -> SortedSetNode {
        let node = makeNode(score: score, member: member)
        link(node)
        return node
    }

    /// A new unlinked node with a random level, from the arena.
    @inlinable
    mutating func makeNode(score: Double, member: UnsafeRawBufferPointer) -> SortedSetNode {
        let levels = randomLevel()
        let p = arena.allocate(SortedSetNode.size(levels: levels, memberLength: member.count))
        return SortedSetNode.initialize(p, levels: levels, score: score, member: member)
    }

    /// Returns an unlinked node's memory to the arena.
    @inlinable
    mutating func freeNode(_ node: SortedSetNode) {
        arena.release(node.raw, size: node.allocationSize)
    }

    /// Links `node` (its score and member set, its levels free) at its place.
    @inlinable
    mutating func link(_ node: SortedSetNode) {
        let score = node.score
        let member = node.member
        var x = header
        var i = level - 1
        while i >= 0 {
            rank[i] = i == level - 1 ? 0 : rank[i + 1]
            while let f = x.forward(i), f.precedes(score, member) {
                rank[i] &+= x.span(i)
                x = f
            }
            update[i] = x.raw
            i -= 1
        }
        let nodeLevel = node.levels
        if nodeLevel > level {
            for j in level..<nodeLevel {
                rank[j] = 0
                update[j] = header.raw
                header.setSpan(j, length)
            }
            level = nodeLevel
        }
        for j in 0..<nodeLevel {
            let u = SortedSetNode(update[j])
            node.setForward(j, u.forward(j))
            u.setForward(j, node)
            node.setSpan(j, u.span(j) - (rank[0] - rank[j]))
            u.setSpan(j, (rank[0] - rank[j]) + 1)
        }
        if nodeLevel < level {
            for j in nodeLevel..<level {
                let u = SortedSetNode(update[j])
                u.setSpan(j, u.span(j) + 1)
            }
        }
        let u0 = SortedSetNode(update[0])
        node.backward = u0 == header ? nil : u0
        if let f = node.forward(0) { f.backward = node } else { tail = node }
        length += 1
    }

    /// Unlinks `node` given its predecessors in `update`; does not free it.
    @inlinable
    mutating func unlink(_ node: SortedSetNode) {
        for i in 0..<level {
            let u = SortedSetNode(update[i])
            if u.forward(i) == node {
                u.setSpan(i, u.span(i) + node.span(i) - 1)
                u.setForward(i, node.forward(i))
            } else {
                u.setSpan(i, u.span(i) - 1)
            }
        }
        if let f = node.forward(0) { f.backward = node.backward } else { tail = node.backward }
        while level > 1 && header.forward(level - 1) == nil { level -= 1 }
        length -= 1
    }

    /// Fills `update` with the predecessors of (score, member) and returns the node after them.
    @inlinable
    mutating func findPredecessors(score: Double, member: UnsafeRawBufferPointer) -> SortedSetNode? {
        var x = header
        var i = level - 1
        while i >= 0 {
            while let f = x.forward(i), f.precedes(score, member) { x = f }
            update[i] = x.raw
            i -= 1
        }
        return x.forward(0)
    }

    /// Unlinks the node holding (score, member); the caller frees it.
    @inlinable
    mutating func remove(_ node: SortedSetNode) {
        let found = findPredecessors(score: node.score, member: node.member)
        precondition(found == node, "sorted set node not where its score says")
        unlink(node)
    }

    /// Changes a node's score, moving it only when the order changes (Redis `zslUpdateScore`).
    @inlinable
    mutating func updateScore(_ node: SortedSetNode, to newScore: Double) {
        let prev = node.backward
        let next = node.forward(0)
        let member = node.member
        let staysBefore = next.map { !$0.precedes(newScore, member) } ?? true
        let staysAfter = prev.map { $0.precedes(newScore, member) } ?? true
        if staysBefore && staysAfter {
            node.score = newScore
            return
        }
        remove(node)
        node.score = newScore
        link(node)
    }

    /// 1-based rank of (score, member), 0 when absent (Redis `zslGetRank`).
    @inlinable
    func rank(score: Double, member: UnsafeRawBufferPointer) -> Int {
        var x = header
        var r = 0
        var i = level - 1
        while i >= 0 {
            while let f = x.forward(i) {
                let s = f.score
                if s < score || (s == score && SortedSetBytes.compare(f.member, member) <= 0) {
                    r &+= x.span(i)
                    x = f
                } else {
                    break
                }
            }
            if x != header && x.score == score && SortedSetBytes.equal(x.member, member) { return r }
            i -= 1
        }
        return 0
    }

    /// The node at a 1-based rank (Redis `zslGetElementByRank`).
    @inlinable
    func node(atRank target: Int) -> SortedSetNode? {
        var x = header
        var traversed = 0
        var i = level - 1
        while i >= 0 {
            while let f = x.forward(i), traversed &+ x.span(i) <= target {
                traversed &+= x.span(i)
                x = f
            }
            if traversed == target { return x == header ? nil : x }
            i -= 1
        }
        return nil
    }

    /// Fills `update` for deleting from 1-based rank `start` on; returns the node at `start`.
    @inlinable
    mutating func findPredecessors(ofRank start: Int) -> SortedSetNode? {
        var x = header
        var traversed = 0
        var i = level - 1
        while i >= 0 {
            while let f = x.forward(i), traversed &+ x.span(i) < start {
                traversed &+= x.span(i)
                x = f
            }
            update[i] = x.raw
            i -= 1
        }
        return x.forward(0)
    }

    // MARK: Range searches (Redis `zslFirstInRange` and friends), returning 1-based ranks.

    /// The first node with a score above the range's min, and its rank.
    @inlinable
    func firstAbove(_ range: SortedSetScoreRange) -> (SortedSetNode, Int)? {
        var x = header
        var r = 0
        var i = level - 1
        while i >= 0 {
            while let f = x.forward(i), !range.aboveMin(f.score) {
                r &+= x.span(i)
                x = f
            }
            i -= 1
        }
        guard let n = x.forward(0) else { return nil }
        return (n, r + 1)
    }

    /// The last node with a score below the range's max, and its rank.
    @inlinable
    func lastBelow(_ range: SortedSetScoreRange) -> (SortedSetNode, Int)? {
        var x = header
        var r = 0
        var i = level - 1
        while i >= 0 {
            while let f = x.forward(i), range.belowMax(f.score) {
                r &+= x.span(i)
                x = f
            }
            i -= 1
        }
        return x == header ? nil : (x, r)
    }

    /// Lex walks compare members only, as Redis does (the order is meaningful when all scores are
    /// equal, as ZRANGEBYLEX requires).
    @inlinable
    func firstAbove(_ range: SortedSetLexRange) -> (SortedSetNode, Int)? {
        var x = header
        var r = 0
        var i = level - 1
        while i >= 0 {
            while let f = x.forward(i), !range.aboveMin(f.member) {
                r &+= x.span(i)
                x = f
            }
            i -= 1
        }
        guard let n = x.forward(0) else { return nil }
        return (n, r + 1)
    }

    @inlinable
    func lastBelow(_ range: SortedSetLexRange) -> (SortedSetNode, Int)? {
        var x = header
        var r = 0
        var i = level - 1
        while i >= 0 {
            while let f = x.forward(i), range.belowMax(f.member) {
                r &+= x.span(i)
                x = f
            }
            i -= 1
        }
        return x == header ? nil : (x, r)
    }

    // MARK: Building from sorted input

    /// Appends a node that sorts after every present node, in O(levels): `update` holds the last
    /// node of each level between calls (set up by `beginAppend`).
    @inlinable
    mutating func beginAppend() {
        precondition(length == 0)
        for i in 0..<SortedSetSkipList.maxLevel { update[i] = header.raw }
    }

    @inlinable
    mutating func append(_ node: SortedSetNode) {
        let nodeLevel = node.levels
        if nodeLevel > level { level = nodeLevel }
        length += 1
        for j in 0..<nodeLevel {
            let u = SortedSetNode(update[j])
            u.setForward(j, node)
            // Spans of the last node of each level are fixed up in `endAppend`, from ranks.
            node.setForward(j, nil)
            update[j] = node.raw
        }
        node.backward = tail
        tail = node
        // Record this node's rank in its level-0 span temporarily.
        node.setSpan(0, length)
    }

    /// Turns the ranks recorded by `append` into spans: a link's span is the rank distance it
    /// jumps; the last link of a level spans to the end (what `link` maintains too).
    @inlinable
    mutating func endAppend() {
        var i = level - 1
        while i >= 0 {
            var x = header
            var xr = 0
            while let f = x.forward(i) {
                let fr = f.span(0)  // f's rank, overwritten only when level 0 reaches f
                x.setSpan(i, fr - xr)
                x = f
                xr = fr
            }
            x.setSpan(i, length - xr)
            i -= 1
        }
        for j in level..<SortedSetSkipList.maxLevel { header.setSpan(j, 0) }
    }
}
