import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/*.json`).
private typealias Arg = CommandArgument
private let flushMode = Arg("async", .oneof, optional: true, arguments: [
    Arg("async", .pureToken, token: "ASYNC", since: "4.0.0"), Arg("sync", .pureToken, token: "SYNC", since: "6.2.0"),
])

/// DBSIZE, FLUSHDB, FLUSHALL, SELECT, SWAPDB.
let databaseCommands: [CommandSpec] = [
    CommandSpec(
        name: "dbsize", arity: 1, flags: ["readonly", "fast"], aclCategories: ["keyspace"], access: .all,
        summary: "Return the number of keys in the selected database", since: "1.0.0", group: "server",
        handler: DatabaseCommands.dbsize),
    CommandSpec(
        name: "flushdb", arity: -1, flags: ["write"], aclCategories: ["keyspace", "dangerous"], access: .all,
        summary: "Remove all keys from the current database", since: "1.0.0", group: "server",
        complexity: "O(N) where N is the number of keys in the selected database",
        arguments: [flushMode],
        handler: { DatabaseCommands.flush(&$0, all: false) }),
    CommandSpec(
        name: "flushall", arity: -1, flags: ["write"], aclCategories: ["keyspace", "dangerous"], access: .all,
        summary: "Remove all keys from all databases", since: "1.0.0", group: "server",
        complexity: "O(N) where N is the total number of keys in all databases",
        arguments: [flushMode],
        handler: { DatabaseCommands.flush(&$0, all: true) }),
    CommandSpec(
        name: "select", arity: 2, flags: ["loading", "stale", "fast"], aclCategories: ["connection"], access: KeyspaceAccess.none,
        summary: "Change the selected database for the current connection", since: "1.0.0", group: "connection",
        arguments: [Arg("index", .integer)],
        handler: DatabaseCommands.select),
    CommandSpec(
        name: "swapdb", arity: 3, flags: ["write", "fast"], aclCategories: ["keyspace", "dangerous"], access: .all,
        summary: "Swaps two Redis databases", since: "4.0.0", group: "server",
        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        arguments: [Arg("index1", .integer), Arg("index2", .integer)],
        handler: DatabaseCommands.swapdb),
]

enum DatabaseCommands {
    static func dbsize(_ ctx: inout CommandContext) {
        ctx.reply.integer(ctx.keyspace.keyCount(db: ctx.db))
    }

    /// FLUSHDB / FLUSHALL [ASYNC | SYNC]. Memory is always freed synchronously (ASYNC is accepted).
    static func flush(_ ctx: inout CommandContext, all: Bool) {
        if ctx.args.count > 2 {
            ctx.reply.error(CommandError.syntax)
            return
        }
        if ctx.args.count == 2 && !ctx.args[1].equalsIgnoringCase("SYNC") && !ctx.args[1].equalsIgnoringCase("ASYNC") {
            ctx.reply.error(CommandError.syntax)
            return
        }
        if all {
            ctx.keyspace.flushAll()
        } else {
            ctx.keyspace.flush(db: ctx.db)
        }
        ctx.reply.ok()
    }

    static func select(_ ctx: inout CommandContext) {
        guard let id = parseInt32(ctx.args[1]) else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        if ctx.limits.clusterEnabled && id != 0 {
            ctx.reply.error(KeyErrors.selectInCluster)
            return
        }
        guard id >= 0 && id < ctx.keyspace.databaseCount else {
            ctx.reply.error(CommandError.dbIndexOutOfRange)
            return
        }
        ctx.db = id
        ctx.reply.ok()
    }

    static func swapdb(_ ctx: inout CommandContext) {
        if ctx.limits.clusterEnabled {
            ctx.reply.error(KeyErrors.swapdbInCluster)
            return
        }
        guard let a = parseInt32(ctx.args[1]) else {
            ctx.reply.error(KeyErrors.invalidFirstDB)
            return
        }
        guard let b = parseInt32(ctx.args[2]) else {
            ctx.reply.error(KeyErrors.invalidSecondDB)
            return
        }
        let n = ctx.keyspace.databaseCount
        guard a >= 0 && a < n && b >= 0 && b < n else {
            ctx.reply.error(CommandError.dbIndexOutOfRange)
            return
        }
        ctx.keyspace.swapDatabases(a, b)
        ctx.reply.ok()
    }
}
