#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Keyspace
import RESP

/// Error texts of the sorted set commands (Redis 7.0 wording).
enum ZErrors {
    static let notANumber: StaticString = "ERR resulting score is not a number (NaN)"
    static let xxAndNx: StaticString = "ERR XX and NX options at the same time are not compatible"
    static let gtLtNx: StaticString = "ERR GT, LT, and/or NX options at the same time are not compatible"
    static let incrPair: StaticString = "ERR INCR option supports a single increment-element pair"
    static let minMaxNotFloat: StaticString = "ERR min or max is not a float"
    static let minMaxNotLex: StaticString = "ERR min or max not valid string range item"
    static let limitNeedsByScoreOrLex: StaticString =
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    static let withScoresWithLex: StaticString = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    static let weightNotFloat: StaticString = "ERR weight value is not a float"
    static let limitNegative: StaticString = "ERR LIMIT can't be negative"
    static let timeoutNotFloat: StaticString = "ERR timeout is not a float or out of range"
    static let timeoutNegative: StaticString = "ERR timeout is negative"
    static let timeoutOutOfRange: StaticString = "ERR timeout is out of range"
    static let outOfRange: StaticString = "ERR value is out of range"
    static let mustBePositive: StaticString = "ERR value is out of range, must be positive"
    static let numkeysPositive: StaticString = "ERR numkeys should be greater than 0"
    static let countPositive: StaticString = "ERR count should be greater than 0"

    static func atLeastOneKey(_ command: String) -> String {
        "ERR at least 1 input key is needed for '\(command)' command"
    }
}

// MARK: - Numbers

enum ZNumbers {
    /// Calls `body` with a NUL-terminated copy of `bytes` (C parsers stop at the first NUL, as
    /// Redis's do on its sds strings).
    @inline(__always)
    static func withCString<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<CChar>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buf in
            let p = buf.baseAddress!
            if bytes.count > 0 { UnsafeMutableRawPointer(p).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            p[bytes.count] = 0
            return body(UnsafePointer(p))
        }
    }

    /// Decimal digits with an optional `-` (leading zeros allowed, as redis-benchmark's scores
    /// have them): the common case, converted without `strtod` and rounded the same way.
    @inline(__always)
    static func plainInteger(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let n = bytes.count
        guard n > 0 && n <= 18 else { return nil }
        let p = bytes.baseAddress!
        var i = 0
        let negative = p.load(as: UInt8.self) == UInt8(ascii: "-")
        if negative {
            if n == 1 { return nil }
            i = 1
        }
        var v: Int64 = 0
        while i < n {
            let d = p.load(fromByteOffset: i, as: UInt8.self) &- UInt8(ascii: "0")
            if d > 9 { return nil }
            v = v &* 10 &+ Int64(d)
            i &+= 1
        }
        if negative { return v == 0 ? -0.0 : -Double(v) }
        return Double(v)
    }

    /// Redis's `string2d` (scores, increments, weights): all of `strtod`'s syntax, nothing left
    /// over, no leading space, no overflow or underflow to zero, no NaN.
    static func parseDouble(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let n = bytes.count
        if n == 0 { return nil }
        if let v = plainInteger(bytes) { return v }
        let first = bytes[0]
        if first == 0x20 || (first >= 0x09 && first <= 0x0D) { return nil }
        return withCString(bytes) { s -> Double? in
            errno = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let d = strtod(s, &end)
            guard let end, end - UnsafeMutablePointer(mutating: s) == n else { return nil }
            if d.isNaN { return nil }
            if errno == ERANGE && (d.isInfinite || d == 0) { return nil }
            return d
        }
    }

    /// Redis's `zslParseRange` bound: bare `strtod` on the C string (leading space and an empty
    /// string are accepted, overflow gives ±inf), `(` for an exclusive bound, no NaN.
    static func parseScoreBound(_ bytes: UnsafeRawBufferPointer) -> (Double, exclusive: Bool)? {
        var body = bytes
        var exclusive = false
        if bytes.count > 0 && bytes[0] == UInt8(ascii: "(") {
            exclusive = true
            body = UnsafeRawBufferPointer(rebasing: bytes[1...])
        }
        if let v = plainInteger(body) { return (v, exclusive) }
        let value = withCString(body) { s -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            let d = strtod(s, &end)
            guard let end, end.pointee == 0, !d.isNaN else { return nil }
            return d
        }
        guard let value else { return nil }
        return (value, exclusive)
    }

    /// Redis's `string2ld` for blocking timeouts (seconds). Redis parses a long double, so values
    /// beyond a double's range are not errors there: they come back as ±infinity (which the caller
    /// reports as Redis does for huge timeouts), and underflow as 0.
    static func parseTimeoutSeconds(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let n = bytes.count
        if n == 0 || n >= 5 * 1024 { return nil }
        if let v = plainInteger(bytes) { return v }
        let first = bytes[0]
        if first == 0x20 || (first >= 0x09 && first <= 0x0D) { return nil }
        return withCString(bytes) { s -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            let d = strtod(s, &end)
            guard let end, end.pointee == 0, !d.isNaN else { return nil }
            return d
        }
    }

    static func parseScoreRange(_ min: UnsafeRawBufferPointer, _ max: UnsafeRawBufferPointer) -> SortedSetScoreRange? {
        guard let lo = parseScoreBound(min), let hi = parseScoreBound(max) else { return nil }
        return SortedSetScoreRange(min: lo.0, max: hi.0, minExclusive: lo.exclusive, maxExclusive: hi.exclusive)
    }

    /// Redis's `zslParseLexRangeItem` (on a C string: `-` or `+` followed by a NUL is still `-`/`+`).
    static func parseLexBound(_ bytes: UnsafeRawBufferPointer) -> SortedSetLexBound? {
        guard bytes.count > 0 else { return nil }
        switch bytes[0] {
        case UInt8(ascii: "+"):
            return bytes.count == 1 || bytes[1] == 0 ? .plusInfinity : nil
        case UInt8(ascii: "-"):
            return bytes.count == 1 || bytes[1] == 0 ? .minusInfinity : nil
        case UInt8(ascii: "("):
            return .value(UnsafeRawBufferPointer(rebasing: bytes[1...]), exclusive: true)
        case UInt8(ascii: "["):
            return .value(UnsafeRawBufferPointer(rebasing: bytes[1...]), exclusive: false)
        default:
            return nil
        }
    }

    static func parseLexRange(_ min: UnsafeRawBufferPointer, _ max: UnsafeRawBufferPointer) -> SortedSetLexRange? {
        guard let lo = parseLexBound(min), let hi = parseLexBound(max) else { return nil }
        return SortedSetLexRange(min: lo, max: hi)
    }

    /// Redis's `getLongFromObjectOrReply` (a 64-bit integer).
    static func parseLong(_ bytes: UnsafeRawBufferPointer) -> Int? {
        bytes.parseInt64().map { Int($0) }
    }

    /// `printf("%.17g")`, which Redis 7.0 replies scores with (`inf` / `-inf` spelt so).
    static func formatReply(_ value: Double, into dest: UnsafeMutableRawPointer) -> Int {
        if value.isInfinite { return copyLiteral(value < 0 ? "-inf" : "inf", into: dest) }
        if value == 0 { return copyLiteral(value.sign == .minus ? "-0" : "0", into: dest) }
        // Integers below 1e17 print without an exponent: format them without printf.
        if value == value.rounded(.towardZero) && abs(value) < 1e17 {
            return RESPWriter.formatDecimal(Int(value), into: dest)
        }
        return formatPrintf(value, into: dest)
    }

    /// Redis 7.0's `d2string`, the text a listpack keeps (and ZSCAN shows for one): integers in
    /// ±2^62 as integers, anything else as `%.17g`.
    static func formatListpack(_ value: Double, into dest: UnsafeMutableRawPointer) -> Int {
        if value.isNaN { return copyLiteral("nan", into: dest) }
        if value.isInfinite { return copyLiteral(value < 0 ? "-inf" : "inf", into: dest) }
        let limit = Double(Int64.max / 2)
        if value >= -limit && value <= limit && value == value.rounded(.towardZero) {
            return RESPWriter.formatDecimal(Int(value), into: dest)
        }
        return formatPrintf(value, into: dest)
    }

    private static func formatPrintf(_ value: Double, into dest: UnsafeMutableRawPointer) -> Int {
        withVaList([value]) { args in
            Int(vsnprintf(dest.assumingMemoryBound(to: CChar.self), 40, "%.17g", args))
        }
    }

    private static func copyLiteral(_ s: StaticString, into dest: UnsafeMutableRawPointer) -> Int {
        dest.copyMemory(from: s.utf8Start, byteCount: s.utf8CodeUnitCount)
        return s.utf8CodeUnitCount
    }
}

// MARK: - Replies

extension RESPWriter {
    /// A score as Redis 7.0's `addReplyDouble` writes it: `,<%.17g>` in RESP3, a bulk string in RESP2.
    mutating func zscore(_ value: Double) {
        let resp3 = isRESP3
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { out in
            let p = out.baseAddress!
            if resp3 {
                p.storeBytes(of: UInt8(ascii: ","), as: UInt8.self)
                let n = ZNumbers.formatReply(value, into: p + 1)
                p.storeBytes(of: 0x0A0D as UInt16, toByteOffset: n + 1, as: UInt16.self)
                return n + 3
            }
            // Format after room for "$NN\r\n" (at most 2 digits: %.17g is under 25 bytes).
            let n = ZNumbers.formatReply(value, into: p + 5)
            p.storeBytes(of: UInt8(ascii: "$"), as: UInt8.self)
            var w = 1 + RESPWriter.formatDecimal(n, into: p + 1)
            p.storeBytes(of: 0x0A0D as UInt16, toByteOffset: w, as: UInt16.self)
            w += 2
            if w != 5 { memmove(p + w, p + 5, n) }
            w += n
            p.storeBytes(of: 0x0A0D as UInt16, toByteOffset: w, as: UInt16.self)
            return w + 2
        }
    }

    /// A bulk string holding `formatListpack(value)` (ZSCAN over a compact set).
    mutating func zlistpackScore(_ value: Double) {
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buf in
            let n = ZNumbers.formatListpack(value, into: buf.baseAddress!)
            bulk(UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
        }
    }

    /// A bulk string holding `%.17g` (ZSCAN over a skiplist set).
    mutating func zscoreText(_ value: Double) {
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buf in
            let n = ZNumbers.formatReply(value, into: buf.baseAddress!)
            bulk(UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
        }
    }

    /// The header of `count` elements with or without scores: RESP2 flattens pairs, RESP3 nests
    /// them (each pair then starts with `pairHeader`).
    mutating func zrangeHeader(_ count: Int, withScores: Bool) {
        arrayHeader(withScores && !isRESP3 ? count * 2 : count)
    }

    /// One element of a range reply.
    mutating func zelement(_ member: UnsafeRawBufferPointer, _ score: Double, withScores: Bool) {
        if withScores {
            if isRESP3 { writeRaw("*2\r\n") }
            bulk(member)
            zscore(score)
        } else {
            bulk(member)
        }
    }
}
