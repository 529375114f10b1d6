#if canImport(Glibc)
import Glibc
#endif
import Cluster
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The shell around `ClusterState`: it owns the lock every call into the state machine is made
/// under, carries out the effects the machine returns (bus connections, sends, nodes.conf writes,
/// routing republication) and runs the 100 ms cluster cron.
///
/// Effects are never carried out inline: channel operations are queued on the bus event loop, so a
/// callback NIO completes synchronously can never re-enter the (non-recursive) lock.
public final class ClusterService: @unchecked Sendable {
    public typealias LogSink = @Sendable (ClusterLogLevel, String) -> Void
    /// Receives every new routing table, with the slots this node lost to a newer owner while it
    /// stayed a master (their keys are stale: Redis deletes them).
    public typealias RoutingSink = @Sendable (RoutingTable, _ lostSlots: [Int]) -> Void

    private let lock = NIOLock()
    private let state: ClusterState
    let loop: EventLoop
    private let configPath: String
    private let log: LogSink
    private let publish: RoutingSink
    /// Open bus channels by link; a link is here from its accept / connect until `.close` or EOF.
    private var channels: [LinkID: Channel] = [:]
    /// Outbound connects under way; a `.close` that arrives first removes the entry.
    private var connecting: Set<LinkID> = []
    private var listeners: [Channel] = []
    private var cron: RepeatedTask?
    /// A nodes.conf write is queued on the bus loop.
    private var savePending = false

    /// Loads `configPath` (nodes.conf) when it exists and is not empty, else starts a new node and
    /// writes it. Throws `ClusterStartError` for a file that cannot be read or parsed.
    public init(
        settings: ClusterSettings, configPath: String, loop: EventLoop,
        log: @escaping LogSink, publish: @escaping RoutingSink
    ) throws {
        self.loop = loop
        self.configPath = configPath
        self.log = log
        self.publish = publish
        let now = ClusterService.now()
        var entropy = SystemRandomNumberGenerator()
        let seed = entropy.next()
        if let text = try ClusterService.readConfig(configPath), !text.isEmpty {
            do {
                state = try ClusterState(nodesConfig: text, settings: settings, now: now, seed: seed)
            } catch {
                throw ClusterStartError.corruptConfig(configPath, "\(error)")
            }
            log(.notice, "Node configuration loaded, I'm \(state.myName.text)")
        } else {
            state = ClusterState(settings: settings, now: now, seed: seed)
            log(.notice, "No cluster configuration found, I'm \(state.myName.text)")
            try ClusterService.writeConfig(state.nodesConfig(), to: configPath)
        }
        publish(state.routingTable(), [])
    }

    /// Binds the bus port on `hosts` and starts the cron.
    public func start(hosts: [String], busPort: Int) throws {
        let bootstrap = ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: 511)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try BusLink.install(on: channel, service: self, link: nil)
                }
            }
        for host in hosts {
            do {
                var b = bootstrap
                if host.contains(":") {
                    // As for the client port: "::" must not also claim IPv4 (0.0.0.0 is bound separately).
                    b = b.serverChannelOption(
                        ChannelOptions.Types.SocketOption(
                            level: NIOBSDSocket.OptionLevel(rawValue: Int32(IPPROTO_IPV6)),
                            name: NIOBSDSocket.Option(rawValue: IPV6_V6ONLY)),
                        value: 1)
                }
                listeners.append(try b.bind(host: host, port: busPort).wait())
            } catch {
                throw ClusterStartError.bindFailed("\(host):\(busPort)", "\(error)")
            }
        }
        cron = loop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) {
            [self] _ in
            lock.withLock { perform(state.tick(now: ClusterService.now())) }
        }
    }

    public func stop() {
        cron?.cancel()
        for listener in listeners { listener.close(promise: nil) }
        let open = lock.withLock { () -> [Channel] in
            let all = Array(channels.values)
            channels.removeAll()
            connecting.removeAll()
            return all
        }
        for channel in open { channel.close(promise: nil) }
    }

    // MARK: calls from the node (CLUSTER commands)

    /// Runs a command against the state machine and carries out its effects.
    public func command<T>(
        _ body: (ClusterState, Int64) throws(ClusterCommandError) -> (T, [ClusterEffect])
    ) throws(ClusterCommandError) -> T {
        lock.lock()
        defer { lock.unlock() }
        let (result, effects) = try body(state, ClusterService.now())
        perform(effects)
        return result
    }

    /// Reads a view of the state machine.
    public func read<T>(_ body: (ClusterState, Int64) throws(ClusterCommandError) -> T) throws(ClusterCommandError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(state, ClusterService.now())
    }

    /// CLUSTER SAVECONFIG: writes nodes.conf now.
    public func saveConfig() throws {
        let text = lock.withLock { () -> String in
            savePending = false
            return state.nodesConfig()
        }
        try ClusterService.writeConfig(text, to: configPath)
    }

    /// Settings changed by CONFIG SET.
    public func update(_ settings: ClusterSettings) {
        lock.withLock { perform(state.updateSettings(settings, now: ClusterService.now())) }
    }

    /// Open bus links (INFO `cluster_connections`).
    public var linkCount: Int { lock.withLock { channels.count } }

    // MARK: calls from links (on the bus loop)

    func accepted(_ channel: Channel) -> LinkID {
        let peer = channel.remoteAddress?.ipAddress ?? ""
        let local = channel.localAddress?.ipAddress ?? ""
        return lock.withLock {
            let link = state.inboundAccepted(
                peerIP: ClusterService.plainIP(peer), localIP: ClusterService.plainIP(local), now: ClusterService.now())
            channels[link] = channel
            return link
        }
    }

    func received(_ message: ClusterMessage, on link: LinkID) {
        lock.withLock { perform(state.receive(message, on: link, now: ClusterService.now())) }
    }

    func rejected(_ reason: String, on link: LinkID, from peer: String) {
        log(.warning, "Cluster bus: dropped a malformed message from \(peer) (link \(link)): \(reason)")
    }

    /// The channel of `link` ended; tells the state machine unless it closed the link itself.
    func closed(_ link: LinkID) {
        lock.withLock {
            guard channels.removeValue(forKey: link) != nil else { return }
            perform(state.linkClosed(link, now: ClusterService.now()))
        }
    }

    // MARK: effects (called with the lock held)

    private func perform(_ effects: [ClusterEffect]) {
        for effect in effects {
            switch effect {
            case .connect(let link, let ip, let busPort):
                connecting.insert(link)
                loop.execute { [self] in connect(link, ip: ip, port: busPort) }
            case .send(let link, let message):
                guard let channel = channels[link] else { continue }
                loop.execute {
                    // Gossip tolerates loss: a peer that stops reading costs at most the
                    // channel's high watermark of memory, never an unbounded queue.
                    guard channel.isActive, channel.isWritable else { return }
                    channel.writeAndFlush(message, promise: nil)
                }
            case .close(let link):
                connecting.remove(link)
                if let channel = channels.removeValue(forKey: link) {
                    loop.execute { channel.close(promise: nil) }
                }
            case .saveConfig:
                // A change that goes out on the bus (a vote, a new epoch in a PONG) is on disk
                // before the message leaves. Other changes (CLUSTER SETSLOT, ADDSLOTS ... often
                // pipelined by the hundred) are saved once for the whole burst, as Redis saves
                // once per event-loop iteration.
                if effects.contains(where: { if case .send = $0 { return true } else { return false } }) {
                    saveNow()
                } else if !savePending {
                    savePending = true
                    loop.execute { [self] in lock.withLock { if savePending { saveNow() } } }
                }
            case .routingChanged:
                publish(state.routingTable(), state.drainLostSlots())
            case .log(let level, let text):
                log(level, text)
            }
        }
    }

    /// Writes nodes.conf (lock held).
    private func saveNow() {
        savePending = false
        do {
            try ClusterService.writeConfig(state.nodesConfig(), to: configPath)
        } catch {
            log(.warning, "Could not save the cluster configuration to \(configPath): \(error)")
        }
    }

    private func connect(_ link: LinkID, ip: String, port: Int) {
        let timeout = lock.withLock { max(state.settings.nodeTimeout, 1000) }
        ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try BusLink.install(on: channel, service: self, link: link) }
            }
            .connect(host: ip, port: port)
            .whenComplete { [self] result in
                lock.withLock {
                    guard connecting.remove(link) != nil else {
                        // Closed by the state machine while connecting.
                        if case .success(let channel) = result { channel.close(promise: nil) }
                        return
                    }
                    switch result {
                    case .success(let channel):
                        channels[link] = channel
                        let local = ClusterService.plainIP(channel.localAddress?.ipAddress ?? "")
                        perform(state.outboundConnected(link, localIP: local, now: ClusterService.now()))
                    case .failure(let error):
                        log(.debug, "Cluster bus: connecting to \(ip):\(port) failed: \(error)")
                        perform(state.linkClosed(link, now: ClusterService.now()))
                    }
                }
            }
    }

    // MARK: helpers

    /// An IPv4-mapped IPv6 address is announced as plain IPv4, as Redis does.
    static func plainIP(_ ip: String) -> String {
        ip.hasPrefix("::ffff:") && ip.contains(".") ? String(ip.dropFirst(7)) : ip
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    static func readConfig(_ path: String) throws -> String? {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ClusterStartError.unreadableConfig(path, String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClusterStartError.unreadableConfig(path, String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes nodes.conf so that a crash leaves either the old file or the new one: temp file,
    /// fsync, rename, fsync of the directory.
    static func writeConfig(_ text: String, to path: String) throws {
        let temp = "\(path).tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ClusterStartError.unwritableConfig(path, String(cString: strerror(errno))) }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temp)
                throw ClusterStartError.unwritableConfig(path, reason)
            }
            offset += n
        }
        if fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temp)
            throw ClusterStartError.unwritableConfig(path, reason)
        }
        close(fd)
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw ClusterStartError.unwritableConfig(path, reason)
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dfd = open(directory.isEmpty ? "/" : directory, O_RDONLY)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
        bytes.removeAll()
    }
}

public enum ClusterStartError: Error, CustomStringConvertible {
    case corruptConfig(String, String)
    case unreadableConfig(String, String)
    case unwritableConfig(String, String)
    case bindFailed(String, String)

    public var description: String {
        switch self {
        case .corruptConfig(let path, let reason):
            "Unrecoverable error: corrupted cluster config file \"\(path)\": \(reason)"
        case .unreadableConfig(let path, let reason):
            "Unrecoverable error: cannot read cluster config file \"\(path)\": \(reason)"
        case .unwritableConfig(let path, let reason):
            "Cluster config file \"\(path)\" could not be written: \(reason)"
        case .bindFailed(let address, let reason):
            "Failed listening on the cluster bus port \(address): \(reason)"
        }
    }
}
