import Glob
import Synchronization

/// The node's live configuration: loaded from redis.conf and the command line, read by the server
/// through typed accessors, changed by CONFIG SET, watched through change observers.
///
/// Thread-safe: every access takes a short lock. Hot paths should cache values and refresh them
/// from an ``onChange(_:)`` observer.
public final class Configuration: Sendable {
    public typealias Observer = @Sendable (_ name: String) -> Void
    public typealias ValueObserver = @Sendable (_ newValue: String) -> Void

    /// Identifies a registered observer, for ``removeObserver(_:)``.
    public struct ObserverToken: Hashable, Sendable {
        let id: Int
    }

    private struct Registration: Sendable {
        var token: ObserverToken
        /// nil: every directive.
        var name: String?
        var handler: @Sendable (_ name: String, _ value: String) -> Void
    }

    private struct State: Sendable {
        var values: ConfigValues
        var observers: [Registration] = []
        var nextToken = 0
    }

    private let state: Mutex<State>

    /// Absolute path of the config file given on the command line; empty when there was none.
    public let configFile: String
    /// Implemented directives whose effect the server does not provide (see
    /// ``ConfigDirective/defaultUnenforced``); setting them to a non-neutral value warns.
    public let unenforced: Set<String>

    public init(
        values: ConfigValues = ConfigValues(), configFile: String = "",
        unenforced: Set<String> = ConfigDirective.defaultUnenforced
    ) {
        var values = values
        if values.dir.isEmpty { values.dir = FilePaths.canonical(FilePaths.currentDirectory()) }
        self.state = Mutex(State(values: values))
        self.configFile = configFile
        self.unenforced = unenforced
    }

    // MARK: Typed accessors

    /// A consistent copy of every value.
    public var values: ConfigValues { state.withLock { $0.values } }

    @inline(__always)
    private func read<T>(_ body: (ConfigValues) -> T) -> T { state.withLock { body($0.values) } }

    public var port: Int { read { $0.port } }
    /// `bind` addresses in order; a leading `-` marks one that may be unavailable. Empty: none.
    public var bindAddresses: [String] { read { $0.bindAddresses } }
    public var protectedMode: Bool { read { $0.protectedMode } }
    /// Absolute path of `dir`; the server chdirs into it after loading.
    public var dir: String { read { $0.dir } }
    public var databases: Int { read { $0.databases } }
    /// 1...500.
    public var hz: Int { read { $0.hz } }
    public var dynamicHz: Bool { read { $0.dynamicHz } }
    public var maxClients: Int { read { $0.maxClients } }
    /// Idle client timeout in seconds; 0 disables it.
    public var timeoutSeconds: Int { read { $0.timeoutSeconds } }
    public var tcpKeepalive: Int { read { $0.tcpKeepalive } }
    public var tcpBacklog: Int { read { $0.tcpBacklog } }
    /// Configured `io-threads`, or 0 when not configured (the server decides).
    public var ioThreads: Int { read { $0.ioThreads ?? 0 } }
    public var logLevel: RedisLogLevel { read { $0.logLevel } }
    /// Empty: standard output.
    public var logFile: String { read { $0.logFile } }
    public var daemonize: Bool { read { $0.daemonize } }
    public var pidFile: String { read { $0.pidFile } }
    /// Empty: no password.
    public var requirePass: String { read { $0.requirePass } }
    public var protoMaxBulkLen: Int { read { $0.protoMaxBulkLen } }
    public var clientQueryBufferLimit: Int { read { $0.clientQueryBufferLimit } }
    public var clusterEnabled: Bool { read { $0.clusterEnabled } }
    public var clusterConfigFile: String { read { $0.clusterConfigFile } }
    /// Milliseconds.
    public var clusterNodeTimeout: Int { read { $0.clusterNodeTimeout } }
    /// 0: port + 10000.
    public var clusterPort: Int { read { $0.clusterPort } }
    public var clusterAnnounceIP: String { read { $0.clusterAnnounceIP } }
    public var clusterAnnouncePort: Int { read { $0.clusterAnnouncePort } }
    public var clusterAnnounceBusPort: Int { read { $0.clusterAnnounceBusPort } }
    public var clusterAnnounceHostname: String { read { $0.clusterAnnounceHostname } }
    public var clusterAnnounceHumanNodename: String { read { $0.clusterAnnounceHumanNodename } }
    public var clusterPreferredEndpointType: ClusterEndpointType { read { $0.clusterPreferredEndpointType } }
    public var clusterRequireFullCoverage: Bool { read { $0.clusterRequireFullCoverage } }
    public var clusterAllowReadsWhenDown: Bool { read { $0.clusterAllowReadsWhenDown } }
    public var clusterReplicaValidityFactor: Int { read { $0.clusterReplicaValidityFactor } }
    public var clusterReplicaNoFailover: Bool { read { $0.clusterReplicaNoFailover } }
    public var clusterMigrationBarrier: Int { read { $0.clusterMigrationBarrier } }
    public var clusterAllowReplicaMigration: Bool { read { $0.clusterAllowReplicaMigration } }
    public var savePoints: [SavePoint] { read { $0.savePoints } }
    public var dbFilename: String { read { $0.dbFilename } }
    public var appendOnly: Bool { read { $0.appendOnly } }
    public var appendFilename: String { read { $0.appendFilename } }
    public var appendFsync: AppendFsync { read { $0.appendFsync } }
    /// Bytes; 0: no limit. Saturates at `Int.max`.
    public var maxMemory: Int { read { Int(clamping: $0.maxMemory) } }
    /// The policy name (`noeviction`, `allkeys-lru`, ...).
    public var maxMemoryPolicy: String { read { $0.maxMemoryPolicy.rawValue } }
    public var maxMemoryPolicyKind: MaxMemoryPolicy { read { $0.maxMemoryPolicy } }
    public var maxMemorySamples: Int { read { $0.maxMemorySamples } }
    public var listMaxListpackSize: Int { read { $0.listMaxListpackSize } }
    public var hashMaxListpackEntries: Int { read { $0.hashMaxListpackEntries } }
    public var hashMaxListpackValue: Int { read { $0.hashMaxListpackValue } }
    public var setMaxIntsetEntries: Int { read { $0.setMaxIntsetEntries } }
    public var zsetMaxListpackEntries: Int { read { $0.zsetMaxListpackEntries } }
    public var zsetMaxListpackValue: Int { read { $0.zsetMaxListpackValue } }
    public var lfuLogFactor: Int { read { $0.lfuLogFactor } }
    public var lfuDecayTime: Int { read { $0.lfuDecayTime } }
    public var activeExpireEffort: Int { read { $0.activeExpireEffort } }
    public var latencyMonitorThreshold: Int { read { $0.latencyMonitorThreshold } }
    public var slowlogLogSlowerThan: Int { read { $0.slowlogLogSlowerThan } }
    public var slowlogMaxLen: Int { read { $0.slowlogMaxLen } }
    public var supervised: SupervisedMode { read { $0.supervised } }
    public var enableProtectedConfigs: ProtectedAction { read { $0.enableProtectedConfigs } }
    public var enableDebugCommand: ProtectedAction { read { $0.enableDebugCommand } }
    public var enableModuleCommand: ProtectedAction { read { $0.enableModuleCommand } }

    /// Records how many I/O threads the server chose when `io-threads` was not configured, so
    /// CONFIG GET io-threads reports it. No effect when `io-threads` was configured.
    public func setEffectiveIOThreads(_ count: Int) {
        state.withLock { $0.values.effectiveIOThreads = count }
    }

    // MARK: CONFIG GET

    /// CONFIG GET with one pattern.
    public func get(pattern: String) -> [(String, String)] { get(patterns: [pattern]) }

    /// CONFIG GET as Redis 7.0 answers it: each argument is a glob pattern matched
    /// case-insensitively against every directive name and alias (hidden ones only by exact
    /// name); a name without `*?[` is looked up directly and echoed as given. No name is
    /// reported twice.
    public func get(patterns: [String]) -> [(String, String)] {
        let values = self.values
        var out: [(String, String)] = []
        var seen = Set<String>()
        for pattern in patterns {
            if !isGlobPattern(pattern) {
                let key = pattern.lowercased()
                if seen.contains(key) { continue }
                if let value = Self.format(key, values) {
                    seen.insert(key)
                    out.append((pattern, value))
                }
                continue
            }
            for entry in RedisDirectives.standard where !entry.flags.contains(.hidden) {
                for name in [entry.name] + (entry.alias.map { [$0] } ?? []) {
                    if seen.contains(name) || !globMatch(pattern: pattern, string: name, nocase: true) { continue }
                    seen.insert(name)
                    out.append((name, Self.format(name, values) ?? ""))
                }
            }
        }
        return out
    }

    /// The CONFIG GET value of a directive (name or alias), or nil if there is none such.
    public func value(of name: String) -> String? { Self.format(name.lowercased(), values) }

    static func format(_ lowercasedName: String, _ values: ConfigValues) -> String? {
        if let directive = ConfigDirective.lookup(lowercasedName) { return directive.format(values) }
        guard let entry = RedisDirectives.lookup(lowercasedName) else { return nil }
        return values.unimplemented[entry.name] ?? entry.defaultValue
    }

    // MARK: CONFIG SET

    /// CONFIG SET with Redis 7.0 semantics: several pairs at once, all or nothing.
    ///
    /// - Parameter localClient: whether the client connects from a local address (for
    ///   `enable-protected-configs local`).
    /// - Returns: on success, warnings to log (values stored but not acted upon by Shoal).
    @discardableResult
    public func set(_ pairs: [(String, String)], localClient: Bool = false) -> Result<[String], ConfigSetError> {
        var warnings: [String] = []
        var notifications: [(Registration, String, String)] = []
        let result: Result<[String], ConfigSetError> = state.withLock { state in
            // Phase 1: resolve every name; the first problem wins, as in configSetCommand().
            var targets: [(entry: RedisDirective, matched: String, value: String)] = []
            for (given, value) in pairs {
                let key = given.lowercased()
                guard let entry = RedisDirectives.lookup(key) else { return .failure(.unknownOption(given)) }
                let typed = ConfigDirective.lookup(key)
                let mutability: ConfigDirective.Mutability =
                    typed?.mutability
                    ?? (entry.flags.contains(.immutable) ? .immutable : entry.flags.contains(.protected) ? .protected : .mutable)
                switch mutability {
                case .immutable:
                    return .failure(.failed(argument: given, reason: "can't set immutable config"))
                case .protected where !state.values.enableProtectedConfigs.allows(localClient: localClient):
                    return .failure(.failed(argument: given, reason: "can't set protected config"))
                default: break
                }
                if targets.contains(where: { $0.entry.name == entry.name }) {
                    return .failure(.failed(argument: given, reason: "duplicate parameter"))
                }
                targets.append((entry, key, value))
            }

            // Phase 2: set everything on a copy; commit only if all succeed.
            var newValues = state.values
            for target in targets {
                let typed = ConfigDirective.lookup(target.matched)
                let multiArg = typed?.multiArg ?? target.entry.flags.contains(.multiArg)
                let args = multiArg
                    ? target.value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                    : [target.value]
                do throws(DirectiveError) {
                    if let typed {
                        try typed.set(args, into: &newValues, loading: false)
                    } else {
                        try UnimplementedDirectives.set(target.entry, args, into: &newValues, loading: false)
                    }
                } catch {
                    return .failure(.failed(argument: target.matched, reason: error.reason))
                }
            }

            // Commit and work out what changed.
            let old = state.values
            state.values = newValues
            for target in targets {
                let name = target.entry.name
                guard let after = Self.format(name, newValues) else { continue }
                if let typed = ConfigDirective.lookup(name) {
                    if unenforced.contains(name) && after != typed.neutralValue {
                        warnings.append(Self.unenforcedWarning(name, after))
                    }
                } else {
                    warnings.append(Self.unsupportedWarning(name))
                }
                if Self.format(name, old) != after {
                    for registration in state.observers where registration.name == nil || registration.name == name {
                        notifications.append((registration, name, after))
                    }
                }
            }
            return .success(warnings)
        }
        // Observers run outside the lock: they may read the configuration.
        if case .success = result {
            for (registration, name, value) in notifications { registration.handler(name, value) }
        }
        return result
    }

    // MARK: Observers

    /// Calls `handler` with the canonical directive name after every CONFIG SET that changes a value.
    @discardableResult
    public func onChange(_ handler: @escaping Observer) -> ObserverToken {
        register(name: nil) { name, _ in handler(name) }
    }

    /// Calls `handler` with the new value (as CONFIG GET prints it) after CONFIG SET changes `name`.
    @discardableResult
    public func onChange(_ name: String, _ handler: @escaping ValueObserver) -> ObserverToken {
        let canonical = RedisDirectives.lookup(name)?.name ?? name.lowercased()
        return register(name: canonical) { _, value in handler(value) }
    }

    public func removeObserver(_ token: ObserverToken) {
        state.withLock { $0.observers.removeAll { $0.token == token } }
    }

    private func register(name: String?, _ handler: @escaping @Sendable (String, String) -> Void) -> ObserverToken {
        state.withLock { state in
            let token = ObserverToken(id: state.nextToken)
            state.nextToken += 1
            state.observers.append(Registration(token: token, name: name, handler: handler))
            return token
        }
    }

    // MARK: Warning texts

    static func unsupportedWarning(_ name: String) -> String {
        "Directive '\(name)' is recognised but not supported by Shoal yet; ignored"
    }

    static func unenforcedWarning(_ name: String, _ value: String) -> String {
        "Directive '\(name)' is set to '\(value)' but Shoal does not act on it yet; the value is only stored"
    }
}
