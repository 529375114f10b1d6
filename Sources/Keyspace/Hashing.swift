#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Number of hash slots in a Redis Cluster; every database is split into this many shards.
public let clusterSlotCount = 16384

/// CRC16-XMODEM (polynomial 0x1021, initial value 0, no reflection), the checksum Redis Cluster
/// uses to map keys to slots; one 256-entry table, built once.
@usableFromInline
nonisolated(unsafe) let crc16Table: UnsafePointer<UInt16> = {
    let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
    for byte in 0..<256 {
        var crc = UInt16(byte) << 8
        for _ in 0..<8 {
            crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        table[byte] = crc
    }
    return UnsafePointer(table)
}()

/// The effect of two bytes at once: for a 16-bit value `w` (state XOR two message bytes),
/// `crc16PairTable[w >> 8] ^ crc16Table[w & 0xFF]` equals two steps of the byte-wise update.
/// It holds because CRC is linear over XOR: stepping byte `h` leaves `T[h]`, whose high byte is
/// folded through the table once more while its low byte shifts up.
@usableFromInline
nonisolated(unsafe) let crc16PairTable: UnsafePointer<UInt16> = {
    let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
    for h in 0..<256 {
        let t = crc16Table[h]
        table[h] = ((t & 0xFF) << 8) ^ crc16Table[Int(t >> 8)]
    }
    return UnsafePointer(table)
}()

/// CRC16-XMODEM of `count` bytes at `bytes`, two bytes per step.
@inlinable
public func crc16(_ bytes: UnsafeRawPointer, count: Int) -> UInt16 {
    let single = crc16Table
    let pair = crc16PairTable
    var crc: UInt16 = 0
    var i = 0
    while i &+ 2 <= count {
        let w = crc ^ UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self))
        crc = pair[Int(w >> 8)] ^ single[Int(w & 0xFF)]
        i &+= 2
    }
    if i < count {
        let b = bytes.load(fromByteOffset: i, as: UInt8.self)
        crc = (crc << 8) ^ single[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ b)]
    }
    return crc
}

/// The cluster slot of a key: CRC16 of the key modulo 16384, where a non-empty `{hash tag}` (the
/// bytes between the first `{` and the first `}` after it) replaces the key, as in Redis.
@inlinable
public func keyHashSlot(_ key: UnsafeRawBufferPointer) -> Int {
    guard let base = key.baseAddress else { return 0 }
    let n = key.count
    if let open = memchr(base, Int32(UInt8(ascii: "{")), n) {
        let start = UnsafeRawPointer(open) + 1
        let rest = n - (start - base)
        if let close = memchr(start, Int32(UInt8(ascii: "}")), rest), UnsafeRawPointer(close) != start {
            return Int(crc16(start, count: UnsafeRawPointer(close) - start) & 0x3FFF)
        }
    }
    return Int(crc16(base, count: n) & 0x3FFF)
}

// MARK: - 64-bit key hash

// A wyhash-style hash (multiply-fold mixing, word-at-a-time reads). It only has to spread keys
// over a shard's table; the slot comes from CRC16.

@usableFromInline let hashSecret0: UInt64 = 0xa076_1d64_78bd_642f
@usableFromInline let hashSecret1: UInt64 = 0xe703_7ed1_a0b4_28db
@usableFromInline let hashSecret2: UInt64 = 0x8ebc_6af0_9c88_c6e3
@usableFromInline let hashSecret3: UInt64 = 0x5899_65cc_7537_4cc3

@inlinable @inline(__always)
func hashMix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let r = a.multipliedFullWidth(by: b)
    return r.high ^ r.low
}

@inlinable @inline(__always)
func read64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    p.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
}

@inlinable @inline(__always)
func read32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// A fast 64-bit hash of `count` bytes (any count, including 0 with a nil pointer).
@inlinable
public func keyHash64(_ bytes: UnsafeRawPointer?, count n: Int) -> UInt64 {
    var seed = hashSecret0 ^ 0x2d35_8dcc_aa6c_78a5
    var a: UInt64 = 0
    var b: UInt64 = 0
    if let p = bytes, n > 0 {
        if n <= 16 {
            if n >= 4 {
                let q = (n >> 3) << 2
                a = (read32(p, 0) << 32) | read32(p, q)
                b = (read32(p, n - 4) << 32) | read32(p, n - 4 - q)
            } else {
                a = (UInt64(p.load(as: UInt8.self)) << 16)
                    | (UInt64(p.load(fromByteOffset: n >> 1, as: UInt8.self)) << 8)
                    | UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self))
            }
        } else {
            var remaining = n
            var offset = 0
            if remaining > 48 {
                var seed1 = seed
                var seed2 = seed
                repeat {
                    seed = hashMix(read64(p, offset) ^ hashSecret1, read64(p, offset + 8) ^ seed)
                    seed1 = hashMix(read64(p, offset + 16) ^ hashSecret2, read64(p, offset + 24) ^ seed1)
                    seed2 = hashMix(read64(p, offset + 32) ^ hashSecret3, read64(p, offset + 40) ^ seed2)
                    offset += 48
                    remaining -= 48
                } while remaining > 48
                seed ^= seed1 ^ seed2
            }
            while remaining > 16 {
                seed = hashMix(read64(p, offset) ^ hashSecret1, read64(p, offset + 8) ^ seed)
                offset += 16
                remaining -= 16
            }
            a = read64(p, offset + remaining - 16)
            b = read64(p, offset + remaining - 8)
        }
    }
    a ^= hashSecret1
    b ^= seed
    let r = a.multipliedFullWidth(by: b)
    return hashMix(r.low ^ hashSecret0 ^ UInt64(truncatingIfNeeded: n), r.high ^ hashSecret1)
}

/// A key as the keyspace sees it during one command: a view of its bytes (usually in the
/// connection's read buffer) with its slot and table hash computed once.
public struct Key {
    public let bytes: UnsafeRawBufferPointer
    public let slot: Int
    public let hash: UInt64

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.slot = keyHashSlot(bytes)
        self.hash = keyHash64(bytes.baseAddress, count: bytes.count)
    }

    /// For a caller that already knows the slot (the dispatcher computed it for routing).
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, slot: Int) {
        self.bytes = bytes
        self.slot = slot
        self.hash = keyHash64(bytes.baseAddress, count: bytes.count)
    }
}
