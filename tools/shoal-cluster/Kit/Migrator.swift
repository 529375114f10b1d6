#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry of `CLUSTER GETSLOTMIGRATIONS` (the Valkey 9 shape: a map per job, or a flat
/// name/value array in RESP2).
public struct SlotMigrationEntry: Sendable, Equatable {
    public var id: String?
    public var ranges: [ClosedRange<Int>]
    /// running, success, failed, cancelled (lowercased)
    public var state: String
    public var keysMoved: Int
    public var bytesSent: Int
    /// slots fully moved so far, when the node reports it
    public var slotsMoved: Int?
    public var error: String?
    public var target: String?

    public var isFinished: Bool { state != "running" && state != "pending" && state != "" }

    public var json: JSON {
        .object([("id", .opt(id)), ("slot_ranges", .string(rangesText(ranges))), ("state", .string(state)),
                 ("keys_moved", .int(keysMoved)), ("bytes_sent", .int(bytesSent)), ("error", .opt(error)),
                 ("target", .opt(target))])
    }

    public func overlaps(_ slots: SlotSet) -> Bool {
        ranges.contains { r in r.contains { slots.contains($0) } }
    }

    /// Parses the reply; entries that are not maps are skipped.
    public static func parse(_ reply: Reply) -> [SlotMigrationEntry] {
        guard let list = reply.array else { return [] }
        var out: [SlotMigrationEntry] = []
        for item in list {
            guard let f = item.fields else { continue }
            let ranges = parseRanges(f["slot_ranges"] ?? f["slot-ranges"] ?? f["slots"] ?? .null)
            let state = (f["state"]?.string ?? "").lowercased()
            var err = f["error"]?.string ?? f["message"]?.string
            if err?.isEmpty == true { err = nil }
            let id = (f["id"] ?? f["name"] ?? f["job_id"])?.string
            let target = (f["target_node"] ?? f["target"] ?? f["node"])?.string
            out.append(SlotMigrationEntry(
                id: id, ranges: ranges, state: state, keysMoved: f["keys_moved"]?.int ?? 0,
                bytesSent: f["bytes_sent"]?.int ?? 0, slotsMoved: f["slots_moved"]?.int, error: err, target: target))
        }
        return out
    }

    /// `"0-100 200-300"`, `"0-100,205"`, `["0-100"]`, `[0, 100, 200, 300]` or `[[0,100]]`.
    static func parseRanges(_ r: Reply) -> [ClosedRange<Int>] {
        func fromText(_ s: String) -> [ClosedRange<Int>] {
            s.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { tok in
                let parts = tok.split(separator: "-")
                if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a <= b { return a...b }
                if parts.count == 1, let a = Int(parts[0]) { return a...a }
                return nil
            }
        }
        switch r {
        case .status(let s): return fromText(s)
        case .bulk(let b?): return fromText(String(decoding: b, as: UTF8.self))
        case .array(let items?):
            var out: [ClosedRange<Int>] = []
            var ints: [Int] = []
            for it in items {
                switch it {
                case .integer(let i): ints.append(Int(i))
                case .array(let pair?) where pair.count == 2:
                    if let a = pair[0].int, let b = pair[1].int, a <= b { out.append(a...b) }
                default:
                    if let s = it.string {
                        if let i = Int(s) { ints.append(i) } else { out += fromText(s) }
                    }
                }
            }
            var i = 0
            while i + 1 < ints.count {
                if ints[i] <= ints[i + 1] { out.append(ints[i]...ints[i + 1]) }
                i += 2
            }
            return out
        default: return []
        }
    }
}

/// What a migration did, per source / target pair.
public struct MigrationSummary {
    public struct Pair {
        public var source: String
        public var target: String
        public var mode: MigrationMode
        public var slots: Int
        public var keys: Int
        public var bytesSent: Int?
        public var seconds: Double
    }
    public var pairs: [Pair] = []
    public var slotsMoved: Int { pairs.reduce(0) { $0 + $1.slots } }
    public var keysMoved: Int { pairs.reduce(0) { $0 + $1.keys } }
    public var seconds = 0.0
    public var interrupted = false
    public var error: String?

    public var json: JSON {
        let bytes = pairs.contains { $0.bytesSent != nil } ? JSON.int(pairs.reduce(0) { $0 + ($1.bytesSent ?? 0) }) : .null
        return .object([
            ("ok", .bool(error == nil && !interrupted)),
            ("slots_moved", .int(slotsMoved)), ("keys_moved", .int(keysMoved)), ("bytes_sent", bytes),
            ("seconds", .double(seconds)),
            ("keys_per_second", .double(seconds > 0 ? Double(keysMoved) / seconds : 0)),
            ("interrupted", .bool(interrupted)), ("error", .opt(error)),
            ("moves", .array(pairs.map {
                .object([("from", .string($0.source)), ("to", .string($0.target)), ("mode", .string($0.mode.rawValue)),
                         ("slots", .int($0.slots)), ("keys", .int($0.keys)), ("bytes_sent", .opt($0.bytesSent)),
                         ("seconds", .double($0.seconds))])
            })),
        ])
    }
}

/// The plan of a reshard / rebalance: slot moves with their key counts and byte estimates.
public struct MovePlan {
    public var moves: [SlotMove]
    public var keys: [Int: Int] = [:]
    public var bytes: [Int: Int]? = nil
    /// how `bytes` was estimated: memory-usage, dump-size or none
    public var bytesMethod = "none"
    public var sampledKeys = 0

    public var totalKeys: Int { moves.reduce(0) { $0 + (keys[$1.slot] ?? 0) } }
    public var totalBytes: Int? { bytes.map { b in moves.reduce(0) { $0 + (b[$1.slot] ?? 0) } } }

    /// Moves grouped by (source, target), in order of first appearance.
    public var groups: [(source: String, target: String, slots: [Int])] {
        var out: [(source: String, target: String, slots: [Int])] = []
        var index: [String: Int] = [:]
        for m in moves {
            let k = m.source + ">" + m.target
            if let i = index[k] { out[i].slots.append(m.slot) } else {
                index[k] = out.count
                out.append((m.source, m.target, [m.slot]))
            }
        }
        return out
    }
}

extension ClusterManager {
    public func mode(from src: ClusterNode, to dst: ClusterNode) -> MigrationMode {
        switch options.migration {
        case .keys: return .keys
        case .slots: return .slots
        case .auto: return src.isShoal && dst.isShoal ? .slots : .keys
        }
    }

    func require(_ id: String) throws -> ClusterNode {
        guard let n = node(id: id) else { throw ToolError("[ERR] No such node ID \(id)") }
        return n
    }

    // MARK: - Plan estimates

    /// COUNTKEYSINSLOT of every moved slot on its source (one pipeline per source).
    public func keyCounts(_ moves: [SlotMove]) throws -> [Int: Int] {
        var bySource: [String: [Int]] = [:]
        for m in moves { bySource[m.source, default: []].append(m.slot) }
        var out: [Int: Int] = [:]
        for (id, slots) in bySource {
            let n = try require(id)
            let r = try n.connection().pipeline(slots.map { ["CLUSTER", "COUNTKEYSINSLOT", String($0)] })
            for (s, v) in zip(slots, r) {
                guard let c = v.int else {
                    throw ToolError("Node \(n.address) replied with error:\n\(v.errorMessage ?? "bad COUNTKEYSINSLOT reply")")
                }
                out[s] = c
            }
        }
        return out
    }

    /// Estimated bytes per slot: up to `sampleKeys` keys of each slot (GETKEYSINSLOT) measured with
    /// `MEMORY USAGE key SAMPLES 0` (or the DUMP payload size where MEMORY USAGE is missing), the
    /// slot's mean times its key count.
    public func estimateBytes(_ plan: inout MovePlan) throws {
        plan.bytes = nil
        plan.bytesMethod = "none"
        let k = options.sampleKeys
        guard k > 0 else { return }
        var bySource: [String: [Int]] = [:]
        for m in plan.moves where (plan.keys[m.slot] ?? 0) > 0 { bySource[m.source, default: []].append(m.slot) }
        var bytes: [Int: Int] = [:]
        var method: String?
        var sampled = 0
        for (id, slots) in bySource {
            let n = try require(id)
            let c = try n.connection()
            let keyReplies = try c.pipeline(slots.map { ["CLUSTER", "GETKEYSINSLOT", String($0), String(k)] })
            var sampleKeys: [(slot: Int, key: [UInt8])] = []
            for (s, r) in zip(slots, keyReplies) {
                for key in r.array ?? [] { if let b = key.bytes { sampleKeys.append((s, b)) } }
            }
            if sampleKeys.isEmpty { continue }
            var sizes: [Int?] = []
            for candidate in (method.map { [$0] } ?? ["memory-usage", "dump-size"]) {
                let cmds: [[[UInt8]]] = sampleKeys.map {
                    candidate == "memory-usage"
                        ? [Array("MEMORY".utf8), Array("USAGE".utf8), $0.key, Array("SAMPLES".utf8), Array("0".utf8)]
                        : [Array("DUMP".utf8), $0.key]
                }
                let rs = try c.pipelineBytes(cmds)
                if rs.allSatisfy({ $0.isError }) { continue }
                sizes = rs.map { candidate == "memory-usage" ? $0.int : $0.bytes?.count }
                method = candidate
                break
            }
            if method == nil { break }
            var perSlot: [Int: (sum: Int, n: Int)] = [:]
            for (i, sk) in sampleKeys.enumerated() {
                guard i < sizes.count, let sz = sizes[i] else { continue }
                perSlot[sk.slot, default: (0, 0)].sum += sz
                perSlot[sk.slot, default: (0, 0)].n += 1
                sampled += 1
            }
            for (s, v) in perSlot where v.n > 0 {
                bytes[s] = Int((Double(v.sum) / Double(v.n) * Double(plan.keys[s] ?? 0)).rounded())
            }
        }
        if let m = method {
            for mv in plan.moves where bytes[mv.slot] == nil { bytes[mv.slot] = 0 }
            plan.bytes = bytes
            plan.bytesMethod = m
            plan.sampledKeys = sampled
        }
    }

    /// Prints the plan per (source, target) pair: slot ranges, keys, estimated bytes.
    public func showPlan(_ plan: MovePlan, perSlot: Bool) {
        for g in plan.groups {
            guard let s = node(id: g.source), let t = node(id: g.target) else { continue }
            let keys = g.slots.reduce(0) { $0 + (plan.keys[$1] ?? 0) }
            var line = "  Moving \(g.slots.count) slots from \(s.address) (\(s.shortId)...) to \(t.address) "
                + "(\(t.shortId)...): \(keys) keys"
            if let b = plan.bytes { line += ", ~\(humanBytes(g.slots.reduce(0) { $0 + (b[$1] ?? 0) }))" }
            line += " [\(mode(from: s, to: t).rawValue)]"
            console.log(line)
            console.log("    slots \(rangesText(runsInOrder(g.slots)))")
            if perSlot {
                for slot in g.slots {
                    var l = "    Moving slot \(slot) from \(g.source): \(plan.keys[slot] ?? 0) keys"
                    if let b = plan.bytes?[slot] { l += ", ~\(b) bytes" }
                    console.log(l)
                }
            }
        }
        var total = "  Total: \(plan.moves.count) slots, \(plan.totalKeys) keys"
        if let b = plan.totalBytes {
            total += ", ~\(humanBytes(b)) (estimated from \(plan.sampledKeys) sampled keys, \(plan.bytesMethod))"
        }
        console.log(total)
    }

    public func planJSON(_ plan: MovePlan) -> JSON {
        let groups: [JSON] = plan.groups.map { g in
            let s = node(id: g.source), t = node(id: g.target)
            var o: [(String, JSON)] = [
                ("from", .string(g.source)), ("from_addr", .opt(s?.name)),
                ("to", .string(g.target)), ("to_addr", .opt(t?.name)),
                ("mode", .string(s.flatMap { s in t.map { mode(from: s, to: $0).rawValue } } ?? "keys")),
                ("slot_count", .int(g.slots.count)), ("slots", .string(rangesText(runsInOrder(g.slots)))),
                ("keys", .int(g.slots.reduce(0) { $0 + (plan.keys[$1] ?? 0) })),
            ]
            o.append(("bytes", plan.bytes.map { b in .int(g.slots.reduce(0) { $0 + (b[$1] ?? 0) }) } ?? .null))
            return .object(o)
        }
        let slots: [JSON] = plan.moves.map { m in
            .object([("slot", .int(m.slot)), ("from", .string(m.source)), ("to", .string(m.target)),
                     ("keys", .int(plan.keys[m.slot] ?? 0)), ("bytes", .opt(plan.bytes?[m.slot]))])
        }
        return .object([
            ("slot_count", .int(plan.moves.count)), ("keys", .int(plan.totalKeys)), ("bytes", .opt(plan.totalBytes)),
            ("bytes_method", .string(plan.bytesMethod)), ("sampled_keys", .int(plan.sampledKeys)),
            ("moves", .array(groups)), ("slots", .array(slots)),
        ])
    }

    // MARK: - Execution

    /// Moves every slot of the plan, pair by pair; whole-slot migration where both ends are Shoal
    /// (per `--migration`), SETSLOT / MIGRATE otherwise. Stops after the batch in flight on SIGINT.
    public func execute(_ plan: MovePlan, fixMode: Bool = false) -> MigrationSummary {
        var summary = MigrationSummary()
        let progress = Progress(console: console, totalSlots: plan.moves.count, totalKeys: plan.totalKeys)
        let t0 = monotonicSeconds()
        var lanes: [(lane: KeysLane, source: String, target: String)] = []
        do {
            var involved: [ClusterNode] = []
            for m in plan.moves {
                for id in [m.source, m.target] where !involved.contains(where: { $0.id == id }) {
                    involved.append(try require(id))
                }
            }
            try waitForClusterStateOK(involved)
            // Whole-slot migrations first, one pair at a time; the rest move keys, in lanes.
            for g in plan.groups {
                if isInterrupted { summary.interrupted = true; break }
                let src = try require(g.source), dst = try require(g.target)
                if mode(from: src, to: dst) == .slots {
                    let ts = monotonicSeconds()
                    let k0 = progress.keysMoved, s0 = progress.slotsDone
                    let expected = g.slots.reduce(0) { $0 + (plan.keys[$1] ?? 0) }
                    var pair = MigrationSummary.Pair(source: g.source, target: g.target, mode: .slots, slots: 0,
                                                     keys: 0, bytesSent: nil, seconds: 0)
                    do {
                        if let sent = try migrateSlotsWhole(src: src, dst: dst, slots: g.slots, expectedKeys: expected,
                                                            progress: progress) {
                            pair.bytesSent = sent
                            pair.keys = progress.keysMoved - k0
                            pair.slots = progress.slotsDone - s0
                            pair.seconds = monotonicSeconds() - ts
                            summary.pairs.append(pair)
                            continue
                        }
                    } catch {
                        pair.keys = progress.keysMoved - k0
                        pair.slots = progress.slotsDone - s0
                        pair.seconds = monotonicSeconds() - ts
                        summary.pairs.append(pair)
                        throw error
                    }
                }
                var windows: [KeysMove] = []
                var i = 0
                while i < g.slots.count {
                    let w = Array(g.slots[i..<min(i + max(options.window, 1), g.slots.count)])
                    windows.append(KeysMove(src: src, dst: dst, slots: w, cold: false, fixMode: fixMode))
                    i += w.count
                }
                lanes.append((KeysLane(windows: windows), g.source, g.target))
            }
            // Up to `parallel` lanes at a time, the next one starting when one ends.
            let ts = monotonicSeconds()
            var queue = lanes.map(\.lane)
            var running: [KeysLane] = []
            while !(queue.isEmpty && running.isEmpty) {
                while running.count < max(options.parallel, 1) && !queue.isEmpty && !isInterrupted {
                    running.append(queue.removeFirst())
                }
                if running.isEmpty { break }
                // Run until one lane finishes, then refill.
                try runLanes(running, progress: progress, stopOnInterrupt: true, returnWhenOneEnds: true)
                running.removeAll { $0.current == nil }
                if isInterrupted { queue.removeAll() }
            }
            for l in lanes {
                summary.pairs.append(MigrationSummary.Pair(
                    source: l.source, target: l.target, mode: .keys, slots: l.lane.slots, keys: l.lane.keys,
                    bytesSent: nil, seconds: monotonicSeconds() - ts))
            }
        } catch {
            summary.error = "\(error)"
            for l in lanes where !summary.pairs.contains(where: { $0.source == l.source && $0.target == l.target }) {
                summary.pairs.append(MigrationSummary.Pair(
                    source: l.source, target: l.target, mode: .keys, slots: l.lane.slots, keys: l.lane.keys,
                    bytesSent: nil, seconds: 0))
            }
        }
        progress.finish()
        // Whole-slot migrations hand the slots over through the bus: wait (briefly) until every
        // node agrees, so the cluster is settled when the command returns.
        if summary.error == nil && summary.pairs.contains(where: { $0.mode == .slots && $0.slots > 0 }) {
            let deadline = monotonicSeconds() + 15
            var announced = false
            while !isConfigConsistent() {
                if monotonicSeconds() > deadline {
                    console.log("*** The nodes do not agree on the slots yet (gossip); `shoal-cluster check` later")
                    break
                }
                if !announced {
                    console.log("*** Waiting for every node to learn the new slot owners")
                    announced = true
                }
                usleep(50_000)
            }
        }
        summary.seconds = monotonicSeconds() - t0
        if isInterrupted { summary.interrupted = true }
        return summary
    }

    func expectOK(_ replies: [Reply], node: ClusterNode, what: String, slots: [Int],
                  acceptable: [String] = []) throws {
        for (s, r) in zip(slots, replies) {
            if let e = r.errorMessage, !acceptable.contains(where: { e.hasPrefix($0) }) {
                throw ToolError("Node \(node.address) replied with error to \(what) for slot \(s):\n\(e)")
            }
        }
    }

    func migrateCommand(to dst: ClusterNode, keys: [[UInt8]], replace: Bool) -> [[UInt8]] {
        var a: [[UInt8]] = [Array("MIGRATE".utf8), Array(dst.address.host.utf8), Array(String(dst.address.port).utf8),
                            [], Array("0".utf8), Array(String(options.timeoutMs).utf8)]
        if replace { a.append(Array("REPLACE".utf8)) }
        if let c = options.credentials {
            if let u = c.user {
                a += [Array("AUTH2".utf8), Array(u.utf8), Array(c.password.utf8)]
            } else {
                a += [Array("AUTH".utf8), Array(c.password.utf8)]
            }
        }
        a.append(Array("KEYS".utf8))
        a += keys
        return a
    }

    /// The keys of `slots` from `src` to `dst` with MIGRATE (one window; see `KeysMove`).
    /// `cold`: keys only, no SETSLOT (fix).
    public func migrateKeys(src: ClusterNode, dst: ClusterNode, slots: [Int], cold: Bool, fixMode: Bool,
                            progress: Progress?) throws {
        let lane = KeysLane(windows: [KeysMove(src: src, dst: dst, slots: slots, cold: cold, fixMode: fixMode)])
        try runLanes([lane], progress: progress, stopOnInterrupt: false)
    }

    /// Drives several lanes (each a sequence of windows between one source and one target) in
    /// lockstep: every step appends each active window's next pipeline to its connection(s), flushes
    /// every connection once, then reads the replies in the same order. So different sources
    /// migrate at the same time while the tool stays a single thread. Replies that need synchronous
    /// follow-ups (a MIGRATE error) are handled after the step, when no reply is outstanding.
    /// With `stopOnInterrupt`, a lane stops after its window in flight once SIGINT came.
    func runLanes(_ lanes: [KeysLane], progress: Progress?, stopOnInterrupt: Bool,
                  returnWhenOneEnds: Bool = false) throws {
        while true {
            var active: [KeysMove] = []
            for lane in lanes {
                if let w = lane.current {
                    active.append(w)
                }
            }
            if active.isEmpty { return }
            var touched: [RedisConnection] = []
            for w in active {
                for c in try sendStep(w) where !touched.contains(where: { $0 === c }) { touched.append(c) }
            }
            for c in touched { try c.flush() }
            for w in active { try receiveStep(w, progress: progress) }
            for w in active where !w.failures.isEmpty {
                let f = w.failures
                w.failures.removeAll()
                for x in f {
                    try handleMigrateError(x.error, src: w.src, dst: w.dst, slot: x.slot, keys: x.keys,
                                           fixMode: w.fixMode)
                }
            }
            var ended = false
            for lane in lanes where lane.current?.stage == .done {
                let w = lane.current!
                lane.keys += w.keysMoved
                lane.slots += w.cold ? 0 : w.slots.count
                lane.next(stop: stopOnInterrupt && isInterrupted)
                if lane.current == nil { ended = true }
            }
            if returnWhenOneEnds && ended { return }
        }
    }

    /// Appends the window's next pipeline; returns the connections written to.
    func sendStep(_ w: KeysMove) throws -> [RedisConnection] {
        let s = try w.src.connection(), d = try w.dst.connection()
        let slotArgs = { (slot: Int, rest: [String]) in ["CLUSTER", "SETSLOT", String(slot)] + rest }
        switch w.stage {
        case .openTarget:
            for slot in w.slots { d.append(slotArgs(slot, ["IMPORTING", w.src.id])) }
            return [d]
        case .openSource:
            for slot in w.slots { s.append(slotArgs(slot, ["MIGRATING", w.dst.id])) }
            return [s]
        case .getKeys:
            let batch = String(max(options.pipeline, 1))
            for slot in w.pending { s.append(["CLUSTER", "GETKEYSINSLOT", String(slot), batch]) }
            return [s]
        case .migrate:
            // Like redis-cli, never REPLACE on the first attempt: BUSYKEY is handled per batch.
            for item in w.work { s.append(migrateCommand(to: w.dst, keys: item.keys, replace: false)) }
            return [s]
        case .closeTarget:
            for slot in w.slots { d.append(slotArgs(slot, ["NODE", w.dst.id])) }
            return [d]
        case .closeSource:
            for slot in w.slots { s.append(slotArgs(slot, ["NODE", w.dst.id])) }
            return [s]
        case .closeOthers:
            var out: [RedisConnection] = []
            w.others = masters.filter { $0 !== w.src && $0 !== w.dst }
            for n in w.others {
                let c = try n.connection()
                for slot in w.slots { c.append(slotArgs(slot, ["NODE", w.dst.id])) }
                out.append(c)
            }
            return out
        case .done:
            return []
        }
    }

    func readN(_ c: RedisConnection, _ n: Int) throws -> [Reply] {
        var out: [Reply] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try c.readReply()) }
        return out
    }

    /// Reads the replies of the window's step and moves it on.
    func receiveStep(_ w: KeysMove, progress: Progress?) throws {
        let s = try w.src.connection(), d = try w.dst.connection()
        let t = monotonicSeconds()
        let stageName = w.stage.name
        defer { phaseTimes[stageName, default: 0] += monotonicSeconds() - t }
        let slaveOK = ["ERR Please use SETSLOT only with masters."]
        switch w.stage {
        case .openTarget:
            try expectOK(try readN(d, w.slots.count), node: w.dst, what: "SETSLOT IMPORTING", slots: w.slots)
            for slot in w.slots { w.dst.importing[slot] = w.src.id }
            w.stage = .openSource
        case .openSource:
            try expectOK(try readN(s, w.slots.count), node: w.src, what: "SETSLOT MIGRATING", slots: w.slots)
            for slot in w.slots { w.src.migrating[slot] = w.dst.id }
            w.stage = .getKeys
        case .getKeys:
            let got = try readN(s, w.pending.count)
            w.work = []
            for (slot, r) in zip(w.pending, got) {
                guard let arr = r.array else {
                    throw ToolError("Node \(w.src.address) replied with error to GETKEYSINSLOT \(slot):\n\(r.errorMessage ?? "bad reply")")
                }
                if !arr.isEmpty { w.work.append((slot, arr.compactMap(\.bytes))) }
            }
            for item in w.work where w.lastRound[item.slot] == item.keys {
                throw ToolError("Node \(w.src.address): MIGRATE to \(w.dst.address) reported success but the keys of slot "
                                + "\(item.slot) are still there; slot \(item.slot) is left open (`shoal-cluster fix`).")
            }
            w.lastRound = Dictionary(w.work.map { ($0.slot, $0.keys) }, uniquingKeysWith: { a, _ in a })
            if !w.work.isEmpty {
                w.stage = .migrate
            } else {
                w.stage = w.cold ? .done : .closeTarget
            }
        case .migrate:
            let replies = try readN(s, w.work.count)
            for (item, r) in zip(w.work, replies) {
                if let e = r.errorMessage { w.failures.append((item.slot, item.keys, e)) }
                w.keysMoved += item.keys.count
                progress?.add(keys: item.keys.count)
            }
            w.pending = w.work.map(\.slot)
            w.stage = .getKeys
        case .closeTarget:
            try expectOK(try readN(d, w.slots.count), node: w.dst, what: "SETSLOT NODE", slots: w.slots)
            w.stage = .closeSource
        case .closeSource:
            // A source that just gave away its last slot may already be a replica (Redis #9223).
            try expectOK(try readN(s, w.slots.count), node: w.src, what: "SETSLOT NODE", slots: w.slots,
                         acceptable: slaveOK)
            w.stage = .closeOthers
        case .closeOthers:
            for n in w.others {
                try expectOK(try readN(try n.connection(), w.slots.count), node: n, what: "SETSLOT NODE",
                             slots: w.slots, acceptable: slaveOK)
            }
            for slot in w.slots {
                w.src.slots.remove(slot)
                w.dst.slots.insert(slot)
                w.src.migrating[slot] = nil
                w.dst.importing[slot] = nil
            }
            progress?.add(slots: w.slots.count)
            w.stage = .done
        case .done:
            break
        }
    }

    /// redis-cli 7's handling of a failed MIGRATE: BUSYKEY is retried with REPLACE when the values
    /// are equal on both nodes (DEBUG DIGEST-VALUE) or `--replace` was given; with fix, a slot that
    /// the source does not see served is first assigned to the target.
    func handleMigrateError(_ e: String, src: ClusterNode, dst: ClusterNode, slot: Int, keys: [[UInt8]],
                            fixMode: Bool) throws {
        let s = try src.connection()
        if e.contains("BUSYKEY") {
            console.log("*** Target key exists")
            if !options.replace {
                console.log("*** Checking key values on both nodes...")
                let diffs = try differingKeys(src: src, dst: dst, keys: keys)
                if !diffs.isEmpty {
                    var msg = "*** Found \(diffs.count) key(s) in both source node and target node having different values.\n"
                        + "    Source node: \(src.address)\n    Target node: \(dst.address)\n    Key(s):\n"
                    for k in diffs { msg += "    - \(String(decoding: k, as: UTF8.self))\n" }
                    msg += "Please fix the above key(s) manually and try again, or relaunch the command "
                        + "with --replace option to force key overriding."
                    throw ToolError(msg)
                }
            }
            console.log("*** Replacing target keys...")
            let r = try s.callBytes(migrateCommand(to: dst, keys: keys, replace: true))
            if let e2 = r.errorMessage { throw ToolError("Node \(src.address) replied with error:\n\(e2)") }
            return
        }
        if fixMode, !(try slotServed(on: src, slot: slot)) {
            console.log("*** Slot was not served, setting owner to node \(dst.address).")
            _ = try s.call("CLUSTER", "SETSLOT", String(slot), "NODE", dst.id)
            let r = try s.callBytes(migrateCommand(to: dst, keys: keys, replace: false))
            if let e2 = r.errorMessage {
                try handleMigrateError(e2, src: src, dst: dst, slot: slot, keys: keys, fixMode: false)
            }
            return
        }
        throw ToolError("Node \(src.address) replied with error to MIGRATE (slot \(slot)):\n\(e)\n"
                        + "*** Slot \(slot) is left open; `shoal-cluster fix` finishes it.")
    }

    func slotServed(on n: ClusterNode, slot: Int) throws -> Bool {
        let r = try n.connection().call("CLUSTER", "NODES")
        guard let t = r.string else { return true }
        return try parseClusterNodes(t).contains { $0.slots.contains(slot) }
    }

    /// Keys present on both nodes whose DEBUG DIGEST-VALUE differs.
    func differingKeys(src: ClusterNode, dst: ClusterNode, keys: [[UInt8]]) throws -> [[UInt8]] {
        let cmd: [[UInt8]] = [Array("DEBUG".utf8), Array("DIGEST-VALUE".utf8)] + keys
        let a = try src.connection().callBytes(cmd)
        let b = try dst.connection().callBytes(cmd)
        guard let da = a.array, let db = b.array, da.count == keys.count, db.count == keys.count else {
            throw ToolError("*** Value check failed! (DEBUG DIGEST-VALUE: \(a.errorMessage ?? b.errorMessage ?? "bad reply"); "
                            + "relaunch with --replace to overwrite the target keys)")
        }
        let zero = String(repeating: "0", count: 40)
        var diffs: [[UInt8]] = []
        for i in keys.indices {
            let x = da[i].string ?? "", y = db[i].string ?? ""
            if x == zero || y == zero { continue }
            if x != y { diffs.append(keys[i]) }
        }
        return diffs
    }

    // MARK: - Whole-slot migration (Shoal)

    public func slotMigrations(on n: ClusterNode) throws -> [SlotMigrationEntry] {
        let r = try n.connection().call("CLUSTER", "GETSLOTMIGRATIONS")
        if let e = r.errorMessage { throw ToolError(e) }
        return SlotMigrationEntry.parse(r)
    }

    static func isUnsupported(_ e: String) -> Bool {
        let l = e.lowercased()
        return l.contains("unknown subcommand") || l.contains("unknown command") || l.contains("not supported")
    }

    /// `CLUSTER MIGRATESLOTS SLOTSRANGE a b [a b ...] NODE <target>` on the source, then
    /// `CLUSTER GETSLOTMIGRATIONS` polled until the job is done. Returns the bytes the node sent,
    /// or nil when the node does not know the command and `--migration=auto` lets us fall back.
    func migrateSlotsWhole(src: ClusterNode, dst: ClusterNode, slots: [Int], expectedKeys: Int,
                           progress: Progress) throws -> Int? {
        if noWholeSlotMigration.contains(src.id) { return nil }
        let s = try src.connection()
        let mine = SlotSet(slots)
        let before = (try? slotMigrations(on: src)) ?? []
        let beforeIds = Set(before.compactMap(\.id))
        var args = ["CLUSTER", "MIGRATESLOTS", "SLOTSRANGE"]
        for r in mine.ranges { args += [String(r.lowerBound), String(r.upperBound)] }
        args += ["NODE", dst.id]
        let r = try s.call(args)
        if let e = r.errorMessage {
            if options.migration == .auto && Self.isUnsupported(e) {
                console.log("*** \(src.address) does not support CLUSTER MIGRATESLOTS (\(e)); moving keys instead")
                noWholeSlotMigration.insert(src.id)
                return nil
            }
            throw ToolError("Node \(src.address) replied with error to CLUSTER MIGRATESLOTS:\n\(e)")
        }
        if options.verbose { console.log("*** CLUSTER MIGRATESLOTS \(mine.rangeText) -> \(dst.address): started") }
        let baseKeys = progress.keysMoved, baseSlots = progress.slotsDone
        let baseBytes = progress.bytesSent ?? 0
        var cancelled = false
        let started = monotonicSeconds()
        var lastBytes = 0
        var pollMs = 5
        while true {
            if isInterrupted && !cancelled {
                cancelled = true
                console.log("*** Cancelling the slot migration on \(src.address)")
                _ = try? s.call("CLUSTER", "CANCELSLOTMIGRATIONS")
            }
            let all = try slotMigrations(on: src)
            var jobs = all.filter { $0.overlaps(mine) }
            if !beforeIds.isEmpty || all.contains(where: { $0.id != nil }) {
                jobs = jobs.filter { $0.id == nil || !beforeIds.contains($0.id!) }
            } else if all.count > before.count {
                jobs = Array(all[before.count...]).filter { $0.overlaps(mine) }
            }
            if jobs.isEmpty {
                if monotonicSeconds() - started > 10 {
                    throw ToolError("Node \(src.address) accepted CLUSTER MIGRATESLOTS but CLUSTER GETSLOTMIGRATIONS does not list it")
                }
            } else {
                let keys = jobs.reduce(0) { $0 + $1.keysMoved }
                lastBytes = jobs.reduce(0) { $0 + $1.bytesSent }
                progress.bytesSent = baseBytes + lastBytes
                let done = jobs.allSatisfy { $0.state == "success" }
                var covered = SlotSet()
                for j in jobs where j.state == "success" { for r in j.ranges { for x in r { covered.insert(x) } } }
                let slotsDone = jobs.reduce(0) { n, j in
                    n + (j.state == "success" ? j.ranges.reduce(0) { $0 + $1.count } : (j.slotsMoved ?? 0))
                }
                progress.set(keys: baseKeys + keys, slots: baseSlots + min(slotsDone, mine.count))
                if let bad = jobs.first(where: { $0.isFinished && $0.state != "success" }) {
                    let why = bad.error.map { ": \($0)" } ?? ""
                    if bad.state == "cancelled" && isInterrupted {
                        throw ToolError("*** Slot migration \(src.address) -> \(dst.address) cancelled\(why); "
                                        + "the slots not moved stay with \(src.address)")
                    }
                    throw ToolError("Slot migration \(src.address) -> \(dst.address) \(bad.state)\(why)")
                }
                if done && mine.sorted.allSatisfy({ covered.contains($0) }) { break }
            }
            // Poll fast at first (small moves end in milliseconds), then every --poll interval.
            usleep(UInt32(pollMs) * 1000)
            pollMs = min(pollMs * 2, max(options.pollIntervalMs, 5))
        }
        _ = expectedKeys
        // The target now owns the slots; wait (briefly) until it says so, then update our view.
        let deadline = monotonicSeconds() + 10
        while monotonicSeconds() < deadline {
            if let t = try? dst.connection().call("CLUSTER", "NODES").string,
               let me = try? parseClusterNodes(t).first(where: \.isMyself),
               mine.sorted.allSatisfy({ me.slots.contains($0) }) { break }
            usleep(50_000)
        }
        // Tell the other masters now rather than waiting for gossip (as keys mode does):
        // CLUSTER SETSLOTRANGE on Shoal nodes, SETSLOT NODE per slot (pipelined) otherwise.
        for n in masters where n !== src && n !== dst {
            guard let c = try? n.connection() else { continue }
            var done = false
            if n.isShoal {
                var args = ["CLUSTER", "SETSLOTRANGE"]
                for r in mine.ranges { args += [String(r.lowerBound), String(r.upperBound)] }
                args += ["NODE", dst.id]
                if let r = try? c.call(args), r.errorMessage == nil { done = true }
            }
            if !done {
                let replies = (try? c.pipeline(slots.map { ["CLUSTER", "SETSLOT", String($0), "NODE", dst.id] })) ?? []
                if let e = replies.first(where: { $0.isError })?.errorMessage, options.verbose {
                    console.log("*** \(n.address) refused SETSLOT NODE (\(e)); gossip will tell it")
                }
            }
        }
        for slot in slots {
            src.slots.remove(slot)
            dst.slots.insert(slot)
        }
        return lastBytes
    }
}

/// One window of keys-mode migration: the slots are opened together (IMPORTING on the target, then
/// MIGRATING on the source), every round sends one GETKEYSINSLOT per slot and one MIGRATE per
/// non-empty slot as pipelines until no slot has keys left, then SETSLOT NODE goes to the target,
/// the source and every other master, each as one pipeline. redis-cli does the same per slot,
/// one command at a time.
final class KeysMove {
    enum Stage {
        case openTarget, openSource, getKeys, migrate, closeTarget, closeSource, closeOthers, done
        var name: String {
            switch self {
            case .openTarget, .openSource: return "open"
            case .getKeys: return "getkeys"
            case .migrate: return "migrate"
            case .closeTarget: return "node-target"
            case .closeSource: return "node-source"
            case .closeOthers: return "node-others"
            case .done: return "done"
            }
        }
    }
    let src: ClusterNode
    let dst: ClusterNode
    let slots: [Int]
    let cold: Bool
    let fixMode: Bool
    var stage: Stage
    var pending: [Int]
    var work: [(slot: Int, keys: [[UInt8]])] = []
    var lastRound: [Int: [[UInt8]]] = [:]
    var others: [ClusterNode] = []
    var failures: [(slot: Int, keys: [[UInt8]], error: String)] = []
    var keysMoved = 0

    init(src: ClusterNode, dst: ClusterNode, slots: [Int], cold: Bool, fixMode: Bool) {
        self.src = src
        self.dst = dst
        self.slots = slots
        self.cold = cold
        self.fixMode = fixMode
        stage = cold ? .getKeys : .openTarget
        pending = slots
    }
}

/// The windows of one (source, target) pair, run one after the other.
final class KeysLane {
    var windows: [KeysMove]
    var index = 0
    var keys = 0
    var slots = 0
    var stopped = false
    init(windows: [KeysMove]) { self.windows = windows }
    var current: KeysMove? { !stopped && index < windows.count ? windows[index] : nil }
    func next(stop: Bool) {
        index += 1
        if stop { stopped = true }
    }
}
