import Keyspace

/// One RDB object without a DUMP footer (type byte + payload): the unit slot migration batches
/// carry, whose frames have a checksum of their own.
public enum RDBObject {
    /// The object bytes of a keyspace entry, as Redis 7.0 would encode it under `limits`.
    public static func encode(entry: EntryRef, limits: RDBEncodingLimits = RDBEncodingLimits()) throws(RDBError) -> [UInt8] {
        let encoder = RDBEncoder(limits: limits)
        try encoder.writeObject(entry: entry)
        return encoder.out.array
    }

    /// The value of object bytes, which must be used up exactly.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(RDBError) -> RDBValue {
        let input = RDBInput(memory: bytes)
        let type = try input.readByte()
        let value = try input.readObject(type: type)
        if input.available != 0 { throw .badData("trailing bytes after the object") }
        return value
    }
}
