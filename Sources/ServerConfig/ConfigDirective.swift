import Glibc

/// A rejected directive value; `reason` is Redis's text ("argument must be 'yes' or 'no'", ...).
public struct DirectiveError: Error, Equatable, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// Where a value is being set from.
public struct SetContext: Sendable {
    /// True while loading the config file / command line, false for CONFIG SET.
    public var loading: Bool
}

/// Metadata and behaviour of one directive Shoal implements.
public struct ConfigDirective: Sendable {
    public typealias Kind = DirectiveKind

    public enum Mutability: Sendable, Equatable {
        case mutable
        /// CONFIG SET: "can't set immutable config".
        case immutable
        /// CONFIG SET needs `enable-protected-configs` ("can't set protected config").
        case protected
    }

    public let name: String
    public let kind: Kind
    /// As CONFIG GET prints it.
    public let defaultValue: String
    public let mutability: Mutability
    /// Takes several arguments on one line (`save`, `bind`); CONFIG SET splits its value on spaces.
    public let multiArg: Bool
    /// The value under which Shoal behaves exactly as configured even when it does not implement
    /// the feature (`save ""`, `appendonly no`). Defaults to `defaultValue`.
    public let neutralValue: String

    let setter: @Sendable (inout ConfigValues, [String], SetContext) throws(DirectiveError) -> Void
    let getter: @Sendable (ConfigValues) -> String

    /// Redis's other names for it (`slaveof` for `replicaof`, ...), from ``RedisDirectives``.
    public var aliases: [String] { RedisDirectives.lookup(name)?.alias.map { [$0] } ?? [] }

    /// Validates `args` and stores them into `values`.
    public func set(_ args: [String], into values: inout ConfigValues, loading: Bool) throws(DirectiveError) {
        try setter(&values, args, SetContext(loading: loading))
    }

    /// The value as CONFIG GET prints it.
    public func format(_ values: ConfigValues) -> String { getter(values) }

    init(
        _ name: String, kind: Kind, default defaultValue: String,
        mutability: Mutability = .mutable, multiArg: Bool = false, neutral: String? = nil,
        set: @escaping @Sendable (inout ConfigValues, [String], SetContext) throws(DirectiveError) -> Void,
        get: @escaping @Sendable (ConfigValues) -> String
    ) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.mutability = mutability
        self.multiArg = multiArg
        self.neutralValue = neutral ?? defaultValue
        self.setter = set
        self.getter = get
    }
}

// MARK: - Builders for the common kinds

extension ConfigDirective {
    static func bool(
        _ name: String, _ kp: WritableKeyPath<ConfigValues, Bool> & Sendable, default d: Bool,
        _ mutability: Mutability = .mutable
    ) -> ConfigDirective {
        ConfigDirective(
            name, kind: .bool, default: d ? "yes" : "no", mutability: mutability,
            set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
                guard let b = ConfigSyntax.parseYesNo(args[0]) else {
                    throw DirectiveError("argument must be 'yes' or 'no'")
                }
                v[keyPath: kp] = b
            },
            get: { $0[keyPath: kp] ? "yes" : "no" })
    }

    static func integer(
        _ name: String, _ kp: WritableKeyPath<ConfigValues, Int> & Sendable, default d: Int,
        min: Int64, max: Int64, unsigned: Bool = false, _ mutability: Mutability = .mutable
    ) -> ConfigDirective {
        ConfigDirective(
            name, kind: .integer(min: min, max: max, unsigned: unsigned), default: String(d),
            mutability: mutability,
            set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
                guard let n = ConfigSyntax.parseInteger(args[0]) else {
                    throw DirectiveError("argument couldn't be parsed into an integer")
                }
                try checkBounds(n, min: min, max: max, unsigned: unsigned)
                v[keyPath: kp] = Int(n)
            },
            get: { String($0[keyPath: kp]) })
    }

    static func memory(
        _ name: String, _ kp: WritableKeyPath<ConfigValues, Int> & Sendable, default d: Int,
        min: Int64, max: Int64, unsigned: Bool = false, _ mutability: Mutability = .mutable
    ) -> ConfigDirective {
        ConfigDirective(
            name, kind: .memory(min: min, max: max, unsigned: unsigned), default: String(d),
            mutability: mutability,
            set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
                guard let bytes = ConfigSyntax.parseMemory(args[0]) else {
                    throw DirectiveError("argument must be a memory value")
                }
                let n = Int64(bitPattern: bytes)
                try checkBounds(n, min: min, max: max, unsigned: unsigned)
                v[keyPath: kp] = Int(n)
            },
            get: { String($0[keyPath: kp]) })
    }

    static func enumeration<E: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ kp: WritableKeyPath<ConfigValues, E> & Sendable, default d: E,
        _ mutability: Mutability = .mutable
    ) -> ConfigDirective where E.RawValue == String {
        let names = E.allCases.map(\.rawValue)
        return ConfigDirective(
            name, kind: .enumeration(names), default: d.rawValue, mutability: mutability,
            set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
                let wanted = args[0].lowercased()
                guard let value = E.allCases.first(where: { $0.rawValue == wanted }) else {
                    throw DirectiveError("argument(s) must be one of the following: " + names.joined(separator: ", "))
                }
                v[keyPath: kp] = value
            },
            get: { $0[keyPath: kp].rawValue })
    }

    static func string(
        _ name: String, _ kp: WritableKeyPath<ConfigValues, String> & Sendable, default d: String,
        _ mutability: Mutability = .mutable,
        validate: (@Sendable (String) -> String?)? = nil
    ) -> ConfigDirective {
        ConfigDirective(
            name, kind: .string, default: d, mutability: mutability,
            set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
                if let validate, let reason = validate(args[0]) { throw DirectiveError(reason) }
                v[keyPath: kp] = args[0]
            },
            get: { $0[keyPath: kp] })
    }

    /// numericBoundaryCheck(): signed, or unsigned (negative values compare as huge).
    static func checkBounds(_ n: Int64, min: Int64, max: Int64, unsigned: Bool) throws(DirectiveError) {
        if unsigned {
            let u = UInt64(bitPattern: n), lo = UInt64(bitPattern: min), hi = UInt64(bitPattern: max)
            if u < lo || u > hi { throw DirectiveError("argument must be between \(lo) and \(hi) inclusive") }
        } else if n < min || n > max {
            throw DirectiveError("argument must be between \(min) and \(max) inclusive")
        }
    }
}

// MARK: - The implemented directives

extension ConfigDirective {
    static let intMax = Int64(Int32.max)
    static let longMax = Int64.max
    static let uintMax = Int64(UInt32.max)

    /// Every directive Shoal implements (parses, validates, types and exposes).
    public static let implemented: [ConfigDirective] = [
        .integer("port", \.port, default: 6379, min: 0, max: 65535, .immutable),
        .integer("list-max-listpack-size", \.listMaxListpackSize, default: -2,
                 min: Int64(Int32.min), max: Int64(Int32.max)),
        .integer("hash-max-listpack-entries", \.hashMaxListpackEntries, default: 512, min: 0, max: longMax,
                 unsigned: true),
        .memory("hash-max-listpack-value", \.hashMaxListpackValue, default: 64, min: 0, max: longMax, unsigned: true),
        .integer("set-max-intset-entries", \.setMaxIntsetEntries, default: 512, min: 0, max: longMax, unsigned: true),
        .integer("zset-max-listpack-entries", \.zsetMaxListpackEntries, default: 128, min: 0, max: longMax,
                 unsigned: true),
        .memory("zset-max-listpack-value", \.zsetMaxListpackValue, default: 64, min: 0, max: longMax, unsigned: true),
        bind,
        .bool("protected-mode", \.protectedMode, default: true),
        dir,
        .integer("databases", \.databases, default: 16, min: 1, max: intMax, .immutable),
        hz,
        .integer("maxclients", \.maxClients, default: 10000, min: 1, max: uintMax, unsigned: true),
        .integer("timeout", \.timeoutSeconds, default: 0, min: 0, max: intMax),
        .integer("tcp-keepalive", \.tcpKeepalive, default: 300, min: 0, max: intMax),
        .integer("tcp-backlog", \.tcpBacklog, default: 511, min: 0, max: intMax, .immutable),
        ioThreads,
        .bool("io-threads-do-reads", \.ioThreadsDoReads, default: false, .immutable),
        .enumeration("loglevel", \.logLevel, default: .notice),
        .string("logfile", \.logFile, default: "", .immutable),
        .bool("daemonize", \.daemonize, default: false, .immutable),
        .string("pidfile", \.pidFile, default: "", .immutable),
        .string("requirepass", \.requirePass, default: ""),
        .memory("proto-max-bulk-len", \.protoMaxBulkLen, default: 512 << 20, min: 1 << 20, max: longMax),
        .memory("client-query-buffer-limit", \.clientQueryBufferLimit, default: 1 << 30, min: 1 << 20,
                max: longMax, unsigned: true),
        .bool("cluster-enabled", \.clusterEnabled, default: false, .immutable),
        .string("cluster-config-file", \.clusterConfigFile, default: "nodes.conf", .immutable),
        .integer("cluster-node-timeout", \.clusterNodeTimeout, default: 15000, min: 0, max: longMax),
        .integer("cluster-port", \.clusterPort, default: 0, min: 0, max: 65535, .immutable),
        .string("cluster-announce-ip", \.clusterAnnounceIP, default: ""),
        .integer("cluster-announce-port", \.clusterAnnouncePort, default: 0, min: 0, max: 65535),
        .integer("cluster-announce-bus-port", \.clusterAnnounceBusPort, default: 0, min: 0, max: 65535),
        .string("cluster-announce-hostname", \.clusterAnnounceHostname, default: "", validate: { value in
            validateNodeLabel(value, what: "Hostnames")
        }),
        // Redis 7.2's directive; 7.0 has no human nodename but Shoal gossips it (ping extension).
        .string("cluster-announce-human-nodename", \.clusterAnnounceHumanNodename, default: "", validate: { value in
            validateNodeLabel(value, what: "Human nodenames")
        }),
        .enumeration("cluster-preferred-endpoint-type", \.clusterPreferredEndpointType, default: .ip),
        .bool("cluster-require-full-coverage", \.clusterRequireFullCoverage, default: true),
        .bool("cluster-allow-reads-when-down", \.clusterAllowReadsWhenDown, default: false),
        .integer("cluster-replica-validity-factor", \.clusterReplicaValidityFactor, default: 10, min: 0,
                 max: intMax),
        .bool("cluster-replica-no-failover", \.clusterReplicaNoFailover, default: false),
        .integer("cluster-migration-barrier", \.clusterMigrationBarrier, default: 1, min: 0, max: intMax),
        .bool("cluster-allow-replica-migration", \.clusterAllowReplicaMigration, default: true),
        save,
        .string("dbfilename", \.dbFilename, default: "dump.rdb", .protected, validate: { value in
            isBaseName(value) ? nil : "dbfilename can't be a path, just a filename"
        }),
        .bool("appendonly", \.appendOnly, default: false),
        .string("appendfilename", \.appendFilename, default: "appendonly.aof", .immutable, validate: { value in
            if value.isEmpty { return "appendfilename can't be empty" }
            return isBaseName(value) ? nil : "appendfilename can't be a path, just a filename"
        }),
        .enumeration("appendfsync", \.appendFsync, default: .everysec),
        .integer("lfu-log-factor", \.lfuLogFactor, default: 10, min: 0, max: intMax),
        .integer("lfu-decay-time", \.lfuDecayTime, default: 1, min: 0, max: intMax),
        maxMemory,
        .enumeration("maxmemory-policy", \.maxMemoryPolicy, default: .noEviction),
        .integer("maxmemory-samples", \.maxMemorySamples, default: 5, min: 1, max: intMax),
        .integer("active-expire-effort", \.activeExpireEffort, default: 1, min: 1, max: 10),
        .bool("lazyfree-lazy-eviction", \.lazyfreeLazyEviction, default: false),
        .bool("lazyfree-lazy-expire", \.lazyfreeLazyExpire, default: false),
        .bool("lazyfree-lazy-server-del", \.lazyfreeLazyServerDel, default: false),
        .bool("lazyfree-lazy-user-del", \.lazyfreeLazyUserDel, default: false),
        .bool("lazyfree-lazy-user-flush", \.lazyfreeLazyUserFlush, default: false),
        .bool("dynamic-hz", \.dynamicHz, default: true),
        .integer("latency-monitor-threshold", \.latencyMonitorThreshold, default: 0, min: 0, max: longMax),
        .integer("slowlog-log-slower-than", \.slowlogLogSlowerThan, default: 10000, min: -1, max: longMax),
        .integer("slowlog-max-len", \.slowlogMaxLen, default: 128, min: 0, max: longMax),
        .enumeration("supervised", \.supervised, default: .no, .immutable),
        .enumeration("enable-protected-configs", \.enableProtectedConfigs, default: .no, .immutable),
        .enumeration("enable-debug-command", \.enableDebugCommand, default: .no, .immutable),
        .enumeration("enable-module-command", \.enableModuleCommand, default: .no, .immutable),
    ]

    static let byName: [String: ConfigDirective] = {
        var d: [String: ConfigDirective] = [:]
        for directive in implemented {
            d[directive.name] = directive
            if let alias = RedisDirectives.lookup(directive.name)?.alias { d[alias] = directive }
        }
        return d
    }()

    /// Looks up an implemented directive by name or alias, case-insensitively.
    public static func lookup(_ name: String) -> ConfigDirective? {
        byName[name] ?? byName[name.lowercased()]
    }

    /// Implemented directives whose effect the server does not provide yet, by default: their
    /// values are validated, stored and reported by CONFIG GET, and a warning is logged when they
    /// are set to anything but their neutral value. `Configuration.load` takes the set to use.
    public static let defaultUnenforced: Set<String> = [
        "maxmemory", "maxmemory-policy", "maxmemory-samples", "lfu-log-factor", "lfu-decay-time",
        "lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
        "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
        "latency-monitor-threshold", "slowlog-log-slower-than", "slowlog-max-len",
        "supervised", "enable-module-command",
    ]

    /// Redis's check for announced hostnames (and 7.2's human nodenames): letters, digits, '-' and '.'.
    static func validateNodeLabel(_ value: String, what: String) -> String? {
        if value.utf8.count >= 256 { return "\(what) must be less than 256 characters" }
        let ok = value.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
        }
        return ok ? nil : "\(what) may only contain alphanumeric characters, hyphens or dots"
    }

    // MARK: Special directives

    static let hz = ConfigDirective(
        "hz", kind: .integer(min: 0, max: intMax, unsigned: false), default: "10",
        set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
            guard let n = ConfigSyntax.parseInteger(args[0]) else {
                throw DirectiveError("argument couldn't be parsed into an integer")
            }
            try checkBounds(n, min: 0, max: intMax, unsigned: false)
            // "Hz is more a hint from the user": clamp instead of failing (CONFIG_MIN_HZ/MAX_HZ).
            v.hz = Int(Swift.min(Swift.max(n, 1), 500))
        },
        get: { String($0.hz) })

    static let ioThreads = ConfigDirective(
        "io-threads", kind: .integer(min: 1, max: 128, unsigned: false), default: "1", mutability: .immutable,
        set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
            guard let n = ConfigSyntax.parseInteger(args[0]) else {
                throw DirectiveError("argument couldn't be parsed into an integer")
            }
            try checkBounds(n, min: 1, max: 128, unsigned: false)
            v.ioThreads = Int(n)
        },
        get: { String($0.ioThreads ?? $0.effectiveIOThreads) })

    static let maxMemory = ConfigDirective(
        "maxmemory", kind: .memory(min: 0, max: -1, unsigned: true), default: "0",
        set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
            guard let bytes = ConfigSyntax.parseMemory(args[0]) else {
                throw DirectiveError("argument must be a memory value")
            }
            v.maxMemory = bytes
        },
        get: { String($0.maxMemory) })

    static let bind = ConfigDirective(
        "bind", kind: .special, default: "* -::*", mutability: .immutable, multiArg: true,
        set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
            guard args.count <= 16 else { throw DirectiveError("Too many bind addresses specified.") }
            v.bindAddresses = (args.count == 1 && args[0].isEmpty) ? [] : args
        },
        get: { $0.bindAddresses.joined(separator: " ") })

    static let save = ConfigDirective(
        "save", kind: .special, default: "3600 1 300 100 60 10000", multiArg: true, neutral: "",
        set: { (v: inout ConfigValues, args: [String], ctx: SetContext) throws(DirectiveError) in
            let args = (args.count == 1 && args[0].isEmpty) ? [] : args
            guard args.count % 2 == 0 else { throw DirectiveError("Invalid save parameters") }
            var points: [SavePoint] = []
            var i = 0
            while i < args.count {
                // strtoll(): leading blanks and '+' are tolerated; the whole token must be used.
                guard let seconds = strtollWhole(args[i]), seconds >= 1,
                      let changes = strtollWhole(args[i + 1]), changes >= 0
                else { throw DirectiveError("Invalid save parameters") }
                points.append(SavePoint(seconds: Int(seconds), changes: Int(changes)))
                i += 2
            }
            if !ctx.loading || args.isEmpty || !v.saveSeenWhileLoading {
                // CONFIG SET replaces; in a config file the first `save` replaces the defaults,
                // later ones add points, and `save ""` clears everything (7.0.1+).
                v.savePoints = points
            } else {
                v.savePoints += points
            }
            if ctx.loading { v.saveSeenWhileLoading = true }
        },
        get: { $0.savePoints.map { "\($0.seconds) \($0.changes)" }.joined(separator: " ") })

    static let dir = ConfigDirective(
        "dir", kind: .special, default: "", mutability: .protected,
        set: { (v: inout ConfigValues, args: [String], _: SetContext) throws(DirectiveError) in
            // Redis chdir()s here and reports getcwd(); we check the same things and keep the
            // canonical path, and the server chdir()s once loading is done.
            let path = FilePaths.absolute(args[0], relativeTo: v.dir)
            var st = stat()
            if stat(path, &st) != 0 { throw DirectiveError(String(cString: strerror(errno))) }
            if (st.st_mode & S_IFMT) != S_IFDIR { throw DirectiveError(String(cString: strerror(ENOTDIR))) }
            if access(path, X_OK) != 0 { throw DirectiveError(String(cString: strerror(errno))) }
            v.dir = FilePaths.canonical(path)
        },
        get: { $0.dir })

    /// `pathIsBaseName`: no `/` (and no `\` on Windows, irrelevant here).
    static func isBaseName(_ s: String) -> Bool { !s.contains("/") }

    /// `strtoll(s, &end, 10)` with `*end == '\0'` required.
    static func strtollWhole(_ s: String) -> Int64? {
        var bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count, ConfigSyntax.isSpace(bytes[i]) { i += 1 }
        bytes.removeFirst(i)
        var negative = false
        if let f = bytes.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            negative = f == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        if bytes.isEmpty { return s.isEmpty ? 0 : nil }  // strtoll("") == 0 with end at '\0'
        var v: Int64 = 0
        for c in bytes {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - UInt8(ascii: "0")))
            v = (o1 || o2) ? Int64.max : a
        }
        return negative ? -v : v
    }
}

/// Small path helpers (no Foundation).
enum FilePaths {
    static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    static func absolute(_ path: String, relativeTo base: String) -> String {
        if path.hasPrefix("/") { return path }
        let b = base.isEmpty ? currentDirectory() : base
        return b.hasSuffix("/") ? b + path : b + "/" + path
    }

    /// `realpath()`, falling back to a lexical clean-up.
    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return normalize(path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Removes `.` and `..` components and duplicate slashes (lexically).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for comp in path.split(separator: "/", omittingEmptySubsequences: true) {
            if comp == "." { continue }
            if comp == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(comp)
        }
        return "/" + parts.joined(separator: "/")
    }
}
