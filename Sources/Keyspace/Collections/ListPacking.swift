#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The byte format of one list element inside a node:
///
/// ```
/// [length, forward form][bytes][length, backward form]
/// ```
///
/// Both length forms take 1 byte below 128, 2 bytes below 16384, else 9 bytes, so a node can be
/// walked from either end (LINDEX / LRANGE from the nearer end, RPOP, LREM with a negative
/// count) without an index. The forward form starts with its tag byte, the backward form ends with
/// it: `0xxxxxxx` = the length itself, `10xxxxxx` = 6 high bits (the other byte holds the low 8),
/// `11000000` = a 64-bit little-endian length in the 8 other bytes. A 3-byte value costs 5 bytes,
/// as in Redis's listpack.
@usableFromInline
enum ListPacking {
    /// Bytes of one length form for a value of `n` bytes.
    @inlinable @inline(__always)
    static func lengthSize(_ n: Int) -> Int {
        n < 128 ? 1 : (n < 16384 ? 2 : 9)
    }

    /// Bytes an element of `n` bytes takes in a node.
    @inlinable @inline(__always)
    static func encodedSize(_ n: Int) -> Int {
        n &+ 2 &* lengthSize(n)
    }

    /// Writes an element at `p` (room for `encodedSize(value.count)` bytes).
    @inlinable @inline(__always)
    static func write(_ value: UnsafeRawBufferPointer, at p: UnsafeMutableRawPointer) {
        let n = value.count
        if n < 128 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: n), as: UInt8.self)
            if n > 0 { (p + 1).copyMemory(from: value.baseAddress.unsafelyUnwrapped, byteCount: n) }
            p.storeBytes(of: UInt8(truncatingIfNeeded: n), toByteOffset: n &+ 1, as: UInt8.self)
        } else if n < 16384 {
            let high = UInt8(truncatingIfNeeded: n >> 8) | 0x80
            let low = UInt8(truncatingIfNeeded: n)
            p.storeBytes(of: high, as: UInt8.self)
            p.storeBytes(of: low, toByteOffset: 1, as: UInt8.self)
            (p + 2).copyMemory(from: value.baseAddress.unsafelyUnwrapped, byteCount: n)
            p.storeBytes(of: low, toByteOffset: n &+ 2, as: UInt8.self)
            p.storeBytes(of: high, toByteOffset: n &+ 3, as: UInt8.self)
        } else {
            p.storeBytes(of: UInt8(0xC0), as: UInt8.self)
            p.storeBytes(of: UInt64(n).littleEndian, toByteOffset: 1, as: UInt64.self)
            (p + 9).copyMemory(from: value.baseAddress.unsafelyUnwrapped, byteCount: n)
            p.storeBytes(of: UInt64(n).littleEndian, toByteOffset: n &+ 9, as: UInt64.self)
            p.storeBytes(of: UInt8(0xC0), toByteOffset: n &+ 17, as: UInt8.self)
        }
    }

    /// The value length and length-form size of the element starting at `p`.
    @inlinable @inline(__always)
    static func readForward(_ p: UnsafeRawPointer) -> (length: Int, lengthSize: Int) {
        let tag = p.load(as: UInt8.self)
        if tag < 0x80 { return (Int(tag), 1) }
        if tag < 0xC0 {
            return (Int(tag & 0x3F) << 8 | Int(p.load(fromByteOffset: 1, as: UInt8.self)), 2)
        }
        return (Int(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 1, as: UInt64.self))), 9)
    }

    /// The value length and length-form size of the element ending just before `end`.
    @inlinable @inline(__always)
    static func readBackward(_ end: UnsafeRawPointer) -> (length: Int, lengthSize: Int) {
        let tag = end.load(fromByteOffset: -1, as: UInt8.self)
        if tag < 0x80 { return (Int(tag), 1) }
        if tag < 0xC0 {
            return (Int(tag & 0x3F) << 8 | Int(end.load(fromByteOffset: -2, as: UInt8.self)), 2)
        }
        return (Int(UInt64(littleEndian: end.loadUnaligned(fromByteOffset: -9, as: UInt64.self))), 9)
    }

    /// Whether the element whose value (of `length` bytes) starts at `p` equals `value`.
    @inlinable @inline(__always)
    static func equals(_ p: UnsafeRawPointer, _ length: Int, _ value: UnsafeRawBufferPointer) -> Bool {
        length == value.count && (length == 0 || memcmp(p, value.baseAddress.unsafelyUnwrapped, length) == 0)
    }
}

/// One node of a list: a `malloc`ed buffer whose elements occupy `start..<end`, with free room on
/// both sides so that pushes at either end of the list write in place (a gap buffer; Redis's
/// listpack moves the whole node on every LPUSH instead).
@usableFromInline
struct ListNode {
    @usableFromInline var base: UnsafeMutableRawPointer
    @usableFromInline var capacity: Int
    @usableFromInline var start: Int
    @usableFromInline var end: Int
    @usableFromInline var count: Int

    @inlinable
    init(base: UnsafeMutableRawPointer, capacity: Int, start: Int, end: Int, count: Int) {
        self.base = base
        self.capacity = capacity
        self.start = start
        self.end = end
        self.count = count
    }

    /// Bytes the elements occupy.
    @inlinable
    var used: Int { end &- start }

    /// Size of the element starting at `offset`.
    @inlinable @inline(__always)
    func sizeForward(at offset: Int) -> Int {
        let (n, h) = ListPacking.readForward(base + offset)
        return n &+ 2 &* h
    }

    /// Size of the element ending at `offset`.
    @inlinable @inline(__always)
    func sizeBackward(endingAt offset: Int) -> Int {
        let (n, h) = ListPacking.readBackward(base + offset)
        return n &+ 2 &* h
    }

    /// The value of the element starting at `offset`, and the offset of the next one.
    @inlinable @inline(__always)
    func element(at offset: Int) -> (value: UnsafeRawBufferPointer, next: Int) {
        let (n, h) = ListPacking.readForward(base + offset)
        return (UnsafeRawBufferPointer(start: base + (offset &+ h), count: n), offset &+ n &+ 2 &* h)
    }

    /// The value of the element ending at `offset`, and the offset where it starts.
    @inlinable @inline(__always)
    func element(endingAt offset: Int) -> (value: UnsafeRawBufferPointer, start: Int) {
        let (n, h) = ListPacking.readBackward(base + offset)
        let s = offset &- n &- 2 &* h
        return (UnsafeRawBufferPointer(start: base + (s &+ h), count: n), s)
    }
}

/// Node size limits from `list-max-listpack-size`, as Redis's quicklist applies them: a negative
/// fill caps a node's bytes (-1: 4 KB ... -5: 64 KB; lower is clamped to -5), a positive one caps
/// its elements (at most 32767) with a safety limit of 8 KB; a node always takes one element.
@usableFromInline
struct ListNodeLimits {
    @usableFromInline let bytes: Int
    @usableFromInline let elements: Int

    @inlinable
    init(fill: Int) {
        if fill < 0 {
            let level = fill < -5 ? 5 : -fill
            bytes = 4096 << (level - 1)
            elements = Int.max
        } else {
            bytes = 8192
            elements = Swift.min(fill, 32767)
        }
    }

    /// Whether `node` may take one more element of `size` encoded bytes.
    @inlinable @inline(__always)
    func allows(_ node: ListNode, _ size: Int) -> Bool {
        node.count == 0 || (node.used &+ size <= bytes && node.count < elements)
    }
}
