#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A large hash (OBJECT ENCODING `hashtable`): power-of-two arrays of buckets, each a chain of
/// nodes, one `malloc` block per field:
///
/// ```
/// node: [next node: 8 bytes][pair, as HashPairCodec lays it out]
/// ```
///
/// A field costs its bytes, 1-3 length bytes, the 8-byte link, malloc's 8-byte header and 8-16
/// bytes of bucket array (Redis: a 24-byte dictEntry, two sds headers and its buckets).
///
/// Chaining rather than open addressing because of HSCAN: with buckets addressed by the low bits
/// of the hash, Redis's reverse-binary cursor visits every bucket of the table at the time of each
/// call, and a bucket of a table twice (or half) the size holds exactly the fields of the buckets
/// it came from, so a field present for the whole scan is returned at least once however the
/// table grows or shrinks between calls (see `scan`).
///
/// Resizing is incremental, as Redis's dict: a resize allocates the new bucket array and every
/// later write (and lookup) moves a few buckets over, so a hash of millions of fields never stalls
/// the server for a whole rehash (measured: ~120 ms at 1M fields when done at once). Small tables
/// are still moved at once.
public final class HashFieldTable: KeyspaceObject {
    /// One bucket array: `mask + 1` words, each the address of a chain's first node (0: empty).
    @usableFromInline
    struct Buckets {
        @usableFromInline var base: UnsafeMutableRawPointer
        @usableFromInline var mask: Int

        @inlinable
        init(count: Int) {
            base = calloc(count, 8)!
            mask = count - 1
        }

        @inlinable var count: Int { mask &+ 1 }

        @inlinable @inline(__always)
        func link(_ hash: UInt64) -> UnsafeMutableRawPointer { base + (Int(truncatingIfNeeded: hash) & mask) &* 8 }

        @inlinable @inline(__always)
        func link(at index: Int) -> UnsafeMutableRawPointer { base + index &* 8 }
    }

    /// The table fields live in (while rehashing: the old one, buckets below `rehashIndex` empty).
    @usableFromInline var main: Buckets
    /// While rehashing: the new table, which receives every insertion.
    @usableFromInline var target: Buckets?
    @usableFromInline var rehashIndex = 0
    @usableFromInline var storedCount = 0

    @usableFromInline static let minimumBuckets = 4
    /// Tables with at most this many fields are resized at once.
    @usableFromInline static let immediateRehashLimit = 1024
    /// Buckets moved per step (each write or lookup), and empty buckets skipped at most.
    @usableFromInline static let bucketsPerStep = 4
    @usableFromInline static let emptyVisitsPerStep = 40

    public var valueType: ValueType { .hash }
    public var encodingName: String { "hashtable" }

    /// Number of fields.
    @inlinable public var count: Int { storedCount }

    /// An empty table sized for about `capacity` fields.
    public init(capacity: Int = 0) {
        main = Buckets(count: HashFieldTable.bucketCount(for: capacity))
    }

    /// A table holding the pairs of a compact hash.
    public convenience init(_ compact: HashListpack, extraCapacity: Int = 0) {
        self.init(capacity: compact.count + extraCapacity)
        compact.forEach { insertNew(field: $0.field, value: $0.value, hash: HashFieldTable.hash($0.field)) }
    }

    deinit {
        HashFieldTable.freeNodes(main)
        free(main.base)
        if let target {
            HashFieldTable.freeNodes(target)
            free(target.base)
        }
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
    static func next(_ link: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: link.load(as: UInt.self))
    }

    @inlinable @inline(__always)
    static func setNext(_ link: UnsafeMutableRawPointer, _ node: UnsafeMutableRawPointer?) {
        link.storeBytes(of: UInt(bitPattern: node), as: UInt.self)
    }

    /// The link word pointing at the node of `field` in the chain starting at `link`.
    @inlinable
    static func findLink(_ field: UnsafeRawBufferPointer, from link: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        var link = link
        let n = field.count
        while let node = next(link) {
            var o = 8
            let (f, _) = HashPairCodec.readHeader(node, &o)
            if f == n && HashPairCodec.equal(node + o, field) { return link }
            link = node
        }
        return nil
    }

    /// The link word pointing at the node of `field` (so the node can be replaced or unlinked).
    @inlinable
    func findLink(_ field: UnsafeRawBufferPointer, hash: UInt64) -> UnsafeMutableRawPointer? {
        if let link = HashFieldTable.findLink(field, from: main.link(hash)) { return link }
        if let target { return HashFieldTable.findLink(field, from: target.link(hash)) }
        return nil
    }

    /// The node of `field`, if present.
    @inlinable
    public func find(_ field: UnsafeRawBufferPointer) -> Node? {
        if target != nil { rehashStep() }
        guard let link = findLink(field, hash: HashFieldTable.hash(field)) else { return nil }
        return Node(HashFieldTable.next(link).unsafelyUnwrapped)
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

    /// Links a node for a field known to be absent, growing the table past one field per bucket.
    @inlinable
    func insertNew(field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, hash: UInt64) {
        if target == nil && storedCount >= main.count { startResize(to: main.count &* 2) }
        let node = HashFieldTable.makeNode(field: field, value: value)
        let link = (target ?? main).link(hash)
        HashFieldTable.setNext(node, HashFieldTable.next(link))
        HashFieldTable.setNext(link, node)
        storedCount &+= 1
    }

    /// Sets `field` to `value`; true when the field is new. An update rewrites the node in place
    /// when the new pair fits its block.
    @discardableResult
    public func set(field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        if target != nil { rehashStep() }
        let hash = HashFieldTable.hash(field)
        guard let link = findLink(field, hash: hash) else {
            insertNew(field: field, value: value, hash: hash)
            return true
        }
        let old = HashFieldTable.next(link).unsafelyUnwrapped
        var o = 8
        let (f, v) = HashPairCodec.readHeader(old, &o)
        let header = HashPairCodec.headerSize(fieldLength: f, valueLength: value.count)
        // Same header size: the field stays put and only the value (and its length) change.
        if header == o - 8 && (value.count <= v || 8 + header + f + value.count <= mallocUsableSize(old)) {
            _ = HashPairCodec.writeHeader(fieldLength: f, valueLength: value.count, to: old + 8)
            if value.count > 0 { (old + (o + f)).copyMemory(from: value.baseAddress!, byteCount: value.count) }
            return false
        }
        let node = HashFieldTable.makeNode(field: field, value: value)
        HashFieldTable.setNext(node, HashFieldTable.next(old))
        HashFieldTable.setNext(link, node)
        free(old)
        return false
    }

    /// Removes `field`; false if it was absent. Shrinks the bucket array below 1/8 full.
    @discardableResult
    public func remove(field: UnsafeRawBufferPointer) -> Bool {
        if target != nil { rehashStep() }
        guard let link = findLink(field, hash: HashFieldTable.hash(field)) else { return false }
        let node = HashFieldTable.next(link).unsafelyUnwrapped
        HashFieldTable.setNext(link, HashFieldTable.next(node))
        free(node)
        storedCount &-= 1
        if target == nil && main.count > HashFieldTable.minimumBuckets && storedCount &* 8 < main.count {
            startResize(to: HashFieldTable.bucketCount(for: storedCount))
        }
        return true
    }

    // MARK: - Resizing

    @usableFromInline
    func startResize(to newCount: Int) {
        target = Buckets(count: newCount)
        rehashIndex = 0
        if storedCount <= HashFieldTable.immediateRehashLimit {
            while target != nil { moveBuckets(limit: Int.max, emptyLimit: Int.max) }
        }
    }

    /// Moves a few buckets of the old table to the new one.
    @usableFromInline
    func rehashStep() {
        moveBuckets(limit: HashFieldTable.bucketsPerStep, emptyLimit: HashFieldTable.emptyVisitsPerStep)
    }

    @usableFromInline
    func moveBuckets(limit: Int, emptyLimit: Int) {
        guard let to = target else { return }
        var moved = 0
        var empty = 0
        let n = main.count
        while rehashIndex < n && moved < limit && empty < emptyLimit {
            let link = main.link(at: rehashIndex)
            rehashIndex &+= 1
            guard var node = HashFieldTable.next(link) else {
                empty &+= 1
                continue
            }
            while true {
                let following = HashFieldTable.next(node)
                let destination = to.link(HashFieldTable.hash(Node(node).field))
                HashFieldTable.setNext(node, HashFieldTable.next(destination))
                HashFieldTable.setNext(destination, node)
                guard let f = following else { break }
                node = f
            }
            HashFieldTable.setNext(link, nil)
            moved &+= 1
        }
        if rehashIndex >= n {
            free(main.base)
            main = to
            target = nil
            rehashIndex = 0
        }
    }

    /// Whether an incremental resize is in progress (tests).
    public var isRehashing: Bool { target != nil }

    /// Bucket slots of the table(s).
    public var bucketCount: Int { main.count + (target?.count ?? 0) }

    static func freeNodes(_ buckets: Buckets) {
        for i in 0..<buckets.count {
            var next = HashFieldTable.next(buckets.link(at: i))
            while let node = next {
                next = HashFieldTable.next(node)
                free(node)
            }
        }
    }
}
