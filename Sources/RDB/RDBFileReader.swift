#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One key read from an RDB file.
public struct RDBRecord {
    /// The database (from the last SELECTDB; 0 before any).
    public var db: Int
    /// The key's bytes: valid only during the callback that receives the record.
    public var key: UnsafeRawBufferPointer
    public var value: RDBValue
    /// Absolute expiry in Unix milliseconds (EXPIRETIME_MS, or EXPIRETIME × 1000).
    public var expireAt: Int64?
    /// LRU idle time in seconds (IDLE opcode), when the file has it.
    public var idleSeconds: UInt64?
    /// LFU counter (FREQ opcode), when the file has it.
    public var frequency: UInt8?
}

/// What a whole file held besides its keys.
public struct RDBReadSummary {
    public var version = 0
    /// AUX fields in file order (`redis-ver`, `redis-bits`, `ctime`, `used-mem`, `aof-base`, ...).
    public var aux: [(key: [UInt8], value: [UInt8])] = []
    /// Function libraries (FUNCTION2 records): their code, skipped otherwise.
    public var functions: [[UInt8]] = []
    /// RESIZEDB hints per database: (keys, keys with an expiry).
    public var sizeHints: [Int: (keys: Int, expires: Int)] = [:]
    /// Keys passed to the callback.
    public var keys = 0
    /// Empty collections skipped (as redis-server skips them).
    public var emptyKeysSkipped = 0
    /// The checksum stored in the file (0: written without one; nil: version < 5).
    public var storedChecksum: UInt64?
    /// Bytes read up to and including the checksum.
    public var bytesRead = 0

    /// An AUX field's value as text.
    public func auxValue(_ key: String) -> String? {
        aux.first { $0.key == Array(key.utf8) }.map { String(decoding: $0.value, as: UTF8.self) }
    }
}

/// A streaming reader of RDB files (`rdbLoad`): calls back once per key with its database,
/// value, expiry and LRU/LFU data, never holding more than one value (and its input window) in
/// memory. Accepts versions 1 to 10 and every opcode redis-server 7.0 writes: AUX, RESIZEDB,
/// SELECTDB, EXPIRETIME, EXPIRETIME_MS, IDLE, FREQ, FUNCTION2 (library code reported in the
/// summary); MODULE_AUX, module values and streams are errors (`unsupportedModuleData`,
/// `unsupportedType`). Verifies the CRC-64 trailer unless it is 0 (written with `rdbchecksum no`).
public final class RDBFileReader {
    let input: RDBInput
    /// Verify the trailing CRC-64 (a stored 0 means none was computed and is never checked).
    public var verifyChecksum = true
    /// Called for every AUX field as it is read.
    public var onAux: ((_ key: [UInt8], _ value: [UInt8]) throws -> Void)?
    /// Highest database number accepted (SELECTDB beyond it is an error), like `databases`.
    public var maxDatabase = Int(Int32.max)
    var keyScratch = RDBBuffer(capacity: 256)

    /// Reads memory the caller keeps valid while reading.
    public init(bytes: UnsafeRawBufferPointer) {
        input = RDBInput(memory: bytes)
    }

    /// Reads a stream through `source`, which copies up to `count` bytes to the pointer and
    /// returns how many (0 at the end, -errno on failure). `knownSize`, when the stream's length
    /// is known, lets absurd lengths fail at once.
    public init(bufferSize: Int = 1 << 18, knownSize: Int? = nil,
                source: @escaping (_ into: UnsafeMutableRawPointer, _ count: Int) -> Int) {
        input = RDBInput(bufferSize: bufferSize, knownSize: knownSize, source: source)
    }

    /// Reads from a file descriptor (from its current position; the size of a regular file bounds
    /// every length read from it).
    public convenience init(fileDescriptor fd: Int32, bufferSize: Int = 1 << 18) {
        var st = stat()
        var known: Int? = nil
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
            let here = lseek(fd, 0, SEEK_CUR)
            known = max(0, Int(st.st_size) - Int(max(here, 0)))
        }
        self.init(bufferSize: bufferSize, knownSize: known) { p, n in
            let r = systemRead(fd, p, n)
            return r >= 0 ? r : -Int(errno)
        }
    }

    /// Reads the whole file, calling `body` for every key (expired ones included: what to do
    /// with them is the caller's choice; Redis drops them when loading as a primary).
    @discardableResult
    public func read(_ body: (RDBRecord) throws -> Void) throws -> RDBReadSummary {
        var summary = RDBReadSummary()
        let input = self.input
        try input.ensure(9)
        let magic = try input.view(9)
        guard magic.starts(with: "REDIS".utf8) else { throw RDBError.badHeader("no REDIS magic") }
        var version = 0
        for b in magic[5..<9] {
            guard b >= 0x30 && b <= 0x39 else { throw RDBError.badHeader("bad version digits") }
            version = version * 10 + Int(b - 0x30)
        }
        guard version >= 1 && version <= RDBFormat.version else {
            throw RDBError.badHeader("Can't handle RDB format version \(version)")
        }
        summary.version = version
        input.trackCRC = version >= 5

        var db = 0
        var expireAt: Int64? = nil
        var idle: UInt64? = nil
        var frequency: UInt8? = nil
        while true {
            let type = try input.readByte()
            switch type {
            case RDBFormat.opExpireTimeMs:
                expireAt = try input.readLE(Int64.self)
            case RDBFormat.opExpireTime:
                expireAt = Int64(try input.readLE(Int32.self)) * 1000
            case RDBFormat.opFreq:
                frequency = try input.readByte()
            case RDBFormat.opIdle:
                let (v, encoded) = try input.readLength()
                if encoded { throw RDBError.badData("bad IDLE value") }
                idle = v
            case RDBFormat.opSelectDB:
                db = try input.readCount()
                if db > maxDatabase {
                    throw RDBError.badData("Data file was created with a Redis server configured to handle more than \(maxDatabase + 1) databases")
                }
            case RDBFormat.opResizeDB:
                let keys = try input.readCount()
                let expires = try input.readCount()
                summary.sizeHints[db] = (keys, expires)
            case RDBFormat.opAux:
                let k = try input.readStringArray()
                let v = try input.readStringArray()
                summary.aux.append((k, v))
                try onAux?(k, v)
            case RDBFormat.opModuleAux:
                throw RDBError.unsupportedModuleData
            case RDBFormat.opFunctionPreGA:
                throw RDBError.unsupportedFunctionFormat
            case RDBFormat.opFunction2:
                summary.functions.append(try input.readStringArray())
            case RDBFormat.opEOF:
                if version >= 5 {
                    let computed = input.checksumSoFar()
                    let stored = try input.readLE(UInt64.self)
                    summary.storedChecksum = stored
                    if verifyChecksum && stored != 0 && stored != computed {
                        throw RDBError.checksumMismatch(expected: stored, computed: computed)
                    }
                }
                summary.bytesRead = input.offset
                return summary
            default:
                // A key: its type, its name, its value.
                let key: UnsafeRawBufferPointer
                let form = try input.readStringForm()
                if input.isMemory, case .raw(let n) = form {
                    key = try input.view(n)
                } else {
                    keyScratch.removeAll()
                    try input.readString(form, into: &keyScratch)
                    key = keyScratch.bytes
                }
                do {
                    let value = try input.readObject(type: type)
                    try body(RDBRecord(db: db, key: key, value: value, expireAt: expireAt, idleSeconds: idle,
                                       frequency: frequency))
                    summary.keys += 1
                } catch RDBError.emptyKey {
                    summary.emptyKeysSkipped += 1
                }
                expireAt = nil
                idle = nil
                frequency = nil
            }
        }
    }
}
