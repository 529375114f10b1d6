/// One slot to move from one master to another.
public struct SlotMove: Sendable, Equatable, Hashable {
    public var slot: Int
    public var source: String
    public var target: String
    public init(slot: Int, source: String, target: String) {
        self.slot = slot
        self.source = source
        self.target = target
    }
}

/// A master as the planners see it: id, owned slots, rebalance weight.
public struct MasterSlots: Sendable, Equatable {
    public var id: String
    public var slots: SlotSet
    public var weight: Float
    public init(id: String, slots: SlotSet, weight: Float = 1) {
        self.id = id
        self.slots = slots
        self.weight = weight
    }
}

// MARK: - reshard

public enum ReshardTable {
    /// redis-cli's `clusterManagerComputeReshardTable`: sources sorted by slot count (descending;
    /// ties keep the given order), each gives `numSlots * itsSlots / totalSlots` of its lowest slots,
    /// rounded up for the first source and down for the others.
    ///
    /// With `exact` (what `reshard` uses), a shortfall left by the rounding is topped up from the
    /// sources in the same order, so exactly `numSlots` slots move when the sources hold that many;
    /// redis-cli would move fewer.
    public static func compute(sources: [MasterSlots], numSlots: Int, exact: Bool = true) -> [SlotMove] {
        let total = sources.reduce(0) { $0 + $1.slots.count }
        guard total > 0, numSlots > 0 else { return [] }
        let sorted = sources.enumerated().sorted {
            $0.element.slots.count != $1.element.slots.count
                ? $0.element.slots.count > $1.element.slots.count : $0.offset < $1.offset
        }.map(\.element)
        var moved: [SlotMove] = []
        var taken = Set<Int>()
        for (i, src) in sorted.enumerated() {
            var n = Float(numSlots) / Float(total) * Float(src.slots.count)
            n = i == 0 ? n.rounded(.up) : n.rounded(.down)
            let max = Int(n)
            var count = 0
            for s in src.slots {
                if count >= max || moved.count >= numSlots { break }
                moved.append(SlotMove(slot: s, source: src.id, target: ""))
                taken.insert(s)
                count += 1
            }
        }
        if exact && moved.count < numSlots {
            outer: for src in sorted {
                for s in src.slots where !taken.contains(s) {
                    if moved.count >= numSlots { break outer }
                    moved.append(SlotMove(slot: s, source: src.id, target: ""))
                    taken.insert(s)
                }
            }
        }
        return moved
    }
}

// MARK: - rebalance

public struct RebalancePlan: Sendable, Equatable {
    public struct NodeBalance: Sendable, Equatable {
        public var id: String
        public var slots: Int
        public var weight: Float
        public var expected: Int
        /// Slots to give away (positive) or receive (negative), after the rounding fix-up.
        public var balance: Int
    }
    public struct Transfer: Sendable, Equatable {
        public var source: String
        public var target: String
        public var count: Int
    }

    public var totalWeight: Float
    public var nodes: [NodeBalance]
    /// False: every node is within the threshold, nothing to do.
    public var thresholdReached: Bool
    public var transfers: [Transfer]
    public var moves: [SlotMove]

    /// redis-cli's rebalance: masters without slots take part only with `useEmptyMasters`; every
    /// node is expected to hold `16384 / totalWeight * weight` slots; nothing happens unless some
    /// node is off by more than `threshold` percent; the rounding surplus is taken by nodes with
    /// balance <= 0; then the node needing the most slots takes from the node with the most to give
    /// until both ends meet. Each transfer moves the source's lowest slots.
    public static func compute(masters: [MasterSlots], useEmptyMasters: Bool, threshold: Float) -> RebalancePlan {
        var involved = masters.filter { useEmptyMasters || !$0.slots.isEmpty }
        let totalWeight = involved.reduce(Float(0)) { $0 + $1.weight }
        var nodes: [NodeBalance] = []
        var thresholdReached = false
        var totalBalance = 0
        for m in involved {
            let expected = totalWeight > 0 ? Int(Float(clusterSlots) / totalWeight * m.weight) : 0
            let balance = m.slots.count - expected
            totalBalance += balance
            if threshold > 0 {
                if m.slots.count > 0 {
                    let errPerc = abs(100 - (100.0 * Float(expected) / Float(m.slots.count)))
                    if errPerc > threshold { thresholdReached = true }
                } else if expected > 1 {
                    thresholdReached = true
                }
            }
            nodes.append(NodeBalance(id: m.id, slots: m.slots.count, weight: m.weight, expected: expected,
                                     balance: balance))
        }
        guard thresholdReached else {
            return RebalancePlan(totalWeight: totalWeight, nodes: nodes, thresholdReached: false, transfers: [],
                                 moves: [])
        }
        while totalBalance > 0 {
            for i in nodes.indices where nodes[i].balance <= 0 && totalBalance > 0 {
                nodes[i].balance -= 1
                totalBalance -= 1
            }
        }
        // Sort by balance ascending (stable): receivers first, givers last.
        var order = Array(nodes.indices).sorted {
            nodes[$0].balance != nodes[$1].balance ? nodes[$0].balance < nodes[$1].balance : $0 < $1
        }
        var bal = nodes.map(\.balance)
        var transfers: [Transfer] = []
        var moves: [SlotMove] = []
        var dstIdx = 0
        var srcIdx = order.count - 1
        while dstIdx < srcIdx {
            let d = order[dstIdx], s = order[srcIdx]
            let numSlots = min(abs(bal[d]), abs(bal[s]))
            if numSlots > 0 {
                transfers.append(Transfer(source: involved[s].id, target: involved[d].id, count: numSlots))
                let table = ReshardTable.compute(sources: [involved[s]], numSlots: numSlots)
                for m in table {
                    moves.append(SlotMove(slot: m.slot, source: involved[s].id, target: involved[d].id))
                    involved[s].slots.remove(m.slot)
                    involved[d].slots.insert(m.slot)
                }
            }
            bal[d] += numSlots
            bal[s] -= numSlots
            if bal[d] == 0 { dstIdx += 1 }
            if bal[s] == 0 { srcIdx -= 1 }
        }
        order.removeAll()
        return RebalancePlan(totalWeight: totalWeight, nodes: nodes, thresholdReached: true, transfers: transfers,
                             moves: moves)
    }
}

// MARK: - fix: open slots

/// What one master says about an open slot.
public struct OpenSlotFacts: Sendable, Equatable {
    public var id: String
    public var owns: Bool
    public var migratingTo: String?
    public var importingFrom: String?
    public var keys: Int
    public init(id: String, owns: Bool, migratingTo: String? = nil, importingFrom: String? = nil, keys: Int = 0) {
        self.id = id
        self.owns = owns
        self.migratingTo = migratingTo
        self.importingFrom = importingFrom
        self.keys = keys
    }
}

public enum FixStep: Sendable, Equatable {
    /// CLUSTER SETSLOT slot STABLE
    case setStable(node: String)
    /// DELSLOTS (ignoring "already unassigned"), ADDSLOTS, BUMPEPOCH on the node
    case claim(node: String)
    /// CLUSTER DELSLOTS slot, ignoring "already unassigned"
    case delSlot(node: String)
    /// CLUSTER SETSLOT slot NODE owner, sent to `node`
    case setNode(node: String, owner: String)
    /// CLUSTER SETSLOT slot IMPORTING from, sent to `node`
    case setImporting(node: String, from: String)
    /// Move the keys of the slot; `cold`: keys only, no SETSLOT before or after.
    case move(from: String, to: String, cold: Bool)
}

public struct OpenSlotFix: Sendable, Equatable {
    public var slot: Int
    public var owner: String?
    public var migrating: [String]
    public var importing: [String]
    /// redis-cli's case: "1" .. "4", "close", or "unfixable"
    public var resolution: String
    public var steps: [FixStep]
    public var messages: [String]
    public var error: String?

    /// redis-cli 7.0's `clusterManagerFixOpenSlot`, as a plan. `masters` in cluster order.
    ///
    /// One addition: a slot left open by an interrupted migration (the owner MIGRATING to exactly one
    /// node that is IMPORTING from it, no other master holding keys of the slot) is finished, keys
    /// moving on to the importing node, whichever side holds more keys. redis-cli would count the
    /// importing node's keys as a second owner and move every key to the side with the most keys,
    /// which can roll the migration back.
    public static func decide(slot: Int, masters: [OpenSlotFacts]) -> OpenSlotFix {
        var fix = OpenSlotFix(slot: slot, owner: nil, migrating: [], importing: [], resolution: "", steps: [],
                              messages: [], error: nil)
        let mig = masters.filter { $0.migratingTo != nil }
        let imp = masters.filter { $0.importingFrom != nil }
        if mig.count == 1, imp.count == 1, let m = mig.first, let i = imp.first, m.id != i.id, m.owns, !i.owns,
           m.migratingTo == i.id, i.importingFrom == m.id,
           masters.allSatisfy({ $0.id == m.id || $0.id == i.id || ($0.keys == 0 && !$0.owns) }) {
            fix.owner = m.id
            fix.migrating = [m.id]
            fix.importing = [i.id]
            fix.resolution = "1"
            fix.messages.append(">>> Case 1: Moving slot \(slot) from \(m.id) to \(i.id)")
            fix.steps = [.move(from: m.id, to: i.id, cold: false)]
            return fix
        }
        var owners: [String] = []
        for n in masters {
            if n.owns {
                owners.append(n.id)
            } else if n.keys > 0 {
                fix.messages.append("*** Found keys about slot \(slot) in non-owner node \(n.id)!")
                owners.append(n.id)
            }
        }
        var owner: String? = owners.count == 1 ? owners[0] : nil
        var migrating: [String] = []
        var importing: [String] = []
        for n in masters {
            if n.migratingTo != nil {
                migrating.append(n.id)
            } else if n.importingFrom != nil {
                importing.append(n.id)
            } else if n.id != owner && n.keys > 0 {
                fix.messages.append("*** Found keys about slot \(slot) in node \(n.id)!")
                importing.append(n.id)
            }
        }
        fix.migrating = migrating
        fix.importing = importing
        if owner == nil {
            fix.messages.append(">>> No single clear owner for the slot, selecting an owner by # of keys...")
            var best: OpenSlotFacts?
            for n in masters where best == nil || n.keys > best!.keys { best = n }
            guard let b = best else {
                fix.resolution = "unfixable"
                fix.error = "[ERR] Can't select a slot owner. Impossible to fix."
                return fix
            }
            owner = b.id
            fix.messages.append("*** Configuring \(b.id) as the slot owner")
            fix.steps.append(.setStable(node: b.id))
            fix.steps.append(.claim(node: b.id))
            migrating.removeAll { $0 == b.id }
            importing.removeAll { $0 == b.id }
        }
        let theOwner = owner!
        fix.owner = theOwner
        if owners.count > 1 {
            for n in owners where n != theOwner {
                fix.steps.append(.delSlot(node: n))
                fix.steps.append(.setNode(node: n, owner: theOwner))
                fix.steps.append(.setImporting(node: n, from: theOwner))
                importing.removeAll { $0 == n }
                importing.append(n)
                migrating.removeAll { $0 == n }
            }
        }
        let facts = Dictionary(masters.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        if migrating.count == 1 && importing.count == 1 {
            fix.resolution = "1"
            fix.messages.append(">>> Case 1: Moving slot \(slot) from \(migrating[0]) to \(importing[0])")
            fix.steps.append(.move(from: migrating[0], to: importing[0], cold: false))
        } else if migrating.isEmpty && !importing.isEmpty {
            fix.resolution = "2"
            fix.messages.append(">>> Case 2: Moving all the \(slot) slot keys to its owner \(theOwner)")
            for n in importing where n != theOwner {
                fix.steps.append(.move(from: n, to: theOwner, cold: true))
                fix.steps.append(.setStable(node: n))
            }
            for n in masters where n.id != theOwner {
                fix.steps.append(.setNode(node: n.id, owner: theOwner))
            }
        } else if migrating.count == 1 && importing.count > 1 {
            let src = migrating[0]
            let targetId = facts[src]?.migratingTo
            if importing.contains(where: { (facts[$0]?.keys ?? 0) > 0 }) {
                fix.resolution = "unfixable"
                fix.error = cannotFix(slot, migrating, importing, theOwner)
                return fix
            }
            if let dst = importing.first(where: { $0 == targetId }) {
                fix.resolution = "3"
                fix.messages.append(
                    ">>> Case 3: Moving slot \(slot) from \(src) to \(dst) and closing it on all the other importing nodes.")
                fix.steps.append(.move(from: src, to: dst, cold: false))
                for n in importing where n != dst { fix.steps.append(.setStable(node: n)) }
            } else {
                fix.resolution = "3"
                fix.messages.append(">>> Case 3: Closing slot \(slot) on both migrating and importing nodes.")
                fix.steps.append(.setStable(node: src))
                for n in importing { fix.steps.append(.setStable(node: n)) }
            }
        } else if migrating.isEmpty && importing.isEmpty {
            // Only the (new) owner had the slot open: nothing left to move.
            fix.resolution = "close"
            for n in masters where (n.migratingTo != nil || n.importingFrom != nil)
                && !fix.steps.contains(.setStable(node: n.id)) {
                fix.steps.append(.setStable(node: n.id))
            }
        } else {
            var tryClose = importing.isEmpty && migrating.count == 1
            if tryClose {
                let n = migrating[0]
                if n != theOwner { tryClose = (facts[n]?.keys ?? 0) == 0 }
            }
            if tryClose {
                fix.resolution = "4"
                fix.messages.append(">>> Case 4: Closing slot \(slot) on \(migrating[0])")
                fix.steps.append(.setStable(node: migrating[0]))
            } else {
                fix.resolution = "unfixable"
                fix.error = cannotFix(slot, migrating, importing, theOwner)
            }
        }
        fix.migrating = migrating
        fix.importing = importing
        return fix
    }

    private static func cannotFix(_ slot: Int, _ m: [String], _ i: [String], _ owner: String) -> String {
        "[ERR] Sorry, can't fix slot \(slot) yet. Slot is set as migrating in \(m.joined(separator: ",")), "
            + "as importing in \(i.joined(separator: ",")), owner is \(owner)"
    }
}

// MARK: - fix: uncovered slots

public struct CoverageFix: Sendable, Equatable {
    public struct SlotAssignment: Sendable, Equatable {
        public var slot: Int
        public var owner: String
        /// Other masters holding keys of the slot, whose keys move to `owner`.
        public var movesFrom: [String]
    }
    /// Slots no master has keys for: given to a random master.
    public var noKeys: [SlotAssignment]
    /// Slots one master has keys for: given to that master.
    public var singleNode: [SlotAssignment]
    /// Slots several masters have keys for: given to the one with most keys, the others' keys move.
    public var multipleNodes: [SlotAssignment]

    /// redis-cli's `clusterManagerFixSlotsCoverage`. `keys[slot]`: (master id, key count) for every
    /// master with keys in that uncovered slot, in cluster order.
    public static func decide<R: RandomNumberGenerator>(
        uncovered: [Int], keys: [Int: [(String, Int)]], masters: [String], using rng: inout R
    ) -> CoverageFix {
        var fix = CoverageFix(noKeys: [], singleNode: [], multipleNodes: [])
        for slot in uncovered {
            let holders = keys[slot] ?? []
            switch holders.count {
            case 0:
                guard !masters.isEmpty else { continue }
                let m = masters[Int.random(in: 0..<masters.count, using: &rng)]
                fix.noKeys.append(SlotAssignment(slot: slot, owner: m, movesFrom: []))
            case 1:
                fix.singleNode.append(SlotAssignment(slot: slot, owner: holders[0].0, movesFrom: []))
            default:
                var best = holders[0]
                for h in holders.dropFirst() where h.1 > best.1 { best = h }
                fix.multipleNodes.append(SlotAssignment(
                    slot: slot, owner: best.0, movesFrom: holders.map(\.0).filter { $0 != best.0 }))
            }
        }
        return fix
    }
}
