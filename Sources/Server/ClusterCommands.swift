#if canImport(Glibc)
import Glibc
#endif
import Cluster
import ClusterBus
import Commands
import Keyspace
import RESP

private typealias Arg = CommandArgument

/// CLUSTER, READONLY, READWRITE, ASKING: the node's face of the cluster state machine. Parsing
/// and reply shapes live here; every rule lives in `ClusterState`.
extension ShoalServer {
    func clusterCommands() -> [CommandSpec] {
        let connectionFlags = ["fast", "loading", "stale"]
        return [
            CommandSpec(
                name: "cluster", arity: -2, flags: [], aclCategories: ["slow"],
                summary: "A container for Redis Cluster commands.", since: "3.0.0", group: "cluster",
                subcommands: clusterSubcommands()),
            CommandSpec(
                name: "readonly", arity: 1, flags: connectionFlags, aclCategories: ["fast", "connection"],
                summary: "Enables read-only queries for a connection to a Redis Cluster replica node.",
                since: "3.0.0", group: "cluster"
            ) { [unowned self] ctx in
                guard clusterOrError(&ctx) != nil else { return }
                ctx.connection.clusterReadOnly = true
                ctx.reply.ok()
            },
            CommandSpec(
                name: "readwrite", arity: 1, flags: connectionFlags, aclCategories: ["fast", "connection"],
                summary: "Enables read-write queries for a connection to a Redis Cluster replica node.",
                since: "3.0.0", group: "cluster"
            ) { [unowned self] ctx in
                guard clusterOrError(&ctx) != nil else { return }
                ctx.connection.clusterReadOnly = false
                ctx.reply.ok()
            },
            CommandSpec(
                name: "asking", arity: 1, flags: ["fast"], aclCategories: ["fast", "connection"],
                summary: "Signals that a cluster client is following an -ASK redirect.", since: "3.0.0",
                group: "cluster"
            ) { [unowned self] ctx in
                guard clusterOrError(&ctx) != nil else { return }
                ctx.connection.asking = true
                ctx.reply.ok()
            },
        ]
    }

    /// The cluster service, or nil after replying Redis's error for a node outside cluster mode.
    fileprivate func clusterOrError(_ ctx: inout CommandContext) -> ClusterService? {
        guard let cluster else {
            ctx.reply.error("ERR This instance has cluster support disabled")
            return nil
        }
        return cluster
    }

    private func clusterSubcommands() -> [CommandSpec] {
        func sub(
            _ name: String, _ arity: Int, _ summary: String, since: String, flags: [String] = ["stale"],
            admin: Bool = false, arguments: [CommandArgument] = [],
            _ body: @escaping @Sendable (inout CommandContext, ClusterService) -> Void
        ) -> CommandSpec {
            CommandSpec(
                name: name, arity: arity, flags: admin ? ["admin"] + flags : flags,
                aclCategories: admin ? ["admin", "dangerous", "slow"] : ["slow"],
                summary: summary, since: since, group: "cluster", arguments: arguments
            ) { [unowned self] ctx in
                guard let cluster = clusterOrError(&ctx) else { return }
                body(&ctx, cluster)
            }
        }
        let adminFlags = ["no_async_loading", "stale"]
        let migration = slotMigrationSubcommands { name, arity, summary, since, arguments, body in
            sub(name, arity, summary, since: since, flags: adminFlags, admin: true, arguments: arguments, body)
        }
        return migration + [
            sub("info", 2, "Returns information about the state of a node.", since: "3.0.0") { ctx, cluster in
                let fields = (try? cluster.read { state, now in state.infoFields(now: now) }) ?? []
                ctx.reply.verbatim(fields.map { "\($0.0):\($0.1)\r\n" }.joined())
            },
            sub("myid", 2, "Returns the ID of a node.", since: "3.0.0") { ctx, cluster in
                ctx.reply.bulk((try? cluster.read { state, _ in state.myName.text }) ?? "")
            },
            sub("myshardid", 2, "Returns the shard ID of a node.", since: "7.2.0") { ctx, cluster in
                ctx.reply.bulk((try? cluster.read { state, _ in state.myShardID }) ?? "")
            },
            sub("nodes", 2, "Returns the cluster configuration for a node.", since: "3.0.0") { ctx, cluster in
                ctx.reply.verbatim((try? cluster.read { state, now in state.nodesDescription(now: now) }) ?? "")
            },
            sub("slots", 2, "Returns the mapping of cluster slots to nodes.", since: "3.0.0") {
                [unowned self] ctx, cluster in
                let ranges = (try? cluster.read { state, _ in state.slotRanges() }) ?? []
                ctx.reply.arrayHeader(ranges.count)
                for range in ranges {
                    ctx.reply.arrayHeader(2 + range.nodes.count)
                    ctx.reply.integer(range.start)
                    ctx.reply.integer(range.end)
                    for node in range.nodes { writeSlotNode(node, &ctx) }
                }
            },
            sub("shards", 2, "Returns the mapping of cluster slots to shards.", since: "7.0.0") {
                [unowned self] ctx, cluster in
                let shards = (try? cluster.read { state, _ in state.shards() }) ?? []
                ctx.reply.arrayHeader(shards.count)
                for shard in shards {
                    ctx.reply.mapHeader(2)
                    ctx.reply.bulk("slots")
                    ctx.reply.arrayHeader(shard.ranges.count * 2)
                    for range in shard.ranges {
                        ctx.reply.integer(range.lowerBound)
                        ctx.reply.integer(range.upperBound)
                    }
                    ctx.reply.bulk("nodes")
                    ctx.reply.arrayHeader(shard.nodes.count)
                    for node in shard.nodes { writeShardNode(node, &ctx) }
                }
            },
            sub("meet", -4, "Forces a node to handshake with another node.", since: "3.0.0", flags: adminFlags,
                admin: true,
                arguments: [Arg("ip", .string), Arg("port", .integer), Arg("cluster_bus_port", .integer, optional: true, since: "4.0.0")]
            ) { ctx, cluster in
                guard ctx.args.count <= 5 else {
                    ctx.reply.error(CommandError.wrongArity("cluster|meet"))
                    return
                }
                let host = ctx.args[2].string
                guard let port = ctx.args[3].parseInt64(), port >= 0, port <= 65535 else {
                    ctx.reply.error("ERR Invalid TCP base port specified: \(ctx.args[3].string)")
                    return
                }
                var busPort = port + 10000
                if ctx.args.count == 5 {
                    guard let p = ctx.args[4].parseInt64(), p >= 0, p <= 65535 else {
                        ctx.reply.error("ERR Invalid TCP bus port specified: \(ctx.args[4].string)")
                        return
                    }
                    busPort = p
                }
                guard let ip = ShoalServer.normalizedIP(host), port > 0, busPort > 0, busPort <= 65535 else {
                    ctx.reply.error("ERR Invalid node address specified: \(host):\(ctx.args[3].string)")
                    return
                }
                do throws(ClusterCommandError) {
                    try cluster.command { state, now throws(ClusterCommandError) in
                        ((), try state.meet(ip: ip, port: Int(port), busPort: Int(busPort), now: now))
                    }
                    ctx.reply.ok()
                } catch {
                    ctx.reply.error(error.message)
                }
            },
            sub("addslots", -3, "Assigns new hash slots to a node.", since: "3.0.0", flags: adminFlags, admin: true,
                arguments: [Arg("slot", .integer, multiple: true)]
            ) { ctx, cluster in
                guard let slots = ShoalServer.parseSlots(&ctx, from: 2) else { return }
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.addSlots(slots, now: now)
                }
            },
            sub("addslotsrange", -4, "Assigns new hash slot ranges to a node.", since: "7.0.0", flags: adminFlags,
                admin: true,
                arguments: [Arg("start-slot_end-slot", .block, multiple: true, arguments: [Arg("start-slot", .integer), Arg("end-slot", .integer)])]
            ) { ctx, cluster in
                guard let slots = ShoalServer.parseSlotRanges(&ctx, command: "cluster|addslotsrange") else { return }
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.addSlots(slots, now: now)
                }
            },
            sub("delslots", -3, "Sets hash slots as unbound for a node.", since: "3.0.0", flags: adminFlags, admin: true,
                arguments: [Arg("slot", .integer, multiple: true)]
            ) { ctx, cluster in
                guard let slots = ShoalServer.parseSlots(&ctx, from: 2) else { return }
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.deleteSlots(slots, now: now)
                }
            },
            sub("delslotsrange", -4, "Sets hash slot ranges as unbound for a node.", since: "7.0.0",
                flags: adminFlags, admin: true,
                arguments: [Arg("start-slot_end-slot", .block, multiple: true, arguments: [Arg("start-slot", .integer), Arg("end-slot", .integer)])]
            ) { ctx, cluster in
                guard let slots = ShoalServer.parseSlotRanges(&ctx, command: "cluster|delslotsrange") else { return }
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.deleteSlots(slots, now: now)
                }
            },
            sub("flushslots", 2, "Deletes all slots information from a node.", since: "3.0.0", flags: adminFlags,
                admin: true
            ) { [unowned self] ctx, cluster in
                guard keyspace.keyCount(db: 0) == 0 else {
                    ctx.reply.error("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
                    return
                }
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now in state.flushSlots(now: now) }
            },
            sub("keyslot", 3, "Returns the hash slot for a key.", since: "3.0.0", arguments: [Arg("key", .string)]) {
                ctx, _ in
                ctx.reply.integer(keyHashSlot(ctx.args[2]))
            },
            sub("countkeysinslot", 3, "Returns the number of keys in a hash slot.", since: "3.0.0",
                arguments: [Arg("slot", .integer)]
            ) { [unowned self] ctx, _ in
                guard let slot = ctx.args[2].parseInt64() else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                guard slot >= 0 && slot < 16384 else {
                    ctx.reply.error("ERR Invalid slot")
                    return
                }
                keyspace.lock(slot: Int(slot))
                let count = keyspace.keyCount(db: 0, slot: Int(slot))
                keyspace.unlock(slot: Int(slot))
                ctx.reply.integer(count)
            },
            sub("getkeysinslot", 4, "Returns the key names in a hash slot.", since: "3.0.0",
                arguments: [Arg("slot", .integer), Arg("count", .integer)]
            ) { [unowned self] ctx, _ in
                guard let slot = ctx.args[2].parseInt64(), let count = ctx.args[3].parseInt64() else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                guard count >= 0, slot >= 0, slot < 16384 else {
                    ctx.reply.error("ERR Invalid slot or number of keys")
                    return
                }
                keyspace.lock(slot: Int(slot))
                let keys = keyspace.keys(db: 0, slot: Int(slot), limit: Int(count), now: ctx.now)
                keyspace.unlock(slot: Int(slot))
                ctx.reply.arrayHeader(keys.count)
                for key in keys { key.withUnsafeBytes { ctx.reply.bulk($0) } }
            },
            sub("setslot", -4, "Binds a hash slot to a node.", since: "3.0.0", flags: adminFlags, admin: true,
                arguments: [
                    Arg("slot", .integer),
                    Arg("subcommand", .oneof, arguments: [
                        Arg("node-id", .string, token: "IMPORTING"), Arg("node-id", .string, token: "MIGRATING"),
                        Arg("node-id", .string, token: "NODE"), Arg("stable", .pureToken, token: "STABLE"),
                    ]),
                ]
            ) { [unowned self] ctx, cluster in
                guard let n = ctx.args[2].parseInt64(), n >= 0, n < 16384 else {
                    ctx.reply.error("ERR Invalid or out of range slot")
                    return
                }
                let slot = Int(n)
                let action: SetSlotAction
                let verb = ctx.args[3]
                if ctx.args.count == 4 && verb.equalsIgnoringCase("stable") {
                    action = .stable
                } else if ctx.args.count == 5 && verb.equalsIgnoringCase("migrating") {
                    action = .migrating(ctx.args[4].string)
                } else if ctx.args.count == 5 && verb.equalsIgnoringCase("importing") {
                    action = .importing(ctx.args[4].string)
                } else if ctx.args.count == 5 && verb.equalsIgnoringCase("node") {
                    action = .node(ctx.args[4].string)
                } else {
                    ctx.reply.error("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
                    return
                }
                keyspace.lock(slot: slot)
                let keys = keyspace.keyCount(db: 0, slot: slot)
                keyspace.unlock(slot: slot)
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.setSlot(slot, action, keysInSlot: keys, now: now)
                }
            },
            sub("setslotrange", -5, "Binds ranges of hash slots at once (Shoal's SETSLOT for many slots).",
                since: "0.1.0", flags: adminFlags, admin: true,
                arguments: [
                    Arg("start-slot_end-slot", .block, multiple: true, arguments: [Arg("start-slot", .integer), Arg("end-slot", .integer)]),
                    Arg("subcommand", .oneof, arguments: [
                        Arg("node-id", .string, token: "IMPORTING"), Arg("node-id", .string, token: "MIGRATING"),
                        Arg("node-id", .string, token: "NODE"), Arg("stable", .pureToken, token: "STABLE"),
                    ]),
                ]
            ) { [unowned self] ctx, cluster in
                let args = ctx.args
                var slots: [Int] = []
                var i = 2
                while i + 1 < args.count, let start = args[i].parseInt64(), let end = args[i + 1].parseInt64() {
                    guard start >= 0, end < 16384, start <= end else {
                        ctx.reply.error("ERR Invalid or out of range slot")
                        return
                    }
                    slots.append(contentsOf: Int(start)...Int(end))
                    i += 2
                }
                let action: SetSlotAction
                if i + 1 == args.count && args[i].equalsIgnoringCase("stable") {
                    action = .stable
                } else if i + 2 == args.count && args[i].equalsIgnoringCase("migrating") {
                    action = .migrating(args[i + 1].string)
                } else if i + 2 == args.count && args[i].equalsIgnoringCase("importing") {
                    action = .importing(args[i + 1].string)
                } else if i + 2 == args.count && args[i].equalsIgnoringCase("node") {
                    action = .node(args[i + 1].string)
                } else {
                    ctx.reply.error("ERR Invalid CLUSTER SETSLOTRANGE action or number of arguments. Try CLUSTER HELP")
                    return
                }
                guard !slots.isEmpty else {
                    ctx.reply.error(CommandError.syntax)
                    return
                }
                var counts: [Int: Int] = [:]
                for slot in slots {
                    keyspace.lock(slot: slot)
                    counts[slot] = keyspace.keyCount(db: 0, slot: slot)
                    keyspace.unlock(slot: slot)
                }
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.setSlots(slots, action, keysInSlot: { counts[$0] ?? 0 }, now: now)
                }
            },
            sub("forget", 3, "Removes a node from the nodes table.", since: "3.0.0", flags: adminFlags, admin: true,
                arguments: [Arg("node-id", .string)]
            ) { ctx, cluster in
                let name = ctx.args[2].string
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.forget(name, now: now)
                }
            },
            sub("reset", -2, "Resets a node.", since: "3.0.0", flags: ["noscript", "stale"], admin: true,
                arguments: [Arg("hard_soft", .oneof, optional: true, arguments: [
                    Arg("hard", .pureToken, token: "HARD"), Arg("soft", .pureToken, token: "SOFT"),
                ])]
            ) { [unowned self] ctx, cluster in
                var hard = false
                if ctx.args.count == 3 {
                    if ctx.args[2].equalsIgnoringCase("hard") {
                        hard = true
                    } else if !ctx.args[2].equalsIgnoringCase("soft") {
                        ctx.reply.error(CommandError.syntax)
                        return
                    }
                } else if ctx.args.count > 3 {
                    ctx.reply.error(CommandError.syntax)
                    return
                }
                let isReplica = (try? cluster.read { state, _ in state.routingTable().myMasterIndex >= 0 }) ?? false
                if !isReplica && keyspace.keyCount(db: 0) != 0 {
                    ctx.reply.error("ERR CLUSTER RESET can't be called with master nodes containing keys")
                    return
                }
                if isReplica {
                    keyspace.lockAll()
                    _ = keyspace.flushAll()
                    keyspace.unlockAll()
                }
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now in state.reset(hard: hard, now: now) }
            },
            sub("saveconfig", 2, "Forces a node to save the cluster configuration to disk.", since: "3.0.0",
                flags: adminFlags, admin: true
            ) { ctx, cluster in
                do {
                    try cluster.saveConfig()
                    ctx.reply.ok()
                } catch {
                    ctx.reply.error("ERR error saving the cluster node config: \(error)")
                }
            },
            sub("set-config-epoch", 3, "Sets the configuration epoch for a new node.", since: "3.0.0",
                flags: adminFlags, admin: true, arguments: [Arg("config-epoch", .integer)]
            ) { ctx, cluster in
                guard let epoch = ctx.args[2].parseInt64() else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.setConfigEpoch(epoch, now: now)
                }
            },
            sub("bumpepoch", 2, "Advances the cluster config epoch.", since: "3.0.0", flags: adminFlags, admin: true) {
                ctx, cluster in
                let (bumped, epoch) = (try? cluster.command { state, now in
                    let result = state.bumpEpoch(now: now)
                    return ((result.bumped, result.epoch), result.effects)
                }) ?? (false, UInt64(0))
                ctx.reply.simpleString("\(bumped ? "BUMPED" : "STILL") \(epoch)")
            },
            sub("count-failure-reports", 3, "Returns the number of active failure reports active for a node.",
                since: "3.0.0", admin: true, arguments: [Arg("node-id", .string)]
            ) { ctx, cluster in
                let name = ctx.args[2].string
                do throws(ClusterCommandError) {
                    ctx.reply.integer(try cluster.read { state, now throws(ClusterCommandError) in
                        try state.countFailureReports(name, now: now)
                    })
                } catch {
                    ctx.reply.error(error.message)
                }
            },
            sub("links", 2, "Returns a list of all TCP links to and from peer nodes.", since: "7.0.0") { ctx, cluster in
                let links = (try? cluster.read { state, _ in state.links() }) ?? []
                ctx.reply.arrayHeader(links.count)
                for link in links {
                    ctx.reply.mapHeader(6)
                    ctx.reply.bulk("direction")
                    ctx.reply.bulk(link.direction)
                    ctx.reply.bulk("node")
                    ctx.reply.bulk(link.node.text)
                    ctx.reply.bulk("create-time")
                    ctx.reply.integer(Int(link.createTime))
                    ctx.reply.bulk("events")
                    ctx.reply.bulk(link.events)
                    ctx.reply.bulk("send-buffer-allocated")
                    ctx.reply.integer(link.sendBufferAllocated)
                    ctx.reply.bulk("send-buffer-used")
                    ctx.reply.integer(link.sendBufferUsed)
                }
            },
            sub("replicate", 3, "Configure a node as replica of a master node.", since: "3.0.0", flags: adminFlags,
                admin: true, arguments: [Arg("node-id", .string)]
            ) { [unowned self] ctx, cluster in
                let name = ctx.args[2].string
                let hasKeys = keyspace.keyCount(db: 0) != 0
                ShoalServer.runSlotCommand(&ctx, cluster) { state, now throws(ClusterCommandError) in
                    try state.replicate(name, nodeHasKeys: hasKeys, now: now)
                }
            },
            sub("replicas", 3, "Lists the replica nodes of a master node.", since: "5.0.0", admin: true,
                arguments: [Arg("node-id", .string)]
            ) { ctx, cluster in
                ShoalServer.replyReplicas(&ctx, cluster)
            },
            sub("slaves", 3, "Lists the replica nodes of a master node.", since: "3.0.0", admin: true,
                arguments: [Arg("node-id", .string)]
            ) { ctx, cluster in
                ShoalServer.replyReplicas(&ctx, cluster)
            },
            sub("help", 2, "Returns helpful text about the different subcommands.", since: "5.0.0",
                flags: ["loading", "stale"]
            ) { ctx, _ in
                let lines = ShoalServer.clusterHelp
                ctx.reply.arrayHeader(lines.count)
                for line in lines { ctx.reply.simpleString(line) }
            },
        ]
    }

    private static func replyReplicas(_ ctx: inout CommandContext, _ cluster: ClusterService) {
        let name = ctx.args[2].string
        do throws(ClusterCommandError) {
            let lines = try cluster.read { state, now throws(ClusterCommandError) in
                try state.replicasDescription(of: name, now: now)
            }
            ctx.reply.arrayHeader(lines.count)
            for line in lines { ctx.reply.bulk(line) }
        } catch {
            ctx.reply.error(error.message)
        }
    }

    /// Runs a state-changing command and replies +OK, or the command's error.
    private static func runSlotCommand(
        _ ctx: inout CommandContext, _ cluster: ClusterService,
        _ body: (ClusterState, Int64) throws(ClusterCommandError) -> [ClusterEffect]
    ) {
        do throws(ClusterCommandError) {
            try cluster.command { state, now throws(ClusterCommandError) in ((), try body(state, now)) }
            ctx.reply.ok()
        } catch {
            ctx.reply.error(error.message)
        }
    }

    /// Slot numbers from `start` on; replies "ERR Invalid or out of range slot" for a bad one.
    private static func parseSlots(_ ctx: inout CommandContext, from start: Int) -> [Int]? {
        var slots: [Int] = []
        slots.reserveCapacity(ctx.args.count - start)
        for i in start..<ctx.args.count {
            guard let n = ctx.args[i].parseInt64(), n >= 0, n < 16384 else {
                ctx.reply.error("ERR Invalid or out of range slot")
                return nil
            }
            slots.append(Int(n))
        }
        return slots
    }

    /// `start end [start end ...]` expanded to slots, with Redis's checks.
    private static func parseSlotRanges(_ ctx: inout CommandContext, command: String) -> [Int]? {
        guard ctx.args.count % 2 == 0 else {
            ctx.reply.error(CommandError.wrongArity(command))
            return nil
        }
        guard let bounds = parseSlots(&ctx, from: 2) else { return nil }
        var slots: [Int] = []
        for i in stride(from: 0, to: bounds.count, by: 2) {
            guard bounds[i] <= bounds[i + 1] else {
                ctx.reply.error("ERR start slot number \(bounds[i]) is greater than end slot number \(bounds[i + 1])")
                return nil
            }
            slots.append(contentsOf: bounds[i]...bounds[i + 1])
        }
        return slots
    }

    /// One node of a CLUSTER SLOTS range: preferred endpoint, port, id, the other endpoints.
    private func writeSlotNode(_ node: NodeEndpoint, _ ctx: inout CommandContext) {
        let preferred = configuration.clusterPreferredEndpointType
        ctx.reply.arrayHeader(4)
        switch preferred {
        case .ip: ctx.reply.bulk(node.ip)
        case .hostname: ctx.reply.bulk(node.hostname.isEmpty ? "?" : node.hostname)
        case .unknownEndpoint: ctx.reply.null()
        }
        ctx.reply.integer(node.port)
        ctx.reply.bulk(node.name.text)
        var extra: [(String, String)] = []
        if preferred != .ip { extra.append(("ip", node.ip)) }
        if preferred != .hostname && !node.hostname.isEmpty { extra.append(("hostname", node.hostname)) }
        ctx.reply.mapHeader(extra.count)
        for (key, value) in extra {
            ctx.reply.bulk(key)
            ctx.reply.bulk(value)
        }
    }

    private func writeShardNode(_ node: NodeEndpoint, _ ctx: inout CommandContext) {
        var fields: [(String, ShardValue)] = [
            ("id", .text(node.name.text)), ("port", .number(node.port)), ("ip", .text(node.ip)),
            ("endpoint", .text(node.preferredEndpoint)),
        ]
        if !node.hostname.isEmpty { fields.append(("hostname", .text(node.hostname))) }
        fields.append(("role", .text(node.isMaster ? "master" : "replica")))
        fields.append(("replication-offset", .number(Int(node.replicationOffset))))
        fields.append(("health", .text(node.health)))
        ctx.reply.mapHeader(fields.count)
        for (key, value) in fields {
            ctx.reply.bulk(key)
            switch value {
            case .text(let text): ctx.reply.bulk(text)
            case .number(let n): ctx.reply.integer(n)
            }
        }
    }

    private enum ShardValue {
        case text(String)
        case number(Int)
    }

    /// An address as CLUSTER MEET accepts it (IPv4 or IPv6, normalised), or nil.
    static func normalizedIP(_ text: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET, &v4, &out, socklen_t(out.count))
            return String(cString: out)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &v6, &out, socklen_t(out.count))
            return String(cString: out)
        }
        return nil
    }

    static let clusterHelp = [
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ADDSLOTS <slot> [<slot> ...]",
        "    Assign slots to current node.",
        "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Assign slots which are between <start-slot> and <end-slot> to current node.",
        "BUMPEPOCH",
        "    Advance the cluster config epoch.",
        "COUNT-FAILURE-REPORTS <node-id>",
        "    Return number of failure reports for <node-id>.",
        "COUNTKEYSINSLOT <slot>",
        "    Return the number of keys in <slot>.",
        "DELSLOTS <slot> [<slot> ...]",
        "    Delete slots information from current node.",
        "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Delete slots information which are between <start-slot> and <end-slot>.",
        "FLUSHSLOTS",
        "    Delete current node own slots information.",
        "FORGET <node-id>",
        "    Remove a node from the cluster.",
        "GETKEYSINSLOT <slot> <count>",
        "    Return key names stored by current node in a slot.",
        "INFO",
        "    Return information about the cluster.",
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "LINKS",
        "    Return information about all network links between this node and its peers.",
        "    Output format is an array where each array element is a map containing attributes of a link",
        "MEET <ip> <port> [<bus-port>]",
        "    Connect nodes into a working cluster.",
        "MYID",
        "    Return the node id.",
        "MYSHARDID",
        "    Return the node's shard id.",
        "NODES",
        "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port@bus-port[,hostname]> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        "REPLICATE <node-id>",
        "    Configure current node as replica to <node-id>.",
        "RESET [HARD|SOFT]",
        "    Reset current node (default: soft).",
        "SET-CONFIG-EPOCH <epoch>",
        "    Set config epoch of current node.",
        "SAVECONFIG",
        "    Force saving cluster configuration on disk.",
        "SHARDS",
        "    Return information about slot range mappings and the nodes associated with them.",
        "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
        "    Set slot state.",
        "SLOTS",
        "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "REPLICAS <node-id>",
        "    Return <node-id> replicas.",
        "SLAVES <node-id>",
        "    Return <node-id> replicas (deprecated).",
        "HELP",
        "    Print this help.",
    ]
}
