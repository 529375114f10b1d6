import Keyspace
import RESP

/// Error texts of the string and key commands (Redis 7.0 wording).
enum KeyErrors {
    static let offsetOutOfRange: StaticString = "ERR offset is out of range"
    static let stringTooLong: StaticString = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    static let overflow: StaticString = "ERR increment or decrement would overflow"
    static let decrementOverflow: StaticString = "ERR decrement would overflow"
    static let nanOrInfinity: StaticString = "ERR increment would produce NaN or Infinity"
    static let invalidCursor: StaticString = "ERR invalid cursor"
    static let sameObject: StaticString = "ERR source and destination objects are the same"
    static let copyAcrossDatabasesInCluster: StaticString = "ERR Copying to another database is not allowed in cluster mode"
    static let selectInCluster: StaticString = "ERR SELECT is not allowed in cluster mode"
    static let swapdbInCluster: StaticString = "ERR SWAPDB is not allowed in cluster mode"
    static let invalidFirstDB: StaticString = "ERR invalid first DB index"
    static let invalidSecondDB: StaticString = "ERR invalid second DB index"
    static let nxAndOthers: StaticString = "ERR NX and XX, GT or LT options at the same time are not compatible"
    static let gtAndLt: StaticString = "ERR GT and LT options at the same time are not compatible"
    static let lfuSelected: StaticString =
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    static let lfuNotSelected: StaticString =
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."

    static func invalidExpireTime(_ command: String) -> String {
        "ERR invalid expire time in '\(command)' command"
    }
}

extension CommandContext {
    /// A read lookup (Redis `lookupKeyRead`): counts a keyspace hit or miss.
    @inlinable
    mutating func lookupRead(_ key: Key, touch: Bool = true) -> EntryRef? {
        let e = keyspace.lookup(db: db, key: key, now: now, touch: touch)
        if e != nil { stats.keyspaceHits &+= 1 } else { stats.keyspaceMisses &+= 1 }
        return e
    }

    /// A write lookup (Redis `lookupKeyWrite`): touches the key, counts nothing.
    @inlinable
    mutating func lookupWrite(_ key: Key) -> EntryRef? {
        keyspace.lookup(db: db, key: key, now: now, touch: true)
    }

    /// Writes a string entry's value as a bulk reply (one copy).
    @inlinable
    mutating func replyStringValue(_ e: EntryRef) {
        if e.isIntegerEncoded {
            reply.bulkInteger(Int(e.integerValue))
        } else {
            reply.bulk(e.valueBytes)
        }
    }

    /// GET's reply for a key: the value, null, or WRONGTYPE. Returns false after WRONGTYPE.
    @inlinable
    mutating func replyGet(_ key: Key) -> Bool {
        guard let e = lookupRead(key) else {
            reply.null()
            return true
        }
        guard e.isString else {
            reply.error(CommandError.wrongType)
            return false
        }
        replyStringValue(e)
        return true
    }

    /// The lower-case name of the command as typed (for error messages that quote it).
    var commandName: String { args[0].string.lowercased() }
}

/// Parses an `int` argument as Redis's `getIntFromObjectOrReply` (a 64-bit integer within Int32).
func parseInt32(_ bytes: UnsafeRawBufferPointer) -> Int? {
    guard let v = bytes.parseInt64(), v >= Int64(Int32.min), v <= Int64(Int32.max) else { return nil }
    return Int(v)
}

/// Redis's `parseScanCursorOrReply`: `strtoul` semantics (optional sign, decimal digits, no
/// leading space, no trailing bytes, overflow rejected; a `-` wraps as in C).
func parseScanCursor(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
    let n = bytes.count
    if n == 0 { return 0 }
    let first = bytes[0]
    if first == 0x20 || (first >= 0x09 && first <= 0x0D) { return nil }
    var i = 0
    var negative = false
    if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
        negative = first == UInt8(ascii: "-")
        i = 1
    }
    let digitsStart = i
    var value: UInt64 = 0
    while i < n {
        let c = bytes[i]
        if c == 0 { break }  // C string end
        let d = c &- UInt8(ascii: "0")
        if d > 9 { return nil }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(UInt64(d))
        if o1 || o2 { return nil }
        value = a
        i += 1
    }
    if i == digitsStart { return (i == n || bytes[i] == 0) && digitsStart == 0 ? 0 : nil }
    return negative ? 0 &- value : value
}
