/// Numbers of Redis's RDB format (as redis-server 7.0 writes and reads them: `src/rdb.h`).
public enum RDBFormat {
    /// The RDB version redis-server 7.0 writes (`REDIS0010`, and in DUMP payloads).
    public static let version = 10
    /// The `redis-ver` AUX field we write.
    public static let redisVersion = "7.0.15"

    // Value types (the byte before a key, and the first byte of a DUMP payload).
    public static let typeString: UInt8 = 0
    public static let typeList: UInt8 = 1
    public static let typeSet: UInt8 = 2
    public static let typeZSet: UInt8 = 3
    public static let typeHash: UInt8 = 4
    public static let typeZSet2: UInt8 = 5
    public static let typeModulePreGA: UInt8 = 6
    public static let typeModule2: UInt8 = 7
    public static let typeHashZipmap: UInt8 = 9
    public static let typeListZiplist: UInt8 = 10
    public static let typeSetIntset: UInt8 = 11
    public static let typeZSetZiplist: UInt8 = 12
    public static let typeHashZiplist: UInt8 = 13
    public static let typeListQuicklist: UInt8 = 14
    public static let typeStreamListpacks: UInt8 = 15
    public static let typeHashListpack: UInt8 = 16
    public static let typeZSetListpack: UInt8 = 17
    public static let typeListQuicklist2: UInt8 = 18
    public static let typeStreamListpacks2: UInt8 = 19

    // Opcodes of the file format.
    public static let opFunction2: UInt8 = 245
    public static let opFunctionPreGA: UInt8 = 246
    public static let opModuleAux: UInt8 = 247
    public static let opIdle: UInt8 = 248
    public static let opFreq: UInt8 = 249
    public static let opAux: UInt8 = 250
    public static let opResizeDB: UInt8 = 251
    public static let opExpireTimeMs: UInt8 = 252
    public static let opExpireTime: UInt8 = 253
    public static let opSelectDB: UInt8 = 254
    public static let opEOF: UInt8 = 255

    // Length encoding: the two high bits of the first byte.
    static let len6Bit: UInt8 = 0
    static let len14Bit: UInt8 = 1
    static let len32Bit: UInt8 = 0x80
    static let len64Bit: UInt8 = 0x81
    static let encodedValue: UInt8 = 3
    // Special string encodings (low 6 bits after `11`).
    static let encInt8: UInt8 = 0
    static let encInt16: UInt8 = 1
    static let encInt32: UInt8 = 2
    static let encLZF: UInt8 = 3

    /// Quicklist node containers in RDB_TYPE_LIST_QUICKLIST_2.
    static let containerPlain = 1
    static let containerPacked = 2

    /// Redis compresses strings longer than this with LZF (when `rdbcompression yes`).
    static let compressionThreshold = 20
    /// Elements at least this long get a quicklist node of their own (PLAIN; `packed_threshold`).
    static let packedThreshold = 1 << 30
}

/// What went wrong reading or writing RDB data. `redisError` is the error reply Redis gives for
/// the same failure of RESTORE; `description` says what exactly was wrong.
public enum RDBError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The DUMP payload is too short, its version is newer than ours, or its CRC64 is wrong.
    case badPayload
    /// The data is malformed: a value that does not decode (the reason says why).
    case badData(String)
    /// The input ends in the middle of something.
    case truncated
    /// A collection with no elements (Redis skips such keys when loading an RDB file and refuses
    /// them in RESTORE).
    case emptyKey
    /// Not an RDB file (no `REDIS` magic) or a version we cannot read.
    case badHeader(String)
    /// The trailing CRC64 does not match the data.
    case checksumMismatch(expected: UInt64, computed: UInt64)
    /// Module values and module AUX data need the module; we have none.
    case unsupportedModuleData
    /// A value type we do not load (streams), or an unknown type byte.
    case unsupportedType(UInt8)
    /// A pre-release (7.0 RC) function library record.
    case unsupportedFunctionFormat
    /// A read or write on a file descriptor failed (errno).
    case io(Int32)

    /// The error reply of RESTORE for this failure (`-ERR ...` without the dash).
    public var redisError: String {
        switch self {
        case .badPayload: return "ERR DUMP payload version or checksum are wrong"
        default: return "ERR Bad data format"
        }
    }

    public var description: String {
        switch self {
        case .badPayload: return "DUMP payload version or checksum are wrong"
        case .badData(let reason): return "Bad data format: \(reason)"
        case .truncated: return "Short read: unexpected end of RDB data"
        case .emptyKey: return "Empty key (a collection with no elements)"
        case .badHeader(let reason): return "Wrong RDB header: \(reason)"
        case .checksumMismatch(let expected, let computed):
            return "Wrong RDB checksum expected: (\(hex(expected))) got: (\(hex(computed)))"
        case .unsupportedModuleData: return "unsupported module data"
        case .unsupportedType(let t):
            if t == RDBFormat.typeStreamListpacks || t == RDBFormat.typeStreamListpacks2 || t == 21 {
                return "unsupported value type \(t) (stream)"
            }
            return "Unknown RDB value type \(t)"
        case .unsupportedFunctionFormat: return "Pre-release function format not supported"
        case .io(let e): return "I/O error (errno \(e))"
        }
    }
}

private func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 16 - s.count)) + s
}
