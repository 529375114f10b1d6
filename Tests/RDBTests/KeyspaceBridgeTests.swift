import Foundation
import Keyspace
import Testing
@testable import RDB

@Suite struct KeyspaceBridgeTests {
    static let now: Int64 = 1_700_000_000_000

    /// Every Redis fixture stored into a keyspace gets Redis's OBJECT ENCODING, reads back as
    /// the same value, and DUMPs (straight from the entry) to a payload that decodes the same.
    @Test(arguments: Fixtures.manifest.map(\.file))
    func storesRedisValuesWithRedisEncodings(_ file: String) throws {
        let key = Fixtures.manifest.first { $0.file == file }!
        let value = try DumpPayload.decode(Fixtures.bytes(file))
        let ks = Keyspace()
        let stored = try key.name.withUnsafeBytes {
            try store(value, key: $0, db: key.db, expireAt: key.expireAt, into: ks, now: Self.now)
        }
        #expect(stored)
        let entry = try #require(ks.entry(key.name, db: key.db, now: Self.now))
        #expect(entry.encodingName == key.encoding, "\(key)")
        #expect(entry.expireAt == key.expireAt)
        let back = try #require(rdbValue(of: entry))
        #expect(key.matches(back), "\(key): \(back)")
        let payload = try DumpPayload.encode(entry: entry)
        #expect(try DumpPayload.decode(payload).normalized == value.normalized)
        // For compact and plain encodings alike, the entry's payload is what encoding the value
        // itself gives (same RDB type and same element order where Redis keeps one).
        if key.encoding != "hashtable" {
            #expect(payload == DumpPayload.encode(back), "\(key)")
        }
        // The footer-less object migration batches carry is the payload without its footer.
        let object = try RDBObject.encode(entry: entry)
        #expect(object == Array(payload.dropLast(DumpPayload.footerSize)))
        #expect(try object.withUnsafeBytes { b throws(RDBError) in try RDBObject.decode(b) }.normalized == value.normalized)
    }

    @Test func encodingsFollowLimitsOnStore() throws {
        let ks = Keyspace()
        func encoding(_ v: RDBValue, _ limits: RDBEncodingLimits = RDBEncodingLimits()) throws -> String {
            let k = Array("k".utf8)
            try k.withUnsafeBytes { _ = try store(v, key: $0, db: 0, expireAt: nil, into: ks, limits: limits, now: Self.now) }
            return ks.entry(k, now: Self.now)!.encodingName
        }
        for (name, value) in sampleValues() {
            let e = try encoding(value)
            switch name {
            case "short string", "empty string", "non-canonical int": #expect(e == "embstr")
            case "int string", "negative int string", "int64 string": #expect(e == "int")
            case "compressible", "random 1000", "long 20000": #expect(e == "raw")
            case "list ints", "list mixed", "list big": #expect(e == "quicklist")
            case "set intset": #expect(e == "intset")
            case "set strings", "set big ints": #expect(e == "hashtable")
            case "hash small": #expect(e == "listpack")
            case "hash long value", "hash big": #expect(e == "hashtable")
            case "zset small": #expect(e == "listpack")
            case "zset big", "zset long member": #expect(e == "skiplist")
            default: Issue.record("unexpected sample \(name)")
            }
        }
        let small = RDBEncodingLimits(hashMaxListpackEntries: 1, setMaxIntsetEntries: 1, zsetMaxListpackEntries: 1)
        #expect(try encoding(.hash([(Array("a".utf8), [1]), (Array("b".utf8), [2])]), small) == "hashtable")
        #expect(try encoding(.set([Array("1".utf8), Array("2".utf8)]), small) == "hashtable")
        #expect(try encoding(.zset([(Array("a".utf8), 1), (Array("b".utf8), 2)]), small) == "skiplist")
    }

    @Test func refusesWhatRedisRefuses() {
        let ks = Keyspace()
        let k = Array("k".utf8)
        let bad: [(RDBValue, RDBError)] = [
            (.list([]), .emptyKey), (.set([]), .emptyKey), (.hash([]), .emptyKey), (.zset([]), .emptyKey),
            (.hash([(Array("f".utf8), [1]), (Array("f".utf8), [2])]), .badData("Duplicate hash fields detected")),
            (.hash((0..<600).map { (Array("f\($0 % 599)".utf8), [1]) }), .badData("Duplicate hash fields detected")),
            (.set([Array("1".utf8), Array("1".utf8)]), .badData("Duplicate set members detected")),
            (.set([Array("a".utf8), Array("a".utf8)]), .badData("Duplicate set members detected")),
            (.zset([(Array("a".utf8), 1), (Array("a".utf8), 2)]), .badData("Duplicate zset fields detected")),
            (.zset((0..<200).map { (Array("m\($0 % 199)".utf8), Double($0)) }), .badData("Duplicate zset fields detected")),
            (.zset([(Array("a".utf8), .nan)]), .badData("Zset with NAN score detected")),
        ]
        for (value, error) in bad {
            #expect(throws: error) {
                try k.withUnsafeBytes { _ = try store(value, key: $0, db: 0, expireAt: nil, into: ks, now: Self.now) }
            }
            #expect(ks.entry(k, now: Self.now) == nil)
        }
    }

    @Test func expiredValuesAreSkipped() throws {
        let ks = Keyspace()
        let k = Array("k".utf8)
        let stored = try k.withUnsafeBytes {
            try store(.string([1]), key: $0, db: 0, expireAt: Self.now - 1, into: ks, now: Self.now)
        }
        #expect(!stored)
        #expect(ks.keyCount(db: 0) == 0)
        let kept = try k.withUnsafeBytes {
            try store(.string([1]), key: $0, db: 0, expireAt: Self.now, into: ks, now: Self.now)
        }
        #expect(kept)
    }

    /// A keyspace written as an RDB file by us and read back by us holds the same keys.
    @Test func snapshotRoundTrip() throws {
        let ks = Keyspace()
        for key in Fixtures.manifest {
            let value = try DumpPayload.decode(Fixtures.bytes(key.file))
            _ = try key.name.withUnsafeBytes {
                try store(value, key: $0, db: key.db, expireAt: key.expireAt, into: ks, now: Self.now)
            }
        }
        var file: [UInt8] = []
        let writer = RDBFileWriter { file.append(contentsOf: $0) }
        writer.flushThreshold = 1000
        let checksum = try writer.writeSnapshot(ks, now: Self.now)
        #expect(checksum != 0)
        #expect(writer.bytesWritten == file.count)
        let loaded = Keyspace()
        var count = 0
        let summary = try file.withUnsafeBytes {
            try RDBFileReader(bytes: $0).read { r in
                _ = try store(r.value, key: r.key, db: r.db, expireAt: r.expireAt, into: loaded, now: Self.now)
                count += 1
            }
        }
        #expect(summary.auxValue("redis-ver") == "7.0.15")
        #expect(summary.storedChecksum == checksum)
        #expect(count == Fixtures.manifest.count)
        #expect(summary.sizeHints[0]?.expires == 2)
        for key in Fixtures.manifest {
            let a = try #require(ks.entry(key.name, db: key.db, now: Self.now))
            let b = try #require(loaded.entry(key.name, db: key.db, now: Self.now))
            #expect(b.encodingName == a.encodingName)
            #expect(b.expireAt == a.expireAt)
            #expect(rdbValue(of: b)!.normalized == rdbValue(of: a)!.normalized, "\(key)")
        }
    }

    @Test func snapshotCarriesAccessData() throws {
        let ks = Keyspace()
        let now = Self.now
        for name in ["a", "b", "c"] {
            Array(name.utf8).withUnsafeBytes { ks.setString(db: 0, key: Key($0), value: $0, now: now - 5000) }
        }
        var lruFile: [UInt8] = []
        try RDBFileWriter { lruFile.append(contentsOf: $0) }.writeSnapshot(ks, access: .lru, now: now)
        var idles: [UInt64] = []
        try lruFile.withUnsafeBytes { try RDBFileReader(bytes: $0).read { idles.append($0.idleSeconds!) } }
        #expect(idles == [5, 5, 5])
        ks.maxmemoryPolicyIsLFU = true
        var lfuFile: [UInt8] = []
        try RDBFileWriter { lfuFile.append(contentsOf: $0) }.writeSnapshot(ks, access: .lfu, now: now)
        var freqs: [UInt8] = []
        try lfuFile.withUnsafeBytes { try RDBFileReader(bytes: $0).read { freqs.append($0.frequency!) } }
        #expect(freqs.count == 3)
    }

    @Test func writesToFileDescriptors() throws {
        let ks = Keyspace()
        for i in 0..<1000 {
            let k = Array("key:\(i)".utf8)
            k.withUnsafeBytes { ks.setString(db: i % 3, key: Key($0), value: $0, expireAt: i % 2 == 0 ? Self.now + 1000 : nil, now: Self.now) }
        }
        let path = "/tmp/shoal-rdb-test-\(getpid()).rdb"
        defer { unlink(path) }
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o644)
        #expect(fd >= 0)
        try RDBFileWriter(fileDescriptor: fd).writeSnapshot(ks, now: Self.now)
        close(fd)
        let rfd = open(path, O_RDONLY)
        defer { close(rfd) }
        var perDB = [0, 0, 0]
        var expiring = 0
        let summary = try RDBFileReader(fileDescriptor: rfd, bufferSize: 100).read { r in
            perDB[r.db] += 1
            if r.expireAt != nil { expiring += 1 }
            #expect(r.value == .string(Array(r.key)))
        }
        #expect(perDB == [334, 333, 333])
        #expect(expiring == 500)
        #expect(summary.keys == 1000)
    }
}
