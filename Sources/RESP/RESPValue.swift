#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A reply (or any RESP2 / RESP3 value) as a tree, for tests and client tools. Not for the server's
/// hot path: it copies every string it parses.
public indirect enum RESPValue: Hashable, Sendable {
    /// `+text`
    case simpleString(String)
    /// `-CODE message` (the text without the `-`)
    case error(String)
    /// `:n`
    case integer(Int64)
    /// `$n` payload; nil for the RESP2 null bulk string `$-1`.
    case bulkString([UInt8]?)
    /// `*n` elements; nil for the RESP2 null array `*-1`.
    case array([RESPValue]?)
    /// RESP3 `_`
    case null
    /// RESP3 `,` (`inf`, `-inf`, `nan` included). `nan` is not equal to itself, as for `Double`.
    case double(Double)
    /// RESP3 `#t` / `#f`
    case boolean(Bool)
    /// RESP3 `(` digits, kept as text
    case bigNumber(String)
    /// RESP3 `!` (the text without the length line)
    case bulkError(String)
    /// RESP3 `=`: a three-letter format (`txt`, `mkd`) and the text
    case verbatim(format: String, text: String)
    /// RESP3 `%`, pairs in wire order
    case map([Pair])
    /// RESP3 `~`, elements in wire order
    case set([RESPValue])
    /// RESP3 `>` (out-of-band data such as pub/sub messages and invalidations)
    case push([RESPValue])
    /// RESP3 `|`: attributes, then the value they describe
    case attribute([Pair], RESPValue)

    public struct Pair: Hashable, Sendable {
        public var key: RESPValue
        public var value: RESPValue
        public init(_ key: RESPValue, _ value: RESPValue) {
            self.key = key
            self.value = value
        }
    }

    public enum ParseError: Error, Equatable, Sendable {
        /// The byte at `offset` is not a RESP type prefix.
        case unknownType(UInt8, offset: Int)
        /// A length or count that is not a decimal number of the allowed range.
        case invalidLength(offset: Int)
        case invalidInteger(offset: Int)
        case invalidDouble(offset: Int)
        case invalidBoolean(offset: Int)
        case invalidBigNumber(offset: Int)
        case invalidNull(offset: Int)
        /// A verbatim string shorter than 4 bytes or without `:` after its format.
        case invalidVerbatim(offset: Int)
        /// A CR not followed by LF, or a payload not followed by CRLF.
        case missingCRLF(offset: Int)
        /// More than `RESPValue.maxNestingDepth` levels of aggregates.
        case nestingTooDeep
    }

    /// Aggregates nested deeper than this are refused rather than risking the stack.
    public static let maxNestingDepth = 128

    /// A bulk string holding the UTF-8 bytes of `text`.
    public static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    /// The text of a simple string, bulk string or verbatim string.
    public var string: String? {
        switch self {
        case .simpleString(let s): return s
        case .bulkString(let b?): return String(decoding: b, as: UTF8.self)
        case .verbatim(_, let text): return text
        default: return nil
        }
    }
}

// MARK: - Parsing

extension RESPValue {
    /// Parses one value from the start of `bytes`. Returns nil if `bytes` holds only part of a
    /// value; throws if the bytes are not RESP.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> (value: RESPValue, consumed: Int)? {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ParseError) in try parse(buffer) }
        }
        return try result.get()
    }

    /// Parses one value from the start of `bytes`. Returns nil if `bytes` holds only part of a
    /// value; throws if the bytes are not RESP.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> (value: RESPValue, consumed: Int)? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        var reader = Reader(base: base.assumingMemoryBound(to: UInt8.self), end: bytes.count)
        guard let value = try reader.value(depth: 0) else { return nil }
        return (value, reader.index)
    }

    private struct Reader {
        let base: UnsafePointer<UInt8>
        let end: Int
        var index = 0

        init(base: UnsafePointer<UInt8>, end: Int) {
            self.base = base
            self.end = end
        }

        /// The content of the line at `index` (without CRLF), advancing past it; nil if incomplete.
        mutating func line() throws(ParseError) -> UnsafeRawBufferPointer? {
            let start = index
            guard start < end, let hit = memchr(base + start, 13, end - start) else { return nil }
            let cr = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            if cr + 1 >= end { return nil }
            if base[cr + 1] != 10 { throw .missingCRLF(offset: cr) }
            index = cr + 2
            return UnsafeRawBufferPointer(start: base + start, count: cr - start)
        }

        /// A length line: a decimal number ≥ -1 (-1 meaning null where the type allows it).
        mutating func length() throws(ParseError) -> Int? {
            let at = index - 1  // the type byte
            guard let line = try line() else { return nil }
            guard let n = line.parseInt64(), n >= -1, n <= Int64(Int32.max) else {
                throw .invalidLength(offset: at)
            }
            return Int(n)
        }

        /// `n` payload bytes followed by CRLF; nil if incomplete.
        mutating func payload(_ n: Int) throws(ParseError) -> UnsafeRawBufferPointer? {
            if end - index - 2 < n { return nil }
            let start = index
            if base[start + n] != 13 || base[start + n + 1] != 10 { throw .missingCRLF(offset: start + n) }
            index = start + n + 2
            return UnsafeRawBufferPointer(start: base + start, count: n)
        }

        mutating func elements(_ n: Int, depth: Int) throws(ParseError) -> [RESPValue]? {
            var result: [RESPValue] = []
            // Never trust a declared count with memory: every element takes at least 3 bytes.
            result.reserveCapacity(Swift.min(n, (end - index) / 3))
            for _ in 0..<n {
                guard let v = try value(depth: depth + 1) else { return nil }
                result.append(v)
            }
            return result
        }

        mutating func pairs(_ n: Int, depth: Int) throws(ParseError) -> [Pair]? {
            var result: [Pair] = []
            result.reserveCapacity(Swift.min(n, (end - index) / 6))
            for _ in 0..<n {
                guard let k = try value(depth: depth + 1), let v = try value(depth: depth + 1) else { return nil }
                result.append(Pair(k, v))
            }
            return result
        }

        mutating func value(depth: Int) throws(ParseError) -> RESPValue? {
            if depth > RESPValue.maxNestingDepth { throw .nestingTooDeep }
            guard index < end else { return nil }
            let at = index
            let type = base[at]
            index += 1
            switch type {
            case UInt8(ascii: "+"):
                guard let line = try line() else { return nil }
                return .simpleString(line.string)
            case UInt8(ascii: "-"):
                guard let line = try line() else { return nil }
                return .error(line.string)
            case UInt8(ascii: ":"):
                guard let line = try line() else { return nil }
                guard let n = RESPValue.parseSignedInteger(line) else { throw .invalidInteger(offset: at) }
                return .integer(n)
            case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
                guard let n = try length() else { return nil }
                if n < 0 {
                    if type == UInt8(ascii: "$") { return .bulkString(nil) }
                    throw .invalidLength(offset: at)
                }
                guard let bytes = try payload(n) else { return nil }
                if type == UInt8(ascii: "$") { return .bulkString(Array(bytes)) }
                if type == UInt8(ascii: "!") { return .bulkError(bytes.string) }
                guard n >= 4, bytes[3] == UInt8(ascii: ":") else { throw .invalidVerbatim(offset: at) }
                return .verbatim(
                    format: UnsafeRawBufferPointer(rebasing: bytes[0..<3]).string,
                    text: UnsafeRawBufferPointer(rebasing: bytes[4...]).string)
            case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
                guard let n = try length() else { return nil }
                if n < 0 {
                    if type == UInt8(ascii: "*") { return .array(nil) }
                    throw .invalidLength(offset: at)
                }
                guard let items = try elements(n, depth: depth) else { return nil }
                switch type {
                case UInt8(ascii: "*"): return .array(items)
                case UInt8(ascii: "~"): return .set(items)
                default: return .push(items)
                }
            case UInt8(ascii: "%"), UInt8(ascii: "|"):
                guard let n = try length() else { return nil }
                if n < 0 { throw .invalidLength(offset: at) }
                guard let items = try pairs(n, depth: depth) else { return nil }
                if type == UInt8(ascii: "%") { return .map(items) }
                guard let described = try value(depth: depth + 1) else { return nil }
                return .attribute(items, described)
            case UInt8(ascii: "_"):
                guard let line = try line() else { return nil }
                if line.count != 0 { throw .invalidNull(offset: at) }
                return .null
            case UInt8(ascii: "#"):
                guard let line = try line() else { return nil }
                if line.count == 1 && line[0] == UInt8(ascii: "t") { return .boolean(true) }
                if line.count == 1 && line[0] == UInt8(ascii: "f") { return .boolean(false) }
                throw .invalidBoolean(offset: at)
            case UInt8(ascii: ","):
                guard let line = try line() else { return nil }
                guard let d = RESPValue.parseDouble(line) else { throw .invalidDouble(offset: at) }
                return .double(d)
            case UInt8(ascii: "("):
                guard let line = try line() else { return nil }
                var i = 0
                if line.count > 0 && (line[0] == UInt8(ascii: "-") || line[0] == UInt8(ascii: "+")) { i = 1 }
                guard i < line.count, line[i...].allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw .invalidBigNumber(offset: at)
                }
                return .bigNumber(line.string)
            default:
                throw .unknownType(type, offset: at)
            }
        }
    }

    /// An optional sign then at least one digit, within Int64.
    static func parseSignedInteger(_ line: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        var negative = false
        if line.count > 0 && (line[0] == UInt8(ascii: "-") || line[0] == UInt8(ascii: "+")) {
            negative = line[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < line.count else { return nil }
        var magnitude: UInt64 = 0
        while i < line.count {
            let d = line[i] &- 48
            if d > 9 { return nil }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            magnitude = a
            i += 1
        }
        if negative {
            if magnitude > UInt64(Int64.max) + 1 { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return magnitude > UInt64(Int64.max) ? nil : Int64(magnitude)
    }

    /// RESP3 double text: `inf`, `-inf`, `nan` or a decimal / exponent number.
    static func parseDouble(_ line: UnsafeRawBufferPointer) -> Double? {
        let text = line.string
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: break
        }
        // Only digits, sign, point and exponent: Double(String) would also take "infinity", hex, ...
        guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 || $0 == 46 || $0 == 101 || $0 == 69 }) else {
            return nil
        }
        return Double(text)
    }
}

// MARK: - Streaming

/// Accumulates bytes from a connection and hands out complete values in order.
///
/// Each `next()` re-reads the pending value from its start, so feeding a huge reply in tiny pieces
/// costs quadratic time; it is meant for tests and tools, not the server.
public struct RESPValueReader: Sendable {
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init() {}

    /// Bytes received but not yet returned as values.
    public var pendingByteCount: Int { buffer.count - readIndex }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete value, or nil if more bytes are needed. After a throw the stream is
    /// unusable (RESP has no way to resynchronise).
    public mutating func next() throws(RESPValue.ParseError) -> RESPValue? {
        let start = readIndex
        let result = buffer.withUnsafeBytes { all in
            Result { () throws(RESPValue.ParseError) in
                try RESPValue.parse(UnsafeRawBufferPointer(rebasing: all[start...]))
            }
        }
        guard let (value, consumed) = try result.get() else { return nil }
        readIndex += consumed
        return value
    }
}

// MARK: - Encoding

extension RESPValue {
    /// A command as a client sends it: a multibulk array of bulk strings.
    public static func encodeCommand(_ arguments: [String]) -> [UInt8] {
        encodeCommand(arguments.map { Array($0.utf8) })
    }

    /// A command as a client sends it: a multibulk array of bulk strings.
    public static func encodeCommand(_ arguments: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + arguments.reduce(0) { $0 + $1.count + 16 })
        appendLine(&out, UInt8(ascii: "*"), String(arguments.count))
        for argument in arguments {
            appendLine(&out, UInt8(ascii: "$"), String(argument.count))
            out.append(contentsOf: argument)
            out.append(contentsOf: [13, 10])
        }
        return out
    }

    /// The value's wire form: RESP2 types as RESP2, RESP3 types as RESP3.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch self {
        case .simpleString(let s): RESPValue.appendLine(&out, UInt8(ascii: "+"), s)
        case .error(let s): RESPValue.appendLine(&out, UInt8(ascii: "-"), s)
        case .integer(let n): RESPValue.appendLine(&out, UInt8(ascii: ":"), String(n))
        case .bulkString(nil): out.append(contentsOf: Array("$-1\r\n".utf8))
        case .bulkString(let b?): RESPValue.appendBlob(&out, UInt8(ascii: "$"), b)
        case .array(nil): out.append(contentsOf: Array("*-1\r\n".utf8))
        case .array(let items?):
            RESPValue.appendLine(&out, UInt8(ascii: "*"), String(items.count))
            for item in items { item.encode(into: &out) }
        case .null: out.append(contentsOf: Array("_\r\n".utf8))
        case .double(let d):
            let text = d.isNaN ? "nan" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : d.description
            RESPValue.appendLine(&out, UInt8(ascii: ","), text)
        case .boolean(let b): out.append(contentsOf: Array((b ? "#t\r\n" : "#f\r\n").utf8))
        case .bigNumber(let s): RESPValue.appendLine(&out, UInt8(ascii: "("), s)
        case .bulkError(let s): RESPValue.appendBlob(&out, UInt8(ascii: "!"), Array(s.utf8))
        case .verbatim(let format, let text):
            RESPValue.appendBlob(&out, UInt8(ascii: "="), Array(format.utf8) + [UInt8(ascii: ":")] + Array(text.utf8))
        case .map(let pairs):
            RESPValue.appendLine(&out, UInt8(ascii: "%"), String(pairs.count))
            for pair in pairs {
                pair.key.encode(into: &out)
                pair.value.encode(into: &out)
            }
        case .set(let items):
            RESPValue.appendLine(&out, UInt8(ascii: "~"), String(items.count))
            for item in items { item.encode(into: &out) }
        case .push(let items):
            RESPValue.appendLine(&out, UInt8(ascii: ">"), String(items.count))
            for item in items { item.encode(into: &out) }
        case .attribute(let pairs, let value):
            RESPValue.appendLine(&out, UInt8(ascii: "|"), String(pairs.count))
            for pair in pairs {
                pair.key.encode(into: &out)
                pair.value.encode(into: &out)
            }
            value.encode(into: &out)
        }
    }

    private static func appendLine(_ out: inout [UInt8], _ prefix: UInt8, _ text: String) {
        out.append(prefix)
        out.append(contentsOf: text.utf8)
        out.append(contentsOf: [13, 10])
    }

    private static func appendBlob(_ out: inout [UInt8], _ prefix: UInt8, _ bytes: [UInt8]) {
        appendLine(&out, prefix, String(bytes.count))
        out.append(contentsOf: bytes)
        out.append(contentsOf: [13, 10])
    }
}
