/// CLUSTER subcommands that change the state. Errors carry Redis 7.0's texts verbatim; argument
/// parsing (numbers, arity) is the caller's.
extension ClusterState {
    /// CLUSTER MEET: start a handshake (clusterStartHandshake). The node enters the table under a
    /// random name in HANDSHAKE|MEET and learns its real name from its first PONG.
    public func meet(ip: String, port: Int, busPort: Int, now: Int64) throws(ClusterCommandError) -> [ClusterEffect] {
        guard let normalized = IPAddress.normalize(ip), (1...65535).contains(port), (1...65535).contains(busPort)
        else {
            throw ClusterCommandError("ERR Invalid node address specified: \(ip):\(port)")
        }
        // A handshake with the same address in progress: nothing to do (Redis replies OK too).
        let inProgress = nodeOrder.contains {
            $0.inHandshake && $0.ip.lowercased() == normalized.lowercased() && $0.port == port && $0.busPort == busPort
        }
        if inProgress { return finish(now: now) }
        let node = ClusterNode(name: randomName(), flags: [.handshake, .meet], shardID: randomName().text, now: now)
        node.ip = normalized
        node.port = port
        node.busPort = busPort
        addNode(node)
        connect(node, now: now)
        return finish(now: now)
    }

    private func validate(_ slots: [Int]) throws(ClusterCommandError) {
        for slot in slots where !(0..<SlotBitmap.slotCount).contains(slot) {
            throw ClusterCommandError("ERR Invalid or out of range slot")
        }
    }

    /// checkSlotAssignmentsOrReply: busy / unassigned is checked before the duplicate, slot by slot.
    private func checkAssignments(_ slots: [Int], delete: Bool) throws(ClusterCommandError) {
        var seen = Set<Int>()
        for slot in slots {
            if delete && slotOwner[slot] == nil {
                throw ClusterCommandError("ERR Slot \(slot) is already unassigned")
            } else if !delete && slotOwner[slot] != nil {
                throw ClusterCommandError("ERR Slot \(slot) is already busy")
            }
            if !seen.insert(slot).inserted {
                throw ClusterCommandError("ERR Slot \(slot) specified multiple times")
            }
        }
    }

    /// CLUSTER ADDSLOTS (and ADDSLOTSRANGE, expanded by the caller).
    public func addSlots(_ slots: [Int], now: Int64) throws(ClusterCommandError) -> [ClusterEffect] {
        try validate(slots)
        try checkAssignments(slots, delete: false)
        for slot in slots {
            // We own it for real now: a pending import is over.
            importingFrom[slot] = nil
            addSlot(slot, to: myself)
        }
        todoUpdateState = true
        todoSave = true
        return finish(now: now)
    }

    /// CLUSTER DELSLOTS: unassigns the slots whoever owns them in this node's view.
    public func deleteSlots(_ slots: [Int], now: Int64) throws(ClusterCommandError) -> [ClusterEffect] {
        try validate(slots)
        try checkAssignments(slots, delete: true)
        for slot in slots { deleteSlot(slot) }
        todoUpdateState = true
        todoSave = true
        return finish(now: now)
    }

    /// CLUSTER FLUSHSLOTS (the caller refuses when the database is not empty).
    public func flushSlots(now: Int64) -> [ClusterEffect] {
        deleteNodeSlots(myself)
        todoUpdateState = true
        todoSave = true
        return finish(now: now)
    }

    /// CLUSTER FORGET: drop the node and keep gossip from re-adding it for 60 s.
    public func forget(_ name: String, now: Int64) throws(ClusterCommandError) -> [ClusterEffect] {
        guard let node = lookup(name) else { throw ClusterCommandError("ERR Unknown node \(name)") }
        if node === myself { throw ClusterCommandError("ERR I tried hard but I can't forget myself...") }
        if myself.isReplica && myself.replicaOf === node { throw ClusterCommandError("ERR Can't forget my master!") }
        forgotten[node.name] = now + Self.forgetTTL * 1000
        deleteNode(node)
        todoUpdateState = true
        todoSave = true
        return finish(now: now)
    }

    /// CLUSTER RESET (clusterReset): become a slotless master knowing only myself; hard also
    /// takes a new name and zeroes the epochs. (Emptying the data of a replica is the caller's.)
    public func reset(hard: Bool, now: Int64) -> [ClusterEffect] {
        if myself.isReplica { setNodeAsMaster(myself) }
        migratingTo = [:]
        importingFrom = [:]
        resetFailoverState()
        for slot in 0..<SlotBitmap.slotCount where slotOwner[slot] != nil { deleteSlot(slot) }
        for node in nodeOrder where node !== myself { deleteNode(node) }
        if hard {
            epoch = 0
            lastVoteEpoch = 0
            myself.configEpoch = 0
            log(.warning, "configEpoch set to 0 via CLUSTER RESET HARD")
            nodes[myself.name] = nil
            myself.name = randomName()
            nodes[myself.name] = myself
            log(.notice, "Node hard reset, now I'm \(myself.name)")
        }
        todoSave = true
        todoUpdateState = true
        todoRouting = true
        return finish(now: now)
    }

    /// CLUSTER REPLICATE.
    public func replicate(_ name: String, nodeHasKeys: Bool, now: Int64) throws(ClusterCommandError) -> [ClusterEffect] {
        guard let node = lookup(name) else { throw ClusterCommandError("ERR Unknown node \(name)") }
        if node === myself { throw ClusterCommandError("ERR Can't replicate myself") }
        if node.isReplica { throw ClusterCommandError("ERR I can only replicate a master, not a replica.") }
        if myself.isMaster && (myself.slotCount != 0 || nodeHasKeys) {
            throw ClusterCommandError("ERR To set a master the node must be empty and without assigned slots.")
        }
        setMyMaster(node)
        todoUpdateState = true
        todoSave = true
        return finish(now: now)
    }

    /// CLUSTER COUNT-FAILURE-REPORTS.
    public func countFailureReports(_ name: String, now: Int64) throws(ClusterCommandError) -> Int {
        guard let node = lookup(name) else { throw ClusterCommandError("ERR Unknown node \(name)") }
        return failureReportCount(node, now: now)
    }

    /// Slots this node lost to a newer owner while remaining a master since the last call: their
    /// keys are stale and Redis deletes them (the dirty slots of clusterUpdateSlotsConfigWith).
    /// The shell calls this on `.routingChanged`.
    public func drainLostSlots() -> [Int] {
        let slots = lostSlots.sorted()
        lostSlots = []
        return slots
    }
}
