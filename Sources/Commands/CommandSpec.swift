import Keyspace
import RESP

/// Runs one command. Arity has been checked and the slots of the command's keys are locked
/// (see `KeyspaceAccess`) before the handler is called; the handler writes exactly one reply.
public typealias CommandHandler = @Sendable (inout CommandContext) -> Void

/// How the dispatcher must lock the keyspace around a handler. With one event loop no lock is
/// taken at all; with several, a command on one slot never waits for commands on other slots.
public enum KeyspaceAccess: Sendable {
    /// Touches no keys (PING, ECHO, CLIENT ...).
    case none
    /// Touches only the keys named by the key positions; their slots are locked in ascending order.
    case keys
    /// Touches the whole selected database or several databases (FLUSHALL, SWAPDB, KEYS, DBSIZE):
    /// every slot is locked.
    case all
    /// Locks what it needs itself, slot by slot (SCAN).
    case selfManaged
}

/// Where a command's keys are, in Redis's legacy `first, last, step` form (`last` negative counts
/// from the end), optionally refined by a finder for commands whose keys move (e.g. `MIGRATE`).
public struct KeyPositions: Sendable {
    public var first: Int
    public var last: Int
    public var step: Int
    public var finder: (@Sendable (ArgumentList) -> [Int])?

    public static let none = KeyPositions(first: 0, last: 0, step: 0)

    public init(first: Int, last: Int, step: Int, finder: (@Sendable (ArgumentList) -> [Int])? = nil) {
        self.first = first
        self.last = last
        self.step = step
        self.finder = finder
    }

    /// Exactly one key, at a fixed argument position (`first`).
    @inline(__always)
    public var isSingleFixedKey: Bool { finder == nil && first > 0 && first == last }

    /// The argument indices holding keys for this invocation.
    public func indices(in args: ArgumentList) -> [Int] {
        if let finder { return finder(args) }
        guard first > 0 else { return [] }
        let lastIndex = last < 0 ? args.count + last : last
        guard lastIndex >= first else { return [] }
        return Array(stride(from: first, through: min(lastIndex, args.count - 1), by: max(step, 1)))
    }
}

/// One key specification as `COMMAND INFO` reports it (Redis 7 key specs): where the search for
/// keys begins and how keys are found from there, with the access flags of those keys.
public struct KeySpec: Sendable, Equatable {
    public enum BeginSearch: Sendable, Equatable {
        case index(Int)
        case keyword(String, startFrom: Int)
    }

    public enum FindKeys: Sendable, Equatable {
        case range(lastKey: Int, keyStep: Int, limit: Int)
        case keynum(keynumIndex: Int, firstKey: Int, keyStep: Int)
    }

    public var flags: [String]
    public var notes: String?
    public var beginSearch: BeginSearch
    public var findKeys: FindKeys

    public init(flags: [String], notes: String? = nil, beginSearch: BeginSearch, findKeys: FindKeys) {
        self.flags = flags
        self.notes = notes
        self.beginSearch = beginSearch
        self.findKeys = findKeys
    }
}

/// One argument of a command as `COMMAND DOCS` describes it (Redis 7.0's argument schema).
public struct CommandArgument: Sendable {
    public enum Kind: String, Sendable {
        case string, integer, double, key, pattern
        case unixTime = "unix-time"
        case pureToken = "pure-token"
        case oneof, block
    }

    public var name: String
    public var kind: Kind
    /// The literal word that introduces the argument (`EX`, `MATCH`), if any.
    public var token: String?
    public var optional: Bool
    public var multiple: Bool
    /// Alternatives (`oneof`) or parts (`block`).
    public var arguments: [CommandArgument]
    /// For `key` arguments: which key spec describes it (always 0 for single-spec commands).
    public var keySpecIndex: Int?
    /// The Redis version that added the argument, when later than the command itself.
    public var since: String?
    /// The Redis version that deprecated the argument, if any.
    public var deprecatedSince: String?

    public init(
        _ name: String, _ kind: Kind, token: String? = nil, optional: Bool = false, multiple: Bool = false,
        keySpecIndex: Int? = nil, since: String? = nil, deprecatedSince: String? = nil,
        arguments: [CommandArgument] = []
    ) {
        self.name = name
        self.kind = kind
        self.token = token
        self.optional = optional
        self.multiple = multiple
        self.since = since
        self.deprecatedSince = deprecatedSince
        self.arguments = arguments
        self.keySpecIndex = kind == .key ? (keySpecIndex ?? 0) : keySpecIndex
    }
}

/// One entry of the command table: it drives dispatch, arity checks, key extraction, locking,
/// and what `COMMAND INFO` / `COMMAND DOCS` report, so those can never disagree.
public struct CommandSpec: Sendable {
    /// Lower case, e.g. `"get"`; a subcommand's name is its own word (`"encoding"`), reported as
    /// `object|encoding`.
    public var name: String
    /// Redis arity: positive is exact, negative is a minimum; it counts the command name (and for a
    /// subcommand, the container's name too).
    public var arity: Int
    /// Redis command flags as `COMMAND INFO` reports them (`write`, `readonly`, `denyoom`, `fast`,
    /// `admin`, `noscript`, `loading`, `stale`, `no_auth`, ...).
    public var flags: [String]
    public var keys: KeyPositions
    /// ACL categories without the `@`, beyond those Redis derives from flags (`keyspace`, `string`, ...).
    public var aclCategories: [String]
    public var access: KeyspaceAccess
    /// COMMAND DOCS fields.
    public var summary: String
    public var since: String
    public var group: String
    public var complexity: String
    public var subcommands: [CommandSpec]
    /// What `COMMAND DOCS` lists under `arguments` (omitted when empty).
    public var arguments: [CommandArgument]
    public var handler: CommandHandler

    public init(
        name: String, arity: Int, flags: [String], keys: KeyPositions = .none,
        aclCategories: [String] = [], access: KeyspaceAccess? = nil,
        summary: String, since: String, group: String, complexity: String = "O(1)",
        subcommands: [CommandSpec] = [],
        arguments: [CommandArgument] = [],
        handler: @escaping CommandHandler = { ctx in ctx.reply.error("ERR unsupported") }
    ) {
        self.name = name
        self.arity = arity
        self.flags = flags
        self.keys = keys
        self.aclCategories = aclCategories
        self.access = access ?? (keys.first > 0 || keys.finder != nil ? .keys : .none)
        self.summary = summary
        self.since = since
        self.group = group
        self.complexity = complexity
        self.subcommands = subcommands
        self.arguments = arguments
        self.handler = handler
    }

    public var isWrite: Bool { flags.contains("write") }
}
