#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One element of a listpack or ziplist: bytes (a view into the blob) or an integer.
public enum PackedElement {
    case bytes(UnsafeRawBufferPointer)
    case integer(Int64)

    /// The element as Redis returns it: integers as their decimal text.
    public var array: [UInt8] {
        switch self {
        case .bytes(let b): return Array(b)
        case .integer(let v): return decimalBytes(v)
        }
    }

    /// Calls `body` with the element's bytes (integers formatted on the stack).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .bytes(let b): return try body(b)
        case .integer(let v): return try withDecimal(v, body)
        }
    }
}

/// Redis's listpack (`src/listpack.c`), the blob inside RDB_TYPE_HASH_LISTPACK,
/// RDB_TYPE_ZSET_LISTPACK and each node of RDB_TYPE_LIST_QUICKLIST_2:
///
/// ```
/// [total bytes: UInt32 LE][element count: UInt16 LE, 65535 = unknown][entry]...[0xFF]
/// entry = [encoding + data][backlen: 1-5 bytes, the size of encoding + data]
/// ```
///
/// Encodings: `0xxxxxxx` 7-bit unsigned integer; `10LLLLLL` string of up to 63 bytes;
/// `110xxxxx yyyyyyyy` 13-bit signed integer; `1110LLLL LLLLLLLL` string of up to 4095 bytes;
/// `11110000` + UInt32 LE length: longer string; `11110001/2/3/4` 16/24/32/64-bit signed integer
/// (little endian). The backlen stores the size big-end first, 7 bits per byte, every byte but
/// the first flagged with 0x80, so it can be read right to left.
public enum Listpack {
    static let headerSize = 6
    static let terminator: UInt8 = 0xFF

    // MARK: Writing

    /// Starts a listpack at the end of `b`; returns where it starts (for `finish`).
    static func begin(_ b: inout RDBBuffer) -> Int {
        let start = b.count
        b.reserve(headerSize)
        b.commit(headerSize)
        return start
    }

    /// Ends the listpack that `begin` started at `start` holding `count` elements.
    static func finish(_ b: inout RDBBuffer, start: Int, count: Int) {
        b.append(terminator)
        b.patchLE(UInt32(truncatingIfNeeded: b.count - start), at: start)
        b.patchLE(UInt16(truncatingIfNeeded: count < 65535 ? count : 65535), at: start + 4)
    }

    @inline(__always)
    static func backlenSize(_ l: Int) -> Int {
        l <= 127 ? 1 : (l < 16383 ? 2 : (l < 2_097_151 ? 3 : (l < 268_435_455 ? 4 : 5)))
    }

    @inline(__always)
    static func writeBacklen(_ l: Int, to p: UnsafeMutableRawPointer) -> Int {
        let n = backlenSize(l)
        // Most significant 7-bit group first; every byte after the first carries 0x80.
        var i = n &- 1
        var v = l
        while i >= 0 {
            var byte = UInt8(truncatingIfNeeded: v & 127)
            if i != 0 { byte |= 128 }
            p.storeBytes(of: byte, toByteOffset: i, as: UInt8.self)
            v >>= 7
            i &-= 1
        }
        return n
    }

    /// Appends an integer entry in the narrowest encoding, as `lpEncodeIntegerGetType` chooses.
    static func append(_ b: inout RDBBuffer, integer v: Int64) {
        let p = b.tail(10)
        var l: Int
        if v >= 0 && v <= 127 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
            l = 1
        } else if v >= -4096 && v <= 4095 {
            let u = UInt64(bitPattern: v < 0 ? (1 << 13) &+ v : v)
            p.storeBytes(of: UInt8(truncatingIfNeeded: u >> 8) | 0xC0, as: UInt8.self)
            p.storeBytes(of: UInt8(truncatingIfNeeded: u), toByteOffset: 1, as: UInt8.self)
            l = 2
        } else if v >= -32768 && v <= 32767 {
            p.storeBytes(of: 0xF1 as UInt8, as: UInt8.self)
            (p + 1).storeBytes(of: Int16(truncatingIfNeeded: v).littleEndian, as: Int16.self)
            l = 3
        } else if v >= -8_388_608 && v <= 8_388_607 {
            p.storeBytes(of: 0xF2 as UInt8, as: UInt8.self)
            let u = UInt32(bitPattern: Int32(truncatingIfNeeded: v))
            p.storeBytes(of: UInt8(truncatingIfNeeded: u), toByteOffset: 1, as: UInt8.self)
            p.storeBytes(of: UInt8(truncatingIfNeeded: u >> 8), toByteOffset: 2, as: UInt8.self)
            p.storeBytes(of: UInt8(truncatingIfNeeded: u >> 16), toByteOffset: 3, as: UInt8.self)
            l = 4
        } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
            p.storeBytes(of: 0xF3 as UInt8, as: UInt8.self)
            (p + 1).storeBytes(of: Int32(truncatingIfNeeded: v).littleEndian, as: Int32.self)
            l = 5
        } else {
            p.storeBytes(of: 0xF4 as UInt8, as: UInt8.self)
            (p + 1).storeBytes(of: v.littleEndian, as: Int64.self)
            l = 9
        }
        l &+= writeBacklen(l, to: p + l)
        b.commit(l)
    }

    /// Appends a string entry; text that is a canonical 64-bit integer becomes an integer entry,
    /// as `lpInsertString` stores it.
    static func append(_ b: inout RDBBuffer, _ s: UnsafeRawBufferPointer) {
        let n = s.count
        if n <= 20, let v = parseStrictInt64(s.baseAddress, n) {
            append(&b, integer: v)
            return
        }
        appendString(&b, s)
    }

    /// Appends a string entry as bytes, never converted to an integer.
    static func appendString(_ b: inout RDBBuffer, _ s: UnsafeRawBufferPointer) {
        let n = s.count
        let p = b.tail(n &+ 10)
        var h: Int
        if n < 64 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: n) | 0x80, as: UInt8.self)
            h = 1
        } else if n < 4096 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: n >> 8) | 0xE0, as: UInt8.self)
            p.storeBytes(of: UInt8(truncatingIfNeeded: n), toByteOffset: 1, as: UInt8.self)
            h = 2
        } else {
            p.storeBytes(of: 0xF0 as UInt8, as: UInt8.self)
            (p + 1).storeBytes(of: UInt32(truncatingIfNeeded: n).littleEndian, as: UInt32.self)
            h = 5
        }
        if n > 0 { (p + h).copyMemory(from: s.baseAddress!, byteCount: n) }
        let l = h &+ n
        b.commit(l &+ writeBacklen(l, to: p + l))
    }

    /// Bytes a string entry of `n` bytes takes (for size estimates; integers take less).
    static func entrySize(stringLength n: Int) -> Int {
        let l = (n < 64 ? 1 : (n < 4096 ? 2 : 5)) &+ n
        return l &+ backlenSize(l)
    }

    // MARK: Reading

    /// A validated walk over a listpack blob: every entry is checked to lie inside the blob (and
    /// its backlen to match) before it is returned.
    public struct Reader {
        let base: UnsafeRawPointer
        let size: Int
        var offset: Int
        /// The element count the header declares (65535: unknown).
        public let declaredCount: Int
        /// Elements returned so far.
        public private(set) var index = 0

        /// Checks the header and the terminator.
        public init(_ blob: UnsafeRawBufferPointer) throws(RDBError) {
            guard let base = blob.baseAddress, blob.count >= Listpack.headerSize + 1 else {
                throw .badData("listpack too short")
            }
            let total = Int(UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
            guard total == blob.count else { throw .badData("listpack size does not match its header") }
            guard base.load(fromByteOffset: blob.count - 1, as: UInt8.self) == Listpack.terminator else {
                throw .badData("listpack without terminator")
            }
            self.base = base
            size = blob.count
            offset = Listpack.headerSize
            declaredCount = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
        }

        /// The next element, or nil at the terminator (which must be the last byte).
        public mutating func next() throws(RDBError) -> PackedElement? {
            let end = size &- 1
            if offset >= end {
                if declaredCount != 65535 && declaredCount != index {
                    throw .badData("listpack element count does not match its header")
                }
                return nil
            }
            let p = base + offset
            let b = p.load(as: UInt8.self)
            let available = end &- offset
            var l: Int
            let element: PackedElement
            @inline(__always) func need(_ n: Int) throws(RDBError) {
                if n > available { throw .badData("listpack entry past the end") }
            }
            if b & 0x80 == 0 {
                l = 1
                element = .integer(Int64(b))
            } else if b & 0xC0 == 0x80 {
                let n = Int(b & 0x3F)
                l = 1 &+ n
                try need(l)
                element = .bytes(UnsafeRawBufferPointer(start: p + 1, count: n))
            } else if b & 0xE0 == 0xC0 {
                try need(2)
                l = 2
                var u = (Int(b & 0x1F) << 8) | Int(p.load(fromByteOffset: 1, as: UInt8.self))
                if u >= 1 << 12 { u -= 1 << 13 }
                element = .integer(Int64(u))
            } else if b & 0xF0 == 0xE0 {
                try need(2)
                let n = (Int(b & 0x0F) << 8) | Int(p.load(fromByteOffset: 1, as: UInt8.self))
                l = 2 &+ n
                try need(l)
                element = .bytes(UnsafeRawBufferPointer(start: p + 2, count: n))
            } else {
                switch b {
                case 0xF0:
                    try need(5)
                    let n = Int(UInt32(littleEndian: (p + 1).loadUnaligned(as: UInt32.self)))
                    l = 5 &+ n
                    try need(l)
                    element = .bytes(UnsafeRawBufferPointer(start: p + 5, count: n))
                case 0xF1:
                    try need(3)
                    l = 3
                    element = .integer(Int64(Int16(littleEndian: (p + 1).loadUnaligned(as: Int16.self))))
                case 0xF2:
                    try need(4)
                    l = 4
                    let u = UInt32(p.load(fromByteOffset: 1, as: UInt8.self))
                        | UInt32(p.load(fromByteOffset: 2, as: UInt8.self)) << 8
                        | UInt32(p.load(fromByteOffset: 3, as: UInt8.self)) << 16
                    element = .integer(Int64(Int32(bitPattern: u << 8) >> 8))
                case 0xF3:
                    try need(5)
                    l = 5
                    element = .integer(Int64(Int32(littleEndian: (p + 1).loadUnaligned(as: Int32.self))))
                case 0xF4:
                    try need(9)
                    l = 9
                    element = .integer(Int64(littleEndian: (p + 1).loadUnaligned(as: Int64.self)))
                default:
                    throw .badData("bad listpack entry encoding")
                }
            }
            // The backlen must follow and hold l.
            let bl = Listpack.backlenSize(l)
            try need(l &+ bl)
            var v = 0
            var i = 0
            while i < bl {
                let byte = Int(p.load(fromByteOffset: l &+ i, as: UInt8.self))
                if (byte & 128 != 0) != (i != 0) { throw .badData("bad listpack backlen") }
                v = (v << 7) | (byte & 127)
                i &+= 1
            }
            if v != l { throw .badData("bad listpack backlen") }
            offset &+= l &+ bl
            index &+= 1
            return element
        }
    }

    /// Every element of a listpack blob, as arrays.
    public static func elements(_ blob: UnsafeRawBufferPointer) throws(RDBError) -> [[UInt8]] {
        var r = try Reader(blob)
        var result: [[UInt8]] = []
        result.reserveCapacity(r.declaredCount == 65535 ? 16 : r.declaredCount)
        while let e = try r.next() { result.append(e.array) }
        return result
    }
}

// MARK: - Integer text

/// `string2ll` / `lpStringToInt64`: a canonical signed 64-bit decimal (no sign but `-`, no
/// leading zeros, no `-0`, at most 20 characters).
func parseStrictInt64(_ p: UnsafeRawPointer?, _ n: Int) -> Int64? {
    guard let p, n > 0, n <= 20 else { return nil }
    var i = 0
    var negative = false
    if p.load(as: UInt8.self) == UInt8(ascii: "-") {
        if n == 1 { return nil }
        negative = true
        i = 1
    }
    let first = p.load(fromByteOffset: i, as: UInt8.self)
    if first == UInt8(ascii: "0") { return n == 1 ? 0 : nil }
    var value: UInt64 = 0
    while i < n {
        let d = p.load(fromByteOffset: i, as: UInt8.self) &- UInt8(ascii: "0")
        if d > 9 { return nil }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(UInt64(d))
        if o1 || o2 { return nil }
        value = a
        i &+= 1
    }
    if negative {
        if value > UInt64(Int64.max) + 1 { return nil }
        return value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value)
    }
    if value > UInt64(Int64.max) { return nil }
    return Int64(value)
}

/// Writes the decimal text of `v` at `dest` (room for 20 bytes); returns the length.
func formatInt64(_ v: Int64, into dest: UnsafeMutableRawPointer) -> Int {
    var m = v.magnitude
    var n = v < 0 ? 2 : 1
    var t = m
    while t >= 10 {
        t /= 10
        n &+= 1
    }
    var i = n
    repeat {
        i &-= 1
        dest.storeBytes(of: UInt8(truncatingIfNeeded: m % 10) &+ 48, toByteOffset: i, as: UInt8.self)
        m /= 10
    } while m != 0
    if v < 0 { dest.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self) }
    return n
}

/// Calls `body` with the decimal text of `v`, formatted on the stack.
func withDecimal<R>(_ v: Int64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
    return try withUnsafeMutableBytes(of: &scratch) { buf in
        let n = formatInt64(v, into: buf.baseAddress!)
        return try body(UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
    }
}

/// The decimal text of `v` as an array.
func decimalBytes(_ v: Int64) -> [UInt8] {
    withDecimal(v) { Array($0) }
}
