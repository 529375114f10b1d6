/// One reply from a node, RESP2 (plus the RESP3 types a node may still send, parsed for robustness).
public indirect enum Reply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    /// nil: the null bulk string
    case bulk([UInt8]?)
    /// nil: the null array
    case array([Reply]?)
    case double(Double)
    case boolean(Bool)
    case null
    /// RESP3 map, pairs in wire order
    case map([Pair])

    public struct Pair: Sendable, Equatable {
        public var key: Reply
        public var value: Reply
        public init(_ key: Reply, _ value: Reply) {
            self.key = key
            self.value = value
        }
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The error text (without the leading `-`), or nil.
    public var errorMessage: String? {
        if case .error(let e) = self { return e }
        return nil
    }

    /// Text of a status, bulk string, integer or double.
    public var string: String? {
        switch self {
        case .status(let s): return s
        case .bulk(let b?): return String(decoding: b, as: UTF8.self)
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .boolean(let b): return b ? "1" : "0"
        default: return nil
        }
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let b?): return b
        case .status(let s): return Array(s.utf8)
        default: return nil
        }
    }

    public var int: Int? {
        switch self {
        case .integer(let i): return Int(i)
        case .status, .bulk: return string.flatMap { Int($0) }
        case .double(let d): return Int(exactly: d.rounded()) ?? nil
        default: return nil
        }
    }

    public var array: [Reply]? {
        switch self {
        case .array(let a?): return a
        case .map(let pairs): return pairs.flatMap { [$0.key, $0.value] }
        default: return nil
        }
    }

    public var isOK: Bool {
        if case .status(let s) = self { return s == "OK" }
        return false
    }

    /// A map reply, or a RESP2 flat array of name / value pairs, as a dictionary keyed by name.
    public var fields: [String: Reply]? {
        var out: [String: Reply] = [:]
        switch self {
        case .map(let pairs):
            for p in pairs {
                guard let k = p.key.string else { return nil }
                out[k] = p.value
            }
            return out
        case .array(let a?):
            guard a.count % 2 == 0 else { return nil }
            var i = 0
            while i < a.count {
                guard let k = a[i].string else { return nil }
                out[k] = a[i + 1]
                i += 2
            }
            return out
        default:
            return nil
        }
    }

    /// redis-cli's raw formatting (what `--cluster call` prints).
    public var rawText: String {
        switch self {
        case .status(let s): return s
        case .error(let e): return e
        case .integer(let i): return String(i)
        case .bulk(let b?): return String(decoding: b, as: UTF8.self)
        case .bulk(nil), .null, .array(nil): return ""
        case .double(let d): return String(d)
        case .boolean(let b): return b ? "(true)" : "(false)"
        case .array(let a?): return a.map(\.rawText).joined(separator: "\n")
        case .map(let pairs): return pairs.map { "\($0.key.rawText)\n\($0.value.rawText)" }.joined(separator: "\n")
        }
    }
}
