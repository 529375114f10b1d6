/// The Redis Cluster bus messages (protocol version 1, as Redis 7.0 sends them), as values.
///
/// This file is the model only: the byte layout lives in `ClusterBus` (BusCodec), the rules that
/// act on messages live in `ClusterState`. Field names follow Redis's `clusterMsg` in comments so
/// the two can be read side by side.

/// A node's 40-character name (lowercase hex when we make one; any printable bytes on the wire).
public struct NodeName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let length = 40
    public let text: String

    /// nil when `text` is not exactly 40 bytes.
    public init?(_ text: String) {
        guard text.utf8.count == NodeName.length else { return nil }
        self.text = text
    }

    /// A fresh random name, as Redis makes one: 40 lowercase hex digits.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> NodeName {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: NodeName.length)
        for i in 0..<NodeName.length { bytes[i] = digits[Int(generator.next() & 15)] }
        return NodeName(String(decoding: bytes, as: UTF8.self))!
    }

    public var description: String { text }
    public static func < (a: NodeName, b: NodeName) -> Bool { a.text < b.text }
}

/// Node flags as carried in headers and gossip (`CLUSTER_NODE_*`).
public struct NodeFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let master = NodeFlags(rawValue: 1)
    public static let replica = NodeFlags(rawValue: 2)
    public static let possiblyFailed = NodeFlags(rawValue: 4)  // PFAIL
    public static let failed = NodeFlags(rawValue: 8)  // FAIL
    public static let myself = NodeFlags(rawValue: 16)
    public static let handshake = NodeFlags(rawValue: 32)
    public static let noAddress = NodeFlags(rawValue: 64)
    public static let meet = NodeFlags(rawValue: 128)
    public static let migrateTo = NodeFlags(rawValue: 256)
    public static let noFailover = NodeFlags(rawValue: 512)
}

/// Message types (`CLUSTERMSG_TYPE_*`). Unknown numbers are kept so they can be counted and logged.
public struct MessageType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let ping = MessageType(rawValue: 0)
    public static let pong = MessageType(rawValue: 1)
    public static let meet = MessageType(rawValue: 2)
    public static let fail = MessageType(rawValue: 3)
    public static let publish = MessageType(rawValue: 4)
    public static let failoverAuthRequest = MessageType(rawValue: 5)
    public static let failoverAuthAck = MessageType(rawValue: 6)
    public static let update = MessageType(rawValue: 7)
    public static let mfstart = MessageType(rawValue: 8)
    public static let module = MessageType(rawValue: 9)
    public static let publishShard = MessageType(rawValue: 10)
    /// `CLUSTERMSG_TYPE_COUNT`: the size of the per-type statistics arrays.
    public static let count = 11

    /// The name CLUSTER INFO uses in `cluster_stats_messages_<name>_sent`.
    public var statsName: String {
        switch rawValue {
        case 0: "ping"
        case 1: "pong"
        case 2: "meet"
        case 3: "fail"
        case 4: "publish"
        case 5: "auth-req"
        case 6: "auth-ack"
        case 7: "update"
        case 8: "mfstart"
        case 9: "module"
        case 10: "publishshard"
        default: "unknown"
        }
    }
}

/// The 16384-bit slot bitmap (`myslots`, UPDATE's `slots`): bit `s` is byte `s/8`, bit `s%8`.
public struct SlotBitmap: Hashable, Sendable {
    public static let slotCount = 16384
    public static let byteCount = slotCount / 8
    /// 256 words; word i holds slots 64i ..< 64i+64, slot 64i+j at bit j (the same bits as Redis's
    /// byte layout read little-endian).
    public var words: [UInt64]

    public init() { words = [UInt64](repeating: 0, count: SlotBitmap.slotCount / 64) }

    @inline(__always)
    public subscript(slot: Int) -> Bool {
        get { words[slot >> 6] & (1 << UInt64(slot & 63)) != 0 }
        set {
            if newValue { words[slot >> 6] |= 1 << UInt64(slot & 63) }
            else { words[slot >> 6] &= ~(1 << UInt64(slot & 63)) }
        }
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var slots: [Int] {
        var out: [Int] = []
        for (i, word) in words.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { out.append(i * 64 + bit) }
        }
        return out
    }
}

/// The cluster state byte of the header (`CLUSTER_OK` 0, `CLUSTER_FAIL` 1).
public enum ClusterHealth: UInt8, Sendable {
    case ok = 0
    case fail = 1
}

/// Header message flags (`mflags[0]`).
public struct MessageFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let paused = MessageFlags(rawValue: 1)  // CLUSTERMSG_FLAG0_PAUSED
    public static let forceAck = MessageFlags(rawValue: 2)  // CLUSTERMSG_FLAG0_FORCEACK
    public static let extensionData = MessageFlags(rawValue: 4)  // CLUSTERMSG_FLAG0_EXT_DATA
}

/// The fixed part every message carries: who sends it and what the sender believes of itself.
public struct MessageHeader: Hashable, Sendable {
    public var type: MessageType
    public var port: UInt16  // port: the sender's client port
    public var currentEpoch: UInt64
    public var configEpoch: UInt64
    public var replicationOffset: UInt64  // offset
    public var sender: NodeName
    public var slots: SlotBitmap  // myslots (a replica sends its master's)
    public var replicaOf: NodeName?  // slaveof, all zero bytes on the wire when nil
    public var ip: String  // myip, empty = all zero: the receiver uses the connection's address
    public var plaintextPort: UInt16  // pport
    public var busPort: UInt16  // cport
    public var flags: NodeFlags
    public var health: ClusterHealth  // state
    public var messageFlags: MessageFlags  // mflags[0]

    public init(
        type: MessageType, sender: NodeName, port: UInt16 = 0, busPort: UInt16 = 0,
        plaintextPort: UInt16 = 0, currentEpoch: UInt64 = 0, configEpoch: UInt64 = 0,
        replicationOffset: UInt64 = 0, slots: SlotBitmap = SlotBitmap(), replicaOf: NodeName? = nil,
        ip: String = "", flags: NodeFlags = [], health: ClusterHealth = .ok,
        messageFlags: MessageFlags = []
    ) {
        self.type = type
        self.port = port
        self.currentEpoch = currentEpoch
        self.configEpoch = configEpoch
        self.replicationOffset = replicationOffset
        self.sender = sender
        self.slots = slots
        self.replicaOf = replicaOf
        self.ip = ip
        self.plaintextPort = plaintextPort
        self.busPort = busPort
        self.flags = flags
        self.health = health
        self.messageFlags = messageFlags
    }
}

/// One gossip section of PING / PONG / MEET (`clusterMsgDataGossip`).
public struct GossipEntry: Hashable, Sendable {
    public var name: NodeName
    public var pingSent: UInt32  // seconds (Unix time) of our last unanswered ping, 0 if none
    public var pongReceived: UInt32  // seconds (Unix time)
    public var ip: String
    public var port: UInt16
    public var busPort: UInt16
    public var flags: NodeFlags
    public var plaintextPort: UInt16

    public init(
        name: NodeName, pingSent: UInt32, pongReceived: UInt32, ip: String, port: UInt16,
        busPort: UInt16, flags: NodeFlags, plaintextPort: UInt16 = 0
    ) {
        self.name = name
        self.pingSent = pingSent
        self.pongReceived = pongReceived
        self.ip = ip
        self.port = port
        self.busPort = busPort
        self.flags = flags
        self.plaintextPort = plaintextPort
    }
}

/// The 7.x ping extensions (`clusterMsgPingExt`), sent after the gossip sections.
public enum PingExtension: Hashable, Sendable {
    case hostname(String)  // CLUSTERMSG_EXT_TYPE_HOSTNAME 0
    case humanNodename(String)  // CLUSTERMSG_EXT_TYPE_HUMAN_NODENAME 1
    case forgottenNode(NodeName, ttlSeconds: UInt64)  // CLUSTERMSG_EXT_TYPE_FORGOTTEN_NODE 2
    case shardID(String)  // CLUSTERMSG_EXT_TYPE_SHARDID 3, 40 bytes
    /// A type we do not know: kept (and skipped) so a newer peer's extension never fails a message.
    case unknown(type: UInt16, payload: [UInt8])
}

/// What follows the header, by message type.
public enum MessageBody: Hashable, Sendable {
    /// PING, PONG, MEET: gossip about other nodes, then extensions.
    case gossip([GossipEntry], extensions: [PingExtension])
    /// FAIL: the node the sender declares failed.
    case fail(NodeName)
    /// PUBLISH, PUBLISHSHARD.
    case publish(channel: [UInt8], message: [UInt8])
    /// UPDATE: a newer owner of `slots` the receiver still attributes to someone else.
    case update(configEpoch: UInt64, node: NodeName, slots: SlotBitmap)
    /// FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART: the header says it all.
    case none
    /// MODULE messages and unknown types: the payload after the header, uninterpreted.
    case opaque([UInt8])
}

public struct ClusterMessage: Hashable, Sendable {
    public var header: MessageHeader
    public var body: MessageBody

    public init(header: MessageHeader, body: MessageBody) {
        self.header = header
        self.body = body
    }
}
