import Testing
@testable import RDB

/// Payloads and files written by a real redis-server 7.0.15 (see Fixtures/make-fixtures.py).
@Suite struct RedisFixtureTests {
    static let keys = Fixtures.manifest

    @Test func manifestCoversEveryEncoding() {
        let encodings = Set(Self.keys.map { "\($0.type)/\($0.encoding)" })
        #expect(encodings.isSuperset(of: [
            "string/int", "string/embstr", "string/raw", "list/quicklist", "hash/listpack", "hash/hashtable",
            "set/intset", "set/hashtable", "zset/listpack", "zset/skiplist",
        ]))
    }

    @Test(arguments: keys.map(\.file))
    func decodesRedisDumpPayload(_ file: String) throws {
        let key = Self.keys.first { $0.file == file }!
        let value = try DumpPayload.decode(Fixtures.bytes(file))
        #expect(key.matches(value), "\(key): \(value)")
        if let nocomp = key.nocompFile {
            #expect(try DumpPayload.decode(Fixtures.bytes(nocomp)) == value)
        }
    }

    /// Our encoder produces Redis's own bytes for every value whose encoding is deterministic
    /// (compared without compression: our LZF is not liblzf byte for byte; list:plain was made
    /// with a lowered packed threshold, so its PLAIN node is not what default limits give).
    @Test(arguments: keys.filter { $0.description != "list:plain" }.compactMap(\.nocompFile))
    func encodesRedisBytesExactly(_ file: String) throws {
        let redis = Fixtures.bytes(file)
        let value = try DumpPayload.decode(redis)
        let ours = DumpPayload.encode(value, limits: RDBEncodingLimits(compression: false))
        let firstDifference = (0..<min(ours.count, redis.count)).first { ours[$0] != redis[$0] } ?? min(ours.count, redis.count)
        #expect(ours.count == redis.count && firstDifference == ours.count,
                "\(file): \(ours.count) vs \(redis.count) bytes, first difference at \(firstDifference)")
    }

    @Test func compressedPayloadsRoundTripThroughOurLZF() throws {
        for key in Self.keys {
            let value = try DumpPayload.decode(Fixtures.bytes(key.file))
            let ours = DumpPayload.encode(value)
            #expect(try DumpPayload.decode(ours) == value, "\(key)")
        }
    }

    func readFile(_ name: String, streamed: Bool = false, bufferSize: Int = 1 << 18)
        throws -> (RDBReadSummary, [(db: Int, key: [UInt8], value: RDBValue, expire: Int64?, idle: UInt64?, freq: UInt8?)])
    {
        let bytes = Fixtures.bytes(name)
        var records: [(db: Int, key: [UInt8], value: RDBValue, expire: Int64?, idle: UInt64?, freq: UInt8?)] = []
        let collect: (RDBRecord) -> Void = {
            records.append(($0.db, Array($0.key), $0.value, $0.expireAt, $0.idleSeconds, $0.frequency))
        }
        if streamed {
            var offset = 0
            // Deliver in small uneven pieces so items straddle refills.
            let reader = RDBFileReader(bufferSize: bufferSize) { p, n in
                let k = min(n, bytes.count - offset, 1 + offset % 97)
                bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress! + offset, byteCount: k) }
                offset += k
                return k
            }
            return (try reader.read(collect), records)
        }
        let summary = try bytes.withUnsafeBytes { try RDBFileReader(bytes: $0).read(collect) }
        return (summary, records)
    }

    @Test(arguments: ["redis70-dump.rdb", "redis70-nochecksum.rdb"], [false, true])
    func readsRedisDumpFile(_ name: String, streamed: Bool) throws {
        let (summary, records) = try readFile(name, streamed: streamed, bufferSize: 64)
        #expect(summary.version == 10)
        #expect(summary.auxValue("redis-ver") == "7.0.15")
        #expect(summary.auxValue("redis-bits") == "64")
        #expect(summary.auxValue("aof-base") == "0")
        #expect(summary.functions.count == 1)
        #expect(summary.functions.first.map { String(decoding: $0, as: UTF8.self).hasPrefix("#!lua name=shoallib") } == true)
        #expect(summary.keys == Self.keys.count)
        #expect(summary.sizeHints[0]?.keys == Self.keys.filter { $0.db == 0 }.count)
        #expect(summary.sizeHints[0]?.expires == 2)
        #expect(summary.sizeHints[1]?.keys == 2)
        #expect((summary.storedChecksum == 0) == (name == "redis70-nochecksum.rdb"))
        #expect(summary.bytesRead == Fixtures.bytes(name).count)
        for key in Self.keys {
            let found = records.first { $0.key == key.name && $0.db == key.db }
            #expect(found != nil, "\(key) missing")
            guard let found else { continue }
            #expect(key.matches(found.value), "\(key)")
            #expect(found.expire == key.expireAt, "\(key)")
            #expect(found.idle == nil && found.freq == nil)
        }
    }

    @Test func readsAccessData() throws {
        let (_, lru) = try readFile("redis70-lru.rdb")
        #expect(lru.count == 3)
        #expect(lru.allSatisfy { $0.idle != nil && $0.freq == nil })
        let (_, lfu) = try readFile("redis70-lfu.rdb")
        #expect(lfu.count == 3)
        #expect(lfu.allSatisfy { $0.freq != nil && $0.idle == nil })
        #expect(lfu.first { $0.key == Array("a".utf8) }!.freq! > lfu.first { $0.key == Array("b".utf8) }!.freq!)
    }

    @Test func corruptionIsDetected() throws {
        var bytes = Fixtures.bytes("redis70-dump.rdb")
        bytes[bytes.count / 2] ^= 0x01
        // A flipped byte either breaks the structure or the checksum; never goes unnoticed.
        #expect(throws: RDBError.self) { try bytes.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } } }
        // A wrong checksum is reported as such; with verification off the data still reads.
        var tail = Fixtures.bytes("redis70-dump.rdb")
        tail[tail.count - 1] ^= 0xFF
        #expect {
            try tail.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } }
        } throws: { error in
            guard case RDBError.checksumMismatch = error else { return false }
            return "\(error)".hasPrefix("Wrong RDB checksum")
        }
        let unverified = try tail.withUnsafeBytes { b throws -> Int in
            let reader = RDBFileReader(bytes: b)
            reader.verifyChecksum = false
            return try reader.read { _ in }.keys
        }
        #expect(unverified == Self.keys.count)
        var magic = Fixtures.bytes("redis70-dump.rdb")
        magic[0] = 0x58
        #expect(throws: RDBError.self) { try magic.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } } }
        var version = Fixtures.bytes("redis70-dump.rdb")
        version[8] = 0x31  // REDIS0011
        #expect(throws: RDBError.badHeader("Can't handle RDB format version 11")) {
            try version.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } }
        }
    }

    @Test func everyTruncationFailsCleanly() {
        let bytes = Fixtures.bytes("redis70-lfu.rdb") + []
        for n in 0..<bytes.count {
            let prefix = Array(bytes[0..<n])
            #expect(throws: RDBError.self) { try prefix.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } } }
        }
        let big = Fixtures.bytes("redis70-dump.rdb")
        for n in stride(from: 0, to: big.count, by: 37) {
            let prefix = Array(big[0..<n])
            #expect(throws: RDBError.self) { try prefix.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } } }
            var offset = 0
            let reader = RDBFileReader(bufferSize: 64, knownSize: n) { p, k in
                let m = min(k, prefix.count - offset)
                prefix.withUnsafeBytes { p.copyMemory(from: $0.baseAddress! + offset, byteCount: m) }
                offset += m
                return m
            }
            #expect(throws: RDBError.self) { try reader.read { _ in } }
        }
        for file in Self.keys.map(\.file) {
            let payload = Fixtures.bytes(file)
            for n in 0..<min(payload.count, 200) {
                let cut = Array(payload[0..<n])
                #expect(throws: RDBError.self) { try DumpPayload.decode(cut, checksum: false) }
            }
        }
    }

    @Test func moduleAuxAndPreReleaseFunctionsAreRefused() {
        for (op, expected) in [(RDBFormat.opModuleAux, RDBError.unsupportedModuleData),
                               (RDBFormat.opFunctionPreGA, RDBError.unsupportedFunctionFormat)] {
            let file = Array("REDIS0010".utf8) + [op, 0x01, 0x02]
            #expect(throws: expected) { try file.withUnsafeBytes { try RDBFileReader(bytes: $0).read { _ in } } }
        }
    }
}
