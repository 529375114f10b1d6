#if canImport(Glibc)
import Glibc
#endif
import Cluster
import ClusterBus
import Dispatch
import Keyspace
import Migration
import NIOConcurrencyHelpers
import NIOCore
import RDB
import RESP

/// Whole-slot migration between two Shoal nodes (CLUSTER MIGRATESLOTS, Valkey 9's names).
///
/// Slots move in groups. For each group the source
///  1. opens the slots (IMPORTING on the target, MIGRATING here) and freezes writes to them
///     (clients get -TRYAGAIN, reads go on), then waits until every event loop has seen that;
///  2. streams every key of the group to the target in LZ4 frames (CLUSTER IMPORTKEYS), a slot
///     at a time on an event loop so other clients are served in between;
///  3. hands ownership over: SETSLOT NODE on the target (which takes a new config epoch, so its
///     claim wins in gossip), then drops its own copy and points the slots at the target;
///  4. unfreezes: a client retrying its write now gets -MOVED.
/// A failure or a cancel before step 3 purges what the target received and closes the slots:
/// the source still owns them, the target holds nothing of them.
final class SlotMigrator: @unchecked Sendable {
    /// Writes to these slots wait (TRYAGAIN) while their keys are on the way. Written by the
    /// migration thread, read by every event loop (one byte per slot).
    let frozen: UnsafeMutablePointer<UInt8>
    private let lock = NIOLock()
    private var jobs: [SlotMigrationJob] = []
    private let queue = DispatchQueue(label: "shoal.slot-migration")
    unowned let server: ShoalServer

    /// A group of slots is closed when it holds this many keys or raw bytes of values.
    static let groupKeys = 20_000
    static let groupBytes = 8 << 20
    /// One IMPORTKEYS frame carries up to this many raw bytes: enough for LZ4 to find the
    /// repetition between values, small enough that the target applies it in a few milliseconds.
    static let frameBytes = 256 << 10

    init(server: ShoalServer) {
        self.server = server
        frozen = .allocate(capacity: SlotBitmap.slotCount)
        frozen.initialize(repeating: 0, count: SlotBitmap.slotCount)
    }

    deinit { frozen.deallocate() }

    /// CLUSTER MIGRATESLOTS: checks and starts a job; the reply comes before the keys move.
    func start(ranges: [ClosedRange<Int>], target: String) throws(ClusterCommandError) -> SlotMigrationJob {
        guard let cluster = server.cluster else { throw ClusterCommandError("ERR This instance has cluster support disabled") }
        let (targetNode, myName) = try cluster.read { state, _ throws(ClusterCommandError) in
            guard let node = state.endpoint(of: target) else { throw ClusterCommandError("ERR Unknown node \(target)") }
            return (node, state.myName.text)
        }
        guard targetNode.isMaster else { throw ClusterCommandError("ERR Target node is not a master") }
        guard targetNode.name.text != myName else { throw ClusterCommandError("ERR Can't migrate slots to myself") }
        let table = try cluster.read { state, _ in state.routingTable() }
        var slots: [Int] = []
        for range in ranges {
            for slot in range {
                guard table.owner[slot] == table.myIndex else {
                    throw ClusterCommandError("ERR I'm not the owner of hash slot \(slot)")
                }
                slots.append(slot)
            }
        }
        let job = SlotMigrationJob(ranges: ranges, slots: slots, target: targetNode, source: myName)
        let conflict = lock.withLock { () -> Int? in
            let busy = Set(jobs.filter { $0.isRunning }.flatMap(\.slots))
            if let slot = slots.first(where: busy.contains) { return slot }
            jobs.append(job)
            if jobs.count > 64 { jobs.removeFirst(jobs.count - 64) }
            return nil
        }
        if let conflict { throw ClusterCommandError("ERR Slot \(conflict) is already being migrated") }
        queue.async { [self] in run(job) }
        return job
    }

    var all: [SlotMigrationJob] { lock.withLock { jobs } }

    /// CLUSTER CANCELSLOTMIGRATIONS: running jobs stop before their next hand-over.
    func cancelAll() -> Int {
        let running = lock.withLock { jobs.filter { $0.isRunning } }
        for job in running { job.requestCancel() }
        return running.count
    }

    // MARK: the job

    private func run(_ job: SlotMigrationJob) {
        let timeout = 10_000
        let peer: PeerConnection
        do {
            peer = try PeerConnection(host: job.target.ip, port: job.target.port, timeoutMillis: timeout)
            try authenticate(peer)
        } catch {
            job.finish(.failed, error: "\(error)")
            return
        }
        var remaining = job.slots[...]
        while !remaining.isEmpty {
            if job.cancelRequested {
                job.finish(.cancelled, error: "cancelled")
                return
            }
            let group = nextGroup(&remaining)
            do {
                try migrate(group, job: job, peer: peer)
            } catch {
                if job.cancelRequested {
                    job.finish(.cancelled, error: "cancelled")
                } else {
                    server.log.warning("Slot migration \(job.id.prefix(8)) failed: \(error)")
                    job.finish(.failed, error: "\(error)")
                }
                return
            }
        }
        job.finish(.success, error: nil)
    }

    /// Slots from the front of `remaining` until the group is big enough.
    private func nextGroup(_ remaining: inout ArraySlice<Int>) -> [Int] {
        var group: [Int] = []
        var keys = 0
        let keyspace = server.keyspace
        let candidates = Array(remaining.prefix(1024))
        let counts = (try? onLoop { candidates.map { keyspace.keyCount(db: 0, slot: $0) } }) ?? []
        for (i, n) in counts.enumerated() {
            let slot = candidates[i]
            if !group.isEmpty && keys + n > Self.groupKeys { break }
            group.append(slot)
            keys += n
            remaining.removeFirst()
        }
        return group
    }

    private func migrate(_ group: [Int], job: SlotMigrationJob, peer: PeerConnection) throws {
        guard let cluster = server.cluster else { throw PeerConnection.Failure(description: "cluster disabled") }
        let target = job.target.name.text
        // 1. Open the slots on both sides, freeze writes here.
        let t0 = monotonicMillis()
        try pipeline(peer, [["CLUSTER", "SETSLOTRANGE"] + Self.rangeArguments(group) + ["IMPORTING", job.source]])
        var handedOver = false
        do {
            try cluster.command { state, now throws(ClusterCommandError) in
                ((), try state.setSlots(group, .migrating(target), keysInSlot: { _ in 1 }, now: now))
            }
            for slot in group { frozen[slot] = 1 }
            barrier()
            let t1 = monotonicMillis()
            // 2. Stream the keys.
            var builder = MigrationBatchBuilder(reserving: Self.frameBytes + 64 * 1024)
            var pending = 0
            var next = group[...]
            while !next.isEmpty {
                if job.cancelRequested { throw PeerConnection.Failure(description: "cancelled") }
                let (moved, sent) = try exportSlots(&next, into: &builder, peer: peer, pending: &pending)
                job.progress(keys: moved, bytes: sent)
            }
            if builder.count > 0 {
                let frame = try builder.seal()
                try peer.send([Array("CLUSTER".utf8), Array("IMPORTKEYS".utf8), frame])
                job.progress(keys: 0, bytes: frame.count)
                pending += 1
            }
            try expectOK(peer, count: pending)
            if job.cancelRequested { throw PeerConnection.Failure(description: "cancelled") }
            // 3. Hand over: the target first (it bumps its epoch), then here.
            let t2 = monotonicMillis()
            handedOver = true
            try pipeline(peer, [["CLUSTER", "SETSLOTRANGE"] + Self.rangeArguments(group) + ["NODE", target]])
            let keyspace = server.keyspace
            // Big collections are freed here, on the migration thread, not on the event loop:
            // the loop drops the keys while these references keep the objects alive.
            let bigObjects = try onLoop { () -> [any KeyspaceObject] in
                var keep: [any KeyspaceObject] = []
                for slot in group {
                    keyspace.lock(slot: slot)
                    self.server.writeBarrier.beforeWrite(slot: slot)
                    if let propagator = self.server.dispatcher.propagator {
                        propagator.deleted(db: 0, keys: keyspace.keys(db: 0, slot: slot, now: Int64.min))
                    }
                    keyspace.forEachEntry(db: 0, slot: slot, now: wallClockMillis()) { entry in
                        if BigValueMigration.elementCount(entry) > BigValueMigration.chunkElements {
                            keep.append(entry.object)
                        }
                    }
                    keyspace.flush(db: 0, slot: slot)
                    keyspace.unlock(slot: slot)
                }
                return keep
            }
            withExtendedLifetime(bigObjects) {}
            try cluster.command { state, now throws(ClusterCommandError) in
                ((), try state.setSlots(group, .node(target), keysInSlot: { _ in 0 }, now: now))
            }
            barrier()
            for slot in group { frozen[slot] = 0 }
            job.slotsDone(group.count)
            server.log.info("Slot migration \(job.id.prefix(8)): \(group.count) slots to \(target.prefix(8)): open \(t1 - t0) ms, keys \(t2 - t1) ms, handoff \(monotonicMillis() - t2) ms")
        } catch {
            if !handedOver {
                // Roll back: nothing of the group stays on the target, the slots stay ours.
                _ = try? pipeline(peer, [
                    ["CLUSTER", "PURGESLOTS"] + group.map(String.init),
                    ["CLUSTER", "SETSLOTRANGE"] + Self.rangeArguments(group) + ["STABLE"],
                ])
                _ = try? cluster.command { state, now throws(ClusterCommandError) in
                    ((), try state.setSlots(group, .stable, keysInSlot: { _ in 0 }, now: now))
                }
            }
            barrier()
            for slot in group { frozen[slot] = 0 }
            throw error
        }
    }

    /// Serialises keys of the slots at the front of `slots` (on an event loop, each slot under its
    /// lock) into the builder — as many slots as fit in about a millisecond of loop time, so other
    /// clients are served in between — and sends a frame whenever the builder is full. Returns the
    /// keys exported and the frame bytes sent.
    private func exportSlots(
        _ slots: inout ArraySlice<Int>, into builder: inout MigrationBatchBuilder, peer: PeerConnection,
        pending: inout Int
    ) throws -> (Int, Int) {
        let keyspace = server.keyspace
        let candidates = Array(slots.prefix(256))
        let limits = server.rdbEncodingLimits
        let (done, records, bigKeys) = try onLoop {
            () throws -> (Int, [MigrationRecord], [(slot: Int, key: [UInt8])]) in
            var out: [MigrationRecord] = []
            var big: [(slot: Int, key: [UInt8])] = []
            let started = monotonicMicros()
            var done = 0
            for slot in candidates {
                keyspace.lock(slot: slot)
                defer { keyspace.unlock(slot: slot) }
                try keyspace.forEachEntry(db: 0, slot: slot, now: wallClockMillis()) { entry in
                    if BigValueMigration.elementCount(entry) > BigValueMigration.chunkElements {
                        big.append((slot, Array(entry.keyBytes)))
                    } else {
                        out.append(MigrationRecord(
                            key: Array(entry.keyBytes), expireAt: entry.expireAt,
                            object: try RDBObject.encode(entry: entry, limits: limits)))
                    }
                }
                done += 1
                if monotonicMicros() - started > 1000 { break }
            }
            return (done, out, big)
        }
        slots.removeFirst(done)
        var sent = 0
        for record in records { sent += try add(record, to: &builder, peer: peer, pending: &pending) }
        for big in bigKeys {
            sent += try exportBigKey(big.key, slot: big.slot, into: &builder, peer: peer, pending: &pending)
        }
        return (records.count + bigKeys.count, sent)
    }

    /// Adds a record, sending the frame when it is full; returns the frame bytes sent.
    private func add(
        _ record: MigrationRecord, to builder: inout MigrationBatchBuilder, peer: PeerConnection, pending: inout Int
    ) throws -> Int {
        builder.append(record)
        guard builder.rawByteCount >= Self.frameBytes else { return 0 }
        let frame = try builder.seal()
        try peer.send([Array("CLUSTER".utf8), Array("IMPORTKEYS".utf8), frame])
        pending += 1
        return frame.count
    }

    /// One big collection, a part per event-loop step (BigValueMigration).
    private func exportBigKey(
        _ key: [UInt8], slot: Int, into builder: inout MigrationBatchBuilder, peer: PeerConnection, pending: inout Int
    ) throws -> Int {
        let keyspace = server.keyspace
        let limits = server.rdbEncodingLimits
        var cursor: BigValueMigration.Cursor?
        var sent = 0
        repeat {
            let from = cursor
            let step = try onLoop { () throws -> (MigrationRecord?, BigValueMigration.Cursor?)? in
                keyspace.lock(slot: slot)
                defer { keyspace.unlock(slot: slot) }
                let now = wallClockMillis()
                let found = key.withUnsafeBytes { keyspace.lookup(db: 0, key: Key($0, slot: slot), now: now, touch: false) }
                guard let entry = found, let start = from ?? BigValueMigration.start(entry) else { return nil }
                let (part, next) = BigValueMigration.next(entry, from: start)
                // A later step of a hash table being resized can find only elements already sent.
                if from != nil && part.count == 0 { return (nil, next) }
                let encoder = RDBEncoder(limits: limits)
                encoder.writeObject(part)
                return (MigrationRecord(key: key, expireAt: entry.expireAt, object: encoder.out.array, append: from != nil), next)
            }
            guard let (record, next) = step else { break }
            if let record { sent += try add(record, to: &builder, peer: peer, pending: &pending) }
            cursor = next
        } while cursor != nil
        return sent
    }

    /// `start end start end ...` for the contiguous runs of a sorted slot list.
    static func rangeArguments(_ slots: [Int]) -> [String] {
        var out: [String] = []
        var start = slots[0]
        var previous = slots[0]
        for slot in slots.dropFirst() {
            if slot == previous + 1 {
                previous = slot
                continue
            }
            out += [String(start), String(previous)]
            start = slot
            previous = slot
        }
        return out + [String(start), String(previous)]
    }

    // MARK: helpers

    private func authenticate(_ peer: PeerConnection) throws {
        guard let password = server.settings.requirePass else { return }
        // Nodes of one cluster share their password (as redis-cli --cluster assumes).
        if case .error(let message) = try peer.call(["AUTH", password].map { Array($0.utf8) }) {
            throw PeerConnection.Failure(description: "target refused AUTH: \(message)")
        }
    }

    /// Sends the commands in one write and checks every reply is not an error.
    private func pipeline(_ peer: PeerConnection, _ commands: [[String]]) throws {
        var bytes: [UInt8] = []
        for command in commands { bytes += RESPValue.encodeCommand(command) }
        try peer.write(bytes)
        try expectOK(peer, count: commands.count)
    }

    private func expectOK(_ peer: PeerConnection, count: Int) throws {
        var firstError: String?
        for _ in 0..<count {
            if case .error(let message) = try peer.readReply(), firstError == nil { firstError = message }
        }
        if let firstError { throw PeerConnection.Failure(description: "target replied: \(firstError)") }
    }

    /// Runs `body` on the first event loop (where the keyspace may be touched without locks when
    /// there is a single loop) and waits for it.
    @discardableResult
    private func onLoop<T>(_ body: @escaping () throws -> T) throws -> T {
        try server.runOnMainLoop(body)
    }

    private func barrier() {
        let done = DispatchGroup()
        for state in server.loops {
            done.enter()
            state.eventLoop.execute { done.leave() }
        }
        done.wait()
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// A closure handed to another thread that waits for it: it never runs concurrently with its
/// creator, which is what Sendable would protect.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// One CLUSTER MIGRATESLOTS request and its progress (CLUSTER GETSLOTMIGRATIONS).
final class SlotMigrationJob: @unchecked Sendable {
    enum State: String {
        case running, success, failed, cancelled
    }

    let id: String
    let ranges: [ClosedRange<Int>]
    let slots: [Int]
    let target: NodeEndpoint
    let source: String
    let startedAt = wallClockMillis()
    private let lock = NIOLock()
    private var _state = State.running
    private var _error: String?
    private var _keys = 0
    private var _bytes = 0
    private var _slotsDone = 0
    private var _cancel = false
    private var _endedAt: Int64 = 0

    init(ranges: [ClosedRange<Int>], slots: [Int], target: NodeEndpoint, source: String) {
        self.id = Platform.randomHexID()
        self.ranges = ranges
        self.slots = slots
        self.target = target
        self.source = source
    }

    var isRunning: Bool { lock.withLock { _state == .running } }
    var cancelRequested: Bool { lock.withLock { _cancel } }
    func requestCancel() { lock.withLock { _cancel = true } }
    func progress(keys: Int, bytes: Int) { lock.withLock { _keys += keys; _bytes += bytes } }
    func slotsDone(_ n: Int) { lock.withLock { _slotsDone += n } }

    func finish(_ state: State, error: String?) {
        lock.withLock {
            _state = state
            _error = error
            _endedAt = wallClockMillis()
        }
    }

    /// The fields GETSLOTMIGRATIONS reports, in order.
    var fields: [(String, ReplyField)] {
        lock.withLock {
            [
                ("id", .text(id)),
                ("slot_ranges", .text(ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " "))),
                ("source_node", .text(source)),
                ("target_node", .text(target.name.text)),
                ("state", .text(_state.rawValue)),
                ("slots_moved", .number(_slotsDone)),
                ("keys_moved", .number(_keys)),
                ("bytes_sent", .number(_bytes)),
                ("create_time", .number(Int(startedAt))),
                ("end_time", .number(Int(_endedAt))),
                ("error", .text(_error ?? "")),
            ]
        }
    }

    enum ReplyField {
        case text(String)
        case number(Int)
    }
}
