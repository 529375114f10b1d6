// libFuzzer target for the AOF file layer (Sources/Persistence): the manifest parser, the command
// reader and the loader on a real directory. Built by tools/fuzz/run-aof together with every
// Sources/Persistence/*.swift file (their `import RDB` dropped) and every Sources/RDB/*.swift file
// that does not import Keyspace (one module, no keyspace).
//
// The files live in one temp directory made once per process (removed at exit): subdirectories
// `incr`, `base` and `both` hold a fixed manifest naming appendonly.aof.1.incr.aof, the base
// appendonly.aof.1.base.rdb, or both; every input rewrites the data files they name.
//
// Input layout: byte 0 = options, byte 1 = reader buffer size (1 + value), the rest = the payload.
//   options bits 0-1: 0 = the payload is a manifest (parsed in memory and through AOFDirectory)
//                     1 = the payload is the INCR file (a command stream), loaded by AOFLoader
//                     2 = the payload is the base file (RDB preamble + commands, or plain AOF)
//                     3 = base and INCR: payload bytes 0-1 = base length (LE), then base, INCR
//   options bit 2: aof-load-truncated yes
//   options bit 3: the RDB callback returns nil, so the loader finds the preamble's end by its
//                  checksum (then the same files are also loaded with the summary returned)
//   options bit 4: the RDB reader does not verify the preamble's checksum
//
// Invariants checked:
//   - nothing traps or reads out of bounds, and every failure is an AOFError (or the RDBError
//     of the preamble) with a reason; a failed load leaves the files as they were;
//   - a manifest parses the same from memory and from its file, every parsed one is well formed
//     (no path in a name, one base, INCR seqs ascending) and, when its serialized form is
//     valid text, parses back to itself;
//   - the command reader gives the same commands, end offsets and outcome with a tiny buffer
//     (grown on demand, refilled at every boundary) as with the loader's 1 MB one;
//   - a single file loads exactly as a model built on the reader says: the commands outside
//     MULTI/EXEC plus those of closed transactions, in order, then either success, a cut at the
//     last complete command (or before an open MULTI), or the error Redis gives;
//   - a cut file is as long as the reported offset and loads again identically without a cut;
//   - finding the preamble's end by its checksum gives the same result as being told it, when
//     the preamble verified with a real checksum.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("AOFFuzz invariant violated: \(message())\n", stderr)
        abort()
    }
}

private let incrFile = "appendonly.aof.1.incr.aof"
private let baseFile = "appendonly.aof.1.base.rdb"

/// The per-process temp directory, made (with its subdirectories and manifests) on first use.
private let root: String = {
    var template = Array("/tmp/shoal-aof-fuzz-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        fputs("AOFFuzz: mkdtemp failed\n", stderr)
        abort()
    }
    let path = String(cString: made)
    let manifests = [
        "manifest": "",
        "incr": "file \(incrFile) seq 1 type i\n",
        "base": "file \(baseFile) seq 1 type b\n",
        "both": "file \(baseFile) seq 1 type b\nfile \(incrFile) seq 1 type i\n",
    ]
    for (sub, text) in manifests {
        mkdir("\(path)/\(sub)", 0o755)
        if !text.isEmpty { writeFile("\(path)/\(sub)/appendonly.aof.manifest", Array(text.utf8)) }
    }
    atexit { removeTempDirectory() }
    return path
}()

private func removeTempDirectory() {
    for sub in ["manifest", "incr", "base", "both"] {
        for name in [incrFile, baseFile, "appendonly.aof.manifest", "temp-appendonly.aof.manifest"] {
            unlink("\(root)/\(sub)/\(name)")
        }
        rmdir("\(root)/\(sub)")
    }
    rmdir(root)
}

private func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    check(fd >= 0, "cannot create \(path): \(errno)")
    let (err, _) = bytes.withUnsafeBytes { FileIO.writeAll(fd, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
    check(err == 0, "cannot write \(path): \(err)")
    close(fd)
}

private func fileSize(_ path: String) -> Int {
    let (size, err) = FileIO.size(path)
    check(err == 0, "cannot stat \(path): \(err)")
    return size
}

private func directory(_ sub: String) -> AOFDirectory {
    AOFDirectory(dir: root, dirname: sub, filename: "appendonly.aof")
}

// MARK: - Manifest

private struct ManifestOutcome: Equatable {
    var manifest: AOFManifest?
    var error: String?
    var line: Int?
    var text: String?

    init(_ body: () throws(AOFError) -> AOFManifest) {
        do throws(AOFError) {
            manifest = try body()
        } catch {
            check(!error.description.isEmpty, "empty manifest error")
            self.error = error.description
            line = error.lineNumber
            text = error.lineText
        }
    }
}

private func fuzzManifest(_ payload: [UInt8]) {
    let memory = ManifestOutcome { () throws(AOFError) in try AOFManifest.parse(payload) }
    writeFile("\(root)/manifest/appendonly.aof.manifest", payload)
    let d = directory("manifest")
    let file = ManifestOutcome { () throws(AOFError) in
        try d.readManifest()
        return d.manifest
    }
    check(memory == file, "manifest parsed from memory and from its file differ: "
        + "\(memory.error ?? "ok") vs \(file.error ?? "ok")")
    guard let m = memory.manifest else { return }

    let entries = (m.base.map { [$0] } ?? []) + m.history + m.incrs
    for e in entries { check(!e.name.contains("/") && !e.name.contains("\\"), "a path as a name: \(e.name)") }
    check(m.base?.type ?? .base == .base, "base type")
    check(m.history.allSatisfy { $0.type == .history } && m.incrs.allSatisfy { $0.type == .incr }, "entry types")
    for i in m.incrs.indices.dropFirst() { check(m.incrs[i - 1].seq < m.incrs[i].seq, "INCR seqs not ascending") }

    // Round trip, unless the text it serializes to is one Redis would not read back either (an
    // empty name is written bare; escaping can push a line past the 1024-byte limit).
    let text = Array(m.serialized().utf8)
    let longest = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { $0.count + 1 }.max() ?? 0
    guard !text.isEmpty, !entries.contains(where: { $0.name.isEmpty }), longest <= AOFManifest.maxLine else { return }
    let again = ManifestOutcome { () throws(AOFError) in try AOFManifest.parse(text) }
    check(again.manifest == m, "manifest does not survive serialize + parse: \(again.error ?? "differs")\n\(m.serialized())")
}

// MARK: - Command reader

private struct ReaderOutcome: Equatable {
    var commands: [[[UInt8]]] = []
    /// File offset after each command.
    var ends: [Int] = []
    var outcome = ""
    var lastCommandEnd = -1
}

/// Every command of the file at `path` from `offset`, through a reader of `bufferSize` bytes.
private func readCommands(_ path: String, offset: Int, bufferSize: Int) -> ReaderOutcome {
    let fd = open(path, O_RDONLY)
    check(fd >= 0, "cannot open \(path)")
    defer { close(fd) }
    let size = fileSize(path)
    check(lseek(fd, off_t(offset), SEEK_SET) >= 0, "lseek")
    let reader = AOFCommandReader(fd: fd, offset: offset, fileSize: size, bufferSize: bufferSize)
    var out = ReaderOutcome()
    do throws(AOFParseError) {
        while try reader.next() {
            check(!reader.args.isEmpty, "a command without arguments")
            out.commands.append(reader.args.map { Array($0) })
            out.ends.append(reader.lastCommandEnd)
            check(reader.lastCommandEnd <= size, "command ends past the file")
        }
        out.outcome = "eof"
    } catch {
        switch error {
        case .truncated: out.outcome = "truncated"
        case .badFormat: out.outcome = "bad"
        case .io(let e): out.outcome = "io \(e)"
        }
    }
    out.lastCommandEnd = reader.lastCommandEnd
    return out
}

// MARK: - Loader

private struct LoadOutcome: Equatable {
    var commands: [[[UInt8]]] = []
    var truncatedAt: Int?
    var files = 0
    var error: String?
    /// Per preamble read without error: the bytes it took and its stored checksum.
    var preambles: [(end: Int, checksum: UInt64?)] = []

    static func == (a: LoadOutcome, b: LoadOutcome) -> Bool {
        a.commands == b.commands && a.truncatedAt == b.truncatedAt && a.files == b.files && a.error == b.error
    }
}

private func load(_ sub: String, truncated: Bool, locate: Bool, verify: Bool) -> LoadOutcome {
    let loader = AOFLoader(directory: directory(sub), loadTruncated: truncated)
    var out = LoadOutcome()
    do {
        let summary = try loader.load(rdbReader: { reader in
            reader.verifyChecksum = verify
            var keys = 0
            let s = try reader.read { r in
                check(r.db >= 0, "negative db")
                keys += 1
            }
            check(s.keys == keys, "preamble key count")
            out.preambles.append((s.bytesRead, s.storedChecksum))
            return locate ? nil : s
        }, rawCommand: { args in
            check(!args.isEmpty, "a command without arguments")
            out.commands.append(args.map { Array($0) })
        }, log: { line in check(!line.isEmpty, "empty log line") })
        check(summary.commands == out.commands.count, "summary counts \(summary.commands) commands, \(out.commands.count) handed")
        if !locate { check(summary.rdbPreambleKeys >= 0, "preamble keys") }
        out.truncatedAt = summary.truncatedAt
        out.files = summary.files
    } catch let error as AOFError {
        check(!error.description.isEmpty, "empty AOF error")
        out.error = error.description
    } catch let error as RDBError {
        check(!error.description.isEmpty, "empty RDB error")
        out.error = "RDB: \(error)"
    } catch {
        check(false, "unexpected error type \(type(of: error)): \(error)")
    }
    return out
}

/// What loading a single file must give, from its commands as the reader sees them from `offset`.
private func model(_ r: ReaderOutcome, offset: Int, loadTruncated: Bool) -> (commands: [[[UInt8]]], cut: Int?, error: String?) {
    func named(_ c: [[UInt8]], _ name: String) -> Bool {
        c[0].count == name.utf8.count && zip(c[0], name.utf8).allSatisfy { $0 | 0x20 == $1 }
    }
    var commands: [[[UInt8]]] = []
    var queued: [[[UInt8]]] = []
    var inMulti = false
    var beforeMulti = offset
    var previousEnd = offset
    for (c, end) in zip(r.commands, r.ends) {
        if named(c, "multi") {
            if !inMulti { inMulti = true; beforeMulti = previousEnd; queued = [] }
        } else if named(c, "exec") {
            if inMulti { inMulti = false; commands += queued; queued = [] }
        } else if inMulti {
            queued.append(c)
        } else {
            commands.append(c)
        }
        previousEnd = end
    }
    let cut: Int?
    switch r.outcome {
    case "eof": cut = inMulti ? beforeMulti : nil
    case "truncated": cut = inMulti ? beforeMulti : r.lastCommandEnd
    case "bad": return (commands, nil, "Bad file format")
    default: return (commands, nil, "Unrecoverable error")
    }
    if cut != nil && !loadTruncated { return (commands, cut, "Unexpected end of file") }
    return (commands, cut, nil)
}

private func fuzzLoad(mode: UInt8, options: UInt8, bufferSize: Int, payload: [UInt8]) {
    let loadTruncated = options & 4 != 0
    let locate = options & 8 != 0
    let verify = options & 16 == 0
    let sub: String
    var files: [(path: String, bytes: [UInt8])]
    switch mode {
    case 1:
        sub = "incr"
        files = [("\(root)/incr/\(incrFile)", payload)]
    case 2:
        sub = "base"
        files = [("\(root)/base/\(baseFile)", payload)]
    default:
        sub = "both"
        let rest = Array(payload.dropFirst(2))
        let n = payload.count >= 2 ? min(Int(payload[0]) | Int(payload[1]) << 8, rest.count) : 0
        files = [("\(root)/both/\(baseFile)", Array(rest[..<n])), ("\(root)/both/\(incrFile)", Array(rest[n...]))]
    }
    for f in files { writeFile(f.path, f.bytes) }

    let first = load(sub, truncated: loadTruncated, locate: locate, verify: verify)
    for (i, f) in files.enumerated() {
        // Only the last file is ever cut, to exactly the reported offset; a failed load cuts nothing.
        let expected = first.error == nil && i == files.count - 1 ? first.truncatedAt ?? f.bytes.count : f.bytes.count
        check(expected <= f.bytes.count, "cut at \(expected), past the end (\(f.bytes.count))")
        check(fileSize(f.path) == expected, "\(f.path) has \(fileSize(f.path)) bytes after the load, expected \(expected)")
    }

    // Single file: the loader against a model built on what the command reader sees.
    if files.count == 1 {
        let path = files[0].path
        let hasPreamble = payload.starts(with: "REDIS".utf8)
        let offset: Int? = !hasPreamble ? 0 : (!locate && first.preambles.count == 1 ? first.preambles[0].end : nil)
        if let offset {
            // Read the file as it was loaded (the load may have cut it).
            writeFile(path, files[0].bytes)
            let big = readCommands(path, offset: offset, bufferSize: 1 << 20)
            let small = readCommands(path, offset: offset, bufferSize: bufferSize)
            check(big == small, "reader with a \(bufferSize)-byte buffer differs: \(big.outcome) vs \(small.outcome), "
                + "\(big.commands.count) vs \(small.commands.count) commands")
            let expected = model(big, offset: offset, loadTruncated: loadTruncated)
            check(first.commands == expected.commands,
                  "loader handed \(first.commands.count) commands, model says \(expected.commands.count)")
            if let error = expected.error {
                check(first.error?.hasPrefix(error) == true, "loader: \(first.error ?? "ok"), model: \(error)")
            } else {
                check(first.error == nil, "loader failed (\(first.error!)), model says it loads")
                check(first.truncatedAt == expected.cut, "cut at \(first.truncatedAt ?? -1), model says \(expected.cut ?? -1)")
            }
        }
    }

    // A cut file is as long as reported and loads again the same, without a cut.
    if first.error == nil, let cut = first.truncatedAt {
        let last = files[files.count - 1]
        for f in files { writeFile(f.path, f.path == last.path ? Array(last.bytes[..<cut]) : f.bytes) }
        let again = load(sub, truncated: loadTruncated, locate: locate, verify: verify)
        check(again.error == nil && again.truncatedAt == nil && again.commands == first.commands,
              "a cut file loads differently: \(again.error ?? "ok"), cut \(again.truncatedAt ?? -1), "
              + "\(again.commands.count) vs \(first.commands.count) commands")
    }

    // Finding a verified preamble's end by its checksum matches being told where it ends.
    if locate && verify, !first.preambles.isEmpty {
        for f in files { writeFile(f.path, f.bytes) }
        let told = load(sub, truncated: loadTruncated, locate: false, verify: true)
        let checksummed = told.preambles.count == first.preambles.count
            && told.preambles.allSatisfy { ($0.checksum ?? 0) != 0 }
        if checksummed && told.error?.hasPrefix("RDB: ") != true {
            check(first == told, "preamble end found by checksum loads differently: \(first.error ?? "ok") vs "
                + "\(told.error ?? "ok"), \(first.commands.count) vs \(told.commands.count) commands")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func aofFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let options = data[0]
    let bufferSize = Int(data[1]) + 1
    let payload = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let mode = options & 3
    if mode == 0 {
        fuzzManifest(payload)
    } else {
        fuzzLoad(mode: mode, options: options, bufferSize: bufferSize, payload: payload)
    }
    return 0
}
