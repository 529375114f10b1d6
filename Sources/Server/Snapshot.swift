#if canImport(Glibc)
import Glibc
#endif
import Keyspace
import NIOConcurrencyHelpers
import RDB

/// A point-in-time image of the keyspace written while the node keeps serving, without fork.
///
/// The image is cut into units, one per (database, slot) shard. A walker serialises the units in
/// file order (database by database, slot by slot). A write that is about to touch a slot the
/// walker has not reached first serialises that slot's units as they are now (`capture`), so the
/// file holds every shard as it was when the job started. Extra memory is only the serialised
/// form of the shards written to during the save, released as the walker passes them.
///
/// Both the walker and `capture` look at a unit only while holding its slot's lock (or, with one
/// event loop and no locks, on that loop), which is what makes the unit states consistent.
final class SnapshotJob: @unchecked Sendable {
    enum UnitState: UInt8 {
        case pending = 0
        /// Serialised by a write's barrier; the bytes wait in `captured`.
        case captured = 1
        /// In the file (or empty at the start).
        case done = 2
    }

    let keyspace: Keyspace
    let databaseCount: Int
    let access: RDBAccessData
    let limits: RDBEncodingLimits
    /// Unix ms when the image was cut.
    let startedAt: Int64
    /// (keys, keys with an expiry) per database at the start: RESIZEDB hints and the key total.
    let sizes: [(keys: Int, expires: Int)]
    private let states: UnsafeMutablePointer<UInt8>
    private let capturedLock = NIOLock()
    private var captured: [Int: [UInt8]] = [:]
    private var scratch: [RDBFileWriter] = []
    /// Serialised bytes waiting for the walker (INFO's current_cow_size, in spirit).
    private(set) var capturedBytes = 0
    private(set) var capturedPeak = 0
    /// Keys written so far (INFO current_save_keys_processed).
    private(set) var keysProcessed = 0
    /// Set to stop the walk (SHUTDOWN, a failed write, FLUSHALL ...); read without a lock.
    var cancelled = false
    /// Cancelled because the image no longer matters (FLUSHALL), not because anything failed.
    var cancelledQuietly = false
    /// Write commands instead of RDB records (an AOF base with `aof-use-rdb-preamble no`).
    var commandForm = false

    var totalKeys: Int { sizes.reduce(0) { $0 + $1.keys } }

    /// Cuts the image. The caller guarantees that no command runs meanwhile: it holds every slot
    /// lock, or runs on the only event loop.
    init(keyspace: Keyspace, access: RDBAccessData, limits: RDBEncodingLimits, now: Int64) {
        self.keyspace = keyspace
        self.databaseCount = keyspace.databaseCount
        self.access = access
        self.limits = limits
        self.startedAt = now
        let units = databaseCount * clusterSlotCount
        states = .allocate(capacity: units)
        var sizes: [(Int, Int)] = []
        for db in 0..<databaseCount {
            let base = db * clusterSlotCount
            let keys = keyspace.keyCount(db: db)
            sizes.append((keys, keys == 0 ? 0 : keyspace.expiringKeyCount(db: db)))
            for slot in 0..<clusterSlotCount {
                let empty = keys == 0 || keyspace.keyCount(db: db, slot: slot) == 0
                states[base + slot] = empty ? UnitState.done.rawValue : UnitState.pending.rawValue
            }
        }
        self.sizes = sizes
    }

    deinit { states.deallocate() }

    /// The write barrier: called with `slot` locked, before a write touches it. Serialises the
    /// slot's units the walker has not reached, in every database (MOVE and COPY write another
    /// database's shard of the same slot).
    func capture(slot: Int) {
        if cancelled { return }
        var db = 0
        while db < databaseCount {
            let unit = db * clusterSlotCount + slot
            if states[unit] == UnitState.pending.rawValue {
                let bytes = serialise(db: db, slot: slot)
                states[unit] = UnitState.captured.rawValue
                capturedLock.withLock {
                    captured[unit] = bytes
                    capturedBytes += bytes.count
                    capturedPeak = max(capturedPeak, capturedBytes)
                }
            }
            db += 1
        }
    }

    /// The barrier for commands that rewrite whole databases (FLUSHDB, FLUSHALL, SWAPDB): every
    /// slot, with every lock held.
    func captureAll() {
        for slot in 0..<clusterSlotCount { capture(slot: slot) }
    }

    /// Whether any unit of `slot` still waits for the walker or a capture (a cheap pre-check).
    @inline(__always)
    func needsCapture(slot: Int) -> Bool {
        var db = 0
        while db < databaseCount {
            if states[db * clusterSlotCount + slot] == UnitState.pending.rawValue { return true }
            db += 1
        }
        return false
    }

    private func serialise(db: Int, slot: Int) -> [UInt8] {
        let writer = capturedLock.withLock { scratch.popLast() }
            ?? RDBFileWriter(limits: limits, checksum: false) { _ in }
        writer.encoder.out.removeAll()
        var n = 0
        keyspace.forEachEntry(db: db, slot: slot, now: startedAt) { e in
            // An entry that cannot be encoded is a bug in a type's RDB form; skip it loudly
            // rather than write a file redis-server would refuse.
            do { try encode(e, into: writer) } catch {
                assertionFailure("RDB encoding failed: \(error)")
            }
            n += 1
        }
        let bytes = writer.encoder.out.array
        writer.encoder.out.removeAll()
        capturedLock.withLock {
            keysProcessed += n
            if scratch.count < 4 { scratch.append(writer) }
        }
        return bytes
    }

    /// Moves unit (db, slot) into `writer`: its captured bytes, or the shard itself when no write
    /// got there first. Called with the slot locked (or on the loop).
    func take(db: Int, slot: Int, into writer: RDBFileWriter) throws {
        let unit = db * clusterSlotCount + slot
        switch states[unit] {
        case UnitState.pending.rawValue:
            var n = 0
            try keyspace.forEachEntry(db: db, slot: slot, now: startedAt) { e in
                try encode(e, into: writer)
                n += 1
            }
            capturedLock.withLock { keysProcessed += n }
        case UnitState.captured.rawValue:
            let bytes = capturedLock.withLock { () -> [UInt8] in
                let b = captured.removeValue(forKey: unit) ?? []
                capturedBytes -= b.count
                return b
            }
            writer.encoder.out.append(bytes)
        default:
            break
        }
        states[unit] = UnitState.done.rawValue
    }

    /// One key: an RDB record, or the commands that rebuild it (Redis's rewriteAppendOnlyFileRio:
    /// batched RPUSH / SADD / ZADD / HSET, SET, then PEXPIREAT).
    private func encode(_ e: EntryRef, into writer: RDBFileWriter) throws {
        guard commandForm else {
            try writer.writeEntry(e, access: access, keyspace: keyspace, now: startedAt)
            return
        }
        guard let value = rdbValue(of: e) else { return }
        let key = Array(e.keyBytes)
        for command in CommandPropagator.commands(adding: value, to: key) {
            Self.appendCommand(command, to: writer)
        }
        if let at = e.expireAt {
            Self.appendCommand([CommandPropagator.pexpireat, key, Array(String(at).utf8)], to: writer)
        }
    }

    static func appendCommand(_ args: [[UInt8]], to writer: RDBFileWriter) {
        writer.encoder.out.append(Array("*\(args.count)\r\n".utf8))
        for a in args {
            writer.encoder.out.append(Array("$\(a.count)\r\n".utf8))
            writer.encoder.out.append(a)
            writer.encoder.out.append([13, 10])
        }
    }

    /// Whether database `db` appears in the image at all.
    func includes(db: Int) -> Bool { sizes[db].keys > 0 }

    /// Drops whatever captures still wait (after a cancelled walk), so the memory goes at once.
    func discardCaptured() {
        capturedLock.withLock {
            captured.removeAll()
            capturedBytes = 0
        }
    }
}

/// How the walker reaches a slot safely: with its lock (several event loops), or by running on
/// the only event loop in short steps (no locks exist then).
protocol SnapshotSlotAccess {
    /// Runs `body` for consecutive slots of `db` from `start`, each with the slot safe to read,
    /// for as long as `body` returns true and about one millisecond has not passed; returns the
    /// next slot to visit.
    func walk(db: Int, from start: Int, _ body: @escaping (Int) throws -> Bool) throws -> Int
}

extension SnapshotJob {
    /// Writes the whole image through `writer` (the header already written by the caller):
    /// SELECTDB / RESIZEDB, every unit, EOF and checksum. `flush` pushes buffered bytes to the
    /// file outside any lock.
    func write(to writer: RDBFileWriter, access slots: SnapshotSlotAccess) throws {
        for db in 0..<databaseCount where includes(db: db) {
            if commandForm {
                Self.appendCommand([Array("SELECT".utf8), Array(String(db).utf8)], to: writer)
            } else {
                try writer.selectDatabase(db, keys: sizes[db].keys, expires: sizes[db].expires)
            }
            var slot = 0
            while slot < clusterSlotCount {
                if cancelled { throw SnapshotError.cancelled }
                slot = try slots.walk(db: db, from: slot) { [self] s in
                    try take(db: db, slot: s, into: writer)
                    // Big buffers go to the file between steps, not under the lock.
                    return writer.encoder.out.count < writer.flushThreshold
                }
                try writer.flushIfNeeded()
            }
        }
        if commandForm { try writer.flush() } else { try writer.finish() }
    }
}

enum SnapshotError: Error, CustomStringConvertible {
    case cancelled
    case io(String)

    var description: String {
        switch self {
        case .cancelled: return "the save was cancelled"
        case .io(let what): return what
        }
    }
}

/// The walker holds nothing: the caller owns the whole keyspace (every slot lock, or the only
/// event loop), as SAVE, SHUTDOWN and DEBUG RELOAD do.
struct ExclusiveSlotAccess: SnapshotSlotAccess {
    func walk(db: Int, from start: Int, _ body: @escaping (Int) throws -> Bool) throws -> Int {
        var slot = start
        while slot < clusterSlotCount {
            let more = try body(slot)
            slot += 1
            if !more { break }
        }
        return slot
    }
}

/// Several event loops: each slot is read under its own lock, so commands on other slots run on.
struct LockedSlotAccess: SnapshotSlotAccess {
    let keyspace: Keyspace

    func walk(db: Int, from start: Int, _ body: @escaping (Int) throws -> Bool) throws -> Int {
        var slot = start
        while slot < clusterSlotCount {
            keyspace.lock(slot: slot)
            let more: Bool
            do { more = try body(slot) } catch {
                keyspace.unlock(slot: slot)
                throw error
            }
            keyspace.unlock(slot: slot)
            slot += 1
            if !more { break }
        }
        return slot
    }
}

/// One event loop and no slot locks: the walk runs on that loop in steps of about a millisecond,
/// and the loop serves clients between steps.
struct LoopSlotAccess: SnapshotSlotAccess {
    let run: (@escaping () throws -> Int) throws -> Int

    func walk(db: Int, from start: Int, _ body: @escaping (Int) throws -> Bool) throws -> Int {
        let step = UncheckedSendable(body)
        return try run {
            let began = monotonicMicros()
            var slot = start
            while slot < clusterSlotCount {
                let more = try step.value(slot)
                slot += 1
                if !more || monotonicMicros() - began > 1000 { break }
            }
            return slot
        }
    }
}
