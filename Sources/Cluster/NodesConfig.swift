/// nodes.conf: Redis 7.0's format, i.e. CLUSTER NODES lines (handshake nodes left out) and a
/// final `vars currentEpoch N lastVoteEpoch N` line.

/// A nodes.conf that cannot be loaded: which line, and why.
public struct NodesConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number; 0 when the file as a whole is wrong (no myself line).
    public let lineNumber: Int
    public let line: String
    public let reason: String
    public init(lineNumber: Int, line: String, reason: String) {
        self.lineNumber = lineNumber
        self.line = line
        self.reason = reason
    }
    public var description: String {
        lineNumber == 0
            ? "Unrecoverable error: corrupted cluster config file: \(reason)"
            : "Unrecoverable error: corrupted cluster config file, line \(lineNumber) (\(reason)): \(line)"
    }
}

extension ClusterState {
    /// nodes.conf text, ending with the `vars currentEpoch N lastVoteEpoch N` line.
    public func nodesConfig() -> String {
        var text = ""
        for node in nodeOrder where !node.inHandshake {
            text += describe(node)
            text += "\n"
        }
        text += "vars currentEpoch \(epoch) lastVoteEpoch \(lastVoteEpoch)\n"
        return text
    }

    /// clusterLoadConfig. Also accepts 7.2's address field (`,hostname,shard-id=...,...` aux
    /// fields after the bus port) so a file from a newer node is not refused.
    func loadNodesConfig(_ text: String, now: Int64) throws {
        var foundMyself: ClusterNode?
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            let number = index + 1
            func bad(_ reason: String) -> NodesConfigError {
                NodesConfigError(lineNumber: number, line: line, reason: reason)
            }
            let argv = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if argv.isEmpty { continue }
            if argv[0].lowercased() == "vars" {
                var j = 1
                while j < argv.count {
                    guard j + 1 < argv.count, let value = UInt64(argv[j + 1]) else {
                        throw bad("bad value for '\(argv[j])'")
                    }
                    switch argv[j].lowercased() {
                    case "currentepoch": epoch = value
                    case "lastvoteepoch": lastVoteEpoch = value
                    default: log(.warning, "Skipping unknown cluster config variable '\(argv[j])'")
                    }
                    j += 2
                }
                continue
            }
            guard argv.count >= 8 else { throw bad("fewer than 8 fields") }
            guard let name = NodeName(argv[0]) else { throw bad("node name is not 40 characters") }
            let node = try loadedNode(name, now: now)

            // Address: ip:port@cport[,hostname[,key=value...]]
            let addressParts = argv[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let address = addressParts[0]
            guard let colon = address.lastIndex(of: ":") else { throw bad("address without ':'") }
            node.ip = String(address[..<colon])
            let ports = address[address.index(after: colon)...].split(separator: "@", omittingEmptySubsequences: false)
            guard let port = Int(ports[0]), (0...65535).contains(port) else { throw bad("bad port") }
            node.port = port
            if ports.count > 1 {
                guard let bus = Int(ports[1]), (0...65535).contains(bus) else { throw bad("bad bus port") }
                node.busPort = bus
            } else {
                // Files older than 4.0 have no "@busport": the default offset applies.
                node.busPort = port + 10000
            }
            for (k, part) in addressParts.dropFirst().enumerated() {
                if let eq = part.firstIndex(of: "=") {
                    let key = part[..<eq], value = String(part[part.index(after: eq)...])
                    if key == "shard-id" && !value.isEmpty { node.shardID = value }
                    if key == "hostname" { node.hostname = value }
                    if key == "nodename" { node.humanNodename = value }
                } else if k == 0 {
                    node.hostname = part
                }
            }

            for flag in argv[2].split(separator: ",") {
                switch flag.lowercased() {
                case "myself":
                    guard foundMyself == nil || foundMyself === node else { throw bad("a second myself node") }
                    foundMyself = node
                    node.flags.insert(.myself)
                case "master": node.flags.insert(.master)
                case "slave": node.flags.insert(.replica)
                case "fail?": node.flags.insert(.possiblyFailed)
                case "fail":
                    node.flags.insert(.failed)
                    node.failTime = now
                case "handshake": node.flags.insert(.handshake)
                case "noaddr": node.flags.insert(.noAddress)
                case "nofailover": node.flags.insert(.noFailover)
                case "noflags": break
                default: throw bad("unknown flag '\(flag)'")
                }
            }

            if argv[3] != "-" {
                guard let masterName = NodeName(argv[3]) else { throw bad("master name is not 40 characters") }
                guard masterName != name else { throw bad("node replicates itself") }
                let master = try loadedNode(masterName, now: now)
                node.replicaOf = master
                addReplica(node, to: master)
            }

            guard let pingSent = Int64(argv[4]), let pongReceived = Int64(argv[5]) else {
                throw bad("bad ping/pong time")
            }
            // The times only say whether a ping was pending; they restart from now.
            if pingSent != 0 { node.pingSent = now }
            if pongReceived != 0 { node.pongReceived = now }
            guard let configEpoch = UInt64(argv[6]) else { throw bad("bad config epoch") }
            node.configEpoch = configEpoch

            for field in argv[8...] {
                if field.hasPrefix("[") {
                    // [slot->-name] migrating, [slot-<-name] importing.
                    guard field.hasSuffix("]"), let dash = field.firstIndex(of: "-") else { throw bad("bad slot state '\(field)'") }
                    let slotText = field[field.index(after: field.startIndex)..<dash]
                    let rest = field[field.index(after: dash)...]
                    guard let slot = Int(slotText), (0..<SlotBitmap.slotCount).contains(slot), rest.count == 2 + 40 + 1,
                        let other = NodeName(String(rest.dropFirst(2).dropLast()))
                    else { throw bad("bad slot state '\(field)'") }
                    let peer = try loadedNode(other, now: now)
                    if rest.hasPrefix(">-") {
                        migratingTo[slot] = peer
                    } else if rest.hasPrefix("<-") {
                        importingFrom[slot] = peer
                    } else {
                        throw bad("bad slot state '\(field)'")
                    }
                    continue
                }
                let bounds = field.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, let start = Int(bounds[0]), let stop = Int(bounds.last!),
                    0 <= start, start <= stop, stop < SlotBitmap.slotCount
                else { throw bad("bad slot '\(field)'") }
                for slot in start...stop { addSlot(slot, to: node) }
            }
        }
        guard let me = foundMyself else {
            throw NodesConfigError(lineNumber: 0, line: "", reason: "no node has the myself flag")
        }
        myself = me
        // Manual edits can leave currentEpoch behind a configEpoch; never go backwards.
        epoch = max(epoch, maxEpoch())
        if me.isReplica, let master = me.replicaOf { me.shardID = master.shardID }
    }

    /// The record for `name`, created on first mention (a replica line may name its master
    /// before the master's own line).
    private func loadedNode(_ name: NodeName, now: Int64) throws -> ClusterNode {
        if let node = nodes[name] { return node }
        let node = ClusterNode(name: name, flags: [], shardID: randomName().text, now: now)
        addNode(node)
        return node
    }
}
