import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/s*.json`).
private typealias Arg = CommandArgument
private let keyArg = Arg("key", .key)
private let keysArg = Arg("key", .key, multiple: true)
private let memberArg = Arg("member", .string)
private let membersArg = Arg("member", .string, multiple: true)
private let storeArgs = [Arg("destination", .key), Arg("key", .key, multiple: true, keySpecIndex: 1)]
private let oneKey = KeyPositions(first: 1, last: 1, step: 1)
private let allKeys = KeyPositions(first: 1, last: -1, step: 1)

private let interComplexity =
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."
private let unionComplexity = "O(N) where N is the total number of elements in all given sets."

/// SINTERCARD's keys: `numkeys` of them after it (clamped to the arguments; the handler reports
/// a bad count).
private let sintercardKeys = KeyPositions(first: 0, last: 0, step: 0) { args in
    guard args.count > 2, let n = args[1].parseInt64(), n > 0 else { return [] }
    return Array(2..<(2 + Int(min(n, Int64(args.count - 2)))))
}

/// The set commands (Redis 7.0 `t_set.c` semantics; encodings `intset` and `hashtable`).
public let setCommands: [CommandSpec] = [
    CommandSpec(
        name: "sadd", arity: -3, flags: ["write", "denyoom", "fast"], keys: oneKey, aclCategories: ["set"],
        summary: "Add one or more members to a set", since: "1.0.0", group: "set",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        arguments: [keyArg, membersArg], handler: SetCommands.sadd),
    CommandSpec(
        name: "srem", arity: -3, flags: ["write", "fast"], keys: oneKey, aclCategories: ["set"],
        summary: "Remove one or more members from a set", since: "1.0.0", group: "set",
        complexity: "O(N) where N is the number of members to be removed.",
        arguments: [keyArg, membersArg], handler: SetCommands.srem),
    CommandSpec(
        name: "smembers", arity: 2, flags: ["readonly"], keys: oneKey, aclCategories: ["set"],
        summary: "Get all the members in a set", since: "1.0.0", group: "set",
        complexity: "O(N) where N is the set cardinality.",
        arguments: [keyArg], handler: { SetCommands.sinter(&$0, keys: 1..<2, destination: nil, cardinalityLimit: nil) }),
    CommandSpec(
        name: "sismember", arity: 3, flags: ["readonly", "fast"], keys: oneKey, aclCategories: ["set"],
        summary: "Determine if a given value is a member of a set", since: "1.0.0", group: "set",
        arguments: [keyArg, memberArg], handler: SetCommands.sismember),
    CommandSpec(
        name: "smismember", arity: -3, flags: ["readonly", "fast"], keys: oneKey, aclCategories: ["set"],
        summary: "Returns the membership associated with the given elements for a set", since: "6.2.0", group: "set",
        complexity: "O(N) where N is the number of elements being checked for membership",
        arguments: [keyArg, membersArg], handler: SetCommands.smismember),
    CommandSpec(
        name: "scard", arity: 2, flags: ["readonly", "fast"], keys: oneKey, aclCategories: ["set"],
        summary: "Get the number of members in a set", since: "1.0.0", group: "set",
        arguments: [keyArg], handler: SetCommands.scard),
    CommandSpec(
        name: "spop", arity: -2, flags: ["write", "fast"], keys: oneKey, aclCategories: ["set"],
        summary: "Remove and return one or multiple random members from a set", since: "1.0.0", group: "set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        arguments: [keyArg, Arg("count", .integer, optional: true, since: "3.2.0")], handler: SetCommands.spop),
    CommandSpec(
        name: "srandmember", arity: -2, flags: ["readonly"], keys: oneKey, aclCategories: ["set"],
        summary: "Get one or multiple random members from a set", since: "1.0.0", group: "set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        arguments: [keyArg, Arg("count", .integer, optional: true, since: "2.6.0")], handler: SetCommands.srandmember),
    CommandSpec(
        name: "smove", arity: 4, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 2, step: 1),
        aclCategories: ["set"], summary: "Move a member from one set to another", since: "1.0.0", group: "set",
        arguments: [Arg("source", .key), Arg("destination", .key, keySpecIndex: 1), memberArg],
        handler: SetCommands.smove),
    CommandSpec(
        name: "sinter", arity: -2, flags: ["readonly"], keys: allKeys, aclCategories: ["set"],
        summary: "Intersect multiple sets", since: "1.0.0", group: "set", complexity: interComplexity,
        arguments: [keysArg],
        handler: { SetCommands.sinter(&$0, keys: 1..<$0.args.count, destination: nil, cardinalityLimit: nil) }),
    CommandSpec(
        name: "sintercard", arity: -3, flags: ["readonly", "movablekeys"], keys: sintercardKeys, aclCategories: ["set"],
        summary: "Intersect multiple sets and return the cardinality of the result", since: "7.0.0", group: "set",
        complexity: interComplexity,
        arguments: [Arg("numkeys", .integer), keysArg, Arg("limit", .integer, token: "LIMIT", optional: true)],
        handler: SetCommands.sintercard),
    CommandSpec(
        name: "sinterstore", arity: -3, flags: ["write", "denyoom"], keys: allKeys, aclCategories: ["set"],
        summary: "Intersect multiple sets and store the resulting set in a key", since: "1.0.0", group: "set",
        complexity: interComplexity, arguments: storeArgs,
        handler: { SetCommands.sinter(&$0, keys: 2..<$0.args.count, destination: 1, cardinalityLimit: nil) }),
    CommandSpec(
        name: "sunion", arity: -2, flags: ["readonly"], keys: allKeys, aclCategories: ["set"],
        summary: "Add multiple sets", since: "1.0.0", group: "set", complexity: unionComplexity,
        arguments: [keysArg],
        handler: { SetCommands.sunionDiff(&$0, keys: 1..<$0.args.count, destination: nil, diff: false) }),
    CommandSpec(
        name: "sunionstore", arity: -3, flags: ["write", "denyoom"], keys: allKeys, aclCategories: ["set"],
        summary: "Add multiple sets and store the resulting set in a key", since: "1.0.0", group: "set",
        complexity: unionComplexity, arguments: storeArgs,
        handler: { SetCommands.sunionDiff(&$0, keys: 2..<$0.args.count, destination: 1, diff: false) }),
    CommandSpec(
        name: "sdiff", arity: -2, flags: ["readonly"], keys: allKeys, aclCategories: ["set"],
        summary: "Subtract multiple sets", since: "1.0.0", group: "set", complexity: unionComplexity,
        arguments: [keysArg],
        handler: { SetCommands.sunionDiff(&$0, keys: 1..<$0.args.count, destination: nil, diff: true) }),
    CommandSpec(
        name: "sdiffstore", arity: -3, flags: ["write", "denyoom"], keys: allKeys, aclCategories: ["set"],
        summary: "Subtract multiple sets and store the resulting set in a key", since: "1.0.0", group: "set",
        complexity: unionComplexity, arguments: storeArgs,
        handler: { SetCommands.sunionDiff(&$0, keys: 2..<$0.args.count, destination: 1, diff: true) }),
    CommandSpec(
        name: "sscan", arity: -3, flags: ["readonly"], keys: oneKey, aclCategories: ["set"],
        summary: "Incrementally iterate Set elements", since: "2.8.0", group: "set",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        arguments: [
            keyArg, Arg("cursor", .integer), Arg("pattern", .pattern, token: "MATCH", optional: true),
            Arg("count", .integer, token: "COUNT", optional: true),
        ],
        handler: SetCommands.sscan),
]

enum SetCommands {
    /// SADD key member [member ...]
    static func sadd(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        let e = ctx.lookupWrite(key)
        if let e, e.type != .set {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        let added = ctx.addMembers(key, entry: e, range: 2..<ctx.args.count)
        // Storing an intset already counted one change.
        let counted = (e == nil || !e!.holdsObject) && added > 0 ? 1 : 0
        if added > counted { ctx.keyspace.addDirty(added - counted, slot: key.slot) }
        ctx.reply.integer(added)
    }

    /// SREM key member [member ...]
    static func srem(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        guard let e = ctx.lookupWrite(key) else {
            ctx.reply.integer(0)
            return
        }
        guard e.type == .set else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        let n = ctx.args.count
        var removed = 0
        if e.holdsObject {
            let t = e.setObject
            for i in 2..<n where t.remove(ctx.args[i]) {
                removed += 1
                if t.count == 0 {
                    ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
                    break
                }
            }
            if removed > 0 { ctx.keyspace.addDirty(removed, slot: key.slot) }
        } else {
            let bytes = e.valueBytes
            var indices: [Int] = []
            for i in 2..<n {
                let m = ctx.args[i]
                guard let v = parseCanonicalInt64(m.baseAddress, count: m.count) else { continue }
                let (found, index) = SetIntset.search(bytes, v)
                if found { indices.append(index) }
            }
            if !indices.isEmpty {
                indices.sort()
                var unique = 0
                for i in 0..<indices.count where unique == 0 || indices[unique - 1] != indices[i] {
                    indices[unique] = indices[i]
                    unique += 1
                }
                indices.removeLast(indices.count - unique)
                removed = unique
                ctx.storeIntset(key, bytes, removing: indices)
                if removed > 1 { ctx.keyspace.addDirty(removed - 1, slot: key.slot) }
            }
        }
        ctx.reply.integer(removed)
    }

    /// SISMEMBER key member
    static func sismember(_ ctx: inout CommandContext) {
        let (set, wrongType) = ctx.readSet(ctx.key(1))
        if wrongType { return }
        ctx.reply.integer(set?.contains(ctx.args[2]) == true ? 1 : 0)
    }

    /// SMISMEMBER key member [member ...]: a missing key is an empty set.
    static func smismember(_ ctx: inout CommandContext) {
        let (set, wrongType) = ctx.readSet(ctx.key(1))
        if wrongType { return }
        let n = ctx.args.count
        ctx.reply.arrayHeader(n - 2)
        for i in 2..<n { ctx.reply.integer(set?.contains(ctx.args[i]) == true ? 1 : 0) }
    }

    /// SCARD key
    static func scard(_ ctx: inout CommandContext) {
        let (set, wrongType) = ctx.readSet(ctx.key(1))
        if wrongType { return }
        ctx.reply.integer(set?.count ?? 0)
    }

    /// SMOVE source destination member
    static func smove(_ ctx: inout CommandContext) {
        let source = ctx.key(1)
        let destination = ctx.key(2)
        let member = ctx.args[3]
        guard let src = ctx.lookupWrite(source) else {
            _ = ctx.lookupWrite(destination)
            ctx.reply.integer(0)
            return
        }
        let dst = ctx.lookupWrite(destination)
        if src.type != .set || (dst != nil && dst!.type != .set) {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        if source.bytes.elementsEqual(destination.bytes) {
            ctx.reply.integer(SetRef(src).contains(member) ? 1 : 0)
            return
        }
        guard ctx.removeMember(source, entry: src, member) else {
            ctx.reply.integer(0)
            return
        }
        // Removing from the source may have rewritten or deleted its entry: look the
        // destination up again rather than trust a view taken before.
        let target = ctx.lookupWrite(destination)
        if ctx.addMembers(destination, entry: target, range: 3..<4) > 0 {
            ctx.keyspace.addDirty(1, slot: destination.slot)
        }
        ctx.reply.integer(1)
    }
}
