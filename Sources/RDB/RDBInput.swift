#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes a decoder reads: either memory the caller owns (a DUMP payload, a whole file) or a
/// window over a stream that a `source` refills. Views handed out are valid until the next read.
///
/// Untrusted lengths never size an allocation by themselves: over memory, a length beyond the
/// bytes left is an error at once; over a stream the window only doubles when it is full of
/// bytes that really arrived, so it never exceeds twice the data read (and a stream whose size
/// is known — a file — rejects a length beyond it at once).
final class RDBInput {
    var base: UnsafeMutableRawPointer
    var pos = 0
    var end = 0
    var capacity = 0
    /// Reads up to `n` bytes into the pointer; returns the count, 0 at the end, -errno on failure.
    let source: ((UnsafeMutableRawPointer, Int) -> Int)?
    /// Bytes the source can still deliver, when known.
    var remaining: Int?
    /// CRC-64 of the bytes consumed before `crcStart`.
    var crc: UInt64 = 0
    var crcStart = 0
    var trackCRC = false
    /// Stream offset of `base[0]`.
    var consumedBefore = 0

    /// Reads `bytes`, which must stay valid while the input is used.
    init(memory bytes: UnsafeRawBufferPointer) {
        base = UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!)
        end = bytes.count
        capacity = bytes.count
        source = nil
    }

    /// Reads from `source` through a window of `bufferSize` bytes (grown when a single item needs more).
    init(bufferSize: Int = 1 << 18, knownSize: Int? = nil, source: @escaping (UnsafeMutableRawPointer, Int) -> Int) {
        capacity = max(bufferSize, 64)
        base = malloc(capacity)!
        self.source = source
        remaining = knownSize
    }

    deinit {
        if source != nil { free(base) }
    }

    /// Whether the input is memory (views stay valid for its whole life).
    var isMemory: Bool { source == nil }

    /// The stream offset of the next byte (for error messages).
    var offset: Int { consumedBefore + pos }

    /// Bytes buffered and not yet consumed.
    @inline(__always)
    var available: Int { end &- pos }

    /// Makes at least `n` bytes available.
    @inline(__always)
    func ensure(_ n: Int) throws(RDBError) {
        if end &- pos < n { try fill(n) }
    }

    func fill(_ n: Int) throws(RDBError) {
        guard let source else { throw .truncated }
        if let remaining, n - available > remaining { throw .truncated }
        if pos > 0 {
            if trackCRC { crc = crc64(crc, base + crcStart, count: pos - crcStart) }
            let live = end - pos
            if live > 0 { memmove(base, base + pos, live) }
            consumedBefore += pos
            end = live
            pos = 0
            crcStart = 0
        }
        while end < n {
            if end == capacity {
                capacity *= 2
                base = realloc(base, capacity)!
            }
            var got: Int
            repeat { got = source(base + end, capacity - end) } while got == -Int(EINTR)
            if got < 0 { throw .io(Int32(-got)) }
            if got == 0 { throw .truncated }
            end += got
            if remaining != nil { remaining! -= got }
        }
    }

    /// CRC-64 of every byte consumed so far (when `trackCRC` was set from the start).
    func checksumSoFar() -> UInt64 {
        crc64(crc, base + crcStart, count: pos - crcStart)
    }

    @inline(__always)
    func readByte() throws(RDBError) -> UInt8 {
        if pos >= end { try fill(1) }
        let b = base.load(fromByteOffset: pos, as: UInt8.self)
        pos &+= 1
        return b
    }

    @inline(__always)
    func readLE<T: FixedWidthInteger>(_: T.Type) throws(RDBError) -> T {
        let n = MemoryLayout<T>.size
        try ensure(n)
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: pos, as: T.self))
        pos &+= n
        return v
    }

    @inline(__always)
    func readBE<T: FixedWidthInteger>(_: T.Type) throws(RDBError) -> T {
        let n = MemoryLayout<T>.size
        try ensure(n)
        let v = T(bigEndian: base.loadUnaligned(fromByteOffset: pos, as: T.self))
        pos &+= n
        return v
    }

    /// The next `n` bytes, in place (valid until the next read).
    @inline(__always)
    func view(_ n: Int) throws(RDBError) -> UnsafeRawBufferPointer {
        try ensure(n)
        let v = UnsafeRawBufferPointer(start: base + pos, count: n)
        pos &+= n
        return v
    }

    /// How many elements of a collection announcing `n` to reserve room for: throws at once when
    /// `n` elements of at least `minBytes` each cannot fit in what is left of a memory input.
    func reservation(_ n: Int, minBytes: Int) throws(RDBError) -> Int {
        if source == nil {
            if n > available / minBytes { throw .truncated }
            return n
        }
        if let remaining, n > (available + remaining) / minBytes { throw .truncated }
        return min(n, 1 << 16)
    }
}

/// `read(2)` and `write(2)` (named so, because the reader and writer classes have methods of
/// those names).
func systemRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, p, n)
    #else
    return Darwin.read(fd, p, n)
    #endif
}

func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
