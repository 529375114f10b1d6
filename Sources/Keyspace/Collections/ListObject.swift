#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A list value: Redis's quicklist idea (a deque of nodes of packed elements, see `ListPacking`)
/// with the nodes kept in a ring buffer instead of a linked list, so that finding the node of an
/// index skips whole nodes and pushing or popping at either end is O(1) with no allocation per
/// element. Redis 7.0 reports every list as `quicklist`, so there is no inline compact form.
///
/// Element views handed out (`popFront`, `forEach`, `element(at:)`) are valid only until the next
/// change to the list.
public final class ListObject: KeyspaceObject {
    /// The ring of nodes: logical node `i` lives at `ring[(ringHead + i) & ringMask]`.
    @usableFromInline var ring: UnsafeMutablePointer<ListNode>
    @usableFromInline var ringMask: Int
    @usableFromInline var ringHead: Int
    @usableFromInline var nodeCount: Int
    @usableFromInline var elementCount: Int
    @usableFromInline let limits: ListNodeLimits
    /// The `list-max-listpack-size` the list was created with (it keeps it, as a quicklist does).
    public let fill: Int

    /// Number of elements.
    @inlinable
    public var count: Int { elementCount }

    public var valueType: ValueType { .list }
    public var encodingName: String { "quicklist" }

    /// An empty list whose nodes follow `list-max-listpack-size` = `fill`.
    public init(fill: Int) {
        self.fill = fill
        limits = ListNodeLimits(fill: fill)
        ring = .allocate(capacity: 1)
        ringMask = 0
        ringHead = 0
        nodeCount = 0
        elementCount = 0
    }

    deinit {
        var i = 0
        while i < nodeCount {
            free(node(i).pointee.base)
            i &+= 1
        }
        ring.deallocate()
    }

    public func deepCopy() -> any KeyspaceObject {
        let copy = ListObject(fill: fill)
        copy.ring.deallocate()
        let capacity = ringMask &+ 1
        copy.ring = .allocate(capacity: capacity)
        copy.ringMask = ringMask
        copy.nodeCount = nodeCount
        copy.elementCount = elementCount
        for i in 0..<nodeCount {
            let n = node(i).pointee
            let buffer = malloc(Swift.max(n.used, 1)).unsafelyUnwrapped
            buffer.copyMemory(from: n.base + n.start, byteCount: n.used)
            (copy.ring + i).initialize(to: ListNode(
                base: buffer, capacity: ListObject.usableSize(buffer, asked: Swift.max(n.used, 1)),
                start: 0, end: n.used, count: n.count))
        }
        return copy
    }

    /// Number of nodes (DEBUG / tests).
    public var nodes: Int { nodeCount }

    // MARK: - Nodes

    @inlinable @inline(__always)
    func node(_ i: Int) -> UnsafeMutablePointer<ListNode> {
        ring + ((ringHead &+ i) & ringMask)
    }

    @inlinable @inline(__always)
    static func usableSize(_ p: UnsafeMutableRawPointer, asked: Int) -> Int {
        Swift.max(mallocUsableSize(p), asked)
    }

    /// A new node holding one element, placed at the end of its buffer when it will grow to the
    /// front and at the start when it will grow to the back.
    @usableFromInline
    func makeNode(_ value: UnsafeRawBufferPointer, growsToFront: Bool) -> ListNode {
        let size = ListPacking.encodedSize(value.count)
        let asked = Swift.max(size, 32)
        let base = malloc(asked).unsafelyUnwrapped
        let capacity = ListObject.usableSize(base, asked: asked)
        let start = growsToFront ? capacity &- size : 0
        ListPacking.write(value, at: base + start)
        return ListNode(base: base, capacity: capacity, start: start, end: start &+ size, count: 1)
    }

    /// Inserts `newNode` so that it becomes logical node `index`.
    @usableFromInline
    func insertNode(_ newNode: ListNode, at index: Int) {
        if nodeCount == ringMask &+ 1 { growRing() }
        let mask = ringMask
        if index < nodeCount &- index {
            // Shift the nodes before `index` one slot towards the front.
            ringHead = (ringHead &- 1) & mask
            var i = 0
            while i < index {
                ring[(ringHead &+ i) & mask] = ring[(ringHead &+ i &+ 1) & mask]
                i &+= 1
            }
        } else {
            var i = nodeCount
            while i > index {
                ring[(ringHead &+ i) & mask] = ring[(ringHead &+ i &- 1) & mask]
                i &-= 1
            }
        }
        ring[(ringHead &+ index) & mask] = newNode
        nodeCount &+= 1
    }

    /// Frees logical node `index` and closes the gap.
    @usableFromInline
    func removeNode(at index: Int) {
        free(node(index).pointee.base)
        let mask = ringMask
        if index < nodeCount &- 1 &- index {
            var i = index
            while i > 0 {
                ring[(ringHead &+ i) & mask] = ring[(ringHead &+ i &- 1) & mask]
                i &-= 1
            }
            ringHead = (ringHead &+ 1) & mask
        } else {
            var i = index
            while i < nodeCount &- 1 {
                ring[(ringHead &+ i) & mask] = ring[(ringHead &+ i &+ 1) & mask]
                i &+= 1
            }
        }
        nodeCount &-= 1
        if nodeCount &* 4 < ringMask && ringMask >= 15 { resizeRing(to: (ringMask &+ 1) / 2) }
    }

    func growRing() {
        resizeRing(to: (ringMask &+ 1) &* 2)
    }

    /// Moves the nodes into a ring of `capacity` slots (a power of two); a list that shrank from
    /// many nodes gives the slots back.
    func resizeRing(to capacity: Int) {
        let newRing = UnsafeMutablePointer<ListNode>.allocate(capacity: capacity)
        for i in 0..<nodeCount { (newRing + i).initialize(to: node(i).pointee) }
        ring.deallocate()
        ring = newRing
        ringMask = capacity &- 1
        ringHead = 0
    }

    /// Where the free room of a rebuilt node goes.
    @usableFromInline
    enum Placement {
        case front, back, balanced
    }

    /// Copies a node into a new buffer (grown if needed) with a gap of `gapSize` bytes at
    /// `offset`; returns the gap's offset in the new buffer. Used when a node is out of room on
    /// the side that needs it; growth doubles up to the node byte limit, so filling a node costs
    /// O(1) amortised copies per byte.
    @usableFromInline
    func rebuild(_ np: UnsafeMutablePointer<ListNode>, gapAt offset: Int, gapSize: Int, placement: Placement) -> Int {
        let old = np.pointee
        let newUsed = old.used &+ gapSize
        var asked = old.capacity
        if newUsed > asked {
            asked = Swift.min(Swift.max(asked &* 2, newUsed), Swift.max(limits.bytes, newUsed))
        }
        let base = malloc(asked).unsafelyUnwrapped
        let capacity = ListObject.usableSize(base, asked: asked)
        let room = capacity &- newUsed
        let start: Int
        switch placement {
        case .front: start = room
        case .back: start = 0
        case .balanced: start = room / 2
        }
        let prefix = offset &- old.start
        if prefix > 0 { (base + start).copyMemory(from: old.base + old.start, byteCount: prefix) }
        let suffix = old.end &- offset
        if suffix > 0 { (base + (start &+ prefix &+ gapSize)).copyMemory(from: old.base + offset, byteCount: suffix) }
        free(old.base)
        np.pointee.base = base
        np.pointee.capacity = capacity
        np.pointee.start = start
        np.pointee.end = start &+ newUsed
        return start &+ prefix
    }

    // MARK: - Ends

    /// LPUSH of one element.
    @inlinable
    public func pushFront(_ value: UnsafeRawBufferPointer) {
        let size = ListPacking.encodedSize(value.count)
        if nodeCount > 0 {
            let np = node(0)
            if np.pointee.start >= size && limits.allows(np.pointee, size) {
                let start = np.pointee.start &- size
                ListPacking.write(value, at: np.pointee.base + start)
                np.pointee.start = start
                np.pointee.count &+= 1
                elementCount &+= 1
                return
            }
        }
        pushFrontSlow(value, size)
    }

    @usableFromInline
    func pushFrontSlow(_ value: UnsafeRawBufferPointer, _ size: Int) {
        elementCount &+= 1
        if nodeCount > 0 {
            let np = node(0)
            if limits.allows(np.pointee, size) {
                let at = rebuild(np, gapAt: np.pointee.start, gapSize: size, placement: nodeCount == 1 ? .balanced : .front)
                ListPacking.write(value, at: np.pointee.base + at)
                np.pointee.count &+= 1
                return
            }
        }
        insertNode(makeNode(value, growsToFront: true), at: 0)
    }

    /// RPUSH of one element.
    @inlinable
    public func pushBack(_ value: UnsafeRawBufferPointer) {
        let size = ListPacking.encodedSize(value.count)
        if nodeCount > 0 {
            let np = node(nodeCount &- 1)
            if np.pointee.capacity &- np.pointee.end >= size && limits.allows(np.pointee, size) {
                ListPacking.write(value, at: np.pointee.base + np.pointee.end)
                np.pointee.end &+= size
                np.pointee.count &+= 1
                elementCount &+= 1
                return
            }
        }
        pushBackSlow(value, size)
    }

    @usableFromInline
    func pushBackSlow(_ value: UnsafeRawBufferPointer, _ size: Int) {
        elementCount &+= 1
        if nodeCount > 0 {
            let np = node(nodeCount &- 1)
            if limits.allows(np.pointee, size) {
                let at = rebuild(np, gapAt: np.pointee.end, gapSize: size, placement: nodeCount == 1 ? .balanced : .back)
                ListPacking.write(value, at: np.pointee.base + at)
                np.pointee.count &+= 1
                return
            }
        }
        insertNode(makeNode(value, growsToFront: false), at: nodeCount)
    }

    /// Pushes at the front (`front`) or the back.
    @inlinable
    public func push(_ value: UnsafeRawBufferPointer, front: Bool) {
        if front { pushFront(value) } else { pushBack(value) }
    }

    /// Removes the first element after passing it to `body`; nil when the list is empty.
    @inlinable
    public func popFront<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        if nodeCount == 0 { return nil }
        let np = node(0)
        let (value, next) = np.pointee.element(at: np.pointee.start)
        let result = body(value)
        np.pointee.start = next
        np.pointee.count &-= 1
        elementCount &-= 1
        if np.pointee.count == 0 { removeNode(at: 0) }
        return result
    }

    /// Removes the last element after passing it to `body`; nil when the list is empty.
    @inlinable
    public func popBack<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        if nodeCount == 0 { return nil }
        let np = node(nodeCount &- 1)
        let (value, start) = np.pointee.element(endingAt: np.pointee.end)
        let result = body(value)
        np.pointee.end = start
        np.pointee.count &-= 1
        elementCount &-= 1
        if np.pointee.count == 0 { removeNode(at: nodeCount &- 1) }
        return result
    }

    /// Pops at the front (`front`) or the back.
    @inlinable
    public func pop<R>(front: Bool, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        front ? popFront(body) : popBack(body)
    }

    // MARK: - Positions

    /// Where an element is: logical node and byte offset of its start within that node.
    public struct Position: Equatable {
        @inlinable public init(node: Int, offset: Int) {
            self.node = node
            self.offset = offset
        }

        public var node: Int
        public var offset: Int
    }

    /// The position of element `index` (0 ..< count), found from the nearer end, skipping whole
    /// nodes, then walking the elements of one node from its nearer end.
    @inlinable
    public func position(of index: Int) -> Position {
        precondition(index >= 0 && index < count)
        var i: Int
        var local: Int
        if index < count &- index {
            i = 0
            local = index
            while local >= node(i).pointee.count {
                local &-= node(i).pointee.count
                i &+= 1
            }
        } else {
            i = nodeCount &- 1
            var fromEnd = count &- 1 &- index
            while fromEnd >= node(i).pointee.count {
                fromEnd &-= node(i).pointee.count
                i &-= 1
            }
            local = node(i).pointee.count &- 1 &- fromEnd
        }
        let n = node(i).pointee
        var offset: Int
        if local <= n.count &- 1 &- local {
            offset = n.start
            while local > 0 {
                offset &+= n.sizeForward(at: offset)
                local &-= 1
            }
        } else {
            offset = n.end
            var back = n.count &- local
            while back > 0 {
                offset &-= n.sizeBackward(endingAt: offset)
                back &-= 1
            }
        }
        return Position(node: i, offset: offset)
    }

    /// The element at `position`.
    @inlinable
    public func element(at position: Position) -> UnsafeRawBufferPointer {
        node(position.node).pointee.element(at: position.offset).value
    }

    /// The element at `index` (0 ..< count).
    @inlinable
    public func element(at index: Int) -> UnsafeRawBufferPointer {
        element(at: position(of: index))
    }

    /// Calls `body` with the elements from `index` towards the back (or towards the front when
    /// `reverse`) until it returns false or the list ends.
    @inlinable
    public func forEach(from index: Int, reverse: Bool = false, _ body: (UnsafeRawBufferPointer) -> Bool) {
        if index < 0 || index >= count { return }
        let p = position(of: index)
        var i = p.node
        var n = node(i).pointee
        if !reverse {
            var offset = p.offset
            while true {
                let (value, next) = n.element(at: offset)
                if !body(value) { return }
                offset = next
                if offset == n.end {
                    i &+= 1
                    if i == nodeCount { return }
                    n = node(i).pointee
                    offset = n.start
                }
            }
        } else {
            var end = p.offset &+ n.sizeForward(at: p.offset)
            while true {
                let (value, start) = n.element(endingAt: end)
                if !body(value) { return }
                end = start
                if end == n.start {
                    if i == 0 { return }
                    i &-= 1
                    n = node(i).pointee
                    end = n.end
                }
            }
        }
    }

    /// The position of the first element equal to `value`, from the front.
    public func firstPosition(of value: UnsafeRawBufferPointer) -> Position? {
        var i = 0
        while i < nodeCount {
            let n = node(i).pointee
            var offset = n.start
            while offset < n.end {
                let (length, h) = ListPacking.readForward(n.base + offset)
                if ListPacking.equals(n.base + (offset &+ h), length, value) { return Position(node: i, offset: offset) }
                offset &+= length &+ 2 &* h
            }
            i &+= 1
        }
        return nil
    }
}

extension EntryRef {
    /// The list an entry holds, or nil when it holds another type (WRONGTYPE).
    @inlinable
    public var listObject: ListObject? {
        let h = header
        guard h & EntryLayout.typeMask == UInt64(ValueType.list.rawValue), EntryLayout.holdsObject(h) else { return nil }
        let raw = pointer.loadUnaligned(fromByteOffset: valueOffset, as: UnsafeRawPointer.self)
        // Every list is stored as a ListObject (Redis 7.0 has no other list encoding).
        return Unmanaged<ListObject>.fromOpaque(raw).takeUnretainedValue()
    }
}
