// libFuzzer target for the slot-migration batch format (Sources/Migration/MigrationBatch.swift):
// any frame must be rejected or decoded, never crash; what decodes must survive a round trip.
// First input byte: bit 0 set = the rest is the raw record stream, wrapped in a valid LZ4 frame
// here (exercises the record parser); clear = the rest is a frame as received (exercises the
// LZ4 / checksum checks). Built by tools/fuzz/run-migration.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let frame: [UInt8]
    if data[0] & 1 == 1 {
        guard let wrapped = try? LZ4Block.encode(rest) else { return 0 }
        frame = wrapped
    } else {
        frame = rest
    }
    guard let records = try? MigrationBatch.decode(frame) else { return 0 }
    var builder = MigrationBatchBuilder()
    for record in records { builder.append(record) }
    guard let again = try? builder.seal(), let decoded = try? MigrationBatch.decode(again), decoded == records else {
        fatalError("round trip changed \(records.count) records")
    }
    return 0
}
