/// The cluster protocol of one node as a pure state machine: the node table, slot map, epochs,
/// gossip, failure detection and votes. Messages, transport events, commands and time go in;
/// `ClusterEffect`s come out. Not thread-safe: the shell serialises every call.
///
/// Redis 7.0's `cluster.c` is the reference; functions keep Redis's names in comments so the two
/// can be read side by side. The implementation is split by concern:
/// ClusterState (records, transport events, effect plumbing), Packet (message processing),
/// Gossip (PING/PONG building and gossip/extension processing), Cron (tick, cluster state),
/// FailureDetection, Epochs (collisions, UPDATE, slot rebinding), Failover (votes, elections),
/// Commands, Views, NodesConfig.
public final class ClusterState {
    public var settings: ClusterSettings

    // Node table.
    var myself: ClusterNode
    var nodes: [NodeName: ClusterNode] = [:]
    /// Every node in insertion order: the iteration order of views and the pool random gossip
    /// picks come from (Redis iterates a hash table; any stable order will do).
    var nodeOrder: [ClusterNode] = []
    var slotOwner: [ClusterNode?] = [ClusterNode?](repeating: nil, count: SlotBitmap.slotCount)
    var assignedSlotCount = 0
    var migratingTo: [Int: ClusterNode] = [:]
    var importingFrom: [Int: ClusterNode] = [:]
    /// CLUSTER FORGET's blacklist: name -> expiry (ms). Gossip may not re-add these nodes.
    var forgotten: [NodeName: Int64] = [:]
    /// Slots this node lost to a newer owner while staying a master: the keys in them are stale.
    var lostSlots: Set<Int> = []

    // Links.
    var linksByID: [LinkID: ClusterLink] = [:]
    var nextLinkID: LinkID = 1

    // Cluster-wide state.
    var epoch: UInt64 = 0  // currentEpoch
    var lastVoteEpoch: UInt64 = 0
    var health: ClusterHealth = .fail
    /// Masters serving at least one slot (cluster_size), refreshed by updateState.
    var size = 1
    var pfailNodeCount = 0  // stats_pfail_nodes, refreshed by the cron
    var statsSent = [Int](repeating: 0, count: MessageType.count)
    var statsReceived = [Int](repeating: 0, count: MessageType.count)
    var iteration = 0
    var firstUpdateStateTime: Int64 = 0
    var amongMinorityTime: Int64 = 0

    // Replica election (clusterState failover_auth_*).
    var failoverAuthTime: Int64 = 0
    var failoverAuthCount = 0
    var failoverAuthSent = false
    var failoverAuthRank = 0
    var failoverAuthEpoch: UInt64 = 0
    var cantFailoverReason = 0
    var lastCantFailoverLogTime: Int64 = 0

    var rng: SplitMix64

    // Effects of the call in progress (clusterDoBeforeSleep's todo flags, plus the sends).
    var out: [ClusterEffect] = []
    var todoSave = false
    var todoUpdateState = false
    var todoRouting = false
    var todoHandleFailover = false

    /// Milliseconds of the first reconnect backoff step after a failed connect; doubles per
    /// consecutive failure up to `maxConnectBackoff`. Redis retries on every 100 ms cron tick;
    /// we start there and back off so a dead peer costs at most one attempt a second.
    static let connectBackoffStep: Int64 = 100
    static let maxConnectBackoff: Int64 = 1000
    /// CLUSTER_BLACKLIST_TTL, seconds.
    static let forgetTTL: Int64 = 60

    /// A node starting without nodes.conf: a fresh random name, master, no slots, epoch 0.
    public init(settings: ClusterSettings, now: Int64, seed: UInt64) {
        self.settings = settings
        var rng = SplitMix64(seed: seed)
        let name = NodeName.random(using: &rng)
        let shard = NodeName.random(using: &rng).text
        self.rng = rng
        myself = ClusterNode(name: name, flags: [.myself, .master], shardID: shard, now: now)
        addNode(myself)
        applyMyselfSettings()
    }

    /// A node restarted from its nodes.conf text (Redis's format, including the `vars` line).
    /// Throws `NodesConfigError` naming the bad line.
    public init(nodesConfig: String, settings: ClusterSettings, now: Int64, seed: UInt64) throws {
        self.settings = settings
        rng = SplitMix64(seed: seed)
        // Placeholder until the myself line is read; replaced below.
        myself = ClusterNode(name: NodeName(String(repeating: "0", count: 40))!, flags: [], shardID: "", now: now)
        try loadNodesConfig(nodesConfig, now: now)
        applyMyselfSettings()
        out = []
        todoSave = false
        todoRouting = false
        todoUpdateState = false
    }

    deinit {
        // Replica lists and links hold strong references across records.
        for node in nodeOrder {
            node.replicas = []
            node.link = nil
            node.inboundLink = nil
        }
    }

    /// Ports, hostname and announced address of myself follow the settings, as Redis derives
    /// them at startup (deriveAnnouncedPorts) rather than trusting nodes.conf.
    @discardableResult
    func applyMyselfSettings() -> Bool {
        var changed = false
        let port = settings.announcePort != 0 ? settings.announcePort : settings.port
        let bus = settings.announceBusPort != 0 ? settings.announceBusPort : settings.busPort
        if myself.port != port || myself.busPort != bus {
            myself.port = port
            myself.busPort = bus
            changed = true
        }
        if !settings.announceIP.isEmpty && myself.ip != settings.announceIP {
            myself.ip = settings.announceIP
            changed = true
        }
        if myself.hostname != settings.announceHostname {
            myself.hostname = settings.announceHostname
            changed = true
        }
        if myself.humanNodename != settings.humanNodename {
            myself.humanNodename = settings.humanNodename
        }
        if settings.replicaNoFailover {
            myself.flags.insert(.noFailover)
        } else {
            myself.flags.remove(.noFailover)
        }
        return changed
    }

    // MARK: effect plumbing

    /// Ends a call: runs the deferred work Redis does in clusterBeforeSleep and returns the
    /// effects. `.saveConfig` comes first so a vote is on disk before the ACK leaves.
    func finish(now: Int64) -> [ClusterEffect] {
        if todoHandleFailover {
            todoHandleFailover = false
            if myself.isReplica { handleReplicaFailover(now: now) }
        }
        if todoUpdateState {
            updateState(now: now)
        }
        var result: [ClusterEffect] = []
        if todoSave { result.append(.saveConfig) }
        if todoRouting { result.append(.routingChanged) }
        result += out
        out = []
        todoSave = false
        todoRouting = false
        return result
    }

    func log(_ level: ClusterLogLevel, _ text: String) {
        out.append(.log(level, text))
    }

    func send(_ message: ClusterMessage, on link: ClusterLink?) {
        guard let link, link.connected, linksByID[link.id] != nil else { return }
        let type = Int(message.header.type.rawValue)
        if type < MessageType.count { statsSent[type] += 1 }
        out.append(.send(link.id, message))
    }

    func randomName() -> NodeName { NodeName.random(using: &rng) }

    func randomInt(_ upperBound: Int) -> Int { Int(rng.next() % UInt64(upperBound)) }

    // MARK: transport events

    public func inboundAccepted(peerIP: String, localIP: String, now: Int64) -> LinkID {
        let link = ClusterLink(id: nextLinkID, inbound: true, node: nil, now: now, peerIP: peerIP, localIP: localIP)
        nextLinkID += 1
        linksByID[link.id] = link
        return link.id
    }

    /// clusterLinkConnectHandler: the first packet on a new link is a PING (MEET while we still
    /// have to introduce ourselves), sent at once to avoid false failure detection.
    public func outboundConnected(_ link: LinkID, localIP: String, now: Int64) -> [ClusterEffect] {
        guard let l = linksByID[link], !l.inbound, let node = l.node else { return [] }
        l.connected = true
        l.localIP = localIP
        node.connectFailures = 0
        let oldPingSent = node.pingSent
        sendPing(on: l, type: node.flags.contains(.meet) ? .meet : .ping, now: now)
        if oldPingSent != 0 { node.pingSent = oldPingSent }
        node.flags.remove(.meet)
        return finish(now: now)
    }

    /// A link closed, failed to connect, or sent bytes the codec rejected (then the shell closes it
    /// and reports it here).
    public func linkClosed(_ link: LinkID, now: Int64) -> [ClusterEffect] {
        guard let l = linksByID[link] else { return [] }
        if !l.inbound, !l.connected, let node = l.node {
            // A failed connect counts as a ping in flight, as Redis does for a synchronous
            // connect error: otherwise a node we cannot reach would never time out.
            if node.pingSent == 0 { node.pingSent = now }
            node.connectFailures += 1
            let backoff = min(Self.connectBackoffStep << Int64(min(node.connectFailures - 1, 10)), Self.maxConnectBackoff)
            node.nextConnectTime = now + backoff
        }
        freeLink(l, emitClose: false)
        return finish(now: now)
    }

    /// Settings changed at run time (CONFIG SET): re-announce, republish routing.
    public func updateSettings(_ settings: ClusterSettings, now: Int64) -> [ClusterEffect] {
        self.settings = settings
        if applyMyselfSettings() {
            todoSave = true
            todoRouting = true
        }
        // allow-reads-when-down and the endpoint type live in the routing table.
        todoRouting = true
        todoUpdateState = true
        return finish(now: now)
    }

    // MARK: links

    /// freeClusterLink.
    func freeLink(_ link: ClusterLink, emitClose: Bool) {
        guard linksByID.removeValue(forKey: link.id) != nil else { return }
        if let node = link.node {
            if node.link === link { node.link = nil }
            if node.inboundLink === link { node.inboundLink = nil }
        }
        link.node = nil
        if emitClose { out.append(.close(link.id)) }
    }

    /// clusterNodeCronHandleReconnect's connect half.
    func connect(_ node: ClusterNode, now: Int64) {
        let link = ClusterLink(id: nextLinkID, inbound: false, node: node, now: now)
        nextLinkID += 1
        linksByID[link.id] = link
        node.link = link
        out.append(.connect(link.id, ip: node.ip, busPort: node.busPort))
    }

    // MARK: node table

    func addNode(_ node: ClusterNode) {
        nodes[node.name] = node
        nodeOrder.append(node)
    }

    /// clusterDelNode + freeClusterNode: unassign its slots, drop the failure reports it made,
    /// detach replicas and master, close both links.
    func deleteNode(_ node: ClusterNode) {
        precondition(node !== myself)
        node.slots.forEachSlot { if slotOwner[$0] === node { deleteSlot($0) } }
        for (slot, n) in migratingTo where n === node { migratingTo[slot] = nil }
        for (slot, n) in importingFrom where n === node { importingFrom[slot] = nil }
        for other in nodeOrder where other !== node {
            other.failureReports.removeAll { $0.reporter == node.name }
        }
        for replica in node.replicas where replica.replicaOf === node { replica.replicaOf = nil }
        node.replicas = []
        if let master = node.replicaOf { removeReplica(node, from: master) }
        node.replicaOf = nil
        if let l = node.link { freeLink(l, emitClose: true) }
        if let l = node.inboundLink { freeLink(l, emitClose: true) }
        nodes[node.name] = nil
        nodeOrder.removeAll { $0 === node }
        todoRouting = true
    }

    /// clusterRenameNode: a handshake node learns its real name.
    func renameNode(_ node: ClusterNode, to name: NodeName) {
        log(.debug, "Renaming node \(node.name) into \(name)")
        nodes[node.name] = nil
        node.name = name
        nodes[name] = node
    }

    func lookup(_ text: String) -> ClusterNode? {
        guard let name = NodeName(text) else { return nil }
        return nodes[name]
    }

    func addReplica(_ replica: ClusterNode, to master: ClusterNode) {
        if !master.replicas.contains(where: { $0 === replica }) { master.replicas.append(replica) }
        // A master that has replicas again may be a migration target (CLUSTER_NODE_MIGRATE_TO).
        if !master.replicas.isEmpty { master.flags.insert(.migrateTo) }
    }

    func removeReplica(_ replica: ClusterNode, from master: ClusterNode) {
        master.replicas.removeAll { $0 === replica }
        if master.replicas.isEmpty { master.flags.remove(.migrateTo) }
    }

    // MARK: slots

    /// clusterAddSlot: false when the slot already has an owner.
    @discardableResult
    func addSlot(_ slot: Int, to node: ClusterNode) -> Bool {
        guard slotOwner[slot] == nil else { return false }
        slotOwner[slot] = node
        node.slots[slot] = true
        node.slotCount += 1
        assignedSlotCount += 1
        todoRouting = true
        return true
    }

    /// clusterDelSlot.
    @discardableResult
    func deleteSlot(_ slot: Int) -> Bool {
        guard let owner = slotOwner[slot] else { return false }
        slotOwner[slot] = nil
        owner.slots[slot] = false
        owner.slotCount -= 1
        assignedSlotCount -= 1
        todoRouting = true
        return true
    }

    /// clusterDelNodeSlots.
    func deleteNodeSlots(_ node: ClusterNode) {
        node.slots.forEachSlot { deleteSlot($0) }
        // A replica record can carry stale bits (its master's, from nodes.conf); clear them too.
        node.slots = SlotBitmap()
        node.slotCount = 0
    }

    // MARK: roles

    /// clusterSetNodeAsMaster: a node we believed a replica now acts as a master.
    func setNodeAsMaster(_ node: ClusterNode) {
        if node.isMaster { return }
        if let master = node.replicaOf {
            removeReplica(node, from: master)
            if node !== myself { node.flags.insert(.migrateTo) }
        }
        node.flags.remove(.replica)
        node.flags.insert(.master)
        node.replicaOf = nil
        todoSave = true
        todoUpdateState = true
        todoRouting = true
    }

    /// clusterSetMaster: make myself a replica of `node`.
    func setMyMaster(_ node: ClusterNode) {
        precondition(node !== myself)
        if myself.isMaster {
            myself.flags.remove([.master, .migrateTo])
            myself.flags.insert(.replica)
            migratingTo = [:]
            importingFrom = [:]
        } else if let old = myself.replicaOf {
            removeReplica(myself, from: old)
        }
        myself.replicaOf = node
        addReplica(myself, to: node)
        // Redis 7.2's rule (7.0 has no shard ids): a replica belongs to its master's shard.
        myself.shardID = node.shardID
        resetFailoverState()
        todoRouting = true
    }

    func resetFailoverState() {
        failoverAuthTime = 0
        failoverAuthCount = 0
        failoverAuthSent = false
        failoverAuthRank = 0
        failoverAuthEpoch = 0
    }
}
