/// One value as RDB serializes it, independent of how it is stored in memory.
///
/// Collections keep the order of the data they came from: a list its order, a hash its pairs as
/// the source held them. A decoded sorted set comes in ascending (score, member) order when the
/// source was written by Redis (listpacks are sorted; plain sorted sets are written backwards and
/// reversed on reading). Decoding never removes duplicates; `store` rejects them as Redis does.
public enum RDBValue: Equatable, Sendable, CustomStringConvertible {
    case string([UInt8])
    case list([[UInt8]])
    case set([[UInt8]])
    case hash([([UInt8], [UInt8])])
    case zset([([UInt8], Double)])

    public static func == (a: RDBValue, b: RDBValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.set(let x), .set(let y)): return x == y
        case (.hash(let x), .hash(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.zset(let x), .zset(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The TYPE name (`string`, `list`, `set`, `hash`, `zset`).
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .set: return "set"
        case .hash: return "hash"
        case .zset: return "zset"
        }
    }

    /// Number of elements (bytes for a string).
    public var count: Int {
        switch self {
        case .string(let s): return s.count
        case .list(let l): return l.count
        case .set(let s): return s.count
        case .hash(let h): return h.count
        case .zset(let z): return z.count
        }
    }

    /// The same value with collections in a canonical order (sets sorted, hashes by field, sorted
    /// sets by (score, member)): for comparing values whose order is not significant.
    public var normalized: RDBValue {
        switch self {
        case .string, .list: return self
        case .set(let s): return .set(s.sorted { $0.lexicographicallyPrecedes($1) })
        case .hash(let h): return .hash(h.sorted { $0.0.lexicographicallyPrecedes($1.0) })
        case .zset(let z):
            return .zset(z.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0.lexicographicallyPrecedes($1.0) })
        }
    }

    public var description: String {
        func text(_ b: [UInt8]) -> String {
            String(decoding: b.prefix(64), as: UTF8.self) + (b.count > 64 ? "…(\(b.count))" : "")
        }
        switch self {
        case .string(let s): return "string(\(text(s)))"
        case .list(let l): return "list(\(l.count): \(l.prefix(8).map(text)))"
        case .set(let s): return "set(\(s.count): \(s.prefix(8).map(text)))"
        case .hash(let h): return "hash(\(h.count): \(h.prefix(8).map { "\(text($0.0))=\(text($0.1))" }))"
        case .zset(let z): return "zset(\(z.count): \(z.prefix(8).map { "\(text($0.0))=\($0.1)" }))"
        }
    }
}

/// The thresholds that decide how a value is encoded, with redis.conf's names and Redis 7.0's
/// defaults; writers choose the form Redis would give the value under the same configuration, so
/// redis-server loads it into the same OBJECT ENCODING.
public struct RDBEncodingLimits: Sendable, Equatable {
    /// `hash-max-listpack-entries` / `hash-max-listpack-value`.
    public var hashMaxListpackEntries = 512
    public var hashMaxListpackValue = 64
    /// `set-max-intset-entries`.
    public var setMaxIntsetEntries = 512
    /// `zset-max-listpack-entries` / `zset-max-listpack-value`.
    public var zsetMaxListpackEntries = 128
    public var zsetMaxListpackValue = 64
    /// `list-max-listpack-size` (negative: node size limit 4/8/16/32/64 KiB; positive: entries).
    public var listMaxListpackSize = -2
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes when that saves space.
    public var compression = true

    public init() {}

    public init(
        hashMaxListpackEntries: Int = 512, hashMaxListpackValue: Int = 64, setMaxIntsetEntries: Int = 512,
        zsetMaxListpackEntries: Int = 128, zsetMaxListpackValue: Int = 64, listMaxListpackSize: Int = -2,
        compression: Bool = true
    ) {
        self.hashMaxListpackEntries = hashMaxListpackEntries
        self.hashMaxListpackValue = hashMaxListpackValue
        self.setMaxIntsetEntries = setMaxIntsetEntries
        self.zsetMaxListpackEntries = zsetMaxListpackEntries
        self.zsetMaxListpackValue = zsetMaxListpackValue
        self.listMaxListpackSize = listMaxListpackSize
        self.compression = compression
    }
}
