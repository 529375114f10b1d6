#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How one field/value pair of a hash is laid out, both in the compact (inline) form and in the
/// nodes of a `HashFieldTable`:
///
/// ```
/// [lengths: UInt8][field length: varint if ≥ 15][value length: varint if ≥ 15][field][value]
/// ```
///
/// The lengths byte holds the field length in its high nibble and the value length in its low
/// nibble; 15 in a nibble means "the length follows as a LEB128 varint". Typical hash fields and
/// values (`name`, `age`, 12-byte values) are under 15 bytes, so a pair usually costs one byte
/// beyond its data: that byte is what keeps 10 such pairs plus a 13-byte key inside a 224-byte
/// malloc chunk.
@usableFromInline
enum HashPairCodec {
    @usableFromInline static let escape = 15

    @inlinable @inline(__always)
    static func varintSize(_ x: Int) -> Int {
        var n = 1
        var rest = UInt(bitPattern: x) >> 7
        while rest != 0 {
            n &+= 1
            rest >>= 7
        }
        return n
    }

    @inlinable @inline(__always)
    static func writeVarint(_ x: Int, to p: UnsafeMutableRawPointer) -> Int {
        var rest = UInt(bitPattern: x)
        var i = 0
        while rest >= 0x80 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: rest) | 0x80, toByteOffset: i, as: UInt8.self)
            rest >>= 7
            i &+= 1
        }
        p.storeBytes(of: UInt8(truncatingIfNeeded: rest), toByteOffset: i, as: UInt8.self)
        return i &+ 1
    }

    @inlinable @inline(__always)
    static func readVarint(_ p: UnsafeRawPointer, _ offset: inout Int) -> Int {
        var result = 0
        var shift = 0
        while true {
            let b = p.load(fromByteOffset: offset, as: UInt8.self)
            offset &+= 1
            result |= Int(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift &+= 7
        }
    }

    /// Bytes the lengths of a pair take.
    @inlinable @inline(__always)
    static func headerSize(fieldLength f: Int, valueLength v: Int) -> Int {
        1 &+ (f >= escape ? varintSize(f) : 0) &+ (v >= escape ? varintSize(v) : 0)
    }

    /// Bytes a whole pair takes.
    @inlinable @inline(__always)
    static func pairSize(fieldLength f: Int, valueLength v: Int) -> Int {
        headerSize(fieldLength: f, valueLength: v) &+ f &+ v
    }

    /// Writes the lengths of a pair at `p`; returns how many bytes that took.
    @inlinable @inline(__always)
    static func writeHeader(fieldLength f: Int, valueLength v: Int, to p: UnsafeMutableRawPointer) -> Int {
        let fn = f >= escape ? escape : f
        let vn = v >= escape ? escape : v
        p.storeBytes(of: UInt8(truncatingIfNeeded: fn << 4 | vn), as: UInt8.self)
        var n = 1
        if f >= escape { n &+= writeVarint(f, to: p + n) }
        if v >= escape { n &+= writeVarint(v, to: p + n) }
        return n
    }

    /// Writes a whole pair at `p`; returns its size.
    @inlinable @inline(__always)
    static func writePair(
        field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, to p: UnsafeMutableRawPointer
    ) -> Int {
        var n = writeHeader(fieldLength: field.count, valueLength: value.count, to: p)
        if field.count > 0 { (p + n).copyMemory(from: field.baseAddress!, byteCount: field.count) }
        n &+= field.count
        if value.count > 0 { (p + n).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        return n &+ value.count
    }

    /// Reads the lengths of the pair at `offset`; `offset` is left at the first field byte.
    @inlinable @inline(__always)
    static func readHeader(_ p: UnsafeRawPointer, _ offset: inout Int) -> (field: Int, value: Int) {
        let b = Int(p.load(fromByteOffset: offset, as: UInt8.self))
        offset &+= 1
        var f = b >> 4
        var v = b & 0xF
        if f == escape { f = readVarint(p, &offset) }
        if v == escape { v = readVarint(p, &offset) }
        return (f, v)
    }

    /// Byte equality of a stored field with a requested one.
    @inlinable @inline(__always)
    static func equal(_ stored: UnsafeRawPointer, _ other: UnsafeRawBufferPointer) -> Bool {
        let n = other.count
        if n == 0 { return true }
        let o = other.baseAddress.unsafelyUnwrapped
        if n <= 8 {
            if n >= 4 {
                return stored.loadUnaligned(as: UInt32.self) == o.loadUnaligned(as: UInt32.self)
                    && stored.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
                        == o.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
            }
            var i = 0
            while i < n {
                if stored.load(fromByteOffset: i, as: UInt8.self) != o.load(fromByteOffset: i, as: UInt8.self) {
                    return false
                }
                i &+= 1
            }
            return true
        }
        if n <= 16 {
            return stored.loadUnaligned(as: UInt64.self) == o.loadUnaligned(as: UInt64.self)
                && stored.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                    == o.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        }
        return memcmp(stored, o, n) == 0
    }
}

/// A small, fast generator for HRANDFIELD (wyrand), seeded from the system generator once per
/// command: sampling needs speed and spread, not secrecy.
public struct HashRandom: RandomNumberGenerator {
    @usableFromInline var state: UInt64

    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0xa076_1d64_78bd_642f
        let r = state.multipliedFullWidth(by: state ^ 0xe703_7ed1_a0b4_28db)
        return r.high ^ r.low
    }

    /// Uniform in `0..<bound` (`bound` > 0).
    @inlinable
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
