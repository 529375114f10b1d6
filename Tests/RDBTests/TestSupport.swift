import Foundation
import Keyspace
@testable import RDB

/// The fixtures made by `Fixtures/make-fixtures.py` from a real redis-server 7.0.15.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func bytes(_ name: String) -> [UInt8] {
        let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
        precondition(data != nil, "missing fixture \(name)")
        return [UInt8](data!)
    }

    /// One key of manifest.json.
    struct Key: CustomStringConvertible, Sendable {
        var name: [UInt8]
        var db: Int
        var type: String
        var encoding: String
        var expireAt: Int64?
        /// The value redis-server reported, or nil when only `count` and `digest` are given.
        var value: RDBValue?
        var count: Int?
        var digest: UInt64?
        var file: String
        var nocompFile: String?

        var description: String { String(decoding: name, as: UTF8.self) }

        /// Whether `v` is the value redis-server reported (order-insensitive for sets and
        /// hashtable-encoded hashes).
        func matches(_ v: RDBValue) -> Bool {
            if let value {
                if case .list = value { return v == value }
                if case .string = value { return v == value }
                if case .zset = value { return v == value }
                return v.normalized == value.normalized
            }
            return v.count == count && Fixtures.digest(v) == digest
        }
    }

    static let manifest: [Key] = {
        let json = try! JSONSerialization.jsonObject(with: Data(bytes("manifest.json"))) as! [String: Any]
        return (json["keys"] as! [[String: Any]]).map { k in
            let type = k["type"] as! String
            return Key(
                name: latin1(k["name"] as! String), db: k["db"] as! Int, type: type,
                encoding: k["encoding"] as! String, expireAt: (k["expire_at"] as? NSNumber)?.int64Value,
                value: (k["value"] as Any?).flatMap { $0 is NSNull ? nil : parseValue(type, $0) },
                count: k["count"] as? Int, digest: (k["crc64"] as? String).flatMap { UInt64($0, radix: 16) },
                file: k["file"] as! String, nocompFile: k["nocomp_file"] as? String)
        }
    }()

    static func latin1(_ s: String) -> [UInt8] { s.unicodeScalars.map { UInt8($0.value) } }

    static func parseValue(_ type: String, _ v: Any) -> RDBValue {
        switch type {
        case "string": return .string(latin1(v as! String))
        case "list": return .list((v as! [String]).map(latin1))
        case "set": return .set((v as! [String]).map(latin1))
        case "hash": return .hash((v as! [[String]]).map { (latin1($0[0]), latin1($0[1])) })
        case "zset": return .zset((v as! [[String]]).map { (latin1($0[0]), Double($0[1])!) })
        default: fatalError(type)
        }
    }

    /// CRC-64 of the canonical form make-fixtures.py digests big values with.
    static func digest(_ v: RDBValue) -> UInt64 {
        var out: [UInt8] = []
        func item(_ b: [UInt8]) {
            withUnsafeBytes(of: UInt32(b.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: b)
        }
        switch v {
        case .string(let s): item(s)
        case .list(let l): l.forEach(item)
        case .set(let s): s.sorted { $0.lexicographicallyPrecedes($1) }.forEach(item)
        case .hash(let h):
            for (f, x) in h.sorted(by: { $0.0.lexicographicallyPrecedes($1.0) }) {
                item(f)
                item(x)
            }
        case .zset(let z):
            for (m, s) in z {
                item(m)
                withUnsafeBytes(of: s.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        return crc64(0, out)
    }
}

/// A deterministic generator for randomized tests.
struct TestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ n: Int, alphabet: Int = 256) -> [UInt8] {
        (0..<n).map { _ in UInt8(truncatingIfNeeded: Int.random(in: 0..<alphabet, using: &self)) }
    }
}

extension Keyspace {
    /// The entry at `key` in `db`, if any.
    func entry(_ key: [UInt8], db: Int = 0, now: Int64 = 1) -> EntryRef? {
        key.withUnsafeBytes { lookup(db: db, key: Key($0), now: now, touch: false) }
    }
}

/// A bitwise CRC-64 (the definition) to check the table-driven one against.
func referenceCRC64(_ bytes: [UInt8]) -> UInt64 {
    var crc: UInt64 = 0
    for b in bytes {
        crc ^= UInt64(b)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5 : crc >> 1 }
    }
    return crc
}

/// Every interesting kind of value, for round trips.
func sampleValues() -> [(String, RDBValue)] {
    var r = TestRandom(seed: 42)
    let ints: [[UInt8]] = [0, 1, -1, 127, 128, -4096, 4095, 4096, -32768, 32767, 40000, -8_388_608, 8_388_607,
                           8_388_608, 2_147_483_647, -2_147_483_648, 2_147_483_648, Int64.max, Int64.min].map {
        Array(String($0).utf8)
    }
    return [
        ("empty string", .string([])),
        ("short string", .string(Array("hello".utf8))),
        ("int string", .string(Array("12345".utf8))),
        ("negative int string", .string(Array("-128".utf8))),
        ("int64 string", .string(Array("9223372036854775807".utf8))),
        ("non-canonical int", .string(Array("0123".utf8))),
        ("compressible", .string(Array(String(repeating: "abc", count: 100).utf8))),
        ("random 1000", .string(r.bytes(1000))),
        ("long 20000", .string(Array(repeating: 7, count: 20000))),
        ("list ints", .list(ints)),
        ("list mixed", .list([[], Array("a".utf8), Array(repeating: 0x41, count: 63), Array(repeating: 0x42, count: 64),
                              Array(repeating: 0x43, count: 4095), Array(repeating: 0x44, count: 4096)])),
        ("list big", .list((0..<3000).map { Array("element-\($0)".utf8) })),
        ("set intset", .set([Array("3".utf8), Array("-2".utf8), Array("100000".utf8)])),
        ("set strings", .set([Array("a".utf8), Array("b".utf8), Array("1".utf8)])),
        ("set big ints", .set((0..<600).map { Array(String($0 * 7).utf8) })),
        ("hash small", .hash([(Array("name".utf8), Array("shoal".utf8)), (Array("n".utf8), Array("42".utf8)),
                              (Array("e".utf8), [])])),
        ("hash long value", .hash([(Array("f".utf8), Array(repeating: 0x61, count: 65))])),
        ("hash big", .hash((0..<600).map { (Array("f\($0)".utf8), Array("v\($0)".utf8)) })),
        ("zset small", .zset([(Array("a".utf8), 1), (Array("b".utf8), 2.5), (Array("c".utf8), -.infinity),
                              (Array("d".utf8), .infinity), (Array("e".utf8), 0.1), (Array("f".utf8), 1e300),
                              (Array("g".utf8), -3), (Array("7".utf8), 7)])),
        ("zset big", .zset((0..<200).map { (Array("m\($0)".utf8), Double($0) / 3) })),
        ("zset long member", .zset([(Array(repeating: 0x6D, count: 65), 1), (Array("x".utf8), 2)])),
    ]
}
