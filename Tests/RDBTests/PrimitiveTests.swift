import Testing
@testable import RDB

@Suite struct CRC64Tests {
    @Test func standardVector() {
        #expect(crc64(0, Array("123456789".utf8)) == 0xe9c6_d914_c4b8_d9ca)
        #expect(crc64(0, [UInt8]()) == 0)
    }

    @Test func matchesBitwiseDefinitionAtEveryLengthAndSplit() {
        var r = TestRandom(seed: 1)
        for n in 0..<80 {
            let data = r.bytes(n)
            let expected = referenceCRC64(data)
            #expect(crc64(0, data) == expected)
            // Incremental over any split point gives the same.
            let split = n / 3
            #expect(crc64(crc64(0, data[0..<split]), data[split...]) == expected)
        }
        let big = r.bytes(100_003)
        #expect(crc64(0, big) == referenceCRC64(big))
    }
}

@Suite struct LZFTests {
    @Test func roundTrips() {
        var r = TestRandom(seed: 2)
        var inputs: [[UInt8]] = [
            Array(repeating: 0, count: 100), Array(repeating: 0x61, count: 100_000),
            Array(String(repeating: "abcdefgh", count: 40).utf8), Array(String(repeating: "0123456789", count: 2000).utf8),
            r.bytes(5000, alphabet: 4), r.bytes(70_000, alphabet: 3),
        ]
        // Repeats at distances around the 8 KiB window and lengths around the 264-byte maximum.
        let chunk = r.bytes(2000)
        inputs.append(chunk + r.bytes(6190) + chunk + r.bytes(6192) + chunk + r.bytes(6193) + chunk)
        for (i, input) in inputs.enumerated() {
            let compressed = LZF.compress(input)
            #expect(compressed != nil, "input \(i)")
            guard let compressed else { continue }
            #expect(compressed.count < input.count)
            #expect(LZF.decompress(compressed, length: input.count) == input)
        }
        // Incompressible data does not fit in fewer bytes: compress reports 0 / nil.
        #expect(LZF.compress(r.bytes(1000), minSaving: 4) == nil)
    }

    @Test func decodesReferenceStreams() {
        // Literal run "abc" then a back-reference of 6 bytes at distance 3: "abcabcabc".
        #expect(LZF.decompress([0x02, 0x61, 0x62, 0x63, 0x80, 0x02], length: 9) == Array("abcabcabc".utf8))
        // Long reference: 7 + 0x10 + 2 = 25 bytes at distance 1 after "x".
        #expect(LZF.decompress([0x00, 0x78, 0xE0, 0x10, 0x00], length: 26) == Array(repeating: 0x78, count: 26))
    }

    @Test func hostileInputNeverEscapesBuffers() {
        // Reference before the start, literal past the end, truncated reference, output overflow.
        #expect(LZF.decompress([0x20, 0x00], length: 3) == nil)
        #expect(LZF.decompress([0x05, 0x61], length: 6) == nil)
        #expect(LZF.decompress([0x00, 0x61, 0xE0], length: 10) == nil)
        #expect(LZF.decompress([0x00, 0x61, 0xE0, 0xFF], length: 300) == nil)
        #expect(LZF.decompress([0x00, 0x61, 0x20, 0x00], length: 3) == nil)  // 4 bytes into 3
        #expect(LZF.decompress([0x01, 0x61, 0x62], length: 1) == nil)
        #expect(LZF.decompress([0x00, 0x61], length: 1_000_000) == nil)  // absurd length: refused up front
        var r = TestRandom(seed: 3)
        for _ in 0..<20_000 {
            let input = r.bytes(Int.random(in: 0..<64, using: &r))
            let length = Int.random(in: 0..<300, using: &r)
            if let out = LZF.decompress(input, length: length) { #expect(out.count == length) }
        }
    }
}

@Suite struct EncodingTests {
    func encoded(_ body: (RDBEncoder) -> Void) -> [UInt8] {
        let e = RDBEncoder()
        body(e)
        return e.out.array
    }

    @Test func lengths() throws {
        #expect(encoded { $0.writeLength(0) } == [0x00])
        #expect(encoded { $0.writeLength(63) } == [0x3F])
        #expect(encoded { $0.writeLength(64) } == [0x40, 0x40])
        #expect(encoded { $0.writeLength(16383) } == [0x7F, 0xFF])
        #expect(encoded { $0.writeLength(16384) } == [0x80, 0x00, 0x00, 0x40, 0x00])
        #expect(encoded { $0.writeLength(Int(UInt32.max)) } == [0x80, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.writeLength(1 << 32) } == [0x81, 0, 0, 0, 1, 0, 0, 0, 0])
        for n in [0, 1, 63, 64, 100, 16383, 16384, 70000, Int(UInt32.max), 1 << 32, Int.max] {
            let bytes = encoded { $0.writeLength(n) }
            let v = try bytes.withUnsafeBytes { b throws(RDBError) in try RDBInput(memory: b).readCount() }
            #expect(v == n)
        }
    }

    @Test func stringsUseIntegerEncodingsAndLZFAsRedisDoes() throws {
        #expect(encoded { $0.writeString(Array("12".utf8)) } == [0xC0, 12])
        #expect(encoded { $0.writeString(Array("-128".utf8)) } == [0xC0, 0x80])
        #expect(encoded { $0.writeString(Array("12345".utf8)) } == [0xC1, 0x39, 0x30])
        #expect(encoded { $0.writeString(Array("100000".utf8)) } == [0xC2, 0xA0, 0x86, 0x01, 0x00])
        // Beyond int32, or not canonical: text.
        #expect(encoded { $0.writeString(Array("2147483648".utf8)) } == [10] + Array("2147483648".utf8))
        #expect(encoded { $0.writeString(Array("012".utf8)) } == [3] + Array("012".utf8))
        #expect(encoded { $0.writeString(Array("-0".utf8)) } == [2] + Array("-0".utf8))
        #expect(encoded { $0.writeInteger(Int64.max) } == [19] + Array("9223372036854775807".utf8))
        // Redis's own bytes for SET big "a"*40 (DUMP payload of 7.0.15 minus type and footer)
        // decode; our LZF finds a shorter form of the same string.
        let redis: [UInt8] = [0xC3, 0x09, 0x28, 0x01, 0x61, 0x61, 0xE0, 0x1B, 0x00, 0x01, 0x61, 0x61]
        #expect(try redis.withUnsafeBytes { b throws(RDBError) in try RDBInput(memory: b).readStringArray() }
            == Array(repeating: 0x61, count: 40))
        #expect(encoded { $0.writeString(Array(repeating: 0x61, count: 40)) } == [0xC3, 0x05, 0x28, 0x00, 0x61, 0xE0, 0x1E, 0x00])
        // 20 bytes are never compressed; without compression nothing is.
        #expect(encoded { $0.writeString(Array(repeating: 0x61, count: 20)) } == [20] + Array(repeating: 0x61, count: 20))
        let plain = RDBEncoder(limits: RDBEncodingLimits(compression: false))
        plain.writeString(Array(repeating: 0x61, count: 40))
        #expect(plain.out.array == [40] + Array(repeating: 0x61, count: 40))
    }

    @Test func listpackIntegerAndStringEntriesRoundTrip() throws {
        var b = RDBBuffer()
        let start = Listpack.begin(&b)
        let values: [Int64] = [0, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8_388_607,
                               -8_388_608, 8_388_608, Int64(Int32.max), Int64(Int32.min), Int64(Int32.max) + 1,
                               Int64.max, Int64.min]
        for v in values { Listpack.append(&b, integer: v) }
        let strings: [[UInt8]] = [[], Array(repeating: 1, count: 63), Array(repeating: 2, count: 64),
                                  Array(repeating: 3, count: 4095), Array(repeating: 4, count: 4096),
                                  Array(repeating: 5, count: 20000)]
        for s in strings { s.withUnsafeBytes { Listpack.appendString(&b, $0) } }
        Listpack.finish(&b, start: start, count: values.count + strings.count)
        var r = try Listpack.Reader(b.bytes)
        for v in values {
            guard case .integer(let x) = try r.next() else {
                Issue.record("expected integer \(v)")
                return
            }
            #expect(x == v)
        }
        for s in strings {
            guard case .bytes(let x) = try r.next() else {
                Issue.record("expected string")
                return
            }
            #expect(Array(x) == s)
        }
        #expect(try r.next() == nil)
        // Redis's own listpack of HSET h f1 v1 f2 123 f3 -5000 (from a 7.0.15 DUMP).
        let redis: [UInt8] = [0x1d, 0, 0, 0, 6, 0, 0x82, 0x66, 0x31, 3, 0x82, 0x76, 0x31, 3, 0x82, 0x66, 0x32, 3,
                              0x7b, 1, 0x82, 0x66, 0x33, 3, 0xf1, 0x78, 0xec, 3, 0xff]
        let elements = try redis.withUnsafeBytes { blob throws(RDBError) in try Listpack.elements(blob) }
        #expect(elements.map { String(decoding: $0, as: UTF8.self) } == ["f1", "v1", "f2", "123", "f3", "-5000"])
        var ours = RDBBuffer()
        let s = Listpack.begin(&ours)
        for e in elements { e.withUnsafeBytes { Listpack.append(&ours, $0) } }
        Listpack.finish(&ours, start: s, count: elements.count)
        #expect(ours.array == redis)
    }

    @Test func malformedListpacksAreRejected() {
        func check(_ blob: [UInt8]) -> Bool {
            blob.withUnsafeBytes { b in
                do throws(RDBError) {
                    _ = try Listpack.elements(b)
                    return false
                } catch { return true }
            }
        }
        #expect(check([]))
        #expect(check([7, 0, 0, 0, 0, 0, 0]))  // no terminator
        #expect(check([8, 0, 0, 0, 1, 0, 0x01, 0xFF]))  // size mismatch
        #expect(check([9, 0, 0, 0, 1, 0, 0x01, 0x02, 0xFF]))  // bad backlen
        #expect(check([9, 0, 0, 0, 2, 0, 0x01, 0x01, 0xFF]))  // count mismatch
        #expect(check([10, 0, 0, 0, 1, 0, 0x85, 0x61, 0x02, 0xFF]))  // string past the end
        #expect(check([9, 0, 0, 0, 1, 0, 0xF5, 0x01, 0xFF]))  // unknown encoding
        #expect(!check([9, 0, 0, 0, 1, 0, 0x01, 0x01, 0xFF]))
        #expect(!check([9, 0, 0, 0, 0xFF, 0xFF, 0x01, 0x01, 0xFF]))  // unknown count is fine
    }

    @Test func intsets() throws {
        let values: [Int64] = [-70000, 1, 70000]
        var b = RDBBuffer()
        values.withUnsafeBufferPointer { Intset.write(&b, $0) }
        #expect(b.array == [4, 0, 0, 0, 3, 0, 0, 0, 0x90, 0xEE, 0xFE, 0xFF, 1, 0, 0, 0, 0x70, 0x11, 1, 0])
        #expect(try Intset.values(b.bytes) == values)
        let unsorted: [UInt8] = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 4, 0]
        #expect(throws: RDBError.self) { try unsorted.withUnsafeBytes { try Intset.values($0) } }
        let short: [UInt8] = [2, 0, 0, 0, 3, 0, 0, 0, 5, 0]
        #expect(throws: RDBError.self) { try short.withUnsafeBytes { try Intset.values($0) } }
        let width: [UInt8] = [3, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0]
        #expect(throws: RDBError.self) { try width.withUnsafeBytes { try Intset.values($0) } }
    }

    @Test func scoresAsRedisFormatsThem() {
        func text(_ d: Double) -> String { withScoreText(d) { String(decoding: $0, as: UTF8.self) } }
        #expect(text(1) == "1")
        #expect(text(-0.1) == "-0.10000000000000001")
        #expect(text(2.5) == "2.5")
        #expect(text(.infinity) == "inf")
        #expect(text(-.infinity) == "-inf")
        #expect(text(-0.0) == "-0")
        #expect(text(1e20) == "1e+20")
        #expect(text(4_503_599_627_370_495) == "4503599627370495")
        #expect(text(4_503_599_627_370_496) == "4503599627370496")
        #expect(parseDouble(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }
}
