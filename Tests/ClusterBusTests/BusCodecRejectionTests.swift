import Cluster
import ClusterBus
import Testing

/// Malformed messages: each must be rejected with the right kind of error and a readable reason,
/// never crash, never read outside the bytes given.
@Suite struct BusCodecRejectionTests {
    private func expectRejected(_ bytes: [UInt8], _ kind: BusDecodeError.Kind, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = decodeError(bytes) else {
            Issue.record("accepted: \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
            return
        }
        #expect(error.kind == kind, "\(error.reason)", sourceLocation: sourceLocation)
        #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
    }

    private var ping: [UInt8] { BusCodec.encode(Sample.richPing) }
    private var pingNoExtensions: [UInt8] {
        BusCodec.encode(ClusterMessage(header: Sample.header(.ping), body: .gossip(Sample.gossip, extensions: [])))
    }
    private let firstExtension = 2256 + 3 * 104

    @Test func badSignature() {
        var bytes = ping
        bytes[3] = UInt8(ascii: "B")
        expectRejected(bytes, .badSignature)
    }

    @Test func badVersion() {
        for version: UInt16 in [0, 2, 0xFFFF] {
            var bytes = ping
            bytes.setU16(8, version)
            expectRejected(bytes, .badVersion)
            #expect(decodeError(bytes)?.messageType == .ping)
        }
    }

    @Test func totalLengthMustMatchTheBytes() {
        var bytes = ping
        bytes.setU32(4, UInt32(bytes.count + 1))
        expectRejected(bytes, .badLength)
        bytes.setU32(4, UInt32(bytes.count - 1))
        expectRejected(bytes, .badLength)
        expectRejected(ping + [0], .badLength)
    }

    @Test func shorterThanTheHeader() {
        expectRejected([], .truncated)
        expectRejected(Array("RCmb".utf8), .truncated)
        var bytes = Array(ping[0..<100])
        bytes.fixTotalLength()
        expectRejected(bytes, .truncated)
    }

    @Test func everyTruncationIsRejected() {
        // As given (totlen then disagrees) and with totlen patched to the cut length (so the
        // type's own length rules must catch it).
        for message in Sample.everyType {
            let bytes = BusCodec.encode(message)
            for cut in 0..<bytes.count {
                var prefix = Array(bytes[0..<cut])
                #expect(decodeError(prefix) != nil, "\(message.header.type) cut at \(cut)")
                if cut >= 8 {
                    prefix.fixTotalLength()
                    // An unknown type's payload has no structure: any cut is a valid message.
                    if message.header.type.rawValue < UInt16(MessageType.count) {
                        #expect(decodeError(prefix) != nil, "\(message.header.type) cut at \(cut), totlen patched")
                    } else {
                        _ = decodeResult(prefix)
                    }
                }
            }
        }
    }

    @Test func badClusterState() {
        var bytes = ping
        bytes[2252] = 2
        expectRejected(bytes, .badField)
    }

    @Test func badNodeNames() {
        for bad: UInt8 in [0x00, 0x20, 0x7F, 0x80, 0xFF] {
            var bytes = ping
            bytes[40 + 17] = bad
            expectRejected(bytes, .badName, "sender byte \(bad)")
            bytes = ping
            bytes[2128 + 39] = bad
            expectRejected(bytes, .badName, "slaveof byte \(bad)")
            bytes = ping
            bytes[2256 + 104 + 5] = bad
            expectRejected(bytes, .badName, "gossip name byte \(bad)")
        }
        var bytes = ping
        for i in 40..<80 { bytes[i] = 0 }
        expectRejected(bytes, .badName, "all-zero sender")
        bytes = ping
        for i in 2128 + 20..<2168 { bytes[i] = 0 }
        expectRejected(bytes, .badName, "half-zero slaveof")
    }

    @Test func stringsMustBeTerminatedUTF8() {
        var bytes = ping
        for i in 2168..<2214 { bytes[i] = UInt8(ascii: "1") }
        expectRejected(bytes, .badString, "myip without NUL")
        bytes = ping
        bytes[2168] = 0xC3  // a lone UTF-8 lead byte
        expectRejected(bytes, .badString, "myip not UTF-8")
        bytes = ping
        for i in 2256 + 48..<2256 + 94 { bytes[i] = UInt8(ascii: "1") }
        expectRejected(bytes, .badString, "gossip ip without NUL")
        // Hostname extension data without its NUL.
        bytes = ping
        for i in firstExtension + 8..<firstExtension + 32 { bytes[i] = UInt8(ascii: "h") }
        expectRejected(bytes, .badString, "hostname without NUL")
        bytes = ping
        bytes[firstExtension + 8] = 0xFF
        expectRejected(bytes, .badString, "hostname not UTF-8")
    }

    @Test func bytesAfterTheNULAreIgnored() throws {
        var bytes = ping
        bytes[2168 + 20] = 0x55  // after "10.0.0.7\0"
        bytes[firstExtension + 8 + 20] = 0x55  // after "node-1.example.com\0"
        let decoded = try BusCodec.decode(bytes)
        #expect(decoded == Sample.richPing)
    }

    @Test func gossipCountMustFit() {
        var bytes = pingNoExtensions
        bytes.setU16(14, 4)
        expectRejected(bytes, .badGossipCount)
        bytes.setU16(14, 0xFFFF)
        expectRejected(bytes, .badGossipCount)
        bytes.setU16(14, 2)  // one entry's worth of trailing bytes, and no EXT_DATA
        expectRejected(bytes, .badLength)
    }

    @Test func extensionsNeedTheFlag() {
        var bytes = ping
        bytes[2253] &= ~4
        expectRejected(bytes, .badExtension)
        // Flag clear, count 0, extension bytes still there.
        bytes.setU16(2214, 0)
        expectRejected(bytes, .badLength)
    }

    @Test func flagWithoutExtensionsIsAccepted() throws {
        var bytes = pingNoExtensions
        bytes[2253] |= 4
        let decoded = try BusCodec.decode(bytes)
        #expect(decoded.body == .gossip(Sample.gossip, extensions: []))
        #expect(!decoded.header.messageFlags.contains(.extensionData))
    }

    @Test func extensionLengthRules() {
        for length: UInt32 in [0, 4, 7, 12, 33] {
            var bytes = ping
            bytes.setU32(firstExtension, length)
            expectRejected(bytes, .badExtension, "length \(length)")
        }
        var bytes = ping
        bytes.setU32(firstExtension, UInt32(bytes.count - firstExtension + 8))
        expectRejected(bytes, .badExtension, "overruns")
        bytes.setU32(firstExtension, 0xFFFF_FFF8)
        expectRejected(bytes, .badExtension, "huge")
    }

    @Test func extensionCountMustMatch() {
        var bytes = ping
        bytes.setU16(2214, 6)
        expectRejected(bytes, .badExtension, "one more than present")
        bytes.setU16(2214, 4)
        expectRejected(bytes, .badLength, "one fewer than present")
        bytes.setU16(2214, 0xFFFF)
        expectRejected(bytes, .badExtension)
    }

    @Test func knownExtensionsNeedTheirData() {
        func single(type: UInt16, data: [UInt8]) -> [UInt8] {
            var bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.ping), body: .gossip([], extensions: [.unknown(type: type, payload: data)])))
            bytes.fixTotalLength()
            return bytes
        }
        expectRejected(single(type: 2, data: Array(Sample.other.text.utf8)), .badExtension, "forgotten node without ttl")
        expectRejected(single(type: 3, data: Array(Sample.other.text.utf8.prefix(32))), .badExtension, "short shard id")
        expectRejected(single(type: 3, data: [UInt8](repeating: 0, count: 40)), .badName, "zero shard id")
        expectRejected(single(type: 2, data: [UInt8](repeating: 0x20, count: 48)), .badName, "forgotten node with spaces")
        expectRejected(single(type: 0, data: []), .badString, "empty hostname extension")
        expectRejected(single(type: 1, data: Array("abcdefgh".utf8)), .badString, "human nodename without NUL")
    }

    @Test func fixedLengthTypesMustHaveTheirLength() {
        for (type, body) in [(MessageType.fail, MessageBody.fail(Sample.other)),
                             (.update, .update(configEpoch: 1, node: Sample.other, slots: SlotBitmap())),
                             (.failoverAuthRequest, .none), (.failoverAuthAck, .none), (.mfstart, .none)] {
            var bytes = BusCodec.encode(ClusterMessage(header: Sample.header(type), body: body))
            bytes += [0, 0, 0, 0, 0, 0, 0, 0]
            bytes.fixTotalLength()
            expectRejected(bytes, .badLength, "\(type) with 8 more bytes")
        }
        var bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.fail), body: .fail(Sample.other)))
        bytes[2256] = 0x01
        expectRejected(bytes, .badName)
    }

    @Test func publishLengthsMustAddUp() {
        let publish = BusCodec.encode(ClusterMessage(header: Sample.header(.publish), body: .publish(channel: Array("ch".utf8), message: Array("msg".utf8))))
        var bytes = publish
        bytes.setU32(2256, 3)
        expectRejected(bytes, .badPublishLengths, "channel too long")
        bytes = publish
        bytes.setU32(2260, 2)
        expectRejected(bytes, .badPublishLengths, "message too short")
        bytes = publish
        bytes.setU32(2256, 0xFFFF_FFFF)
        bytes.setU32(2260, 0x0000_0006)  // wraps to 5 in 32 bits
        expectRejected(bytes, .badPublishLengths, "wrapping lengths")
        bytes = Array(publish[0..<2260])
        bytes.fixTotalLength()
        expectRejected(bytes, .badPublishLengths, "no room for the lengths")
    }

    @Test func moduleLengthMustAddUp() throws {
        let module: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 9, 0xAB, 0xCD]
        var bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.module), body: .opaque(module)))
        #expect(try BusCodec.decode(bytes).body == .opaque(module))
        bytes.setU32(2264, 3)
        expectRejected(bytes, .badModuleLength)
        bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.module), body: .opaque([0, 0, 0, 0])))
        expectRejected(bytes, .badModuleLength, "shorter than the module fixed part")
    }

    @Test func unknownTypesAreKeptWhole() throws {
        var bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.failoverAuthAck), body: .none)) + [1, 2, 3]
        bytes.setU16(12, 11)
        bytes.fixTotalLength()
        let decoded = try BusCodec.decode(bytes)
        #expect(decoded.header.type == MessageType(rawValue: 11))
        #expect(decoded.body == .opaque([1, 2, 3]))
        #expect(BusCodec.encode(decoded) == bytes)
    }

    @Test func errorsCarryTheTypeAndAReadableReason() throws {
        var bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.publish), body: .publish(channel: [1], message: [2])))
        bytes.setU32(2260, 100)
        let error = try #require(decodeError(bytes))
        #expect(error.messageType == .publish)
        #expect(error.reason.contains("PUBLISH"))
        #expect(error.reason.contains("100"))
        #expect("\(error)" == error.reason)
    }
}
