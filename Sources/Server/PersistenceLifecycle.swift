#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Keyspace
import RDB

/// Persistence at the edges of the node's life: loading at startup, the final save at
/// shutdown, DEBUG RELOAD, and the periodic checks.
extension ShoalServer {
    /// Runs `body` on the first event loop (where the keyspace may be touched without locks when
    /// there is a single loop) and waits for it. Not for use from that loop itself.
    @discardableResult
    func runOnMainLoop<T>(_ body: @escaping () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let work = UncheckedSendable(body)
        loops[0].eventLoop.execute {
            box.result = Result { try work.value() }
            done.signal()
        }
        done.wait()
        // Taken out here so that what the body returned is released by this thread, whichever
        // thread drops the box last.
        let result = box.result!
        box.result = nil
        return try result.get()
    }

    /// Every 100 ms on the first loop: save points, scheduled jobs.
    func persistenceCron() {
        snapshots.checkSavePoints()
        appendOnly.cron()
    }

    /// A snapshot job ended (on the first loop).
    /// A snapshot job is ending (on the first loop): what waited for it starts now, in its place,
    /// as serverCron starts a scheduled job right after reaping a child. True if one started.
    func startFollowUpJob() -> Bool {
        if snapshots.scheduled {
            snapshots.scheduled = false
            return snapshots.startBackgroundSave(reason: "Background saving started (scheduled)", replacing: true) == .started
        }
        return appendOnly.startScheduledRewrite(replacing: true)
    }

    /// The AOF's last write error, when it has one (MISCONF for writes).
    var appendOnlyWriteError: String? { appendOnly.writeErrorText }

    // MARK: - Startup

    /// Loads the data set: the RDB file (`dir`/`dbfilename`) when there is one. Throws (and the
    /// node must not start) on a file that cannot be read completely.
    func loadDataAtStartup() throws {
        if configuration.appendOnly {
            try appendOnly.loadAndOpen()
            return
        }
        let path = configuration.dbFilename
        guard access(path, F_OK) == 0 else { return }
        let started = monotonicMillis()
        let (loaded, expired) = try loadRDB(path: path)
        log.notice("Done loading RDB, keys loaded: \(loaded), keys expired: \(expired).")
        log.notice("DB loaded from disk: \(String(format3: Double(monotonicMillis() - started) / 1000)) seconds")
    }

    /// Reads an RDB file into the keyspace (nothing else may touch it meanwhile). Keys already
    /// expired are skipped, as a master does; a key met twice is an error unless `merge`.
    @discardableResult
    func loadRDB(path: String, merge: Bool = false) throws -> (loaded: Int, expired: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SnapshotError.io("Can't open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        let size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        let reader = RDBFileReader(fileDescriptor: fd, bufferSize: 1 << 20)
        log.notice("Loading RDB \(path) (\(size / 1048576) MB)...")
        let (loaded, expired, _) = try loadRecords(from: reader, merge: merge)
        return (loaded, expired)
    }

    /// Reads every key of an RDB stream (a file, or an AOF's preamble) into the keyspace.
    func loadRecords(from reader: RDBFileReader, merge: Bool = false) throws -> (Int, Int, RDBReadSummary) {
        reader.maxDatabase = keyspace.databaseCount - 1
        reader.onAux = { [log] key, value in
            let k = String(decoding: key, as: UTF8.self)
            let v = String(decoding: value, as: UTF8.self)
            switch k {
            case "redis-ver": log.notice("Loading RDB produced by version \(v)")
            case "ctime":
                if let t = Int64(v) { log.notice("RDB age \(wallClockMillis() / 1000 - t) seconds") }
            case "used-mem":
                if let m = Int64(v) { log.notice("RDB memory usage when created \(Platform.format2(Double(m) / 1048576)) Mb") }
            default: break
            }
        }
        let limits = rdbEncodingLimits
        let now = wallClockMillis()
        var loaded = 0
        var expired = 0
        var nextReport = monotonicMillis() + 1000
        let summary = try reader.read { record in
            let k = Key(record.key)
            if !merge && keyspace.exists(db: record.db, key: k, now: Int64.min) {
                throw SnapshotError.io(
                    "RDB has duplicated key '\(String(decoding: record.key, as: UTF8.self))' in DB \(record.db)")
            }
            if try store(record.value, key: record.key, db: record.db, expireAt: record.expireAt, into: keyspace,
                         limits: limits, now: now) {
                loaded += 1
            } else {
                expired += 1
            }
            if (loaded + expired) & 0x3FFF == 0 && monotonicMillis() >= nextReport {
                nextReport = monotonicMillis() + 1000
                log.notice("Loading RDB: \(loaded + expired) keys read so far")
            }
        }
        snapshots.lastLoadKeysLoaded = loaded
        snapshots.lastLoadKeysExpired = expired
        snapshots.noteLoaded()
        return (loaded, expired, summary)
    }

    // MARK: - Shutdown

    /// Redis's prepareForShutdown: stop a running save, save when asked (or when save points
    /// exist and NOSAVE was not given). False, with the reason logged, when the node must stay up.
    func prepareForShutdown(save: Bool?, force: Bool) -> Bool {
        log.warning("User requested shutdown...")
        if snapshots.busy {
            log.warning("There is a child saving an .rdb. Killing it!")
            snapshots.cancelRunning()
        }
        appendOnly.flushForShutdown()
        let shouldSave = save ?? !configuration.savePoints.isEmpty
        if shouldSave {
            log.notice("Saving the final RDB snapshot before exiting.")
            do {
                try snapshots.exclusively { [self] in try snapshots.saveExclusively() }
            } catch {
                if force {
                    log.warning("Error trying to save the DB. Exit anyway.")
                } else {
                    log.warning("Error trying to save the DB, can't exit.")
                    return false
                }
            }
        }
        return true
    }

    /// SIGTERM / SIGINT: `shutdown-on-sigterm` / `shutdown-on-sigint` say whether to save.
    func shutdownOnSignal(directive: String) {
        let flags = Set((configuration.value(of: directive) ?? "default").split(separator: " ").map(String.init))
        let save: Bool? = flags.contains("save") ? true : flags.contains("nosave") ? false : nil
        if prepareForShutdown(save: save, force: flags.contains("force")) {
            requestShutdown(code: 0)
        } else {
            log.warning("SIGTERM received but errors trying to shut down the server, check the logs for more information")
        }
    }

    // MARK: - DEBUG RELOAD

    /// Saves (unless `save` is false), empties the keyspace (unless `flush` is false) and loads the
    /// file back, with nothing else running.
    func debugReload(save: Bool, flush: Bool, merge: Bool) throws {
        try snapshots.exclusively { [self] in
            if save { try snapshots.saveExclusively() }
            // A background save running meanwhile keeps its image: what is about to be replaced
            // is captured first, as for any write.
            writeBarrier.beforeWriteAll()
            if flush {
                _ = keyspace.flushAll()
            }
            try loadRDB(path: configuration.dbFilename, merge: merge)
        }
    }
}

extension String {
    /// A number with three decimals ("0.123"), as Redis's "%.3f".
    init(format3 value: Double) {
        let millis = Int((value * 1000).rounded())
        let frac = millis % 1000
        self = "\(millis / 1000)." + String(repeating: "0", count: frac < 10 ? 2 : frac < 100 ? 1 : 0) + "\(frac)"
    }
}

extension ShoalServer {
    /// INFO persistence's aof_* fields.
    func appendOnlyInfoLines() -> [String] { appendOnly.infoLines() }
}
