#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of one tool command: success and the JSON document printed with --json.
public struct CommandResult {
    public var ok: Bool
    public var json: JSON
    public init(ok: Bool, json: JSON) {
        self.ok = ok
        self.json = json
    }
}

extension ClusterManager {
    // MARK: - create

    public func create(_ addresses: [HostPort], replicas: Int) throws -> CommandResult {
        var created: [ClusterNode] = []
        for hp in addresses {
            let (n, _) = try loadNode(hp)
            let empty = n.info["db0"] == nil && n.knownNodes == 1
            if !empty {
                throw ToolError("[ERR] Node \(hp) is not empty. Either the node already knows other nodes "
                                + "(check with CLUSTER NODES) or contains some key in database 0.")
            }
            created.append(n)
        }
        nodes = created
        let hosts = created.map(\.address.host)
        let alloc = try CreateAllocation.plan(hosts: hosts, replicas: replicas, using: &rng)
        console.log(">>> Performing hash slots allocation on \(created.count) nodes...")
        for (i, r) in alloc.slotRanges.enumerated() {
            console.log("Master[\(i)] -> Slots \(r.lowerBound) - \(r.upperBound)")
        }
        for (r, m) in alloc.replicaOf.sorted(by: { $0.key < $1.key }) {
            console.log("Adding replica \(created[r].address) to \(created[m].address)")
        }
        if alloc.replicaOf.count > 0 {
            switch alloc.antiAffinityScore {
            case 0: console.log("[OK] Perfect anti-affinity obtained!")
            case 10000...: console.log("[WARNING] Some slaves are in the same host as their master")
            default: console.log("[WARNING] Some slaves of the same master are in the same host")
            }
        }
        // The planned configuration, shown like redis-cli.
        for (i, m) in alloc.masters.enumerated() {
            created[m].slots = SlotSet(alloc.slotRanges[i])
            created[m].flags = ["master"]
        }
        for (r, m) in alloc.replicaOf {
            created[r].masterId = created[m].id
            created[r].flags = ["slave"]
        }
        countReplicas()
        for n in created {
            if let m = n.masterId {
                console.log("S: \(n.id) \(n.address)\n   replicates \(m)")
            } else {
                console.log(nodeInfo(n))
            }
        }
        let planJSON: JSON = .object([
            ("masters", .array(alloc.masters.enumerated().map { i, m in
                .object([("id", .string(created[m].id)), ("addr", .string(created[m].name)),
                         ("slots", .string(rangesText([alloc.slotRanges[i]])))])
            })),
            ("replicas", .array(alloc.replicaOf.sorted(by: { $0.key < $1.key }).map { r, m in
                .object([("id", .string(created[r].id)), ("addr", .string(created[r].name)),
                         ("master_id", .string(created[m].id)), ("master_addr", .string(created[m].name))])
            })),
            ("anti_affinity_score", .int(alloc.antiAffinityScore)),
        ])
        if options.dryRun {
            return CommandResult(ok: true, json: .object([("command", .string("create")), ("dry_run", .bool(true)),
                                                          ("plan", planJSON)]))
        }
        guard options.yes || console.confirm("Can I set the above configuration?") else {
            return CommandResult(ok: false, json: .object([("command", .string("create")), ("plan", planJSON),
                                                           ("ok", .bool(false)), ("error", .string("not confirmed"))]))
        }
        for (i, m) in alloc.masters.enumerated() {
            let n = created[m], r = alloc.slotRanges[i]
            var reply = try n.connection().call("CLUSTER", "ADDSLOTSRANGE", String(r.lowerBound), String(r.upperBound))
            if let e = reply.errorMessage, Self.isUnsupported(e) || e.contains("Unknown subcommand") {
                reply = try n.connection().call(["CLUSTER", "ADDSLOTS"] + r.map(String.init))
            }
            if let e = reply.errorMessage { throw ToolError("Node \(n.address) replied with error:\n\(e)") }
        }
        console.log(">>> Nodes configuration updated")
        console.log(">>> Assign a different config epoch to each node")
        for (i, n) in created.enumerated() {
            _ = try n.connection().call("CLUSTER", "SET-CONFIG-EPOCH", String(i + 1))
        }
        console.log(">>> Sending CLUSTER MEET messages to join the cluster")
        let first = created[0]
        for n in created.dropFirst() {
            try call(n, ["CLUSTER", "MEET", first.address.host, String(first.address.port)])
        }
        usleep(1_000_000)
        try waitForClusterJoin()
        for (r, m) in alloc.replicaOf.sorted(by: { $0.key < $1.key }) {
            let n = created[r]
            var lastError = ""
            let deadline = monotonicSeconds() + 30
            while true {
                let reply = try n.connection().call("CLUSTER", "REPLICATE", created[m].id)
                if reply.errorMessage == nil { break }
                lastError = reply.errorMessage!
                if monotonicSeconds() > deadline { throw ToolError("Node \(n.address) replied with error:\n\(lastError)") }
                usleep(200_000)
            }
        }
        try reload()
        let rep = try check()
        return CommandResult(ok: rep.ok, json: .object([
            ("command", .string("create")), ("plan", planJSON), ("ok", .bool(rep.ok)), ("check", checkJSON(rep)),
        ]))
    }

    // MARK: - add-node / del-node

    public func addNode(_ newAddr: HostPort, existing: HostPort, replicaOf: String?, asReplica: Bool) throws -> CommandResult {
        console.log(">>> Adding node \(newAddr) to cluster \(existing)")
        try load(from: existing)
        let rep = try check()
        guard rep.ok else {
            return CommandResult(ok: false, json: .object([("command", .string("add-node")), ("ok", .bool(false)),
                                                           ("check", checkJSON(rep))]))
        }
        var master: ClusterNode?
        if let id = replicaOf {
            guard let m = resolve(id), m.isMaster else { throw ToolError("[ERR] No such master ID \(id)") }
            master = m
        } else if asReplica {
            master = masters.min { $0.replicasCount < $1.replicasCount }
            if let m = master { console.log("Automatically selected master \(m.address)") }
        }
        let newConn: RedisConnection
        do { newConn = try connect(newAddr) } catch {
            throw ToolError("[ERR] Sorry, can't connect to node \(newAddr)")
        }
        let (newNode, _) = try loadNode(newAddr, conn: newConn)
        guard newNode.info["db0"] == nil && newNode.knownNodes == 1 else {
            throw ToolError("[ERR] Node \(newAddr) is not empty. Either the node already knows other nodes "
                            + "(check with CLUSTER NODES) or contains some key in database 0.")
        }
        let first = nodes[0]
        // Functions (Redis 7): copy them to the new node, as redis-cli does.
        let dump = try first.connection().call("FUNCTION", "DUMP")
        if let payload = dump.bytes, !payload.isEmpty {
            let list = try newConn.call("FUNCTION", "LIST")
            if let l = list.array, !l.isEmpty {
                throw ToolError(">>> New node already contains functions and can not be added to the cluster. Use FUNCTION FLUSH and try again.")
            }
            console.log(">>> Send FUNCTION RESTORE to \(newAddr)")
            let r = try newConn.callBytes([Array("FUNCTION".utf8), Array("RESTORE".utf8), payload])
            if let e = r.errorMessage { throw ToolError(">>> Failed loading functions to the new node (error = '\(e)')") }
        }
        nodes.append(newNode)
        console.log(">>> Send CLUSTER MEET to node \(newAddr) to make it join the cluster.")
        try call(newNode, ["CLUSTER", "MEET", first.address.host, String(first.address.port)])
        // Wait until every node knows the new one (redis-cli waits only for replicas).
        usleep(300_000)
        try waitForClusterJoin(extra: { [nodes] in
            nodes.allSatisfy { n in
                guard let t = try? n.connection().call("CLUSTER", "NODES").string,
                      let recs = try? parseClusterNodes(t) else { return false }
                return recs.contains { $0.id == newNode.id && !$0.has("handshake") }
                    && recs.count >= nodes.count
            }
        })
        try waitForClusterStateOK([newNode], timeout: options.joinTimeout)
        if let m = master {
            console.log(">>> Configure node as replica of \(m.address).")
            try call(newNode, ["CLUSTER", "REPLICATE", m.id])
        }
        console.log("[OK] New node added correctly.")
        return CommandResult(ok: true, json: .object([
            ("command", .string("add-node")), ("ok", .bool(true)), ("id", .string(newNode.id)),
            ("addr", .string(newNode.name)), ("replica_of", .opt(master?.id)),
        ]))
    }

    public func delNode(at addr: HostPort, id: String) throws -> CommandResult {
        console.log(">>> Removing node \(id) from cluster \(addr)")
        try load(from: addr)
        guard let victim = resolve(id) else { throw ToolError("[ERR] No such node ID \(id)") }
        guard victim.slots.isEmpty else {
            throw ToolError("[ERR] Node \(victim.address) is not empty! Reshard data away and try again.")
        }
        console.log(">>> Sending CLUSTER FORGET messages to the cluster...")
        var reassigned: [JSON] = []
        for n in nodes where n !== victim {
            if n.masterId == victim.id {
                let candidates = masters.filter { $0 !== victim }
                guard let m = candidates.min(by: { $0.replicasCount < $1.replicasCount }) else {
                    throw ToolError("[ERR] No master left to replicate")
                }
                console.log(">>> \(n.address) as replica of \(m.address)")
                try call(n, ["CLUSTER", "REPLICATE", m.id])
                m.replicasCount += 1
                reassigned.append(.object([("node", .string(n.id)), ("master", .string(m.id))]))
            }
            try call(n, ["CLUSTER", "FORGET", victim.id])
        }
        console.log(">>> Sending CLUSTER RESET SOFT to the deleted node.")
        try call(victim, ["CLUSTER", "RESET", "SOFT"])
        return CommandResult(ok: true, json: .object([
            ("command", .string("del-node")), ("ok", .bool(true)), ("id", .string(victim.id)),
            ("addr", .string(victim.name)), ("replicas_reassigned", .array(reassigned)),
        ]))
    }

    // MARK: - reshard / rebalance

    func runningSlotMigrations() -> [String] {
        var out: [String] = []
        for n in masters where n.isShoal {
            for e in (try? slotMigrations(on: n)) ?? [] where e.state == "running" {
                out.append("\(n.address): \(rangesText(e.ranges))")
            }
        }
        return out
    }

    func planAndRun(command: String, moves: [SlotMove], extra: [(String, JSON)], confirm question: String?) throws
        -> CommandResult {
        var plan = MovePlan(moves: moves)
        plan.keys = try keyCounts(moves)
        if options.dryRun { try estimateBytes(&plan) }
        showPlan(plan, perSlot: options.verbose)
        var doc: [(String, JSON)] = [("command", .string(command)), ("dry_run", .bool(options.dryRun))] + extra
        doc.append(("plan", planJSON(plan)))
        if options.dryRun {
            doc.append(("ok", .bool(true)))
            return CommandResult(ok: true, json: .object(doc))
        }
        if let q = question, !options.yes, !console.confirm(q) {
            doc.append(("ok", .bool(false)))
            doc.append(("error", .string("not confirmed")))
            return CommandResult(ok: false, json: .object(doc))
        }
        installInterruptHandler()
        let summary = execute(plan)
        if let e = summary.error { console.error(e) }
        if summary.interrupted {
            console.log("*** Interrupted after \(summary.slotsMoved) of \(plan.moves.count) slots; the slots moved "
                        + "so far are closed. Run the command again to move the rest.")
        }
        let rate = summary.seconds > 0 ? Double(summary.keysMoved) / summary.seconds : 0
        console.log("[\(summary.error == nil && !summary.interrupted ? "OK" : "ERR")] Moved \(summary.slotsMoved) slots, "
                    + "\(summary.keysMoved) keys in \(formatFixed(summary.seconds, 2))s (\(Int(rate.rounded())) keys/s)")
        if options.verbose && !phaseTimes.isEmpty {
            console.log("Time per phase: " + phaseTimes.sorted { $0.key < $1.key }
                .map { "\($0.key) \(formatFixed($0.value, 3))s" }.joined(separator: ", "))
        }
        doc.append(("result", summary.json))
        let ok = summary.error == nil && !summary.interrupted
        doc.append(("ok", .bool(ok)))
        return CommandResult(ok: ok, json: .object(doc))
    }

    public func reshard(at addr: HostPort, from: String, to: String, slots: Int) throws -> CommandResult {
        try load(from: addr)
        let rep = try check()
        if !rep.ok {
            throw ToolError("*** Please fix your cluster problems before resharding")
        }
        let running = runningSlotMigrations()
        if !running.isEmpty {
            throw ToolError("*** Slot migrations are running (\(running.joined(separator: "; "))); wait for them to finish")
        }
        guard slots > 0 && slots <= clusterSlots else {
            throw ToolError("*** The number of slots must be between 1 and \(clusterSlots)")
        }
        guard let target = resolve(to), target.isMaster else {
            throw ToolError("*** The specified node (\(to)) is not known or not a master, please retry.")
        }
        var sources: [ClusterNode] = []
        let parts = from.split(separator: ",").map { String($0).trimmingCharacters() }.filter { !$0.isEmpty }
        if parts.contains("all") {
            sources = masters.filter { $0 !== target }
        } else {
            for p in parts {
                guard let n = resolve(p), n.isMaster else {
                    throw ToolError("*** The specified node (\(p)) is not known or not a master, please retry.")
                }
                if n === target { throw ToolError("*** It is not possible to use the target node as source node.") }
                if !sources.contains(where: { $0 === n }) { sources.append(n) }
            }
        }
        if sources.isEmpty { throw ToolError("*** No source nodes given, operation aborted.") }
        console.log("\nReady to move \(slots) slots.")
        console.log("  Source nodes:")
        for s in sources { console.log(nodeInfo(s, indent: 4)) }
        console.log("  Destination node:")
        console.log(nodeInfo(target, indent: 4))
        let table = ReshardTable.compute(sources: sources.map { MasterSlots(id: $0.id, slots: $0.slots) },
                                         numSlots: slots)
        let moves = table.map { SlotMove(slot: $0.slot, source: $0.source, target: target.id) }
        console.log("  Resharding plan:")
        return try planAndRun(command: "reshard", moves: moves,
                              extra: [("target", .string(target.id)), ("sources", .array(sources.map { .string($0.id) }))],
                              confirm: "Do you want to proceed with the proposed reshard plan (yes/no)?")
    }

    public func rebalance(at addr: HostPort, weights: [String], useEmptyMasters: Bool, threshold: Float) throws
        -> CommandResult {
        try load(from: addr)
        for w in weights {
            let parts = w.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Float(parts[1]) else { throw ToolError("*** invalid input \(w)") }
            guard let n = resolve(String(parts[0])), n.isMaster else {
                throw ToolError("*** No such master node \(parts[0])")
            }
            n.weight = value
        }
        let rep = try check(quiet: true)
        if !rep.ok { throw ToolError("*** Please fix your cluster problems before rebalancing") }
        let running = runningSlotMigrations()
        if !running.isEmpty {
            throw ToolError("*** Slot migrations are running (\(running.joined(separator: "; "))); wait for them to finish")
        }
        let plan = RebalancePlan.compute(
            masters: masters.map { MasterSlots(id: $0.id, slots: $0.slots, weight: $0.weight) },
            useEmptyMasters: useEmptyMasters, threshold: threshold)
        let balances: JSON = .array(plan.nodes.map {
            .object([("id", .string($0.id)), ("slots", .int($0.slots)), ("weight", .double(Double($0.weight))),
                     ("expected", .int($0.expected)), ("balance", .int($0.balance))])
        })
        if !plan.thresholdReached {
            console.log("*** No rebalancing needed! All nodes are within the \(formatFixed(Double(threshold), 2))% threshold.")
            return CommandResult(ok: true, json: .object([
                ("command", .string("rebalance")), ("dry_run", .bool(options.dryRun)), ("balanced", .bool(true)),
                ("nodes", balances), ("plan", planJSON(MovePlan(moves: []))), ("ok", .bool(true)),
            ]))
        }
        console.log(">>> Rebalancing across \(plan.nodes.count) nodes. Total weight = \(formatFixed(Double(plan.totalWeight), 2))")
        if options.verbose {
            for b in plan.nodes {
                if let n = node(id: b.id) { console.log("\(n.address) balance is \(b.balance) slots") }
            }
        }
        for t in plan.transfers {
            if let s = node(id: t.source), let d = node(id: t.target) {
                console.log("Moving \(t.count) slots from \(s.address) to \(d.address)")
            }
        }
        return try planAndRun(command: "rebalance", moves: plan.moves,
                              extra: [("balanced", .bool(false)), ("nodes", balances)], confirm: nil)
    }

    // MARK: - fix / check / info / call

    public func fix(at addr: HostPort) throws -> CommandResult {
        try load(from: addr)
        _ = try showClusterInfo()
        let rep = try check(fix: true)
        if options.dryRun {
            return CommandResult(ok: true, json: .object([("command", .string("fix")), ("dry_run", .bool(true)),
                                                          ("check", checkJSON(rep)), ("fixes", .array(rep.fixed))]))
        }
        // Verify: let the nodes settle (gossip), reload everything and check again.
        let deadline = monotonicSeconds() + 20
        while !isConfigConsistent() && monotonicSeconds() < deadline { usleep(100_000) }
        try reload()
        console.log(">>> Checking the cluster after the fix")
        let after = try check(quiet: true)
        return CommandResult(ok: after.ok, json: .object([
            ("command", .string("fix")), ("dry_run", .bool(false)), ("before", checkJSON(rep)),
            ("fixes", .array(rep.fixed)), ("after", checkJSON(after)), ("ok", .bool(after.ok)),
        ]))
    }

    public func checkCommand(at addr: HostPort) throws -> CommandResult {
        try load(from: addr)
        let info = try showClusterInfo()
        let rep = try check()
        return CommandResult(ok: rep.ok, json: .object([("command", .string("check")), ("info", info),
                                                        ("check", checkJSON(rep)), ("ok", .bool(rep.ok))]))
    }

    public func infoCommand(at addr: HostPort) throws -> CommandResult {
        try load(from: addr)
        let info = try showClusterInfo()
        return CommandResult(ok: true, json: .object([("command", .string("info")), ("nodes", .array(nodes.map { nodeJSON($0) })),
                                                      ("info", info)]))
    }

    public enum CallTargets: String, Sendable { case all, masters, replicas }

    public func callCommand(at addr: HostPort, args: [String], targets: CallTargets) throws -> CommandResult {
        try load(from: addr)
        console.log(">>> Calling \(args.joined(separator: " "))")
        var out: [JSON] = []
        for n in nodes {
            if targets == .masters && !n.isMaster { continue }
            if targets == .replicas && n.isMaster { continue }
            do {
                let r = try n.connection().call(args)
                console.log("\(n.address): \(r.rawText)")
                out.append(.object([("id", .string(n.id)), ("addr", .string(n.name)), ("reply", replyJSON(r)),
                                    ("error", .opt(r.errorMessage))]))
            } catch {
                console.log("\(n.address): Failed!")
                out.append(.object([("id", .string(n.id)), ("addr", .string(n.name)), ("reply", .null),
                                    ("error", .string("\(error)"))]))
            }
        }
        return CommandResult(ok: true, json: .object([("command", .string("call")), ("replies", .array(out))]))
    }

    func replyJSON(_ r: Reply) -> JSON {
        switch r {
        case .status(let s): return .string(s)
        case .error(let e): return .string(e)
        case .integer(let i): return .int(Int(i))
        case .bulk(let b?): return .string(String(decoding: b, as: UTF8.self))
        case .bulk(nil), .array(nil), .null: return .null
        case .array(let a?): return .array(a.map(replyJSON))
        case .double(let d): return .double(d)
        case .boolean(let b): return .bool(b)
        case .map(let pairs): return .object(pairs.map { ($0.key.rawText, replyJSON($0.value)) })
        }
    }
}
