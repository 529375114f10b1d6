#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small hash kept inline in its keyspace entry (OBJECT ENCODING `listpack`):
///
/// ```
/// [count << 1 | has-prefix: varint][prefix length: varint, prefix: if has-prefix][pair][pair]...
/// ```
///
/// with pairs as `HashPairCodec` lays them out, except that each stored field omits the prefix
/// every field of the hash starts with. Hashes often name their fields alike (`field0`..`field9`,
/// `attr:x`, `user_...`); storing that shared prefix once is what brings such a 10-field hash from
/// a 224-byte to a 176-byte malloc chunk, and makes a lookup compare the prefix once.
///
/// Pairs are in insertion order; an update keeps a pair where it is and a deletion closes the gap,
/// so the order HGETALL reports matches Redis's listpack. The count up front makes HLEN O(1).
/// This is a read-only view of bytes owned by the entry (valid until the entry changes).
public struct HashListpack {
    public let bytes: UnsafeRawBufferPointer
    /// Number of field/value pairs.
    public let count: Int
    /// The bytes every field starts with (not repeated in the pairs); often empty.
    public let prefix: UnsafeRawBufferPointer
    @usableFromInline let bodyStart: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            count = 0
            prefix = UnsafeRawBufferPointer(start: nil, count: 0)
            bodyStart = 0
            return
        }
        var offset = 0
        let word = HashPairCodec.readVarint(base, &offset)
        count = word >> 1
        if word & 1 != 0 {
            let n = HashPairCodec.readVarint(base, &offset)
            prefix = UnsafeRawBufferPointer(start: base + offset, count: n)
            offset += n
        } else {
            prefix = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        bodyStart = offset
    }

    /// One stored pair: the field without the shared prefix, the value, and where it sits.
    public struct Pair {
        /// Offset of the pair's first (lengths) byte.
        public let offset: Int
        /// Offset just past the pair.
        public let end: Int
        /// The field's bytes after the shared prefix.
        public let suffix: UnsafeRawBufferPointer
        public let value: UnsafeRawBufferPointer

        @inlinable
        init(offset: Int, end: Int, suffix: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            self.offset = offset
            self.end = end
            self.suffix = suffix
            self.value = value
        }
    }

    /// One pair as readers want it: the whole field (valid only during the call it is passed to).
    public struct Element {
        public let field: UnsafeRawBufferPointer
        public let value: UnsafeRawBufferPointer
        /// Where the pair sits, for `withElement(at:)`.
        public let offset: Int

        @inlinable
        init(field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, offset: Int) {
            self.field = field
            self.value = value
            self.offset = offset
        }
    }

    @inlinable @inline(__always)
    static func pair(in base: UnsafeRawPointer, at offset: Int) -> Pair {
        var o = offset
        let (f, v) = HashPairCodec.readHeader(base, &o)
        return Pair(
            offset: offset, end: o &+ f &+ v, suffix: UnsafeRawBufferPointer(start: base + o, count: f),
            value: UnsafeRawBufferPointer(start: base + (o &+ f), count: v))
    }

    /// The pair stored for `field`, if any; `prefix` is the part of every field not stored in
    /// the pairs between `start` and `end`.
    @inlinable
    static func find(
        _ field: UnsafeRawBufferPointer, prefix: UnsafeRawBufferPointer, in base: UnsafeRawPointer,
        from start: Int, to end: Int
    ) -> Pair? {
        var needle = field
        let p = prefix.count
        if p > 0 {
            guard field.count >= p, HashPairCodec.equal(prefix.baseAddress!, UnsafeRawBufferPointer(rebasing: field[0..<p]))
            else { return nil }
            needle = UnsafeRawBufferPointer(rebasing: field[p...])
        }
        let n = needle.count
        var o = start
        while o < end {
            let pairStart = o
            let (f, v) = HashPairCodec.readHeader(base, &o)
            if f == n && HashPairCodec.equal(base + o, needle) {
                return Pair(
                    offset: pairStart, end: o &+ f &+ v, suffix: UnsafeRawBufferPointer(start: base + o, count: f),
                    value: UnsafeRawBufferPointer(start: base + (o &+ f), count: v))
            }
            o &+= f &+ v
        }
        return nil
    }

    /// The pair whose field is `field`, if any.
    @inlinable
    public func find(_ field: UnsafeRawBufferPointer) -> Pair? {
        guard let base = bytes.baseAddress else { return nil }
        return HashListpack.find(field, prefix: prefix, in: base, from: bodyStart, to: bytes.count)
    }

    /// The value stored under `field`, if any.
    @inlinable
    public func value(of field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? { find(field)?.value }

    /// Calls `body` with every pair in order. Fields are assembled (prefix + stored bytes) in a
    /// scratch buffer when the hash has a prefix.
    @inlinable
    public func forEach(_ body: (Element) throws -> Void) rethrows {
        guard let base = bytes.baseAddress else { return }
        let end = bytes.count
        var o = bodyStart
        let p = prefix.count
        if p == 0 {
            while o < end {
                let pair = HashListpack.pair(in: base, at: o)
                try body(Element(field: pair.suffix, value: pair.value, offset: o))
                o = pair.end
            }
            return
        }
        try withUnsafeTemporaryAllocation(byteCount: p + end, alignment: 8) { scratch in
            let s = scratch.baseAddress!
            s.copyMemory(from: prefix.baseAddress!, byteCount: p)
            while o < end {
                let pair = HashListpack.pair(in: base, at: o)
                let f = pair.suffix.count
                if f > 0 { (s + p).copyMemory(from: pair.suffix.baseAddress!, byteCount: f) }
                try body(Element(field: UnsafeRawBufferPointer(start: s, count: p + f), value: pair.value, offset: o))
                o = pair.end
            }
        }
    }

    /// Calls `body` with the pair at `offset` (an `Element.offset` or one of `pairOffsets()`).
    @inlinable
    public func withElement<R>(at offset: Int, _ body: (Element) throws -> R) rethrows -> R {
        let pair = HashListpack.pair(in: bytes.baseAddress!, at: offset)
        let p = prefix.count
        if p == 0 { return try body(Element(field: pair.suffix, value: pair.value, offset: offset)) }
        let f = pair.suffix.count
        return try withUnsafeTemporaryAllocation(byteCount: p + f, alignment: 8) { scratch in
            let s = scratch.baseAddress!
            s.copyMemory(from: prefix.baseAddress!, byteCount: p)
            if f > 0 { (s + p).copyMemory(from: pair.suffix.baseAddress!, byteCount: f) }
            return try body(Element(field: UnsafeRawBufferPointer(start: s, count: p + f), value: pair.value, offset: offset))
        }
    }

    /// Offsets of every pair, for random access (HRANDFIELD).
    public func pairOffsets() -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(count)
        guard let base = bytes.baseAddress else { return result }
        var o = bodyStart
        while o < bytes.count {
            result.append(o)
            o = HashListpack.pair(in: base, at: o).end
        }
        return result
    }

    /// Every pair as arrays (tests, cold paths).
    public var elements: [(field: [UInt8], value: [UInt8])] {
        var result: [(field: [UInt8], value: [UInt8])] = []
        forEach { result.append((Array($0.field), Array($0.value))) }
        return result
    }

    /// Bytes of a compact hash holding exactly these pairs (tests, RESTORE-style builders).
    public static func encode(_ pairs: [([UInt8], [UInt8])]) -> [UInt8] {
        var builder = HashListpackBuilder(copying: nil, reserve: 0)
        for (f, v) in pairs {
            f.withUnsafeBytes { fb in v.withUnsafeBytes { vb in _ = builder.set(field: fb, value: vb) } }
        }
        return Array(builder.sealed().bytes)
    }
}

/// A scratch copy of a compact hash being modified: pairs (with whole fields) are updated,
/// appended and removed in a malloc'd buffer, then `sealed()` finds the fields' common prefix
/// and yields the bytes to store with `Keyspace.setCompact`.
public struct HashListpackBuilder: ~Copyable {
    /// Room kept in front of the pairs for the header when there is no prefix to factor out.
    @usableFromInline static let headerRoom = 10
    @usableFromInline var base: UnsafeMutableRawPointer
    @usableFromInline var capacity: Int
    /// Offset just past the last pair.
    @usableFromInline var end: Int
    /// Number of pairs.
    public private(set) var count: Int
    /// The prefix-factored form `sealed()` built, if it needed a buffer of its own.
    @usableFromInline var output: UnsafeMutableRawPointer?

    /// Starts from the pairs of `source` (or empty), with room for `extra` more bytes.
    public init(copying source: HashListpack?, reserve extra: Int) {
        let room = HashListpackBuilder.headerRoom
        let body = source.map { $0.bytes.count - $0.bodyStart + $0.count * $0.prefix.count } ?? 0
        capacity = room + body + max(extra, 16)
        base = malloc(capacity)!
        end = room
        count = 0
        output = nil
        guard let source else { return }
        if source.prefix.count == 0 {
            let n = source.bytes.count - source.bodyStart
            if n > 0 { (base + end).copyMemory(from: source.bytes.baseAddress! + source.bodyStart, byteCount: n) }
            end += n
        } else {
            let p = source.prefix
            let sourceBase = source.bytes.baseAddress!
            var o = source.bodyStart
            while o < source.bytes.count {
                let pair = HashListpack.pair(in: sourceBase, at: o)
                let f = p.count + pair.suffix.count
                ensure(HashPairCodec.pairSize(fieldLength: f, valueLength: pair.value.count))
                var w = end + HashPairCodec.writeHeader(fieldLength: f, valueLength: pair.value.count, to: base + end)
                (base + w).copyMemory(from: p.baseAddress!, byteCount: p.count)
                w += p.count
                if pair.suffix.count > 0 { (base + w).copyMemory(from: pair.suffix.baseAddress!, byteCount: pair.suffix.count) }
                w += pair.suffix.count
                if pair.value.count > 0 { (base + w).copyMemory(from: pair.value.baseAddress!, byteCount: pair.value.count) }
                end = w + pair.value.count
                o = pair.end
            }
        }
        count = source.count
    }

    deinit {
        free(base)
        if let output { free(output) }
    }

    /// Bytes of pairs (without the header).
    public var byteCount: Int { end - HashListpackBuilder.headerRoom }

    @inlinable
    mutating func ensure(_ more: Int) {
        let need = end + more
        if need <= capacity { return }
        capacity = max(need, capacity * 2)
        base = realloc(base, capacity)!
    }

    @inlinable
    static var noPrefix: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// The pair under `field`, if any (offsets relative to the buffer).
    @inlinable
    public func find(_ field: UnsafeRawBufferPointer) -> HashListpack.Pair? {
        HashListpack.find(field, prefix: HashListpackBuilder.noPrefix, in: base, from: HashListpackBuilder.headerRoom, to: end)
    }

    /// Sets `field` to `value`; true when the field is new.
    @discardableResult
    public mutating func set(field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        let newSize = HashPairCodec.pairSize(fieldLength: field.count, valueLength: value.count)
        if let p = find(field) {
            let oldSize = p.end - p.offset
            if newSize != oldSize {
                if newSize > oldSize { ensure(newSize - oldSize) }
                let tail = end - p.end
                if tail > 0 { memmove(base + p.offset + newSize, base + p.end, tail) }
                end += newSize - oldSize
            }
            _ = HashPairCodec.writePair(field: field, value: value, to: base + p.offset)
            return false
        }
        ensure(newSize)
        end += HashPairCodec.writePair(field: field, value: value, to: base + end)
        count += 1
        return true
    }

    /// Removes `field`; false if it was not there.
    @discardableResult
    public mutating func remove(field: UnsafeRawBufferPointer) -> Bool {
        guard let p = find(field) else { return false }
        let tail = end - p.end
        if tail > 0 { memmove(base + p.offset, base + p.end, tail) }
        end -= p.end - p.offset
        count -= 1
        return true
    }

    /// Length of the prefix all fields share (0 for fewer than two fields, where factoring a
    /// prefix out saves nothing).
    func commonPrefixLength() -> Int {
        guard count >= 2 else { return 0 }
        let start = HashListpackBuilder.headerRoom
        let first = HashListpack.pair(in: base, at: start)
        var p = first.suffix.count
        var o = first.end
        while o < end && p > 0 {
            let pair = HashListpack.pair(in: base, at: o)
            p = min(p, pair.suffix.count)
            var i = 0
            while i < p && pair.suffix[i] == first.suffix[i] { i += 1 }
            p = i
            o = pair.end
        }
        return p
    }

    /// The finished compact bytes, valid until the builder is next modified or destroyed.
    public mutating func sealed() -> HashListpack {
        let p = commonPrefixLength()
        let word = count << 1 | (p > 0 ? 1 : 0)
        if p == 0 {
            let n = HashPairCodec.varintSize(word)
            let start = HashListpackBuilder.headerRoom - n
            _ = HashPairCodec.writeVarint(word, to: base + start)
            return HashListpack(UnsafeRawBufferPointer(start: base + start, count: end - start))
        }
        // Every field loses `p` bytes (its header never grows), the header gains the prefix.
        let size = HashPairCodec.varintSize(word) + HashPairCodec.varintSize(p) + p + byteCount
        if let output { free(output) }
        let out = malloc(size)!
        output = out
        var w = HashPairCodec.writeVarint(word, to: out)
        w += HashPairCodec.writeVarint(p, to: out + w)
        let firstField = HashListpack.pair(in: base, at: HashListpackBuilder.headerRoom).suffix
        (out + w).copyMemory(from: firstField.baseAddress!, byteCount: p)
        w += p
        var o = HashListpackBuilder.headerRoom
        while o < end {
            let pair = HashListpack.pair(in: base, at: o)
            let suffix = UnsafeRawBufferPointer(rebasing: pair.suffix[p...])
            w += HashPairCodec.writePair(field: suffix, value: pair.value, to: out + w)
            o = pair.end
        }
        return HashListpack(UnsafeRawBufferPointer(start: out, count: w))
    }
}
