import Cluster
import ClusterBus

/// Values and byte helpers shared by the ClusterBus tests.
enum Sample {
    static func name(_ c: Character) -> NodeName { NodeName(String(repeating: c, count: 40))! }
    static func hexName(_ seed: Int) -> NodeName {
        var generator = SplitMix(seed: UInt64(seed))
        return NodeName.random(using: &generator)
    }

    static let sender = hexName(1)
    static let master = hexName(2)
    static let other = hexName(3)

    static var slots: SlotBitmap {
        var bitmap = SlotBitmap()
        for slot in [0, 1, 9, 63, 64, 1000, 8191, 16383] { bitmap[slot] = true }
        return bitmap
    }

    static func header(_ type: MessageType) -> MessageHeader {
        MessageHeader(
            type: type, sender: sender, port: 7000, busPort: 17000, plaintextPort: 7001,
            currentEpoch: 0x0102_0304_0506_0708, configEpoch: 42, replicationOffset: 0xDEAD_BEEF_CAFE,
            slots: slots, replicaOf: master, ip: "10.0.0.7", flags: [.replica, .noFailover],
            health: .fail, messageFlags: [.paused, .forceAck])
    }

    static let gossip: [GossipEntry] = [
        GossipEntry(name: hexName(10), pingSent: 1_700_000_000, pongReceived: 1_700_000_001, ip: "127.0.0.1", port: 7002, busPort: 17002, flags: [.master], plaintextPort: 0),
        GossipEntry(name: hexName(11), pingSent: 0, pongReceived: 12, ip: "", port: 0, busPort: 0, flags: [.replica, .possiblyFailed], plaintextPort: 6380),
        GossipEntry(name: hexName(12), pingSent: .max, pongReceived: .max, ip: "fe80::1:2:3:4:5:6:7", port: .max, busPort: .max, flags: NodeFlags(rawValue: 0xFFFF), plaintextPort: .max),
    ]

    static let extensions: [PingExtension] = [
        .hostname("node-1.example.com"),
        .humanNodename("replica of shard 1"),
        .forgottenNode(hexName(20), ttlSeconds: 57),
        .shardID(hexName(21).text),
        .unknown(type: 99, payload: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
    ]

    /// A PING with everything: 3 gossip entries, one extension of every kind.
    static var richPing: ClusterMessage {
        var header = header(.ping)
        header.messageFlags.insert(.extensionData)
        return ClusterMessage(header: header, body: .gossip(gossip, extensions: extensions))
    }

    /// One valid message of every type (and an unknown one).
    static var everyType: [ClusterMessage] {
        var module: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3, 200]  // module_id, len 3, type
        module += [0xAA, 0xBB, 0xCC]
        var meetHeader = header(.meet)
        meetHeader.replicaOf = nil
        meetHeader.ip = ""
        meetHeader.messageFlags = [.extensionData]  // as decode reports it: there is an extension
        return [
            richPing,
            ClusterMessage(header: header(.pong), body: .gossip(gossip, extensions: [])),
            ClusterMessage(header: meetHeader, body: .gossip([], extensions: [.hostname("h")])),
            ClusterMessage(header: header(.fail), body: .fail(other)),
            ClusterMessage(header: header(.publish), body: .publish(channel: Array("news".utf8), message: Array("hello world".utf8))),
            ClusterMessage(header: header(.publish), body: .publish(channel: [], message: [])),
            ClusterMessage(header: header(.publishShard), body: .publish(channel: [0, 1, 2], message: [UInt8](repeating: 0xFF, count: 3000))),
            ClusterMessage(header: header(.failoverAuthRequest), body: .none),
            ClusterMessage(header: header(.failoverAuthAck), body: .none),
            ClusterMessage(header: header(.mfstart), body: .none),
            ClusterMessage(header: header(.update), body: .update(configEpoch: 99, node: other, slots: slots)),
            ClusterMessage(header: header(.module), body: .opaque(module)),
            ClusterMessage(header: header(MessageType(rawValue: 42)), body: .opaque([1, 2, 3])),
            ClusterMessage(header: header(MessageType(rawValue: 0xFFFF)), body: .opaque([])),
        ]
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) << 8 | UInt16(self[offset + 1]) }
    func u32(_ offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(self[offset + $1]) } }
    func u64(_ offset: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(self[offset + $1]) } }
    mutating func setU16(_ offset: Int, _ value: UInt16) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(value & 0xFF)
    }
    mutating func setU32(_ offset: Int, _ value: UInt32) {
        for i in 0..<4 { self[offset + i] = UInt8((value >> (24 - 8 * UInt32(i))) & 0xFF) }
    }
    /// Sets totlen to the array's length, so only the check under test can fail.
    mutating func fixTotalLength() { setU32(BusLayout.totalLengthOffset, UInt32(count)) }
    func text(_ range: Range<Int>) -> String { String(decoding: self[range], as: UTF8.self) }
}

/// decode, with the error (if any) as a value.
func decodeResult(_ bytes: [UInt8]) -> Result<ClusterMessage, BusDecodeError> {
    do throws(BusDecodeError) {
        return .success(try BusCodec.decode(bytes))
    } catch {
        return .failure(error)
    }
}

func decodeError(_ bytes: [UInt8]) -> BusDecodeError? {
    if case .failure(let error) = decodeResult(bytes) { return error }
    return nil
}
