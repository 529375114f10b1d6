import Cluster
import ClusterBus
import Foundation
import Testing

/// Messages a real redis-server 7.0.15 sent, captured by Fixtures/capture.py (see its header for
/// how), with what the script knew independently in Fixtures/redis70.json.
@Suite struct RedisFixtureTests {
    struct Node: Decodable {
        let name: String
        let port: UInt16
        let cport: UInt16
    }

    struct Facts: Decodable {
        let redis_version: String
        let myid: String
        let port: UInt16
        let cport: UInt16
        let hostname: String
        let config_epoch: UInt64
        let slot_ranges: [[Int]]
        let node_a: Node
        let node_b: Node
        let publish: [String: String]

        var slots: SlotBitmap {
            var bitmap = SlotBitmap()
            for range in slot_ranges { for slot in range[0]...range[1] { bitmap[slot] = true } }
            return bitmap
        }
    }

    static func fixture(_ file: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures").appendingPathComponent(file)
        return [UInt8](try Data(contentsOf: url))
    }

    static func facts() throws -> Facts {
        try JSONDecoder().decode(Facts.self, from: Data(try fixture("redis70.json")))
    }

    /// Decodes, checks what every Redis header carries, and that re-encoding gives Redis's bytes.
    static func decode(_ file: String, _ facts: Facts) throws -> ClusterMessage {
        let bytes = try fixture(file)
        let message = try BusCodec.decode(bytes)
        let h = message.header
        #expect(h.sender.text == facts.myid, "\(file)")
        #expect(h.port == facts.port)
        #expect(h.busPort == facts.cport)
        #expect(h.plaintextPort == 0)  // no TLS
        #expect(h.flags == [.master, .myself])
        #expect(h.replicaOf == nil)
        #expect(h.ip == "")  // no cluster-announce-ip: the receiver uses the connection's address
        #expect(h.currentEpoch == facts.config_epoch)
        #expect(h.configEpoch == facts.config_epoch)
        #expect(h.slots == facts.slots)
        #expect(h.health == .fail)  // not all 16384 slots are covered
        #expect(BusCodec.encode(message) == bytes, "\(file) re-encoded")
        return message
    }

    private static let hostnameExtension = PingExtension.hostname("redis-fixture.example")

    @Test func factsAreFromRedis70() throws {
        #expect(try Self.facts().redis_version.hasPrefix("7.0."))
    }

    @Test func meet() throws {
        let facts = try Self.facts()
        let message = try Self.decode("redis70-meet.bin", facts)
        #expect(message.header.type == .meet)
        #expect(message.header.messageFlags == [.extensionData])
        #expect(message.body == .gossip([], extensions: [.hostname(facts.hostname)]))
        let bytes = try Self.fixture("redis70-meet.bin")
        #expect(bytes.count == 2256 + 32)
        #expect(bytes.u32(2256) == 32)  // the extension length comes first...
        #expect(bytes.u16(2260) == 0)  // ...then its type (hostname)
    }

    private func checkGossip(_ entries: [GossipEntry], _ facts: Facts) {
        for entry in entries {
            let node = [facts.node_a, facts.node_b].first { $0.name == entry.name.text }
            #expect(node != nil, "gossip about \(entry.name)")
            guard let node else { continue }
            #expect(entry.ip == "127.0.0.1")
            #expect(entry.port == node.port)
            #expect(entry.busPort == node.cport)
            #expect(entry.plaintextPort == 0)
            #expect(entry.flags.contains(.master))
            #expect(entry.pongReceived > 1_600_000_000)  // Unix seconds
        }
    }

    @Test func ping() throws {
        let facts = try Self.facts()
        let message = try Self.decode("redis70-ping.bin", facts)
        #expect(message.header.type == .ping)
        guard case .gossip(let gossip, let extensions) = message.body else {
            Issue.record("not gossip: \(message.body)")
            return
        }
        #expect(gossip.count == 1)
        checkGossip(gossip, facts)
        #expect(extensions == [.hostname(facts.hostname)])
    }

    @Test func pong() throws {
        let facts = try Self.facts()
        let message = try Self.decode("redis70-pong.bin", facts)
        #expect(message.header.type == .pong)
        guard case .gossip(let gossip, let extensions) = message.body else {
            Issue.record("not gossip: \(message.body)")
            return
        }
        checkGossip(gossip, facts)
        #expect(extensions == [.hostname(facts.hostname)])
    }

    @Test func pingWithoutHostname() throws {
        let facts = try Self.facts()
        let message = try Self.decode("redis70-ping-nohostname.bin", facts)
        #expect(message.header.type == .ping)
        #expect(message.header.messageFlags == [])
        guard case .gossip(let gossip, let extensions) = message.body else {
            Issue.record("not gossip: \(message.body)")
            return
        }
        #expect(extensions.isEmpty)
        checkGossip(gossip, facts)
        // By then B had failed: Redis gossips it with the FAIL flag.
        for entry in gossip where entry.name.text == facts.node_b.name {
            #expect(entry.flags.contains(.failed))
        }
        let bytes = try Self.fixture("redis70-ping-nohostname.bin")
        #expect(bytes.u16(2214) == 0 && bytes[2253] == 0)
    }

    @Test func update() throws {
        let facts = try Self.facts()
        let message = try Self.decode("redis70-update.bin", facts)
        #expect(message.header.type == .update)
        #expect(message.body == .update(configEpoch: facts.config_epoch, node: NodeName(facts.myid)!, slots: facts.slots))
        #expect(try Self.fixture("redis70-update.bin").count == 4352)
    }

    @Test func publish() throws {
        let facts = try Self.facts()
        let message = try Self.decode("redis70-publish.bin", facts)
        #expect(message.header.type == .publish)
        #expect(message.body == .publish(channel: Array(facts.publish["channel"]!.utf8), message: Array(facts.publish["message"]!.utf8)))
        // header + channel_len + message_len + "chan" + "hello": no 8-byte placeholder.
        #expect(try Self.fixture("redis70-publish.bin").count == 2256 + 8 + 4 + 5)
    }

    @Test func fail() throws {
        let facts = try Self.facts()
        let message = try Self.decode("redis70-fail.bin", facts)
        #expect(message.header.type == .fail)
        #expect(message.body == .fail(NodeName(facts.node_b.name)!))
    }

    @Test func capturedStreamFramesBack() throws {
        let files = ["redis70-meet.bin", "redis70-ping.bin", "redis70-update.bin", "redis70-publish.bin", "redis70-fail.bin", "redis70-ping-nohostname.bin", "redis70-pong.bin"]
        let messages = try files.map { try Self.fixture($0) }
        let stream = messages.reduce([], +)
        var reader = BusFrameReader()
        var frames: [[UInt8]] = []
        for chunk in stride(from: 0, to: stream.count, by: 1000) {
            reader.feed(stream[chunk..<min(chunk + 1000, stream.count)])
            while let frame = try reader.nextFrame() { frames.append(frame) }
        }
        #expect(frames == messages)
    }
}
