import Cluster
import ClusterBus
import NIOCore
import Testing

@Suite struct BusCodecRoundTripTests {
    @Test func everyMessageTypeRoundTrips() throws {
        for message in Sample.everyType {
            let bytes = BusCodec.encode(message)
            #expect(bytes.count == BusCodec.encodedLength(of: message))
            #expect(Int(bytes.u32(BusLayout.totalLengthOffset)) == bytes.count)
            let decoded = try BusCodec.decode(bytes)
            #expect(decoded == message, "\(message.header.type)")
            #expect(BusCodec.encode(decoded) == bytes)
        }
    }

    @Test(arguments: Sample.extensions)
    func everyExtensionRoundTripsAlone(_ ext: PingExtension) throws {
        var header = Sample.header(.pong)
        header.messageFlags = [.extensionData]
        let message = ClusterMessage(header: header, body: .gossip([], extensions: [ext]))
        let bytes = BusCodec.encode(message)
        #expect(try BusCodec.decode(bytes) == message)
    }

    @Test func unusualButValidStringsRoundTrip() throws {
        for hostname in ["", "x", "1234567", "12345678", "ünïcødé.example", String(repeating: "h", count: 300)] {
            var header = Sample.header(.ping)
            header.messageFlags = [.extensionData]
            let message = ClusterMessage(header: header, body: .gossip([], extensions: [.hostname(hostname), .humanNodename(hostname)]))
            #expect(try BusCodec.decode(BusCodec.encode(message)) == message, "\(hostname)")
        }
        var header = Sample.header(.ping)
        header.ip = "2001:db8:85a3:8d3:1319:8a2e:370:7348"
        header.replicaOf = nil
        let message = ClusterMessage(header: header, body: .gossip([], extensions: []))
        #expect(try BusCodec.decode(BusCodec.encode(message)) == message)
    }

    @Test func slotBitmapsSurviveEveryBit() throws {
        var generator = SplitMix(seed: 7)
        var slots = SlotBitmap()
        for word in 0..<slots.words.count { slots.words[word] = generator.next() }
        var header = Sample.header(.update)
        header.slots = slots
        let message = ClusterMessage(header: header, body: .update(configEpoch: 1, node: Sample.other, slots: slots))
        let decoded = try BusCodec.decode(BusCodec.encode(message))
        #expect(decoded.header.slots == slots)
        #expect(decoded.body == .update(configEpoch: 1, node: Sample.other, slots: slots))
    }

    @Test func encodeIntoAppendsTheSameBytes() throws {
        let message = Sample.richPing
        var bytes: [UInt8] = [9, 9, 9]
        BusCodec.encode(message, into: &bytes)
        #expect(bytes == [9, 9, 9] + BusCodec.encode(message))

        var buffer = ByteBuffer(bytes: [7])
        BusCodec.encode(message, into: &buffer)
        #expect(Array(buffer.readableBytesView) == [7] + BusCodec.encode(message))
        buffer.moveReaderIndex(forwardBy: 1)
        #expect(try BusCodec.decode(buffer) == message)
    }

    @Test func channelEncoderWritesTheMessage() throws {
        var buffer = ByteBuffer()
        try BusMessageEncoder().encode(data: Sample.richPing, out: &buffer)
        #expect(Array(buffer.readableBytesView) == BusCodec.encode(Sample.richPing))
    }
}

@Suite struct BusCodecLayoutTests {
    @Test func headerFieldsSitAtRedisOffsets() {
        let bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.failoverAuthRequest), body: .none))
        #expect(bytes.count == 2256)
        #expect(Array(bytes[0..<4]) == Array("RCmb".utf8))
        #expect(bytes.u32(4) == 2256)
        #expect(bytes.u16(8) == 1)
        #expect(bytes.u16(10) == 7000)
        #expect(bytes.u16(12) == 5)
        #expect(bytes.u16(14) == 0)
        #expect(bytes.u64(16) == 0x0102_0304_0506_0708)
        #expect(Array(bytes[16..<24]) == [1, 2, 3, 4, 5, 6, 7, 8])  // big-endian
        #expect(bytes.u64(24) == 42)
        #expect(bytes.u64(32) == 0xDEAD_BEEF_CAFE)
        #expect(bytes.text(40..<80) == Sample.sender.text)
        // myslots: slot 8i+j is byte 80+i, bit j (least significant first).
        #expect(bytes[80] == 0b0000_0011)  // slots 0, 1
        #expect(bytes[81] == 0b0000_0010)  // slot 9
        #expect(bytes[87] == 0b1000_0000)  // slot 63
        #expect(bytes[88] == 0b0000_0001)  // slot 64
        #expect(bytes[80 + 125] == 0b0000_0001)  // slot 1000
        #expect(bytes[80 + 1023] == 0b1000_0000)  // slot 8191
        #expect(bytes[2127] == 0b1000_0000)  // slot 16383
        #expect(bytes[80..<2128].reduce(0) { $0 + $1.nonzeroBitCount } == 8)
        #expect(bytes.text(2128..<2168) == Sample.master.text)
        #expect(bytes.text(2168..<2176) == "10.0.0.7")
        #expect(bytes[2176..<2214].allSatisfy { $0 == 0 })
        #expect(bytes.u16(2214) == 0)  // extensions
        #expect(bytes[2216..<2246].allSatisfy { $0 == 0 })  // notused1
        #expect(bytes.u16(2246) == 7001)  // pport
        #expect(bytes.u16(2248) == 17000)  // cport
        #expect(bytes.u16(2250) == 2 | 512)  // flags
        #expect(bytes[2252] == 1)  // state: CLUSTER_FAIL
        #expect(bytes[2253] == 1 | 2)  // mflags[0]
        #expect(bytes[2254] == 0 && bytes[2255] == 0)
    }

    @Test func masterHasZeroSlaveofAndNoIPMeansZeros() throws {
        var header = Sample.header(.mfstart)
        header.replicaOf = nil
        header.ip = ""
        let bytes = BusCodec.encode(ClusterMessage(header: header, body: .none))
        #expect(bytes[2128..<2214].allSatisfy { $0 == 0 })
        let decoded = try BusCodec.decode(bytes)
        #expect(decoded.header.replicaOf == nil)
        #expect(decoded.header.ip == "")
    }

    @Test func longIPIsCutTo45BytesAndTerminated() throws {
        var header = Sample.header(.mfstart)
        header.ip = String(repeating: "9", count: 60)
        let bytes = BusCodec.encode(ClusterMessage(header: header, body: .none))
        #expect(bytes[2213] == 0)
        #expect(try BusCodec.decode(bytes).header.ip == String(repeating: "9", count: 45))
    }

    @Test func gossipEntriesAndExtensionsLayout() {
        let bytes = BusCodec.encode(Sample.richPing)
        #expect(bytes.u16(14) == 3)  // count
        #expect(bytes.u16(2214) == 5)  // extensions
        #expect(bytes[2253] & 4 == 4)  // EXT_DATA
        let g = 2256
        #expect(bytes.text(g..<g + 40) == Sample.gossip[0].name.text)
        #expect(bytes.u32(g + 40) == 1_700_000_000)
        #expect(bytes.u32(g + 44) == 1_700_000_001)
        #expect(bytes.text(g + 48..<g + 57) == "127.0.0.1")
        #expect(bytes[g + 57..<g + 94].allSatisfy { $0 == 0 })
        #expect(bytes.u16(g + 94) == 7002)
        #expect(bytes.u16(g + 96) == 17002)
        #expect(bytes.u16(g + 98) == 1)
        #expect(bytes.u16(g + 100) == 0)
        #expect(bytes.u16(g + 102) == 0)  // notused1
        #expect(bytes.u16(g + 104 + 100) == 6380)  // second entry's pport

        // Extensions: length u32 (header included, multiple of 8), type u16, unused u16, data.
        var e = g + 3 * 104
        let hostname = "node-1.example.com"  // 18 bytes + NUL -> 24
        #expect(bytes.u32(e) == 8 + 24)
        #expect(bytes.u16(e + 4) == 0)
        #expect(bytes.u16(e + 6) == 0)
        #expect(bytes.text(e + 8..<e + 8 + 18) == hostname)
        #expect(bytes[e + 8 + 18..<e + 32].allSatisfy { $0 == 0 })
        e += 32
        #expect(bytes.u32(e) == 8 + 24)  // "replica of shard 1": 18 + NUL -> 24
        #expect(bytes.u16(e + 4) == 1)
        e += 32
        #expect(bytes.u32(e) == 8 + 48)  // forgotten node: name[40] + ttl u64
        #expect(bytes.u16(e + 4) == 2)
        #expect(bytes.text(e + 8..<e + 48) == Sample.hexName(20).text)
        #expect(bytes.u64(e + 48) == 57)
        e += 56
        #expect(bytes.u32(e) == 8 + 40)  // shard id
        #expect(bytes.u16(e + 4) == 3)
        #expect(bytes.text(e + 8..<e + 48) == Sample.hexName(21).text)
        e += 48
        #expect(bytes.u32(e) == 8 + 16)
        #expect(bytes.u16(e + 4) == 99)
        #expect(Array(bytes[e + 8..<e + 24]) == Array(1...16))
        e += 24
        #expect(e == bytes.count)
        #expect(bytes.u32(4) == UInt32(bytes.count))
    }

    @Test func hostnameExtensionIsPaddedToEightWithItsNUL() {
        for (hostname, length) in [("", 16), ("a", 16), ("1234567", 16), ("12345678", 24), ("123456789012345", 24), ("1234567890123456", 32)] {
            let message = ClusterMessage(header: Sample.header(.ping), body: .gossip([], extensions: [.hostname(hostname)]))
            let bytes = BusCodec.encode(message)
            #expect(bytes.u32(2256) == UInt32(length), "\(hostname)")
            #expect(bytes.count == 2256 + length)
            #expect(bytes[2256 + 8 + hostname.utf8.count] == 0)
        }
    }

    @Test func unknownExtensionPayloadIsPaddedAndKeptWithItsPadding() throws {
        let message = ClusterMessage(header: Sample.header(.ping), body: .gossip([], extensions: [.unknown(type: 7, payload: [1, 2, 3])]))
        let bytes = BusCodec.encode(message)
        #expect(bytes.u32(2256) == 16)
        let decoded = try BusCodec.decode(bytes)
        #expect(decoded.body == .gossip([], extensions: [.unknown(type: 7, payload: [1, 2, 3, 0, 0, 0, 0, 0])]))
    }

    @Test func extensionFlagFollowsTheExtensionsForGossipOnly() throws {
        // Set by the encoder when there are extensions, even if the header does not ask for it...
        var header = Sample.header(.ping)
        header.messageFlags = []
        var bytes = BusCodec.encode(ClusterMessage(header: header, body: .gossip([], extensions: [.hostname("a")])))
        #expect(bytes[2253] == 4)
        #expect(bytes.u16(2214) == 1)
        // ...and cleared when there are none, even if the header asks for it.
        header.messageFlags = [.extensionData, .paused]
        bytes = BusCodec.encode(ClusterMessage(header: header, body: .gossip(Sample.gossip, extensions: [])))
        #expect(bytes[2253] == 1)
        #expect(bytes.u16(2214) == 0)
        #expect(try BusCodec.decode(bytes).header.messageFlags == [.paused])
        // Other bodies send the flags as given and no counts.
        header.type = .fail
        header.messageFlags = [.extensionData]
        bytes = BusCodec.encode(ClusterMessage(header: header, body: .fail(Sample.other)))
        #expect(bytes[2253] == 4)
        #expect(bytes.u16(14) == 0 && bytes.u16(2214) == 0)
        #expect(try BusCodec.decode(bytes).header.messageFlags == [.extensionData])
    }

    @Test func fixedLengthBodies() {
        func length(_ type: MessageType, _ body: MessageBody) -> Int {
            BusCodec.encode(ClusterMessage(header: Sample.header(type), body: body)).count
        }
        #expect(length(.fail, .fail(Sample.other)) == 2256 + 40)
        #expect(length(.update, .update(configEpoch: 1, node: Sample.other, slots: SlotBitmap())) == 2256 + 2096)
        #expect(length(.failoverAuthAck, .none) == 2256)
        #expect(length(.publish, .publish(channel: [], message: [])) == 2256 + 8)
        #expect(length(.publish, .publish(channel: [1, 2], message: [3])) == 2256 + 8 + 3)
        #expect(length(.ping, .gossip(Sample.gossip, extensions: [])) == 2256 + 3 * 104)
    }

    @Test func publishAndUpdateLayout() {
        var bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.publish), body: .publish(channel: Array("ch".utf8), message: Array("msg".utf8))))
        #expect(bytes.u32(2256) == 2)
        #expect(bytes.u32(2260) == 3)
        #expect(bytes.text(2264..<2269) == "chmsg")
        bytes = BusCodec.encode(ClusterMessage(header: Sample.header(.update), body: .update(configEpoch: 0x0A0B, node: Sample.other, slots: Sample.slots)))
        #expect(bytes.u64(2256) == 0x0A0B)
        #expect(bytes.text(2264..<2304) == Sample.other.text)
        #expect(Array(bytes[2304..<4352]) == Array(bytes[80..<2128]))
    }
}
