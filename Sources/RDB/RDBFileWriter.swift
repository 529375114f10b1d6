#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming writer of RDB files as redis-server 7.0 writes them (`rdbSaveRio`):
///
/// ```
/// REDIS0010, AUX fields, [FUNCTION2 ...], per database: SELECTDB, RESIZEDB, then per key
/// [EXPIRETIME_MS][IDLE | FREQ] type key value; EOF, CRC-64 (little endian; 0 without checksum)
/// ```
///
/// Output is buffered in `encoder.out` and handed to the sink in chunks of about
/// `flushThreshold` bytes, so a file of any size streams through a small buffer.
public final class RDBFileWriter {
    public let encoder: RDBEncoder
    let sink: (UnsafeRawBufferPointer) throws -> Void
    /// Compute the CRC-64 trailer (`rdbchecksum yes`); otherwise the trailer is 0.
    public let checksum: Bool
    var crc: UInt64 = 0
    /// Bytes handed to the sink so far.
    public private(set) var bytesWritten = 0
    public var flushThreshold = 1 << 16
    var finished = false

    /// Writes through `sink`, which must take every byte it is given (or throw).
    public init(limits: RDBEncodingLimits = RDBEncodingLimits(), checksum: Bool = true,
                sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        encoder = RDBEncoder(limits: limits, capacity: 1 << 17)
        self.checksum = checksum
        self.sink = sink
    }

    /// Writes to a file descriptor (retrying short writes and EINTR; errors throw `RDBError.io`).
    public convenience init(fileDescriptor fd: Int32, limits: RDBEncodingLimits = RDBEncodingLimits(),
                            checksum: Bool = true) {
        self.init(limits: limits, checksum: checksum) { bytes in
            var done = 0
            while done < bytes.count {
                let r = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw RDBError.io(errno)
                }
                done += r
            }
        }
    }

    /// The magic and the AUX fields redis-server 7.0 writes: `redis-ver`, `redis-bits`, `ctime`
    /// (Unix seconds), `used-mem`, `aof-base`.
    public func writeHeader(ctime: Int64, usedMemory: Int64, aofBase: Bool = false,
                            redisVersion: String = RDBFormat.redisVersion) throws {
        encoder.out.append(Array("REDIS00\(RDBFormat.version)".utf8))
        writeAux("redis-ver", redisVersion)
        writeAux("redis-bits", integer: Int64(MemoryLayout<Int>.size * 8))
        writeAux("ctime", integer: ctime)
        writeAux("used-mem", integer: usedMemory)
        writeAux("aof-base", integer: aofBase ? 1 : 0)
        try flushIfNeeded()
    }

    /// An AUX field (`rdbSaveAuxFieldStrStr`).
    public func writeAux(_ key: [UInt8], _ value: [UInt8]) {
        encoder.writeByte(RDBFormat.opAux)
        encoder.writeString(key)
        encoder.writeString(value)
    }

    public func writeAux(_ key: String, _ value: String) { writeAux(Array(key.utf8), Array(value.utf8)) }

    /// An AUX field holding an integer (`rdbSaveAuxFieldStrInt`: its text, int-encoded when short).
    public func writeAux(_ key: String, integer: Int64) {
        withDecimal(integer) { text in
            encoder.writeByte(RDBFormat.opAux)
            encoder.writeString(Array(key.utf8))
            encoder.writeString(text)
        }
    }

    /// A function library (FUNCTION2: its code).
    public func writeFunction(_ code: [UInt8]) throws {
        encoder.writeByte(RDBFormat.opFunction2)
        encoder.writeString(code)
        try flushIfNeeded()
    }

    /// SELECTDB and RESIZEDB: the keys that follow belong to `db`.
    public func selectDatabase(_ db: Int, keys: Int, expires: Int) throws {
        encoder.writeByte(RDBFormat.opSelectDB)
        encoder.writeLength(db)
        encoder.writeByte(RDBFormat.opResizeDB)
        encoder.writeLength(keys)
        encoder.writeLength(expires)
        try flushIfNeeded()
    }

    /// The per-key opcodes before a key: expiry, then idle time (LRU) or frequency (LFU).
    public func writeKeyPrefix(expireAt: Int64?, idleSeconds: Int64? = nil, frequency: UInt8? = nil) {
        if let expireAt {
            encoder.writeByte(RDBFormat.opExpireTimeMs)
            encoder.out.appendLE(expireAt)
        }
        if let idleSeconds {
            encoder.writeByte(RDBFormat.opIdle)
            encoder.writeLength(Int(max(idleSeconds, 0)))
        } else if let frequency {
            encoder.writeByte(RDBFormat.opFreq)
            encoder.writeByte(frequency)
        }
    }

    /// One key with its value (type, key, payload after the prefix opcodes).
    public func writeKey(_ key: UnsafeRawBufferPointer, value: RDBValue, expireAt: Int64? = nil,
                         idleSeconds: Int64? = nil, frequency: UInt8? = nil) throws {
        writeKeyPrefix(expireAt: expireAt, idleSeconds: idleSeconds, frequency: frequency)
        encoder.pendingKey = key
        encoder.writeObject(value)
        try flushIfNeeded()
    }

    public func writeKey(_ key: [UInt8], value: RDBValue, expireAt: Int64? = nil,
                         idleSeconds: Int64? = nil, frequency: UInt8? = nil) throws {
        try key.withUnsafeBytes {
            try writeKey($0, value: value, expireAt: expireAt, idleSeconds: idleSeconds, frequency: frequency)
        }
    }

    public func flushIfNeeded() throws {
        if encoder.out.count >= flushThreshold { try flush() }
    }

    /// Hands everything buffered to the sink.
    public func flush() throws {
        let n = encoder.out.count
        if n == 0 { return }
        if checksum { crc = crc64(crc, encoder.out.bytes) }
        try sink(encoder.out.bytes)
        bytesWritten += n
        encoder.out.removeAll()
    }

    /// EOF and the checksum; flushes everything. Returns the checksum written.
    @discardableResult
    public func finish() throws -> UInt64 {
        precondition(!finished, "RDBFileWriter.finish called twice")
        encoder.writeByte(RDBFormat.opEOF)
        if checksum { crc = crc64(crc, encoder.out.bytes) }
        let value = checksum ? crc : 0
        encoder.out.appendLE(value)
        let n = encoder.out.count
        try sink(encoder.out.bytes)
        bytesWritten += n
        encoder.out.removeAll()
        finished = true
        return value
    }
}
