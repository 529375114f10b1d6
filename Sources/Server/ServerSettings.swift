#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import ServerConfig

/// The configuration values the node reads while it runs, kept as plain fields so the hot path
/// never takes the configuration's lock. CONFIG SET updates them through change observers.
final class ServerSettings: @unchecked Sendable {
    let port: Int
    let bindAddresses: [String]
    let databases: Int
    let tcpBacklog: Int
    /// 0: one event loop per usable core.
    let ioThreads: Int
    let configFile: String
    var protectedMode: Bool
    var hz: Int
    var maxClients: Int
    var timeoutSeconds: Int
    var tcpKeepalive: Int
    var protoMaxBulkLen: Int
    var clientQueryBufferLimit: Int
    var maxMemory: Int
    var maxMemoryPolicy: String
    private let passwordLock = NIOLock()
    private var password: String?

    init(_ c: Configuration) {
        port = c.port
        bindAddresses = c.bindAddresses
        databases = c.databases
        tcpBacklog = c.tcpBacklog
        ioThreads = c.ioThreads
        configFile = c.configFile
        protectedMode = c.protectedMode
        hz = c.hz
        maxClients = c.maxClients
        timeoutSeconds = c.timeoutSeconds
        tcpKeepalive = c.tcpKeepalive
        protoMaxBulkLen = c.protoMaxBulkLen
        clientQueryBufferLimit = c.clientQueryBufferLimit
        maxMemory = c.maxMemory
        maxMemoryPolicy = c.maxMemoryPolicy
        password = c.requirePass.isEmpty ? nil : c.requirePass
    }

    var requirePass: String? { passwordLock.withLock { password } }
    var requiresAuth: Bool { requirePass != nil }

    /// Keeps the fields in step with CONFIG SET.
    func observe(_ c: Configuration, server: ShoalServer) {
        c.onChange { [unowned self, unowned server] name in
            switch name {
            case "hz":
                hz = c.hz
                server.rescheduleActiveExpire()
            case "maxclients": maxClients = c.maxClients
            case "timeout": timeoutSeconds = c.timeoutSeconds
            case "tcp-keepalive": tcpKeepalive = c.tcpKeepalive
            case "protected-mode": protectedMode = c.protectedMode
            case "proto-max-bulk-len": protoMaxBulkLen = c.protoMaxBulkLen
            case "client-query-buffer-limit": clientQueryBufferLimit = c.clientQueryBufferLimit
            case "maxmemory": maxMemory = c.maxMemory
            case "maxmemory-policy", "lfu-log-factor", "lfu-decay-time":
                maxMemoryPolicy = c.maxMemoryPolicy
                server.applyEvictionSettings()
            case "list-max-listpack-size", "hash-max-listpack-entries", "hash-max-listpack-value",
                "set-max-intset-entries", "zset-max-listpack-entries", "zset-max-listpack-value":
                server.applyEncodingLimits()
            case let name where name.hasPrefix("cluster-"):
                server.applyClusterSettings()
            case "appendonly":
                if c.appendOnly { server.appendOnly.startRewrite() } else { server.appendOnly.turnOff() }
            case "appendfsync":
                server.appendOnly.writer?.policy = server.appendOnly.fsyncPolicy
            case "save", "stop-writes-on-bgsave-error":
                server.refreshWriteDenial()
            case "dir":
                // Redis chdir()s: every file name (dbfilename, the AOF directory) is relative to it.
                if chdir(c.dir) != 0 { server.log.warning("Can't chdir to '\(c.dir)': \(String(cString: strerror(errno)))") }
            case "requirepass":
                let value = c.requirePass
                passwordLock.withLock { password = value.isEmpty ? nil : value }
            default: break
            }
        }
    }
}
