#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable byte buffer the encoders write into: one malloc'd block, appends are memcpy into
/// reserved room. Owned by its user (a writer, an encoder); not copyable.
public struct RDBBuffer: ~Copyable {
    var base: UnsafeMutableRawPointer
    var capacity: Int
    /// Bytes written.
    public internal(set) var count: Int

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = malloc(self.capacity)!
        count = 0
    }

    deinit { free(base) }

    /// The bytes written so far (valid until the next write).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    public var array: [UInt8] { Array(bytes) }

    public mutating func removeAll() { count = 0 }

    /// Makes room for `n` more bytes.
    @inline(__always)
    public mutating func reserve(_ n: Int) {
        if count &+ n > capacity { grow(count &+ n) }
    }

    mutating func grow(_ need: Int) {
        var c = capacity
        while c < need { c = c < (1 << 20) ? c * 2 : c + (c >> 1) }
        base = realloc(base, c)!
        capacity = c
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count &+= 1
    }

    @inline(__always)
    public mutating func append(_ p: UnsafeRawPointer?, count n: Int) {
        guard n > 0, let p else { return }
        reserve(n)
        (base + count).copyMemory(from: p, byteCount: n)
        count &+= n
    }

    @inline(__always)
    public mutating func append(_ b: UnsafeRawBufferPointer) { append(b.baseAddress, count: b.count) }

    public mutating func append(_ a: [UInt8]) { a.withUnsafeBytes { append($0) } }

    @inline(__always)
    public mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        reserve(MemoryLayout<T>.size)
        (base + count).storeBytes(of: v.littleEndian, as: T.self)
        count &+= MemoryLayout<T>.size
    }

    @inline(__always)
    public mutating func appendBE<T: FixedWidthInteger>(_ v: T) {
        reserve(MemoryLayout<T>.size)
        (base + count).storeBytes(of: v.bigEndian, as: T.self)
        count &+= MemoryLayout<T>.size
    }

    /// Pointer to `n` reserved bytes at the end; call `commit` with how many were written.
    @inline(__always)
    public mutating func tail(_ n: Int) -> UnsafeMutableRawPointer {
        reserve(n)
        return base + count
    }

    @inline(__always)
    public mutating func commit(_ n: Int) { count &+= n }

    /// Overwrites bytes already written.
    public func patchLE<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        (base + offset).storeBytes(of: v.littleEndian, as: T.self)
    }

    /// Drops the first `n` bytes (after they were flushed).
    public mutating func removeFirst(_ n: Int) {
        if n >= count {
            count = 0
            return
        }
        memmove(base, base + n, count - n)
        count -= n
    }
}
