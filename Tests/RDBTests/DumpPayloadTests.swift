import Testing
@testable import RDB

@Suite struct DumpPayloadTests {
    @Test(arguments: sampleValues().map { $0.0 })
    func roundTrip(_ name: String) throws {
        let value = sampleValues().first { $0.0 == name }!.1
        for limits in [RDBEncodingLimits(), RDBEncodingLimits(compression: false),
                       RDBEncodingLimits(hashMaxListpackEntries: 0, setMaxIntsetEntries: 0, zsetMaxListpackEntries: 0,
                                         listMaxListpackSize: 3)] {
            let payload = DumpPayload.encode(value, limits: limits)
            #expect(DumpPayload.verify(payload.withUnsafeBytes { $0 }))
            #expect(DumpPayload.version(of: payload.withUnsafeBytes { $0 }) == 10)
            let decoded = try DumpPayload.decode(payload)
            // Order is kept except where the encoding defines it (intsets, sorted sets).
            #expect(decoded.normalized == value.normalized, "\(name) with \(limits)")
            if case .list = value { #expect(decoded == value) }
            if case .hash = value { #expect(decoded == value) }
        }
    }

    @Test func chosenEncodingsFollowLimits() throws {
        func type(_ v: RDBValue, _ limits: RDBEncodingLimits = RDBEncodingLimits()) -> UInt8 {
            DumpPayload.encode(v, limits: limits)[0]
        }
        let small = sampleValues()
        func value(_ name: String) -> RDBValue { small.first { $0.0 == name }!.1 }
        #expect(type(value("hash small")) == RDBFormat.typeHashListpack)
        #expect(type(value("hash long value")) == RDBFormat.typeHash)
        #expect(type(value("hash big")) == RDBFormat.typeHash)
        #expect(type(value("hash big"), RDBEncodingLimits(hashMaxListpackEntries: 1000)) == RDBFormat.typeHashListpack)
        #expect(type(value("set intset")) == RDBFormat.typeSetIntset)
        #expect(type(value("set strings")) == RDBFormat.typeSet)
        #expect(type(value("set big ints")) == RDBFormat.typeSet)
        #expect(type(value("zset small")) == RDBFormat.typeZSetListpack)
        #expect(type(value("zset big")) == RDBFormat.typeZSet2)
        #expect(type(value("zset long member")) == RDBFormat.typeZSet2)
        #expect(type(value("list big")) == RDBFormat.typeListQuicklist2)
        #expect(type(value("short string")) == RDBFormat.typeString)
    }

    @Test func quicklistNodesFollowFill() throws {
        func nodes(_ v: RDBValue, fill: Int) throws -> Int {
            let payload = DumpPayload.encode(v, limits: RDBEncodingLimits(listMaxListpackSize: fill, compression: false))
            return try payload.withUnsafeBytes { b throws(RDBError) in
                let input = RDBInput(memory: b)
                _ = try input.readByte()
                return try input.readCount()
            }
        }
        let list = RDBValue.list((0..<1000).map { Array("element-\($0)".utf8) })
        #expect(try nodes(list, fill: 10) == 100)
        #expect(try nodes(list, fill: 1) == 1000)
        #expect(try nodes(list, fill: -1) == 4)  // ~13.9 KB in 4 KiB nodes
        #expect(try nodes(list, fill: -5) == 1)
        #expect(try nodes(.list([Array("x".utf8)]), fill: -2) == 1)
    }

    @Test func verifyRejectsWhatRedisRejects() throws {
        let payload = DumpPayload.encode(.string(Array("hello".utf8)))
        #expect(payload == [0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a, 0x00, 0x63, 0x72, 0xdf, 0x76, 0x65, 0x34, 0x20, 0x0a])
        var badCRC = payload
        badCRC[badCRC.count - 1] ^= 1
        var newer = payload
        newer[newer.count - 10] = 11
        var older = payload
        older[older.count - 10] = 9
        let crc = crc64(0, older[0..<(older.count - 8)])
        withUnsafeBytes(of: crc.littleEndian) { older.replaceSubrange((older.count - 8)..., with: $0) }
        for bad in [badCRC, newer, Array(payload.prefix(9)), []] {
            #expect(throws: RDBError.badPayload) { try DumpPayload.decode(bad) }
            #expect(RDBError.badPayload.redisError == "ERR DUMP payload version or checksum are wrong")
        }
        #expect(try DumpPayload.decode(older) == .string(Array("hello".utf8)))
        #expect(try DumpPayload.decode(badCRC, checksum: false) == .string(Array("hello".utf8)))
    }

    /// A payload with a valid footer around `body`.
    func sealed(_ body: [UInt8]) -> [UInt8] {
        var p = body + [10, 0]
        withUnsafeBytes(of: crc64(0, p).littleEndian) { p.append(contentsOf: $0) }
        return p
    }

    @Test func malformedObjectsAreBadDataFormat() {
        let cases = MalformedPayloads.bodies
        for body in cases {
            do {
                let v = try DumpPayload.decode(sealed(body))
                Issue.record("decoded \(body) as \(v)")
            } catch {
                #expect(error.redisError == "ERR Bad data format")
                #expect(error != .badPayload)
            }
        }
        #expect(RDBError.unsupportedModuleData.description == "unsupported module data")
    }

    @Test func decodesOlderEncodingsRedisStillLoads() throws {
        // Hand-made ziplist blobs (the formats of Redis < 7.0), checked in the interop script
        // to load into redis-server 7.0 as the same values.
        for (body, expected) in OldEncodings.samples {
            let decoded = try DumpPayload.decode(sealed(body))
            #expect(decoded == expected)
        }
    }
}

/// Object bodies that must not decode (each sealed with a valid footer).
enum MalformedPayloads {
    static let bodies: [[UInt8]] = [
        [0x00],  // string without its length
        [0x00, 0x05, 0x61],  // string shorter than its length
        [0x00, 0x02, 0x61, 0x62, 0x63],  // trailing bytes
        [0x00, 0xC3, 0x01, 0x05, 0x00],  // LZF that does not decode to 5 bytes
        [0x00, 0xC3, 0x01, 0x80, 0x00, 0x00, 0x40, 0x00, 0x00],  // LZF claiming 16384× expansion
        [0x00, 0xC4],  // unknown string encoding
        [0x02, 0x00],  // empty set
        [0x01, 0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],  // absurd element count
        [0x05, 0x01, 0x01, 0x61, 0, 0, 0, 0, 0, 0, 0xF8, 0x7F],  // NaN score
        [0x0B, 0x02, 0x01, 0x02],  // intset blob too short
        [0x12, 0x01, 0x03, 0x00],  // quicklist container 3
        [0x12, 0x00],  // quicklist without nodes: empty
        [0x07],  // module
        [0x0F],  // stream
        [0x42],  // unknown type
    ]
}

/// Payload bodies in the encodings Redis 7.0 no longer writes but still loads.
enum OldEncodings {
    /// A ziplist of `entries` (each a string or an integer), as Redis 6 writes them.
    static func ziplist(_ entries: [Any]) -> [UInt8] {
        var body: [UInt8] = []
        var prev = 0
        var tail = 10
        for e in entries {
            var entry: [UInt8] = prev < 254 ? [UInt8(prev)] : [0xFE] + le32(prev)
            if let s = e as? String {
                let b = Array(s.utf8)
                if b.count < 64 {
                    entry += [UInt8(b.count)] + b
                } else if b.count < 16384 {
                    entry += [UInt8(0x40 | (b.count >> 8)), UInt8(b.count & 0xFF)] + b
                } else {
                    entry += [0x80, UInt8(b.count >> 24), UInt8((b.count >> 16) & 0xFF), UInt8((b.count >> 8) & 0xFF), UInt8(b.count & 0xFF)] + b
                }
            } else {
                let v = e as! Int64
                if v >= 0 && v <= 12 {
                    entry += [UInt8(0xF1 + v)]
                } else if v >= -128 && v <= 127 {
                    entry += [0xFE, UInt8(bitPattern: Int8(v))]
                } else if v >= -32768 && v <= 32767 {
                    entry += [0xC0] + withUnsafeBytes(of: Int16(v).littleEndian) { Array($0) }
                } else if v >= -8_388_608 && v <= 8_388_607 {
                    entry += [0xF0] + withUnsafeBytes(of: Int32(v).littleEndian) { Array($0.prefix(3)) }
                } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
                    entry += [0xD0] + withUnsafeBytes(of: Int32(v).littleEndian) { Array($0) }
                } else {
                    entry += [0xE0] + withUnsafeBytes(of: v.littleEndian) { Array($0) }
                }
            }
            tail = 10 + body.count
            body += entry
            prev = entry.count
        }
        let total = 10 + body.count + 1
        return le32(total) + le32(tail) + [UInt8(entries.count & 0xFF), UInt8(entries.count >> 8)] + body + [0xFF]
    }

    static func le32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian) { Array($0) } }

    /// A length-prefixed (6/14-bit) RDB string of raw bytes.
    static func string(_ b: [UInt8]) -> [UInt8] {
        b.count < 64 ? [UInt8(b.count)] + b : [UInt8(0x40 | (b.count >> 8)), UInt8(b.count & 0xFF)] + b
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let samples: [([UInt8], RDBValue)] = [
        // RDB_TYPE_HASH_ZIPLIST (13)
        ([13] + string(ziplist(["name", "shoal", "n", Int64(300), "big", Int64(1) << 40, "neg", Int64(-5)])),
         .hash([(bytes("name"), bytes("shoal")), (bytes("n"), bytes("300")), (bytes("big"), bytes("1099511627776")),
                (bytes("neg"), bytes("-5"))])),
        // RDB_TYPE_ZSET_ZIPLIST (12): member, score pairs ascending.
        ([12] + string(ziplist(["a", Int64(1), "b", "2.5", "c", Int64(100_000), "d", "inf"])),
         .zset([(bytes("a"), 1), (bytes("b"), 2.5), (bytes("c"), 100_000), (bytes("d"), .infinity)])),
        // RDB_TYPE_LIST_ZIPLIST (10)
        ([10] + string(ziplist(["x", Int64(7), Int64(-70000), String(repeating: "y", count: 70)])),
         .list([bytes("x"), bytes("7"), bytes("-70000"), bytes(String(repeating: "y", count: 70))])),
        // RDB_TYPE_LIST_QUICKLIST (14): two ziplist nodes.
        ([14, 2] + string(ziplist(["a", "b"])) + string(ziplist([Int64(3), Int64(4_000_000)])),
         .list([bytes("a"), bytes("b"), bytes("3"), bytes("4000000")])),
        // RDB_TYPE_LIST (1), RDB_TYPE_SET (2), RDB_TYPE_HASH (4)
        ([1, 2] + string(bytes("p")) + [0xC0, 0x05], .list([bytes("p"), bytes("5")])),
        ([2, 2] + string(bytes("m")) + string(bytes("n")), .set([bytes("m"), bytes("n")])),
        ([4, 1] + string(bytes("f")) + string(bytes("v")), .hash([(bytes("f"), bytes("v"))])),
        // RDB_TYPE_ZSET (3): text scores, 253/254/255 for nan/inf/-inf; written descending.
        ([3, 3] + string(bytes("c")) + [254] + string(bytes("b")) + [3] + bytes("2.5") + string(bytes("a")) + [255],
         .zset([(bytes("a"), -.infinity), (bytes("b"), 2.5), (bytes("c"), .infinity)])),
        // RDB_TYPE_HASH_ZIPMAP (9): count, (len field len free value)..., end.
        ([9] + string([2, 1, 0x66, 3, 0, 0x61, 0x62, 0x63, 1, 0x67, 1, 2, 0x7A, 0, 0, 0xFF]),
         .hash([(bytes("f"), bytes("abc")), (bytes("g"), bytes("z"))])),
    ]
}
