#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The type of a stored value, as TYPE reports it.
public enum ValueType: UInt8, Sendable {
    case string = 0
    case list = 1
    case set = 2
    case zset = 3
    case hash = 4
    case stream = 5
    case module = 6

    /// The TYPE reply (`string`, `list`, `set`, `zset`, `hash`, `stream`).
    public var name: String {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .set: return "set"
        case .zset: return "zset"
        case .hash: return "hash"
        case .stream: return "stream"
        case .module: return "module"
        }
    }
}

/// How a string value is stored, as OBJECT ENCODING reports it.
public enum StringEncoding: UInt8, Sendable {
    /// Bytes, written by APPEND / SETRANGE or longer than 44 bytes.
    case raw = 0
    /// A signed 64-bit integer kept as 8 binary bytes, from text that reads back the same.
    case int = 1
    /// Bytes, at most 44 of them.
    case embstr = 2

    public var name: String {
        switch self {
        case .raw: return "raw"
        case .int: return "int"
        case .embstr: return "embstr"
        }
    }
}

/// What encoding a new string value gets.
public enum StringEncodingPolicy: Sendable {
    /// Redis's `tryObjectEncoding`: `int` when the text is a canonical 64-bit integer, else
    /// `embstr` up to 44 bytes, else `raw` (SET, MSET, APPEND on a new key ...).
    case automatic
    /// `createStringObject`: `embstr` up to 44 bytes, else `raw`; never `int` (INCRBYFLOAT).
    case noInteger
    /// Always `raw` (results of APPEND / SETRANGE).
    case raw
}

/// How a small collection is kept inline in its entry, as bytes whose format the collection's own
/// code defines. The numbers live in the entry header's encoding field; 0 there means "object".
public enum CompactEncoding: UInt8, Sendable {
    /// Field/value or member/score sequences (hashes, sorted sets), OBJECT ENCODING `listpack`.
    case listpack = 1
    /// Sorted integers (sets of integers), OBJECT ENCODING `intset`.
    case intset = 2

    public var name: String {
        switch self {
        case .listpack: return "listpack"
        case .intset: return "intset"
        }
    }
}

/// A non-string value (list, hash, set, sorted set, stream ...). The keyspace holds one retained
/// reference per key and releases it when the key is deleted or overwritten.
public protocol KeyspaceObject: AnyObject {
    /// The type reported by TYPE; it must not change while the object is stored.
    var valueType: ValueType { get }
    /// OBJECT ENCODING (`listpack`, `quicklist`, `hashtable`, `intset`, `skiplist`, `stream` ...).
    var encodingName: String { get }
    /// An independent copy for COPY.
    func deepCopy() -> any KeyspaceObject
}

/// The byte layout of one stored entry: one `malloc`ed block holding
///
/// ```
/// [header: UInt64][expireAt: Int64 if has-expiry][keyLen: UInt64, valueLen: UInt64 if long][key][value]
/// ```
///
/// Header bits: 0-3 value type, 4-7 string encoding, 8 has-expiry, 9 long lengths, 16-39 the
/// 24-bit LRU clock / LFU (minutes << 8 | counter), 40-47 key length and 48-63 value length when
/// both fit (key < 256 bytes, value < 65536 bytes), else the lengths follow in 16 bytes.
/// An integer-encoded string keeps 8 binary bytes; an object keeps its retained pointer.
@usableFromInline
enum EntryLayout {
    @usableFromInline static let typeMask: UInt64 = 0xF
    @usableFromInline static let encodingShift: UInt64 = 4
    @usableFromInline static let encodingMask: UInt64 = 0xF << 4
    @usableFromInline static let expireFlag: UInt64 = 1 << 8
    @usableFromInline static let longFlag: UInt64 = 1 << 9
    @usableFromInline static let lruShift: UInt64 = 16
    @usableFromInline static let lruMask: UInt64 = 0xFF_FFFF << 16
    @usableFromInline static let keyLengthShift: UInt64 = 40
    @usableFromInline static let valueLengthShift: UInt64 = 48
    @usableFromInline static let shortKeyLimit = 255
    @usableFromInline static let shortValueLimit = 65535

    @inlinable @inline(__always)
    static func header(_ p: UnsafeRawPointer) -> UInt64 { p.load(as: UInt64.self) }

    @inlinable @inline(__always)
    static func hasExpire(_ h: UInt64) -> Bool { h & expireFlag != 0 }

    @inlinable @inline(__always)
    static func isLong(_ h: UInt64) -> Bool { h & longFlag != 0 }

    @inlinable @inline(__always)
    static func needsLong(keyLength: Int, valueLength: Int) -> Bool {
        keyLength > shortKeyLimit || valueLength > shortValueLimit
    }

    /// Offset of the long length fields (when present).
    @inlinable @inline(__always)
    static func lengthsOffset(_ h: UInt64) -> Int { hasExpire(h) ? 16 : 8 }

    /// Offset of the key bytes.
    @inlinable @inline(__always)
    static func keyOffset(_ h: UInt64) -> Int {
        8 &+ (hasExpire(h) ? 8 : 0) &+ (isLong(h) ? 16 : 0)
    }

    @inlinable @inline(__always)
    static func keyLength(_ p: UnsafeRawPointer, _ h: UInt64) -> Int {
        if !isLong(h) { return Int(truncatingIfNeeded: (h >> keyLengthShift) & 0xFF) }
        return Int(truncatingIfNeeded: p.load(fromByteOffset: lengthsOffset(h), as: UInt64.self))
    }

    @inlinable @inline(__always)
    static func valueLength(_ p: UnsafeRawPointer, _ h: UInt64) -> Int {
        if !isLong(h) { return Int(truncatingIfNeeded: h >> valueLengthShift) }
        return Int(truncatingIfNeeded: p.load(fromByteOffset: lengthsOffset(h) + 8, as: UInt64.self))
    }

    @inlinable @inline(__always)
    static func expireAt(_ p: UnsafeRawPointer) -> Int64 { p.load(fromByteOffset: 8, as: Int64.self) }

    /// Bytes needed for an entry.
    @inlinable @inline(__always)
    static func blockSize(keyLength: Int, valueLength: Int, hasExpire: Bool) -> Int {
        8 &+ (hasExpire ? 8 : 0) &+ (needsLong(keyLength: keyLength, valueLength: valueLength) ? 16 : 0)
            &+ keyLength &+ valueLength
    }

    @inlinable @inline(__always)
    static func blockSize(_ p: UnsafeRawPointer) -> Int {
        let h = header(p)
        return keyOffset(h) &+ keyLength(p, h) &+ valueLength(p, h)
    }

    /// Writes header, expiry and lengths; returns the key offset.
    @inlinable @inline(__always)
    static func writeHeader(
        _ p: UnsafeMutableRawPointer, type: ValueType, encoding: UInt8, lru: UInt64,
        keyLength: Int, valueLength: Int, expireAt: Int64?
    ) -> Int {
        var h = UInt64(type.rawValue) | (UInt64(encoding) << encodingShift) | ((lru & 0xFF_FFFF) << lruShift)
        var offset = 8
        if let expireAt {
            h |= expireFlag
            p.storeBytes(of: expireAt, toByteOffset: 8, as: Int64.self)
            offset = 16
        }
        if needsLong(keyLength: keyLength, valueLength: valueLength) {
            h |= longFlag
            p.storeBytes(of: UInt64(keyLength), toByteOffset: offset, as: UInt64.self)
            p.storeBytes(of: UInt64(valueLength), toByteOffset: offset + 8, as: UInt64.self)
            offset += 16
        } else {
            h |= UInt64(keyLength) << keyLengthShift | UInt64(valueLength) << valueLengthShift
        }
        p.storeBytes(of: h, as: UInt64.self)
        return offset
    }

    /// Key equality against a stored entry, without a call for short keys.
    @inlinable @inline(__always)
    static func keyEquals(_ p: UnsafeRawPointer, _ key: UnsafeRawPointer?, _ n: Int) -> Bool {
        let h = header(p)
        if keyLength(p, h) != n { return false }
        if n == 0 { return true }
        let stored = p + keyOffset(h)
        let k = key.unsafelyUnwrapped
        if n >= 8 {
            if n <= 16 {
                return stored.loadUnaligned(as: UInt64.self) == k.loadUnaligned(as: UInt64.self)
                    && stored.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                        == k.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            }
            return memcmp(stored, k, n) == 0
        }
        if n >= 4 {
            return stored.loadUnaligned(as: UInt32.self) == k.loadUnaligned(as: UInt32.self)
                && stored.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
                    == k.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        var i = 0
        while i < n {
            if stored.load(fromByteOffset: i, as: UInt8.self) != k.load(fromByteOffset: i, as: UInt8.self) { return false }
            i &+= 1
        }
        return true
    }

    /// Whether a header describes an entry holding a retained object (a non-string type with
    /// encoding 0). Non-string entries with another encoding hold their compact form inline.
    @inlinable @inline(__always)
    static func holdsObject(_ h: UInt64) -> Bool {
        h & typeMask != 0 && h & encodingMask == 0
    }

    /// Releases the object an entry holds (if any) and frees the block.
    @inlinable
    static func destroy(_ p: UnsafeMutableRawPointer) {
        let h = header(p)
        if holdsObject(h) {
            let v = p.loadUnaligned(fromByteOffset: keyOffset(h) + keyLength(p, h), as: UnsafeRawPointer.self)
            Unmanaged<AnyObject>.fromOpaque(v).release()
        }
        free(p)
    }
}

/// Number of decimal characters of `value`.
@inlinable
func decimalLength(_ value: Int64) -> Int {
    var n = value < 0 ? 2 : 1
    var m = value.magnitude
    while m >= 10 {
        m /= 10
        n += 1
    }
    return n
}

/// Writes the decimal text of `value` at `dest` (room for 20 bytes); returns the length.
@inlinable
func formatDecimal(_ value: Int64, into dest: UnsafeMutableRawPointer) -> Int {
    let n = decimalLength(value)
    var m = value.magnitude
    var i = n
    repeat {
        i -= 1
        dest.storeBytes(of: UInt8(truncatingIfNeeded: m % 10) &+ 48, toByteOffset: i, as: UInt8.self)
        m /= 10
    } while m != 0
    if value < 0 { dest.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self) }
    return n
}

/// Parses a canonical signed 64-bit decimal exactly as Redis's `string2ll` (no `+`, no spaces,
/// no leading zeros, `-0` rejected, at most 20 characters).
@inlinable
public func parseCanonicalInt64(_ p: UnsafeRawPointer?, count n: Int) -> Int64? {
    guard let p, n > 0, n <= 20 else { return nil }
    var i = 0
    var negative = false
    if p.load(as: UInt8.self) == UInt8(ascii: "-") {
        if n == 1 { return nil }
        negative = true
        i = 1
    }
    let first = p.load(fromByteOffset: i, as: UInt8.self)
    if first == UInt8(ascii: "0") { return (n == 1) ? 0 : nil }
    var value: UInt64 = 0
    while i < n {
        let d = p.load(fromByteOffset: i, as: UInt8.self) &- UInt8(ascii: "0")
        if d > 9 { return nil }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(UInt64(d))
        if o1 || o2 { return nil }
        value = a
        i += 1
    }
    if negative {
        if value > UInt64(Int64.max) + 1 { return nil }
        return value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value)
    }
    if value > UInt64(Int64.max) { return nil }
    return Int64(value)
}

/// A view of one stored entry, valid until the shard holding it is next modified (so within the
/// handler that looked it up, before it writes that key again).
public struct EntryRef {
    public let pointer: UnsafeMutableRawPointer

    @inlinable
    public init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    @inlinable
    var header: UInt64 { EntryLayout.header(pointer) }

    @inlinable
    public var type: ValueType {
        ValueType(rawValue: UInt8(truncatingIfNeeded: header & EntryLayout.typeMask)) ?? .module
    }

    @inlinable
    public var isString: Bool { header & EntryLayout.typeMask == 0 }

    @inlinable
    public var stringEncoding: StringEncoding {
        StringEncoding(rawValue: UInt8(truncatingIfNeeded: (header & EntryLayout.encodingMask) >> EntryLayout.encodingShift)) ?? .raw
    }

    /// True for a string kept as a binary integer (`integerValue` holds it).
    @inlinable
    public var isIntegerEncoded: Bool {
        header & (EntryLayout.typeMask | EntryLayout.encodingMask) == UInt64(StringEncoding.int.rawValue) << EntryLayout.encodingShift
    }

    @inlinable
    var valueOffset: Int {
        let h = header
        return EntryLayout.keyOffset(h) &+ EntryLayout.keyLength(pointer, h)
    }

    @inlinable
    public var keyBytes: UnsafeRawBufferPointer {
        let h = header
        return UnsafeRawBufferPointer(start: pointer + EntryLayout.keyOffset(h), count: EntryLayout.keyLength(pointer, h))
    }

    /// The stored value bytes: the string itself, or 8 binary bytes for an integer encoding.
    @inlinable
    public var valueBytes: UnsafeRawBufferPointer {
        let h = header
        let offset = EntryLayout.keyOffset(h) &+ EntryLayout.keyLength(pointer, h)
        return UnsafeRawBufferPointer(start: pointer + offset, count: EntryLayout.valueLength(pointer, h))
    }

    @inlinable
    public var integerValue: Int64 { pointer.loadUnaligned(fromByteOffset: valueOffset, as: Int64.self) }

    /// Overwrites an integer-encoded value in place (INCR on an `int` string).
    @inlinable
    public func setIntegerValue(_ value: Int64) {
        precondition(isIntegerEncoded)
        pointer.storeBytes(of: value, toByteOffset: valueOffset, as: Int64.self)
    }

    @inlinable
    public var hasExpire: Bool { EntryLayout.hasExpire(header) }

    /// Absolute expiry in Unix milliseconds, or nil.
    @inlinable
    public var expireAt: Int64? { hasExpire ? EntryLayout.expireAt(pointer) : nil }

    /// The string length as STRLEN reports it (decimal digits for an integer encoding).
    @inlinable
    public var stringLength: Int {
        isIntegerEncoded ? decimalLength(integerValue) : EntryLayout.valueLength(pointer, header)
    }

    /// Calls `body` with the string's bytes; an integer encoding is formatted on the stack.
    @inlinable
    public func withStringBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if isIntegerEncoded {
            var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
            let value = integerValue
            return try withUnsafeMutableBytes(of: &scratch) { buf in
                let n = formatDecimal(value, into: buf.baseAddress!)
                return try body(UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
            }
        }
        return try body(valueBytes)
    }

    /// The string as an array (for tests and cold paths).
    public var stringValue: [UInt8] { withStringBytes { Array($0) } }

    /// The 24-bit LRU clock or LFU word.
    @inlinable
    public var lruField: UInt32 { UInt32(truncatingIfNeeded: (header & EntryLayout.lruMask) >> EntryLayout.lruShift) }

    /// Whether the value is a retained object (large collections); false for strings and for
    /// collections kept inline in their compact encoding.
    @inlinable
    public var holdsObject: Bool { EntryLayout.holdsObject(header) }

    /// For a collection kept inline: its compact encoding (see `CompactEncoding`); 0 otherwise.
    @inlinable
    public var compactEncoding: UInt8 {
        if isString || holdsObject { return 0 }
        return UInt8(truncatingIfNeeded: (header & EntryLayout.encodingMask) >> EntryLayout.encodingShift)
    }

    /// The stored object of an entry that holds one.
    public var object: any KeyspaceObject {
        precondition(holdsObject)
        let raw = pointer.loadUnaligned(fromByteOffset: valueOffset, as: UnsafeRawPointer.self)
        return Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! any KeyspaceObject
    }

    /// The stored object if it is a `T`.
    @inlinable
    public func object<T: KeyspaceObject>(as type: T.Type) -> T? {
        if !holdsObject { return nil }
        let raw = pointer.loadUnaligned(fromByteOffset: valueOffset, as: UnsafeRawPointer.self)
        return Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as? T
    }

    /// OBJECT ENCODING.
    public var encodingName: String {
        if isString { return stringEncoding.name }
        if holdsObject { return object.encodingName }
        return CompactEncoding(rawValue: compactEncoding)?.name ?? "unknown"
    }

    /// Bytes the entry's block occupies in the allocator (MEMORY USAGE, DEBUG OBJECT).
    public var allocatedSize: Int { mallocUsableSize(pointer) }
}
