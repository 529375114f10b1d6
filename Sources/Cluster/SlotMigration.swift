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
        guard (0..<SlotBitmap.slotCount).contains(slot) else {
            throw ClusterCommandError("ERR Invalid or out of range slot")
        }
        if myself.isReplica { throw ClusterCommandError("ERR Please use SETSLOT only with masters.") }
        switch action {
        case .migrating(let name):
            if slotOwner[slot] !== myself { throw ClusterCommandError("ERR I'm not the owner of hash slot \(slot)") }
            guard let target = lookup(name) else { throw ClusterCommandError("ERR I don't know about node \(name)") }
            if target.isReplica { throw ClusterCommandError("ERR Target node is not a master") }
            migratingTo[slot] = target
        case .importing(let name):
            if slotOwner[slot] === myself {
                throw ClusterCommandError("ERR I'm already the owner of hash slot \(slot)")
            }
            guard let source = lookup(name) else { throw ClusterCommandError("ERR I don't know about node \(name)") }
            if source.isReplica { throw ClusterCommandError("ERR Target node is not a master") }
            importingFrom[slot] = source
        case .stable:
            migratingTo[slot] = nil
            importingFrom[slot] = nil
        case .node(let name):
            guard let owner = lookup(name) else { throw ClusterCommandError("ERR Unknown node \(name)") }
            if owner.isReplica { throw ClusterCommandError("ERR Target node is not a master") }
            if slotOwner[slot] === myself && owner !== myself && keysInSlot != 0 {
                throw ClusterCommandError(
                    "ERR Can't assign hashslot \(slot) to a different node while I still hold keys for this hash slot.")
            }
            // The last key left: the migration is over on the source side.
            if keysInSlot == 0 && migratingTo[slot] != nil { migratingTo[slot] = nil }
            if owner === myself && importingFrom[slot] != nil {
                // The import is finished: take a fresh epoch so this claim beats the old owner's
                // in gossip ("last failover wins"), without waiting for a consensus.
                if bumpEpochWithoutConsensus() {
                    log(.warning, "configEpoch updated after importing slot \(slot)")
                }
                importingFrom[slot] = nil
            }
            deleteSlot(slot)
            addSlot(slot, to: owner)
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
