#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum MigrationMode: String, Sendable, CaseIterable {
    /// whole-slot migration when both ends are Shoal, keys otherwise
    case auto
    /// SETSLOT + GETKEYSINSLOT + MIGRATE (redis-cli's way; works with redis-server)
    case keys
    /// CLUSTER MIGRATESLOTS (Shoal nodes only)
    case slots
}

public struct ToolOptions: Sendable {
    public var credentials: Credentials?
    public var yes = false
    public var dryRun = false
    public var verbose = false
    /// MIGRATE timeout (ms), as redis-cli's --cluster-timeout
    public var timeoutMs = 60_000
    /// keys per GETKEYSINSLOT / MIGRATE, as redis-cli's --cluster-pipeline
    public var pipeline = 10
    /// slots opened and moved together (keys mode); their commands are pipelined
    public var window = 256
    /// (source, target) pairs migrating keys at the same time
    public var parallel = 4
    public var migration: MigrationMode = .auto
    /// overwrite keys that already exist on the target (redis-cli's --cluster-replace)
    public var replace = false
    public var fixWithUnreachableMasters = false
    /// keys sampled per slot for the byte estimate of a plan
    public var sampleKeys = 3
    /// poll interval of CLUSTER GETSLOTMIGRATIONS (ms)
    public var pollIntervalMs = 100
    /// seconds to wait for the cluster to agree after create / add-node
    public var joinTimeout = 120.0
    public var seed: UInt64?
    public init() {}
}

public struct ToolError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Set by SIGINT: migrations finish the batch in flight, then stop (whole-slot migrations are
/// cancelled). A second SIGINT exits at once.
nonisolated(unsafe) public var interruptRequested: Int32 = 0

public func installInterruptHandler() {
    signal(SIGINT) { _ in
        if interruptRequested != 0 { _exit(130) }
        interruptRequested = 1
        let msg = "\n*** Interrupted: finishing the slots in flight (Ctrl-C again to abort at once)\n"
        _ = msg.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}

public var isInterrupted: Bool { interruptRequested != 0 }

/// One node of the cluster as the tool sees it (its own `myself` line plus what the reference
/// node says about it).
public final class ClusterNode {
    public let address: HostPort
    public var id: String
    public var conn: RedisConnection?
    public var flags: [String]
    public var masterId: String?
    public var slots: SlotSet
    public var migrating: [Int: String]
    public var importing: [Int: String]
    public var configEpoch: Int64
    public var info: [String: String] = [:]
    public var knownNodes = 1
    public var replicasCount = 0
    public var weight: Float = 1

    public init(address: HostPort, record: NodeRecord) {
        self.address = address
        id = record.id
        flags = record.flags
        masterId = record.masterId
        slots = record.slots
        migrating = record.migrating
        importing = record.importing
        configEpoch = record.configEpoch
    }

    public var isReplica: Bool { flags.contains("slave") || masterId != nil }
    public var isMaster: Bool { !isReplica }
    public var shoalVersion: String? { info["shoal_version"] }
    public var isShoal: Bool { shoalVersion != nil }
    public var name: String { "\(address)" }
    public var shortId: String { String(id.prefix(8)) }

    public func connection() throws -> RedisConnection {
        guard let c = conn, c.isOpen else { throw ToolError("[ERR] No connection to node \(address)") }
        return c
    }
}

public final class ClusterManager {
    public let console: Console
    public var options: ToolOptions
    public var nodes: [ClusterNode] = []
    public var unreachableMasters = 0
    public var rng: SplitMix64
    /// Nodes that answered CLUSTER MIGRATESLOTS with "unknown subcommand" (auto mode falls back).
    var noWholeSlotMigration = Set<String>()
    /// Seconds per phase of keys-mode migration (printed with --verbose).
    public var phaseTimes: [String: Double] = [:]

    public init(console: Console, options: ToolOptions) {
        self.console = console
        self.options = options
        var seed = options.seed ?? 0
        if options.seed == nil {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            seed = UInt64(ts.tv_nsec) ^ (UInt64(ts.tv_sec) << 20) ^ UInt64(getpid())
        }
        rng = SplitMix64(seed: seed)
    }

    public var masters: [ClusterNode] { nodes.filter(\.isMaster) }

    public func connect(_ hp: HostPort) throws -> RedisConnection {
        try RedisConnection(host: hp.host, port: hp.port, connectTimeoutMs: 5_000,
                            readTimeoutMs: options.timeoutMs + 60_000, credentials: options.credentials)
    }

    /// Connects to `hp` (unless `conn` is given) and reads INFO and its own CLUSTER NODES line.
    public func loadNode(_ hp: HostPort, conn: RedisConnection? = nil) throws -> (ClusterNode, [NodeRecord]) {
        let c = try conn ?? connect(hp)
        let r = try c.pipeline([["INFO"], ["CLUSTER", "NODES"]])
        if let e = r[0].errorMessage { throw ToolError("[ERR] Node \(hp) replied with error:\n\(e)") }
        let info = parseInfo(r[0].string ?? "")
        guard info["cluster_enabled"] == "1" else {
            throw ToolError("[ERR] Node \(hp) is not configured as a cluster node.")
        }
        if let e = r[1].errorMessage { throw ToolError("[ERR] Node \(hp) replied with error:\n\(e)") }
        let records = try parseClusterNodes(r[1].string ?? "")
        guard let me = records.first(where: \.isMyself) else {
            throw ToolError("[ERR] Node \(hp): CLUSTER NODES has no myself line")
        }
        let node = ClusterNode(address: hp, record: me)
        node.conn = c
        node.info = info
        node.knownNodes = records.count
        return (node, records)
    }

    /// redis-cli's `clusterManagerLoadInfoFromNode`: the reference node, then every node it knows
    /// (skipping those it flags noaddr, fail or handshake, and those we cannot reach).
    public func load(from hp: HostPort) throws {
        let (ref, records) = try loadNode(hp)
        nodes = [ref]
        unreachableMasters = 0
        for rec in records where !rec.isMyself {
            if rec.hasNoAddress || rec.isFailed || rec.has("handshake") || rec.host.isEmpty {
                if !rec.isReplica && (rec.isFailed || rec.hasNoAddress) { unreachableMasters += 1 }
                continue
            }
            do {
                let (n, _) = try loadNode(rec.address)
                nodes.append(n)
            } catch {
                console.log("[ERR] Unable to load info for node \(rec.address)")
                if !rec.isReplica { unreachableMasters += 1 }
            }
        }
        countReplicas()
    }

    func countReplicas() {
        for n in nodes { n.replicasCount = 0 }
        for n in nodes {
            guard let m = n.masterId else { continue }
            if let master = node(id: m) {
                master.replicasCount += 1
            } else {
                console.log("*** WARNING: \(n.address) claims to be slave of unknown node ID \(m).")
            }
        }
    }

    public func node(id: String) -> ClusterNode? { nodes.first { $0.id == id.lowercased() } }

    /// A node by full id, unique id prefix, or `host:port`.
    public func resolve(_ ref: String) -> ClusterNode? {
        if let n = node(id: ref) { return n }
        if let hp = HostPort(ref), let n = nodes.first(where: { $0.address == hp }) { return n }
        let lc = ref.lowercased()
        let matches = nodes.filter { $0.id.hasPrefix(lc) }
        return matches.count == 1 ? matches[0] : nil
    }

    // MARK: - Showing nodes

    func slotsString(_ s: SlotSet) -> String {
        s.ranges.map { $0.count == 1 ? "[\($0.lowerBound)]" : "[\($0.lowerBound)-\($0.upperBound)]" }
            .joined(separator: ",")
    }

    public func nodeInfo(_ n: ClusterNode, indent: Int = 0) -> String {
        let sp = String(repeating: " ", count: indent)
        let role = n.isMaster ? "M" : "S"
        let flags = n.flags.filter { $0 != "myself" }.joined(separator: ",")
        var s = "\(sp)\(role): \(n.id) \(n.address)\n\(sp)   slots:\(slotsString(n.slots)) (\(n.slots.count) slots) \(flags)"
        if n.isShoal { s += " shoal \(n.shoalVersion!)" }
        if let m = n.masterId {
            s += "\n\(sp)   replicates \(m)"
        } else if n.replicasCount > 0 {
            s += "\n\(sp)   \(n.replicasCount) additional replica(s)"
        }
        return s
    }

    public func showNodes() {
        for n in nodes { console.log(nodeInfo(n)) }
    }

    public func nodeJSON(_ n: ClusterNode, keys: Int? = nil) -> JSON {
        var o: [(String, JSON)] = [
            ("id", .string(n.id)), ("addr", .string(n.name)), ("host", .string(n.address.host)),
            ("port", .int(n.address.port)), ("role", .string(n.isMaster ? "master" : "replica")),
            ("master_id", .opt(n.masterId)), ("slots", .string(n.slots.rangeText)),
            ("slot_count", .int(n.slots.count)), ("replicas", .int(n.replicasCount)),
            ("flags", .array(n.flags.map { .string($0) })), ("config_epoch", .int(Int(n.configEpoch))),
            ("shoal", .bool(n.isShoal)), ("shoal_version", .opt(n.shoalVersion)),
        ]
        if let k = keys { o.append(("keys", .int(k))) }
        return .object(o)
    }

    // MARK: - info

    /// DBSIZE of every master (pipelined per node).
    public func dbsizes() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for n in masters {
            let r = try n.connection().call("DBSIZE")
            guard let v = r.int else {
                throw ToolError("Node \(n.address) replied with error:\n\(r.errorMessage ?? "bad DBSIZE reply")")
            }
            out[n.id] = v
        }
        return out
    }

    public func showClusterInfo() throws -> JSON {
        let sizes = try dbsizes()
        var keys = 0
        var list: [JSON] = []
        for n in masters {
            let k = sizes[n.id] ?? 0
            console.log("\(n.address) (\(n.shortId)...) -> \(k) keys | \(n.slots.count) slots | \(n.replicasCount) slaves.")
            keys += k
            list.append(nodeJSON(n, keys: k))
        }
        console.log("[OK] \(keys) keys in \(masters.count) masters.")
        let perSlot = Double(keys) / Double(clusterSlots)
        console.log("\(formatFixed(perSlot, 2)) keys per slot on average.")
        return .object([("masters", .array(list)), ("keys", .int(keys)), ("masters_count", .int(masters.count)),
                        ("keys_per_slot", .double(perSlot))])
    }

    // MARK: - Consistency

    /// Every node's view gives the same slot signature.
    public func isConfigConsistent() -> Bool {
        if nodes.count <= 1 { return true }
        var first: String?
        for n in nodes {
            guard let c = try? n.connection(), let r = try? c.call("CLUSTER", "NODES"), let t = r.string,
                  let recs = try? parseClusterNodes(t), let sig = configSignature(recs)
            else { return false }
            if first == nil { first = sig } else if first != sig { return false }
        }
        return true
    }

    public func waitForClusterJoin(extra: (() -> Bool)? = nil) throws {
        console.raw("Waiting for the cluster to join\n")
        let deadline = monotonicSeconds() + options.joinTimeout
        while !(isConfigConsistent() && (extra?() ?? true)) {
            if monotonicSeconds() > deadline {
                console.log("")
                throw ToolError("[ERR] The cluster did not agree on its configuration within \(Int(options.joinTimeout))s")
            }
            console.raw(".")
            usleep(200_000)
        }
        console.log("")
    }

    /// Waits (up to `timeout` seconds) until every given node reports cluster_state:ok.
    public func waitForClusterStateOK(_ list: [ClusterNode], timeout: Double = 30) throws {
        let deadline = monotonicSeconds() + timeout
        var announced = Set<String>()
        for n in list {
            while true {
                let r = try n.connection().call("CLUSTER", "INFO")
                if parseInfo(r.string ?? "")["cluster_state"] == "ok" { break }
                if monotonicSeconds() > deadline {
                    throw ToolError("[ERR] Node \(n.address) does not report cluster_state:ok after \(Int(timeout))s")
                }
                if announced.insert(n.id).inserted {
                    console.log("*** Waiting for \(n.address) to report cluster_state:ok")
                }
                usleep(100_000)
            }
        }
    }

    // MARK: - check

    public struct CheckReport {
        public var consistent = true
        public var openSlots: [Int] = []
        public var migrating: [(node: String, slots: [Int])] = []
        public var importing: [(node: String, slots: [Int])] = []
        public var covered = 0
        public var uncovered = SlotSet()
        public var errors: [String] = []
        public var warnings: [String] = []
        public var slotMigrations: [(node: String, entry: SlotMigrationEntry)] = []
        public var fixed: [JSON] = []
        public var ok: Bool { errors.isEmpty }
    }

    /// redis-cli's `clusterManagerCheckCluster`; with `fix`, repairs open slots and coverage.
    @discardableResult
    public func check(quiet: Bool = false, fix: Bool = false) throws -> CheckReport {
        var rep = CheckReport()
        guard let ref = nodes.first else { return rep }
        console.log(">>> Performing Cluster Check (using node \(ref.address))")
        if !quiet { showNodes() }
        if !isConfigConsistent() {
            rep.consistent = false
            rep.errors.append("[ERR] Nodes don't agree about configuration!")
            console.log("[ERR] Nodes don't agree about configuration!")
        } else {
            console.log("[OK] All nodes agree about slots configuration.")
        }
        console.log(">>> Check for open slots...")
        var open = Set<Int>()
        for n in nodes {
            if !n.migrating.isEmpty {
                let s = n.migrating.keys.sorted()
                rep.migrating.append((n.id, s))
                let e = "[WARNING] Node \(n.address) has slots in migrating state \(s.map(String.init).joined(separator: ","))."
                rep.errors.append(e)
                console.log(e)
                open.formUnion(s)
            }
            if !n.importing.isEmpty {
                let s = n.importing.keys.sorted()
                rep.importing.append((n.id, s))
                let e = "[WARNING] Node \(n.address) has slots in importing state \(s.map(String.init).joined(separator: ","))."
                rep.errors.append(e)
                console.log(e)
                open.formUnion(s)
            }
        }
        rep.openSlots = open.sorted()
        if !open.isEmpty {
            console.log("[WARNING] The following slots are open: \(rep.openSlots.map(String.init).joined(separator: ",")).")
            if fix {
                if unreachableMasters > 0 && !options.fixWithUnreachableMasters {
                    throw ToolError(unreachableWarning("open slots"))
                }
                rep.fixed += try fixOpenSlots(rep.openSlots)
            }
        }
        // Shoal nodes: whole-slot migrations reported by the node itself.
        for n in masters where n.isShoal {
            guard let entries = try? slotMigrations(on: n) else { continue }
            for e in entries where e.state == "running" {
                let w = "[WARNING] Node \(n.address) has a slot migration running: \(rangesText(e.ranges)) (\(e.keysMoved) keys moved)"
                rep.warnings.append(w)
                rep.slotMigrations.append((n.id, e))
                console.log(w)
            }
        }
        console.log(">>> Check slots coverage...")
        var all = SlotSet()
        for n in nodes { all = all.union(n.slots) }
        rep.covered = all.count
        rep.uncovered = all.complement
        if all.count == clusterSlots {
            console.log("[OK] All \(clusterSlots) slots covered.")
        } else {
            let e = "[ERR] Not all \(clusterSlots) slots are covered by nodes."
            rep.errors.append(e)
            console.log(e)
            if fix {
                if unreachableMasters > 0 && !options.fixWithUnreachableMasters {
                    throw ToolError(unreachableWarning("slots coverage"))
                }
                rep.fixed.append(try fixSlotsCoverage(rep.uncovered.sorted))
            }
        }
        return rep
    }

    func unreachableWarning(_ what: String) -> String {
        "*** Fixing \(what) with \(unreachableMasters) unreachable masters is dangerous: shoal-cluster will assume "
            + "that slots about masters that are not reachable are not covered, and will try to reassign them to "
            + "the reachable nodes. This can cause data loss and is rarely what you want to do. If you really want "
            + "to proceed use the --fix-with-unreachable-masters option."
    }

    public func checkJSON(_ rep: CheckReport) -> JSON {
        .object([
            ("ok", .bool(rep.ok)),
            ("nodes", .array(nodes.map { nodeJSON($0) })),
            ("consistent", .bool(rep.consistent)),
            ("open_slots", .array(rep.openSlots.map { .int($0) })),
            ("migrating", .array(rep.migrating.map { .object([("node", .string($0.node)), ("slots", .array($0.slots.map { .int($0) }))]) })),
            ("importing", .array(rep.importing.map { .object([("node", .string($0.node)), ("slots", .array($0.slots.map { .int($0) }))]) })),
            ("covered_slots", .int(rep.covered)),
            ("uncovered_slots", .string(rep.uncovered.rangeText)),
            ("slot_migrations", .array(rep.slotMigrations.map { .object([("node", .string($0.node)), ("entry", $0.entry.json)]) })),
            ("unreachable_masters", .int(unreachableMasters)),
            ("errors", .array(rep.errors.map { .string($0) })),
            ("warnings", .array(rep.warnings.map { .string($0) })),
        ])
    }

    /// Reloads every node's own view (after changes).
    public func reload() throws {
        guard let ref = nodes.first else { return }
        let hp = ref.address
        for n in nodes { n.conn?.close() }
        try load(from: hp)
    }
}
