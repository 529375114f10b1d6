#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable malloc'd byte buffer with the RESP framing helpers the writer needs.
struct ByteBuffer {
    var base: UnsafeMutableRawPointer
    var count = 0
    var capacity: Int
    let initialCapacity: Int

    init(capacity: Int) {
        base = malloc(capacity)!
        self.capacity = capacity
        initialCapacity = capacity
    }

    func release() { free(base) }

    @inline(__always) mutating func reserve(_ n: Int) {
        if count &+ n > capacity { grow(count + n) }
    }

    mutating func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        base = realloc(base, c)!
        capacity = c
    }

    /// Gives memory back after a burst (a huge MULTI or a stalled disk) once it has drained.
    mutating func shrinkIfHuge() {
        if capacity > 16 << 20 && count == 0 {
            free(base)
            base = malloc(initialCapacity)!
            capacity = initialCapacity
        }
    }

    mutating func removeFirst(_ n: Int) {
        memmove(base, base + n, count - n)
        count -= n
    }

    @inline(__always) mutating func append(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        if let p = bytes.baseAddress, bytes.count > 0 { memcpy(base + count, p, bytes.count) }
        count &+= bytes.count
    }

    mutating func append(staticBytes s: StaticString) {
        append(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always) mutating func appendCRLF() {
        reserve(2)
        base.storeBytes(of: 0x0a0d, toByteOffset: count, as: UInt16.self)
        count &+= 2
    }

    /// `*n\r\n` or `$n\r\n`.
    @inline(__always) mutating func appendHeader(_ prefix: UInt8, _ n: Int) {
        reserve(24)
        base.storeBytes(of: prefix, toByteOffset: count, as: UInt8.self)
        count &+= 1
        appendDecimal(n)
        appendCRLF()
    }

    @inline(__always) mutating func appendDecimal(_ value: Int) {
        reserve(20)
        if value < 10 && value >= 0 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: 48 &+ value), toByteOffset: count, as: UInt8.self)
            count &+= 1
            return
        }
        var v = value.magnitude
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { t in
            repeat {
                t[23 - n] = UInt8(truncatingIfNeeded: 48 &+ v % 10)
                v /= 10
                n &+= 1
            } while v > 0
            if value < 0 { n &+= 1; t[24 - n] = UInt8(ascii: "-") }
            memcpy(base + count, t.baseAddress! + (24 - n), n)
        }
        count &+= n
    }
}
