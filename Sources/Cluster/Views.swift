/// Read-only views: CLUSTER INFO / NODES / REPLICAS / SLOTS / SHARDS / LINKS and the routing table.
extension ClusterState {
    public var myName: NodeName { myself.name }
    public var myShardID: String { myself.shardID }
    public var currentEpoch: UInt64 { epoch }
    public var knownNodeCount: Int { nodes.count }

    /// This node's replication offset, announced in every header and used to rank replicas in an
    /// election (master_repl_offset, or a replica's processed offset). Replication sets it; until
    /// then it stays 0, as does every peer's.
    public var replicationOffset: UInt64 {
        get { myself.replicationOffset }
        set { myself.replicationOffset = newValue }
    }

    /// The configEpoch CLUSTER INFO / NODES show: a replica shows its master's.
    func shownEpoch(_ node: ClusterNode) -> UInt64 {
        if node.isReplica, let master = node.replicaOf { return master.configEpoch }
        return node.configEpoch
    }

    /// CLUSTER INFO fields in Redis's order, cluster_state ... cluster_stats_messages_*.
    public func infoFields(now: Int64) -> [(String, String)] {
        var ok = 0, pfail = 0, fail = 0
        for node in nodeOrder where node.slotCount > 0 {
            if node.failed { fail += node.slotCount }
            else if node.timedOut { pfail += node.slotCount }
            else { ok += node.slotCount }
        }
        var fields: [(String, String)] = [
            ("cluster_state", health == .ok ? "ok" : "fail"),
            ("cluster_slots_assigned", String(assignedSlotCount)),
            ("cluster_slots_ok", String(ok)),
            ("cluster_slots_pfail", String(pfail)),
            ("cluster_slots_fail", String(fail)),
            ("cluster_known_nodes", String(nodes.count)),
            ("cluster_size", String(size)),
            ("cluster_current_epoch", String(epoch)),
            ("cluster_my_epoch", String(shownEpoch(myself))),
        ]
        var total = 0
        for type in 0..<MessageType.count where statsSent[type] != 0 {
            total += statsSent[type]
            fields.append(("cluster_stats_messages_\(MessageType(rawValue: UInt16(type)).statsName)_sent", String(statsSent[type])))
        }
        fields.append(("cluster_stats_messages_sent", String(total)))
        total = 0
        for type in 0..<MessageType.count where statsReceived[type] != 0 {
            total += statsReceived[type]
            fields.append(("cluster_stats_messages_\(MessageType(rawValue: UInt16(type)).statsName)_received", String(statsReceived[type])))
        }
        fields.append(("cluster_stats_messages_received", String(total)))
        fields.append(("total_cluster_links_buffer_limit_exceeded", "0"))
        return fields
    }

    /// representClusterNodeFlags.
    static func flagsText(_ flags: NodeFlags) -> String {
        var parts: [String] = []
        if flags.has(.myself) { parts.append("myself") }
        if flags.has(.master) { parts.append("master") }
        if flags.has(.replica) { parts.append("slave") }
        if flags.has(.possiblyFailed) { parts.append("fail?") }
        if flags.has(.failed) { parts.append("fail") }
        if flags.has(.handshake) { parts.append("handshake") }
        if flags.has(.noAddress) { parts.append("noaddr") }
        if flags.has(.noFailover) { parts.append("nofailover") }
        return parts.isEmpty ? "noflags" : parts.joined(separator: ",")
    }

    /// " 0-5 7 9-10": the slot list of CLUSTER NODES.
    static func slotRangesText(_ bitmap: SlotBitmap) -> String {
        var text = ""
        for range in ranges(of: bitmap) {
            text += range.lowerBound == range.upperBound ? " \(range.lowerBound)" : " \(range.lowerBound)-\(range.upperBound)"
        }
        return text
    }

    static func ranges(of bitmap: SlotBitmap) -> [ClosedRange<Int>] { bitmap.ranges }

    /// clusterGenNodeDescription: one CLUSTER NODES line, without the newline.
    func describe(_ node: ClusterNode) -> String {
        var line = node.name.text
        line += " \(node.ip):\(node.port)@\(node.busPort)"
        if !node.hostname.isEmpty { line += ",\(node.hostname)" }
        line += " " + Self.flagsText(node.flags)
        line += " " + (node.replicaOf?.name.text ?? "-")
        line += " \(node.pingSent) \(node.pongReceived) \(shownEpoch(node))"
        line += (node.link != nil || node.isMyself) ? " connected" : " disconnected"
        if node.slotCount > 0 { line += Self.slotRangesText(node.slots) }
        if node.isMyself {
            for slot in Set(migratingTo.keys).union(importingFrom.keys).sorted() {
                if let to = migratingTo[slot] {
                    line += " [\(slot)->-\(to.name)]"
                } else if let from = importingFrom[slot] {
                    line += " [\(slot)-<-\(from.name)]"
                }
            }
        }
        return line
    }

    /// CLUSTER NODES text (one line per node, "\n" terminated).
    public func nodesDescription(now: Int64) -> String {
        var text = ""
        for node in nodeOrder {
            text += describe(node)
            text += "\n"
        }
        return text
    }

    /// CLUSTER REPLICAS lines for a master.
    public func replicasDescription(of name: String, now: Int64) throws(ClusterCommandError) -> [String] {
        guard let node = lookup(name) else { throw ClusterCommandError("ERR Unknown node \(name)") }
        if node.isReplica { throw ClusterCommandError("ERR The specified node is not a master") }
        return node.replicas.map { describe($0) }
    }

    func endpoint(_ node: ClusterNode) -> NodeEndpoint {
        let offset = node.replicationOffset
        let health: String
        if node.failed { health = "fail" }
        else if node.isReplica && offset == 0 { health = "loading" }
        else { health = "online" }
        let preferred: String
        switch settings.preferredEndpointType {
        case .ip: preferred = node.ip
        case .hostname: preferred = node.hostname.isEmpty ? "?" : node.hostname
        case .unknownEndpoint: preferred = ""
        }
        return NodeEndpoint(
            name: node.name, ip: node.ip, port: node.port, hostname: node.hostname, isMaster: node.isMaster,
            replicationOffset: offset, health: health, preferredEndpoint: preferred)
    }

    /// CLUSTER SLOTS: contiguous ranges per master, master first then its non-failed replicas.
    public func slotRanges() -> [SlotRangeOwner] {
        var out: [SlotRangeOwner] = []
        for node in nodeOrder where node.isMaster && node.slotCount > 0 {
            var members = [endpoint(node)]
            for replica in node.replicas where !replica.failed { members.append(endpoint(replica)) }
            for range in Self.ranges(of: node.slots) {
                out.append(SlotRangeOwner(start: range.lowerBound, end: range.upperBound, nodes: members))
            }
        }
        return out.sorted { $0.start < $1.start }
    }

    /// CLUSTER SHARDS: one per master (slotless ones too), master first then all its replicas.
    public func shards() -> [ShardDescription] {
        nodeOrder.filter { $0.isMaster }.map { master in
            ShardDescription(
                ranges: Self.ranges(of: master.slots),
                nodes: [endpoint(master)] + master.replicas.map { endpoint($0) })
        }
    }

    /// CLUSTER LINKS: per node its "to" link then its "from" link.
    public func links() -> [LinkDescription] {
        var out: [LinkDescription] = []
        for node in nodeOrder where !node.isMyself {
            if let l = node.link {
                out.append(LinkDescription(direction: "to", node: node.name, createTime: l.createTime,
                    events: l.connected ? "r" : "w", sendBufferAllocated: 0, sendBufferUsed: 0))
            }
            if let l = node.inboundLink {
                out.append(LinkDescription(direction: "from", node: node.name, createTime: l.createTime,
                    events: "r", sendBufferAllocated: 0, sendBufferUsed: 0))
            }
        }
        return out
    }

    func routingEndpoint(_ node: ClusterNode) -> String {
        switch settings.preferredEndpointType {
        case .ip: "\(node.ip):\(node.port)"
        case .hostname: "\(node.hostname.isEmpty ? "?" : node.hostname):\(node.port)"
        case .unknownEndpoint: ":\(node.port)"
        }
    }

    public func routingTable() -> RoutingTable {
        var index: [ObjectIdentifier: Int16] = [:]
        var endpoints: [String] = []
        for node in nodeOrder {
            index[ObjectIdentifier(node)] = Int16(endpoints.count)
            endpoints.append(routingEndpoint(node))
        }
        var owner = [Int16](repeating: RoutingTable.unassigned, count: SlotBitmap.slotCount)
        owner.withUnsafeMutableBufferPointer { table in
            for node in nodeOrder where node.slotCount > 0 {
                let i = index[ObjectIdentifier(node)]!
                for range in node.slots.ranges {
                    for slot in range { table[slot] = i }
                }
            }
        }
        var migrating: [Int: Int16] = [:]
        for (slot, node) in migratingTo { migrating[slot] = index[ObjectIdentifier(node)] }
        let masterIndex: Int16 =
            myself.isReplica ? (myself.replicaOf.flatMap { index[ObjectIdentifier($0)] } ?? -1) : -1
        return RoutingTable(
            clusterOK: health == .ok, owner: owner, myIndex: index[ObjectIdentifier(myself)]!,
            myMasterIndex: masterIndex, endpoints: endpoints, allowReadsWhenDown: settings.allowReadsWhenDown,
            migrating: migrating, importing: Set(importingFrom.keys))
    }
}
