import Foundation
import Keyspace
import Testing
@testable import RDB

/// Writes what Shoal encodes for redis-server to judge (Fixtures/check-interop.py runs this with
/// SHOAL_RDB_INTEROP_DIR set, then RESTOREs the payloads into redis-server 7.0, runs
/// redis-check-rdb on the snapshot and starts redis-server on it). Without the variable the
/// test does nothing.
@Suite struct InteropExportTests {
    static let directory = ProcessInfo.processInfo.environment["SHOAL_RDB_INTEROP_DIR"]
    static let now: Int64 = 1_700_000_000_000
    static let farFuture: Int64 = 4_102_444_800_000

    /// Bytes as a JSON string whose code points are the bytes (what check-interop.py expects).
    static func latin1(_ b: [UInt8]) -> String { String(String.UnicodeScalarView(b.map { Unicode.Scalar($0) })) }

    static func json(_ v: RDBValue) -> [String: Any] {
        switch v {
        case .string(let s): return ["type": "string", "value": latin1(s)]
        case .list(let l): return ["type": "list", "value": l.map(latin1)]
        case .set(let s): return ["type": "set", "value": s.map(latin1)]
        case .hash(let h): return ["type": "hash", "value": h.map { [latin1($0.0), latin1($0.1)] }]
        case .zset(let z): return ["type": "zset", "value": z.map { [latin1($0.0), withScoreText($0.1) { String(decoding: $0, as: UTF8.self) }] }]
        }
    }

    /// The OBJECT ENCODING a value gets when stored (our rules, which redis-server must agree with).
    static func encoding(of value: RDBValue) throws -> String {
        let ks = Keyspace()
        let k: [UInt8] = [0x6B]
        try k.withUnsafeBytes { _ = try store(value, key: $0, db: 0, expireAt: nil, into: ks, now: now) }
        return ks.entry(k, now: now)!.encodingName
    }

    @Test(.enabled(if: directory != nil))
    func export() throws {
        let dir = URL(fileURLWithPath: Self.directory!)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func write(_ name: String, _ bytes: [UInt8]) throws {
            try Data(bytes).write(to: dir.appendingPathComponent(name))
        }
        var payloads: [[String: Any]] = []
        var values: [(String, RDBValue)] = sampleValues()
        for key in Fixtures.manifest {
            values.append(("redis:" + key.description, try DumpPayload.decode(Fixtures.bytes(key.file))))
        }
        for (i, (name, value)) in values.enumerated() {
            let file = "payload-\(i).bin"
            try write(file, DumpPayload.encode(value))
            var entry = Self.json(value)
            entry["name"] = name
            entry["file"] = file
            entry["encoding"] = try Self.encoding(of: value)
            payloads.append(entry)
        }
        for (i, (body, value)) in OldEncodings.samples.enumerated() {
            var p = body + [10, 0]
            withUnsafeBytes(of: crc64(0, p).littleEndian) { p.append(contentsOf: $0) }
            let file = "old-\(i).bin"
            try write(file, p)
            var entry = Self.json(value)
            entry["name"] = "old encoding type \(body[0])"
            entry["file"] = file
            payloads.append(entry)
        }

        // Payloads both sides must refuse, with the error RESTORE gives.
        var refused: [[String: Any]] = []
        var sealedBodies = MalformedPayloads.bodies.map { body -> [UInt8] in
            var p = body + [10, 0]
            withUnsafeBytes(of: crc64(0, p).littleEndian) { p.append(contentsOf: $0) }
            return p
        }
        var wrongCRC = DumpPayload.encode(.string([1, 2, 3]))
        wrongCRC[wrongCRC.count - 1] ^= 0x40
        var newer = DumpPayload.encode(.string([1, 2, 3]))
        newer[newer.count - 10] = 11
        sealedBodies += [wrongCRC, newer]
        for (i, payload) in sealedBodies.enumerated() {
            let error: RDBError
            do {
                let v = try DumpPayload.decode(payload)
                Issue.record("decoded \(v)")
                continue
            } catch let e { error = e }
            let file = "bad-\(i).bin"
            try write(file, payload)
            // Redis reads the object from the whole payload, footer included, and ignores what
            // follows it: such payloads it accepts, where we refuse them.
            let lenient = payload.withUnsafeBytes { b -> Bool in
                let input = RDBInput(memory: b)
                do throws(RDBError) {
                    _ = try input.readObject(type: try input.readByte())
                    return DumpPayload.verify(b)
                } catch { return false }
            }
            refused.append(["file": file, "error": error.redisError, "reason": error.description, "redis_accepts": lenient])
        }

        // A snapshot: every value in database 0, some again in database 3 with expiries.
        let ks = Keyspace()
        var keys: [[String: Any]] = []
        for (db, expire) in [(0, nil), (3, Optional(Self.farFuture))] as [(Int, Int64?)] {
            for (i, (name, value)) in values.enumerated() where db == 0 || i % 3 == 0 {
                let key = Array("key:\(i):\(name)".utf8)
                try key.withUnsafeBytes { _ = try store(value, key: $0, db: db, expireAt: expire, into: ks, now: Self.now) }
                var entry = Self.json(value)
                entry["key"] = Self.latin1(key)
                entry["db"] = db
                entry["expire_at"] = expire.map { NSNumber(value: $0) } ?? NSNull()
                entry["encoding"] = ks.entry(key, db: db, now: Self.now)!.encodingName
                keys.append(entry)
            }
        }
        var snapshot: [UInt8] = []
        try RDBFileWriter { snapshot.append(contentsOf: $0) }.writeSnapshot(ks, now: Self.now, usedMemory: 1 << 20)
        try write("shoal.rdb", snapshot)
        var lfu: [UInt8] = []
        ks.maxmemoryPolicyIsLFU = true
        try RDBFileWriter(checksum: false) { lfu.append(contentsOf: $0) }.writeSnapshot(ks, access: .lfu, now: Self.now)
        try write("shoal-lfu-nochecksum.rdb", lfu)

        let manifest: [String: Any] = ["payloads": payloads, "keys": keys, "refused": refused,
                                       "snapshots": ["shoal.rdb", "shoal-lfu-nochecksum.rdb"]]
        try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
            .write(to: dir.appendingPathComponent("expected.json"))
    }
}
