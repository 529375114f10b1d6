#if canImport(Glibc)
import Glibc
#endif
import Cluster
import ClusterBus
import Commands
import Dispatch
import Keyspace
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RESP
import ServerConfig

public enum ShoalVersion {
    public static let shoal = "0.1.0"
    /// The Redis version we answer as, so clients take their 7.0 code paths.
    public static let redis = "7.0.15"
}

/// The running node: owns the keyspace, the event loops, the listening sockets, the client
/// registry and the periodic jobs (active expiry, idle-client timeouts, ops/sec sampling).
public final class ShoalServer: @unchecked Sendable {
    let settings: ServerSettings
    let configuration: Configuration
    let keyspace: Keyspace
    let clients = ClientRegistry()
    private(set) var dispatcher: Dispatcher!
    let log: Logger
    let group: MultiThreadedEventLoopGroup
    let loops: [LoopState]
    private let loopsByID: [ObjectIdentifier: LoopState]
    private var listeners: [Channel] = []
    let startedAt = monotonicMillis()
    let runID = Platform.randomHexID()
    let replicationID = Platform.randomHexID()
    private let shutdownLock = NIOLock()
    private var shutdownPromise: EventLoopPromise<Int32>?
    private let opsSampler = OpsSampler()
    let peakMemory = PeakTracker()
    /// Compact-encoding thresholds every connection's handlers read.
    let encodingLimits = EncodingLimits()
    let startupMemory = Platform.heapInUse()
    let startedAtWallSeconds = wallClockMillis() / 1000
    /// `expired_keys` counts from the last CONFIG RESETSTAT.
    var expiredKeysAtReset = 0
    private var activeExpireTask: RepeatedTask?
    /// Cluster mode (`cluster-enabled yes`): the bus and the cluster state machine.
    private(set) var cluster: ClusterService?
    /// Whole-slot migrations started here (CLUSTER MIGRATESLOTS).
    private(set) lazy var migrator = SlotMigrator(server: self)
    /// The newest cluster routing table, which every loop polls.
    let routingPublisher: RoutingPublisher
    /// MIGRATE's connections to target nodes.
    let migrateConnections = MigrateConnections()
    /// RDB snapshots (SAVE, BGSAVE, save points) and the write barrier that keeps them point-in-time.
    private(set) lazy var snapshots = SnapshotManager(server: self)
    /// The append-only file (`appendonly yes`).
    private(set) lazy var appendOnly = AppendOnlyManager(server: self)
    let writeBarrier: WriteBarrier

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.settings = ServerSettings(configuration)
        self.log = logger
        let threads = settings.ioThreads > 0 ? settings.ioThreads : Platform.usableCores()
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        configuration.setEffectiveIOThreads(threads)
        var loops: [LoopState] = []
        let publisher = RoutingPublisher()
        self.routingPublisher = publisher
        let barrier = WriteBarrier()
        self.writeBarrier = barrier
        for loop in group.makeIterator() { loops.append(LoopState(eventLoop: loop, publisher: publisher)) }
        self.loops = loops
        self.loopsByID = Dictionary(uniqueKeysWithValues: loops.map { (ObjectIdentifier($0.eventLoop), $0) })
        // With one event loop every command runs on the same thread and the slot locks are skipped.
        self.keyspace = Keyspace(databases: settings.databases, concurrent: threads > 1)
        let keyspaceCommands: [CommandSpec] =
            stringCommands + genericCommands + listCommands + hashCommands + setCommands + sortedSetCommands
        let table = CommandTable(
            keyspaceCommands + serverCommands() + clusterCommands() + keyMigrationCommands() + persistenceCommands())
        self.dispatcher = Dispatcher(
            table: table, keyspace: keyspace, clusterEnabled: configuration.clusterEnabled, barrier: barrier)
        applyEvictionSettings()
        applyEncodingLimits()
        dispatcher.flushAllHooks = (
            before: { [unowned self] in
                if snapshots.backgroundInProgress { snapshots.cancelRunning(quietly: true) }
            },
            after: { [unowned self] in
                // The caller holds the whole keyspace, as saveExclusively needs.
                if !configuration.savePoints.isEmpty { try? snapshots.saveExclusively() }
            })
        settings.observe(configuration, server: self)
    }

    var ioThreads: Int { loops.count }

    func applyEncodingLimits() {
        encodingLimits.listMaxListpackSize = configuration.listMaxListpackSize
        encodingLimits.hashMaxListpackEntries = configuration.hashMaxListpackEntries
        encodingLimits.hashMaxListpackValue = configuration.hashMaxListpackValue
        encodingLimits.setMaxIntsetEntries = configuration.setMaxIntsetEntries
        encodingLimits.zsetMaxListpackEntries = configuration.zsetMaxListpackEntries
        encodingLimits.zsetMaxListpackValue = configuration.zsetMaxListpackValue
    }

    /// Which access statistic the keyspace keeps (LRU clock or LFU counter) follows the policy.
    func applyEvictionSettings() {
        keyspace.maxmemoryPolicyIsLFU = configuration.maxMemoryPolicy.contains("lfu")
        keyspace.lfuLogFactor = configuration.lfuLogFactor
        keyspace.lfuDecayTime = configuration.lfuDecayTime
    }

    /// Binds every configured address and starts the periodic jobs. Throws if no address could be bound.
    public func start() throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(settings.tcpBacklog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: settings.tcpKeepalive > 0 ? 1 : 0)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.accept(channel) }
            }

        for entry in settings.bindAddresses {
            let optional = entry.hasPrefix("-")
            var host = optional ? String(entry.dropFirst()) : entry
            if host == "*" { host = "0.0.0.0" }
            if host == "::*" { host = "::" }
            do {
                var b = bootstrap
                if host.contains(":") {
                    b = b.serverChannelOption(
                        ChannelOptions.Types.SocketOption(
                            level: NIOBSDSocket.OptionLevel(rawValue: Int32(IPPROTO_IPV6)),
                            name: NIOBSDSocket.Option(rawValue: IPV6_V6ONLY)),
                        value: 1)
                }
                let channel = try b.bind(host: host, port: settings.port).wait()
                listeners.append(channel)
            } catch {
                if optional {
                    log.notice("Could not bind optional address \(host):\(settings.port): \(error)")
                    continue
                }
                log.warning("Warning: Could not create server TCP listening socket \(host):\(settings.port): \(error)")
                throw ServerStartError.bindFailed("\(host):\(settings.port)")
            }
        }
        if listeners.isEmpty { throw ServerStartError.bindFailed("no address to listen on") }
        if configuration.clusterEnabled { try startCluster() }
        scheduleCronJobs()
    }

    private func accept(_ channel: Channel) throws {
        let sync = channel.pipeline.syncOperations
        if clients.count >= settings.maxClients {
            clients.noteRejected()
            try sync.addHandler(RefusingHandler(message: "ERR max number of clients reached"))
            return
        }
        if settings.protectedMode && !settings.requiresAuth && !ShoalServer.isLoopback(channel.remoteAddress) {
            clients.noteRejected()
            try sync.addHandler(RefusingHandler(message: ShoalServer.protectedModeMessage))
            return
        }
        if settings.tcpKeepalive > 0 {
            // Redis's anetKeepAlive: probes start after `tcp-keepalive` seconds of silence.
            let idle = settings.tcpKeepalive
            let tcp = NIOBSDSocket.OptionLevel(rawValue: Int32(IPPROTO_TCP))
            func option(_ name: Int32) -> ChannelOptions.Types.SocketOption {
                .init(level: tcp, name: .init(rawValue: name))
            }
            let options = channel.syncOptions
            try options?.setOption(option(TCP_KEEPIDLE), value: idle)
            try options?.setOption(option(TCP_KEEPINTVL), value: max(idle / 3, 1))
            try options?.setOption(option(TCP_KEEPCNT), value: 3)
        }
        let loop = loopsByID[ObjectIdentifier(channel.eventLoop)] ?? loops[0]
        let info = ClientInfo(
            id: clients.makeID(),
            address: ShoalServer.describe(channel.remoteAddress),
            localAddress: ShoalServer.describe(channel.localAddress),
            // NIO does not expose descriptors; -1 is what Redis prints for a client without one.
            fd: -1,
            now: monotonicMillis())
        let connection = Connection(server: self, loop: loop, info: info)
        info.connection = connection
        clients.add(info)
        try sync.addHandler(connection)
    }

    private func scheduleCronJobs() {
        let mainLoop = loops[0].eventLoop
        rescheduleActiveExpire()
        // clientsCron: idle timeouts, once a second, each loop checks its own connections.
        for state in loops {
            state.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
                let timeout = Int64(settings.timeoutSeconds) * 1000
                guard timeout > 0 else { return }
                let now = monotonicMillis()
                for info in clients.all {
                    guard let connection = info.connection, connection.loop === state else { continue }
                    connection.closeIfIdle(now: now, timeoutMillis: timeout)
                }
            }
        }
        mainLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { [self] _ in
            persistenceCron()
            opsSampler.sample(
                commands: totalCommandsProcessed, input: loops.reduce(0) { $0 + $1.netInputBytes },
                output: loops.reduce(0) { $0 + $1.netOutputBytes }, now: monotonicMillis())
        }
    }

    /// (Re)starts the active expiry cycle at the configured `hz`.
    func rescheduleActiveExpire() {
        let mainLoop = loops[0].eventLoop
        mainLoop.execute { [self] in
            activeExpireTask?.cancel()
            let hz = max(1, min(settings.hz, 500))
            let period = Int64(1000 / hz)
            activeExpireTask = mainLoop.scheduleRepeatedTask(
                initialDelay: .milliseconds(period), delay: .milliseconds(period)
            ) { [self] _ in
                // Redis gives the slow cycle 25 % of each tick.
                let budgetMicros = Int(period * 1000 / 4)
                _ = keyspace.activeExpireCycle(now: wallClockMillis(), timeBudgetMicros: budgetMicros)
            }
        }
    }

    var totalCommandsProcessed: Int { loops.reduce(0) { $0 + $1.stats.commandsProcessed } }
    var instantaneous: OpsSampler.Rates { opsSampler.rates }

    /// Blocks until SHUTDOWN or a signal stops the node; returns the process exit code.
    public func waitForShutdown() -> Int32 {
        let promise = shutdownLock.withLock { () -> EventLoopPromise<Int32> in
            if let shutdownPromise { return shutdownPromise }
            let p = loops[0].eventLoop.makePromise(of: Int32.self)
            shutdownPromise = p
            return p
        }
        let code = (try? promise.futureResult.wait()) ?? 1
        if let cluster {
            // As Redis does on shutdown: the view on disk is the latest one.
            try? cluster.saveConfig()
            cluster.stop()
        }
        for channel in listeners { try? channel.close().wait() }
        try? group.syncShutdownGracefully()
        return code
    }

    /// Asks the node to stop: stops accepting, then `waitForShutdown` returns `code`.
    func requestShutdown(code: Int32 = 0) {
        let promise = shutdownLock.withLock { () -> EventLoopPromise<Int32> in
            if let shutdownPromise { return shutdownPromise }
            let p = loops[0].eventLoop.makePromise(of: Int32.self)
            shutdownPromise = p
            return p
        }
        log.notice("Shoal is now ready to exit, bye bye...")
        promise.succeed(code)
    }

    static let protectedModeMessage =
        "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return true }
        switch address {
        case .unixDomainSocket: return true
        case .v4: return address.ipAddress?.hasPrefix("127.") ?? false
        case .v6:
            let ip = address.ipAddress ?? ""
            return ip == "::1" || ip.hasPrefix("::ffff:127.")
        }
    }

    /// Whether an `ip:port` text (as CLIENT LIST prints it) is a loopback address.
    static func isLoopbackText(_ address: String) -> Bool {
        address.hasPrefix("127.") || address.hasPrefix("[::1]") || address.hasPrefix("[::ffff:127.")
    }

    static func describe(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

enum ServerStartError: Error, CustomStringConvertible {
    case bindFailed(String)
    var description: String {
        switch self {
        case .bindFailed(let what): return "Failed listening on \(what). Exiting."
        }
    }
}

/// Instantaneous ops/sec and network rates, sampled every 100 ms over the last 16 samples as Redis does.
final class OpsSampler: @unchecked Sendable {
    struct Rates { var opsPerSec = 0; var inputKbps = 0.0; var outputKbps = 0.0 }
    private let lock = NIOLock()
    private var last: (commands: Int, input: Int, output: Int, at: Int64)?
    private var samples: [(ops: Double, input: Double, output: Double)] = []

    func sample(commands: Int, input: Int, output: Int, now: Int64) {
        lock.withLock {
            if let last, now > last.at {
                let seconds = Double(now - last.at) / 1000
                samples.append((
                    Double(commands - last.commands) / seconds, Double(input - last.input) / seconds / 1024,
                    Double(output - last.output) / seconds / 1024))
                if samples.count > 16 { samples.removeFirst() }
            }
            last = (commands, input, output, now)
        }
    }

    var rates: Rates {
        lock.withLock {
            guard !samples.isEmpty else { return Rates() }
            let n = Double(samples.count)
            return Rates(
                opsPerSec: Int(samples.reduce(0) { $0 + $1.ops } / n),
                inputKbps: samples.reduce(0) { $0 + $1.input } / n,
                outputKbps: samples.reduce(0) { $0 + $1.output } / n)
        }
    }
}

// MARK: - Cluster mode

extension ShoalServer {
    /// The cluster directives as the state machine reads them.
    var clusterSettings: ClusterSettings {
        let c = configuration
        let busPort = c.clusterPort != 0 ? c.clusterPort : settings.port + 10000
        var s = ClusterSettings(port: settings.port, busPort: busPort)
        s.nodeTimeout = Int64(c.clusterNodeTimeout)
        s.announceIP = c.clusterAnnounceIP
        s.announcePort = c.clusterAnnouncePort
        s.announceBusPort = c.clusterAnnounceBusPort
        s.announceHostname = c.clusterAnnounceHostname
        s.humanNodename = c.clusterAnnounceHumanNodename
        s.preferredEndpointType = EndpointType(rawValue: c.clusterPreferredEndpointType.rawValue) ?? .ip
        s.requireFullCoverage = c.clusterRequireFullCoverage
        s.allowReadsWhenDown = c.clusterAllowReadsWhenDown
        s.replicaValidityFactor = c.clusterReplicaValidityFactor
        s.replicaNoFailover = c.clusterReplicaNoFailover
        s.migrationBarrier = c.clusterMigrationBarrier
        s.allowReplicaMigration = c.clusterAllowReplicaMigration
        return s
    }

    /// Loads (or creates) nodes.conf, binds the bus port and starts gossiping.
    private func startCluster() throws {
        guard settings.port <= 55535 || configuration.clusterPort != 0 else {
            throw ServerStartError.bindFailed(
                "port \(settings.port): Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis port. Your Redis port number must be 55535 or less.")
        }
        let publisher = routingPublisher
        let log = self.log
        let service = try ClusterService(
            settings: clusterSettings, configPath: configuration.clusterConfigFile, loop: loops[0].eventLoop,
            log: { level, text in
                switch level {
                case .debug: log.debug("\(text)")
                case .verbose: log.info("\(text)")
                case .notice: log.notice("\(text)")
                case .warning: log.warning("\(text)")
                }
            },
            publish: { [unowned self] table, lostSlots in
                publisher.publish(table)
                if !lostSlots.isEmpty { dropKeys(inSlots: lostSlots) }
            })
        var hosts: [String] = []
        for entry in settings.bindAddresses {
            var host = entry.hasPrefix("-") ? String(entry.dropFirst()) : entry
            if host == "*" { host = "0.0.0.0" }
            if host == "::*" { host = "::" }
            hosts.append(host)
        }
        try service.start(hosts: hosts, busPort: clusterSettings.busPort)
        cluster = service
        dispatcher.frozenSlots = migrator.frozen
    }

    /// Deletes the keys of slots another master took over (clusterUpdateSlotsConfigWith's dirty slots).
    private func dropKeys(inSlots slots: [Int]) {
        var dropped = 0
        for slot in slots {
            keyspace.lock(slot: slot)
            writeBarrier.beforeWrite(slot: slot)
            dispatcher.propagator?.deleted(db: 0, keys: keyspace.keys(db: 0, slot: slot, now: Int64.min))
            dropped += keyspace.flush(db: 0, slot: slot)
            keyspace.unlock(slot: slot)
        }
        if dropped > 0 { log.notice("Deleted \(dropped) keys of \(slots.count) slots now served by another node") }
    }

    /// CONFIG SET of a cluster directive.
    func applyClusterSettings() {
        cluster?.update(clusterSettings)
    }
}
