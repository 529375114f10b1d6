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

/// Thresholds for the compact encodings of small collections, shared by every connection so that
/// CONFIG SET takes effect at once (`hash-max-listpack-entries` ...). Read racily: a handler sees
/// the old or the new value, either of which is valid.
public final class EncodingLimits: @unchecked Sendable {
    public var listMaxListpackSize = -2
    public var hashMaxListpackEntries = 512
    public var hashMaxListpackValue = 64
    public var setMaxIntsetEntries = 512
    public var zsetMaxListpackEntries = 128
    public var zsetMaxListpackValue = 64
    public init() {}
}

/// Clients blocked on keys (BLPOP, BZPOPMIN ...), as far as handlers need to know: how many there
/// are. The server keeps the real registry; the count is read under the key's slot lock, which a
/// blocking client also holds when it registers, so a push never misses a waiter.
public final class BlockedClientCount: @unchecked Sendable {
    public var value = 0
    public init() {}
}

/// A blocking command's wish to wait (see `CommandContext.block`).
public struct BlockRequest: Sendable {
    /// Argument indices of the keys to wait on.
    public var keyIndices: [Int]
    /// Seconds to wait; 0 waits forever.
    public var timeout: Double
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
    /// Compact-encoding thresholds (the server shares one instance between connections).
    public var encodings = EncodingLimits()
    /// How many clients wait on keys; `signalKeyReady` does nothing while it is 0.
    public var blockedClients: BlockedClientCount? = nil
    /// Keys that got elements a blocked client may want (filled by `signalKeyReady`, drained by the server).
    public var readyKeys: [(db: Int, key: [UInt8])] = []
    /// Set by a blocking command that found nothing to pop (see `block`).
    public var blockRequest: BlockRequest? = nil
    /// The argument index whose hash slot the dispatcher already computed (to route or lock the
    /// command), or -1; `key(_:)` then skips a second CRC16. Valid for one handler call only.
    public var knownSlotIndex = -1
    public var knownSlot = 0

    /// The key at argument `i`, its slot taken from the dispatcher when it computed it already.
    @inline(__always)
    public func key(_ i: Int) -> Key {
        i == knownSlotIndex ? Key(args[i], slot: knownSlot) : Key(args[i])
    }
    /// False when the command runs where it must not block (re-run for a woken client, MULTI,
    /// scripts): the handler then replies as on timeout.
    public var mayBlock = true

    /// Tells the server a list or sorted set at `key` (in the current database) just got elements,
    /// so clients blocked on it can be served after this command. Costs nothing when nobody waits.
    @inlinable
    public mutating func signalKeyReady(_ key: UnsafeRawBufferPointer) {
        if let blockedClients, blockedClients.value > 0 { readyKeys.append((db, Array(key))) }
    }

    /// Called by a blocking command (BLPOP, BZPOPMIN ...) that has nothing to return yet, instead
    /// of writing a reply: the server parks the client until one of the keys is signalled (and runs
    /// the same command again) or the timeout passes (and replies with a null array).
    public mutating func block(keyIndices: [Int], timeout: Double) {
        blockRequest = BlockRequest(keyIndices: keyIndices, timeout: timeout)
    }

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
