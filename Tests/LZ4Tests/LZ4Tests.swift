import Testing
@testable import LZ4

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
private func randomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var out = [UInt8]()
    out.reserveCapacity(count)
    while out.count < count {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        var v = state &* 0x2545_F491_4F6C_DD1D
        for _ in 0..<8 where out.count < count {
            out.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }
    return out
}

private func compressible(_ count: Int) -> [UInt8] {
    let pattern = Array("shoal:key:0000000042 value=hello-world;".utf8)
    return (0..<count).map { pattern[$0 % pattern.count] }
}

@Suite("LZ4 block codec")
struct LZ4CodecTests {
    @Test("round trips", arguments: [0, 1, 2, 15, 64, 4096, 65_536])
    func roundTripSizes(size: Int) throws {
        for input in [randomBytes(size), compressible(size)] {
            let compressed = try LZ4.compress(input)
            #expect(compressed.count <= LZ4.compressBound(input.count) || input.isEmpty)
            let back = try LZ4.decompress(compressed, originalSize: input.count)
            #expect(back == input)
        }
    }

    @Test func randomOneMiB() throws {
        let input = randomBytes(1 << 20)
        let compressed = try LZ4.compress(input)
        #expect(try LZ4.decompress(compressed, originalSize: input.count) == input)
    }

    @Test func compressibleShrinks() throws {
        let input = compressible(64 * 1024)
        let compressed = try LZ4.compress(input)
        #expect(compressed.count < input.count / 10)
        #expect(try LZ4.decompress(compressed, originalSize: input.count) == input)
    }

    @Test func compressAppends() throws {
        var out: [UInt8] = [1, 2, 3]
        let input = compressible(1000)
        let n = try input.withUnsafeBytes { try LZ4.compress($0, into: &out) }
        #expect(out.count == 3 + n)
        #expect(Array(out.prefix(3)) == [1, 2, 3])
        #expect(try LZ4.decompress(Array(out.dropFirst(3)), originalSize: 1000) == input)
    }

    @Test func compressBound() {
        #expect(LZ4.compressBound(0) == 16)
        #expect(LZ4.compressBound(1000) == 1000 + 1000 / 255 + 16)
        #expect(LZ4.compressBound(-1) == 0)
        #expect(LZ4.compressBound(LZ4.maxInputSize + 1) == 0)
    }

    @Test func wrongOriginalSizeFails() throws {
        let input = compressible(10_000)
        let compressed = try LZ4.compress(input)
        #expect(throws: LZ4Error.self) { try LZ4.decompress(compressed, originalSize: 9_999) }
        #expect(throws: LZ4Error.self) { try LZ4.decompress(compressed, originalSize: 10_001) }
        #expect(throws: LZ4Error.self) { try LZ4.decompress(compressed, originalSize: -1) }
    }

    @Test func hugeClaimedSizeRejectedWithoutAllocating() throws {
        let compressed = try LZ4.compress(compressible(100))
        // 1.9 GiB would be a huge allocation; the ratio check refuses it first.
        #expect(throws: LZ4Error.invalidSize(0x7000_0000)) {
            try LZ4.decompress(compressed, originalSize: 0x7000_0000)
        }
        #expect(throws: LZ4Error.invalidSize(Int.max)) { try LZ4.decompress(compressed, originalSize: Int.max) }
    }

    @Test func garbageDoesNotCrash() {
        var rng = randomBytes(120_000, seed: 7)
        for len in stride(from: 1, to: 2000, by: 37) {
            let chunk = Array(rng.prefix(len))
            rng.removeFirst(len)
            // Any outcome but a crash is fine; most must fail.
            _ = try? LZ4.decompress(chunk, originalSize: len * 4)
        }
    }

    @Test func corruptedCompressedBytesNeverCrash() throws {
        let input = compressible(8192)
        let compressed = try LZ4.compress(input)
        for i in stride(from: 0, to: compressed.count, by: 3) {
            var bad = compressed
            bad[i] ^= 0xA5
            if let out = try? LZ4.decompress(bad, originalSize: input.count) {
                #expect(out.count == input.count)
            }
        }
    }
}

@Suite("CRC32C")
struct CRC32CTests {
    @Test func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func incrementalEqualsWhole() {
        let data = randomBytes(10_007)
        let whole = CRC32C.checksum(data)
        let part = data.withUnsafeBytes { raw -> UInt32 in
            let a = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[0..<4321]))
            return CRC32C.update(a, UnsafeRawBufferPointer(rebasing: raw[4321...]))
        }
        #expect(whole == part)
    }
}

@Suite("LZ4Block frame")
struct LZ4BlockTests {
    @Test("round trips", arguments: [0, 1, 100, 65_536, 1 << 20])
    func roundTrip(size: Int) throws {
        for input in [randomBytes(size), compressible(size)] {
            let frame = try LZ4Block.encode(input)
            #expect(Array(frame.prefix(4)) == [0x53, 0x4C, 0x5A, 1])
            #expect(try LZ4Block.decode(frame) == input)
        }
    }

    @Test func incompressibleIsStored() throws {
        let input = randomBytes(4096)
        let frame = try LZ4Block.encode(input)
        #expect(frame.count == LZ4Block.headerSize + input.count)
        let header = try frame.withUnsafeBytes { try LZ4Block.readHeader($0) }
        #expect(header?.isStored == true)
    }

    @Test func compressibleIsCompressed() throws {
        let input = compressible(64 * 1024)
        let frame = try LZ4Block.encode(input)
        #expect(frame.count < input.count / 10)
        let header = try frame.withUnsafeBytes { try LZ4Block.readHeader($0) }
        #expect(header == LZ4Block.Header(
            rawLength: input.count, payloadLength: frame.count - 16, checksum: CRC32C.checksum(input)))
    }

    @Test func consecutiveFrames() throws {
        var stream: [UInt8] = []
        let parts = [compressible(5000), randomBytes(300), [], compressible(7)]
        for p in parts { try p.withUnsafeBytes { _ = try LZ4Block.encode($0, into: &stream) } }
        var decoded: [[UInt8]] = []
        try stream.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let (bytes, used) = try LZ4Block.decodeFrame(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                decoded.append(bytes)
                offset += used
            }
        }
        #expect(decoded == parts)
    }

    @Test func everySingleByteCorruptionIsRejected() throws {
        for input in [compressible(3000), randomBytes(500)] {
            let frame = try LZ4Block.encode(input)
            for i in 0..<frame.count {
                var bad = frame
                bad[i] ^= 0x5A
                #expect(throws: LZ4Error.self, "byte \(i)") { try LZ4Block.decode(bad) }
            }
        }
    }

    @Test func everyTruncationIsRejected() throws {
        let frame = try LZ4Block.encode(compressible(3000))
        for len in 0..<frame.count {
            #expect(throws: LZ4Error.self) { try LZ4Block.decode(Array(frame.prefix(len))) }
        }
        let short = Array(frame.prefix(40))
        #expect(throws: LZ4Error.truncated(needed: frame.count, available: 40)) { try LZ4Block.decode(short) }
        #expect(try frame.withUnsafeBytes { try LZ4Block.readHeader(UnsafeRawBufferPointer(rebasing: $0[0..<10])) } == nil)
    }

    @Test func trailingBytesRejectedByDecode() throws {
        let frame = try LZ4Block.encode(compressible(100)) + [0]
        #expect(throws: LZ4Error.self) { try LZ4Block.decode(frame) }
    }

    private func withField(_ frame: [UInt8], at offset: Int, _ value: UInt32) -> [UInt8] {
        var f = frame
        for k in 0..<4 { f[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        return f
    }

    @Test func lyingLengthsRejectedBeforeAllocating() throws {
        let frame = try LZ4Block.encode(compressible(3000))
        // Huge raw length: above the caller's limit.
        #expect(throws: LZ4Error.rawLengthExceedsLimit(length: 0xFFFF_FFFF, limit: LZ4Block.defaultMaxRawLength)) {
            try LZ4Block.decode(withField(frame, at: 4, 0xFFFF_FFFF))
        }
        // Within the limit but impossible for this payload (ratio > 255:1).
        #expect(throws: LZ4Error.self) {
            try LZ4Block.decode(withField(frame, at: 4, 200 << 20))
        }
        // A caller-given limit below the real size.
        #expect(throws: LZ4Error.rawLengthExceedsLimit(length: 3000, limit: 2999)) {
            try LZ4Block.decode(frame, maxRawLength: 2999)
        }
        // Payload length beyond the compress bound / beyond the buffer.
        #expect(throws: LZ4Error.self) { try LZ4Block.decode(withField(frame, at: 8, 0xFFFF_FFF0)) }
        #expect(throws: LZ4Error.self) { try LZ4Block.decode(withField(frame, at: 8, 0)) }
    }

    @Test func badMagicAndVersion() throws {
        var frame = try LZ4Block.encode([1, 2, 3])
        frame[0] = 0x00
        #expect(throws: LZ4Error.badMagic) { try LZ4Block.decode(frame) }
        frame = try LZ4Block.encode([1, 2, 3])
        frame[3] = 9
        #expect(throws: LZ4Error.unsupportedVersion(9)) { try LZ4Block.decode(frame) }
    }
}
