/// CRC-64 as Redis computes it for RDB files and DUMP payloads: the "Jones" polynomial
/// 0xad93d23594c935a9, reflected (0x95ac9329ac4bc9b5 in LSB-first form), initial value 0, no final
/// XOR. `crc64(0, "123456789") == 0xe9c6d914c4b8d9ca`.
///
/// Table-driven with slicing-by-8: eight 256-entry tables let one step fold 8 input bytes, so the
/// loop does one 64-bit load and eight table lookups per 8 bytes instead of 8 dependent steps.
nonisolated(unsafe) let crc64Tables: UnsafePointer<UInt64> = {
    let poly: UInt64 = 0x95ac_9329_ac4b_c9b5
    let t = UnsafeMutablePointer<UInt64>.allocate(capacity: 8 * 256)
    for i in 0..<256 {
        var crc = UInt64(i)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ poly : crc >> 1 }
        t[i] = crc
    }
    for k in 1..<8 {
        for i in 0..<256 {
            let prev = t[(k - 1) * 256 + i]
            t[k * 256 + i] = t[Int(prev & 0xFF)] ^ (prev >> 8)
        }
    }
    return UnsafePointer(t)
}()

/// Continues a CRC-64 (`crc` = 0 to start) over `count` bytes at `bytes`.
public func crc64(_ crc: UInt64, _ bytes: UnsafeRawPointer?, count: Int) -> UInt64 {
    guard let p = bytes, count > 0 else { return crc }
    let t = crc64Tables
    var c = crc
    var i = 0
    while i &+ 8 <= count {
        c ^= UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        c = t[7 &* 256 &+ Int(c & 0xFF)]
            ^ t[6 &* 256 &+ Int((c >> 8) & 0xFF)]
            ^ t[5 &* 256 &+ Int((c >> 16) & 0xFF)]
            ^ t[4 &* 256 &+ Int((c >> 24) & 0xFF)]
            ^ t[3 &* 256 &+ Int((c >> 32) & 0xFF)]
            ^ t[2 &* 256 &+ Int((c >> 40) & 0xFF)]
            ^ t[1 &* 256 &+ Int((c >> 48) & 0xFF)]
            ^ t[Int(c >> 56)]
        i &+= 8
    }
    while i < count {
        c = t[Int((c ^ UInt64(p.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (c >> 8)
        i &+= 1
    }
    return c
}

/// CRC-64 of a byte buffer.
public func crc64(_ crc: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
    crc64(crc, bytes.baseAddress, count: bytes.count)
}

/// CRC-64 of an array (tests, cold paths).
public func crc64<C: Collection>(_ crc: UInt64, _ bytes: C) -> UInt64 where C.Element == UInt8 {
    Array(bytes).withUnsafeBytes { crc64(crc, $0) }
}
