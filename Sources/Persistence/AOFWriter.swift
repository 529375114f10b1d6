#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Appends commands to the current INCR file. Thread-safe: several event loops append.
///
/// Two locks, so that appending (done with a command's slot lock held) never waits for the disk:
/// `lock` guards the buffer being filled and the small state; `writeLock` serialises the
/// flushers, each of which swaps the filled buffer out under `lock` and writes it with only
/// `writeLock` held. Because a flusher holds `writeLock` until its bytes are written (and with
/// `always`, synced), a loop whose bytes were taken by another loop's flush still returns from
/// its own `flush()` only once they are on disk: replies never overtake the log.
public final class AOFWriter: @unchecked Sendable {
    public enum FsyncPolicy: Sendable { case always, everysec, no }

    let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let writeLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    // Under `lock`.
    var filling = ByteBuffer(capacity: 1 << 16)
    var fd: Int32
    var selectedDB = -1
    var _policy: FsyncPolicy
    var size: Int
    var syncedSize: Int
    var writeError: Int32?
    var pendingCount = 0
    /// The fd the background thread is syncing right now, and fds retired by `switchFile`
    /// while it was: the thread closes them after its sync instead of racing a close.
    var syncingFD: Int32 = -1
    var closeAfterSync: [Int32] = []
    var timer: DispatchSourceTimer?
    // Under `writeLock`: bytes taken from `filling` and not yet written.
    var pending = ByteBuffer(capacity: 1 << 16)
    let queue = DispatchQueue(label: "shoal.aof.fsync")

    public init(fileDescriptor: Int32, policy: FsyncPolicy, initialSize: Int) {
        fd = fileDescriptor
        _policy = policy
        size = initialSize
        syncedSize = initialSize
        pthread_mutex_init(lock, nil)
        pthread_mutex_init(writeLock, nil)
    }

    deinit {
        timer?.cancel()
        filling.release()
        pending.release()
        pthread_mutex_destroy(lock)
        pthread_mutex_destroy(writeLock)
        lock.deallocate()
        writeLock.deallocate()
    }

    @inline(__always) func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    /// Settable at runtime (CONFIG SET appendfsync).
    public var policy: FsyncPolicy {
        get { locked { _policy } }
        set { locked { _policy = newValue } }
    }

    /// Bytes written to the current INCR file.
    public var currentSize: Int { locked { size } }
    /// errno of the last failed write or fsync; nil once a write succeeds again.
    public var lastWriteError: Int32? { locked { writeError } }
    /// Bytes appended and not yet written.
    public var bufferedBytes: Int { locked { filling.count + pendingCount } }

    // MARK: - Appending

    /// Buffers one command as a RESP array; emits `SELECT db` first when `db` differs from the
    /// last database written to this file (the first append to a new file always selects; a
    /// negative `db` never does, like Redis's dictid -1). Cheap: a lock and a memcpy.
    public func append(db: Int, _ args: [UnsafeRawBufferPointer]) {
        args.withUnsafeBufferPointer { append(db: db, $0) }
    }

    /// The arguments as the caller holds them (a parsed request's views): nothing is copied but
    /// into the buffer.
    public func append(db: Int, _ args: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        appendCommand(db: db, args) { filling, a in filling.append(a) }
    }

    public func append(db: Int, _ args: [[UInt8]]) {
        appendCommand(db: db, args) { filling, a in a.withUnsafeBytes { filling.append($0) } }
    }

    @inline(__always)
    private func appendCommand<Arguments: Collection>(
        db: Int, _ args: Arguments, _ appendBytes: (inout ByteBuffer, Arguments.Element) -> Void
    ) where Arguments.Element: Collection {
        var bytes = 16
        for a in args { bytes &+= a.count &+ 24 }
        pthread_mutex_lock(lock)
        if db >= 0 && db != selectedDB { appendSelect(db) }
        filling.reserve(bytes)
        filling.appendHeader(UInt8(ascii: "*"), args.count)
        for a in args {
            filling.appendHeader(UInt8(ascii: "$"), a.count)
            appendBytes(&filling, a)
            filling.appendCRLF()
        }
        pthread_mutex_unlock(lock)
    }

    /// Under `lock`.
    func appendSelect(_ db: Int) {
        var digits = 0
        var v = db
        repeat { digits += 1; v /= 10 } while v > 0
        filling.reserve(40)
        filling.append(staticBytes: "*2\r\n$6\r\nSELECT\r\n")
        filling.appendHeader(UInt8(ascii: "$"), digits)
        filling.appendDecimal(db)
        filling.appendCRLF()
        selectedDB = db
    }

    // MARK: - Writing

    /// write(2)s everything buffered (each event loop calls it at the end of a batch, before
    /// replies go out). With `.always`, also fdatasync()s before returning. Errors are recorded
    /// in `lastWriteError`, not thrown; unwritten bytes stay buffered and are retried.
    public func flush() {
        pthread_mutex_lock(writeLock)
        pthread_mutex_lock(lock)
        takeFilling()
        let fd = self.fd
        let policy = _policy
        pthread_mutex_unlock(lock)
        writePending(to: fd)
        if policy == .always { syncNow(fd) }
        pthread_mutex_unlock(writeLock)
    }

    /// Moves the filled buffer to `pending` (both locks held).
    func takeFilling() {
        if filling.count == 0 { return }
        if pending.count == 0 {
            swap(&filling, &pending)
        } else {
            pending.reserve(filling.count)
            pending.append(UnsafeRawBufferPointer(start: filling.base, count: filling.count))
            filling.count = 0
        }
        pendingCount = pending.count
    }

    /// Writes `pending` to `fd` (`writeLock` held). On a failure part-way, the file is cut back
    /// to where this write began so it never ends in half a command, as Redis does; when even
    /// that fails, the bytes that did land are dropped from the buffer instead.
    func writePending(to fd: Int32) {
        let n = pending.count
        if n == 0 { return }
        let (err, written) = FileIO.writeAll(fd, pending.base, n)
        pthread_mutex_lock(lock)
        if err == 0 {
            size += n
            writeError = nil
            pending.count = 0
            pending.shrinkIfHuge()
        } else {
            writeError = err
            if written > 0 {
                if ftruncate(fd, off_t(size)) != 0 {
                    size += written
                    pending.removeFirst(written)
                }
            }
        }
        pendingCount = pending.count
        pthread_mutex_unlock(lock)
    }

    /// fdatasync if anything was written since the last one (`writeLock` held).
    func syncNow(_ fd: Int32) {
        let target = locked { size > syncedSize ? size : -1 }
        if target < 0 { return }
        let r = FileIO.dataSync(fd)
        let e = errno
        locked {
            if r == 0 {
                if self.fd == fd { syncedSize = max(syncedSize, target) }
            } else {
                writeError = e
            }
        }
    }

    // MARK: - Background fsync

    /// Starts the once-a-second background work: the write of anything buffered (so data reaches
    /// the kernel within a second even if no loop flushes) and, with `.everysec`, fdatasync.
    public func start() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if timer != nil { return }
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + 1, repeating: 1, leeway: .milliseconds(50))
        t.setEventHandler { [weak self] in self?.tick() }
        t.resume()
        timer = t
    }

    /// Stops the background work and makes everything durable: flush, fsync, join.
    public func stop() {
        let t = locked { () -> DispatchSourceTimer? in
            defer { timer = nil }
            return timer
        }
        if let t {
            t.cancel()
            queue.sync {}  // a tick in progress finishes before we go on
        }
        pthread_mutex_lock(writeLock)
        pthread_mutex_lock(lock)
        takeFilling()
        let fd = self.fd
        pthread_mutex_unlock(lock)
        writePending(to: fd)
        syncNow(fd)
        pthread_mutex_unlock(writeLock)
        closeRetired()
    }

    func tick() {
        flush()
        pthread_mutex_lock(lock)
        let fd = self.fd
        let target = size
        let needed = _policy == .everysec && size > syncedSize
        if needed { syncingFD = fd }
        pthread_mutex_unlock(lock)
        if needed {
            // Outside `writeLock`: loops keep writing while the disk catches up.
            let r = FileIO.dataSync(fd)
            let e = errno
            locked {
                syncingFD = -1
                if r == 0 {
                    if self.fd == fd { syncedSize = max(syncedSize, target) }
                } else {
                    writeError = e
                }
            }
        }
        closeRetired()
    }

    func closeRetired() {
        let retired = locked { () -> [Int32] in
            defer { closeAfterSync = [] }
            return closeAfterSync
        }
        for old in retired {
            _ = FileIO.dataSync(old)
            FileIO.closeRetrying(old)
        }
    }

    // MARK: - Rotation

    /// Rotation for a rewrite: from now on appends go to `fd`; the old file gets everything
    /// appended before this call, then is fsynced and closed. Atomic with respect to `append`:
    /// each command lands wholly in one file, and the first one in the new file selects its db.
    public func switchFile(to newFD: Int32, initialSize: Int = 0) {
        pthread_mutex_lock(writeLock)
        pthread_mutex_lock(lock)
        takeFilling()
        let old = fd
        fd = newFD
        selectedDB = -1
        pthread_mutex_unlock(lock)
        writePending(to: old)
        pthread_mutex_lock(lock)
        if pending.count > 0 {
            // The old file refused them and they belong to its database context: dropping
            // them is the only choice that does not corrupt the new file (the error stays set).
            pending.count = 0
            pendingCount = 0
        }
        size = initialSize
        syncedSize = initialSize
        let deferClose = syncingFD == old
        if deferClose { closeAfterSync.append(old) }
        pthread_mutex_unlock(lock)
        pthread_mutex_unlock(writeLock)
        if !deferClose {
            _ = FileIO.dataSync(old)
            FileIO.closeRetrying(old)
        }
    }
}
