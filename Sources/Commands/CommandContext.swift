import Keyspace
import RESP

/// Counters one event loop updates without synchronisation; `INFO stats` sums them over loops.
/// Reads from another thread may see a slightly old value, never a torn one (aligned 64-bit words).
public final class CommandStats: @unchecked Sendable {
    public var commandsProcessed = 0
    public var keyspaceHits = 0
    public var keyspaceMisses = 0
    public init() {}

    public func reset() {
        commandsProcessed = 0
        keyspaceHits = 0
        keyspaceMisses = 0
    }
}

/// Limits and policies from the configuration that handlers must honour.
public struct CommandLimits: Sendable {
    /// `proto-max-bulk-len`: the largest string SETRANGE / APPEND may build.
    public var maxBulkLength: Int = 512 * 1024 * 1024
    /// `cluster-enabled`: SELECT of a non-zero database, SWAPDB and COPY ... DB are refused.
    public var clusterEnabled: Bool = false
    public init() {}
}

/// Everything a handler may use while it runs one command.
public struct CommandContext {
    /// The command's arguments; `args[0]` is the command name.
    public var args: ArgumentList
    /// Where the handler writes its single reply.
    public var reply: RESPWriter
    public let keyspace: Keyspace
    /// The connection's selected database (SELECT changes it; the connection keeps the new value).
    public var db: Int
    /// Milliseconds since the Unix epoch, read once per batch of commands (Redis caches it the same way).
    public var now: Int64
    public let stats: CommandStats
    public var limits: CommandLimits
    /// The connection running the command; server-level handlers (CLIENT, HELLO, AUTH ...) cast it
    /// to their connection type. Keyspace handlers never need it.
    public var session: AnyObject? = nil

    public init(
        args: ArgumentList, reply: RESPWriter, keyspace: Keyspace, db: Int, now: Int64,
        stats: CommandStats, limits: CommandLimits
    ) {
        self.args = args
        self.reply = reply
        self.keyspace = keyspace
        self.db = db
        self.now = now
        self.stats = stats
        self.limits = limits
    }
}

/// Redis's standard error texts, written once.
public enum CommandError {
    public static let syntax: StaticString = "ERR syntax error"
    public static let notInteger: StaticString = "ERR value is not an integer or out of range"
    public static let notFloat: StaticString = "ERR value is not a valid float"
    public static let wrongType: StaticString = "WRONGTYPE Operation against a key holding the wrong kind of value"
    public static let noSuchKey: StaticString = "ERR no such key"
    public static let dbIndexOutOfRange: StaticString = "ERR DB index is out of range"

    public static func wrongArity(_ name: String) -> String {
        "ERR wrong number of arguments for '\(name)' command"
    }
}
