#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Changes inside a list (LINSERT, LSET, LTRIM, LREM and counted pops): the node-local moves, node
/// splits and whole-node drops behind them.
extension ListObject {
    // MARK: - Inserting

    /// LINSERT: inserts `value` before or after the element at `position`.
    public func insert(_ value: UnsafeRawBufferPointer, at position: Position, after: Bool) {
        var offset = position.offset
        if after { offset &+= node(position.node).pointee.sizeForward(at: offset) }
        insert(value, node: position.node, offset: offset)
    }

    /// Inserts at `offset` of node `i`, an element boundary in `start ... end`. A node that may
    /// not grow passes the element to a neighbour with room when the boundary is its edge, else is
    /// split there (Redis's quicklist does the same).
    func insert(_ value: UnsafeRawBufferPointer, node i: Int, offset: Int) {
        let size = ListPacking.encodedSize(value.count)
        elementCount &+= 1
        let np = node(i)
        if limits.allows(np.pointee, size) {
            insertInNode(np, at: offset, value, size)
            return
        }
        let n = np.pointee
        if offset == n.end {
            if i &+ 1 < nodeCount && limits.allows(node(i &+ 1).pointee, size) {
                let next = node(i &+ 1)
                insertInNode(next, at: next.pointee.start, value, size)
            } else {
                insertNode(makeNode(value, growsToFront: false), at: i &+ 1)
            }
            return
        }
        if offset == n.start {
            if i > 0 && limits.allows(node(i &- 1).pointee, size) {
                let previous = node(i &- 1)
                insertInNode(previous, at: previous.pointee.end, value, size)
            } else {
                insertNode(makeNode(value, growsToFront: true), at: i)
            }
            return
        }
        split(node: i, at: offset)
        let left = node(i)
        if limits.allows(left.pointee, size) {
            insertInNode(left, at: left.pointee.end, value, size)
            return
        }
        let right = node(i &+ 1)
        if limits.allows(right.pointee, size) {
            insertInNode(right, at: right.pointee.start, value, size)
            return
        }
        insertNode(makeNode(value, growsToFront: false), at: i &+ 1)
    }

    /// Writes an element at `offset` of a node, moving the shorter side of it (or rebuilding the
    /// node when neither side has room). The caller counts the element in `elementCount`.
    func insertInNode(_ np: UnsafeMutablePointer<ListNode>, at offset: Int, _ value: UnsafeRawBufferPointer, _ size: Int) {
        let n = np.pointee
        let prefix = offset &- n.start
        let suffix = n.end &- offset
        let frontRoom = n.start
        let backRoom = n.capacity &- n.end
        let at: Int
        if frontRoom >= size && (prefix <= suffix || backRoom < size) {
            if prefix > 0 { memmove(n.base + (n.start &- size), n.base + n.start, prefix) }
            np.pointee.start = n.start &- size
            at = offset &- size
        } else if backRoom >= size {
            if suffix > 0 { memmove(n.base + (offset &+ size), n.base + offset, suffix) }
            np.pointee.end = n.end &+ size
            at = offset
        } else {
            at = rebuild(np, gapAt: offset, gapSize: size, placement: .balanced)
        }
        ListPacking.write(value, at: np.pointee.base + at)
        np.pointee.count &+= 1
    }

    /// Splits node `i` at `offset` (strictly inside it): the elements from `offset` on move to a
    /// new node `i + 1`.
    func split(node i: Int, at offset: Int) {
        let n = node(i).pointee
        var moved = 0
        var o = offset
        while o < n.end {
            o &+= n.sizeForward(at: o)
            moved &+= 1
        }
        let bytes = n.end &- offset
        let base = malloc(bytes).unsafelyUnwrapped
        base.copyMemory(from: n.base + offset, byteCount: bytes)
        let right = ListNode(
            base: base, capacity: ListObject.usableSize(base, asked: bytes), start: 0, end: bytes, count: moved)
        node(i).pointee.end = offset
        node(i).pointee.count = n.count &- moved
        insertNode(right, at: i &+ 1)
    }

    // MARK: - Replacing

    /// LSET: replaces the element at `index` (0 ..< count).
    public func replace(at index: Int, with value: UnsafeRawBufferPointer) {
        let p = position(of: index)
        let np = node(p.node)
        let oldSize = np.pointee.sizeForward(at: p.offset)
        let newSize = ListPacking.encodedSize(value.count)
        if oldSize == newSize {
            ListPacking.write(value, at: np.pointee.base + p.offset)
            return
        }
        // The node may be left empty for a moment; `insert` always accepts into an empty node.
        let at = deleteInNode(np, at: p.offset)
        elementCount &-= 1
        insert(value, node: p.node, offset: at)
    }

    /// Removes the element starting at `offset` of a node by moving its shorter side; returns the
    /// offset where the following element now starts. Leaves `elementCount` to the caller.
    func deleteInNode(_ np: UnsafeMutablePointer<ListNode>, at offset: Int) -> Int {
        let n = np.pointee
        let size = n.sizeForward(at: offset)
        let prefix = offset &- n.start
        let suffix = n.end &- offset &- size
        np.pointee.count = n.count &- 1
        if prefix < suffix {
            if prefix > 0 { memmove(n.base + (n.start &+ size), n.base + n.start, prefix) }
            np.pointee.start = n.start &+ size
            return offset &+ size
        }
        if suffix > 0 { memmove(n.base + offset, n.base + (offset &+ size), suffix) }
        np.pointee.end = n.end &- size
        return offset
    }

    // MARK: - Removing

    /// Drops the first `k` elements (all of them if `k >= count`): whole nodes are freed, the
    /// boundary node only moves its start.
    public func removeFirst(_ k: Int) {
        var k = Swift.min(k, elementCount)
        if k <= 0 { return }
        elementCount &-= k
        while k > 0 {
            let np = node(0)
            let n = np.pointee
            if k >= n.count {
                k &-= n.count
                removeNode(at: 0)
                continue
            }
            var offset = n.start
            for _ in 0..<k { offset &+= n.sizeForward(at: offset) }
            np.pointee.start = offset
            np.pointee.count = n.count &- k
            shrinkIfSparse(np)
            k = 0
        }
    }

    /// Drops the last `k` elements (all of them if `k >= count`).
    public func removeLast(_ k: Int) {
        var k = Swift.min(k, elementCount)
        if k <= 0 { return }
        elementCount &-= k
        while k > 0 {
            let np = node(nodeCount &- 1)
            let n = np.pointee
            if k >= n.count {
                k &-= n.count
                removeNode(at: nodeCount &- 1)
                continue
            }
            var offset = n.end
            for _ in 0..<k { offset &-= n.sizeBackward(endingAt: offset) }
            np.pointee.end = offset
            np.pointee.count = n.count &- k
            shrinkIfSparse(np)
            k = 0
        }
    }

    /// LREM: removes up to `limit` elements equal to `value` (all of them when `limit` is nil),
    /// scanning from the back when `fromBack`; returns how many went. One pass per node, each
    /// node compacted in place.
    public func removeAll(equalTo value: UnsafeRawBufferPointer, limit: Int?, fromBack: Bool) -> Int {
        var removed = 0
        let wanted = limit ?? Int.max
        if !fromBack {
            var i = 0
            while i < nodeCount && removed < wanted {
                removed &+= compact(node(i), removing: value, skip: 0, limit: wanted &- removed)
                i &+= 1
            }
        } else {
            var i = nodeCount &- 1
            while i >= 0 && removed < wanted {
                let np = node(i)
                let matches = countMatches(np.pointee, value)
                if matches > 0 {
                    // The last `take` matches of this node are the ones nearest the back.
                    let take = Swift.min(matches, wanted &- removed)
                    removed &+= compact(np, removing: value, skip: matches &- take, limit: take)
                }
                i &-= 1
            }
        }
        if removed > 0 {
            elementCount &-= removed
            dropEmptyNodes()
        }
        return removed
    }

    /// Frees the nodes left empty and closes the gaps in one sweep (removing them one by one
    /// would move O(nodes) entries each time).
    func dropEmptyNodes() {
        var kept = 0
        for i in 0..<nodeCount {
            let n = node(i).pointee
            if n.count == 0 {
                free(n.base)
            } else {
                if kept != i { node(kept).pointee = n }
                kept &+= 1
            }
        }
        nodeCount = kept
        var capacity = ringMask &+ 1
        while capacity > 16 && nodeCount &* 4 < capacity { capacity /= 2 }
        if capacity != ringMask &+ 1 { resizeRing(to: capacity) }
    }

    /// Gives back most of a node's buffer once it is mostly empty (after LREM / LTRIM), as
    /// Redis's listpack shrinks on delete; the elements move to the start of a smaller buffer.
    func shrinkIfSparse(_ np: UnsafeMutablePointer<ListNode>) {
        let n = np.pointee
        if n.capacity <= 256 || n.used &* 4 >= n.capacity { return }
        let asked = Swift.max(n.used &+ n.used / 2, 64)
        let base = malloc(asked).unsafelyUnwrapped
        base.copyMemory(from: n.base + n.start, byteCount: n.used)
        free(n.base)
        np.pointee = ListNode(
            base: base, capacity: ListObject.usableSize(base, asked: asked), start: 0, end: n.used, count: n.count)
    }

    func countMatches(_ n: ListNode, _ value: UnsafeRawBufferPointer) -> Int {
        var matches = 0
        var offset = n.start
        while offset < n.end {
            let (length, h) = ListPacking.readForward(n.base + offset)
            if ListPacking.equals(n.base + (offset &+ h), length, value) { matches &+= 1 }
            offset &+= length &+ 2 &* h
        }
        return matches
    }

    /// Removes from one node the matches of `value` after the first `skip`, at most `limit` of
    /// them, sliding the kept elements down; returns how many went.
    func compact(_ np: UnsafeMutablePointer<ListNode>, removing value: UnsafeRawBufferPointer, skip: Int, limit: Int) -> Int {
        let n = np.pointee
        var read = n.start
        var write = n.start
        var skipped = 0
        var removed = 0
        while read < n.end {
            let (length, h) = ListPacking.readForward(n.base + read)
            let size = length &+ 2 &* h
            if ListPacking.equals(n.base + (read &+ h), length, value) {
                if skipped < skip {
                    skipped &+= 1
                } else {
                    removed &+= 1
                    read &+= size
                    if removed == limit { break }
                    continue
                }
            }
            if write != read { memmove(n.base + write, n.base + read, size) }
            read &+= size
            write &+= size
        }
        if read < n.end {
            if write != read { memmove(n.base + write, n.base + read, n.end &- read) }
            write &+= n.end &- read
        }
        np.pointee.end = write
        np.pointee.count = n.count &- removed
        if removed > 0 && removed < n.count { shrinkIfSparse(np) }
        return removed
    }

    // MARK: - Checking

    /// A description of the first broken invariant, or nil (tests).
    func invariantViolation() -> String? {
        var total = 0
        for i in 0..<nodeCount {
            let n = node(i).pointee
            if n.count == 0 { return "node \(i) is empty" }
            if n.start < 0 || n.start > n.end || n.end > n.capacity { return "node \(i) bounds \(n.start) \(n.end) \(n.capacity)" }
            var offset = n.start
            var k = 0
            while offset < n.end {
                let (length, h) = ListPacking.readForward(n.base + offset)
                let (backLength, backH) = ListPacking.readBackward(n.base + (offset &+ length &+ 2 &* h))
                if backLength != length || backH != h { return "node \(i) element \(k) lengths differ" }
                offset &+= length &+ 2 &* h
                k &+= 1
            }
            if offset != n.end { return "node \(i) overruns its end" }
            if k != n.count { return "node \(i) holds \(k) elements, says \(n.count)" }
            total &+= k
        }
        if total != elementCount { return "nodes hold \(total) elements, list says \(elementCount)" }
        return nil
    }
}
