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
        if isWrite && writesDenied != 0 {
            ctx.reply.error(denialLock.withLock { denialText })
            return
        }
        connection.info.lastCommand = position
        connection.info.lastSubcommand = subPosition
        ctx.stats.commandsProcessed &+= 1
        if !keyspace.concurrent {
            if isWrite && barrier.job != nil { captureBeforeWrite(entry, args, routedSlot: routedSlot) }
            entry.pointee.handler(&ctx)
            if ctx.blockRequest != nil { park(&ctx, connection) }
        } else {
            switch entry.pointee.access {
            case .none, .selfManaged:
                entry.pointee.handler(&ctx)
            case .all:
                keyspace.lockAll()
                if isWrite { barrier.beforeWriteAll() }
                entry.pointee.handler(&ctx)
                keyspace.unlockAll()
            case .keys where routedSlot >= 0:
                // Cluster mode: every key is in the routed slot.
                keyspace.lock(slot: routedSlot)
                if isWrite { barrier.beforeWrite(slot: routedSlot) }
                entry.pointee.handler(&ctx)
                if ctx.blockRequest != nil { park(&ctx, connection) }
                keyspace.unlock(slot: routedSlot)
            case .keys where entry.pointee.singleKeyIndex > 0 && entry.pointee.singleKeyIndex < args.count:
                // One key (GET, SET, HSET ...): its slot is computed once, for the lock and the handler.
                let index = entry.pointee.singleKeyIndex
                let slot = keyHashSlot(args[index])
                ctx.knownSlotIndex = index
                ctx.knownSlot = slot
                keyspace.lock(slot: slot)
                if isWrite { barrier.beforeWrite(slot: slot) }
                entry.pointee.handler(&ctx)
                if ctx.blockRequest != nil { park(&ctx, connection) }
                keyspace.unlock(slot: slot)
            case .keys:
                let slots = lockedSlots(entry.pointee.keys, args)
                for slot in slots { keyspace.lock(slot: slot) }
                if isWrite { barrier.beforeWrite(slots: slots) }
                entry.pointee.handler(&ctx)
                // Parked before the slots unlock: a push on another loop then sees the waiter.
                if ctx.blockRequest != nil { park(&ctx, connection) }
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

    /// One event loop, a background save running: the write's slots are captured first.
    private func captureBeforeWrite(_ entry: UnsafeMutablePointer<CommandTable.Entry>, _ args: ArgumentList, routedSlot: Int) {
        switch entry.pointee.access {
        case .none, .selfManaged: break
        case .all: barrier.beforeWriteAll()
        case .keys where routedSlot >= 0: barrier.beforeWrite(slot: routedSlot)
        case .keys: barrier.beforeWrite(slots: lockedSlots(entry.pointee.keys, args))
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
