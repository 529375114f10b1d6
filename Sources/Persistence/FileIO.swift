#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the system calls the AOF layer needs, with EINTR and short writes
/// handled once here instead of at every call site.
enum FileIO {
    /// The text of an errno, as `strerror` gives it (Redis's logs include it).
    static func message(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Writes all of `count` bytes; returns 0, or the errno and how many bytes did get written.
    static func writeAll(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int) -> (errno: Int32, written: Int) {
        var done = 0
        while done < count {
            #if canImport(Glibc)
            let r = Glibc.write(fd, p + done, count - done)
            #else
            let r = Darwin.write(fd, p + done, count - done)
            #endif
            if r < 0 {
                if errno == EINTR { continue }
                return (errno, done)
            }
            if r == 0 { return (EIO, done) }
            done += r
        }
        return (0, done)
    }

    static func read(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            #if canImport(Glibc)
            let r = Glibc.read(fd, p, count)
            #else
            let r = Darwin.read(fd, p, count)
            #endif
            if r < 0 && errno == EINTR { continue }
            return r
        }
    }

    /// Reads exactly `count` bytes at `offset` unless the file ends first; returns the count read.
    static func pread(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int, at offset: Int) -> Int {
        var done = 0
        while done < count {
            #if canImport(Glibc)
            let r = Glibc.pread(fd, p + done, count - done, off_t(offset + done))
            #else
            let r = Darwin.pread(fd, p + done, count - done, off_t(offset + done))
            #endif
            if r < 0 {
                if errno == EINTR { continue }
                return done > 0 ? done : -1
            }
            if r == 0 { break }
            done += r
        }
        return done
    }

    /// fdatasync where the system has it: the AOF only needs its data durable, not its mtime.
    static func dataSync(_ fd: Int32) -> Int32 {
        #if os(Linux)
        return fdatasync(fd)
        #else
        return fsync(fd)
        #endif
    }

    static func closeRetrying(_ fd: Int32) {
        // Linux releases the descriptor even when close reports EINTR: never retry.
        _ = close(fd)
    }

    /// Size of the file at `path`, or the errno of a failed stat.
    static func size(_ path: String) -> (size: Int, errno: Int32) {
        var st = stat()
        if stat(path, &st) != 0 { return (0, errno) }
        return (Int(st.st_size), 0)
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// `mkdir` that is fine with a directory already there (Redis's `dirCreateIfMissing`).
    static func createDirectory(_ path: String) -> Int32 {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return 0 }
        return errno
    }

    /// Makes a rename or creation in `directory` durable (Redis's `fsyncFileDir`). File systems
    /// that cannot fsync a directory say EINVAL or EBADF: nothing more can be done there.
    static func syncDirectory(_ directory: String) -> Int32 {
        let fd = open(directory, O_RDONLY)
        if fd < 0 { return errno }
        defer { closeRetrying(fd) }
        if fsync(fd) != 0 && errno != EINVAL && errno != EBADF { return errno }
        return 0
    }

    /// Writes `bytes` to `path` through a temp file in the same directory: write, fsync, rename,
    /// fsync the directory, so a crash leaves either the old file or the new one, never a mix.
    static func replaceAtomically(path: String, tempPath: String, directory: String,
                                  bytes: [UInt8], describe: (String) -> String) -> AOFError? {
        let fd = open(tempPath, O_WRONLY | O_TRUNC | O_CREAT, 0o644)
        if fd < 0 { return AOFError("Can't open the AOF manifest file \(describe(tempPath)): \(message(errno))") }
        let (err, _) = bytes.withUnsafeBytes { writeAll(fd, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
        if err != 0 {
            closeRetrying(fd)
            return AOFError("Error trying to write the temporary AOF manifest file \(describe(tempPath)): \(message(err))")
        }
        if dataSync(fd) != 0 {
            let e = errno
            closeRetrying(fd)
            return AOFError("Fail to fsync the temp AOF file \(describe(tempPath)): \(message(e)).")
        }
        closeRetrying(fd)
        if rename(tempPath, path) != 0 {
            return AOFError("Error trying to rename the temporary AOF manifest file \(describe(tempPath)) into \(describe(path)): \(message(errno))")
        }
        let e = syncDirectory(directory)
        if e != 0 { return AOFError("Fail to fsync AOF directory \(path): \(message(e)).") }
        return nil
    }

    /// Seconds on a monotonic clock (load timings).
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// The last path component (file names in errors and logs, as Redis prints them).
func baseName(_ path: String) -> String {
    if let slash = path.lastIndex(of: "/") { return String(path[path.index(after: slash)...]) }
    return path
}
