// Encoding: the bytes Redis 7.0 would send for the same values. The whole message is zeroed first,
// so every reserved field (notused1, mflags[1...2], gossip notused1, extension `unused`) and every
// padding byte is zero, as in Redis's zcalloc'd send buffers.
//
// What the encoder derives rather than takes from the values:
//   - totlen, ver = 1, the signature;
//   - count = the number of gossip entries (0 for other bodies);
//   - extensions = the number of ping extensions, and mflags[0] EXT_DATA set iff there is at least
//     one (Redis 7.0 sets it exactly when it writes its hostname extension); for bodies other than
//     gossip the header's messageFlags go out as given and `extensions` is 0.
// The caller keeps `header.type` and the body consistent (a FAIL header with a FAIL body, ...);
// the encoder writes both as given.
//
// Limits the values must respect (programming errors, checked with preconditions): at most 65535
// gossip entries and extensions, a total length below 4 GiB. Strings longer than their field are
// cut: ip to 45 bytes (+ NUL, as Redis's strncpy of cluster-announce-ip), shard id to 40 bytes.
// Hostnames / human nodenames and ips must not contain NUL: the receiver stops at the first one.

#if canImport(Cluster)
import Cluster
#endif

extension BusCodec {
    public static func encode(_ message: ClusterMessage) -> [UInt8] {
        let length = encodedLength(of: message)
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            write(message, length: length, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = length
        }
    }

    /// Appends the message to `bytes`.
    public static func encode(_ message: ClusterMessage, into bytes: inout [UInt8]) {
        let length = encodedLength(of: message)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: length))
        bytes.withUnsafeMutableBytes { raw in
            write(message, length: length, into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<start + length]))
        }
    }

    /// The totlen `encode` will write.
    public static func encodedLength(of message: ClusterMessage) -> Int {
        let length: Int
        switch message.body {
        case .gossip(let gossip, let extensions):
            length = BusLayout.headerLength + gossip.count * BusLayout.gossipLength
                + extensions.reduce(0) { $0 + extensionLength($1) }
        case .fail:
            length = BusLayout.headerLength + BusLayout.failLength
        case .publish(let channel, let payload):
            length = BusLayout.headerLength + BusLayout.publishFixedLength + channel.count + payload.count
        case .update:
            length = BusLayout.headerLength + BusLayout.updateLength
        case .none:
            length = BusLayout.headerLength
        case .opaque(let payload):
            length = BusLayout.headerLength + payload.count
        }
        precondition(length <= Int(UInt32.max), "cluster bus message of \(length) bytes does not fit totlen")
        return length
    }

    static func extensionLength(_ ext: PingExtension) -> Int {
        let data: Int
        switch ext {
        case .hostname(let text), .humanNodename(let text): data = paddedToEight(text.utf8.count + 1)
        case .forgottenNode: data = BusLayout.forgottenNodeDataLength
        case .shardID: data = BusLayout.shardIDDataLength
        case .unknown(_, let payload): data = paddedToEight(payload.count)
        }
        return BusLayout.extensionHeaderLength + data
    }

    private static func paddedToEight(_ n: Int) -> Int { (n + 7) & ~7 }

    /// Writes the message into `raw`, which must be exactly `encodedLength(of: message)` bytes.
    static func write(_ message: ClusterMessage, length: Int, into raw: UnsafeMutableRawBufferPointer) {
        precondition(raw.count == length)
        raw.initializeMemory(as: UInt8.self, repeating: 0)
        let w = BusWriter(raw: raw)
        let h = message.header

        var count = 0
        var extensionCount = 0
        var messageFlags = h.messageFlags
        if case .gossip(let gossip, let extensions) = message.body {
            precondition(gossip.count <= Int(UInt16.max) && extensions.count <= Int(UInt16.max), "too many gossip entries or extensions for one message")
            count = gossip.count
            extensionCount = extensions.count
            messageFlags.remove(.extensionData)
            if !extensions.isEmpty { messageFlags.insert(.extensionData) }
        }

        w.bytes(BusLayout.signature, at: BusLayout.signatureOffset)
        w.u32(UInt32(length), at: BusLayout.totalLengthOffset)
        w.u16(BusLayout.protocolVersion, at: BusLayout.versionOffset)
        w.u16(h.port, at: BusLayout.portOffset)
        w.u16(h.type.rawValue, at: BusLayout.typeOffset)
        w.u16(UInt16(count), at: BusLayout.countOffset)
        w.u64(h.currentEpoch, at: BusLayout.currentEpochOffset)
        w.u64(h.configEpoch, at: BusLayout.configEpochOffset)
        w.u64(h.replicationOffset, at: BusLayout.replicationOffsetOffset)
        w.name(h.sender, at: BusLayout.senderOffset)
        w.slots(h.slots, at: BusLayout.slotsOffset)
        if let master = h.replicaOf { w.name(master, at: BusLayout.replicaOfOffset) }
        w.string(h.ip, at: BusLayout.ipOffset, maxBytes: BusLayout.ipLength - 1)
        w.u16(UInt16(extensionCount), at: BusLayout.extensionCountOffset)
        w.u16(h.plaintextPort, at: BusLayout.plaintextPortOffset)
        w.u16(h.busPort, at: BusLayout.busPortOffset)
        w.u16(h.flags.rawValue, at: BusLayout.flagsOffset)
        w.u8(h.health.rawValue, at: BusLayout.stateOffset)
        w.u8(messageFlags.rawValue, at: BusLayout.messageFlagsOffset)

        let base = BusLayout.headerLength
        switch message.body {
        case .gossip(let gossip, let extensions):
            var offset = base
            for entry in gossip {
                w.name(entry.name, at: offset + BusLayout.Gossip.name)
                w.u32(entry.pingSent, at: offset + BusLayout.Gossip.pingSent)
                w.u32(entry.pongReceived, at: offset + BusLayout.Gossip.pongReceived)
                w.string(entry.ip, at: offset + BusLayout.Gossip.ip, maxBytes: BusLayout.ipLength - 1)
                w.u16(entry.port, at: offset + BusLayout.Gossip.port)
                w.u16(entry.busPort, at: offset + BusLayout.Gossip.busPort)
                w.u16(entry.flags.rawValue, at: offset + BusLayout.Gossip.flags)
                w.u16(entry.plaintextPort, at: offset + BusLayout.Gossip.plaintextPort)
                offset += BusLayout.gossipLength
            }
            for ext in extensions {
                let extLength = extensionLength(ext)
                let data = offset + BusLayout.extensionHeaderLength
                w.u32(UInt32(extLength), at: offset)
                switch ext {
                case .hostname(let text):
                    w.u16(BusLayout.extensionTypeHostname, at: offset + 4)
                    w.string(text, at: data, maxBytes: extLength - BusLayout.extensionHeaderLength - 1)
                case .humanNodename(let text):
                    w.u16(BusLayout.extensionTypeHumanNodename, at: offset + 4)
                    w.string(text, at: data, maxBytes: extLength - BusLayout.extensionHeaderLength - 1)
                case .forgottenNode(let name, let ttl):
                    w.u16(BusLayout.extensionTypeForgottenNode, at: offset + 4)
                    w.name(name, at: data)
                    w.u64(ttl, at: data + BusLayout.nameLength)
                case .shardID(let id):
                    w.u16(BusLayout.extensionTypeShardID, at: offset + 4)
                    w.string(id, at: data, maxBytes: BusLayout.shardIDDataLength)
                case .unknown(let type, let payload):
                    w.u16(type, at: offset + 4)
                    w.bytes(payload, at: data)
                }
                offset += extLength
            }
        case .fail(let name):
            w.name(name, at: base)
        case .publish(let channel, let payload):
            w.u32(UInt32(channel.count), at: base)
            w.u32(UInt32(payload.count), at: base + 4)
            w.bytes(channel, at: base + BusLayout.publishFixedLength)
            w.bytes(payload, at: base + BusLayout.publishFixedLength + channel.count)
        case .update(let configEpoch, let node, let slots):
            w.u64(configEpoch, at: base)
            w.name(node, at: base + 8)
            w.slots(slots, at: base + 8 + BusLayout.nameLength)
        case .none:
            break
        case .opaque(let payload):
            w.bytes(payload, at: base)
        }
    }
}

/// Stores into a zeroed message buffer; each store is bounds-checked by the buffer's own
/// preconditions (the lengths come from `encodedLength`, so they always fit).
struct BusWriter {
    let raw: UnsafeMutableRawBufferPointer

    func u8(_ value: UInt8, at offset: Int) { raw[offset] = value }
    func u16(_ value: UInt16, at offset: Int) { raw.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self) }
    func u32(_ value: UInt32, at offset: Int) { raw.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self) }
    func u64(_ value: UInt64, at offset: Int) { raw.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self) }

    func bytes(_ bytes: [UInt8], at offset: Int) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(rebasing: raw[offset..<offset + source.count]).copyMemory(from: source)
        }
    }

    func name(_ name: NodeName, at offset: Int) { string(name.text, at: offset, maxBytes: BusLayout.nameLength) }

    /// At most `maxBytes` of the UTF-8 bytes; the rest of the field is already zero.
    func string(_ text: String, at offset: Int, maxBytes: Int) {
        var text = text
        text.withUTF8 { utf8 in
            let n = min(utf8.count, maxBytes)
            guard n > 0 else { return }
            UnsafeMutableRawBufferPointer(rebasing: raw[offset..<offset + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[0..<n]))
        }
    }

    func slots(_ slots: SlotBitmap, at offset: Int) {
        for (i, word) in slots.words.prefix(SlotBitmap.slotCount / 64).enumerated() {
            raw.storeBytes(of: word.littleEndian, toByteOffset: offset + i * 8, as: UInt64.self)
        }
    }
}
