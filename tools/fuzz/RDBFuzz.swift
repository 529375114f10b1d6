// libFuzzer target for the RDB module's decoders: DUMP payloads (RESTORE) and RDB files. Built
// by tools/fuzz/run-rdb together with every Sources/RDB/*.swift file that does not import
// Keyspace (one module, no keyspace).
//
// Input layout: byte 0 = options, byte 1 = stream chunk size (1 + value), the rest = the payload.
//   options bit 0: the payload is an RDB file (else a DUMP payload)
//   options bit 1: DUMP: rewrite the footer first (version 10, correct CRC-64) so mutations get
//                  past verification to the object decoder; file: do not verify the checksum
//   options bit 2: also run LZF compress / decompress over the payload
//
// Invariants checked:
//   - decoding never reads outside the input (an allocation of exactly its size: AddressSanitizer
//     catches any stray read), never traps, and any failure is an RDBError with a reason;
//   - a decoded DUMP value re-encodes to a payload that decodes again, and encoding that value
//     gives the same bytes (encoding reaches a fixed point after one round); lists, strings and
//     hashes keep their elements exactly, sorted sets keep theirs in (score, member) order;
//   - an RDB file gives the same records, summary and error whether it is read from memory or
//     streamed through a small window refilled `chunk` bytes at a time;
//   - LZF: compress then decompress gives the input back; decompressing arbitrary bytes into a
//     buffer of any size stays inside it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("RDBFuzz invariant violated: \(message())\n", stderr)
        abort()
    }
}

/// Calls `body` with the bytes in a fresh allocation of exactly their size.
private func withExactCopy<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
    defer { copy.deallocate() }
    copy.copyBytes(from: bytes)
    return body(UnsafeRawBufferPointer(start: copy.baseAddress, count: bytes.count))
}

private func fuzzDump(_ input: [UInt8], fixFooter: Bool) {
    var payload = input
    if fixFooter && payload.count >= 10 {
        payload[payload.count - 10] = 10
        payload[payload.count - 9] = 0
        let crc = crc64(0, payload[0..<(payload.count - 8)])
        for i in 0..<8 { payload[payload.count - 8 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt64(i))) }
    }
    let result = withExactCopy(payload) { b -> Result<RDBValue, RDBError> in
        do throws(RDBError) { return .success(try DumpPayload.decode(b)) } catch { return .failure(error) }
    }
    guard case .success(let value) = result else {
        if case .failure(let error) = result { check(!error.description.isEmpty, "empty reason") }
        return
    }
    for limits in [RDBEncodingLimits(), RDBEncodingLimits(compression: false)] {
        let encoded = DumpPayload.encode(value, limits: limits)
        let again: RDBValue
        do throws(RDBError) {
            again = try DumpPayload.decode(encoded)
        } catch {
            check(false, "re-encoded payload does not decode: \(error)")
            return
        }
        check(DumpPayload.encode(again, limits: limits) == encoded, "encoding is not a fixed point")
        switch value {
        case .string, .list, .hash:
            check(again == value, "value changed in a round trip")
        case .zset:
            check(again.count == value.count, "sorted set size changed")
        case .set:
            check(again.count <= value.count, "set grew")
        }
    }
}

private struct Record: Equatable {
    var db: Int
    var key: [UInt8]
    var value: RDBValue
    var expireAt: Int64?
    var idle: UInt64?
    var frequency: UInt8?
}

private struct FileOutcome: Equatable {
    var records: [Record] = []
    var keys = -1
    var skipped = -1
    var aux: [[UInt8]] = []
    var functions: [[UInt8]] = []
    var checksum: UInt64? = nil
    var bytesRead = -1
    var error: RDBError? = nil
}

private func readFile(_ bytes: [UInt8], chunk: Int?, verify: Bool) -> FileOutcome {
    var outcome = FileOutcome()
    let collect: (RDBRecord) -> Void = { r in
        outcome.records.append(Record(db: r.db, key: Array(r.key), value: r.value, expireAt: r.expireAt,
                                      idle: r.idleSeconds, frequency: r.frequency))
    }
    do {
        let summary: RDBReadSummary
        if let chunk {
            var offset = 0
            let reader = RDBFileReader(bufferSize: 64, knownSize: bytes.count) { p, n in
                let k = min(n, chunk, bytes.count - offset)
                bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress! + offset, byteCount: k) }
                offset += k
                return k
            }
            reader.verifyChecksum = verify
            summary = try reader.read(collect)
        } else {
            summary = try withExactCopy(bytes) { b in
                Result { () throws -> RDBReadSummary in
                    let reader = RDBFileReader(bytes: b)
                    reader.verifyChecksum = verify
                    return try reader.read(collect)
                }
            }.get()
        }
        outcome.keys = summary.keys
        outcome.skipped = summary.emptyKeysSkipped
        outcome.aux = summary.aux.flatMap { [$0.key, $0.value] }
        outcome.functions = summary.functions
        outcome.checksum = summary.storedChecksum
        outcome.bytesRead = summary.bytesRead
        check(summary.keys == outcome.records.count, "key count")
    } catch let error as RDBError {
        check(!error.description.isEmpty, "empty reason")
        outcome.error = error
    } catch {
        check(false, "non-RDBError thrown: \(error)")
    }
    return outcome
}

private func fuzzLZF(_ bytes: [UInt8]) {
    if let c = LZF.compress(bytes) {
        check(LZF.decompress(c, length: bytes.count) == bytes, "LZF round trip differs")
    }
    let length = bytes.isEmpty ? 0 : Int(bytes[0]) * 3
    if let d = LZF.decompress(bytes, length: length) { check(d.count == length, "LZF length") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func rdbFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let options = data[0]
    let chunk = Int(data[1]) + 1
    let payload = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    if options & 1 == 0 {
        fuzzDump(payload, fixFooter: options & 2 != 0)
    } else {
        let verify = options & 2 == 0
        let memory = readFile(payload, chunk: nil, verify: verify)
        let streamed = readFile(payload, chunk: chunk, verify: verify)
        check(memory == streamed, "memory and streamed reads differ: \(memory.error.map { "\($0)" } ?? "ok") vs "
            + "\(streamed.error.map { "\($0)" } ?? "ok"), \(memory.records.count) vs \(streamed.records.count) records")
    }
    if options & 4 != 0 { fuzzLZF(payload) }
    return 0
}
