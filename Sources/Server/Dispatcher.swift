import Commands
import NIOConcurrencyHelpers
import Keyspace
import RESP

/// Runs one parsed command: finds it, checks arity and authentication, locks the slots it
/// touches, calls its handler, and keeps the counters INFO reports.
final class Dispatcher: @unchecked Sendable {
    let table: CommandTable
    let keyspace: Keyspace
    let blocked = BlockedClients()
    /// `cluster-enabled`: every keyed command is routed (`route`) before it runs.
    let clusterEnabled: Bool
    /// SlotMigrator.frozen: slots whose writes wait for a whole-slot handoff.
    var frozenSlots: UnsafeMutablePointer<UInt8>?
    /// Keeps a background snapshot point-in-time: writes capture their slots first.
    let barrier: WriteBarrier
    /// The append-only file's feed, when `appendonly yes`; set before the node serves clients
    /// or while every slot lock is held.
    var propagator: CommandPropagator?
    /// What FLUSHALL does around its handler (set once at startup): see `runWholeKeyspaceWrite`.
    var flushAllHooks: (before: () -> Void, after: () -> Void)?
    /// Non-zero while writes are refused (`stop-writes-on-bgsave-error`, a failing AOF); a byte,
    /// so that every loop can read it without a lock. The error text is behind `denialLock`.
    var writesDenied: UInt8 = 0
    private let denialLock = NIOLock()
    private var denialText = ""

    func denyWrites(_ text: String?) {
        denialLock.withLock { denialText = text ?? "" }
        writesDenied = text == nil ? 0 : 1
    }

    init(table: CommandTable, keyspace: Keyspace, clusterEnabled: Bool, barrier: WriteBarrier) {
        self.barrier = barrier
        self.table = table
        self.keyspace = keyspace
        self.clusterEnabled = clusterEnabled
    }

    @inline(__always)
    func execute(_ ctx: inout CommandContext, connection: Connection) {
        let args = ctx.args
        guard let position = table.lookup(args[0]) else {
            unknownCommand(&ctx)
            return
        }
        var entry = table.entries + position
        var subPosition = -1
        if let subcommands = entry.pointee.subcommands, args.count >= 2 || entry.pointee.arity != -1 {
            // A container that accepts no subcommand (COMMAND) runs its own handler below.
            guard args.count >= 2 else {
                ctx.reply.error(CommandError.wrongArity(entry.pointee.name))
                return
            }
            guard let sub = subcommands.lookup(args[1]) else {
                ctx.reply.error(
                    "ERR unknown subcommand '\(Dispatcher.truncated(args[1]))'. Try \(entry.pointee.name.uppercased()) HELP.")
                return
            }
            let containerName = entry.pointee.name
            subPosition = sub
            entry = subcommands.entries + sub
            if !Dispatcher.arityMatches(entry.pointee.arity, args.count) {
                ctx.reply.error(CommandError.wrongArity("\(containerName)|\(entry.pointee.name)"))
                return
            }
        } else if !Dispatcher.arityMatches(entry.pointee.arity, args.count) {
            ctx.reply.error(CommandError.wrongArity(entry.pointee.name))
            return
        }
        if !connection.authenticated && entry.pointee.needsAuth {
            ctx.reply.error("NOAUTH Authentication required.")
            return
        }
        var routedSlot = -1
        if clusterEnabled {
            // ASKING lasts for one command (Redis clears CLIENT_ASKING after every other command).
            let asked = connection.asking
            guard let slot = route(&ctx, entry, connection) else {
                connection.asking = false
                ctx.knownSlotIndex = -1
                return
            }
            routedSlot = slot
            if asked && !entry.pointee.isAsking { connection.asking = false }
        }
        let isWrite = entry.pointee.isWrite
        // Redis refuses PING too, so that health checks notice a node that cannot persist.
        if writesDenied != 0 && (isWrite || entry.pointee.name == "ping") {
            ctx.reply.error(denialLock.withLock { denialText })
            return
        }
        connection.info.lastCommand = position
        connection.info.lastSubcommand = subPosition
        ctx.stats.commandsProcessed &+= 1
        if !keyspace.concurrent {
            if isWrite && (barrier.job != nil || propagator != nil || entry.pointee.access == .all) {
                runWriteUnlocked(entry, &ctx, connection, routedSlot: routedSlot)
            } else {
                entry.pointee.handler(&ctx)
                if ctx.blockRequest != nil { park(&ctx, connection) }
            }
        } else {
            switch entry.pointee.access {
            case .none, .selfManaged:
                entry.pointee.handler(&ctx)
            case .all:
                keyspace.lockAll()
                if isWrite {
                    runWholeKeyspaceWrite(entry, &ctx, connection)
                } else {
                    entry.pointee.handler(&ctx)
                }
                keyspace.unlockAll()
            case .keys where routedSlot >= 0:
                // Cluster mode: every key is in the routed slot.
                keyspace.lock(slot: routedSlot)
                if isWrite { barrier.beforeWrite(slot: routedSlot) }
                run(entry, &ctx, connection, isWrite: isWrite, slot: routedSlot, slots: nil)
                keyspace.unlock(slot: routedSlot)
            case .keys where entry.pointee.singleKeyIndex > 0 && entry.pointee.singleKeyIndex < args.count:
                // One key (GET, SET, HSET ...): its slot is computed once, for the lock and the handler.
                let index = entry.pointee.singleKeyIndex
                let slot = keyHashSlot(args[index])
                ctx.knownSlotIndex = index
                ctx.knownSlot = slot
                keyspace.lock(slot: slot)
                if isWrite { barrier.beforeWrite(slot: slot) }
                run(entry, &ctx, connection, isWrite: isWrite, slot: slot, slots: nil)
                keyspace.unlock(slot: slot)
            case .keys:
                let slots = lockedSlots(entry.pointee.keys, args)
                for slot in slots { keyspace.lock(slot: slot) }
                if isWrite { barrier.beforeWrite(slots: slots) }
                // Parked before the slots unlock: a push on another loop then sees the waiter.
                run(entry, &ctx, connection, isWrite: isWrite, slot: -1, slots: slots)
                for slot in slots.reversed() { keyspace.unlock(slot: slot) }
            }
        }
        ctx.knownSlotIndex = -1
        if !ctx.readyKeys.isEmpty {
            let ready = ctx.readyKeys
            ctx.readyKeys = []
            serveReadyKeys(ready, blocked: blocked, template: ctx)
        }
    }

    /// Runs a handler with its slots locked; a write that changed something is propagated
    /// (`slot` >= 0: that slot; `slots`: those; neither: the whole keyspace).
    @inline(__always)
    private func run(
        _ entry: UnsafeMutablePointer<CommandTable.Entry>, _ ctx: inout CommandContext, _ connection: Connection,
        isWrite: Bool, slot: Int, slots: [Int]?
    ) {
        guard isWrite, let propagator else {
            entry.pointee.handler(&ctx)
            if ctx.blockRequest != nil { park(&ctx, connection) }
            return
        }
        let before = dirtyCount(slot: slot, slots: slots)
        let replyStart = ctx.reply.buffer.writerIndex
        entry.pointee.handler(&ctx)
        if ctx.blockRequest != nil { park(&ctx, connection) }
        // Whole-keyspace writes (FLUSHALL, FLUSHDB, SWAPDB) are always propagated, as Redis forces.
        if (slot < 0 && slots == nil) || dirtyCount(slot: slot, slots: slots) != before {
            propagator.propagate(entry, &ctx, replyStart: replyStart)
        }
    }

    /// FLUSHDB, FLUSHALL, SWAPDB, with the whole keyspace held. FLUSHALL, as in Redis, first stops
    /// a background save (its image is moot) and afterwards, when save points exist, saves the
    /// empty data set at once, so a restart cannot bring the old keys back.
    private func runWholeKeyspaceWrite(
        _ entry: UnsafeMutablePointer<CommandTable.Entry>, _ ctx: inout CommandContext, _ connection: Connection
    ) {
        let flushAll = entry.pointee.name == "flushall"
        if flushAll { flushAllHooks?.before() }
        barrier.beforeWriteAll()
        run(entry, &ctx, connection, isWrite: true, slot: -1, slots: nil)
        if flushAll { flushAllHooks?.after() }
    }

    func dirtyCount(slot: Int, slots: [Int]?) -> Int {
        if slot >= 0 { return keyspace.dirty(slot: slot) }
        guard let slots else { return 0 }
        var n = 0
        for s in slots { n &+= keyspace.dirty(slot: s) }
        return n
    }

    /// One event loop (no locks), and a background save or the AOF to serve: find the write's
    /// slots, capture them, run it.
    private func runWriteUnlocked(
        _ entry: UnsafeMutablePointer<CommandTable.Entry>, _ ctx: inout CommandContext, _ connection: Connection,
        routedSlot: Int
    ) {
        switch entry.pointee.access {
        case .none, .selfManaged:
            entry.pointee.handler(&ctx)
        case .all:
            runWholeKeyspaceWrite(entry, &ctx, connection)
        case .keys where routedSlot >= 0:
            barrier.beforeWrite(slot: routedSlot)
            run(entry, &ctx, connection, isWrite: true, slot: routedSlot, slots: nil)
        case .keys where entry.pointee.singleKeyIndex > 0 && entry.pointee.singleKeyIndex < ctx.args.count:
            let index = entry.pointee.singleKeyIndex
            let slot = keyHashSlot(ctx.args[index])
            ctx.knownSlotIndex = index
            ctx.knownSlot = slot
            barrier.beforeWrite(slot: slot)
            run(entry, &ctx, connection, isWrite: true, slot: slot, slots: nil)
        case .keys:
            let slots = lockedSlots(entry.pointee.keys, ctx.args)
            barrier.beforeWrite(slots: slots)
            run(entry, &ctx, connection, isWrite: true, slot: -1, slots: slots)
        }
    }

    private func park(_ ctx: inout CommandContext, _ connection: Connection) {
        guard let request = ctx.blockRequest else { return }
        ctx.blockRequest = nil
        let waiter = blocked.park(connection, request: request, args: ctx.args, db: ctx.db)
        connection.block(on: waiter, timeout: request.timeout)
    }

    /// The distinct slots of a command's keys, ascending, so that two commands locking the same
    /// slots always take them in the same order.
    func lockedSlots(_ keys: KeyPositions, _ args: ArgumentList) -> [Int] {
        let indices = keys.indices(in: args)
        if indices.count == 1 { return [keyHashSlot(args[indices[0]])] }
        var slots = indices.map { keyHashSlot(args[$0]) }
        slots.sort()
        var unique: [Int] = []
        unique.reserveCapacity(slots.count)
        for slot in slots where unique.last != slot { unique.append(slot) }
        return unique
    }

    @inline(__always)
    static func arityMatches(_ arity: Int, _ count: Int) -> Bool {
        arity >= 0 ? count == arity : count >= -arity
    }

    private func unknownCommand(_ ctx: inout CommandContext) {
        var message = "ERR unknown command '\(Dispatcher.truncated(ctx.args[0]))', with args beginning with: "
        var i = 1
        while i < ctx.args.count && message.utf8.count < 128 + 60 {
            message += "'\(Dispatcher.truncated(ctx.args[i]))' "
            i += 1
        }
        ctx.reply.error(message)
    }

    /// Arguments echoed in error messages are cut at 128 bytes, as Redis does.
    static func truncated(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes.prefix(128)), as: UTF8.self)
    }
}
