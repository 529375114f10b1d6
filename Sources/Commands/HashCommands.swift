import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/h*.json`).
private typealias Arg = CommandArgument
private let keyArg = Arg("key", .key)
private let fieldArg = Arg("field", .string)
private let fieldValuePairs = Arg(
    "field_value", .block, multiple: true, arguments: [Arg("field", .string), Arg("value", .string)])
private let hashKeys = KeyPositions(first: 1, last: 1, step: 1)
private let wholeHash = "O(N) where N is the size of the hash."

/// The hash commands (Redis 7.0 `t_hash.c` semantics). Small hashes live inline in their entry
/// (`HashListpack`), large ones in a `HashFieldTable`; see `HashStorage` for the rules.
public let hashCommands: [CommandSpec] = [
    CommandSpec(
        name: "hset", arity: -4, flags: ["write", "denyoom", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Set the string value of a hash field", since: "2.0.0", group: "hash",
        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        arguments: [keyArg, fieldValuePairs],
        handler: { HashCommands.hset(&$0, replyOK: false) }),
    CommandSpec(
        name: "hsetnx", arity: 4, flags: ["write", "denyoom", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Set the value of a hash field, only if the field does not exist", since: "2.0.0", group: "hash",
        arguments: [keyArg, fieldArg, Arg("value", .string)],
        handler: HashCommands.hsetnx),
    CommandSpec(
        name: "hget", arity: 3, flags: ["readonly", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Get the value of a hash field", since: "2.0.0", group: "hash",
        arguments: [keyArg, fieldArg],
        handler: HashCommands.hget),
    CommandSpec(
        name: "hmget", arity: -3, flags: ["readonly", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Get the values of all the given hash fields", since: "2.0.0", group: "hash",
        complexity: "O(N) where N is the number of fields being requested.",
        arguments: [keyArg, Arg("field", .string, multiple: true)],
        handler: HashCommands.hmget),
    CommandSpec(
        name: "hmset", arity: -4, flags: ["write", "denyoom", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Set multiple hash fields to multiple values", since: "2.0.0", group: "hash",
        complexity: "O(N) where N is the number of fields being set.",
        arguments: [keyArg, fieldValuePairs],
        handler: { HashCommands.hset(&$0, replyOK: true) }),
    CommandSpec(
        name: "hdel", arity: -3, flags: ["write", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Delete one or more hash fields", since: "2.0.0", group: "hash",
        complexity: "O(N) where N is the number of fields to be removed.",
        arguments: [keyArg, Arg("field", .string, multiple: true)],
        handler: HashCommands.hdel),
    CommandSpec(
        name: "hlen", arity: 2, flags: ["readonly", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Get the number of fields in a hash", since: "2.0.0", group: "hash",
        arguments: [keyArg],
        handler: HashCommands.hlen),
    CommandSpec(
        name: "hexists", arity: 3, flags: ["readonly", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Determine if a hash field exists", since: "2.0.0", group: "hash",
        arguments: [keyArg, fieldArg],
        handler: HashCommands.hexists),
    CommandSpec(
        name: "hkeys", arity: 2, flags: ["readonly"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Get all the fields in a hash", since: "2.0.0", group: "hash", complexity: wholeHash,
        arguments: [keyArg],
        handler: { HashCommands.getAll(&$0, fields: true, values: false) }),
    CommandSpec(
        name: "hvals", arity: 2, flags: ["readonly"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Get all the values in a hash", since: "2.0.0", group: "hash", complexity: wholeHash,
        arguments: [keyArg],
        handler: { HashCommands.getAll(&$0, fields: false, values: true) }),
    CommandSpec(
        name: "hgetall", arity: 2, flags: ["readonly"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Get all the fields and values in a hash", since: "2.0.0", group: "hash", complexity: wholeHash,
        arguments: [keyArg],
        handler: { HashCommands.getAll(&$0, fields: true, values: true) }),
    CommandSpec(
        name: "hincrby", arity: 4, flags: ["write", "denyoom", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Increment the integer value of a hash field by the given number", since: "2.0.0", group: "hash",
        arguments: [keyArg, fieldArg, Arg("increment", .integer)],
        handler: HashCommands.hincrby),
    CommandSpec(
        name: "hincrbyfloat", arity: 4, flags: ["write", "denyoom", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Increment the float value of a hash field by the given amount", since: "2.6.0", group: "hash",
        arguments: [keyArg, fieldArg, Arg("increment", .double)],
        handler: HashCommands.hincrbyfloat),
    CommandSpec(
        name: "hstrlen", arity: 3, flags: ["readonly", "fast"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Get the length of the value of a hash field", since: "3.2.0", group: "hash",
        arguments: [keyArg, fieldArg],
        handler: HashCommands.hstrlen),
    CommandSpec(
        name: "hrandfield", arity: -2, flags: ["readonly"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Get one or multiple random fields from a hash", since: "6.2.0", group: "hash",
        complexity: "O(N) where N is the number of fields returned",
        arguments: [
            keyArg,
            Arg("options", .block, optional: true, arguments: [
                Arg("count", .integer),
                Arg("withvalues", .pureToken, token: "WITHVALUES", optional: true),
            ]),
        ],
        handler: HashCommands.hrandfield),
    CommandSpec(
        name: "hscan", arity: -3, flags: ["readonly"], keys: hashKeys, aclCategories: ["hash"],
        summary: "Incrementally iterate hash fields and associated values", since: "2.8.0", group: "hash",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        arguments: [
            keyArg, Arg("cursor", .integer), Arg("pattern", .pattern, token: "MATCH", optional: true),
            Arg("count", .integer, token: "COUNT", optional: true),
        ],
        handler: HashCommands.hscan),
]

/// Error texts of the hash commands (Redis 7.0 wording).
enum HashErrors {
    static let notInteger: StaticString = "ERR hash value is not an integer"
    static let notFloat: StaticString = "ERR hash value is not a float"
    static let incrementNotFinite: StaticString = "ERR value is NaN or Infinity"
    static let outOfRange: StaticString = "ERR value is out of range"
    static let countOutOfRange: StaticString =
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
}

/// A stored hash as the handlers read it: inline pairs or a table.
enum HashView {
    case compact(HashListpack)
    case table(HashFieldTable)

    /// The hash held by `entry` (whose type is `.hash`).
    init(_ entry: EntryRef) {
        if entry.holdsObject {
            self = .table(HashView.table(of: entry))
        } else {
            self = .compact(HashListpack(entry.valueBytes))
        }
    }

    /// The table object of an entry holding one. Only `HashFieldTable`s are stored for hashes
    /// (COPY deep-copies them), so the downcast is checked in debug builds only.
    static func table(of entry: EntryRef) -> HashFieldTable {
        let raw = entry.valueBytes.baseAddress!.loadUnaligned(as: UnsafeRawPointer.self)
        return unsafeDowncast(Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue(), to: HashFieldTable.self)
    }

    var count: Int {
        switch self {
        case .compact(let c): return c.count
        case .table(let t): return t.count
        }
    }

    func value(of field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        switch self {
        case .compact(let c): return c.value(of: field)
        case .table(let t): return t.value(of: field)
        }
    }

    /// Every pair, in storage order.
    func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        switch self {
        case .compact(let c):
            c.forEach { body($0.field, $0.value) }
        case .table(let t):
            t.forEach { body($0.field, $0.value) }
        }
    }
}

/// Handlers (the read-only ones here; writes in `HashWriteCommands.swift`, HRANDFIELD and
/// HSCAN in `HashRandomCommands.swift`).
enum HashCommands {
    /// A read lookup that replies WRONGTYPE for a non-hash: `.some(nil)` means no such key,
    /// nil means a reply was written.
    static func readHash(_ ctx: inout CommandContext, _ key: Key) -> HashView?? {
        guard let e = ctx.lookupRead(key) else { return .some(nil) }
        guard e.type == .hash else {
            ctx.reply.error(CommandError.wrongType)
            return nil
        }
        return .some(HashView(e))
    }

    static func hget(_ ctx: inout CommandContext) {
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        if let hash = found, let value = hash.value(of: ctx.args[2]) {
            ctx.reply.bulk(value)
        } else {
            ctx.reply.null()
        }
    }

    static func hmget(_ ctx: inout CommandContext) {
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        let n = ctx.args.count
        ctx.reply.arrayHeader(n - 2)
        for i in 2..<n {
            if let hash = found, let value = hash.value(of: ctx.args[i]) {
                ctx.reply.bulk(value)
            } else {
                ctx.reply.null()
            }
        }
    }

    static func hlen(_ ctx: inout CommandContext) {
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        ctx.reply.integer(found?.count ?? 0)
    }

    static func hexists(_ ctx: inout CommandContext) {
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        ctx.reply.integer(found?.value(of: ctx.args[2]) != nil ? 1 : 0)
    }

    static func hstrlen(_ ctx: inout CommandContext) {
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        ctx.reply.integer(found?.value(of: ctx.args[2])?.count ?? 0)
    }

    /// HKEYS, HVALS, HGETALL: a map for HGETALL in RESP3, flat arrays otherwise.
    static func getAll(_ ctx: inout CommandContext, fields: Bool, values: Bool) {
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        let count = found?.count ?? 0
        if fields && values { ctx.reply.mapHeader(count) } else { ctx.reply.arrayHeader(count) }
        guard let hash = found else { return }
        hash.forEach { field, value in
            if fields { ctx.reply.bulk(field) }
            if values { ctx.reply.bulk(value) }
        }
    }
}
