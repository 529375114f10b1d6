#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `intset` encoding of a small set of integers, kept inline in its keyspace entry
/// (`CompactEncoding.intset`):
///
/// ```
/// [width: UInt8 = 2, 4 or 8][count little-endian signed integers of that width, ascending]
/// ```
///
/// As in Redis, the width is the narrowest that holds every member and only ever widens (a
/// removal never narrows it), so 16-bit members cost 2 bytes each. The count follows from the
/// entry's value length. Values may sit at any address, so every access is an unaligned load.
public enum SetIntset {
    /// The narrowest width (2, 4 or 8 bytes) that holds `value`.
    @inlinable
    public static func width(for value: Int64) -> Int {
        if value >= Int64(Int16.min) && value <= Int64(Int16.max) { return 2 }
        if value >= Int64(Int32.min) && value <= Int64(Int32.max) { return 4 }
        return 8
    }

    @inlinable
    public static func width(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytes.count == 0 ? 2 : Int(bytes[0])
    }

    @inlinable
    public static func count(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytes.count <= 1 ? 0 : (bytes.count &- 1) / Int(bytes[0])
    }

    /// Bytes an intset of `count` members of `width` bytes takes.
    @inlinable
    public static func byteCount(count: Int, width: Int) -> Int { 1 &+ count &* width }

    @inlinable @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ index: Int, _ width: Int) -> Int64 {
        let p = base + 1 + index &* width
        switch width {
        case 2: return Int64(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
        case 4: return Int64(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
        default: return Int64(littleEndian: p.loadUnaligned(as: Int64.self))
        }
    }

    @inlinable @inline(__always)
    static func store(_ base: UnsafeMutableRawPointer, _ index: Int, _ width: Int, _ value: Int64) {
        let p = base + 1 + index &* width
        switch width {
        case 2: p.storeBytes(of: Int16(truncatingIfNeeded: value).littleEndian, as: Int16.self)
        case 4: p.storeBytes(of: Int32(truncatingIfNeeded: value).littleEndian, as: Int32.self)
        default: p.storeBytes(of: value.littleEndian, as: Int64.self)
        }
    }

    /// The member at `index` (0 ..< count, ascending order).
    @inlinable
    public static func value(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int64 {
        load(bytes.baseAddress!, index, Int(bytes[0]))
    }

    /// Binary search: whether `value` is a member, and its index or the index it would take.
    @inlinable
    public static func search(_ bytes: UnsafeRawBufferPointer, _ value: Int64) -> (found: Bool, index: Int) {
        let n = count(bytes)
        if n == 0 { return (false, 0) }
        let base = bytes.baseAddress!
        let width = Int(bytes[0])
        // Out of the width's range, or beyond either end: no search needed.
        if SetIntset.width(for: value) > width { return (false, value < 0 ? 0 : n) }
        if value > load(base, n &- 1, width) { return (false, n) }
        if value < load(base, 0, width) { return (false, 0) }
        var low = 0
        var high = n &- 1
        while low <= high {
            let mid = (low &+ high) >> 1
            let v = load(base, mid, width)
            if v == value { return (true, mid) }
            if v < value { low = mid &+ 1 } else { high = mid &- 1 }
        }
        return (false, low)
    }

    @inlinable
    public static func contains(_ bytes: UnsafeRawBufferPointer, _ value: Int64) -> Bool {
        search(bytes, value).found
    }

    /// Writes an intset of `count` ascending values given by `value(i)` into `dest` (room for
    /// `byteCount(count:width:)` bytes).
    @inlinable
    public static func write(
        into dest: UnsafeMutableRawPointer, width: Int, count: Int, _ value: (Int) -> Int64
    ) {
        dest.storeBytes(of: UInt8(truncatingIfNeeded: width), as: UInt8.self)
        var i = 0
        while i < count {
            store(dest, i, width, value(i))
            i &+= 1
        }
    }

    /// Calls `body` with the intset holding `bytes`' members plus the sorted, duplicate-free
    /// `additions` (none of which is a member yet), in a temporary buffer.
    public static func withMerged<R>(
        _ bytes: UnsafeRawBufferPointer, adding additions: UnsafeBufferPointer<Int64>,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let n = count(bytes)
        var width = bytes.count == 0 ? 2 : Int(bytes[0])
        for v in additions { width = max(width, SetIntset.width(for: v)) }
        let total = n + additions.count
        let size = byteCount(count: total, width: width)
        return try withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { buffer in
            let dest = buffer.baseAddress!
            dest.storeBytes(of: UInt8(truncatingIfNeeded: width), as: UInt8.self)
            let oldWidth = bytes.count == 0 ? 2 : Int(bytes[0])
            var i = 0  // old members consumed
            var j = 0  // additions consumed
            var k = 0
            while k < total {
                let v: Int64
                if j == additions.count || (i < n && load(bytes.baseAddress!, i, oldWidth) < additions[j]) {
                    v = load(bytes.baseAddress!, i, oldWidth)
                    i &+= 1
                } else {
                    v = additions[j]
                    j &+= 1
                }
                store(dest, k, width, v)
                k &+= 1
            }
            return try body(UnsafeRawBufferPointer(start: dest, count: size))
        }
    }

    /// Calls `body` with `bytes` minus the members at the ascending `indices`, keeping the width
    /// (Redis never narrows an intset).
    public static func withRemoved<R>(
        _ bytes: UnsafeRawBufferPointer, indices: UnsafeBufferPointer<Int>,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let n = count(bytes)
        let width = Int(bytes[0])
        let total = n - indices.count
        let size = byteCount(count: total, width: width)
        return try withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { buffer in
            let dest = buffer.baseAddress!
            dest.storeBytes(of: UInt8(truncatingIfNeeded: width), as: UInt8.self)
            let src = bytes.baseAddress! + 1
            var out = dest + 1
            var start = 0
            for index in indices {
                let run = (index - start) * width
                if run > 0 { out.copyMemory(from: src + start * width, byteCount: run) }
                out += run
                start = index + 1
            }
            let tail = (n - start) * width
            if tail > 0 { out.copyMemory(from: src + start * width, byteCount: tail) }
            return try body(UnsafeRawBufferPointer(start: dest, count: size))
        }
    }
}
