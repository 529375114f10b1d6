import Commands
import Keyspace
import NIOConcurrencyHelpers
import NIOCore
import RESP

/// Clients parked by blocking commands (BLPOP, BLMOVE, BZPOPMIN ...), by the keys they wait on.
///
/// A parked client is served by running its command again once one of its keys is signalled
/// ready; if the command still finds nothing (an earlier waiter took the element) the client
/// stays parked. Waiters on one key are tried in arrival order, so the first to block is the
/// first served, as in Redis.
///
/// Locking: slot locks are always taken before `lock`, never while holding it. Each waiter has a
/// state so that a timeout and a wake-up never both answer it.
final class BlockedClients: @unchecked Sendable {
    struct WaitKey: Hashable {
        let db: Int
        let key: [UInt8]
    }

    final class Waiter: @unchecked Sendable {
        enum State { case waiting, serving, done }
        unowned(unsafe) let connection: Connection
        /// The blocking command's arguments, copied out of the read buffer into one array.
        let argumentBytes: [UInt8]
        let argumentRanges: [Range<Int>]
        let keys: [WaitKey]
        let db: Int
        var state = State.waiting
        var timeoutTask: Scheduled<Void>?

        init(connection: Connection, args: ArgumentList, keyIndices: [Int], db: Int) {
            self.connection = connection
            var bytes: [UInt8] = []
            var ranges: [Range<Int>] = []
            for i in 0..<args.count {
                let start = bytes.count
                bytes.append(contentsOf: args[i])
                ranges.append(start..<bytes.count)
            }
            self.argumentBytes = bytes
            self.argumentRanges = ranges
            self.keys = keyIndices.map { WaitKey(db: db, key: Array(bytes[ranges[$0]])) }
            self.db = db
        }

        /// Calls `body` with the saved arguments as an `ArgumentList`.
        func withArguments<R>(_ body: (ArgumentList) -> R) -> R {
            let storage = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: max(argumentRanges.count, 1))
            defer { storage.deallocate() }
            return argumentBytes.withUnsafeBytes { base in
                for (i, range) in argumentRanges.enumerated() {
                    storage[i] = UnsafeRawBufferPointer(rebasing: base[range])
                }
                return body(ArgumentList(base: UnsafePointer(storage), count: argumentRanges.count))
            }
        }
    }

    private let lock = NIOLock()
    private var waiters: [WaitKey: [Waiter]] = [:]
    /// Shared with every command context: `signalKeyReady` is free while nobody waits.
    let count = BlockedClientCount()

    /// Parks `connection` on the keys of `request` (called with the command's slot locks held).
    func park(_ connection: Connection, request: BlockRequest, args: ArgumentList, db: Int) -> Waiter {
        let waiter = Waiter(connection: connection, args: args, keyIndices: request.keyIndices, db: db)
        lock.withLock {
            for key in Set(waiter.keys) { waiters[key, default: []].append(waiter) }
            count.value += 1
        }
        return waiter
    }

    /// Forgets a waiter that timed out or disconnected; false if it is being (or was) served.
    func cancel(_ waiter: Waiter) -> Bool {
        lock.withLock {
            guard waiter.state == .waiting else { return false }
            finishLocked(waiter)
            return true
        }
    }

    var parked: Int { lock.withLock { count.value } }

    /// The waiters on `key` in arrival order, each marked as being served (so a timeout leaves it
    /// alone) — the caller must `settle` every one of them.
    func claim(_ key: WaitKey) -> [Waiter] {
        lock.withLock {
            guard let list = waiters[key] else { return [] }
            var claimed: [Waiter] = []
            for waiter in list where waiter.state == .waiting {
                waiter.state = .serving
                claimed.append(waiter)
            }
            return claimed
        }
    }

    /// After trying to serve a claimed waiter: done (answered) or back to waiting.
    func settle(_ waiter: Waiter, served: Bool) {
        lock.withLock {
            if served {
                finishLocked(waiter)
            } else if waiter.state == .serving {
                waiter.state = .waiting
            }
        }
    }

    private func finishLocked(_ waiter: Waiter) {
        waiter.state = .done
        count.value -= 1
        for key in Set(waiter.keys) {
            waiters[key]?.removeAll { $0 === waiter }
            if waiters[key]?.isEmpty == true { waiters[key] = nil }
        }
    }
}

extension Dispatcher {
    /// Serves the clients waiting on keys the last command signalled, oldest first; serving one may
    /// signal more keys (BLMOVE pushes to its destination), which are served in turn. Runs with
    /// no slot locks held; each waiter's command takes its own.
    func serveReadyKeys(_ ready: [(db: Int, key: [UInt8])], blocked: BlockedClients, template: CommandContext) {
        var queue = ready
        var index = 0
        while index < queue.count {
            let (db, key) = queue[index]
            index += 1
            for waiter in blocked.claim(BlockedClients.WaitKey(db: db, key: key)) {
                var more: [(db: Int, key: [UInt8])] = []
                let served = rerun(waiter, template: template, readyKeys: &more)
                blocked.settle(waiter, served: served != nil)
                if let reply = served {
                    waiter.timeoutTask?.cancel()
                    waiter.connection.resume(with: reply)
                }
                queue.append(contentsOf: more)
            }
        }
    }

    /// Runs a parked client's command again; its reply if it got something, nil if it would block again.
    private func rerun(
        _ waiter: BlockedClients.Waiter, template: CommandContext, readyKeys: inout [(db: Int, key: [UInt8])]
    ) -> ByteBuffer? {
        waiter.withArguments { args -> ByteBuffer? in
            guard let position = table.lookup(args[0]) else { return nil }
            let entry = table.entries + position
            var ctx = template
            ctx.args = args
            ctx.db = waiter.db
            ctx.readyKeys = []
            ctx.blockRequest = nil
            ctx.mayBlock = true
            ctx.session = waiter.connection
            ctx.reply = RESPWriter(
                buffer: ByteBufferAllocator().buffer(capacity: 256), protocolVersion: waiter.connection.protocolVersion)
            let capture = barrier.job != nil
            let propagator = self.propagator
            let slots = keyspace.concurrent || capture || propagator != nil ? lockedSlots(entry.pointee.keys, args) : []
            for slot in slots { keyspace.lock(slot: slot) }
            if capture { barrier.beforeWrite(slots: slots) }
            if let propagator {
                let before = dirtyCount(slot: -1, slots: slots)
                entry.pointee.handler(&ctx)
                if dirtyCount(slot: -1, slots: slots) != before {
                    propagator.propagate(entry, &ctx, replyStart: 0)
                }
            } else {
                entry.pointee.handler(&ctx)
            }
            for slot in slots.reversed() { keyspace.unlock(slot: slot) }
            readyKeys = ctx.readyKeys
            return ctx.blockRequest == nil ? ctx.reply.buffer : nil
        }
    }
}
