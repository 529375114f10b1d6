import CPlatform
import Cluster
import Commands
import Keyspace
import NIOConcurrencyHelpers
import RESP

/// The routing table one event loop reads, refreshed from the publisher whenever its version
/// moves (one atomic load per keyed command). A change made by a command on any loop is seen by
/// the very next command on every loop — a CLUSTER SETSLOT IMPORTING answered on one connection
/// is in force for the RESTORE-ASKING that follows on another.
///
/// The fields every keyed command reads are copied out of the table into plain stored
/// properties and a raw owner array, so the per-command check does no reference counting.
final class LoopRouting {
    /// What the per-command check reads, behind a raw pointer: no reference counting on the
    /// hot path.
    struct Hot {
        /// `table.owner`, copied (16384 entries).
        var owners: UnsafeMutablePointer<Int16>
        var version: UInt64 = 0
        var publishedVersion: UnsafeMutablePointer<UInt64>
        var myIndex: Int16 = 0
        var myMasterIndex: Int16 = -1
        var clusterOK = false
        var allowReadsWhenDown = false
        /// Some slot is migrating or importing here: routing must look further than the owner.
        var hasOpenSlots = false
    }

    private unowned(unsafe) let publisher: RoutingPublisher
    private(set) var table = RoutingTable.empty()
    let hot: UnsafeMutablePointer<Hot>

    init(publisher: RoutingPublisher) {
        self.publisher = publisher
        let owners = UnsafeMutablePointer<Int16>.allocate(capacity: SlotBitmap.slotCount)
        owners.initialize(repeating: RoutingTable.unassigned, count: SlotBitmap.slotCount)
        hot = .allocate(capacity: 1)
        hot.initialize(to: Hot(owners: owners, publishedVersion: publisher.version))
    }

    deinit {
        hot.pointee.owners.deallocate()
        hot.deallocate()
    }

    var owners: UnsafeMutablePointer<Int16> { hot.pointee.owners }
    var myIndex: Int16 { hot.pointee.myIndex }

    /// Brings this loop's copy up to date if a newer table was published.
    @inline(__always)
    func refresh() {
        if shoal_atomic_load_acquire_u64(hot.pointee.publishedVersion) != hot.pointee.version { install() }
    }

    func install() {
        let (latest, latestVersion) = publisher.latest
        table = latest
        latest.owner.withUnsafeBufferPointer { hot.pointee.owners.update(from: $0.baseAddress!, count: SlotBitmap.slotCount) }
        hot.pointee.version = latestVersion
        hot.pointee.myIndex = latest.myIndex
        hot.pointee.myMasterIndex = latest.myMasterIndex
        hot.pointee.clusterOK = latest.clusterOK
        hot.pointee.allowReadsWhenDown = latest.allowReadsWhenDown
        hot.pointee.hasOpenSlots = !latest.migrating.isEmpty || !latest.importing.isEmpty
    }
}

/// Holds the newest routing table and its version.
final class RoutingPublisher: @unchecked Sendable {
    private let lock = NIOLock()
    private var table = RoutingTable.empty()
    /// Incremented (release) after every new table; loops poll it (acquire).
    let version: UnsafeMutablePointer<UInt64>

    init() {
        version = .allocate(capacity: 1)
        version.initialize(to: 0)
    }

    deinit { version.deallocate() }

    func publish(_ table: RoutingTable) {
        lock.withLock {
            self.table = table
            shoal_atomic_store_release_u64(version, version.pointee + 1)
        }
    }

    var latest: (RoutingTable, UInt64) {
        lock.withLock { (table, version.pointee) }
    }
}

/// Redis's cluster redirection errors.
enum ClusterRedirect {
    static let crossSlot = "CROSSSLOT Keys in request don't hash to the same slot"
    static let unbound = "CLUSTERDOWN Hash slot not served"
    static let down = "CLUSTERDOWN The cluster is down"
    static let downReadOnly = "CLUSTERDOWN The cluster is down and only accepts read commands"
    static let tryAgain = "TRYAGAIN Multiple keys request during rehashing of slot"
}

extension Dispatcher {
    /// The cluster check every keyed command passes before it runs (Redis's getNodeByQuery):
    /// all keys in one slot, the slot served here (or readable here), the cluster up.
    /// Returns the slot (-1 for a command without keys), or nil after writing the error reply.
    @inline(__always)
    func route(
        _ ctx: inout CommandContext, _ entry: UnsafeMutablePointer<CommandTable.Entry>, _ connection: Connection
    ) -> Int? {
        let args = ctx.args
        var slot = -1
        let single = entry.pointee.singleKeyIndex
        if single > 0 {
            // The common case (GET, SET, HSET ...): one key at a fixed position, no allocation;
            // the handler reuses the slot (`CommandContext.key`).
            if single < args.count {
                slot = keyHashSlot(args[single])
                ctx.knownSlotIndex = single
                ctx.knownSlot = slot
            }
        } else if entry.pointee.keys.finder != nil || entry.pointee.keys.first > 0 {
            for i in entry.pointee.keys.indices(in: args) {
                let s = keyHashSlot(args[i])
                if slot < 0 {
                    slot = s
                } else if s != slot {
                    ctx.reply.error(ClusterRedirect.crossSlot)
                    return nil
                }
            }
        }
        guard slot >= 0 else { return -1 }
        let hot = connection.hotRouting
        if shoal_atomic_load_acquire_u64(hot.pointee.publishedVersion) != hot.pointee.version {
            connection.routing.install()
        }
        let owner = hot.pointee.owners[slot]
        if owner == RoutingTable.unassigned {
            ctx.reply.error(ClusterRedirect.unbound)
            return nil
        }
        if !hot.pointee.clusterOK {
            if !hot.pointee.allowReadsWhenDown {
                ctx.reply.error(ClusterRedirect.down)
                return nil
            }
            if entry.pointee.isWrite {
                ctx.reply.error(ClusterRedirect.downReadOnly)
                return nil
            }
        }
        if owner == hot.pointee.myIndex && !hot.pointee.hasOpenSlots { return slot }
        return routeOpenSlot(&ctx, entry, connection, slot: slot, owner: owner)
    }

    /// The rest of getNodeByQuery, for slots being migrated (or owned elsewhere): ASK while a
    /// migrating slot lacks the keys, ASKING clients served on an importing slot, TRYAGAIN for
    /// multi-key commands whose keys are split between the two nodes, READONLY replicas, MOVED.
    private func routeOpenSlot(
        _ ctx: inout CommandContext, _ entry: UnsafeMutablePointer<CommandTable.Entry>, _ connection: Connection,
        slot: Int, owner: Int16
    ) -> Int? {
        let hot = connection.hotRouting
        let table = connection.routing.table
        let migratingTarget = owner == hot.pointee.myIndex ? table.migrating[slot] : nil
        let importing = table.importing.contains(slot)
        if migratingTarget != nil || importing {
            if entry.pointee.isMigrate { return slot }
            var missing = 0
            var existing = 0
            var distinct = false
            let indices = entry.pointee.singleKeyIndex > 0 ? [entry.pointee.singleKeyIndex] : entry.pointee.keys.indices(in: ctx.args)
            if keyspace.concurrent { keyspace.lock(slot: slot) }
            for i in indices {
                let bytes = ctx.args[i]
                if !distinct && i != indices[0] && !bytes.elementsEqual(ctx.args[indices[0]]) { distinct = true }
                if keyspace.exists(db: 0, key: Key(bytes, slot: slot), now: ctx.now) {
                    existing += 1
                } else {
                    missing += 1
                }
            }
            if keyspace.concurrent { keyspace.unlock(slot: slot) }
            // Whole-slot migration under way: the keys are on their way, writes wait for the handoff.
            if migratingTarget != nil && entry.pointee.isWrite, let frozen = frozenSlots, frozen[slot] != 0 {
                ctx.reply.error("TRYAGAIN Slot \(slot) is being migrated, try again")
                return nil
            }
            if let target = migratingTarget, missing > 0 {
                if existing > 0 {
                    ctx.reply.error(ClusterRedirect.tryAgain)
                } else {
                    ctx.reply.error("ASK \(slot) \(table.endpoints[Int(target)])")
                }
                return nil
            }
            if importing && (connection.asking || entry.pointee.impliesAsking) {
                if distinct && missing > 0 {
                    ctx.reply.error(ClusterRedirect.tryAgain)
                    return nil
                }
                return slot
            }
        }
        if owner == hot.pointee.myIndex { return slot }
        if owner == hot.pointee.myMasterIndex && connection.clusterReadOnly && !entry.pointee.isWrite { return slot }
        ctx.reply.error("MOVED \(slot) \(table.endpoints[Int(owner)])")
        return nil
    }
}
