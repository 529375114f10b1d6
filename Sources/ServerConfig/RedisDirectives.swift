/// Every configuration directive redis-server 7.0 accepts, as data.
///
/// `standard` mirrors the `standardConfig` table of Redis 7.0's `config.c` (a TLS build, as the
/// distributions ship): name, alias, the value `CONFIG GET` reports by default, and flags.
/// `special` lists the directives the config-file parser handles outside that table, and
/// `deprecated` the ones Redis 7.0 accepts and silently ignores.
///
/// Which of these Shoal implements is decided in `ConfigDirective.implemented`; the rest are
/// accepted with one warning each.
public struct RedisDirective: Sendable, Equatable {
    public struct Flags: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// `IMMUTABLE_CONFIG`: CONFIG SET refuses it.
        public static let immutable = Flags(rawValue: 1 << 0)
        /// `MULTI_ARG_CONFIG`: takes several arguments on one line.
        public static let multiArg = Flags(rawValue: 1 << 1)
        /// `HIDDEN_CONFIG`: CONFIG GET only answers an exact name, never a pattern.
        public static let hidden = Flags(rawValue: 1 << 2)
        /// `PROTECTED_CONFIG`: CONFIG SET needs `enable-protected-configs`.
        public static let protected = Flags(rawValue: 1 << 3)
        /// `SENSITIVE_CONFIG`: its value is redacted from logs.
        public static let sensitive = Flags(rawValue: 1 << 4)
    }

    public let name: String
    public let alias: String?
    /// The value type and its bounds, as config.c declares them.
    public let kind: DirectiveKind
    /// The default as CONFIG GET prints it (memory values in bytes).
    public let defaultValue: String
    public let flags: Flags

    init(_ name: String, _ kind: DirectiveKind, _ defaultValue: String, _ flags: Flags = [], alias: String? = nil) {
        self.name = name
        self.alias = alias
        self.kind = kind
        self.defaultValue = defaultValue
        self.flags = flags
    }
}

/// The value types of config.c's `standardConfig` table.
public enum DirectiveKind: Sendable, Equatable {
    /// `yes` / `no`.
    case bool
    /// A number; `unsigned`: Redis checks the bounds as unsigned (negative numbers read as huge).
    case integer(min: Int64, max: Int64, unsigned: Bool)
    /// Accepts `512mb`, `1gb`, `100k`, plain bytes; CONFIG GET prints bytes.
    case memory(min: Int64, max: Int64, unsigned: Bool)
    /// A memory value or `N%` (`maxmemory-clients`).
    case memoryOrPercent(min: Int64, max: Int64)
    /// An octal number (`unixsocketperm`).
    case octal(min: Int64, max: Int64)
    /// One of these words, case-insensitive.
    case enumeration([String])
    /// One or more of these words (a bit-flag enum such as `shutdown-on-sigterm`).
    case flags([String])
    case string
    /// Parsed by its own rules (`save`, `bind`, `dir`, `client-output-buffer-limit`, ...).
    case special
}

public enum RedisDirectives {
    /// The version whose directive set and messages we follow.
    public static let redisVersion = "7.0.15"

    /// Redis 7.0 `standardConfig` entries, in config.c order.
    public static let standard: [RedisDirective] = [
        // Bool configs
        .init("rdbchecksum", .bool, "yes", .immutable),
        .init("daemonize", .bool, "no", .immutable),
        .init("io-threads-do-reads", .bool, "no", .immutable),
        .init("always-show-logo", .bool, "no", .immutable),
        .init("protected-mode", .bool, "yes"),
        .init("rdbcompression", .bool, "yes"),
        .init("rdb-del-sync-files", .bool, "no"),
        .init("activerehashing", .bool, "yes"),
        .init("stop-writes-on-bgsave-error", .bool, "yes"),
        .init("set-proc-title", .bool, "yes", .immutable),
        .init("dynamic-hz", .bool, "yes"),
        .init("lazyfree-lazy-eviction", .bool, "no"),
        .init("lazyfree-lazy-expire", .bool, "no"),
        .init("lazyfree-lazy-server-del", .bool, "no"),
        .init("lazyfree-lazy-user-del", .bool, "no"),
        .init("lazyfree-lazy-user-flush", .bool, "no"),
        .init("repl-disable-tcp-nodelay", .bool, "no"),
        .init("repl-diskless-sync", .bool, "yes"),
        .init("aof-rewrite-incremental-fsync", .bool, "yes"),
        .init("no-appendfsync-on-rewrite", .bool, "no"),
        .init("cluster-require-full-coverage", .bool, "yes"),
        .init("rdb-save-incremental-fsync", .bool, "yes"),
        .init("aof-load-truncated", .bool, "yes"),
        .init("aof-use-rdb-preamble", .bool, "yes"),
        .init("aof-timestamp-enabled", .bool, "no"),
        .init("cluster-replica-no-failover", .bool, "no", alias: "cluster-slave-no-failover"),
        .init("replica-lazy-flush", .bool, "no", alias: "slave-lazy-flush"),
        .init("replica-serve-stale-data", .bool, "yes", alias: "slave-serve-stale-data"),
        .init("replica-read-only", .bool, "yes", alias: "slave-read-only"),
        .init("replica-ignore-maxmemory", .bool, "yes", alias: "slave-ignore-maxmemory"),
        .init("jemalloc-bg-thread", .bool, "yes"),
        .init("activedefrag", .bool, "no"),
        .init("syslog-enabled", .bool, "no", .immutable),
        .init("cluster-enabled", .bool, "no", .immutable),
        .init("appendonly", .bool, "no"),
        .init("cluster-allow-reads-when-down", .bool, "no"),
        .init("cluster-allow-pubsubshard-when-down", .bool, "yes"),
        .init("crash-log-enabled", .bool, "yes"),
        .init("crash-memcheck-enabled", .bool, "yes"),
        .init("use-exit-on-panic", .bool, "no", .hidden),
        .init("disable-thp", .bool, "yes", .immutable),
        .init("cluster-allow-replica-migration", .bool, "yes"),
        .init("replica-announced", .bool, "yes"),
        .init("latency-tracking", .bool, "yes"),
        .init("aof-disable-auto-gc", .bool, "no"),
        .init("replica-ignore-disk-write-errors", .bool, "no"),

        // String configs
        .init("aclfile", .string, "", .immutable),
        .init("unixsocket", .string, "", .immutable),
        .init("pidfile", .string, "", .immutable),
        .init("replica-announce-ip", .string, "", alias: "slave-announce-ip"),
        .init("masteruser", .string, "", .sensitive),
        .init("cluster-announce-ip", .string, ""),
        .init("cluster-config-file", .string, "nodes.conf", .immutable),
        .init("cluster-announce-hostname", .string, ""),
        .init("syslog-ident", .string, "redis", .immutable),
        .init("dbfilename", .string, "dump.rdb", .protected),
        .init("appendfilename", .string, "appendonly.aof", .immutable),
        .init("appenddirname", .string, "appendonlydir", .immutable),
        .init("server_cpulist", .string, "", .immutable),
        .init("bio_cpulist", .string, "", .immutable),
        .init("aof_rewrite_cpulist", .string, "", .immutable),
        .init("bgsave_cpulist", .string, "", .immutable),
        .init("ignore-warnings", .string, ""),
        .init("proc-title-template", .string, "{title} {listen-addr} {server-mode}"),
        .init("bind-source-addr", .string, ""),
        .init("logfile", .string, "", .immutable),
        .init("masterauth", .string, "", .sensitive),
        .init("requirepass", .string, "", .sensitive),

        // Enum configs
        .init("supervised", .enumeration(["upstart", "systemd", "auto", "no"]), "no", .immutable),
        .init("syslog-facility", .enumeration(["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]), "local0", .immutable),
        .init("repl-diskless-load", .enumeration(["disabled", "on-empty-db", "swapdb"]), "disabled"),
        .init("loglevel", .enumeration(["debug", "verbose", "notice", "warning"]), "notice"),
        .init("maxmemory-policy", .enumeration(["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"]), "noeviction"),
        .init("appendfsync", .enumeration(["everysec", "always", "no"]), "everysec"),
        .init("oom-score-adj", .enumeration(["no", "yes", "relative", "absolute"]), "no"),
        .init("acl-pubsub-default", .enumeration(["allchannels", "resetchannels"]), "resetchannels"),
        .init("sanitize-dump-payload", .enumeration(["no", "yes", "clients"]), "no"),
        .init("enable-protected-configs", .enumeration(["no", "yes", "local"]), "no", .immutable),
        .init("enable-debug-command", .enumeration(["no", "yes", "local"]), "no", .immutable),
        .init("enable-module-command", .enumeration(["no", "yes", "local"]), "no", .immutable),
        .init("cluster-preferred-endpoint-type", .enumeration(["ip", "hostname", "unknown-endpoint"]), "ip"),
        .init("propagation-error-behavior", .enumeration(["ignore", "panic", "panic-on-replicas"]), "ignore"),
        .init("shutdown-on-sigint", .flags(["default", "save", "nosave", "now", "force"]), "default", .multiArg),
        .init("shutdown-on-sigterm", .flags(["default", "save", "nosave", "now", "force"]), "default", .multiArg),

        // Integer configs
        .init("databases", .integer(min: 1, max: Int64(Int32.max), unsigned: false), "16", .immutable),
        .init("port", .integer(min: 0, max: 65535, unsigned: false), "6379"),
        .init("io-threads", .integer(min: 1, max: 128, unsigned: false), "1", .immutable),
        .init("auto-aof-rewrite-percentage", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "100"),
        .init("cluster-replica-validity-factor", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "10", alias: "cluster-slave-validity-factor"),
        .init("list-max-listpack-size", .integer(min: Int64(Int32.min), max: Int64(Int32.max), unsigned: false), "-2", alias: "list-max-ziplist-size"),
        .init("tcp-keepalive", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "300"),
        .init("cluster-migration-barrier", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "1"),
        .init("active-defrag-cycle-min", .integer(min: 1, max: 99, unsigned: false), "1"),
        .init("active-defrag-cycle-max", .integer(min: 1, max: 99, unsigned: false), "25"),
        .init("active-defrag-threshold-lower", .integer(min: 0, max: 1000, unsigned: false), "10"),
        .init("active-defrag-threshold-upper", .integer(min: 0, max: 1000, unsigned: false), "100"),
        .init("lfu-log-factor", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "10"),
        .init("lfu-decay-time", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "1"),
        .init("replica-priority", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "100", alias: "slave-priority"),
        .init("repl-diskless-sync-delay", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "5"),
        .init("maxmemory-samples", .integer(min: 1, max: Int64(Int32.max), unsigned: false), "5"),
        .init("maxmemory-eviction-tenacity", .integer(min: 0, max: 100, unsigned: false), "10"),
        .init("timeout", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "0"),
        .init("replica-announce-port", .integer(min: 0, max: 65535, unsigned: false), "0", alias: "slave-announce-port"),
        .init("tcp-backlog", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "511", .immutable),
        .init("cluster-port", .integer(min: 0, max: 65535, unsigned: false), "0", .immutable),
        .init("cluster-announce-bus-port", .integer(min: 0, max: 65535, unsigned: false), "0"),
        .init("cluster-announce-port", .integer(min: 0, max: 65535, unsigned: false), "0"),
        .init("cluster-announce-tls-port", .integer(min: 0, max: 65535, unsigned: false), "0"),
        .init("repl-timeout", .integer(min: 1, max: Int64(Int32.max), unsigned: false), "60"),
        .init("repl-ping-replica-period", .integer(min: 1, max: Int64(Int32.max), unsigned: false), "10", alias: "repl-ping-slave-period"),
        .init("list-compress-depth", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "0"),
        .init("rdb-key-save-delay", .integer(min: Int64(Int32.min), max: Int64(Int32.max), unsigned: false), "0", .hidden),
        .init("key-load-delay", .integer(min: Int64(Int32.min), max: Int64(Int32.max), unsigned: false), "0", .hidden),
        .init("active-expire-effort", .integer(min: 1, max: 10, unsigned: false), "1"),
        .init("hz", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "10"),
        .init("min-replicas-to-write", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "0", alias: "min-slaves-to-write"),
        .init("min-replicas-max-lag", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "10", alias: "min-slaves-max-lag"),
        .init("watchdog-period", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "0", .hidden),
        .init("shutdown-timeout", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "10"),
        .init("repl-diskless-sync-max-replicas", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "0"),

        // Unsigned int configs
        .init("maxclients", .integer(min: 1, max: Int64(UInt32.max), unsigned: true), "10000"),
        .init("unixsocketperm", .octal(min: 0, max: 0o777), "0", .immutable),
        .init("socket-mark-id", .integer(min: 0, max: Int64(UInt32.max), unsigned: true), "0", .immutable),

        // Unsigned long configs
        .init("active-defrag-max-scan-fields", .integer(min: 1, max: Int64.max, unsigned: false), "1000"),
        .init("slowlog-max-len", .integer(min: 0, max: Int64.max, unsigned: false), "128"),
        .init("acllog-max-len", .integer(min: 0, max: Int64.max, unsigned: false), "128"),

        // Long long configs
        .init("busy-reply-threshold", .integer(min: 0, max: Int64.max, unsigned: false), "5000", alias: "lua-time-limit"),
        .init("cluster-node-timeout", .integer(min: 0, max: Int64.max, unsigned: false), "15000"),
        .init("slowlog-log-slower-than", .integer(min: -1, max: Int64.max, unsigned: false), "10000"),
        .init("latency-monitor-threshold", .integer(min: 0, max: Int64.max, unsigned: false), "0"),
        .init("proto-max-bulk-len", .memory(min: 1 << 20, max: Int64.max, unsigned: false), "536870912"),
        .init("stream-node-max-entries", .integer(min: 0, max: Int64.max, unsigned: false), "100"),
        .init("repl-backlog-size", .memory(min: 1, max: Int64.max, unsigned: false), "1048576"),

        // Unsigned long long configs
        .init("maxmemory", .memory(min: 0, max: -1, unsigned: true), "0"),
        .init("cluster-link-sendbuf-limit", .memory(min: 0, max: -1, unsigned: true), "0"),

        // Size_t configs
        .init("hash-max-listpack-entries", .integer(min: 0, max: Int64.max, unsigned: true), "512", alias: "hash-max-ziplist-entries"),
        .init("set-max-intset-entries", .integer(min: 0, max: Int64.max, unsigned: true), "512"),
        .init("zset-max-listpack-entries", .integer(min: 0, max: Int64.max, unsigned: true), "128", alias: "zset-max-ziplist-entries"),
        .init("active-defrag-ignore-bytes", .memory(min: 1, max: Int64.max, unsigned: true), "104857600"),
        .init("hash-max-listpack-value", .memory(min: 0, max: Int64.max, unsigned: true), "64", alias: "hash-max-ziplist-value"),
        .init("stream-node-max-bytes", .memory(min: 0, max: Int64.max, unsigned: true), "4096"),
        .init("zset-max-listpack-value", .memory(min: 0, max: Int64.max, unsigned: true), "64", alias: "zset-max-ziplist-value"),
        .init("hll-sparse-max-bytes", .memory(min: 0, max: Int64.max, unsigned: true), "3000"),
        .init("tracking-table-max-keys", .integer(min: 0, max: Int64.max, unsigned: true), "1000000"),
        .init("client-query-buffer-limit", .memory(min: 1 << 20, max: Int64.max, unsigned: true), "1073741824"),
        .init("maxmemory-clients", .memoryOrPercent(min: -100, max: Int64.max), "0"),

        // Other configs
        .init("repl-backlog-ttl", .integer(min: 0, max: Int64.max, unsigned: false), "3600"),
        .init("auto-aof-rewrite-min-size", .memory(min: 0, max: Int64.max, unsigned: false), "67108864"),
        .init("loading-process-events-interval-bytes", .integer(min: 1024, max: Int64(Int32.max), unsigned: false), "2097152", .hidden),

        // TLS (USE_OPENSSL builds)
        .init("tls-port", .integer(min: 0, max: 65535, unsigned: false), "0"),
        .init("tls-session-cache-size", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "20480"),
        .init("tls-session-cache-timeout", .integer(min: 0, max: Int64(Int32.max), unsigned: false), "300"),
        .init("tls-cluster", .bool, "no"),
        .init("tls-replication", .bool, "no"),
        .init("tls-auth-clients", .enumeration(["no", "yes", "optional"]), "yes"),
        .init("tls-prefer-server-ciphers", .bool, "no"),
        .init("tls-session-caching", .bool, "yes"),
        .init("tls-cert-file", .string, ""),
        .init("tls-key-file", .string, ""),
        .init("tls-key-file-pass", .string, "", .sensitive),
        .init("tls-client-cert-file", .string, ""),
        .init("tls-client-key-file", .string, ""),
        .init("tls-client-key-file-pass", .string, "", .sensitive),
        .init("tls-dh-params-file", .string, ""),
        .init("tls-ca-cert-file", .string, ""),
        .init("tls-ca-cert-dir", .string, ""),
        .init("tls-protocols", .string, ""),
        .init("tls-ciphers", .string, ""),
        .init("tls-ciphersuites", .string, ""),

        // Special configs
        .init("dir", .special, "", .protected),  // default: the working directory
        .init("save", .special, "3600 1 300 100 60 10000", .multiArg),
        .init("client-output-buffer-limit", .special,
              "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", .multiArg),
        .init("oom-score-adj-values", .special, "0 200 800", .multiArg),
        .init("notify-keyspace-events", .special, ""),
        .init("bind", .special, "* -::*", .multiArg),
        .init("replicaof", .special, "", [.immutable, .multiArg], alias: "slaveof"),
        .init("latency-tracking-info-percentiles", .special, "50 99 99.9", .multiArg),
    ]

    /// Directives the config-file parser handles itself (not settable with CONFIG SET, not in
    /// CONFIG GET), with Redis's argument-count rule: `minArgs...maxArgs` counting the name.
    public static let special: [(name: String, argc: ClosedRange<Int>)] = [
        ("include", 2...2),
        ("rename-command", 3...3),
        ("user", 2...Int.max),
        ("loadmodule", 2...Int.max),
        ("sentinel", 1...Int.max),
    ]

    /// Accepted and ignored by Redis 7.0 when given with exactly one argument.
    public static let deprecated: [String] = [
        "list-max-ziplist-entries",
        "list-max-ziplist-value",
        "lua-replicate-commands",
    ]

    /// Every name (and alias) redis-server 7.0 accepts in a config file.
    public static var allNames: [String] {
        standard.flatMap { [$0.name] + ($0.alias.map { [$0] } ?? []) } + special.map(\.name) + deprecated
    }

    /// Looks up a standard directive by name or alias, case-insensitively.
    public static func lookup(_ name: String) -> RedisDirective? {
        index[name.lowercased()]
    }

    static let index: [String: RedisDirective] = {
        var d: [String: RedisDirective] = [:]
        for entry in standard {
            d[entry.name] = entry
            if let alias = entry.alias { d[alias] = entry }
        }
        return d
    }()
}
