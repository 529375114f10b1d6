#if canImport(Glibc)
import Glibc
#endif
import Commands
import Keyspace
import NIOConcurrencyHelpers
import NIOCore
import Persistence
import RDB
import RESP

/// The append-only file as Redis 7.0 keeps it (multi-part: a base, INCR files, a manifest):
/// startup load, the command feed, BGREWRITEAOF and automatic rewrites (without fork: the new
/// base is a snapshot cut at the moment the new INCR file starts), CONFIG SET appendonly.
final class AppendOnlyManager: @unchecked Sendable {
    unowned let server: ShoalServer
    private let lock = NIOLock()
    let directory: AOFDirectory
    /// The feed of the INCR file, while the AOF is on (or being turned on by a rewrite).
    private(set) var writer: AOFWriter?
    private(set) var rewriteScheduled = false
    private var rewriteStartedMillis: Int64 = 0
    private(set) var lastRewriteSeconds = -1
    private(set) var lastRewriteOK = true
    private(set) var rewrites = 0
    private(set) var consecutiveFailures = 0
    /// Total AOF size right after the last rewrite (or at startup): automatic rewrites measure
    /// growth from it.
    private var sizeAtLastRewrite = 0
    private var lastReportedError: Int32?
    private var nextAutoCheck: Int64 = 0
    /// Writers that were replaced: loops may still hold them for a last flush.
    private var retired: [AOFWriter] = []

    init(server: ShoalServer) {
        self.server = server
        let c = server.configuration
        directory = AOFDirectory(
            dir: "", dirname: c.value(of: "appenddirname") ?? "appendonlydir", filename: c.appendFilename)
        directory.log = { [unowned server] line in server.log.notice("\(line)") }
    }

    var enabled: Bool { lock.withLock { writer != nil } }
    var rewriteInProgress: Bool { server.snapshots.aofRewriteInProgress }

    var fsyncPolicy: AOFWriter.FsyncPolicy {
        switch server.configuration.appendFsync {
        case .always: return .always
        case .no: return .no
        default: return .everysec
        }
    }

    // MARK: - Startup

    /// `appendonly yes` at startup: replay the AOF (the RDB file is not read, as in Redis), then
    /// open the INCR file and start feeding it.
    func loadAndOpen() throws {
        if !directory.exists() {
            // As Redis 7.0 on a first start with `appendonly yes`: a base (of the empty data set)
            // and an INCR file, so the directory is complete from the start.
            let fd = try directory.beginRewrite(enablingAOF: true)
            let snapshots = server.snapshots
            let job = SnapshotJob(keyspace: server.keyspace, access: snapshots.accessData, limits: snapshots.encodingLimits,
                                  now: wallClockMillis())
            job.commandForm = !usePreamble
            try snapshots.writeFile(job: job, temp: directory.rewriteTempPath(), final: nil, slots: ExclusiveSlotAccess(),
                                    aofBase: true)
            try directory.finishRewrite(preamble: usePreamble)
            attach(AOFWriter(fileDescriptor: fd, policy: fsyncPolicy, initialSize: 0))
            sizeAtLastRewrite = directory.totalSize()
            return
        }
        do {
            let started = monotonicMillis()
            let loader = AOFLoader(directory: directory, loadTruncated: server.configuration.value(of: "aof-load-truncated") != "no")
            let replayer = AOFReplayer(server: server)
            let summary = try loader.load(
                rdbReader: { [server] reader in
                    let (_, _, summary) = try server.loadRecords(from: reader)
                    return summary
                },
                rawCommand: { args in try replayer.replay(args) },
                log: { [server] line in server.log.notice("\(line)") })
            let seconds = String(format3: Double(monotonicMillis() - started) / 1000)
            server.log.notice("DB loaded from append only file: \(seconds) seconds (\(summary.commands) commands)")
        }
        let fd = try directory.openForAppend()
        let size = lseek(fd, 0, SEEK_END)
        attach(AOFWriter(fileDescriptor: fd, policy: fsyncPolicy, initialSize: Int(max(size, 0))))
        sizeAtLastRewrite = directory.totalSize()
    }

    /// Starts feeding `writer`: the dispatcher's propagator (set with every slot lock held, or
    /// before clients exist), expiry deletions, and each loop's end-of-batch flush.
    private func attach(_ writer: AOFWriter) {
        let propagator = CommandPropagator(aof: writer, keyspace: server.keyspace)
        lock.withLock { self.writer = writer }
        server.dispatcher.propagator = propagator
        server.keyspace.expirationObserver = { db, key in propagator.expired(db: db, key: key) }
        writer.start()
        for state in server.loops {
            if state.eventLoop.inEventLoop { state.aof = writer } else { state.eventLoop.execute { state.aof = writer } }
        }
    }

    // MARK: - Rewrite

    enum RewriteOutcome { case started, alreadyRunning, scheduled, failed }

    /// BGREWRITEAOF (also what turns the AOF on at runtime). The cut: a new INCR file begins and
    /// the snapshot of the base is taken in the same critical section, so every write is either
    /// in the base or in the new INCR file, never both, never neither.
    @discardableResult
    func startRewrite(replacing: Bool = false) -> RewriteOutcome {
        if !replacing {
            if rewriteInProgress { return .alreadyRunning }
            if server.snapshots.busy {
                lock.withLock { rewriteScheduled = true }
                return .scheduled
            }
        }
        let temp = directory.rewriteTempPath()
        let turningOn = !enabled
        let preamble = usePreamble
        let outcome = server.snapshots.start(
            .aofBase, temp: temp, commandForm: !preamble, replacing: replacing, atCut: { [self] in
            let fd = try directory.beginRewrite(enablingAOF: turningOn)
            if let writer = lock.withLock({ writer }) {
                writer.switchFile(to: fd)
            } else {
                attach(AOFWriter(fileDescriptor: fd, policy: fsyncPolicy, initialSize: 0))
            }
        }) { [self] job, error in
            finishRewrite(error: error, preamble: preamble)
        }
        switch outcome {
        case .started:
            lock.withLock {
                rewriteScheduled = false
                rewriteStartedMillis = monotonicMillis()
            }
            server.log.notice("Background append only file rewriting started")
            return .started
        case .alreadyRunning: return .alreadyRunning
        case .failed: return .failed
        case .otherJobRunning:
            lock.withLock { rewriteScheduled = true }
            return .scheduled
        }
    }

    /// A rewrite that waited for another job; `replacing`: that job is ending and hands over.
    @discardableResult
    func startScheduledRewrite(replacing: Bool = false) -> Bool {
        guard lock.withLock({ rewriteScheduled }) else { return false }
        if !replacing && server.snapshots.busy { return false }
        return startRewrite(replacing: replacing) == .started
    }

    var usePreamble: Bool { server.configuration.value(of: "aof-use-rdb-preamble") != "no" }

    private func finishRewrite(error: Error?, preamble: Bool) {
        var failure = error
        if failure == nil {
            do {
                try directory.finishRewrite(preamble: preamble,
                                            keepHistory: server.configuration.value(of: "aof-disable-auto-gc") == "yes")
            } catch {
                failure = error
            }
        }
        let seconds = Int((monotonicMillis() - lock.withLock { rewriteStartedMillis } + 500) / 1000)
        if let failure {
            directory.abortRewrite()
            lock.withLock {
                lastRewriteOK = false
                consecutiveFailures += 1
                lastRewriteSeconds = seconds
            }
            server.log.warning("Background AOF rewrite failed: \(failure)")
        } else {
            lock.withLock {
                lastRewriteOK = true
                consecutiveFailures = 0
                rewrites += 1
                lastRewriteSeconds = seconds
            }
            sizeAtLastRewrite = directory.totalSize()
            server.log.notice("Background AOF rewrite finished successfully")
        }
    }

    /// `appendonly no` at runtime: flush, sync, stop feeding.
    func turnOff() {
        guard let writer = lock.withLock({ self.writer }) else { return }
        try? server.snapshots.exclusively { [server] in
            server.dispatcher.propagator = nil
            server.keyspace.expirationObserver = nil
        }
        writer.stop()
        lock.withLock {
            self.writer = nil
            retired.append(writer)
        }
        server.log.notice("Append only file disabled")
    }

    /// SHUTDOWN: everything written and synced.
    func flushForShutdown() {
        guard let writer = lock.withLock({ self.writer }) else { return }
        server.log.notice("Calling fsync() on the AOF file.")
        writer.stop()
    }

    // MARK: - Cron

    /// Every 100 ms: a scheduled rewrite, the automatic rewrite, write errors.
    func cron() {
        if lock.withLock({ rewriteScheduled }) && !server.snapshots.busy {
            startRewrite()
        }
        guard let writer = lock.withLock({ self.writer }) else { return }
        let error = writer.lastWriteError
        if error != lastReportedError {
            lastReportedError = error
            if let error { server.log.warning("Error writing to the AOF file: \(String(cString: strerror(error)))") }
            server.refreshWriteDenial()
        }
        let now = monotonicMillis()
        guard now >= nextAutoCheck, !server.snapshots.busy else { return }
        nextAutoCheck = now + 1000
        let percentage = Int(server.configuration.value(of: "auto-aof-rewrite-percentage") ?? "100") ?? 100
        let minSize = Int(server.configuration.value(of: "auto-aof-rewrite-min-size") ?? "67108864") ?? 67_108_864
        guard percentage > 0 else { return }
        let size = directory.totalSize()
        let base = max(sizeAtLastRewrite, 1)
        if size > minSize && (size - base) * 100 / base >= percentage {
            server.log.notice("Starting automatic rewriting of AOF on \((size - base) * 100 / base)% growth")
            startRewrite()
        }
    }

    var writeErrorText: String? {
        guard let error = lock.withLock({ writer })?.lastWriteError else { return nil }
        return String(cString: strerror(error))
    }

    func infoLines() -> [String] {
        let writer = lock.withLock { self.writer }
        let inProgress = rewriteInProgress
        var lines = [
            "aof_enabled:\(writer != nil ? 1 : 0)",
            "aof_rewrite_in_progress:\(inProgress ? 1 : 0)",
            "aof_rewrite_scheduled:\(lock.withLock { rewriteScheduled } ? 1 : 0)",
            "aof_last_rewrite_time_sec:\(lock.withLock { lastRewriteSeconds })",
            "aof_current_rewrite_time_sec:\(inProgress ? Int((monotonicMillis() - lock.withLock { rewriteStartedMillis }) / 1000) : -1)",
            "aof_last_bgrewrite_status:\(lock.withLock { lastRewriteOK } ? "ok" : "err")",
            "aof_rewrites:\(lock.withLock { rewrites })",
            "aof_rewrites_consecutive_failures:\(lock.withLock { consecutiveFailures })",
            "aof_last_write_status:\(writer?.lastWriteError == nil ? "ok" : "err")",
            "aof_last_cow_size:0",
            "module_fork_in_progress:0",
            "module_fork_last_cow_size:0",
        ]
        if let writer {
            lines += [
                "aof_current_size:\(directory.totalSize())",
                "aof_base_size:\(directory.baseSize())",
                "aof_pending_rewrite:\(lock.withLock { rewriteScheduled } ? 1 : 0)",
                "aof_buffer_length:\(writer.bufferedBytes)",
                "aof_pending_bio_fsync:0",
                "aof_delayed_fsync:0",
            ]
        }
        return lines
    }
}

/// Runs the commands of an AOF against the keyspace at startup: no clients, no locks taken
/// (nothing else runs yet), replies discarded, blocking commands never block.
final class AOFReplayer {
    unowned let server: ShoalServer
    private var db = 0
    private var context: CommandContext
    private var argumentStorage: [UnsafeRawBufferPointer] = []

    init(server: ShoalServer) {
        self.server = server
        var limits = CommandLimits()
        limits.maxBulkLength = Int.max
        context = CommandContext(
            args: ArgumentList(base: UnsafePointer(bitPattern: 8)!, count: 0),
            reply: RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 1024), protocolVersion: 2),
            keyspace: server.keyspace, db: 0, now: wallClockMillis(), stats: CommandStats(), limits: limits)
        context.encodings = server.encodingLimits
        context.mayBlock = false
    }

    func replay(_ args: [UnsafeRawBufferPointer]) throws {
        guard let first = args.first else { return }
        let name = String(decoding: first, as: UTF8.self).lowercased()
        if name == "select" {
            guard args.count == 2, let n = Int(String(decoding: args[1], as: UTF8.self)), n >= 0,
                  n < server.keyspace.databaseCount
            else { throw AOFError("Bad SELECT in the append only file") }
            db = n
            return
        }
        let table = server.dispatcher.table
        guard let position = table.lookup(first) else {
            throw AOFError("Unknown command '\(name)' reading the append only file")
        }
        let entry = table.entries + position
        guard entry.pointee.subcommands == nil, Dispatcher.arityMatches(entry.pointee.arity, args.count) else {
            throw AOFError("Bad command '\(name)' in the append only file")
        }
        try args.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            context.args = ArgumentList(base: base, count: buffer.count)
            context.db = db
            context.now = wallClockMillis()
            entry.pointee.handler(&context)
            context.reply.buffer.clear()
            context.readyKeys = []
            context.blockRequest = nil
        }
    }
}
