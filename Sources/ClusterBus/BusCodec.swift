// The cluster bus message codec: Redis Cluster bus protocol version 1, byte for byte as Redis 7.0
// lays out `clusterMsg` (src/cluster.h) and validates it (the sanity checks at the top of
// clusterProcessPacket in src/cluster.c). Decoding lives here, encoding in BusCodecEncode.swift,
// bounds-checked field access in BusCodecReader.swift.
//
// This file and BusFrameReader.swift use no NIO, so tools/fuzz can compile them with swiftc alone
// (together with Sources/Cluster/ClusterMessage.swift, hence the conditional import).
//
// Where we are stricter than Redis 7.0 (it would accept, we reject as malformed), on purpose:
//   - node names (sender, slaveof, gossip, FAIL, UPDATE, forgotten-node, shard id) must be 40
//     graphic ASCII bytes (0x21...0x7E): `NodeName` holds a String, and a name with spaces or
//     control bytes could not be written to nodes.conf nor shown by CLUSTER NODES. Redis only
//     ever sends lowercase hex names. `slaveof` of 40 zero bytes means "no master".
//   - `myip` and the gossip `ip` must hold a NUL within their 46 bytes, and what precedes it must
//     be UTF-8. Bytes after the NUL are ignored (Redis copies whole 46-byte arrays, which may hold
//     leftovers after the terminator), so re-encoding writes zeros there.
//   - the state byte must be CLUSTER_OK (0) or CLUSTER_FAIL (1).
//   - an extension must be at least its 8-byte header long (7.0 accepts length 0 and re-reads the
//     same extension), hostname / human-nodename data must be NUL-terminated UTF-8 inside the
//     extension (7.0 runs strlen on it), and a PING/PONG/MEET must not announce extensions
//     without CLUSTERMSG_FLAG0_EXT_DATA (7.0 would then process extension bytes that were never
//     length-checked).
//   - PUBLISH lengths are added in 64 bits (7.0 adds them in uint32 and can wrap).
//
// Fields Redis does not read for a type are ignored on decode and written as zeros on encode:
// count and extensions outside PING/PONG/MEET, notused1, mflags[1] and [2], the gossip notused1,
// bytes after a string's NUL, the padding of an extension. So re-encoding what Redis sent gives
// its exact bytes whenever it left those zero (it does: its send buffers are zeroed).

#if canImport(Cluster)
import Cluster
#endif

/// Byte layout of a version 1 cluster bus message (`clusterMsg`), big-endian throughout.
public enum BusLayout {
    public static let signature: [UInt8] = Array("RCmb".utf8)
    public static let protocolVersion: UInt16 = 1  // CLUSTER_PROTO_VER

    // clusterMsg header fields, by byte offset (Redis 7.0 static_asserts the same numbers).
    public static let signatureOffset = 0  // sig[4]
    public static let totalLengthOffset = 4  // totlen u32
    public static let versionOffset = 8  // ver u16
    public static let portOffset = 10  // port u16
    public static let typeOffset = 12  // type u16
    public static let countOffset = 14  // count u16
    public static let currentEpochOffset = 16  // currentEpoch u64
    public static let configEpochOffset = 24  // configEpoch u64
    public static let replicationOffsetOffset = 32  // offset u64
    public static let senderOffset = 40  // sender[40]
    public static let slotsOffset = 80  // myslots[2048]
    public static let replicaOfOffset = 2128  // slaveof[40]
    public static let ipOffset = 2168  // myip[46]
    public static let extensionCountOffset = 2214  // extensions u16
    public static let unused1Offset = 2216  // notused1[30]
    public static let plaintextPortOffset = 2246  // pport u16
    public static let busPortOffset = 2248  // cport u16
    public static let flagsOffset = 2250  // flags u16
    public static let stateOffset = 2252  // state u8
    public static let messageFlagsOffset = 2253  // mflags[3]
    /// CLUSTERMSG_MIN_LEN: the header before the data union; every message is at least this long.
    public static let headerLength = 2256

    public static let nameLength = 40  // CLUSTER_NAMELEN
    public static let ipLength = 46  // NET_IP_STR_LEN
    public static let slotBitmapLength = 2048  // CLUSTER_SLOTS / 8

    /// clusterMsgDataGossip: nodename[40] ping_sent u32 pong_received u32 ip[46] port u16
    /// cport u16 flags u16 pport u16 notused1 u16.
    public static let gossipLength = 104
    public enum Gossip {
        public static let name = 0
        public static let pingSent = 40
        public static let pongReceived = 44
        public static let ip = 48
        public static let port = 94
        public static let busPort = 96
        public static let flags = 98
        public static let plaintextPort = 100
    }

    /// FAIL: nodename[40].
    public static let failLength = 40
    /// PUBLISH / PUBLISHSHARD: channel_len u32, message_len u32, then the channel and message bytes.
    /// Redis sizes the struct with an 8-byte bulk_data placeholder but subtracts it again, so the
    /// expected length is header + 8 + channel_len + message_len.
    public static let publishFixedLength = 8
    /// UPDATE: configEpoch u64, nodename[40], slots[2048].
    public static let updateLength = 8 + 40 + 2048
    /// MODULE: module_id u64, len u32, type u8, then len bytes (Redis: sizeof(clusterMsgModule) - 3).
    public static let moduleFixedLength = 13

    /// clusterMsgPingExt header: length u32 (of the whole extension, header included, a multiple
    /// of 8), type u16, unused u16. The length comes first: seen in Redis 7.0.15's own bytes.
    public static let extensionHeaderLength = 8
    public static let forgottenNodeDataLength = 40 + 8  // name[40] ttl u64
    public static let shardIDDataLength = 40

    public static let extensionTypeHostname: UInt16 = 0
    public static let extensionTypeHumanNodename: UInt16 = 1
    public static let extensionTypeForgottenNode: UInt16 = 2
    public static let extensionTypeShardID: UInt16 = 3
}

/// Why bytes framed as one message are not a message we accept. `reason` is meant for a log line.
public struct BusDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Fewer bytes than the 8-byte prefix or the fixed header.
        case truncated
        case badSignature
        case badVersion
        /// totlen disagrees with the bytes given or with what the type's fields add up to.
        case badLength
        /// A PING/PONG/MEET gossip count that does not fit the message.
        case badGossipCount
        case badExtension
        case badPublishLengths
        case badModuleLength
        case badName
        case badString
        case badField
    }

    public let kind: Kind
    /// The type field, when the message was long enough to have one (Redis counts received
    /// messages per type before it validates them).
    public let messageType: MessageType?
    public let reason: String

    public init(_ kind: Kind, _ reason: String, type: MessageType? = nil) {
        self.kind = kind
        self.reason = reason
        self.messageType = type
    }

    public var description: String { reason }
}

public enum BusCodec {
    /// Decodes exactly one whole message: `bytes.count` must equal its totlen.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(BusDecodeError) -> ClusterMessage {
        let r = BusReader(bytes)
        guard r.count >= 8 else {
            throw BusDecodeError(.truncated, "cluster bus message of \(r.count) bytes, less than its 8-byte prefix")
        }
        guard r.hasSignature() else {
            throw BusDecodeError(.badSignature, "cluster bus message without the RCmb signature")
        }
        let totalLength = Int(r.u32(BusLayout.totalLengthOffset))
        guard r.count >= BusLayout.headerLength else {
            throw BusDecodeError(.truncated, "cluster bus message of \(r.count) bytes, shorter than the \(BusLayout.headerLength)-byte header")
        }
        let type = MessageType(rawValue: r.u16(BusLayout.typeOffset))
        let name = describe(type)
        guard totalLength == r.count else {
            throw BusDecodeError(.badLength, "\(name) says totlen \(totalLength) but is \(r.count) bytes", type: type)
        }
        let version = r.u16(BusLayout.versionOffset)
        guard version == BusLayout.protocolVersion else {
            throw BusDecodeError(.badVersion, "\(name) with protocol version \(version), expected 1", type: type)
        }
        var header = try decodeHeader(r, type: type, name: name)
        let body: MessageBody
        switch type {
        case .ping, .pong, .meet:
            let (gossip, extensions) = try decodeGossipBody(r, type: type, name: name)
            header.messageFlags.remove(.extensionData)
            if !extensions.isEmpty { header.messageFlags.insert(.extensionData) }
            body = .gossip(gossip, extensions: extensions)
        case .fail:
            try expectLength(r, BusLayout.headerLength + BusLayout.failLength, type: type, name: name)
            body = .fail(try r.name(at: BusLayout.headerLength, field: "FAIL nodename", type: type))
        case .publish, .publishShard:
            body = try decodePublish(r, type: type, name: name)
        case .failoverAuthRequest, .failoverAuthAck, .mfstart:
            try expectLength(r, BusLayout.headerLength, type: type, name: name)
            body = .none
        case .update:
            try expectLength(r, BusLayout.headerLength + BusLayout.updateLength, type: type, name: name)
            let base = BusLayout.headerLength
            body = .update(
                configEpoch: r.u64(base),
                node: try r.name(at: base + 8, field: "UPDATE nodename", type: type),
                slots: r.slots(at: base + 8 + BusLayout.nameLength))
        case .module:
            let fixedEnd = BusLayout.headerLength + BusLayout.moduleFixedLength
            guard r.count >= fixedEnd else {
                throw BusDecodeError(.badModuleLength, "\(name) of \(r.count) bytes, shorter than its \(fixedEnd)-byte fixed part", type: type)
            }
            let payloadLength = Int(r.u32(BusLayout.headerLength + 8))
            guard fixedEnd + payloadLength == r.count else {
                throw BusDecodeError(.badModuleLength, "\(name) of \(r.count) bytes announces a \(payloadLength)-byte payload (expected totlen \(fixedEnd + payloadLength))", type: type)
            }
            body = .opaque(r.bytes(BusLayout.headerLength..<r.count))
        default:
            // Redis 7.0 takes an unknown type's totlen as given, applies the header (epochs, sender)
            // and logs the type: kept whole so the receiver can do the same.
            body = .opaque(r.bytes(BusLayout.headerLength..<r.count))
        }
        return ClusterMessage(header: header, body: body)
    }

    /// Decodes exactly one whole message held in an array.
    public static func decode(_ bytes: [UInt8]) throws(BusDecodeError) -> ClusterMessage {
        let result: Result<ClusterMessage, BusDecodeError> = bytes.withUnsafeBytes { raw in
            do throws(BusDecodeError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// "PING", "MEET", ... or "message of unknown type 42", for log lines.
    static func describe(_ type: MessageType) -> String {
        switch type {
        case .ping: "PING"
        case .pong: "PONG"
        case .meet: "MEET"
        case .fail: "FAIL"
        case .publish: "PUBLISH"
        case .failoverAuthRequest: "FAILOVER_AUTH_REQUEST"
        case .failoverAuthAck: "FAILOVER_AUTH_ACK"
        case .update: "UPDATE"
        case .mfstart: "MFSTART"
        case .module: "MODULE"
        case .publishShard: "PUBLISHSHARD"
        default: "message of unknown type \(type.rawValue)"
        }
    }

    private static func expectLength(_ r: BusReader, _ expected: Int, type: MessageType, name: String) throws(BusDecodeError) {
        guard r.count == expected else {
            throw BusDecodeError(.badLength, "\(name) of \(r.count) bytes, expected \(expected)", type: type)
        }
    }

    private static func decodeHeader(_ r: BusReader, type: MessageType, name: String) throws(BusDecodeError) -> MessageHeader {
        let stateByte = r.u8(BusLayout.stateOffset)
        guard let health = ClusterHealth(rawValue: stateByte) else {
            throw BusDecodeError(.badField, "\(name) with cluster state \(stateByte), expected 0 (ok) or 1 (fail)", type: type)
        }
        return MessageHeader(
            type: type,
            sender: try r.name(at: BusLayout.senderOffset, field: "sender", type: type),
            port: r.u16(BusLayout.portOffset),
            busPort: r.u16(BusLayout.busPortOffset),
            plaintextPort: r.u16(BusLayout.plaintextPortOffset),
            currentEpoch: r.u64(BusLayout.currentEpochOffset),
            configEpoch: r.u64(BusLayout.configEpochOffset),
            replicationOffset: r.u64(BusLayout.replicationOffsetOffset),
            slots: r.slots(at: BusLayout.slotsOffset),
            replicaOf: try r.optionalName(at: BusLayout.replicaOfOffset, field: "slaveof", type: type),
            ip: try r.terminatedString(at: BusLayout.ipOffset, width: BusLayout.ipLength, field: "myip", type: type),
            flags: NodeFlags(rawValue: r.u16(BusLayout.flagsOffset)),
            health: health,
            messageFlags: MessageFlags(rawValue: r.u8(BusLayout.messageFlagsOffset)))
    }

    private static func decodeGossipBody(
        _ r: BusReader, type: MessageType, name: String
    ) throws(BusDecodeError) -> ([GossipEntry], [PingExtension]) {
        let count = Int(r.u16(BusLayout.countOffset))
        let gossipEnd = BusLayout.headerLength + count * BusLayout.gossipLength
        guard gossipEnd <= r.count else {
            throw BusDecodeError(.badGossipCount, "\(name) of \(r.count) bytes cannot hold its \(count) gossip entries (\(gossipEnd) bytes)", type: type)
        }
        var gossip: [GossipEntry] = []
        gossip.reserveCapacity(count)
        for i in 0..<count {
            gossip.append(try decodeGossipEntry(r, at: BusLayout.headerLength + i * BusLayout.gossipLength, index: i, type: type))
        }

        let extensionCount = Int(r.u16(BusLayout.extensionCountOffset))
        let hasExtensionData = MessageFlags(rawValue: r.u8(BusLayout.messageFlagsOffset)).contains(.extensionData)
        guard hasExtensionData else {
            guard extensionCount == 0 else {
                throw BusDecodeError(.badExtension, "\(name) announces \(extensionCount) extensions without the EXT_DATA flag", type: type)
            }
            guard gossipEnd == r.count else {
                throw BusDecodeError(.badLength, "\(name) of \(r.count) bytes with \(count) gossip entries, expected \(gossipEnd)", type: type)
            }
            return (gossip, [])
        }
        var extensions: [PingExtension] = []
        extensions.reserveCapacity(min(extensionCount, (r.count - gossipEnd) / BusLayout.extensionHeaderLength))
        var offset = gossipEnd
        for i in 0..<extensionCount {
            let remaining = r.count - offset
            guard remaining >= BusLayout.extensionHeaderLength else {
                throw BusDecodeError(.badExtension, "\(name) announces \(extensionCount) extensions but extension \(i + 1) starts \(remaining) bytes before the end", type: type)
            }
            let length = Int(r.u32(offset))
            let extensionType = r.u16(offset + 4)
            guard length >= BusLayout.extensionHeaderLength, length % 8 == 0 else {
                throw BusDecodeError(.badExtension, "\(name) extension \(i + 1) (type \(extensionType)) of length \(length): not a multiple of 8 of at least 8", type: type)
            }
            guard length <= remaining else {
                throw BusDecodeError(.badExtension, "\(name) extension \(i + 1) (type \(extensionType)) of length \(length) overruns the message (\(remaining) bytes left)", type: type)
            }
            extensions.append(try decodeExtension(r, type: extensionType, data: offset + BusLayout.extensionHeaderLength..<offset + length, messageType: type))
            offset += length
        }
        guard offset == r.count else {
            throw BusDecodeError(.badLength, "\(name) of \(r.count) bytes with \(count) gossip entries and \(extensionCount) extensions, expected \(offset)", type: type)
        }
        return (gossip, extensions)
    }

    private static func decodeGossipEntry(_ r: BusReader, at base: Int, index: Int, type: MessageType) throws(BusDecodeError) -> GossipEntry {
        GossipEntry(
            name: try r.name(at: base + BusLayout.Gossip.name, field: "gossip entry \(index + 1) nodename", type: type),
            pingSent: r.u32(base + BusLayout.Gossip.pingSent),
            pongReceived: r.u32(base + BusLayout.Gossip.pongReceived),
            ip: try r.terminatedString(at: base + BusLayout.Gossip.ip, width: BusLayout.ipLength, field: "gossip entry \(index + 1) ip", type: type),
            port: r.u16(base + BusLayout.Gossip.port),
            busPort: r.u16(base + BusLayout.Gossip.busPort),
            flags: NodeFlags(rawValue: r.u16(base + BusLayout.Gossip.flags)),
            plaintextPort: r.u16(base + BusLayout.Gossip.plaintextPort))
    }

    private static func decodeExtension(
        _ r: BusReader, type: UInt16, data: Range<Int>, messageType: MessageType
    ) throws(BusDecodeError) -> PingExtension {
        switch type {
        case BusLayout.extensionTypeHostname:
            return .hostname(try r.terminatedString(at: data.lowerBound, width: data.count, field: "hostname extension", type: messageType))
        case BusLayout.extensionTypeHumanNodename:
            return .humanNodename(try r.terminatedString(at: data.lowerBound, width: data.count, field: "human-nodename extension", type: messageType))
        case BusLayout.extensionTypeForgottenNode:
            guard data.count >= BusLayout.forgottenNodeDataLength else {
                throw BusDecodeError(.badExtension, "forgotten-node extension with \(data.count) data bytes, needs \(BusLayout.forgottenNodeDataLength)", type: messageType)
            }
            return .forgottenNode(
                try r.name(at: data.lowerBound, field: "forgotten-node extension name", type: messageType),
                ttlSeconds: r.u64(data.lowerBound + BusLayout.nameLength))
        case BusLayout.extensionTypeShardID:
            guard data.count >= BusLayout.shardIDDataLength else {
                throw BusDecodeError(.badExtension, "shard-id extension with \(data.count) data bytes, needs \(BusLayout.shardIDDataLength)", type: messageType)
            }
            return .shardID(try r.name(at: data.lowerBound, field: "shard-id extension", type: messageType).text)
        default:
            return .unknown(type: type, payload: r.bytes(data))
        }
    }

    private static func decodePublish(_ r: BusReader, type: MessageType, name: String) throws(BusDecodeError) -> MessageBody {
        let dataStart = BusLayout.headerLength + BusLayout.publishFixedLength
        guard r.count >= dataStart else {
            throw BusDecodeError(.badPublishLengths, "\(name) of \(r.count) bytes, shorter than its \(dataStart)-byte fixed part", type: type)
        }
        let channelLength = Int(r.u32(BusLayout.headerLength))
        let messageLength = Int(r.u32(BusLayout.headerLength + 4))
        let expected = dataStart + channelLength + messageLength
        guard expected == r.count else {
            throw BusDecodeError(.badPublishLengths, "\(name) of \(r.count) bytes with channel_len \(channelLength) and message_len \(messageLength), expected \(expected)", type: type)
        }
        let channelEnd = dataStart + channelLength
        return .publish(channel: r.bytes(dataStart..<channelEnd), message: r.bytes(channelEnd..<expected))
    }
}
