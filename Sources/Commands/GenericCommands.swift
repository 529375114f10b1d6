import Glob
import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/*.json`).
private typealias Arg = CommandArgument
private let keyArg = Arg("key", .key)
private let keysArg = Arg("key", .key, multiple: true)

/// The generic key commands (Redis 7.0 `db.c`, `expire.c`, `object.c` semantics): key commands
/// here, expiry in `ExpireCommands.swift`, databases in `DatabaseCommands.swift`.
public let genericCommands: [CommandSpec] = keyCommands + expireCommands + databaseCommands

let keyCommands: [CommandSpec] = [
    CommandSpec(
        name: "del", arity: -2, flags: ["write"], keys: KeyPositions(first: 1, last: -1, step: 1),
        aclCategories: ["keyspace"], summary: "Delete a key", since: "1.0.0", group: "generic",
        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
        arguments: [keysArg],
        handler: GenericCommands.del),
    CommandSpec(
        name: "unlink", arity: -2, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: -1, step: 1),
        aclCategories: ["keyspace"],
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        since: "4.0.0", group: "generic",
        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
        arguments: [keysArg],
        handler: GenericCommands.del),
    CommandSpec(
        name: "exists", arity: -2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: -1, step: 1),
        aclCategories: ["keyspace"], summary: "Determine if a key exists", since: "1.0.0", group: "generic",
        complexity: "O(N) where N is the number of keys to check.", arguments: [keysArg],
        handler: GenericCommands.exists),
    CommandSpec(
        name: "type", arity: 2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["keyspace"], summary: "Determine the type stored at key", since: "1.0.0", group: "generic",
        arguments: [keyArg],
        handler: GenericCommands.type),
    CommandSpec(
        name: "touch", arity: -2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: -1, step: 1),
        aclCategories: ["keyspace"],
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        since: "3.2.1", group: "generic", complexity: "O(N) where N is the number of keys that will be touched.",
        arguments: [keysArg],
        handler: GenericCommands.touch),
    CommandSpec(
        name: "keys", arity: 2, flags: ["readonly"], aclCategories: ["keyspace", "dangerous"], access: .all,
        summary: "Find all keys matching the given pattern", since: "1.0.0", group: "generic",
        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        arguments: [Arg("pattern", .pattern)],
        handler: GenericCommands.keys),
    CommandSpec(
        name: "scan", arity: -2, flags: ["readonly"], aclCategories: ["keyspace"], access: .selfManaged,
        summary: "Incrementally iterate the keys space", since: "2.8.0", group: "generic",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
        arguments: [
            Arg("cursor", .integer),
            Arg("pattern", .pattern, token: "MATCH", optional: true),
            Arg("count", .integer, token: "COUNT", optional: true),
            Arg("type", .string, token: "TYPE", optional: true, since: "6.0.0"),
        ],
        handler: GenericCommands.scan),
    CommandSpec(
        name: "randomkey", arity: 1, flags: ["readonly"], aclCategories: ["keyspace"], access: .all,
        summary: "Return a random key from the keyspace", since: "1.0.0", group: "generic",
        handler: GenericCommands.randomkey),
    CommandSpec(
        name: "rename", arity: 3, flags: ["write"], keys: KeyPositions(first: 1, last: 2, step: 1),
        aclCategories: ["keyspace"], summary: "Rename a key", since: "1.0.0", group: "generic",
        arguments: [keyArg, Arg("newkey", .key, keySpecIndex: 1)],
        handler: { GenericCommands.rename(&$0, onlyIfAbsent: false) }),
    CommandSpec(
        name: "renamenx", arity: 3, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 2, step: 1),
        aclCategories: ["keyspace"], summary: "Rename a key, only if the new key does not exist", since: "1.0.0",
        group: "generic", arguments: [keyArg, Arg("newkey", .key, keySpecIndex: 1)],
        handler: { GenericCommands.rename(&$0, onlyIfAbsent: true) }),
    CommandSpec(
        name: "copy", arity: -3, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: 2, step: 1),
        aclCategories: ["keyspace"], summary: "Copy a key", since: "6.2.0", group: "generic",
        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
        arguments: [
            Arg("source", .key), Arg("destination", .key, keySpecIndex: 1),
            Arg("destination-db", .integer, token: "DB", optional: true),
            Arg("replace", .pureToken, token: "REPLACE", optional: true),
        ],
        handler: GenericCommands.copy),
    CommandSpec(
        name: "object", arity: -2, flags: [], summary: "A container for object introspection commands",
        since: "2.2.3", group: "generic", complexity: "Depends on subcommand.",
        subcommands: [
            CommandSpec(
                name: "encoding", arity: 3, flags: ["readonly"], keys: KeyPositions(first: 2, last: 2, step: 1),
                aclCategories: ["keyspace"], summary: "Inspect the internal encoding of a Redis object",
                since: "2.2.3", group: "generic", arguments: [keyArg],
                handler: GenericCommands.objectEncoding),
            CommandSpec(
                name: "freq", arity: 3, flags: ["readonly"], keys: KeyPositions(first: 2, last: 2, step: 1),
                aclCategories: ["keyspace"], summary: "Get the logarithmic access frequency counter of a Redis object",
                since: "4.0.0", group: "generic", arguments: [keyArg],
                handler: GenericCommands.objectFreq),
            CommandSpec(
                name: "idletime", arity: 3, flags: ["readonly"], keys: KeyPositions(first: 2, last: 2, step: 1),
                aclCategories: ["keyspace"], summary: "Get the time since a Redis object was last accessed",
                since: "2.2.3", group: "generic", arguments: [keyArg],
                handler: GenericCommands.objectIdletime),
            CommandSpec(
                name: "refcount", arity: 3, flags: ["readonly"], keys: KeyPositions(first: 2, last: 2, step: 1),
                aclCategories: ["keyspace"], summary: "Get the number of references to the value of the key",
                since: "2.2.3", group: "generic", arguments: [keyArg],
                handler: GenericCommands.objectRefcount),
            CommandSpec(
                name: "help", arity: 2, flags: ["loading", "stale"], aclCategories: ["keyspace"],
                summary: "Show helpful text about the different subcommands", since: "6.2.0", group: "generic",
                handler: GenericCommands.objectHelp),
        ]),
]

enum GenericCommands {
    static func del(_ ctx: inout CommandContext) {
        var deleted = 0
        for i in 1..<ctx.args.count where ctx.keyspace.delete(db: ctx.db, key: ctx.key(i), now: ctx.now) {
            deleted += 1
        }
        ctx.reply.integer(deleted)
    }

    static func exists(_ ctx: inout CommandContext) {
        var found = 0
        for i in 1..<ctx.args.count where ctx.lookupRead(ctx.key(i), touch: false) != nil {
            found += 1
        }
        ctx.reply.integer(found)
    }

    static func touch(_ ctx: inout CommandContext) {
        var found = 0
        for i in 1..<ctx.args.count where ctx.lookupRead(ctx.key(i)) != nil {
            found += 1
        }
        ctx.reply.integer(found)
    }

    static func type(_ ctx: inout CommandContext) {
        guard let e = ctx.lookupRead(ctx.key(1), touch: false) else {
            ctx.reply.simpleString("none")
            return
        }
        ctx.reply.simpleString(e.type.name)
    }

    /// Collected key bytes, for replies whose length is known only after a walk.
    struct KeyList {
        var bytes: [UInt8] = []
        var ends: [Int] = []

        mutating func append(_ key: UnsafeRawBufferPointer) {
            bytes.append(contentsOf: key)
            ends.append(bytes.count)
        }

        func write(to reply: inout RESPWriter) {
            reply.arrayHeader(ends.count)
            bytes.withUnsafeBytes { all in
                var start = 0
                for end in ends {
                    reply.bulk(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                    start = end
                }
            }
        }
    }

    static func keys(_ ctx: inout CommandContext) {
        let pattern = ctx.args[1]
        let all = pattern.count == 1 && pattern[0] == UInt8(ascii: "*")
        var list = KeyList()
        let keyspace = ctx.keyspace
        let db = ctx.db
        var slot = 0
        while let next = keyspace.nextOccupiedSlot(db: db, from: slot) {
            keyspace.forEachEntry(db: db, slot: next, now: ctx.now) { e in
                let key = e.keyBytes
                if all || globMatch(pattern: pattern, string: key) { list.append(key) }
            }
            slot = next + 1
        }
        list.write(to: &ctx.reply)
    }

    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is the next slot to
    /// visit; whole slots are returned, each read under its own lock, so a key present for the
    /// whole iteration is always returned (at least once) however the keyspace changes.
    static func scan(_ ctx: inout CommandContext) {
        guard let cursor = parseScanCursor(ctx.args[1]) else {
            ctx.reply.error(KeyErrors.invalidCursor)
            return
        }
        var count = 10
        var pattern: UnsafeRawBufferPointer? = nil
        var typeName: UnsafeRawBufferPointer? = nil
        var i = 2
        let n = ctx.args.count
        while i < n {
            let option = ctx.args[i]
            let remaining = n - i
            if option.equalsIgnoringCase("COUNT") && remaining >= 2 {
                guard let v = ctx.args[i + 1].parseInt64() else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                if v < 1 {
                    ctx.reply.error(CommandError.syntax)
                    return
                }
                count = Int(min(v, Int64(Int.max / 2)))
                i += 2
            } else if option.equalsIgnoringCase("MATCH") && remaining >= 2 {
                let p = ctx.args[i + 1]
                pattern = (p.count == 1 && p[0] == UInt8(ascii: "*")) ? nil : p
                i += 2
            } else if option.equalsIgnoringCase("TYPE") && remaining >= 2 {
                typeName = ctx.args[i + 1]
                i += 2
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        var list = KeyList()
        var slot = cursor < UInt64(clusterSlotCount) ? Int(cursor) : clusterSlotCount
        var examined = 0
        let keyspace = ctx.keyspace
        let db = ctx.db
        let now = ctx.now
        while slot < clusterSlotCount && examined < count {
            guard let next = keyspace.nextOccupiedSlot(db: db, from: slot) else {
                slot = clusterSlotCount
                break
            }
            keyspace.lock(slot: next)
            keyspace.forEachEntry(db: db, slot: next, now: now) { e in
                examined += 1
                let key = e.keyBytes
                if let pattern, !globMatch(pattern: pattern, string: key) { return }
                if let typeName {
                    var name = e.type.name
                    let same = name.withUTF8 { typeName.elementsEqualIgnoringASCIICase(UnsafeRawBufferPointer($0)) }
                    if !same { return }
                }
                list.append(key)
            }
            keyspace.unlock(slot: next)
            slot = next + 1
        }
        ctx.reply.arrayHeader(2)
        if slot >= clusterSlotCount { ctx.reply.bulk("0") } else { ctx.reply.bulkInteger(slot) }
        list.write(to: &ctx.reply)
    }

    static func randomkey(_ ctx: inout CommandContext) {
        guard let key = ctx.keyspace.randomKey(db: ctx.db, now: ctx.now) else {
            ctx.reply.null()
            return
        }
        key.withUnsafeBytes { ctx.reply.bulk($0) }
    }

    static func rename(_ ctx: inout CommandContext, onlyIfAbsent: Bool) {
        let outcome = ctx.keyspace.rename(
            db: ctx.db, from: ctx.key(1), to: ctx.key(2), onlyIfAbsent: onlyIfAbsent, now: ctx.now)
        switch outcome {
        case .noSuchKey: ctx.reply.error(CommandError.noSuchKey)
        case .renamed:
            if onlyIfAbsent { ctx.reply.integer(1) } else { ctx.reply.ok() }
            signalIfPoppable(&ctx, ctx.key(2), db: ctx.db)
        case .destinationExists: ctx.reply.integer(0)
        }
    }

    /// A list or sorted set that appears under a key (RENAME, COPY) may be what a blocked client
    /// waits for, as Redis's `signalKeyAsReady` in those commands.
    static func signalIfPoppable(_ ctx: inout CommandContext, _ key: Key, db: Int) {
        guard let blocked = ctx.blockedClients, blocked.value > 0,
              let entry = ctx.keyspace.lookup(db: db, key: key, now: ctx.now, touch: false),
              entry.type == .list || entry.type == .zset
        else { return }
        let current = ctx.db
        ctx.db = db
        ctx.signalKeyReady(key.bytes)
        ctx.db = current
    }

    /// COPY source destination [DB destination-db] [REPLACE]
    static func copy(_ ctx: inout CommandContext) {
        var destinationDB = ctx.db
        var replace = false
        var i = 3
        let n = ctx.args.count
        while i < n {
            let option = ctx.args[i]
            if option.equalsIgnoringCase("REPLACE") {
                replace = true
            } else if option.equalsIgnoringCase("DB") && n - i - 1 >= 1 {
                guard let id = parseInt32(ctx.args[i + 1]) else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                guard id >= 0 && id < ctx.keyspace.databaseCount else {
                    ctx.reply.error(CommandError.dbIndexOutOfRange)
                    return
                }
                destinationDB = id
                i += 1
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
            i += 1
        }
        if ctx.limits.clusterEnabled && (ctx.db != 0 || destinationDB != 0) {
            ctx.reply.error(KeyErrors.copyAcrossDatabasesInCluster)
            return
        }
        let source = ctx.key(1)
        let destination = ctx.key(2)
        if destinationDB == ctx.db && source.bytes.elementsEqual(destination.bytes) {
            ctx.reply.error(KeyErrors.sameObject)
            return
        }
        if ctx.lookupRead(source) == nil {
            ctx.reply.integer(0)
            return
        }
        let copied = ctx.keyspace.copy(
            db: ctx.db, key: source, toDatabase: destinationDB, key: destination, replace: replace, now: ctx.now)
        ctx.reply.integer(copied ? 1 : 0)
        if copied { signalIfPoppable(&ctx, destination, db: destinationDB) }
    }

    // MARK: OBJECT

    static func objectEncoding(_ ctx: inout CommandContext) {
        guard let e = ctx.lookupRead(ctx.key(2), touch: false) else {
            ctx.reply.null()
            return
        }
        ctx.reply.bulk(e.encodingName)
    }

    static func objectRefcount(_ ctx: inout CommandContext) {
        guard let e = ctx.lookupRead(ctx.key(2), touch: false) else {
            ctx.reply.null()
            return
        }
        ctx.reply.integer(ctx.keyspace.objectRefCount(e))
    }

    static func objectIdletime(_ ctx: inout CommandContext) {
        guard let e = ctx.lookupRead(ctx.key(2), touch: false) else {
            ctx.reply.null()
            return
        }
        if ctx.keyspace.maxmemoryPolicyIsLFU {
            ctx.reply.error(KeyErrors.lfuSelected)
            return
        }
        ctx.reply.integer(Int(ctx.keyspace.idleTimeSeconds(e, now: ctx.now)))
    }

    static func objectFreq(_ ctx: inout CommandContext) {
        guard let e = ctx.lookupRead(ctx.key(2), touch: false) else {
            ctx.reply.null()
            return
        }
        if !ctx.keyspace.maxmemoryPolicyIsLFU {
            ctx.reply.error(KeyErrors.lfuNotSelected)
            return
        }
        ctx.reply.integer(ctx.keyspace.accessFrequency(e, now: ctx.now))
    }

    static let objectHelpLines = [
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    ]

    static func objectHelp(_ ctx: inout CommandContext) {
        ctx.reply.arrayHeader(objectHelpLines.count + 3)
        ctx.reply.simpleString("\(ctx.args[0].string.uppercased()) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        for line in objectHelpLines { ctx.reply.simpleString(line) }
        ctx.reply.simpleString("HELP")
        ctx.reply.simpleString("    Print this help.")
    }
}

extension UnsafeRawBufferPointer {
    func elementsEqualIgnoringASCIICase(_ other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        for i in 0..<count {
            var a = self[i]
            var b = other[i]
            if a >= 0x41 && a <= 0x5A { a |= 0x20 }
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if a != b { return false }
        }
        return true
    }
}
