/// CLUSTER SETSLOT: the manual slot-migration protocol redis-cli --cluster reshard drives
/// (IMPORTING on the target, MIGRATING on the source, keys moved by MIGRATE, then NODE everywhere).
public enum SetSlotAction: Sendable, Equatable {
    case migrating(String)
    case importing(String)
    case stable
    case node(String)
}

extension ClusterState {
    /// CLUSTER SETSLOT <slot> ... `keysInSlot` is how many keys this node holds in the slot (NODE
    /// refuses to give away a slot that still has keys here). Errors carry Redis 7.0's texts.
    public func setSlot(
        _ slot: Int, _ action: SetSlotAction, keysInSlot: Int, now: Int64
    ) throws(ClusterCommandError) -> [ClusterEffect] {
        try setSlots([slot], action, keysInSlot: { _ in keysInSlot }, now: now)
    }

    /// SETSLOT for many slots at once (Shoal's CLUSTER SETSLOTRANGE, and whole-slot migration):
    /// every slot is checked before any changes, and the change is saved and published once.
    public func setSlots(
        _ slots: [Int], _ action: SetSlotAction, keysInSlot: (Int) -> Int, now: Int64
    ) throws(ClusterCommandError) -> [ClusterEffect] {
        for slot in slots where !(0..<SlotBitmap.slotCount).contains(slot) {
            throw ClusterCommandError("ERR Invalid or out of range slot")
        }
        if myself.isReplica { throw ClusterCommandError("ERR Please use SETSLOT only with masters.") }
        switch action {
        case .migrating(let name):
            if let slot = slots.first(where: { slotOwner[$0] !== myself }) {
                throw ClusterCommandError("ERR I'm not the owner of hash slot \(slot)")
            }
            guard let target = lookup(name) else { throw ClusterCommandError("ERR I don't know about node \(name)") }
            if target.isReplica { throw ClusterCommandError("ERR Target node is not a master") }
            for slot in slots { migratingTo[slot] = target }
        case .importing(let name):
            if let slot = slots.first(where: { slotOwner[$0] === myself }) {
                throw ClusterCommandError("ERR I'm already the owner of hash slot \(slot)")
            }
            guard let source = lookup(name) else { throw ClusterCommandError("ERR I don't know about node \(name)") }
            if source.isReplica { throw ClusterCommandError("ERR Target node is not a master") }
            for slot in slots { importingFrom[slot] = source }
        case .stable:
            for slot in slots {
                migratingTo[slot] = nil
                importingFrom[slot] = nil
            }
        case .node(let name):
            guard let owner = lookup(name) else { throw ClusterCommandError("ERR Unknown node \(name)") }
            if owner.isReplica { throw ClusterCommandError("ERR Target node is not a master") }
            let counts = slots.map(keysInSlot)
            for (slot, keys) in zip(slots, counts) where slotOwner[slot] === myself && owner !== myself && keys != 0 {
                throw ClusterCommandError(
                    "ERR Can't assign hashslot \(slot) to a different node while I still hold keys for this hash slot.")
            }
            var imported = false
            for (slot, keys) in zip(slots, counts) {
                // The last key left: the migration is over on the source side.
                if keys == 0 && migratingTo[slot] != nil { migratingTo[slot] = nil }
                if owner === myself && importingFrom[slot] != nil {
                    importingFrom[slot] = nil
                    imported = true
                }
                deleteSlot(slot)
                addSlot(slot, to: owner)
            }
            // An import is finished: take a fresh epoch so this claim beats the old owner's in
            // gossip ("last failover wins"), without waiting for a consensus.
            if imported && bumpEpochWithoutConsensus() {
                log(.warning, "configEpoch updated after importing \(slots.count == 1 ? "slot \(slots[0])" : "\(slots.count) slots")")
            }
        }
        todoRouting = true
        todoUpdateState = true
        todoSave = true
        return finish(now: now)
    }

    /// clusterBumpConfigEpochWithoutConsensus: true when my configEpoch changed.
    @discardableResult
    func bumpEpochWithoutConsensus() -> Bool {
        let highest = maxEpoch()
        guard myself.configEpoch == 0 || myself.configEpoch != highest else { return false }
        epoch += 1
        myself.configEpoch = epoch
        todoSave = true
        return true
    }
}

extension ClusterState {
    /// A known node's address and role (the target of a slot migration), or nil.
    public func endpoint(of name: String) -> NodeEndpoint? {
        guard let node = lookup(name), !node.inHandshake else { return nil }
        return endpoint(node)
    }
}
