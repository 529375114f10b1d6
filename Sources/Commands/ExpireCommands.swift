import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/*.json`).
private typealias Arg = CommandArgument
private let keyArg = Arg("key", .key)
private let condition = Arg("condition", .oneof, optional: true, since: "7.0.0", arguments: [
    Arg("nx", .pureToken, token: "NX"), Arg("xx", .pureToken, token: "XX"),
    Arg("gt", .pureToken, token: "GT"), Arg("lt", .pureToken, token: "LT"),
])

/// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT, TTL / PTTL / EXPIRETIME / PEXPIRETIME, PERSIST.
let expireCommands: [CommandSpec] = [
    CommandSpec(
        name: "expire", arity: -3, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Set a key's time to live in seconds", since: "1.0.0", group: "generic",
        arguments: [keyArg, Arg("seconds", .integer), condition],
        handler: { ExpireCommands.expire(&$0, seconds: true, absolute: false) }),
    CommandSpec(
        name: "pexpire", arity: -3, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Set a key's time to live in milliseconds", since: "2.6.0",
        group: "generic", arguments: [keyArg, Arg("milliseconds", .integer), condition],
        handler: { ExpireCommands.expire(&$0, seconds: false, absolute: false) }),
    CommandSpec(
        name: "expireat", arity: -3, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Set the expiration for a key as a UNIX timestamp", since: "1.2.0",
        group: "generic", arguments: [keyArg, Arg("unix-time-seconds", .unixTime), condition],
        handler: { ExpireCommands.expire(&$0, seconds: true, absolute: true) }),
    CommandSpec(
        name: "pexpireat", arity: -3, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        since: "2.6.0", group: "generic", arguments: [keyArg, Arg("unix-time-milliseconds", .unixTime), condition],
        handler: { ExpireCommands.expire(&$0, seconds: false, absolute: true) }),
    CommandSpec(
        name: "ttl", arity: 2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Get the time to live for a key in seconds", since: "1.0.0",
        group: "generic", arguments: [keyArg],
        handler: { ExpireCommands.ttl(&$0, milliseconds: false, absolute: false) }),
    CommandSpec(
        name: "pttl", arity: 2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Get the time to live for a key in milliseconds", since: "2.6.0",
        group: "generic", arguments: [keyArg],
        handler: { ExpireCommands.ttl(&$0, milliseconds: true, absolute: false) }),
    CommandSpec(
        name: "expiretime", arity: 2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Get the expiration Unix timestamp for a key", since: "7.0.0",
        group: "generic", arguments: [keyArg],
        handler: { ExpireCommands.ttl(&$0, milliseconds: false, absolute: true) }),
    CommandSpec(
        name: "pexpiretime", arity: 2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Get the expiration Unix timestamp for a key in milliseconds",
        since: "7.0.0", group: "generic", arguments: [keyArg],
        handler: { ExpireCommands.ttl(&$0, milliseconds: true, absolute: true) }),
    CommandSpec(
        name: "persist", arity: 2, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Remove the expiration from a key", since: "2.2.0", group: "generic",
        arguments: [keyArg],
        handler: ExpireCommands.persist),
]

enum ExpireCommands {
    static let nx = 1
    static let xx = 2
    static let gt = 4
    static let lt = 8

    /// Redis's `expireGenericCommand`: a time in the past (or now) deletes the key.
    static func expire(_ ctx: inout CommandContext, seconds: Bool, absolute: Bool) {
        var flags = 0
        for i in 3..<max(3, ctx.args.count) {
            let option = ctx.args[i]
            if option.equalsIgnoringCase("NX") {
                flags |= nx
            } else if option.equalsIgnoringCase("XX") {
                flags |= xx
            } else if option.equalsIgnoringCase("GT") {
                flags |= gt
            } else if option.equalsIgnoringCase("LT") {
                flags |= lt
            } else {
                ctx.reply.error("ERR Unsupported option \(option.string)")
                return
            }
        }
        if flags & nx != 0 && flags & (xx | gt | lt) != 0 {
            ctx.reply.error(KeyErrors.nxAndOthers)
            return
        }
        if flags & gt != 0 && flags & lt != 0 {
            ctx.reply.error(KeyErrors.gtAndLt)
            return
        }
        guard var when = ctx.args[2].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        if seconds {
            if when > Int64.max / 1000 || when < Int64.min / 1000 {
                ctx.reply.error(KeyErrors.invalidExpireTime(ctx.commandName))
                return
            }
            when *= 1000
        }
        let base = absolute ? 0 : ctx.now
        if when > Int64.max - base {
            ctx.reply.error(KeyErrors.invalidExpireTime(ctx.commandName))
            return
        }
        when += base
        let key = ctx.key(1)
        guard let e = ctx.lookupWrite(key) else {
            ctx.reply.integer(0)
            return
        }
        if flags != 0 {
            let current = e.expireAt
            if flags & nx != 0 && current != nil { ctx.reply.integer(0); return }
            if flags & xx != 0 && current == nil { ctx.reply.integer(0); return }
            if flags & gt != 0 {
                guard let current, when > current else { ctx.reply.integer(0); return }
            }
            if flags & lt != 0, let current, when >= current { ctx.reply.integer(0); return }
        }
        if when <= ctx.now {
            ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
        } else {
            ctx.keyspace.setExpire(db: ctx.db, key: key, at: when, now: ctx.now)
        }
        ctx.reply.integer(1)
    }

    static func ttl(_ ctx: inout CommandContext, milliseconds: Bool, absolute: Bool) {
        guard let e = ctx.lookupRead(ctx.key(1), touch: false) else {
            ctx.reply.integer(-2)
            return
        }
        guard let at = e.expireAt else {
            ctx.reply.integer(-1)
            return
        }
        var ttl = absolute ? at : at - ctx.now
        if ttl < 0 { ttl = 0 }
        ctx.reply.integer(Int(milliseconds ? ttl : (ttl + 500) / 1000))
    }

    static func persist(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        guard ctx.lookupWrite(key) != nil else {
            ctx.reply.integer(0)
            return
        }
        ctx.reply.integer(ctx.keyspace.removeExpire(db: ctx.db, key: key, now: ctx.now) ? 1 : 0)
    }
}
