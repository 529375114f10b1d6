import Cluster
import ClusterBus
import NIOCore
import Testing

@Suite struct BusFrameReaderTests {
    /// Three messages back to back, the middle one framed fine but invalid (protocol version 2).
    private static let messages: [ClusterMessage] = [
        Sample.richPing,
        ClusterMessage(header: Sample.header(.publish), body: .publish(channel: Array("c".utf8), message: Array("m".utf8))),
        ClusterMessage(header: Sample.header(.fail), body: .fail(Sample.other)),
    ]
    private static var invalid: [UInt8] {
        var bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.mfstart), body: .none))
        bytes.setU16(8, 2)
        return bytes
    }
    private static var stream: [UInt8] {
        BusCodec.encode(messages[0]) + invalid + BusCodec.encode(messages[1]) + BusCodec.encode(messages[2])
    }

    private static func check(_ inbound: [BusInbound]) {
        #expect(inbound.count == 4)
        guard inbound.count == 4 else { return }
        #expect(inbound[0] == .message(messages[0]))
        guard case .malformed(let reason) = inbound[1] else {
            Issue.record("expected malformed, got \(inbound[1])")
            return
        }
        #expect(reason == "MFSTART with protocol version 2, expected 1")
        #expect(inbound[2] == .message(messages[1]))
        #expect(inbound[3] == .message(messages[2]))
    }

    private static func drain(_ reader: inout BusFrameReader) throws -> [BusInbound] {
        var out: [BusInbound] = []
        while let inbound = try reader.next() { out.append(inbound) }
        return out
    }

    @Test func splitAtEveryByteBoundary() throws {
        let stream = Self.stream
        for split in 0...stream.count {
            var reader = BusFrameReader()
            reader.feed(stream[0..<split])
            var inbound = try Self.drain(&reader)
            reader.feed(stream[split...])
            inbound += try Self.drain(&reader)
            Self.check(inbound)
            #expect(reader.bufferedByteCount == 0)
        }
    }

    @Test func byteByByte() throws {
        var reader = BusFrameReader()
        var inbound: [BusInbound] = []
        for byte in Self.stream {
            reader.feed(CollectionOfOne(byte))
            inbound += try Self.drain(&reader)
        }
        Self.check(inbound)
    }

    @Test func framesComeOutWhole() throws {
        var reader = BusFrameReader()
        let stream = Self.stream
        stream.withUnsafeBytes { reader.feed($0) }
        var frames: [[UInt8]] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        #expect(frames.map(\.count) == [BusCodec.encode(Self.messages[0]).count, 2256, 2266, 2296])
        #expect(frames.reduce([], +) == stream)
    }

    @Test func frameLengthNeedsEightBytes() throws {
        let bytes = BusCodec.encode(Self.messages[2])
        for n in 0..<8 {
            #expect(try bytes.withUnsafeBytes { try BusFrameReader.frameLength(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } == nil)
        }
        #expect(try bytes.withUnsafeBytes { try BusFrameReader.frameLength(UnsafeRawBufferPointer(rebasing: $0[0..<8])) } == 2296)
    }

    private func frameError(_ bytes: [UInt8], maximum: Int = BusFrameReader.defaultMaximumMessageLength) -> BusFrameError? {
        var reader = BusFrameReader(maximumMessageLength: maximum)
        reader.feed(bytes)
        do throws(BusFrameError) {
            while try reader.next() != nil {}
            return nil
        } catch {
            // The reader stays failed: the stream cannot be resynchronised.
            reader.feed(BusCodec.encode(Self.messages[2]))
            #expect(throws: BusFrameError.self) { try reader.next() }
            return error
        }
    }

    @Test func badSignatureEndsTheStream() {
        var bytes = BusCodec.encode(Self.messages[2])
        bytes[0] = UInt8(ascii: "X")
        #expect(frameError(bytes)?.kind == .badSignature)
        // Also when it follows a good message.
        #expect(frameError(BusCodec.encode(Self.messages[2]) + bytes)?.kind == .badSignature)
        #expect(frameError(Array("GET / HTTP/1.1\r\n".utf8))?.kind == .badSignature)
    }

    @Test func totalLengthBelowTheHeaderEndsTheStream() {
        for length: UInt32 in [0, 8, 16, 2255] {
            var bytes = Array("RCmb".utf8) + [0, 0, 0, 0]
            bytes.setU32(4, length)
            #expect(frameError(bytes)?.kind == .tooShort, "\(length)")
        }
    }

    @Test func totalLengthAboveTheLimitEndsTheStreamWithoutBuffering() throws {
        var bytes = Array("RCmb".utf8) + [0, 0, 0, 0]
        bytes.setU32(4, 0xFFFF_FFFF)
        #expect(frameError(bytes)?.kind == .tooLong)
        bytes.setU32(4, UInt32(BusFrameReader.defaultMaximumMessageLength + 1))
        #expect(frameError(bytes)?.kind == .tooLong)
        let fail = BusCodec.encode(Self.messages[2])
        #expect(frameError(fail, maximum: fail.count - 1)?.kind == .tooLong)
        #expect(frameError(fail, maximum: fail.count) == nil)

        // A huge announced length that is within the limit is only buffered as bytes arrive.
        var reader = BusFrameReader()
        bytes.setU32(4, UInt32(BusFrameReader.defaultMaximumMessageLength))
        reader.feed(bytes)
        #expect(try reader.next() == nil)
        #expect(reader.bufferedByteCount == 8)
    }

    @Test func channelDecoderFramesAtEveryBoundary() throws {
        let stream = Self.stream
        for split in stride(from: 0, through: stream.count, by: 7) {
            var buffer = ByteBuffer(bytes: stream[0..<split])
            var inbound: [BusInbound] = []
            while let next = try BusMessageDecoder.next(from: &buffer) { inbound.append(next) }
            let consumed = buffer.readerIndex
            buffer.writeBytes(stream[split...])
            #expect(buffer.readerIndex == consumed)
            while let next = try BusMessageDecoder.next(from: &buffer) { inbound.append(next) }
            Self.check(inbound)
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func channelDecoderRejectsBadFrames() {
        var bytes = Array("RCmb".utf8) + [0, 0, 0, 0]
        bytes.setU32(4, 100)
        var buffer = ByteBuffer(bytes: bytes)
        #expect(throws: BusFrameError(.tooShort, "cluster bus message length 100 is below the 2256-byte header")) {
            try BusMessageDecoder.next(from: &buffer)
        }
    }
}
