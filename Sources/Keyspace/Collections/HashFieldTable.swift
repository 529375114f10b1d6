#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A large hash (OBJECT ENCODING `hashtable`): a power-of-two array of buckets, each a chain of
/// nodes, one `malloc` block per field:
///
/// ```
/// node: [next node: 8 bytes][pair, as HashPairCodec lays it out]
/// ```
///
/// A field costs its bytes, 1-3 length bytes, the 8-byte link, malloc's 8-byte header and 8-16
/// bytes of bucket array (Redis: a 24-byte dictEntry, two sds headers and its buckets).
///
/// Chaining rather than open addressing because of HSCAN: with buckets addressed by the low
/// bits of the hash, Redis's reverse-binary cursor visits every bucket of the table at the time
/// of each call, and a bucket of a table twice (or half) the size holds exactly the fields of the
/// buckets it came from, so a field present for the whole scan is returned at least once however
/// the table grows or shrinks between calls. Resizing is done at once (not incrementally as in
/// Redis): a table only grows when it doubles, so the cost is amortised O(1) per insertion.
public final class HashFieldTable: KeyspaceObject {
    /// `bucketCount` words, each the address of the first node of a chain (0 when empty).
    @usableFromInline var buckets: UnsafeMutableRawPointer
    @usableFromInline var mask: Int
    @usableFromInline var storedCount: Int

    @usableFromInline static let minimumBuckets = 4

    public var valueType: ValueType { .hash }
    public var encodingName: String { "hashtable" }

    /// Number of fields.
    @inlinable public var count: Int { storedCount }

    /// An empty table sized for about `capacity` fields.
    public init(capacity: Int = 0) {
        let n = HashFieldTable.bucketCount(for: capacity)
        buckets = calloc(n, 8)!
        mask = n - 1
        storedCount = 0
    }

    /// A table holding the pairs of a compact hash.
    public convenience init(_ compact: HashListpack, extraCapacity: Int = 0) {
        self.init(capacity: compact.count + extraCapacity)
        compact.forEach { insertNew(field: $0.field, value: $0.value, hash: HashFieldTable.hash($0.field)) }
    }

    deinit {
        removeAllNodes()
        free(buckets)
    }

    @usableFromInline
    static func bucketCount(for fields: Int) -> Int {
        var n = minimumBuckets
        while n < fields { n <<= 1 }
        return n
    }

    public func deepCopy() -> any KeyspaceObject {
        let copy = HashFieldTable(capacity: storedCount)
        forEach { node in
            copy.insertNew(field: node.field, value: node.value, hash: HashFieldTable.hash(node.field))
        }
        return copy
    }

    // MARK: - Nodes

    /// One field/value pair in the table; valid until the table is next modified.
    public struct Node {
        public let pointer: UnsafeMutableRawPointer
        public let field: UnsafeRawBufferPointer
        public let value: UnsafeRawBufferPointer

        @inlinable
        init(_ p: UnsafeMutableRawPointer) {
            pointer = p
            var o = 8
            let (f, v) = HashPairCodec.readHeader(p, &o)
            field = UnsafeRawBufferPointer(start: p + o, count: f)
            value = UnsafeRawBufferPointer(start: p + (o &+ f), count: v)
        }
    }

    @inlinable @inline(__always)
    static func hash(_ field: UnsafeRawBufferPointer) -> UInt64 {
        keyHash64(field.baseAddress, count: field.count)
    }

    /// The node a link word (a bucket, or a node's first word) points at.
    @inlinable @inline(__always)
    static func target(_ link: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: link.load(as: UInt.self))
    }

    @inlinable @inline(__always)
    static func setTarget(_ link: UnsafeMutableRawPointer, _ node: UnsafeMutableRawPointer?) {
        link.storeBytes(of: UInt(bitPattern: node), as: UInt.self)
    }

    @inlinable @inline(__always)
    func bucketLink(_ hash: UInt64) -> UnsafeMutableRawPointer {
        buckets + (Int(truncatingIfNeeded: hash) & mask) &* 8
    }

    /// The link word pointing at the node of `field` (so the node can be replaced or unlinked).
    @inlinable
    func findLink(_ field: UnsafeRawBufferPointer, hash: UInt64) -> UnsafeMutableRawPointer? {
        var link = bucketLink(hash)
        let n = field.count
        while let node = HashFieldTable.target(link) {
            var o = 8
            let (f, _) = HashPairCodec.readHeader(node, &o)
            if f == n && HashPairCodec.equal(node + o, field) { return link }
            link = node
        }
        return nil
    }

    /// The node of `field`, if present.
    @inlinable
    public func find(_ field: UnsafeRawBufferPointer) -> Node? {
        guard let link = findLink(field, hash: HashFieldTable.hash(field)) else { return nil }
        return Node(HashFieldTable.target(link).unsafelyUnwrapped)
    }

    /// The value under `field`, if present.
    @inlinable
    public func value(of field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? { find(field)?.value }

    @inlinable
    static func makeNode(field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
        let node = malloc(8 &+ HashPairCodec.pairSize(fieldLength: field.count, valueLength: value.count))!
        _ = HashPairCodec.writePair(field: field, value: value, to: node + 8)
        return node
    }

    /// Links a node for a field known to be absent.
    @inlinable
    func insertNew(field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, hash: UInt64) {
        if storedCount > mask { resize(to: (mask &+ 1) &* 2) }
        let node = HashFieldTable.makeNode(field: field, value: value)
        let link = bucketLink(hash)
        HashFieldTable.setTarget(node, HashFieldTable.target(link))
        HashFieldTable.setTarget(link, node)
        storedCount &+= 1
    }

    /// Sets `field` to `value`; true when the field is new. An update rewrites the node in place
    /// when the new pair fits its block.
    @discardableResult
    public func set(field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        let hash = HashFieldTable.hash(field)
        guard let link = findLink(field, hash: hash) else {
            insertNew(field: field, value: value, hash: hash)
            return true
        }
        let old = HashFieldTable.target(link).unsafelyUnwrapped
        var o = 8
        let (f, v) = HashPairCodec.readHeader(old, &o)
        let header = HashPairCodec.headerSize(fieldLength: f, valueLength: value.count)
        // Same header size: the field stays put and only the value (and its length) change.
        if header == o - 8 && (value.count <= v || 8 + header + f + value.count <= mallocUsableSize(old)) {
            _ = HashPairCodec.writeHeader(fieldLength: f, valueLength: value.count, to: old + 8)
            if value.count > 0 { (old + o + f).copyMemory(from: value.baseAddress!, byteCount: value.count) }
            return false
        }
        let node = HashFieldTable.makeNode(field: field, value: value)
        HashFieldTable.setTarget(node, HashFieldTable.target(old))
        HashFieldTable.setTarget(link, node)
        free(old)
        return false
    }

    /// Removes `field`; false if it was absent. Shrinks the bucket array below 1/8 full.
    @discardableResult
    public func remove(field: UnsafeRawBufferPointer) -> Bool {
        guard let link = findLink(field, hash: HashFieldTable.hash(field)) else { return false }
        let node = HashFieldTable.target(link).unsafelyUnwrapped
        HashFieldTable.setTarget(link, HashFieldTable.target(node))
        free(node)
        storedCount &-= 1
        let buckets = mask &+ 1
        if buckets > HashFieldTable.minimumBuckets && storedCount &* 8 < buckets {
            resize(to: HashFieldTable.bucketCount(for: storedCount))
        }
        return true
    }

    @usableFromInline
    func resize(to newCount: Int) {
        let newBuckets = calloc(newCount, 8)!
        let newMask = newCount - 1
        for i in 0...mask {
            var next = HashFieldTable.target(buckets + i &* 8)
            while let node = next {
                next = HashFieldTable.target(node)
                let h = HashFieldTable.hash(Node(node).field)
                let link = newBuckets + (Int(truncatingIfNeeded: h) & newMask) &* 8
                HashFieldTable.setTarget(node, HashFieldTable.target(link))
                HashFieldTable.setTarget(link, node)
            }
        }
        free(buckets)
        buckets = newBuckets
        mask = newMask
    }

    func removeAllNodes() {
        for i in 0...mask {
            var next = HashFieldTable.target(buckets + i &* 8)
            while let node = next {
                next = HashFieldTable.target(node)
                free(node)
            }
        }
    }

    // MARK: - Walking

    /// Calls `body` for every pair, bucket by bucket. `body` must not modify the table.
    @inlinable
    public func forEach(_ body: (Node) throws -> Void) rethrows {
        for i in 0...mask {
            var next = HashFieldTable.target(buckets + i &* 8)
            while let node = next {
                next = HashFieldTable.target(node)
                try body(Node(node))
            }
        }
    }

    /// One step of HSCAN: calls `body` for every pair in the bucket `cursor` designates and
    /// returns the next cursor (0 when the walk is complete). The cursor's low bits select the
    /// bucket and it advances by incrementing its bits reversed (Redis's `dictScan`), which is
    /// what makes the walk survive resizes between calls.
    public func scan(cursor: UInt64, _ body: (Node) -> Void) -> UInt64 {
        if storedCount == 0 { return 0 }
        let m = UInt64(mask)
        var next = HashFieldTable.target(buckets + Int(cursor & m) &* 8)
        while let node = next {
            next = HashFieldTable.target(node)
            body(Node(node))
        }
        var v = cursor | ~m
        v = HashFieldTable.reverseBits(v)
        v &+= 1
        return HashFieldTable.reverseBits(v)
    }

    @inlinable
    static func reverseBits(_ x: UInt64) -> UInt64 {
        var v = x
        v = ((v >> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((v & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        return v.byteSwapped
    }

    /// A random pair (the table must not be empty): a random non-empty bucket, then a random
    /// node of its chain, as Redis's `dictGetRandomKey` (chains are short at load ≤ 1).
    public func randomNode(_ rng: inout HashRandom) -> Node {
        precondition(storedCount > 0)
        while true {
            let link = buckets + rng.below(mask &+ 1) &* 8
            guard let first = HashFieldTable.target(link) else { continue }
            var length = 0
            var next: UnsafeMutableRawPointer? = first
            while let node = next {
                length &+= 1
                next = HashFieldTable.target(node)
            }
            var pick = rng.below(length)
            var node = first
            while pick > 0 {
                node = HashFieldTable.target(node).unsafelyUnwrapped
                pick &-= 1
            }
            return Node(node)
        }
    }

    /// Bytes held in the allocator (MEMORY USAGE style estimate: nodes plus buckets).
    public var allocatedBytes: Int {
        var total = mallocUsableSize(buckets)
        forEach { total += mallocUsableSize($0.pointer) }
        return total
    }
}
