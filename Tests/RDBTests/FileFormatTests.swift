import Testing
@testable import RDB

@Suite struct FileFormatTests {
    /// Our header and AUX fields are byte for byte what redis-server 7.0.15 wrote (given the same
    /// ctime and used-mem).
    @Test func headerMatchesRedis() throws {
        let redis = Fixtures.bytes("redis70-lfu.rdb")
        let summary = try redis.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } }
        let ctime = Int64(summary.auxValue("ctime")!)!
        let usedMem = Int64(summary.auxValue("used-mem")!)!
        var ours: [UInt8] = []
        let writer = RDBFileWriter { ours.append(contentsOf: $0) }
        try writer.writeHeader(ctime: ctime, usedMemory: usedMem)
        try writer.flush()
        #expect(Array(redis.prefix(ours.count)) == ours)
        #expect(redis[ours.count] == RDBFormat.opSelectDB)
    }

    /// A small file written by us reads back, its checksum covers every byte before it, and
    /// chunked flushing changes nothing.
    @Test func writerOutputIsIndependentOfFlushing() throws {
        func file(threshold: Int, checksum: Bool = true) throws -> [UInt8] {
            var out: [UInt8] = []
            let w = RDBFileWriter(checksum: checksum) { out.append(contentsOf: $0) }
            w.flushThreshold = threshold
            try w.writeHeader(ctime: 1, usedMemory: 2)
            try w.writeFunction(Array("#!lua name=x\nredis.register_function('f', function() return 1 end)".utf8))
            try w.selectDatabase(0, keys: 3, expires: 1)
            for (name, value) in sampleValues() {
                try w.writeKey(Array(name.utf8), value: value, expireAt: name == "hash small" ? 123 : nil,
                               idleSeconds: name == "list big" ? 77 : nil)
            }
            try w.selectDatabase(5, keys: 1, expires: 0)
            try w.writeKey(Array("x".utf8), value: .string([1]), frequency: 9)
            let sum = try w.finish()
            #expect(w.bytesWritten == out.count)
            #expect(sum == (checksum ? crc64(0, out[0..<(out.count - 8)]) : 0))
            return out
        }
        let whole = try file(threshold: 1 << 30)
        #expect(try file(threshold: 1) == whole)
        #expect(try file(threshold: 100) == whole)
        var records: [RDBRecord] = []
        var copies: [(key: [UInt8], value: RDBValue)] = []
        let summary = try whole.withUnsafeBytes {
            try RDBFileReader(bytes: $0).read { r in
                records.append(r)
                copies.append((Array(r.key), r.value))
            }
        }
        #expect(summary.functions.count == 1)
        #expect(summary.sizeHints[5]?.keys == 1)
        #expect(copies.count == sampleValues().count + 1)
        for ((name, value), copy) in zip(sampleValues(), copies) {
            #expect(copy.key == Array(name.utf8))
            #expect(copy.value.normalized == value.normalized)
        }
        #expect(records.first { $0.expireAt == 123 } != nil)
        #expect(records.last?.db == 5 && records.last?.frequency == 9)
        #expect(records.filter { $0.idleSeconds == 77 }.count == 1)
        let unchecked = try file(threshold: 1000, checksum: false)
        #expect(unchecked.suffix(8) == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try unchecked.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } }.storedChecksum == 0)
    }

    /// An absurd length from a stream of unknown size allocates no more than twice what arrived.
    @Test func untrustedLengthsDoNotSizeAllocations() throws {
        var head: [UInt8] = Array("REDIS0010".utf8) + [0x00, 0x01, 0x6B, 0x81, 0, 0, 0, 0x10, 0, 0, 0, 0]
        head += Array(repeating: 0x61, count: 5000)
        var offset = 0
        let reader = RDBFileReader(bufferSize: 256) { p, n in
            let k = min(n, head.count - offset)
            head.withUnsafeBytes { p.copyMemory(from: $0.baseAddress! + offset, byteCount: k) }
            offset += k
            return k
        }
        #expect(throws: RDBError.truncated) { try reader.read { _ in } }
        #expect(reader.input.capacity <= 2 * head.count + 256)
        // With the size known (a file), the same length fails before reading further.
        offset = 0
        let known = RDBFileReader(bufferSize: 256, knownSize: head.count) { p, n in
            let k = min(n, head.count - offset)
            head.withUnsafeBytes { p.copyMemory(from: $0.baseAddress! + offset, byteCount: k) }
            offset += k
            return k
        }
        #expect(throws: RDBError.truncated) { try known.read { _ in } }
        #expect(known.input.capacity == 256)
        // Counts too: a list claiming 2^40 elements in a few bytes of memory is refused at once.
        let list: [UInt8] = Array("REDIS0010".utf8) + [0x01, 0x01, 0x6B, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0x01, 0x61]
        #expect(throws: RDBError.truncated) { try list.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } } }
    }

    /// Old RDB versions (no checksum before 5, EXPIRETIME in seconds) still read.
    @Test func olderVersionsAndOpcodes() throws {
        let file: [UInt8] = Array("REDIS0004".utf8) + [0xFE, 0x02, 0xFD, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01, 0x6B, 0xC0, 0x07, 0xFF]
        var got: [RDBRecord] = []
        var keys: [[UInt8]] = []
        let summary = try file.withUnsafeBytes {
            try RDBFileReader(bytes: $0).read { got.append($0); keys.append(Array($0.key)) }
        }
        #expect(summary.version == 4 && summary.storedChecksum == nil)
        #expect(keys == [Array("k".utf8)])
        #expect(got.first?.db == 2 && got.first?.expireAt == 16_000 && got.first?.value == .string(Array("7".utf8)))
        // Empty collections are skipped and counted, as redis-server does.
        let empty: [UInt8] = Array("REDIS0010".utf8) + [0x02, 0x01, 0x6B, 0x00, 0x00, 0x01, 0x6A, 0x01, 0x76, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0]
        let s = try empty.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } }
        #expect(s.keys == 1 && s.emptyKeysSkipped == 1)
    }
}
