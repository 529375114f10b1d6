import Glibc

extension Configuration {
    /// Loads the configuration the way redis-server 7.0 does from its command line:
    ///
    ///     shoal-server [/path/to/file.conf] [-] [--directive value ...]
    ///
    /// - `arguments`: the process arguments WITHOUT the program name.
    /// - A first argument not starting with `-` is the config file; `-` (first or last) also reads
    ///   the configuration from standard input; `--name v1 v2` becomes the line `name v1 v2`,
    ///   appended after the file (and stdin) contents, so it overrides them.
    /// - `readStandardInput`: how to read stdin (tests inject text).
    /// - `unenforced`: implemented directives the server does not act on yet.
    /// - `warnAboutDefaults`: when false, a directive Shoal does not implement gets no warning if
    ///   its final value is Redis's default (a stock redis.conf then stays quiet).
    ///
    /// - Returns: the configuration and the warnings the server should log (one per directive
    ///   Shoal recognises but does not implement, and per stored-but-not-enforced value).
    /// - Throws: ``ConfigError`` whose description is Redis's fatal error text.
    public static func load(
        arguments: [String],
        readStandardInput: () -> [UInt8] = { FileIO.readAll(fd: 0) },
        unenforced: Set<String> = ConfigDirective.defaultUnenforced,
        warnAboutDefaults: Bool = true
    ) throws(ConfigError) -> (configuration: Configuration, warnings: [String]) {
        let command = CommandLineConfig(arguments: arguments)
        var loader = ConfigLoader()
        loader.warnAboutDefaults = warnAboutDefaults
        loader.values.dir = FilePaths.canonical(FilePaths.currentDirectory())

        var text: [UInt8] = []
        var configFile = ""
        if let file = command.configFile {
            configFile = FilePaths.absolute(file, relativeTo: FilePaths.currentDirectory())
            switch FileIO.read(path: configFile) {
            case .success(let bytes): text = bytes
            case .failure(let error):
                throw ConfigError(
                    kind: .cannotOpenFile,
                    reason: "Fatal error, can't open config file '\(configFile)': \(error.description)",
                    file: configFile)
            }
        }
        if command.readStandardInput {
            loader.notes.append(.text("Reading config from stdin"))
            text += readStandardInput()
        }
        text += Array(("\n" + command.options).utf8)

        try loader.load(text, file: command.configFile == nil ? nil : configFile)
        try loader.finish()

        var warnings = loader.warnings
        let values = loader.values
        for directive in ConfigDirective.implemented
        where unenforced.contains(directive.name) && loader.explicitlySet.contains(directive.name) {
            let value = directive.format(values)
            if value != directive.neutralValue { warnings.append(unenforcedWarning(directive.name, value)) }
        }
        if values.daemonize {
            warnings.append("Directive 'daemonize yes' is not supported by Shoal: the server stays in the foreground")
        }
        return (Configuration(values: values, configFile: configFile, unenforced: unenforced), warnings)
    }

    /// Parses configuration text (redis.conf syntax) on top of the defaults, without a command
    /// line; for tests and tools. `include` paths resolve against the working directory.
    public static func load(
        text: String, unenforced: Set<String> = ConfigDirective.defaultUnenforced
    ) throws(ConfigError) -> (configuration: Configuration, warnings: [String]) {
        var (configuration, warnings) = try load(
            arguments: ["-"], readStandardInput: { Array(text.utf8) }, unenforced: unenforced)
        warnings.removeAll { $0 == "Reading config from stdin" }
        return (configuration, warnings)
    }
}

/// redis-server's `main()` argument handling (7.0.1+): which file to read, whether to read stdin,
/// and the config text synthesised from `--name value` options.
struct CommandLineConfig: Equatable {
    var configFile: String?
    var readStandardInput = false
    var options = ""
}

extension CommandLineConfig {
    init(arguments args: [String]) {
        var j = 0
        if let first = args.first, !first.hasPrefix("-") {
            configFile = first
            j = 1
        }
        var handledLastConfigArg = true
        let last = args.count - 1
        while j < args.count {
            let arg = args[j]
            if arg == "-" && (j == 0 || j == last) {
                readStandardInput = true
            } else if handledLastConfigArg && arg.hasPrefix("--") {
                // Option name: starts a new config line.
                if !options.isEmpty { options += "\n" }
                options += String(arg.dropFirst(2)) + " "
                if ConfigSyntax.splitArgs(arg)?.count == 1 {
                    // Only a name (`--port`): the next argument is its value, even if it starts
                    // with "--", except after `--save` / `--sentinel`, which may have no value.
                    handledLastConfigArg = false
                    let lower = arg.lowercased()
                    let nextIsOption = j != last && args[j + 1].hasPrefix("--")
                    if lower == "--save" && nextIsOption {
                        options += "\"\""
                        handledLastConfigArg = true
                    } else if lower == "--save" && j == last {
                        options += "\"\""
                    } else if lower == "--sentinel" && nextIsOption {
                        handledLastConfigArg = true
                    }
                } else {
                    // Name and value in one argument, as in "--port 6380".
                    handledLastConfigArg = true
                }
            } else {
                // Option argument.
                options += ConfigSyntax.repr(arg) + " "
                handledLastConfigArg = true
            }
            j += 1
        }
    }
}

/// `loadServerConfigFromString` and friends.
struct ConfigLoader {
    enum Note {
        case text(String)
        /// A directive Shoal does not implement: (canonical name, name as written).
        case unsupported(String, String)
    }

    var values = ConfigValues()
    /// Warnings in order of first appearance; see `warnings`.
    var notes: [Note] = []
    var warnAboutDefaults = true
    private var warned: Set<String> = []
    /// Canonical names of implemented directives that appeared in the configuration.
    var explicitlySet: Set<String> = []
    private var includeDepth = 0
    static let maxIncludeDepth = 32

    mutating func warnOnce(_ key: String, _ text: String) {
        if warned.insert(key).inserted { notes.append(.text(text)) }
    }

    /// The warning texts, judged on the final values.
    var warnings: [String] {
        notes.compactMap { note in
            switch note {
            case .text(let text):
                return text
            case .unsupported(let canonical, let written):
                if !warnAboutDefaults, let entry = RedisDirectives.lookup(canonical),
                   (values.unimplemented[canonical] ?? entry.defaultValue) == entry.defaultValue {
                    return nil
                }
                return Configuration.unsupportedWarning(written)
            }
        }
    }

    mutating func load(_ text: [UInt8], file: String?) throws(ConfigError) {
        let lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            let line = Self.trim(rawLine)
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            let lineText = String(decoding: line, as: UTF8.self)
            func fail(_ reason: String) -> ConfigError {
                ConfigError(reason: reason, line: lineNumber, lineText: lineText, file: file)
            }
            guard let rawArgs = ConfigSyntax.splitArgs(Array(line)) else {
                throw fail("Unbalanced quotes in configuration line")
            }
            if rawArgs.isEmpty { continue }
            let argv = rawArgs.map { String(decoding: $0, as: UTF8.self) }
            let name = argv[0].lowercased()
            let argc = argv.count
            var args = Array(argv.dropFirst())
            // A multi-argument directive given one quoted value (`save "3600 1"`) is split on
            // spaces, as Redis 7.0 does.
            let multiArg = ConfigDirective.lookup(name)?.multiArg
                ?? RedisDirectives.lookup(name)?.flags.contains(.multiArg) ?? false
            if multiArg && args.count == 1 && !args[0].isEmpty {
                args = args[0].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            }

            if let directive = ConfigDirective.lookup(name) {
                if !directive.multiArg && argc != 2 { throw fail("wrong number of arguments") }
                do throws(DirectiveError) {
                    try directive.set(args, into: &values, loading: true)
                } catch {
                    throw fail(error.reason)
                }
                explicitlySet.insert(directive.name)
            } else if let entry = RedisDirectives.lookup(name) {
                if !entry.flags.contains(.multiArg) && argc != 2 { throw fail("wrong number of arguments") }
                do throws(DirectiveError) {
                    try UnimplementedDirectives.set(entry, args, into: &values, loading: true)
                } catch {
                    throw fail(error.reason)
                }
                if warned.insert(entry.name).inserted { notes.append(.unsupported(entry.name, name)) }
            } else if RedisDirectives.deprecated.contains(name) && argc == 2 {
                continue  // Accepted and ignored by Redis 7.0 as well.
            } else if name == "include" && argc == 2 {
                try include(args[0], lineNumber: lineNumber, lineText: lineText, file: file)
            } else if (name == "rename-command" && argc == 3) || (name == "user" && argc >= 2)
                        || (name == "loadmodule" && argc >= 2) {
                warnOnce(name, Configuration.unsupportedWarning(name))
            } else if name.contains(".") {
                // A module's config ("module.option value").
                if argc < 2 { throw fail("Module config specified without value") }
                warnOnce(name, "Module configuration '\(name)' ignored: Shoal does not load modules")
            } else if name == "sentinel" {
                // `sentinel` alone only selects sentinel mode (which Shoal has not).
                if argc != 1 { throw fail("sentinel directive while not in sentinel mode") }
                warnOnce(name, Configuration.unsupportedWarning(name))
            } else {
                throw fail("Bad directive or wrong number of arguments")
            }
        }
    }

    /// `include path` (glob patterns allowed; a pattern matching nothing is ignored). Relative
    /// paths resolve against `dir`, which is where redis-server would be after its chdir.
    private mutating func include(_ path: String, lineNumber: Int, lineText: String, file: String?) throws(ConfigError) {
        guard includeDepth < Self.maxIncludeDepth else {
            throw ConfigError(
                reason: "Too many nested include directives (more than \(Self.maxIncludeDepth))",
                line: lineNumber, lineText: lineText, file: file)
        }
        let resolved = FilePaths.absolute(path, relativeTo: values.dir)
        let files: [String]
        if isGlobPattern(path) {
            files = FileIO.glob(resolved)
        } else {
            files = [resolved]
        }
        includeDepth += 1
        defer { includeDepth -= 1 }
        for name in files {
            switch FileIO.read(path: name) {
            case .success(let bytes):
                try load(bytes, file: name)
            case .failure(let error):
                throw ConfigError(
                    kind: .cannotOpenFile,
                    reason: "Fatal error, can't open config file '\(name)': \(error.description)", file: name)
            }
        }
    }

    /// The checks Redis runs once the text is read.
    func finish() throws(ConfigError) {
        if !values.logFile.isEmpty {
            let path = FilePaths.absolute(values.logFile, relativeTo: values.dir)
            if let errno = FileIO.checkAppendable(path) {
                throw ConfigError(reason: "Can't open the log file: \(FileIO.describe(errno))")
            }
        }
        if values.clusterEnabled, let master = values.unimplemented["replicaof"], !master.isEmpty {
            throw ConfigError(reason: "replicaof directive not allowed in cluster mode")
        }
    }

    /// `sdstrim(line, " \t\r\n")`.
    static func trim(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
        var s = line
        while let f = s.first, blank(f) { s.removeFirst() }
        while let l = s.last, blank(l) { s.removeLast() }
        return s
    }
}

/// File access without Foundation, with errno-based messages as Redis prints them.
public enum FileIO {
    public static func describe(_ errno: Int32) -> String { String(cString: strerror(errno)) }

    /// An `errno` value.
    public struct Errno: Error, Equatable, Sendable {
        public var code: Int32
        public var description: String { FileIO.describe(code) }
    }

    /// Reads a whole file; fails with errno.
    public static func read(path: String) -> Result<[UInt8], Errno> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return .failure(Errno(code: errno)) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return .failure(Errno(code: EISDIR)) }
        return .success(readAll(fd: fd))
    }

    /// Reads until end of file (or error) from a descriptor.
    public static func readAll(fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                out.append(contentsOf: chunk[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return out
            }
        }
    }

    /// Opens `path` for appending (creating it, as Redis's fopen(logfile, "a") does); errno on failure.
    static func checkAppendable(_ path: String) -> Int32? {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { return errno }
        close(fd)
        return nil
    }

    /// glob(3), sorted, no error on no match.
    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out
    }
}
