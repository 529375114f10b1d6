/// DUMP / RESTORE payloads: one RDB object (type byte + payload), then the RDB version as 2
/// bytes little endian (Redis 7.0 writes 10), then the CRC-64 of everything before it as 8 bytes
/// little endian.
public enum DumpPayload {
    /// Bytes after the object.
    public static let footerSize = 10

    /// `verifyDumpPayload`: true when the payload has a footer, a version we can read (≤ 10) and
    /// (unless `checksum` is false) a matching CRC-64.
    public static func verify(_ payload: UnsafeRawBufferPointer, checksum: Bool = true) -> Bool {
        guard let base = payload.baseAddress, payload.count >= footerSize else { return false }
        let n = payload.count
        let version = Int(base.load(fromByteOffset: n - 10, as: UInt8.self))
            | Int(base.load(fromByteOffset: n - 9, as: UInt8.self)) << 8
        if version > RDBFormat.version { return false }
        if !checksum { return true }
        let stored = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
        return crc64(0, base, count: n - 8) == stored
    }

    /// The RDB version in a payload's footer, or nil when it is too short to have one.
    public static func version(of payload: UnsafeRawBufferPointer) -> Int? {
        guard payload.count >= footerSize else { return nil }
        return Int(payload[payload.count - 10]) | Int(payload[payload.count - 9]) << 8
    }

    /// RESTORE's decoding: verifies the payload (`.badPayload`), then decodes its object
    /// (`.badData`, `.emptyKey`, `.unsupported...`: all "Bad data format" for RESTORE). The object
    /// must take exactly the bytes before the footer.
    public static func decode(_ payload: UnsafeRawBufferPointer, checksum: Bool = true) throws(RDBError) -> RDBValue {
        guard verify(payload, checksum: checksum) else { throw .badPayload }
        let body = UnsafeRawBufferPointer(rebasing: payload[0..<(payload.count - footerSize)])
        let input = RDBInput(memory: body)
        let type = try input.readByte()
        let value = try input.readObject(type: type)
        if input.available != 0 { throw .badData("trailing bytes after the object") }
        return value
    }

    public static func decode(_ payload: [UInt8], checksum: Bool = true) throws(RDBError) -> RDBValue {
        let result = payload.withUnsafeBytes { p in
            Result { () throws(RDBError) -> RDBValue in try decode(p, checksum: checksum) }
        }
        return try result.get()
    }

    /// The DUMP payload of `value`, encoded as redis-server 7.0 would under `limits`.
    public static func encode(_ value: RDBValue, limits: RDBEncodingLimits = RDBEncodingLimits()) -> [UInt8] {
        let encoder = RDBEncoder(limits: limits)
        encoder.writeObject(value)
        seal(encoder)
        return encoder.out.array
    }

    /// Appends the footer (version 10 and the CRC-64 of everything in `encoder.out`), making its
    /// contents a DUMP payload.
    public static func seal(_ encoder: RDBEncoder) {
        encoder.out.appendLE(UInt16(RDBFormat.version))
        encoder.out.appendLE(crc64(0, encoder.out.bytes))
    }
}
