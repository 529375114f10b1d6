#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The compact form of a small sorted set (OBJECT ENCODING `listpack`), kept inline in its entry:
///
/// ```
/// [count: UInt32] then per element, ascending by (score, member):
/// [score: Float64][length: UInt8, or 0xFF then UInt32][member bytes]
/// ```
///
/// Scores are stored as binary doubles (Redis keeps text, which reads back the same value); -0 is
/// stored as 0 as Redis's listpack does. Every operation is a linear walk, which is what Redis does
/// on a listpack too, and is bounded by `zset-max-listpack-entries`.
public struct CompactSortedSet {
    public let bytes: UnsafeRawBufferPointer

    public static let headerSize = 4

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable
    public var count: Int {
        bytes.count < 4 ? 0 : Int(bytes.baseAddress!.loadUnaligned(as: UInt32.self))
    }

    /// Offset of the first element (or of the end when empty).
    @inlinable
    public var startOffset: Int { CompactSortedSet.headerSize }

    @inlinable
    public var endOffset: Int { bytes.count }

    /// The element at `offset` and the offset of the next one.
    @inlinable @inline(__always)
    public func element(at offset: Int) -> (score: Double, member: UnsafeRawBufferPointer, next: Int) {
        let p = bytes.baseAddress!
        let score = p.loadUnaligned(fromByteOffset: offset, as: Double.self)
        let short = p.load(fromByteOffset: offset + 8, as: UInt8.self)
        var start = offset + 9
        var length = Int(short)
        if short == 0xFF {
            length = Int(p.loadUnaligned(fromByteOffset: offset + 9, as: UInt32.self))
            start = offset + 13
        }
        return (score, UnsafeRawBufferPointer(start: p + start, count: length), start + length)
    }

    /// Finds a member: its offset, index and score.
    @inlinable
    public func find(_ member: UnsafeRawBufferPointer) -> (offset: Int, index: Int, score: Double)? {
        var offset = startOffset
        var index = 0
        let end = endOffset
        while offset < end {
            let e = element(at: offset)
            if e.member.count == member.count && SortedSetBytes.equal(e.member, member) {
                return (offset, index, e.score)
            }
            offset = e.next
            index &+= 1
        }
        return nil
    }

    /// Offset of the element at `index` (0-based, must be < count).
    @inlinable
    public func offset(ofIndex index: Int) -> Int {
        var offset = startOffset
        var i = 0
        while i < index {
            offset = element(at: offset).next
            i &+= 1
        }
        return offset
    }

    /// Calls `body` with the offsets of all elements, in order (for backward walks).
    @inlinable
    public func withOffsets<R>(_ body: (UnsafeBufferPointer<Int>) throws -> R) rethrows -> R {
        let n = count
        return try withUnsafeTemporaryAllocation(of: Int.self, capacity: max(n, 1)) { buf in
            var offset = startOffset
            for i in 0..<n {
                buf[i] = offset
                offset = element(at: offset).next
            }
            return try body(UnsafeBufferPointer(rebasing: buf[0..<n]))
        }
    }

    /// Encoded size of one element.
    @inlinable @inline(__always)
    public static func elementSize(memberLength n: Int) -> Int { 8 &+ (n < 255 ? 1 : 5) &+ n }

    /// Writes one element at `p`; returns its size.
    @inlinable @inline(__always)
    public static func writeElement(_ p: UnsafeMutableRawPointer, score: Double, member: UnsafeRawBufferPointer) -> Int {
        // Redis stores scores as text and -0 reads back as 0 from a listpack.
        p.storeBytes(of: score == 0 ? 0.0 : score, as: Double.self)
        let n = member.count
        var w = 8
        if n < 255 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: n), toByteOffset: 8, as: UInt8.self)
            w = 9
        } else {
            p.storeBytes(of: 0xFF as UInt8, toByteOffset: 8, as: UInt8.self)
            p.storeBytes(of: UInt32(truncatingIfNeeded: n), toByteOffset: 9, as: UInt32.self)
            w = 13
        }
        if n > 0 { (p + w).copyMemory(from: member.baseAddress!, byteCount: n) }
        return w + n
    }
}

/// Member comparisons shared by both encodings.
public enum SortedSetBytes {
    /// Byte equality.
    @inlinable @inline(__always)
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = a.count
        if n != b.count { return false }
        if n == 0 { return true }
        return memcmp(a.baseAddress!, b.baseAddress!, n) == 0
    }

    /// Redis's `sdscmp`: bytes compared as unsigned, a prefix sorts first.
    @inlinable @inline(__always)
    public static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count &- b.count
    }
}

/// A compact sorted set being edited: a private malloc'd copy that ZADD, ZREM and friends change in
/// place (memmove within the buffer) before the result is stored back into the entry once.
public struct CompactSortedSetBuffer {
    public private(set) var base: UnsafeMutableRawPointer
    public private(set) var size: Int
    public private(set) var capacity: Int

    /// An empty set.
    public init(capacity: Int = 64) {
        self.capacity = max(capacity, 16)
        base = malloc(self.capacity).unsafelyUnwrapped
        size = CompactSortedSet.headerSize
        base.storeBytes(of: 0 as UInt32, as: UInt32.self)
    }

    /// A copy of stored compact bytes, with room to grow.
    public init(copying bytes: UnsafeRawBufferPointer) {
        capacity = max(bytes.count + 64, 16)
        base = malloc(capacity).unsafelyUnwrapped
        if bytes.count >= CompactSortedSet.headerSize {
            base.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            size = bytes.count
        } else {
            base.storeBytes(of: 0 as UInt32, as: UInt32.self)
            size = CompactSortedSet.headerSize
        }
    }

    public func deallocate() { free(base) }

    public var view: CompactSortedSet { CompactSortedSet(UnsafeRawBufferPointer(start: base, count: size)) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    public var count: Int { Int(base.loadUnaligned(as: UInt32.self)) }

    private func setCount(_ n: Int) { base.storeBytes(of: UInt32(truncatingIfNeeded: n), as: UInt32.self) }

    private mutating func reserve(_ extra: Int) {
        if size + extra <= capacity { return }
        capacity = max(capacity * 2, size + extra)
        base = realloc(base, capacity).unsafelyUnwrapped
    }

    /// Where (score, member) goes: before the first element that sorts after it (Redis `zzlInsert`).
    public func insertionOffset(score: Double, member: UnsafeRawBufferPointer) -> Int {
        let v = view
        var offset = v.startOffset
        while offset < size {
            let e = v.element(at: offset)
            if e.score > score || (e.score == score && SortedSetBytes.compare(e.member, member) > 0) { break }
            offset = e.next
        }
        return offset
    }

    /// Inserts a member that is not present.
    public mutating func insert(score: Double, member: UnsafeRawBufferPointer) {
        let offset = insertionOffset(score: score, member: member)
        let n = CompactSortedSet.elementSize(memberLength: member.count)
        reserve(n)
        if offset < size { memmove(base + offset + n, base + offset, size - offset) }
        _ = CompactSortedSet.writeElement(base + offset, score: score, member: member)
        size += n
        setCount(count + 1)
    }

    /// Appends an element known to sort after every present one (building from sorted input).
    public mutating func append(score: Double, member: UnsafeRawBufferPointer) {
        let n = CompactSortedSet.elementSize(memberLength: member.count)
        reserve(n)
        _ = CompactSortedSet.writeElement(base + size, score: score, member: member)
        size += n
        setCount(count + 1)
    }

    /// Removes the elements in the byte range `from..<to`, which hold `elements` elements.
    public mutating func remove(from: Int, to: Int, elements: Int) {
        if to < size { memmove(base + from, base + to, size - to) }
        size -= to - from
        setCount(count - elements)
    }

    /// Removes the element at `offset`.
    public mutating func remove(at offset: Int) {
        let next = view.element(at: offset).next
        remove(from: offset, to: next, elements: 1)
    }
}
