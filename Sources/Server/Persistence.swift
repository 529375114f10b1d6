#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import Dispatch
import Keyspace
import NIOConcurrencyHelpers
import RDB

/// The write barrier every path that modifies the keyspace passes, with the slot locked, while a
/// background snapshot is being written (see `SnapshotJob`). Outside a save it costs one load.
final class WriteBarrier: @unchecked Sendable {
    /// The image being written; set and cleared only with every slot lock held (or on the only
    /// loop), so a reader holding any slot lock sees a stable value.
    var job: SnapshotJob?

    @inline(__always)
    func beforeWrite(slot: Int) {
        if let job, job.needsCapture(slot: slot) { job.capture(slot: slot) }
    }

    @inline(__always)
    func beforeWrite(slots: [Int]) {
        if let job { for slot in slots where job.needsCapture(slot: slot) { job.capture(slot: slot) } }
    }

    /// FLUSHDB, FLUSHALL, SWAPDB: the caller holds every lock.
    func beforeWriteAll() {
        job?.captureAll()
    }
}

/// RDB snapshots: SAVE, BGSAVE, save points, the state INFO persistence reports, and the
/// final save at shutdown. One snapshot job runs at a time (an AOF rewrite's base is one too).
final class SnapshotManager: @unchecked Sendable {
    enum Purpose { case rdb, aofBase }

    unowned let server: ShoalServer
    var barrier: WriteBarrier { server.writeBarrier }
    private let lock = NIOLock()
    /// What the running job is for, when one runs.
    private(set) var running: Purpose?
    private var runningJob: SnapshotJob?
    private var runningStartedMillis: Int64 = 0
    /// Unix seconds of the last successful save (startup counts as one, as in Redis).
    private(set) var lastSaveSeconds: Int64
    private(set) var lastBackgroundOK = true
    private(set) var lastBackgroundSeconds = -1
    private var lastBackgroundTryMillis: Int64 = 0
    private(set) var saves = 0
    /// Bytes serialised ahead of the walk for writes, at their peak, in the last background job
    /// (what INFO reports as the copy-on-write size of a fork).
    private(set) var lastCopiedPeak = 0
    /// BGSAVE SCHEDULE while an AOF rewrite runs: start when it ends.
    var scheduled = false
    /// `keyspace.dirty` when the last successful save began; INFO's changes are counted from it.
    private var dirtyBaseline = 0
    /// Keys loaded / skipped as expired by the last load (INFO rdb_last_load_keys_*).
    var lastLoadKeysLoaded = 0
    var lastLoadKeysExpired = 0
    private var temporaryCounter = 0

    init(server: ShoalServer) {
        self.server = server
        lastSaveSeconds = wallClockMillis() / 1000
    }

    /// After a load the data set matches the file: nothing to save yet (Redis's dirty = 0).
    func noteLoaded() {
        let dirty = server.keyspace.dirty
        lock.withLock { dirtyBaseline = dirty }
    }

    var changesSinceLastSave: Int { server.keyspace.dirty - lock.withLock { dirtyBaseline } }
    var backgroundInProgress: Bool { lock.withLock { running == .rdb } }
    var aofRewriteInProgress: Bool { lock.withLock { running == .aofBase } }
    var busy: Bool { lock.withLock { running != nil } }
    var currentSeconds: Int {
        lock.withLock { running == .rdb ? Int((monotonicMillis() - runningStartedMillis) / 1000) : -1 }
    }
    var progress: (processed: Int, total: Int, capturedBytes: Int, capturedPeak: Int) {
        lock.withLock {
            guard let job = runningJob else { return (0, 0, 0, 0) }
            return (job.keysProcessed, job.totalKeys, job.capturedBytes, job.capturedPeak)
        }
    }

    /// `stop-writes-on-bgsave-error`: writes are refused while the last background save failed
    /// and save points are configured.
    var deniesWrites: Bool {
        !lastBackgroundOK && !server.configuration.savePoints.isEmpty
            && server.configuration.value(of: "stop-writes-on-bgsave-error") == "yes"
    }

    var rdbPath: String { server.configuration.dbFilename }

    var accessData: RDBAccessData {
        let policy = server.configuration.maxMemoryPolicy
        if policy.contains("lru") { return .lru }
        if policy.contains("lfu") { return .lfu }
        return .none
    }

    var encodingLimits: RDBEncodingLimits {
        var limits = server.rdbEncodingLimits
        limits.compression = server.configuration.value(of: "rdbcompression") != "no"
        return limits
    }

    var checksum: Bool { server.configuration.value(of: "rdbchecksum") != "no" }

    private func temporaryPath(_ prefix: String) -> String {
        temporaryCounter += 1
        return "\(prefix)-\(getpid())-\(temporaryCounter).rdb"
    }

    // MARK: - Foreground saves

    /// SAVE, SHUTDOWN, DEBUG RELOAD: writes the whole keyspace to `dbfilename` while nothing else
    /// runs (the caller holds every slot lock, or is on the only loop). Logs as Redis does.
    func saveExclusively() throws {
        let dirty = server.keyspace.dirty
        let job = SnapshotJob(keyspace: server.keyspace, access: accessData, limits: encodingLimits, now: wallClockMillis())
        let temp = lock.withLock { temporaryPath("temp") }
        do {
            try writeFile(job: job, temp: temp, final: rdbPath, slots: ExclusiveSlotAccess(), aofBase: false)
        } catch {
            server.log.warning("Error saving DB on disk: \(error)")
            throw error
        }
        lock.withLock {
            dirtyBaseline = dirty
            lastSaveSeconds = wallClockMillis() / 1000
            lastBackgroundOK = true  // Redis treats a good foreground save as clearing the error
            saves += 1
        }
        server.log.notice("DB saved on disk")
    }

    /// Runs `body` with the whole keyspace to itself: every slot lock (several loops, from any
    /// thread, as FLUSHALL does), or on the only loop.
    func exclusively<T>(_ body: @escaping () throws -> T) throws -> T {
        let keyspace = server.keyspace
        if keyspace.concurrent {
            keyspace.lockAll()
            defer { keyspace.unlockAll() }
            return try body()
        }
        if server.loops[0].eventLoop.inEventLoop { return try body() }
        return try server.runOnMainLoop(body)
    }

    // MARK: - Background saves

    enum StartOutcome { case started, alreadyRunning, otherJobRunning, failed }

    /// BGSAVE: cuts the image now and writes it from a background thread.
    @discardableResult
    func startBackgroundSave(reason: String? = nil, replacing: Bool = false) -> StartOutcome {
        let outcome = start(.rdb, temp: nil, replacing: replacing) { [self] job, error in
            finishBackgroundSave(job: job, error: error)
        }
        if outcome == .started, let reason { server.log.notice("\(reason)") }
        if outcome == .started { server.log.notice("Background saving started") }
        return outcome
    }

    /// Starts a job: the image is cut, with every slot lock held (or on the only loop), after
    /// `atCut` has run in the same critical section (the AOF rewrite switches files there).
    /// `replacing`: called as the running job ends (its follow-up), taking its place at once so
    /// that no observer sees a moment with neither job running.
    func start(
        _ purpose: Purpose, temp: String?, commandForm: Bool = false, replacing: Bool = false,
        atCut: (() throws -> Void)? = nil, done: @escaping (SnapshotJob?, Error?) -> Void
    ) -> StartOutcome {
        let claimed = lock.withLock { () -> StartOutcome in
            if let running, !replacing { return running == purpose ? .alreadyRunning : .otherJobRunning }
            running = purpose
            runningStartedMillis = monotonicMillis()
            if purpose == .rdb { lastBackgroundTryMillis = monotonicMillis() }
            return .started
        }
        guard claimed == .started else { return claimed }
        let keyspace = server.keyspace
        let job: SnapshotJob
        let dirty: Int
        do {
            (job, dirty) = try exclusively { [self] () throws -> (SnapshotJob, Int) in
                try atCut?()
                let job = SnapshotJob(keyspace: keyspace, access: accessData, limits: encodingLimits, now: wallClockMillis())
                job.commandForm = commandForm
                barrier.job = job
                return (job, keyspace.dirty)
            }
        } catch {
            lock.withLock { running = nil }
            done(nil, error)
            return .failed
        }
        lock.withLock {
            runningJob = job
            pendingDirty = dirty
        }
        let temp = temp ?? lock.withLock { temporaryPath("temp") }
        let finalPath: String? = purpose == .rdb ? rdbPath : nil
        let slots: SnapshotSlotAccess = keyspace.concurrent
            ? LockedSlotAccess(keyspace: keyspace)
            : LoopSlotAccess(run: { [server] step in try server.runOnMainLoop(step) })
        let thread = UncheckedSendable((job, temp, finalPath, slots, done))
        BackgroundThread.detach(name: purpose == .rdb ? "shoal-bgsave" : "shoal-aofrw") { [self] in
            let (job, temp, finalPath, slots, done) = thread.value
            var failure: Error?
            do {
                try writeFile(job: job, temp: temp, final: finalPath, slots: slots, aofBase: purpose == .aofBase)
            } catch {
                failure = error
                job.cancelled = true
                job.discardCaptured()
            }
            // Retire the barrier with every lock held, so no loop is inside `capture` meanwhile.
            server.loops[0].eventLoop.execute { [self] in
                try? exclusively { [self] in barrier.job = nil }
                lock.withLock { runningJob = nil }
                lastCopiedPeak = job.capturedPeak
                done(job, failure)
                // `running` stays set until here: a job waiting for this one takes over directly.
                if !server.startFollowUpJob() { lock.withLock { running = nil } }
                server.refreshWriteDenial()
            }
        }
        return .started
    }

    private var pendingDirty = 0

    private func finishBackgroundSave(job: SnapshotJob?, error: Error?) {
        let startedAt = job?.startedAt ?? wallClockMillis()
        let seconds = Int((wallClockMillis() - startedAt + 500) / 1000)
        lock.withLock {
            lastBackgroundSeconds = seconds
            if job?.cancelledQuietly == true {
                // Stopped on purpose (FLUSHALL): neither a save nor a failure.
            } else if error == nil {
                dirtyBaseline = pendingDirty
                lastSaveSeconds = startedAt / 1000
                lastBackgroundOK = true
                saves += 1
            } else {
                lastBackgroundOK = false
            }
        }
        if job?.cancelledQuietly == true {
            server.log.notice("Background saving stopped: the data set was flushed")
        } else if let error {
            server.log.warning("Background saving error: \(error)")
        } else if let job {
            server.log.notice(
                "Background saving terminated with success (\(job.totalKeys) keys, peak \(job.capturedPeak / 1024) KB copied for writes)")
        }
    }

    /// Stops a running job (SHUTDOWN, FLUSHALL): the walk ends at its next step. `quietly`: the
    /// save was made moot, not failed (Redis kills its child with SIGUSR1 for that), so the last
    /// save status stays as it was.
    func cancelRunning(quietly: Bool = false) {
        lock.withLock {
            guard let job = runningJob else { return }
            job.cancelled = true
            if quietly { job.cancelledQuietly = true }
        }
    }

    /// Waits (polling: a loop thread must not block on another loop) until no job runs.
    func waitUntilIdle(timeoutMillis: Int64 = 60_000) {
        let deadline = monotonicMillis() + timeoutMillis
        while busy && monotonicMillis() < deadline { usleep(2_000) }
    }

    // MARK: - Save points

    /// serverCron's check: a save point whose time and changes have both passed starts a
    /// background save (after a failure, not more than once per 5 s).
    func checkSavePoints() {
        if busy { return }
        if scheduled {
            scheduled = false
            startBackgroundSave(reason: "Background saving started (scheduled)")
            return
        }
        let points = server.configuration.savePoints
        if points.isEmpty { return }
        let changes = changesSinceLastSave
        let now = wallClockMillis() / 1000
        let (last, ok, lastTry) = lock.withLock { (lastSaveSeconds, lastBackgroundOK, lastBackgroundTryMillis) }
        for point in points where changes >= point.changes && now - last > Int64(point.seconds) {
            if !ok && monotonicMillis() - lastTry < 5000 { return }
            startBackgroundSave(reason: "\(point.changes) changes in \(point.seconds) seconds. Saving...")
            return
        }
    }

    // MARK: - Files

    /// Writes `job` to `temp`, fsyncs it, then renames it to `final` (and fsyncs the directory).
    func writeFile(job: SnapshotJob, temp: String, final: String?, slots: SnapshotSlotAccess, aofBase: Bool) throws {
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SnapshotError.io(
                "Failed opening the temp RDB file \(temp) (in server root dir \(server.configuration.dir)) for saving: \(String(cString: strerror(errno)))")
        }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            // `rdb-save-incremental-fsync`: sync every 32 MB, so the kernel never holds a whole
            // snapshot of dirty pages to flush at once (which stalls every other writer).
            let incremental = server.configuration.value(of: "rdb-save-incremental-fsync") != "no"
            var unsynced = 0
            let writer = RDBFileWriter(limits: job.limits, checksum: checksum) { bytes in
                var done = 0
                while done < bytes.count {
                    let r = write(fd, bytes.baseAddress! + done, bytes.count - done)
                    if r < 0 {
                        if errno == EINTR { continue }
                        throw SnapshotError.io("Write error saving DB on disk: \(String(cString: strerror(errno)))")
                    }
                    done += r
                }
                unsynced += bytes.count
                if incremental && unsynced >= 32 << 20 {
                    _ = fdatasync(fd)
                    unsynced = 0
                }
            }
            writer.flushThreshold = 1 << 20
            if !job.commandForm {
                try writer.writeHeader(ctime: job.startedAt / 1000, usedMemory: Int64(Platform.heapInUse()), aofBase: aofBase)
            }
            try job.write(to: writer, access: slots)
            if fsync(fd) != 0 { throw SnapshotError.io("fsync: \(String(cString: strerror(errno)))") }
            closed = true
            if close(fd) != 0 { throw SnapshotError.io("close: \(String(cString: strerror(errno)))") }
            if let final {
                if rename(temp, final) != 0 {
                    throw SnapshotError.io(
                        "Error moving temp DB file \(temp) on the final destination \(final) (in server root dir \(server.configuration.dir)): \(String(cString: strerror(errno)))")
                }
                fsyncDirectory(of: final)
            }
        } catch let error as RDBError {
            unlink(temp)
            throw SnapshotError.io("Write error saving DB on disk: \(error)")
        } catch {
            unlink(temp)
            throw error
        }
    }
}

/// fsync of the directory holding `path`, so a rename survives a crash.
func fsyncDirectory(of path: String) {
    var dir = "."
    if let slash = path.lastIndex(of: "/") { dir = slash == path.startIndex ? "/" : String(path[..<slash]) }
    let fd = open(dir, O_RDONLY | O_CLOEXEC)
    if fd >= 0 {
        _ = fsync(fd)
        close(fd)
    }
}

/// A thread of its own for a background job, at the lowest CPU priority (nice 19): the event
/// loops always win the CPU, so a save slows down under load instead of the clients. (Redis's
/// forked child competes as an ordinary process.)
enum BackgroundThread {
    static func detach(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body))
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { arg in
            let work = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
            work.name.withCString { shoal_background_thread($0) }
            work.body()
            return nil
        }, box.toOpaque())
        if started == 0 {
            pthread_detach(thread)
        } else {
            box.release()
            DispatchQueue(label: name).async(execute: body)
        }
    }
}

private final class ThreadBody: @unchecked Sendable {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
