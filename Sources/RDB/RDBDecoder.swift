#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a string is stored: its bytes follow, an integer encoding, or LZF.
enum StringForm {
    case raw(Int)
    case integer(Int64)
    case lzf(compressed: Int, length: Int)
}

/// Reading RDB primitives and objects (`rdbLoadLen`, `rdbGenericLoadStringObject`,
/// `rdbLoadObject`).
extension RDBInput {
    /// `rdbLoadLen`: a length, or (`encoded`) one of the special string encodings.
    @inline(__always)
    func readLength() throws(RDBError) -> (value: UInt64, encoded: Bool) {
        let b = try readByte()
        switch b >> 6 {
        case 0: return (UInt64(b & 0x3F), false)
        case 1: return (UInt64(b & 0x3F) << 8 | UInt64(try readByte()), false)
        case 3: return (UInt64(b & 0x3F), true)
        default:
            if b == RDBFormat.len32Bit { return (UInt64(try readBE(UInt32.self)), false) }
            if b == RDBFormat.len64Bit { return (try readBE(UInt64.self), false) }
            throw .badData("unknown length encoding \(b)")
        }
    }

    /// A plain length (not a string encoding) that fits an Int.
    @inline(__always)
    func readCount() throws(RDBError) -> Int {
        let (v, encoded) = try readLength()
        if encoded || v > UInt64(Int.max) { throw .badData("bad length") }
        return Int(v)
    }

    @inline(__always)
    func readStringForm() throws(RDBError) -> StringForm {
        let (v, encoded) = try readLength()
        if !encoded {
            if v > UInt64(Int.max) { throw .badData("bad string length") }
            return .raw(Int(v))
        }
        switch UInt8(v) {
        case RDBFormat.encInt8: return .integer(Int64(Int8(bitPattern: try readByte())))
        case RDBFormat.encInt16: return .integer(Int64(try readLE(Int16.self)))
        case RDBFormat.encInt32: return .integer(Int64(try readLE(Int32.self)))
        case RDBFormat.encLZF:
            let c = try readCount()
            let n = try readCount()
            return .lzf(compressed: c, length: n)
        default:
            throw .badData("unknown string encoding \(v)")
        }
    }

    /// Decompresses `compressed` bytes of input into `dest` (`length` bytes).
    func readLZF(compressed c: Int, length n: Int, into dest: UnsafeMutableRawPointer) throws(RDBError) {
        let input = try view(c)
        let got = LZF.decompress(input, into: UnsafeMutableRawBufferPointer(start: dest, count: n))
        if got != n { throw .badData("Invalid LZF compressed string") }
    }

    /// Checks an LZF header before anything is allocated for it.
    @inline(__always)
    func checkLZF(compressed c: Int, length n: Int) throws(RDBError) {
        if n == 0 || c == 0 { throw .badData("Invalid LZF compressed string") }
        if n / LZF.maxExpansion > c { throw .badData("Invalid LZF compressed string") }
        try ensure(c)
    }

    /// A string as a new array.
    func readStringArray() throws(RDBError) -> [UInt8] {
        switch try readStringForm() {
        case .raw(let n):
            return Array(try view(n))
        case .integer(let v):
            return decimalBytes(v)
        case .lzf(let c, let n):
            try checkLZF(compressed: c, length: n)
            var failure: RDBError? = nil
            let result = [UInt8](unsafeUninitializedCapacity: n) { buffer, count in
                do throws(RDBError) {
                    try readLZF(compressed: c, length: n, into: UnsafeMutableRawPointer(buffer.baseAddress!))
                } catch {
                    failure = error
                    memset(buffer.baseAddress!, 0, n)
                }
                count = n
            }
            if let failure { throw failure }
            return result
        }
    }

    /// Calls `body` with a string's bytes: in place when stored plainly (so `body` must not read
    /// the input), formatted on the stack for an integer, decompressed into scratch for LZF.
    func withString<R>(_ body: (UnsafeRawBufferPointer) throws(RDBError) -> R) throws(RDBError) -> R {
        switch try readStringForm() {
        case .raw(let n):
            return try body(try view(n))
        case .integer(let v):
            var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
            return try withUnsafeMutableBytes(of: &scratch) { buf throws(RDBError) -> R in
                let n = formatInt64(v, into: buf.baseAddress!)
                return try body(UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
            }
        case .lzf(let c, let n):
            try checkLZF(compressed: c, length: n)
            let temp = malloc(n)!
            defer { free(temp) }
            try readLZF(compressed: c, length: n, into: temp)
            return try body(UnsafeRawBufferPointer(start: temp, count: n))
        }
    }

    /// A string appended to `b` (keys read from a stream, whose window moves).
    func readString(_ form: StringForm, into b: inout RDBBuffer) throws(RDBError) {
        switch form {
        case .raw(let n):
            b.append(try view(n))
        case .integer(let v):
            withDecimal(v) { b.append($0) }
        case .lzf(let c, let n):
            try checkLZF(compressed: c, length: n)
            let dest = b.tail(n)
            try readLZF(compressed: c, length: n, into: dest)
            b.commit(n)
        }
    }

    /// `rdbLoadDoubleValue`: the text form of RDB_TYPE_ZSET (length byte; 253 NaN, 254 +inf,
    /// 255 -inf).
    func readTextDouble() throws(RDBError) -> Double {
        let n = try readByte()
        switch n {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            let text = try view(Int(n))
            guard let d = parseDouble(text) else { throw .badData("bad double value") }
            return d
        }
    }

    /// 8 bytes little endian (RDB_TYPE_ZSET_2).
    func readBinaryDouble() throws(RDBError) -> Double {
        Double(bitPattern: try readLE(UInt64.self))
    }

    // MARK: - Objects

    /// `rdbLoadObject`: the payload of an object of type `type` (the type byte already read).
    /// Throws `.emptyKey` for a collection with no elements (after reading all of it).
    func readObject(type: UInt8) throws(RDBError) -> RDBValue {
        switch type {
        case RDBFormat.typeString:
            return .string(try readStringArray())
        case RDBFormat.typeList, RDBFormat.typeSet:
            let n = try readCount()
            if n == 0 { throw .emptyKey }
            var elements: [[UInt8]] = []
            elements.reserveCapacity(try reservation(n, minBytes: 1))
            for _ in 0..<n { elements.append(try readStringArray()) }
            return type == RDBFormat.typeList ? .list(elements) : .set(elements)
        case RDBFormat.typeZSet, RDBFormat.typeZSet2:
            let n = try readCount()
            if n == 0 { throw .emptyKey }
            var elements: [([UInt8], Double)] = []
            elements.reserveCapacity(try reservation(n, minBytes: 2))
            for _ in 0..<n {
                let member = try readStringArray()
                let score = type == RDBFormat.typeZSet2 ? try readBinaryDouble() : try readTextDouble()
                if score.isNaN { throw .badData("Zset with NAN score detected") }
                elements.append((member, score))
            }
            // Redis writes its skiplist from the highest element down.
            elements.reverse()
            return .zset(elements)
        case RDBFormat.typeHash:
            let n = try readCount()
            if n == 0 { throw .emptyKey }
            var pairs: [([UInt8], [UInt8])] = []
            pairs.reserveCapacity(try reservation(n, minBytes: 2))
            for _ in 0..<n {
                let f = try readStringArray()
                let v = try readStringArray()
                pairs.append((f, v))
            }
            return .hash(pairs)
        case RDBFormat.typeSetIntset:
            let values = try withString { blob throws(RDBError) in try Intset.values(blob) }
            if values.isEmpty { throw .emptyKey }
            return .set(values.map(decimalBytes))
        case RDBFormat.typeHashListpack, RDBFormat.typeHashZiplist:
            let pairs = try withString { blob throws(RDBError) -> [([UInt8], [UInt8])] in
                if type == RDBFormat.typeHashListpack {
                    var r = try Listpack.Reader(blob)
                    return try readPairs { () throws(RDBError) in try r.next() }
                }
                var r = try Ziplist.Reader(blob)
                return try readPairs { () throws(RDBError) in try r.next() }
            }
            if pairs.isEmpty { throw .emptyKey }
            return .hash(pairs)
        case RDBFormat.typeZSetListpack, RDBFormat.typeZSetZiplist:
            let elements = try withString { blob throws(RDBError) -> [([UInt8], Double)] in
                if type == RDBFormat.typeZSetListpack {
                    var r = try Listpack.Reader(blob)
                    return try readScored { () throws(RDBError) in try r.next() }
                }
                var r = try Ziplist.Reader(blob)
                return try readScored { () throws(RDBError) in try r.next() }
            }
            if elements.isEmpty { throw .emptyKey }
            return .zset(elements)
        case RDBFormat.typeHashZipmap:
            let pairs = try withString { blob throws(RDBError) in try Zipmap.pairs(blob) }
            if pairs.isEmpty { throw .emptyKey }
            return .hash(pairs)
        case RDBFormat.typeListZiplist:
            var elements: [[UInt8]] = []
            try withString { blob throws(RDBError) in
                var r = try Ziplist.Reader(blob)
                while let e = try r.next() { elements.append(e.array) }
            }
            if elements.isEmpty { throw .emptyKey }
            return .list(elements)
        case RDBFormat.typeListQuicklist, RDBFormat.typeListQuicklist2:
            let nodes = try readCount()
            _ = try reservation(nodes, minBytes: 2)
            var elements: [[UInt8]] = []
            for _ in 0..<nodes {
                var container = RDBFormat.containerPacked
                if type == RDBFormat.typeListQuicklist2 {
                    container = try readCount()
                    if container != RDBFormat.containerPacked && container != RDBFormat.containerPlain {
                        throw .badData("Quicklist integrity check failed: bad container \(container)")
                    }
                }
                if container == RDBFormat.containerPlain {
                    elements.append(try readStringArray())
                    continue
                }
                try withString { blob throws(RDBError) in
                    if type == RDBFormat.typeListQuicklist2 {
                        var r = try Listpack.Reader(blob)
                        while let e = try r.next() { elements.append(e.array) }
                    } else {
                        var r = try Ziplist.Reader(blob)
                        while let e = try r.next() { elements.append(e.array) }
                    }
                }
            }
            if elements.isEmpty { throw .emptyKey }
            return .list(elements)
        case RDBFormat.typeModulePreGA, RDBFormat.typeModule2:
            throw .unsupportedModuleData
        default:
            throw .unsupportedType(type)
        }
    }
}

/// Field/value pairs from a packed sequence (an odd count is an error).
@inline(__always)
private func readPairs(_ next: () throws(RDBError) -> PackedElement?) throws(RDBError) -> [([UInt8], [UInt8])] {
    var pairs: [([UInt8], [UInt8])] = []
    while let f = try next() {
        guard let v = try next() else { throw .badData("odd number of elements in a hash") }
        pairs.append((f.array, v.array))
    }
    return pairs
}

/// Member/score pairs from a packed sequence; scores are integers or text (`zzlGetScore`).
@inline(__always)
private func readScored(_ next: () throws(RDBError) -> PackedElement?) throws(RDBError) -> [([UInt8], Double)] {
    var elements: [([UInt8], Double)] = []
    while let m = try next() {
        guard let s = try next() else { throw .badData("odd number of elements in a sorted set") }
        let score: Double
        switch s {
        case .integer(let v): score = Double(v)
        case .bytes(let b):
            guard let d = parseDouble(b), !d.isNaN else { throw .badData("bad sorted set score") }
            score = d
        }
        elements.append((m.array, score))
    }
    return elements
}

/// `strtod` over exactly these bytes (at most 127 of them, as `zzlStrtod` copies); nil unless
/// the whole text is a number.
func parseDouble(_ text: UnsafeRawBufferPointer) -> Double? {
    let n = text.count
    guard n > 0, n < 128 else { return nil }
    var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                 UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &buffer) { buf -> Double? in
        let p = buf.baseAddress!
        p.copyMemory(from: text.baseAddress!, byteCount: n)
        p.storeBytes(of: 0, toByteOffset: n, as: UInt8.self)
        // strtod skips leading white space; Redis never writes any, so refuse it.
        let first = p.load(as: UInt8.self)
        if first == 0x20 || (first >= 0x09 && first <= 0x0D) { return nil }
        let start = p.assumingMemoryBound(to: CChar.self)
        var endPointer: UnsafeMutablePointer<CChar>? = nil
        let d = strtod(start, &endPointer)
        guard let endPointer, endPointer - start == n else { return nil }
        return d
    }
}
