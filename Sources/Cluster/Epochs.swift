/// Epochs: configEpoch collisions, slot ownership by configEpoch (clusterUpdateSlotsConfigWith),
/// and the two commands that set epochs by hand.
extension ClusterState {
    /// clusterGetMaxEpoch: the greatest configEpoch known, or currentEpoch if greater.
    func maxEpoch() -> UInt64 {
        var result = epoch
        for node in nodeOrder where node.configEpoch > result { result = node.configEpoch }
        return result
    }

    /// clusterHandleConfigEpochCollision: two masters with one configEpoch (a failover race, or
    /// nodes started with none) would make slot ownership ambiguous; the one with the smaller
    /// name moves to a fresh epoch, so all masters end up with distinct ones.
    func handleConfigEpochCollision(_ sender: ClusterNode, now: Int64) {
        guard sender.configEpoch == myself.configEpoch, sender.isMaster, myself.isMaster else { return }
        guard sender.name > myself.name else { return }
        epoch += 1
        myself.configEpoch = epoch
        todoSave = true
        log(.verbose, "WARNING: configEpoch collision with node \(sender.name). configEpoch set to \(myself.configEpoch)")
    }

    /// clusterUpdateSlotsConfigWith: `sender` claims `slots` with `configEpoch`. Unassigned slots
    /// and slots whose owner has an older configEpoch move to it. If that leaves my shard's master
    /// (myself or mine) without slots, the sender is the shard's new master and I follow it.
    func updateSlotsConfig(with sender: ClusterNode, configEpoch: UInt64, slots: SlotBitmap, now: Int64) {
        if sender === myself {
            log(.warning, "Discarding UPDATE message about myself.")
            return
        }
        let curMaster = myself.isMaster ? myself : myself.replicaOf
        var newMaster: ClusterNode?
        var senderSlots = 0
        var migratedOurSlots = 0
        var dirty: [Int] = []
        slots.forEachSlot { slot in
            senderSlots += 1
            if slotOwner[slot] === sender { return }
            // An importing slot changes only by hand (a resharding is closing it).
            if importingFrom[slot] != nil { return }
            guard slotOwner[slot] == nil || slotOwner[slot]!.configEpoch < configEpoch else { return }
            if slotOwner[slot] === myself { dirty.append(slot) }
            if let cm = curMaster, slotOwner[slot] === cm {
                newMaster = sender
                migratedOurSlots += 1
            }
            deleteSlot(slot)
            addSlot(slot, to: sender)
            todoSave = true
            todoUpdateState = true
        }
        if let newMaster, let curMaster, curMaster.slotCount == 0,
            settings.allowReplicaMigration || senderSlots == migratedOurSlots
        {
            log(.warning, "Configuration change detected. Reconfiguring myself as a replica of \(newMaster.name)")
            setMyMaster(newMaster)
            todoSave = true
            todoUpdateState = true
        } else if let master = myself.replicaOf, let grand = master.replicaOf, grand !== myself {
            // Safeguard against sub-replicas: my master became a replica itself.
            log(.warning, "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster \(grand.name)")
            setMyMaster(grand)
            todoSave = true
            todoUpdateState = true
        } else if !dirty.isEmpty {
            // Still a master but some slots are gone: their keys are stale (the shell deletes
            // them, see `drainLostSlots`).
            lostSlots.formUnion(dirty)
        }
    }

    /// CLUSTER SET-CONFIG-EPOCH: only on a node that knows no one else yet (redis-cli --cluster
    /// create gives every master a distinct epoch this way before MEET).
    public func setConfigEpoch(_ newEpoch: Int64, now: Int64) throws(ClusterCommandError) -> [ClusterEffect] {
        if newEpoch < 0 { throw ClusterCommandError("ERR Invalid config epoch specified: \(newEpoch)") }
        if nodes.count > 1 {
            throw ClusterCommandError("ERR The user can assign a config epoch only when the node does not know any other node.")
        }
        if myself.configEpoch != 0 { throw ClusterCommandError("ERR Node config epoch is already non-zero") }
        myself.configEpoch = UInt64(newEpoch)
        log(.warning, "configEpoch set to \(newEpoch) via CLUSTER SET-CONFIG-EPOCH")
        if epoch < UInt64(newEpoch) { epoch = UInt64(newEpoch) }
        todoUpdateState = true
        todoSave = true
        return finish(now: now)
    }

    /// CLUSTER BUMPEPOCH (clusterBumpConfigEpochWithoutConsensus): take a new epoch unless mine is
    /// already non-zero and the greatest known.
    public func bumpEpoch(now: Int64) -> (bumped: Bool, epoch: UInt64, effects: [ClusterEffect]) {
        let bumped = bumpEpochWithoutConsensus()
        if bumped { log(.warning, "New configEpoch set to \(myself.configEpoch)") }
        let effects = finish(now: now)
        return (bumped, myself.configEpoch, effects)
    }
}
