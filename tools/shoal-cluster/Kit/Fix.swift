extension ClusterManager {
    /// Replaces node ids in a message by `host:port`.
    func humanize(_ s: String) -> String {
        var out = s
        for n in nodes where out.contains(n.id) { out = out.replacingAll(n.id, with: "\(n.address)") }
        return out
    }

    func stepText(_ step: FixStep, slot: Int) -> String {
        func a(_ id: String) -> String { node(id: id).map { "\($0.address)" } ?? id }
        switch step {
        case .setStable(let n): return "CLUSTER SETSLOT \(slot) STABLE on \(a(n))"
        case .claim(let n): return "CLUSTER DELSLOTS/ADDSLOTS \(slot) + BUMPEPOCH on \(a(n))"
        case .delSlot(let n): return "CLUSTER DELSLOTS \(slot) on \(a(n))"
        case .setNode(let n, let o): return "CLUSTER SETSLOT \(slot) NODE \(o) on \(a(n))"
        case .setImporting(let n, let f): return "CLUSTER SETSLOT \(slot) IMPORTING \(f) on \(a(n))"
        case .move(let f, let t, let cold): return "move the keys of slot \(slot) from \(a(f)) to \(a(t))\(cold ? " (keys only)" : "")"
        }
    }

    func stepJSON(_ step: FixStep, slot: Int) -> JSON {
        switch step {
        case .setStable(let n): return .object([("action", .string("setslot-stable")), ("node", .string(n))])
        case .claim(let n): return .object([("action", .string("claim")), ("node", .string(n))])
        case .delSlot(let n): return .object([("action", .string("delslots")), ("node", .string(n))])
        case .setNode(let n, let o):
            return .object([("action", .string("setslot-node")), ("node", .string(n)), ("owner", .string(o))])
        case .setImporting(let n, let f):
            return .object([("action", .string("setslot-importing")), ("node", .string(n)), ("from", .string(f))])
        case .move(let f, let t, let cold):
            return .object([("action", .string("move")), ("from", .string(f)), ("to", .string(t)), ("cold", .bool(cold))])
        }
    }

    /// Ignores "already unassigned" from DELSLOTS.
    func delSlots(_ n: ClusterNode, _ slots: [Int]) throws {
        let rs = try n.connection().pipeline(slots.map { ["CLUSTER", "DELSLOTS", String($0)] })
        for (s, r) in zip(slots, rs) {
            if let e = r.errorMessage, !e.contains("already unassigned") {
                throw ToolError("Node \(n.address) replied with error to DELSLOTS \(s):\n\(e)")
            }
        }
        for s in slots { n.slots.remove(s) }
    }

    func call(_ n: ClusterNode, _ args: [String], acceptable: [String] = []) throws {
        let r = try n.connection().call(args)
        if let e = r.errorMessage, !acceptable.contains(where: { e.contains($0) }) {
            throw ToolError("Node \(n.address) replied with error to \(args.joined(separator: " ")):\n\(e)")
        }
    }

    func run(_ step: FixStep, slot: Int) throws {
        let s = String(slot)
        switch step {
        case .setStable(let id):
            let n = try require(id)
            try call(n, ["CLUSTER", "SETSLOT", s, "STABLE"])
            n.migrating[slot] = nil
            n.importing[slot] = nil
        case .claim(let id):
            let n = try require(id)
            try delSlots(n, [slot])
            try call(n, ["CLUSTER", "ADDSLOTS", s])
            n.slots.insert(slot)
            try call(n, ["CLUSTER", "BUMPEPOCH"])
        case .delSlot(let id):
            try delSlots(try require(id), [slot])
        case .setNode(let id, let owner):
            let n = try require(id)
            try call(n, ["CLUSTER", "SETSLOT", s, "NODE", owner])
            n.migrating[slot] = nil
            n.importing[slot] = nil
        case .setImporting(let id, let from):
            let n = try require(id)
            try call(n, ["CLUSTER", "SETSLOT", s, "IMPORTING", from])
            n.importing[slot] = from
        case .move(let f, let t, let cold):
            try migrateKeys(src: try require(f), dst: try require(t), slots: [slot], cold: cold, fixMode: true,
                            progress: nil)
        }
    }

    /// redis-cli's `clusterManagerFixOpenSlot` for every open slot: gathers what every master says
    /// about the slot (COUNTKEYSINSLOT pipelined per master), decides with `OpenSlotFix.decide`,
    /// then runs the steps (or prints them with --dry-run). Slots that only need their keys moved
    /// from the migrating to the importing node (case 1, an interrupted reshard) are finished
    /// together, a window at a time, like a reshard. Stops at the first slot it cannot fix.
    func fixOpenSlots(_ slots: [Int]) throws -> [JSON] {
        var counts: [String: [Int]] = [:]
        for n in masters {
            let rs = try n.connection().pipeline(slots.map { ["CLUSTER", "COUNTKEYSINSLOT", String($0)] })
            counts[n.id] = try zip(slots, rs).map { s, r in
                guard let k = r.int else {
                    throw ToolError("Node \(n.address) replied with error to COUNTKEYSINSLOT \(s):\n\(r.errorMessage ?? "bad reply")")
                }
                return k
            }
        }
        var out: [JSON] = []
        var batch: [(slot: Int, from: String, to: String)] = []

        func flushBatch() throws {
            guard !batch.isEmpty else { return }
            var groups: [(from: String, to: String, slots: [Int])] = []
            for b in batch {
                if let i = groups.firstIndex(where: { $0.from == b.from && $0.to == b.to }) {
                    groups[i].slots.append(b.slot)
                } else {
                    groups.append((b.from, b.to, [b.slot]))
                }
            }
            batch.removeAll()
            for g in groups {
                let src = try require(g.from), dst = try require(g.to)
                console.log(">>> Case 1: Moving slots \(rangesText(slotRanges(g.slots.sorted()))) from \(src.address) to \(dst.address)")
                if options.dryRun { continue }
                var i = 0
                while i < g.slots.count {
                    let w = Array(g.slots[i..<min(i + max(options.window, 1), g.slots.count)])
                    try migrateKeys(src: src, dst: dst, slots: w, cold: false, fixMode: true, progress: nil)
                    i += w.count
                }
            }
        }

        for (i, slot) in slots.enumerated() {
            let facts = masters.map { n in
                OpenSlotFacts(id: n.id, owns: n.slots.contains(slot), migratingTo: n.migrating[slot],
                              importingFrom: n.importing[slot], keys: counts[n.id]?[i] ?? 0)
            }
            let fix = OpenSlotFix.decide(slot: slot, masters: facts)
            var json: [(String, JSON)] = [
                ("slot", .int(slot)), ("case", .string(fix.resolution)), ("owner", .opt(fix.owner)),
                ("keys", .object(facts.filter { $0.keys > 0 }.map { ($0.id, .int($0.keys)) })),
                ("steps", .array(fix.steps.map { stepJSON($0, slot: slot) })),
            ]
            if fix.resolution == "1", fix.steps.count == 1, case .move(let f, let t, false) = fix.steps[0] {
                if options.verbose { console.log(">>> Fixing open slot \(slot): case 1") }
                batch.append((slot, f, t))
                json.append(("error", .null))
                out.append(.object(json))
                continue
            }
            do {
                try flushBatch()
            } catch {
                console.log("\(error)")
                out.append(.object([("slot", .int(slot)), ("error", .string("\(error)"))]))
                return out
            }
            console.log(">>> Fixing open slot \(slot)")
            let addr = { (ids: [String]) in ids.compactMap { self.node(id: $0).map { "\($0.address)" } }.joined(separator: ",") }
            let mig = facts.filter { $0.migratingTo != nil }.map(\.id)
            let imp = facts.filter { $0.importingFrom != nil || ($0.keys > 0 && !$0.owns) }.map(\.id)
            if !mig.isEmpty { console.log("Set as migrating in: \(addr(mig))") }
            if !imp.isEmpty { console.log("Set as importing in: \(addr(imp))") }
            for m in fix.messages { console.log(humanize(m)) }
            if let e = fix.error {
                console.log(humanize(e))
                json.append(("error", .string(humanize(e))))
                out.append(.object(json))
                return out
            }
            if options.dryRun {
                for st in fix.steps { console.log("  (dry run) would \(stepText(st, slot: slot))") }
                json.append(("error", .null))
                out.append(.object(json))
                continue
            }
            do {
                for st in fix.steps {
                    if options.verbose { console.log("  \(stepText(st, slot: slot))") }
                    try run(st, slot: slot)
                }
                json.append(("error", .null))
                out.append(.object(json))
            } catch {
                console.log("\(error)")
                json.append(("error", .string("\(error)")))
                out.append(.object(json))
                return out
            }
        }
        do {
            try flushBatch()
        } catch {
            console.log("\(error)")
            out.append(.object([("error", .string("\(error)"))]))
        }
        return out
    }

    /// redis-cli's `clusterManagerFixSlotsCoverage`: every uncovered slot goes to the master that
    /// has keys for it (most keys when several; their keys move there), or to a random master.
    func fixSlotsCoverage(_ uncovered: [Int]) throws -> JSON {
        console.log(">>> Fixing slots coverage...")
        console.log("List of not covered slots: \n\(rangesText(slotRanges(uncovered)))")
        var keys: [Int: [(String, Int)]] = [:]
        for n in masters {
            let rs = try n.connection().pipeline(uncovered.map { ["CLUSTER", "COUNTKEYSINSLOT", String($0)] })
            for (s, r) in zip(uncovered, rs) {
                guard let k = r.int else {
                    throw ToolError("Node \(n.address) replied with error:\n\(r.errorMessage ?? "bad reply")")
                }
                if k > 0 { keys[s, default: []].append((n.id, k)) }
            }
        }
        for s in uncovered where keys[s] != nil {
            let where_ = keys[s]!.compactMap { node(id: $0.0).map { "\($0.address)" } }.joined(separator: ", ")
            console.log("Slot \(s) has keys in \(keys[s]!.count) nodes: \(where_)")
        }
        let fix = CoverageFix.decide(uncovered: uncovered, keys: keys, masters: masters.map(\.id), using: &rng)
        var done: [JSON] = []
        var failed: String?

        func assign(_ list: [CoverageFix.SlotAssignment], title: String, question: String) throws {
            guard !list.isEmpty else { return }
            console.log(title)
            console.log(rangesText(slotRanges(list.map(\.slot).sorted())))
            if options.dryRun {
                for a in list { console.log("  (dry run) would cover slot \(a.slot) with \(humanize(a.owner))") }
                return
            }
            guard options.yes || console.confirm(question) else { return }
            var byOwner: [String: [Int]] = [:]
            var order: [String] = []
            for a in list {
                if byOwner[a.owner] == nil { order.append(a.owner) }
                byOwner[a.owner, default: []].append(a.slot)
            }
            for id in order {
                let n = try require(id), slots = byOwner[id]!
                console.log(">>> Covering slots \(rangesText(slotRanges(slots.sorted()))) with \(n.address)")
                try delSlots(n, slots)
                try call(n, ["CLUSTER", "ADDSLOTS"] + slots.map(String.init))
                for s in slots { n.slots.insert(s) }
                try call(n, ["CLUSTER", "BUMPEPOCH"])
                done.append(.object([("owner", .string(id)), ("slots", .string(rangesText(slotRanges(slots.sorted()))))]))
            }
        }
        do {
            try assign(fix.noKeys, title: "The following uncovered slots have no keys across the cluster:",
                       question: "Fix these slots by covering with a random node?")
            try assign(fix.singleNode, title: "The following uncovered slots have keys in just one node:",
                       question: "Fix these slots by covering with those nodes?")
            if !fix.multipleNodes.isEmpty {
                console.log("The following uncovered slots have keys in multiple nodes:")
                console.log(rangesText(slotRanges(fix.multipleNodes.map(\.slot).sorted())))
                if options.dryRun {
                    for a in fix.multipleNodes {
                        console.log("  (dry run) would cover slot \(a.slot) with \(humanize(a.owner)), moving keys from "
                                    + a.movesFrom.map(humanize).joined(separator: ", "))
                    }
                } else if options.yes || console.confirm("Fix these slots by moving keys into a single node?") {
                    for a in fix.multipleNodes {
                        let target = try require(a.owner)
                        let s = String(a.slot)
                        console.log(">>> Covering slot \(a.slot) moving keys to \(target.address)")
                        try run(.claim(node: a.owner), slot: a.slot)
                        try call(target, ["CLUSTER", "SETSLOT", s, "STABLE"])
                        for srcId in a.movesFrom {
                            let src = try require(srcId)
                            try call(src, ["CLUSTER", "SETSLOT", s, "NODE", a.owner])
                            try call(src, ["CLUSTER", "SETSLOT", s, "IMPORTING", a.owner])
                            try migrateKeys(src: src, dst: target, slots: [a.slot], cold: true, fixMode: true,
                                            progress: nil)
                            try call(src, ["CLUSTER", "SETSLOT", s, "STABLE"])
                        }
                        done.append(.object([("owner", .string(a.owner)), ("slots", .string(s)),
                                             ("moved_from", .array(a.movesFrom.map { .string($0) }))]))
                    }
                }
            }
        } catch {
            failed = "\(error)"
            console.log("\(error)")
        }
        return .object([("coverage", .array(done)), ("error", .opt(failed))])
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension Substring {
    func range(of s: String) -> Range<Substring.Index>? {
        guard !s.isEmpty, s.count <= count else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(s) { return i..<index(i, offsetBy: s.count) }
            i = index(after: i)
        }
        return nil
    }
}
