#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of one AOF directory (`dir/appenddirname`): naming, the manifest, rotation for
/// rewrites. Every change of the file set is made durable in the order Redis 7.0 uses, so that a
/// crash at any point leaves a manifest that names only complete files and loads everything
/// acknowledged: the new file first, then the manifest (temp + fsync + rename + dir fsync), and
/// only then deletions.
///
/// Thread-safe (one lock around each operation).
public final class AOFDirectory {
    public let dir: String
    public let dirname: String
    public let filename: String
    /// The file set as last read or persisted. A copy: the directory may change it right after.
    public var manifest: AOFManifest { locked { current } }
    var current = AOFManifest()
    /// Redis-style log lines (file creations, the legacy upgrade, history removal).
    public var log: ((String) -> Void)?

    /// Whether `manifest` has been read from disk (the operations that change it read it first).
    var manifestLoaded = false
    /// Highest seq handed out, even to files no longer listed, so names never repeat in a run.
    var currentBaseSeq = 0
    var currentIncrSeq = 0
    /// The INCR seq opened by `beginRewrite`: older INCRs are what the new base replaces.
    var rewriteIncrSeq: Int?
    /// A rewrite that turns the AOF on (`appendonly yes` at runtime): its INCR is a temp file
    /// that only joins the manifest when the rewrite succeeds, as Redis's AOF_WAIT_REWRITE.
    var rewriteUsesTempIncr = false
    /// An enabling rewrite failed: the files on disk still do not describe the dataset, so the
    /// next rewrite must enable too, whatever the caller says.
    var enablingPending = false

    /// Recursive, so operations can read the manifest through the same entry points. Held for
    /// whole operations (they are rare and short); `manifest` and the sizes may be read from
    /// any thread meanwhile (INFO, the automatic rewrite check).
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init(dir: String, dirname: String, filename: String) {
        self.dir = dir
        self.dirname = dirname
        self.filename = filename
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attr)
        pthread_mutexattr_destroy(&attr)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    public var directoryPath: String { dir.isEmpty ? dirname : "\(dir)/\(dirname)" }
    public var manifestPath: String { path(of: "\(filename).manifest") }
    var tempManifestPath: String { path(of: "temp-\(filename).manifest") }
    /// Where a pre-7.0 server kept its single append-only file.
    public var legacyPath: String { dir.isEmpty ? filename : "\(dir)/\(filename)" }
    var tempIncrPath: String { path(of: "temp-\(filename).incr") }

    /// The path of a file of this directory.
    public func path(of name: String) -> String { "\(directoryPath)/\(name)" }

    /// Whether there is anything to load (a manifest, or a legacy single file dir/filename).
    public func exists() -> Bool {
        FileIO.exists(manifestPath) || FileIO.isRegularFile(legacyPath)
    }

    // MARK: - Reading

    /// Reads the manifest (an absent one is an empty manifest) and, when a pre-7.0 single file
    /// is waiting in `dir`, moves it in first. Called by the loader and by every operation that
    /// changes the file set; safe to call again.
    public func readManifest() throws(AOFError) { try locked { () throws(AOFError) in try readManifestLocked() } }

    func readManifestLocked() throws(AOFError) {
        var m = AOFManifest()
        if FileIO.exists(manifestPath) {
            let bytes = try readWholeFile(manifestPath)
            m = try AOFManifest.parse(bytes)
        }
        current = m
        currentBaseSeq = max(currentBaseSeq, m.base?.seq ?? 0)
        currentIncrSeq = max(currentIncrSeq, m.incrs.last?.seq ?? 0)
        manifestLoaded = true
        if needsUpgrade() { try upgrade() }
    }

    /// Redis's three upgrade cases (`loadAppendOnlyFiles`): the legacy file exists and either the
    /// directory does not, or the manifest lists nothing, or it lists only that file as base
    /// and the file never made it into the directory (a crash between the two upgrade steps).
    func needsUpgrade() -> Bool {
        guard FileIO.isRegularFile(legacyPath) else { return false }
        if !FileIO.isDirectory(directoryPath) { return true }
        if current.base == nil && current.incrs.isEmpty { return true }
        if let base = current.base, current.incrs.isEmpty, base.name == filename, !FileIO.exists(path(of: filename)) {
            return true
        }
        return false
    }

    /// `aofUpgradePrepare`: the manifest naming the old file as base seq 1 is persisted first,
    /// then the file is moved in; either crash point is retried on the next start. The file
    /// keeps its name, as in Redis, so both servers recognise a half-done upgrade.
    func upgrade() throws(AOFError) {
        try createDirectory()
        var m = AOFManifest()
        m.base = AOFManifestEntry(name: filename, seq: 1, type: .base)
        try persist(m)
        current = m
        currentBaseSeq = max(currentBaseSeq, 1)
        if rename(legacyPath, path(of: filename)) != 0 {
            throw AOFError("Error trying to move the old AOF file \(filename) into dir \(dirname): \(FileIO.message(errno))")
        }
        log?("Successfully migrated an old-style AOF file (\(filename)) into the AOF directory (\(dirname)).")
    }

    func createDirectory() throws(AOFError) {
        let e = FileIO.createDirectory(directoryPath)
        if e != 0 { throw AOFError("Can't open or create append-only dir \(dirname): \(FileIO.message(e))") }
    }

    func readWholeFile(_ path: String) throws(AOFError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw AOFError("Fatal error: can't open the AOF manifest file \(path) for reading: \(FileIO.message(errno))")
        }
        defer { FileIO.closeRetrying(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let r = chunk.withUnsafeMutableBytes { FileIO.read(fd, $0.baseAddress!, $0.count) }
            if r < 0 { throw AOFError("Read AOF manifest failed") }
            if r == 0 { return out }
            out += chunk[0..<r]
        }
    }

    /// Writes a manifest durably; `manifest` is only replaced by callers once this succeeded.
    func persist(_ m: AOFManifest) throws(AOFError) {
        if let error = FileIO.replaceAtomically(path: manifestPath, tempPath: tempManifestPath,
                                                directory: directoryPath, bytes: Array(m.serialized().utf8),
                                                describe: baseName) {
            throw error
        }
    }

    // MARK: - Appending

    /// Creates the directory if needed, upgrades a legacy single file, reads the manifest, and
    /// if there is no INCR file yet opens a new one (seq = last+1) and persists the manifest.
    /// Returns the fd of the current (last) INCR file opened O_WRONLY|O_APPEND|O_CREAT.
    public func openForAppend() throws(AOFError) -> Int32 { try locked { () throws(AOFError) in try openForAppendLocked() } }

    func openForAppendLocked() throws(AOFError) -> Int32 {
        try createDirectory()
        try readManifestLocked()
        var m = current
        let creating = m.incrs.isEmpty
        if creating { m.incrs.append(newIncrEntry()) }
        let name = m.incrs.last!.name
        let fd = open(path(of: name), O_WRONLY | O_APPEND | O_CREAT, 0o644)
        if fd < 0 { throw AOFError("Can't open the append-only file \(name): \(FileIO.message(errno))") }
        if creating {
            do throws(AOFError) { try persist(m) } catch {
                FileIO.closeRetrying(fd)
                throw error
            }
            current = m
            log?("Creating AOF incr file \(name) on server start")
        } else {
            log?("Opening AOF incr file \(name) on server start")
        }
        return fd
    }

    /// The next INCR: seq one past every one used, skipping names a kept history file holds.
    func newIncrEntry() -> AOFManifestEntry {
        while true {
            currentIncrSeq += 1
            let name = "\(filename).\(currentIncrSeq).incr.aof"
            if !current.history.contains(where: { $0.name == name }) {
                return AOFManifestEntry(name: name, seq: currentIncrSeq, type: .incr)
            }
        }
    }

    // MARK: - Rewrite

    /// Rewrite start (`openNewIncrAofForAppend`): opens INCR seq+1 and persists a manifest
    /// listing the old base, all old INCRs and the new one, so a crash mid-rewrite still loads
    /// everything. Returns the new fd (O_WRONLY|O_TRUNC|O_CREAT, appends go at its end).
    ///
    /// With `enablingAOF` (the AOF was off: `CONFIG SET appendonly yes`), the new INCR is a temp
    /// file outside the manifest, because until the new base exists the old files on disk do not
    /// describe the dataset; `finishRewrite` gives it its INCR name. Until one such rewrite
    /// succeeds, every later rewrite works that way too.
    public func beginRewrite(enablingAOF: Bool = false) throws(AOFError) -> Int32 {
        try locked { () throws(AOFError) in try beginRewriteLocked(enablingAOF: enablingAOF) }
    }

    func beginRewriteLocked(enablingAOF: Bool) throws(AOFError) -> Int32 {
        try createDirectory()
        if !manifestLoaded { try readManifestLocked() }
        if enablingAOF || enablingPending {
            let fd = open(tempIncrPath, O_WRONLY | O_TRUNC | O_CREAT | O_APPEND, 0o644)
            if fd < 0 { throw AOFError("Can't open the append-only file \(baseName(tempIncrPath)): \(FileIO.message(errno))") }
            rewriteUsesTempIncr = true
            enablingPending = true
            rewriteIncrSeq = nil
            log?("Creating AOF incr file \(baseName(tempIncrPath)) on background rewrite")
            return fd
        }
        var m = current
        let savedSeq = currentIncrSeq
        let entry = newIncrEntry()
        m.incrs.append(entry)
        let fd = open(path(of: entry.name), O_WRONLY | O_TRUNC | O_CREAT | O_APPEND, 0o644)
        if fd < 0 {
            currentIncrSeq = savedSeq
            throw AOFError("Can't open the append-only file \(entry.name): \(FileIO.message(errno))")
        }
        do throws(AOFError) { try persist(m) } catch {
            FileIO.closeRetrying(fd)
            currentIncrSeq = savedSeq
            throw error
        }
        current = m
        rewriteIncrSeq = entry.seq
        rewriteUsesTempIncr = false
        log?("Creating AOF incr file \(entry.name) on background rewrite")
        return fd
    }

    /// A temp path in the directory where the caller writes the new base. In the directory
    /// (Redis uses `dir`) so the final rename never crosses a file system.
    public func rewriteTempPath() -> String {
        path(of: "temp-rewriteaof-bg-\(getpid()).aof")
    }

    /// Rewrite done (`backgroundRewriteDoneHandler`): the temp file (written and fsynced by the
    /// caller) becomes base seq+1 (`.rdb` with a preamble, else `.aof`); the old base and every
    /// INCR older than the one `beginRewrite` opened become history (all INCRs when there was no
    /// `beginRewrite`: the AOF is off); the manifest is persisted; history files are deleted
    /// unless `keepHistory` (Redis's `aof-disable-auto-gc`).
    public func finishRewrite(preamble: Bool, keepHistory: Bool = false) throws(AOFError) {
        try locked { () throws(AOFError) in try finishRewriteLocked(preamble: preamble, keepHistory: keepHistory) }
    }

    func finishRewriteLocked(preamble: Bool, keepHistory: Bool) throws(AOFError) {
        if !manifestLoaded { try readManifestLocked() }
        let temp = rewriteTempPath()
        var m = current
        if var old = m.base {
            old.type = .history
            m.history.insert(old, at: 0)
        }
        let baseSeq = currentBaseSeq + 1
        let newBase = "\(filename).\(baseSeq).base.\(preamble ? "rdb" : "aof")"
        m.base = AOFManifestEntry(name: newBase, seq: baseSeq, type: .base)
        if rename(temp, path(of: newBase)) != 0 {
            let e = errno
            unlink(temp)
            throw AOFError("Error trying to rename the temporary AOF base file \(baseName(temp)) into \(newBase): \(FileIO.message(e))")
        }
        log?("Successfully renamed the temporary AOF base file \(baseName(temp)) into \(newBase)")
        let savedIncrSeq = currentIncrSeq
        var newIncrName: String?
        if rewriteUsesTempIncr {
            let entry = newIncrEntry()
            if rename(tempIncrPath, path(of: entry.name)) != 0 {
                let e = errno
                currentIncrSeq = savedIncrSeq
                unlink(path(of: newBase))
                throw AOFError("Error trying to rename the temporary AOF incr file \(baseName(tempIncrPath)) into \(entry.name): \(FileIO.message(e))")
            }
            log?("Successfully renamed the temporary AOF incr file \(baseName(tempIncrPath)) into \(entry.name)")
            newIncrName = entry.name
            for old in m.incrs.reversed() { m.history.insert(AOFManifestEntry(name: old.name, seq: old.seq, type: .history), at: 0) }
            m.incrs = [entry]
        } else {
            let keepFrom = rewriteIncrSeq ?? Int.max
            let replaced = m.incrs.filter { $0.seq < keepFrom }
            // Ahead of the old base, oldest first, as markRewrittenIncrAofAsHistory leaves them.
            for old in replaced.reversed() { m.history.insert(AOFManifestEntry(name: old.name, seq: old.seq, type: .history), at: 0) }
            m.incrs.removeAll { $0.seq < keepFrom }
        }
        do throws(AOFError) { try persist(m) } catch {
            unlink(path(of: newBase))
            if let newIncrName { unlink(path(of: newIncrName)) }
            currentIncrSeq = savedIncrSeq
            throw error
        }
        current = m
        currentBaseSeq = baseSeq
        rewriteIncrSeq = nil
        rewriteUsesTempIncr = false
        enablingPending = false
        if !keepHistory { deleteHistoryLocked() }
    }

    /// `aofDelHistoryFiles`: unlinks every history file, then records that they are gone. A
    /// failure here is harmless (the files stay listed and are retried after the next rewrite).
    public func deleteHistory() { locked { deleteHistoryLocked() } }

    func deleteHistoryLocked() {
        if current.history.isEmpty { return }
        for entry in current.history {
            log?("Removing the history file \(entry.name) in the background")
            unlink(path(of: entry.name))
        }
        var m = current
        m.history = []
        if (try? persist(m)) != nil { current = m }
    }

    /// Rewrite failed: deletes the temp base (and the temp INCR of an enabling rewrite). The
    /// manifest `beginRewrite` persisted stays valid: the next rewrite replaces more INCRs.
    public func abortRewrite() { locked { abortRewriteLocked() } }

    func abortRewriteLocked() {
        unlink(rewriteTempPath())
        if rewriteUsesTempIncr {
            unlink(tempIncrPath)
            rewriteUsesTempIncr = false
        }
        rewriteIncrSeq = nil
    }

    // MARK: - Sizes

    /// Bytes of the base file (0 without one).
    public func baseSize() -> Int {
        guard let base = manifest.base else { return 0 }
        return FileIO.size(path(of: base.name)).size
    }

    /// Bytes of the base and INCR files (history excluded, as Redis's aof_current_size).
    public func totalSize() -> Int {
        manifest.loadOrder.reduce(0) { $0 + FileIO.size(path(of: $1.name)).size }
    }
}
