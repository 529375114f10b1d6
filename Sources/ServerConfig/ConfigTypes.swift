/// Redis `loglevel`.
/// `cluster-preferred-endpoint-type`: what MOVED / ASK and CLUSTER SLOTS name a node by.
public enum ClusterEndpointType: String, CaseIterable, Sendable {
    case ip = "ip"
    case hostname = "hostname"
    case unknownEndpoint = "unknown-endpoint"
}

public enum RedisLogLevel: String, CaseIterable, Sendable, Comparable {
    case debug, verbose, notice, warning

    /// The level character Redis writes in each log line.
    public var character: Character {
        switch self {
        case .debug: "."
        case .verbose: "-"
        case .notice: "*"
        case .warning: "#"
        }
    }

    private var rank: Int {
        switch self {
        case .debug: 0
        case .verbose: 1
        case .notice: 2
        case .warning: 3
        }
    }

    public static func < (a: RedisLogLevel, b: RedisLogLevel) -> Bool { a.rank < b.rank }
}

/// Redis `maxmemory-policy` (enum order as in config.c, which shapes the error text).
public enum MaxMemoryPolicy: String, CaseIterable, Sendable {
    case volatileLRU = "volatile-lru"
    case volatileLFU = "volatile-lfu"
    case volatileRandom = "volatile-random"
    case volatileTTL = "volatile-ttl"
    case allKeysLRU = "allkeys-lru"
    case allKeysLFU = "allkeys-lfu"
    case allKeysRandom = "allkeys-random"
    case noEviction = "noeviction"
}

/// Redis `appendfsync`.
public enum AppendFsync: String, CaseIterable, Sendable {
    case everysec, always, no
}

/// Redis `supervised`.
public enum SupervisedMode: String, CaseIterable, Sendable {
    case upstart, systemd, auto, no
}

/// Redis `enable-protected-configs` / `enable-debug-command` / `enable-module-command`.
public enum ProtectedAction: String, CaseIterable, Sendable {
    case no, yes, local

    /// Whether a client is allowed, given whether it connects from a local address.
    public func allows(localClient: Bool) -> Bool {
        self == .yes || (self == .local && localClient)
    }
}

/// One `save <seconds> <changes>` point.
public struct SavePoint: Equatable, Hashable, Sendable {
    public var seconds: Int
    public var changes: Int
    public init(seconds: Int, changes: Int) {
        self.seconds = seconds
        self.changes = changes
    }
}

/// The typed values of the directives Shoal implements.
public struct ConfigValues: Sendable, Equatable {
    public var port = 6379
    public var bindAddresses = ["*", "-::*"]
    public var protectedMode = true
    /// Absolute path; the server chdirs into it after loading.
    public var dir = ""
    public var databases = 16
    /// Already clamped to 1...500, as Redis does after loading and after CONFIG SET.
    public var hz = 10
    public var maxClients = 10000
    public var timeoutSeconds = 0
    public var tcpKeepalive = 300
    public var tcpBacklog = 511
    /// nil: not configured, the server decides.
    public var ioThreads: Int? = nil
    public var ioThreadsDoReads = false
    public var logLevel = RedisLogLevel.notice
    /// Empty: standard output.
    public var logFile = ""
    public var daemonize = false
    /// Empty: none.
    public var pidFile = ""
    /// Empty: no password.
    public var requirePass = ""
    public var protoMaxBulkLen = 512 * 1024 * 1024
    public var clientQueryBufferLimit = 1024 * 1024 * 1024
    public var clusterEnabled = false
    public var clusterConfigFile = "nodes.conf"
    public var clusterNodeTimeout = 15000
    public var clusterPort = 0
    public var clusterAnnounceIP = ""
    public var clusterAnnouncePort = 0
    public var clusterAnnounceBusPort = 0
    public var clusterAnnounceHostname = ""
    public var clusterAnnounceHumanNodename = ""
    public var clusterPreferredEndpointType = ClusterEndpointType.ip
    public var clusterRequireFullCoverage = true
    public var clusterAllowReadsWhenDown = false
    public var clusterReplicaValidityFactor = 10
    public var clusterReplicaNoFailover = false
    public var clusterMigrationBarrier = 1
    public var clusterAllowReplicaMigration = true
    public var savePoints = [
        SavePoint(seconds: 3600, changes: 1), SavePoint(seconds: 300, changes: 100),
        SavePoint(seconds: 60, changes: 10000),
    ]
    public var dbFilename = "dump.rdb"
    public var appendOnly = false
    public var appendFilename = "appendonly.aof"
    public var appendFsync = AppendFsync.everysec
    public var lfuLogFactor = 10
    public var lfuDecayTime = 1
    public var maxMemory: UInt64 = 0
    public var maxMemoryPolicy = MaxMemoryPolicy.noEviction
    public var maxMemorySamples = 5
    // Compact encodings of small collections (and their older `*-ziplist-*` names).
    public var listMaxListpackSize = -2
    public var hashMaxListpackEntries = 512
    public var hashMaxListpackValue = 64
    public var setMaxIntsetEntries = 512
    public var zsetMaxListpackEntries = 128
    public var zsetMaxListpackValue = 64
    public var activeExpireEffort = 1
    public var lazyfreeLazyEviction = false
    public var lazyfreeLazyExpire = false
    public var lazyfreeLazyServerDel = false
    public var lazyfreeLazyUserDel = false
    public var lazyfreeLazyUserFlush = false
    public var dynamicHz = true
    public var latencyMonitorThreshold = 0
    public var slowlogLogSlowerThan = 10000
    public var slowlogMaxLen = 128
    public var supervised = SupervisedMode.no
    public var enableProtectedConfigs = ProtectedAction.no
    public var enableDebugCommand = ProtectedAction.no
    public var enableModuleCommand = ProtectedAction.no

    /// Values of recognised-but-unimplemented directives, by canonical name, as CONFIG GET shows them.
    public var unimplemented: [String: String] = [:]

    /// What CONFIG GET io-threads reports when `ioThreads` is nil (the server's choice).
    var effectiveIOThreads = 1
    /// Loader state: the first `save` line of a config replaces the defaults, later ones append.
    var saveSeenWhileLoading = false

    public init() {}
}
