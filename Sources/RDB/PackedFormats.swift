/// Redis's intset (`src/intset.c`), the blob of RDB_TYPE_SET_INTSET:
///
/// ```
/// [encoding: UInt32 LE = 2, 4 or 8][length: UInt32 LE][length signed integers of that width, LE, ascending]
/// ```
public enum Intset {
    /// The narrowest width (2, 4 or 8 bytes) that holds `v`.
    static func width(for v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    /// Appends an intset of the ascending, duplicate-free `values` to `b`.
    static func write(_ b: inout RDBBuffer, _ values: UnsafeBufferPointer<Int64>) {
        var w = 2
        for v in values { w = max(w, width(for: v)) }
        b.appendLE(UInt32(w))
        b.appendLE(UInt32(values.count))
        let p = b.tail(values.count * w)
        for (i, v) in values.enumerated() {
            switch w {
            case 2: (p + i * 2).storeBytes(of: Int16(truncatingIfNeeded: v).littleEndian, as: Int16.self)
            case 4: (p + i * 4).storeBytes(of: Int32(truncatingIfNeeded: v).littleEndian, as: Int32.self)
            default: (p + i * 8).storeBytes(of: v.littleEndian, as: Int64.self)
            }
        }
        b.commit(values.count * w)
    }

    /// The members of an intset blob (ascending); throws unless the blob is well formed (size
    /// matching its header, members strictly ascending).
    public static func values(_ blob: UnsafeRawBufferPointer) throws(RDBError) -> [Int64] {
        guard let base = blob.baseAddress, blob.count >= 8 else { throw .badData("intset too short") }
        let w = Int(UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
        let n = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard w == 2 || w == 4 || w == 8 else { throw .badData("bad intset encoding") }
        guard blob.count - 8 == n * w else { throw .badData("intset size does not match its header") }
        var result: [Int64] = []
        result.reserveCapacity(n)
        var previous = Int64.min
        for i in 0..<n {
            let p = base + 8 + i * w
            let v: Int64
            switch w {
            case 2: v = Int64(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
            case 4: v = Int64(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
            default: v = Int64(littleEndian: p.loadUnaligned(as: Int64.self))
            }
            if i > 0 && v <= previous { throw .badData("intset not sorted") }
            previous = v
            result.append(v)
        }
        return result
    }
}

/// Redis's ziplist (`src/ziplist.c`), read only: the blobs of RDB_TYPE_LIST_ZIPLIST,
/// RDB_TYPE_ZSET_ZIPLIST, RDB_TYPE_HASH_ZIPLIST and the nodes of RDB_TYPE_LIST_QUICKLIST, which
/// older Redis versions wrote:
///
/// ```
/// [zlbytes: UInt32 LE][zltail: UInt32 LE][zllen: UInt16 LE, 65535 = unknown][entry]...[0xFF]
/// entry = [prevlen: 1 byte < 254, or 0xFE + UInt32 LE][encoding][data]
/// ```
///
/// Encodings: `00LLLLLL`, `01LLLLLL LLLLLLLL` (big endian), `10000000` + UInt32 BE: strings;
/// `11000000` int16, `11010000` int32, `11100000` int64, `11110000` int24, `11111110` int8 (all
/// little endian); `1111xxxx` with xxxx in 1...13: the integer xxxx - 1.
public enum Ziplist {
    public struct Reader {
        let base: UnsafeRawPointer
        let size: Int
        var offset: Int
        var previousLength = 0
        public let declaredCount: Int
        public private(set) var index = 0

        public init(_ blob: UnsafeRawBufferPointer) throws(RDBError) {
            guard let base = blob.baseAddress, blob.count >= 11 else { throw .badData("ziplist too short") }
            let total = Int(UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
            let tail = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            guard total == blob.count else { throw .badData("ziplist size does not match its header") }
            guard tail < blob.count else { throw .badData("bad ziplist tail offset") }
            guard base.load(fromByteOffset: blob.count - 1, as: UInt8.self) == 0xFF else {
                throw .badData("ziplist without terminator")
            }
            self.base = base
            size = blob.count
            offset = 10
            declaredCount = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
        }

        public mutating func next() throws(RDBError) -> PackedElement? {
            let end = size &- 1
            if offset >= end {
                if declaredCount != 65535 && declaredCount != index {
                    throw .badData("ziplist element count does not match its header")
                }
                return nil
            }
            let start = offset
            var o = offset
            @inline(__always) func need(_ n: Int) throws(RDBError) {
                if n > end &- o { throw .badData("ziplist entry past the end") }
            }
            // prevlen
            let first = base.load(fromByteOffset: o, as: UInt8.self)
            var prev: Int
            if first < 254 {
                prev = Int(first)
                o &+= 1
            } else if first == 254 {
                try need(5)
                prev = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: o &+ 1, as: UInt32.self)))
                o &+= 5
            } else {
                throw .badData("bad ziplist prevlen")
            }
            if prev != previousLength { throw .badData("ziplist prevlen mismatch") }
            try need(1)
            let e = base.load(fromByteOffset: o, as: UInt8.self)
            let element: PackedElement
            switch e >> 6 {
            case 0:
                let n = Int(e & 0x3F)
                try need(1 &+ n)
                element = .bytes(UnsafeRawBufferPointer(start: base + (o &+ 1), count: n))
                o &+= 1 &+ n
            case 1:
                try need(2)
                let n = (Int(e & 0x3F) << 8) | Int(base.load(fromByteOffset: o &+ 1, as: UInt8.self))
                try need(2 &+ n)
                element = .bytes(UnsafeRawBufferPointer(start: base + (o &+ 2), count: n))
                o &+= 2 &+ n
            case 2:
                guard e == 0x80 else { throw .badData("bad ziplist encoding") }
                try need(5)
                let n = Int(UInt32(bigEndian: base.loadUnaligned(fromByteOffset: o &+ 1, as: UInt32.self)))
                try need(5 &+ n)
                element = .bytes(UnsafeRawBufferPointer(start: base + (o &+ 5), count: n))
                o &+= 5 &+ n
            default:
                let p = base + (o &+ 1)
                switch e {
                case 0xC0:
                    try need(3)
                    element = .integer(Int64(Int16(littleEndian: p.loadUnaligned(as: Int16.self))))
                    o &+= 3
                case 0xD0:
                    try need(5)
                    element = .integer(Int64(Int32(littleEndian: p.loadUnaligned(as: Int32.self))))
                    o &+= 5
                case 0xE0:
                    try need(9)
                    element = .integer(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
                    o &+= 9
                case 0xF0:
                    try need(4)
                    let u = UInt32(p.load(as: UInt8.self)) | UInt32(p.load(fromByteOffset: 1, as: UInt8.self)) << 8
                        | UInt32(p.load(fromByteOffset: 2, as: UInt8.self)) << 16
                    element = .integer(Int64(Int32(bitPattern: u << 8) >> 8))
                    o &+= 4
                case 0xFE:
                    try need(2)
                    element = .integer(Int64(Int8(bitPattern: p.load(as: UInt8.self))))
                    o &+= 2
                case 0xF1...0xFD:
                    element = .integer(Int64(e & 0x0F) - 1)
                    o &+= 1
                default:
                    throw .badData("bad ziplist encoding")
                }
            }
            previousLength = o &- start
            offset = o
            index &+= 1
            return element
        }
    }
}

/// Redis's zipmap (`src/zipmap.c`), read only: the blob of RDB_TYPE_HASH_ZIPMAP (Redis < 2.6).
///
/// ```
/// [count: 1 byte][len][field][len][free: 1 byte][value][free bytes]...[0xFF]
/// len = 1 byte < 254, or 254 + UInt32 (little endian)
/// ```
public enum Zipmap {
    public static func pairs(_ blob: UnsafeRawBufferPointer) throws(RDBError) -> [([UInt8], [UInt8])] {
        guard let base = blob.baseAddress, blob.count >= 2 else { throw .badData("zipmap too short") }
        let size = blob.count
        var o = 1
        var result: [([UInt8], [UInt8])] = []
        func length() throws(RDBError) -> Int {
            guard o < size else { throw .badData("zipmap entry past the end") }
            let b = base.load(fromByteOffset: o, as: UInt8.self)
            if b < 254 {
                o += 1
                return Int(b)
            }
            guard b == 254, size - o >= 5 else { throw .badData("bad zipmap length") }
            let n = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: o + 1, as: UInt32.self)))
            o += 5
            return n
        }
        func bytes(_ n: Int) throws(RDBError) -> [UInt8] {
            guard n <= size - o else { throw .badData("zipmap entry past the end") }
            let r = Array(UnsafeRawBufferPointer(start: base + o, count: n))
            o += n
            return r
        }
        while true {
            guard o < size else { throw .badData("zipmap without terminator") }
            if base.load(fromByteOffset: o, as: UInt8.self) == 0xFF {
                guard o == size - 1 else { throw .badData("zipmap terminator before its end") }
                return result
            }
            let field = try bytes(try length())
            let n = try length()
            guard o < size else { throw .badData("zipmap entry past the end") }
            let free = Int(base.load(fromByteOffset: o, as: UInt8.self))
            o += 1
            let value = try bytes(n)
            guard free <= size - o else { throw .badData("zipmap entry past the end") }
            o += free
            result.append((field, value))
        }
    }
}
