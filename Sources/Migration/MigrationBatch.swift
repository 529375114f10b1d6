import LZ4

/// Keys moving between two Shoal nodes, many per frame: each key with its absolute expiry and its
/// value in RDB object encoding (the body of a DUMP payload, without version and CRC: the frame
/// carries one checksum for all of them). The records are LZ4-compressed together — 100-byte
/// values do not compress one by one, a few hundred of them side by side do.
///
/// Frame = `LZ4Block` (magic, lengths, CRC32C of the raw bytes) over the records:
///     u32 key length | key | u8 kind | i64 expire-at ms (-1: none) | u32 value length | RDB object
/// (little-endian). A frame is decoded and checked whole before anything of it is applied.
///
/// A big collection travels as several records: the first (`whole`) creates the key with a part
/// of its elements, the next ones (`append`) add the rest, so neither node spends more than a
/// moment on it at a time.
public struct MigrationRecord: Equatable, Sendable {
    public var key: [UInt8]
    /// Unix ms, or nil for a key without TTL.
    public var expireAt: Int64?
    /// RDB object encoding: type byte + payload.
    public var object: [UInt8]
    /// The elements of `object` are added to the key the previous record created.
    public var append: Bool

    public init(key: [UInt8], expireAt: Int64?, object: [UInt8], append: Bool = false) {
        self.key = key
        self.expireAt = expireAt
        self.object = object
        self.append = append
    }
}

public struct MigrationBatchError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Accumulates records, then seals them into one compressed frame.
public struct MigrationBatchBuilder {
    public private(set) var raw: [UInt8] = []
    public private(set) var count = 0

    public init(reserving capacity: Int = 0) { raw.reserveCapacity(capacity) }

    public var rawByteCount: Int { raw.count }

    public mutating func append(
        key: UnsafeRawBufferPointer, expireAt: Int64?, object: UnsafeRawBufferPointer, append: Bool = false
    ) {
        appendLE(UInt32(key.count))
        raw.append(contentsOf: key)
        raw.append(append ? 1 : 0)
        appendLE(UInt64(bitPattern: expireAt ?? -1))
        appendLE(UInt32(object.count))
        raw.append(contentsOf: object)
        count += 1
    }

    public mutating func append(_ record: MigrationRecord) {
        record.key.withUnsafeBytes { key in
            record.object.withUnsafeBytes { object in
                append(key: key, expireAt: record.expireAt, object: object, append: record.append)
            }
        }
    }

    private mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { raw.append(contentsOf: $0) }
    }

    /// The compressed, checksummed frame; the builder is emptied.
    public mutating func seal() throws(LZ4Error) -> [UInt8] {
        let frame = try LZ4Block.encode(raw)
        raw.removeAll(keepingCapacity: true)
        count = 0
        return frame
    }
}

public enum MigrationBatch {
    /// Frames above this raw size are refused (a sender cuts batches far below it).
    public static let maxRawLength = 64 << 20

    /// Every record of `frame`, or an error if any byte of it is wrong: nothing is returned for a
    /// frame that is corrupt, truncated or carries trailing garbage.
    public static func decode(_ frame: [UInt8]) throws(MigrationBatchError) -> [MigrationRecord] {
        let raw: [UInt8]
        do {
            raw = try LZ4Block.decode(frame, maxRawLength: maxRawLength)
        } catch {
            throw MigrationBatchError("corrupt migration frame: \(error)")
        }
        let parsed = raw.withUnsafeBytes { bytes in
            Result { () throws(MigrationBatchError) -> [MigrationRecord] in try parse(bytes) }
        }
        return try parsed.get()
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(MigrationBatchError) -> [MigrationRecord] {
        var records: [MigrationRecord] = []
        var offset = 0
        func take(_ n: Int) throws(MigrationBatchError) -> UnsafeRawBufferPointer {
            guard n >= 0, n <= bytes.count - offset else { throw MigrationBatchError("truncated migration record") }
            defer { offset += n }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
        }
        func u32() throws(MigrationBatchError) -> Int {
            Int(UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)))
        }
        while offset < bytes.count {
            let keyLength = try u32()
            let key = Array(try take(keyLength))
            let kind = try take(1)[0]
            guard kind <= 1 else { throw MigrationBatchError("unknown migration record kind \(kind)") }
            let expire = Int64(littleEndian: try take(8).loadUnaligned(as: Int64.self))
            guard expire >= -1 else { throw MigrationBatchError("bad expiry in migration record") }
            let objectLength = try u32()
            guard objectLength > 0 else { throw MigrationBatchError("empty value in migration record") }
            let object = Array(try take(objectLength))
            records.append(MigrationRecord(key: key, expireAt: expire < 0 ? nil : expire, object: object, append: kind == 1))
        }
        return records
    }
}
