#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RDB

public struct AOFLoadSummary: Sendable {
    /// Commands handed to the caller (those inside MULTI/EXEC counted one by one).
    public var commands = 0
    /// Non-empty files read.
    public var files = 0
    /// The offset the last file was cut at (aof-load-truncated), nil when nothing was cut.
    public var truncatedAt: Int?
    /// Keys of the RDB preamble, when the `rdbReader` callback reported its summary.
    public var rdbPreambleKeys = 0

    public init() {}
}

/// Loads an AOF directory (or a legacy single file, which is moved in first, as Redis does) the
/// way `loadAppendOnlyFiles` does: base, then INCRs in order, each file's commands replayed
/// through the caller.
///
/// Transactions: MULTI and EXEC are not handed over; the commands between them are held back
/// until EXEC, so a file ending inside a transaction replays none of it and is cut before its
/// MULTI (Redis's "Revert incomplete MULTI/EXEC transaction").
public final class AOFLoader {
    public let directory: AOFDirectory
    public let loadTruncated: Bool

    public init(directory: AOFDirectory, loadTruncated: Bool) {
        self.directory = directory
        self.loadTruncated = loadTruncated
    }

    /// Reads base then INCRs. `rdb` gets a reader positioned at an RDB preamble; `command` gets
    /// each command's arguments (args[0] is the name); `log` gets Redis-style log lines.
    public func load(rdb: (RDBFileReader) throws -> Void, command: ([[UInt8]]) throws -> Void,
                     log: (String) -> Void) throws -> AOFLoadSummary {
        var copies: [[UInt8]] = []
        return try load(rdbReader: { reader in
            try rdb(reader)
            return nil
        }, rawCommand: { args in
            copies.removeAll(keepingCapacity: true)
            for a in args { copies.append(Array(a)) }
            try command(copies)
        }, log: log)
    }

    /// The fast form: `rdbReader` returns the summary of its `read` (so the preamble's end and
    /// key count are known exactly; nil makes the loader find the end by its checksum), and
    /// `rawCommand` gets views into the read buffer, valid only during the call.
    public func load(rdbReader: (RDBFileReader) throws -> RDBReadSummary?,
                     rawCommand: ([UnsafeRawBufferPointer]) throws -> Void,
                     log: (String) -> Void) throws -> AOFLoadSummary {
        // The directory's own lines (the legacy upgrade) go to this log unless it has one.
        try withoutActuallyEscaping(log) { log in
            let saved = directory.log
            if saved == nil { directory.log = log }
            defer { directory.log = saved }
            try directory.readManifest()
        }
        let files = directory.manifest.loadOrder
        var summary = AOFLoadSummary()
        if files.isEmpty { return summary }
        var total = 0
        for entry in files {
            let (size, err) = FileIO.size(directory.path(of: entry.name))
            if err != 0 {
                throw AOFError("Unable to obtain the AOF file \(entry.name) length. stat: \(FileIO.message(err))")
            }
            total += size
        }
        if total == 0 { return summary }
        for (i, entry) in files.enumerated() {
            let started = FileIO.now()
            let loaded = try loadFile(entry, isLast: i == files.count - 1, summary: &summary,
                                      rdbReader: rdbReader, rawCommand: rawCommand, log: log)
            if loaded {
                summary.files += 1
                let kind = entry.type == .base ? "base" : "incr"
                log("DB loaded from \(kind) file \(entry.name): \(seconds(FileIO.now() - started)) seconds")
            }
        }
        return summary
    }

    /// One file (`loadSingleAppendOnlyFile`). Returns false for an empty file.
    func loadFile(_ entry: AOFManifestEntry, isLast: Bool, summary: inout AOFLoadSummary,
                  rdbReader: (RDBFileReader) throws -> RDBReadSummary?,
                  rawCommand: ([UnsafeRawBufferPointer]) throws -> Void,
                  log: (String) -> Void) throws -> Bool {
        let name = entry.name
        let path = directory.path(of: name)
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw AOFError("Fatal error: can't open the append log file \(name) for reading: \(FileIO.message(errno))")
        }
        defer { FileIO.closeRetrying(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AOFError("Unrecoverable error reading the append only file \(name): \(FileIO.message(errno))") }
        let fileSize = Int(st.st_size)
        if fileSize == 0 { return false }

        var commandsStart = 0
        var magic = (UInt64(0))
        let got = withUnsafeMutableBytes(of: &magic) { FileIO.pread(fd, $0.baseAddress!, 5, at: 0) }
        if got == 5 && withUnsafeBytes(of: &magic, { $0.prefix(5).elementsEqual("REDIS".utf8) }) {
            // A pre-7.0 file that was moved in keeps its name: Redis words its logs for it.
            let oldStyle = name == directory.filename
            log(oldStyle ? "Reading RDB preamble from AOF file..." : "Reading RDB base file on AOF loading...")
            let source = PreambleSource(fd: fd)
            let reader = RDBFileReader(knownSize: fileSize) { p, n in source.read(p, n) }
            let rdbSummary: RDBReadSummary?
            do {
                rdbSummary = try rdbReader(reader)
            } catch {
                log(oldStyle ? "Error reading the RDB preamble of the AOF file \(name), AOF loading aborted"
                             : "Error reading the RDB base file \(name), AOF loading aborted")
                throw error
            }
            if let rdbSummary {
                commandsStart = rdbSummary.bytesRead
                summary.rdbPreambleKeys += rdbSummary.keys
            } else if let end = source.locateEnd(fileSize: fileSize) {
                commandsStart = end
            } else {
                throw AOFError("Error reading the RDB base file \(name), AOF loading aborted")
            }
            if oldStyle { log("Reading the remaining AOF tail...") }
        }
        if lseek(fd, off_t(commandsStart), SEEK_SET) < 0 {
            throw AOFError("Unrecoverable error reading the append only file \(name): \(FileIO.message(errno))")
        }

        let reader = AOFCommandReader(fd: fd, offset: commandsStart, fileSize: fileSize)
        var transaction = QueuedCommands()
        var inMulti = false
        var beforeMulti = commandsStart
        var cutAt: Int?
        // Like Redis's valid_before_multi: where the file is cut when a transaction is left open.
        var previousEnd = commandsStart
        // Big files report progress about once a second.
        var nextReport = FileIO.now() + 1
        var sinceCheck = 0
        do {
            while try reader.next() {
                defer { previousEnd = reader.lastCommandEnd }
                sinceCheck &+= 1
                if sinceCheck >= 1 << 16 {
                    sinceCheck = 0
                    if FileIO.now() >= nextReport {
                        nextReport = FileIO.now() + 1
                        log("Loading AOF \(name): \(Int(Double(reader.lastCommandEnd) * 100 / Double(max(fileSize, 1))))% of \(fileSize / 1048576) MB")
                    }
                }
                let args = reader.args
                if isCommand(args[0], "multi") {
                    if !inMulti {
                        inMulti = true
                        beforeMulti = previousEnd
                        transaction.removeAll()
                    }
                } else if isCommand(args[0], "exec") {
                    if inMulti {
                        inMulti = false
                        summary.commands += try transaction.replay(rawCommand)
                        transaction.removeAll()
                    }
                } else if inMulti {
                    transaction.append(args)
                } else {
                    try rawCommand(args)
                    summary.commands += 1
                }
            }
            if inMulti {
                log("Revert incomplete MULTI/EXEC transaction in AOF file \(name)")
                cutAt = beforeMulti
            }
        } catch AOFParseError.truncated {
            cutAt = inMulti ? beforeMulti : reader.lastCommandEnd
        } catch AOFParseError.badFormat {
            throw AOFError("Bad file format reading the append only file \(name): make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>")
        } catch AOFParseError.io(let e) {
            throw AOFError("Unrecoverable error reading the append only file \(name): \(FileIO.message(e))")
        }
        guard let cutAt else { return true }

        let unexpectedEOF = AOFError("Unexpected end of file reading the append only file \(name). You can: "
            + "1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "
            + "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.")
        if !loadTruncated { throw unexpectedEOF }
        log("!!! Warning: short read while loading the AOF file \(name)!!!")
        // Only the file being appended to can legitimately end mid-command; a hole earlier in
        // the chain means lost writes, which no truncation repairs.
        if !isLast { throw AOFError("Fatal error: the truncated file is not the last file") }
        log("!!! Truncating the AOF \(name) at offset \(cutAt) !!!")
        if truncate(path, off_t(cutAt)) != 0 {
            log("Error truncating the AOF file \(name): \(FileIO.message(errno))")
            throw unexpectedEOF
        }
        log("AOF \(name) loaded anyway because aof-load-truncated is enabled")
        summary.truncatedAt = cutAt
        return true
    }

    func isCommand(_ arg: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard arg.count == lowercase.utf8CodeUnitCount else { return false }
        let p = lowercase.utf8Start
        for i in 0..<arg.count where arg[i] | 0x20 != p[i] { return false }
        return true
    }

    /// `%.3f` without Foundation.
    func seconds(_ s: Double) -> String {
        let ms = Int((max(s, 0) * 1000).rounded())
        let frac = ms % 1000
        return "\(ms / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + "\(frac)"
    }
}

/// The commands of an open MULTI, copied out of the read buffer (which moves on) into one blob.
struct QueuedCommands {
    var bytes: [UInt8] = []
    /// Per argument: offset and length in `bytes`; per command: its argument count.
    var spans: [Int] = []
    var counts: [Int] = []

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
    }

    mutating func append(_ args: [UnsafeRawBufferPointer]) {
        for a in args {
            spans.append(bytes.count)
            spans.append(a.count)
            bytes.append(contentsOf: a)
        }
        counts.append(args.count)
    }

    func replay(_ body: ([UnsafeRawBufferPointer]) throws -> Void) throws -> Int {
        try bytes.withUnsafeBytes { all in
            var args: [UnsafeRawBufferPointer] = []
            var s = 0
            for n in counts {
                args.removeAll(keepingCapacity: true)
                for _ in 0..<n {
                    args.append(UnsafeRawBufferPointer(rebasing: all[spans[s]..<spans[s] + spans[s + 1]]))
                    s += 2
                }
                try body(args)
            }
        }
        return counts.count
    }
}
