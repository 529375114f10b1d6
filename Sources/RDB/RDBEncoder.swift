#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes RDB primitives and whole objects (type byte + payload) into `out`, with the encodings
/// redis-server 7.0 uses: int-encoded and LZF-compressed strings, listpacks for small hashes and
/// sorted sets, intsets for small integer sets, quicklist nodes for lists. Keeps its scratch
/// buffers between objects, so encoding allocates nothing once they have grown.
public final class RDBEncoder {
    /// The encoded bytes.
    public var out: RDBBuffer
    public var limits: RDBEncodingLimits
    /// A key to write right after the next object's type byte (the RDB file layout is type, key,
    /// payload); DUMP payloads have none.
    var pendingKey: UnsafeRawBufferPointer?
    /// A listpack / intset being built before it is written as a string.
    var scratch: RDBBuffer
    /// LZF's hash table and output, kept between strings.
    let lzfTable: UnsafeMutablePointer<UInt32>
    var lzfOut: UnsafeMutableRawPointer
    var lzfCapacity: Int

    public init(limits: RDBEncodingLimits = RDBEncodingLimits(), capacity: Int = 256) {
        self.limits = limits
        out = RDBBuffer(capacity: capacity)
        scratch = RDBBuffer(capacity: 256)
        lzfTable = .allocate(capacity: LZF.tableSize(for: Int.max))
        lzfCapacity = 256
        lzfOut = malloc(lzfCapacity)!
    }

    deinit {
        lzfTable.deallocate()
        free(lzfOut)
    }

    /// Writes an object's type byte, then the pending key if any.
    @inline(__always)
    func beginObject(_ type: UInt8) {
        out.append(type)
        if let k = pendingKey {
            pendingKey = nil
            writeString(k)
        }
    }

    // MARK: - Primitives

    @inline(__always)
    public func writeByte(_ b: UInt8) { out.append(b) }

    /// `rdbSaveLen`: 6-bit, 14-bit, 32-bit or 64-bit length.
    public func writeLength(_ n: Int) { RDBEncoder.writeLength(UInt64(n), to: &out) }

    static func writeLength(_ n: UInt64, to b: inout RDBBuffer) {
        if n < 64 {
            b.append(UInt8(truncatingIfNeeded: n))
        } else if n < 16384 {
            let p = b.tail(2)
            p.storeBytes(of: UInt8(truncatingIfNeeded: n >> 8) | 0x40, as: UInt8.self)
            p.storeBytes(of: UInt8(truncatingIfNeeded: n), toByteOffset: 1, as: UInt8.self)
            b.commit(2)
        } else if n <= UInt64(UInt32.max) {
            b.append(RDBFormat.len32Bit)
            b.appendBE(UInt32(truncatingIfNeeded: n))
        } else {
            b.append(RDBFormat.len64Bit)
            b.appendBE(n)
        }
    }

    /// `rdbEncodeInteger`: the special int8/16/32 string encodings; false if `v` needs more.
    func writeEncodedInteger(_ v: Int64) -> Bool {
        if v >= -128 && v <= 127 {
            let p = out.tail(2)
            p.storeBytes(of: 0xC0 as UInt8, as: UInt8.self)
            p.storeBytes(of: UInt8(bitPattern: Int8(truncatingIfNeeded: v)), toByteOffset: 1, as: UInt8.self)
            out.commit(2)
        } else if v >= -32768 && v <= 32767 {
            out.append(0xC1)
            out.appendLE(Int16(truncatingIfNeeded: v))
        } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
            out.append(0xC2)
            out.appendLE(Int32(truncatingIfNeeded: v))
        } else {
            return false
        }
        return true
    }

    /// `rdbSaveRawString`: integer text of up to 11 characters as an encoded integer, else LZF
    /// when compression is on, the string is longer than 20 bytes and LZF saves at least 4
    /// bytes, else the length and the bytes.
    public func writeString(_ s: UnsafeRawBufferPointer) {
        let n = s.count
        if n <= 11, let v = parseStrictInt64(s.baseAddress, n), writeEncodedInteger(v) { return }
        if limits.compression && n > RDBFormat.compressionThreshold && writeCompressed(s) { return }
        if n < 64 {
            let p = out.tail(n &+ 1)
            p.storeBytes(of: UInt8(truncatingIfNeeded: n), as: UInt8.self)
            if n > 0 { (p + 1).copyMemory(from: s.baseAddress!, byteCount: n) }
            out.commit(n &+ 1)
            return
        }
        writeLength(n)
        out.append(s)
    }

    public func writeString(_ s: [UInt8]) { s.withUnsafeBytes { writeString($0) } }

    /// `rdbSaveLzfStringObject`.
    func writeCompressed(_ s: UnsafeRawBufferPointer) -> Bool {
        let n = s.count
        let room = n &- 4
        if room > lzfCapacity {
            lzfCapacity = max(room, lzfCapacity * 2)
            free(lzfOut)
            lzfOut = malloc(lzfCapacity)!
        }
        let c = LZF.compress(s, into: UnsafeMutableRawBufferPointer(start: lzfOut, count: room), table: lzfTable)
        if c == 0 { return false }
        out.append(0xC3)
        writeLength(c)
        writeLength(n)
        out.append(lzfOut, count: c)
        return true
    }

    /// `rdbSaveLongLongAsStringObject`: an encoded integer, or its decimal text.
    public func writeInteger(_ v: Int64) {
        if writeEncodedInteger(v) { return }
        withDecimal(v) { text in
            writeLength(text.count)
            out.append(text)
        }
    }

    /// 8 bytes, little endian (RDB_TYPE_ZSET_2 scores).
    public func writeBinaryDouble(_ d: Double) { out.appendLE(d.bitPattern) }

    // MARK: - Objects

    /// Writes the type byte and payload of `value`, in the encoding Redis 7.0 would give it
    /// under `limits`.
    public func writeObject(_ value: RDBValue) {
        switch value {
        case .string(let s):
            beginObject(RDBFormat.typeString)
            writeString(s)
        case .list(let elements):
            writeList(count: elements.count) { body in
                for e in elements { e.withUnsafeBytes { body($0) } }
            }
        case .set(let members):
            writeSet(members)
        case .hash(let pairs):
            var fits = pairs.count <= limits.hashMaxListpackEntries
            if fits {
                let maxValue = limits.hashMaxListpackValue
                for (f, v) in pairs where f.count > maxValue || v.count > maxValue {
                    fits = false
                    break
                }
            }
            writeHash(count: pairs.count, listpack: fits) { body in
                for (f, v) in pairs { f.withUnsafeBytes { fb in v.withUnsafeBytes { vb in body(fb, vb) } } }
            }
        case .zset(let elements):
            writeZSet(elements)
        }
    }

    /// A hash: RDB_TYPE_HASH_LISTPACK when `listpack`, else RDB_TYPE_HASH; `forEach` gives the
    /// pairs.
    public func writeHash(
        count: Int, listpack: Bool,
        _ forEach: ((UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Void
    ) {
        if listpack {
            beginObject(RDBFormat.typeHashListpack)
            scratch.removeAll()
            let start = Listpack.begin(&scratch)
            var n = 0
            forEach { f, v in
                Listpack.append(&scratch, f)
                Listpack.append(&scratch, v)
                n &+= 2
            }
            Listpack.finish(&scratch, start: start, count: n)
            writeString(scratch.bytes)
        } else {
            beginObject(RDBFormat.typeHash)
            writeLength(count)
            forEach { f, v in
                writeString(f)
                writeString(v)
            }
        }
    }

    /// A set of members given as bytes: RDB_TYPE_SET_INTSET when every member is an integer and
    /// there are at most `set-max-intset-entries`, else RDB_TYPE_SET.
    func writeSet(_ members: [[UInt8]]) {
        if members.count <= limits.setMaxIntsetEntries {
            if var values = sortedIntegers(members) {
                var unique = 0
                for i in 0..<values.count where i == 0 || values[i] != values[i - 1] {
                    values[unique] = values[i]
                    unique += 1
                }
                values.withUnsafeBufferPointer { writeIntset(UnsafeBufferPointer(rebasing: $0[0..<unique])) }
                return
            }
        }
        writePlainSet(count: members.count) { body in
            for m in members { m.withUnsafeBytes { body($0) } }
        }
    }

    /// RDB_TYPE_SET_INTSET of ascending, duplicate-free values.
    public func writeIntset(_ values: UnsafeBufferPointer<Int64>) {
        beginObject(RDBFormat.typeSetIntset)
        scratch.removeAll()
        Intset.write(&scratch, values)
        writeString(scratch.bytes)
    }

    /// RDB_TYPE_SET.
    public func writePlainSet(count: Int, _ forEach: ((UnsafeRawBufferPointer) -> Void) -> Void) {
        beginObject(RDBFormat.typeSet)
        writeLength(count)
        forEach { writeString($0) }
    }

    /// A sorted set: RDB_TYPE_ZSET_LISTPACK (ascending) when it fits the listpack limits, else
    /// RDB_TYPE_ZSET_2 written from the highest element down, as Redis writes its skiplist.
    func writeZSet(_ elements: [([UInt8], Double)]) {
        let maxValue = limits.zsetMaxListpackValue
        let fits = elements.count <= limits.zsetMaxListpackEntries && elements.allSatisfy { $0.0.count <= maxValue }
        var order = Array(0..<elements.count)
        order.sort { i, j in
            let a = elements[i], b = elements[j]
            if a.1 != b.1 { return a.1 < b.1 }
            return compareBytes(a.0, b.0) < 0
        }
        if fits {
            writeZSetListpack { body in
                for i in order { elements[i].0.withUnsafeBytes { body($0, elements[i].1) } }
            }
        } else {
            writeZSet2(count: elements.count) { body in
                for i in order.reversed() { elements[i].0.withUnsafeBytes { body($0, elements[i].1) } }
            }
        }
    }

    /// RDB_TYPE_ZSET_LISTPACK; `forEach` must give the elements in ascending (score, member) order.
    public func writeZSetListpack(_ forEach: ((UnsafeRawBufferPointer, Double) -> Void) -> Void) {
        beginObject(RDBFormat.typeZSetListpack)
        scratch.removeAll()
        let start = Listpack.begin(&scratch)
        var n = 0
        forEach { member, score in
            Listpack.append(&scratch, member)
            RDBEncoder.appendScore(&scratch, score)
            n &+= 2
        }
        Listpack.finish(&scratch, start: start, count: n)
        writeString(scratch.bytes)
    }

    /// RDB_TYPE_ZSET_2; Redis writes the elements in descending order (so loading can insert each
    /// at the head of its skiplist).
    public func writeZSet2(count: Int, _ forEach: ((UnsafeRawBufferPointer, Double) -> Void) -> Void) {
        beginObject(RDBFormat.typeZSet2)
        writeLength(count)
        forEach { member, score in
            writeString(member)
            writeBinaryDouble(score)
        }
    }

    /// A score in a listpack, as `zzlInsertAt` stores it: the text of `d2string` (an integer
    /// entry when that text is an integer).
    static func appendScore(_ b: inout RDBBuffer, _ score: Double) {
        if score > -4_503_599_627_370_495 && score < 4_503_599_627_370_496, score == score.rounded(.towardZero),
           !(score == 0 && score.sign == .minus)
        {
            Listpack.append(&b, integer: Int64(score))
            return
        }
        withScoreText(score) { Listpack.append(&b, $0) }
    }

    /// A list: RDB_TYPE_LIST_QUICKLIST_2, elements packed into listpack nodes as quicklist packs
    /// them under `list-max-listpack-size` (elements of 1 GiB or more in PLAIN nodes of their own).
    /// `forEach` is called twice: once to count the nodes, once to write them.
    public func writeList(count: Int, _ forEach: ((UnsafeRawBufferPointer) -> Void) -> Void) {
        beginObject(RDBFormat.typeListQuicklist2)
        let fill = limits.listMaxListpackSize
        var packer = QuicklistPacker(fill: fill)
        var nodes = 0
        forEach { e in
            if packer.add(e) { nodes &+= 1 }
        }
        writeLength(nodes)
        if nodes == 0 { return }
        packer = QuicklistPacker(fill: fill)
        scratch.removeAll()
        var start = -1
        var inNode = 0
        forEach { e in
            if packer.add(e) {
                // A new node: write the one being built first.
                if start >= 0 {
                    Listpack.finish(&scratch, start: start, count: inNode)
                    writeLength(RDBFormat.containerPacked)
                    writeString(scratch.bytes)
                    scratch.removeAll()
                    start = -1
                }
                if packer.plain {
                    writeLength(RDBFormat.containerPlain)
                    writeString(e)
                    return
                }
                start = Listpack.begin(&scratch)
                inNode = 0
            }
            Listpack.append(&scratch, e)
            inNode &+= 1
        }
        if start >= 0 {
            Listpack.finish(&scratch, start: start, count: inNode)
            writeLength(RDBFormat.containerPacked)
            writeString(scratch.bytes)
        }
    }
}

/// How quicklist (Redis 7.0 `_quicklistNodeAllowInsert`) decides when a node is full: by the
/// listpack's size for a negative `fill` (4, 8, 16, 32, 64 KiB), by entry count for a positive
/// one (and never past 8 KiB), estimating each new entry as its length + 8 bytes; elements of
/// 1 GiB or more get PLAIN nodes of their own.
struct QuicklistPacker {
    let fill: Int
    var nodeBytes = 0
    var nodeCount = 0
    /// Whether the element just added is a PLAIN node.
    var plain = false
    var open = false

    init(fill: Int) { self.fill = fill }

    /// Adds an element; true when it starts a new node.
    mutating func add(_ e: UnsafeRawBufferPointer) -> Bool {
        let sz = e.count
        if sz >= RDBFormat.packedThreshold {
            plain = true
            open = false
            return true
        }
        plain = false
        let encoded = QuicklistPacker.encodedSize(e)
        if open && allowInsert(sz) {
            nodeBytes &+= encoded
            nodeCount &+= 1
            return false
        }
        open = true
        nodeBytes = Listpack.headerSize &+ 1 &+ encoded
        nodeCount = 1
        return true
    }

    static func encodedSize(_ e: UnsafeRawBufferPointer) -> Int {
        if e.count <= 20, let v = parseStrictInt64(e.baseAddress, e.count) {
            let l: Int
            switch v {
            case 0...127: l = 1
            case -4096...4095: l = 2
            case -32768...32767: l = 3
            case -8_388_608...8_388_607: l = 4
            case Int64(Int32.min)...Int64(Int32.max): l = 5
            default: l = 9
            }
            return l &+ 1
        }
        return Listpack.entrySize(stringLength: e.count)
    }

    func allowInsert(_ sz: Int) -> Bool {
        // quicklistNodeExceedsLimit with SIZE_ESTIMATE_OVERHEAD (8) for the entry's own bytes.
        let newSize = nodeBytes &+ sz &+ 8
        if fill < 0 { return newSize <= 4096 << min(-fill &- 1, 4) }
        if newSize > 8192 { return false }
        return nodeCount &+ 1 <= max(fill, 1)
    }
}

/// Byte order of members (memcmp, then length), as Redis's `sdscmp`.
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareBytes(x, y) } }
}

func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    if n > 0 {
        let c = memcmp(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return Int(c) }
    }
    return a.count - b.count
}

/// Calls `body` with the text `d2string` (Redis 7.0) gives a score: `inf`, `-inf`, `nan`, `0` / `-0`,
/// an integer below 2^52 in magnitude, else `%.17g`.
func withScoreText<R>(_ d: Double, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    return try withUnsafeMutableBytes(of: &scratch) { buf in
        let p = buf.baseAddress!
        var n: Int
        if d.isNaN {
            n = copyASCII("nan", p)
        } else if d.isInfinite {
            n = copyASCII(d < 0 ? "-inf" : "inf", p)
        } else if d == 0 {
            n = copyASCII(d.sign == .minus ? "-0" : "0", p)
        } else if d > -4_503_599_627_370_495 && d < 4_503_599_627_370_496 && d == d.rounded(.towardZero) {
            n = formatInt64(Int64(d), into: p)
        } else {
            n = Int(withVaList([d]) { vsnprintf(p.assumingMemoryBound(to: CChar.self), 47, "%.17g", $0) })
        }
        return try body(UnsafeRawBufferPointer(start: p, count: n))
    }
}

func copyASCII(_ s: StaticString, _ p: UnsafeMutableRawPointer) -> Int {
    p.copyMemory(from: s.utf8Start, byteCount: s.utf8CodeUnitCount)
    return s.utf8CodeUnitCount
}

/// The members as integers, ascending, when every one is a canonical 64-bit integer (what may be
/// an intset); nil otherwise. Duplicates are kept: the caller decides what they mean.
func sortedIntegers(_ members: [[UInt8]]) -> [Int64]? {
    var values: [Int64] = []
    values.reserveCapacity(members.count)
    for m in members {
        guard let v = m.withUnsafeBytes({ parseStrictInt64($0.baseAddress, $0.count) }) else { return nil }
        values.append(v)
    }
    values.sort()
    return values
}
