#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Keyspace
import RESP

/// `COMMAND DOCS` argument shapes (Redis 7.0's `src/commands/*.json`).
private typealias Arg = CommandArgument
private let keyArg = Arg("key", .key)
private let valueArg = Arg("value", .string)
private let keyValuePairs = [Arg("key_value", .block, multiple: true, arguments: [keyArg, valueArg])]

/// The string commands (Redis 7.0 `t_string.c` semantics).
public let stringCommands: [CommandSpec] = [
    CommandSpec(
        name: "get", arity: 2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Get the value of a key", since: "1.0.0", group: "string",
        arguments: [keyArg],
        handler: StringCommands.get),
    CommandSpec(
        name: "set", arity: -3, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Set the string value of a key", since: "1.0.0", group: "string",
        arguments: [
            keyArg, valueArg,
            Arg("condition", .oneof, optional: true, since: "2.6.12", arguments: [
                Arg("nx", .pureToken, token: "NX"), Arg("xx", .pureToken, token: "XX"),
            ]),
            Arg("get", .pureToken, token: "GET", optional: true, since: "6.2.0"),
            Arg("expiration", .oneof, optional: true, arguments: [
                Arg("seconds", .integer, token: "EX", since: "2.6.12"),
                Arg("milliseconds", .integer, token: "PX", since: "2.6.12"),
                Arg("unix-time-seconds", .unixTime, token: "EXAT", since: "6.2.0"),
                Arg("unix-time-milliseconds", .unixTime, token: "PXAT", since: "6.2.0"),
                Arg("keepttl", .pureToken, token: "KEEPTTL", since: "6.0.0"),
            ]),
        ],
        handler: StringCommands.set),
    CommandSpec(
        name: "setnx", arity: 3, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Set the value of a key, only if the key does not exist", since: "1.0.0",
        group: "string", arguments: [keyArg, valueArg],
        handler: StringCommands.setnx),
    CommandSpec(
        name: "setex", arity: 4, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Set the value and expiration of a key", since: "2.0.0", group: "string",
        arguments: [keyArg, Arg("seconds", .integer), valueArg],
        handler: { StringCommands.setWithExpire(&$0, milliseconds: false) }),
    CommandSpec(
        name: "psetex", arity: 4, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Set the value and expiration in milliseconds of a key", since: "2.6.0",
        group: "string", arguments: [keyArg, Arg("milliseconds", .integer), valueArg],
        handler: { StringCommands.setWithExpire(&$0, milliseconds: true) }),
    CommandSpec(
        name: "getset", arity: 3, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Set the string value of a key and return its old value", since: "1.0.0",
        group: "string", arguments: [keyArg, valueArg],
        handler: StringCommands.getset),
    CommandSpec(
        name: "getdel", arity: 2, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Get the value of a key and delete the key", since: "6.2.0", group: "string",
        arguments: [keyArg],
        handler: StringCommands.getdel),
    CommandSpec(
        name: "getex", arity: -2, flags: ["write", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Get the value of a key and optionally set its expiration", since: "6.2.0",
        group: "string",
        arguments: [
            keyArg,
            Arg("expiration", .oneof, optional: true, arguments: [
                Arg("seconds", .integer, token: "EX"),
                Arg("milliseconds", .integer, token: "PX"),
                Arg("unix-time-seconds", .unixTime, token: "EXAT"),
                Arg("unix-time-milliseconds", .unixTime, token: "PXAT"),
                Arg("persist", .pureToken, token: "PERSIST"),
            ]),
        ],
        handler: StringCommands.getex),
    CommandSpec(
        name: "mget", arity: -2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: -1, step: 1),
        aclCategories: ["string"], summary: "Get the values of all the given keys", since: "1.0.0", group: "string",
        complexity: "O(N) where N is the number of keys to retrieve.", arguments: [Arg("key", .key, multiple: true)],
        handler: StringCommands.mget),
    CommandSpec(
        name: "mset", arity: -3, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: -1, step: 2),
        aclCategories: ["string"], summary: "Set multiple keys to multiple values", since: "1.0.1", group: "string",
        complexity: "O(N) where N is the number of keys to set.", arguments: keyValuePairs,
        handler: { StringCommands.mset(&$0, onlyIfNoneExist: false) }),
    CommandSpec(
        name: "msetnx", arity: -3, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: -1, step: 2),
        aclCategories: ["string"], summary: "Set multiple keys to multiple values, only if none of the keys exist",
        since: "1.0.1", group: "string", complexity: "O(N) where N is the number of keys to set.",
        arguments: keyValuePairs,
        handler: { StringCommands.mset(&$0, onlyIfNoneExist: true) }),
    CommandSpec(
        name: "incr", arity: 2, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Increment the integer value of a key by one", since: "1.0.0", group: "string",
        arguments: [keyArg],
        handler: { StringCommands.incrementBy(&$0, 1) }),
    CommandSpec(
        name: "decr", arity: 2, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Decrement the integer value of a key by one", since: "1.0.0", group: "string",
        arguments: [keyArg],
        handler: { StringCommands.incrementBy(&$0, -1) }),
    CommandSpec(
        name: "incrby", arity: 3, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Increment the integer value of a key by the given amount", since: "1.0.0",
        group: "string", arguments: [keyArg, Arg("increment", .integer)],
        handler: { StringCommands.incrby(&$0, negate: false) }),
    CommandSpec(
        name: "decrby", arity: 3, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Decrement the integer value of a key by the given number", since: "1.0.0",
        group: "string", arguments: [keyArg, Arg("decrement", .integer)],
        handler: { StringCommands.incrby(&$0, negate: true) }),
    CommandSpec(
        name: "incrbyfloat", arity: 3, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Increment the float value of a key by the given amount", since: "2.6.0",
        group: "string", arguments: [keyArg, Arg("increment", .double)],
        handler: StringCommands.incrbyfloat),
    CommandSpec(
        name: "append", arity: 3, flags: ["write", "denyoom", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Append a value to a key", since: "2.0.0", group: "string",
        complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        arguments: [keyArg, valueArg],
        handler: StringCommands.append),
    CommandSpec(
        name: "strlen", arity: 2, flags: ["readonly", "fast"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Get the length of the value stored in a key", since: "2.2.0", group: "string",
        arguments: [keyArg],
        handler: StringCommands.strlen),
    CommandSpec(
        name: "getrange", arity: 4, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Get a substring of the string stored at a key", since: "2.4.0", group: "string",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        arguments: [keyArg, Arg("start", .integer), Arg("end", .integer)],
        handler: StringCommands.getrange),
    CommandSpec(
        name: "substr", arity: 4, flags: ["readonly"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Get a substring of the string stored at a key", since: "1.0.0", group: "string",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        arguments: [keyArg, Arg("start", .integer), Arg("end", .integer)],
        handler: StringCommands.getrange),
    CommandSpec(
        name: "setrange", arity: 4, flags: ["write", "denyoom"], keys: KeyPositions(first: 1, last: 1, step: 1),
        aclCategories: ["string"], summary: "Overwrite part of a string at key starting at the specified offset",
        since: "2.2.0", group: "string",
        complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
        arguments: [keyArg, Arg("offset", .integer), valueArg],
        handler: StringCommands.setrange),
]

/// The SET / GETEX option grammar (`parseExtendedStringArgumentsOrReply`).
struct ExtendedStringOptions {
    static let nx: UInt16 = 1 << 0
    static let xx: UInt16 = 1 << 1
    static let ex: UInt16 = 1 << 2
    static let px: UInt16 = 1 << 3
    static let keepTTL: UInt16 = 1 << 4
    static let get: UInt16 = 1 << 5
    static let exat: UInt16 = 1 << 6
    static let pxat: UInt16 = 1 << 7
    static let persist: UInt16 = 1 << 8
    static let anyExpire: UInt16 = ex | px | exat | pxat

    var flags: UInt16 = 0
    /// Index of the expire argument, or 0.
    var expireIndex = 0

    /// Parses options from `start`; nil on a syntax error. `forSet` allows NX/XX/GET/KEEPTTL,
    /// otherwise (GETEX) PERSIST.
    init?(_ args: ArgumentList, from start: Int, forSet: Bool) {
        var j = start
        let n = args.count
        while j < n {
            let opt = args[j]
            let hasNext = j + 1 < n
            let f = flags
            if forSet && opt.equalsIgnoringCase("NX") && f & Self.xx == 0 {
                flags |= Self.nx
            } else if forSet && opt.equalsIgnoringCase("XX") && f & Self.nx == 0 {
                flags |= Self.xx
            } else if forSet && opt.equalsIgnoringCase("GET") {
                flags |= Self.get
            } else if forSet && opt.equalsIgnoringCase("KEEPTTL") && f & (Self.persist | Self.anyExpire) == 0 {
                flags |= Self.keepTTL
            } else if !forSet && opt.equalsIgnoringCase("PERSIST") && f & (Self.anyExpire | Self.keepTTL) == 0 {
                flags |= Self.persist
            } else if opt.equalsIgnoringCase("EX") && hasNext
                && f & (Self.keepTTL | Self.persist | Self.exat | Self.px | Self.pxat) == 0
            {
                flags |= Self.ex
                expireIndex = j + 1
                j += 1
            } else if opt.equalsIgnoringCase("PX") && hasNext
                && f & (Self.keepTTL | Self.persist | Self.ex | Self.exat | Self.pxat) == 0
            {
                flags |= Self.px
                expireIndex = j + 1
                j += 1
            } else if opt.equalsIgnoringCase("EXAT") && hasNext
                && f & (Self.keepTTL | Self.persist | Self.ex | Self.px | Self.pxat) == 0
            {
                flags |= Self.exat
                expireIndex = j + 1
                j += 1
            } else if opt.equalsIgnoringCase("PXAT") && hasNext
                && f & (Self.keepTTL | Self.persist | Self.ex | Self.exat | Self.px) == 0
            {
                flags |= Self.pxat
                expireIndex = j + 1
                j += 1
            } else {
                return nil
            }
            j += 1
        }
    }

    func has(_ flag: UInt16) -> Bool { flags & flag != 0 }
}

enum StringCommands {
    /// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in ms, or nil after replying.
    /// `seconds`: the value is in seconds; `relative`: add `now`.
    static func expireArgument(
        _ ctx: inout CommandContext, _ index: Int, seconds: Bool, relative: Bool
    ) -> Int64? {
        guard let v = ctx.args[index].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return nil
        }
        if v <= 0 || (seconds && v > Int64.max / 1000) {
            ctx.reply.error(KeyErrors.invalidExpireTime(ctx.commandName))
            return nil
        }
        var ms = seconds ? v * 1000 : v
        if relative {
            let (sum, overflow) = ms.addingReportingOverflow(ctx.now)
            if overflow {
                ctx.reply.error(KeyErrors.invalidExpireTime(ctx.commandName))
                return nil
            }
            ms = sum
        }
        if ms <= 0 {
            ctx.reply.error(KeyErrors.invalidExpireTime(ctx.commandName))
            return nil
        }
        return ms
    }

    static func get(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        guard let e = ctx.keyspace.lookup(db: ctx.db, key: key, now: ctx.now) else {
            ctx.stats.keyspaceMisses &+= 1
            ctx.reply.null()
            return
        }
        ctx.stats.keyspaceHits &+= 1
        guard e.isString else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        ctx.replyStringValue(e)
    }

    static func set(_ ctx: inout CommandContext) {
        if ctx.args.count == 3 {
            ctx.keyspace.setString(db: ctx.db, key: ctx.key(1), value: ctx.args[2], now: ctx.now)
            ctx.reply.ok()
            return
        }
        guard let options = ExtendedStringOptions(ctx.args, from: 3, forSet: true) else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        var expireAt: Int64? = nil
        if options.expireIndex > 0 {
            guard let ms = expireArgument(
                &ctx, options.expireIndex, seconds: options.has(ExtendedStringOptions.ex | ExtendedStringOptions.exat),
                relative: options.has(ExtendedStringOptions.ex | ExtendedStringOptions.px))
            else { return }
            expireAt = ms
        }
        let key = ctx.key(1)
        let withGet = options.has(ExtendedStringOptions.get)
        if withGet && !ctx.replyGet(key) { return }
        if options.has(ExtendedStringOptions.nx | ExtendedStringOptions.xx) {
            let found = ctx.lookupWrite(key) != nil
            if (options.has(ExtendedStringOptions.nx) && found) || (options.has(ExtendedStringOptions.xx) && !found) {
                if !withGet { ctx.reply.null() }
                return
            }
        }
        ctx.keyspace.setString(
            db: ctx.db, key: key, value: ctx.args[2], expireAt: expireAt,
            keepTTL: options.has(ExtendedStringOptions.keepTTL), now: ctx.now)
        if !withGet { ctx.reply.ok() }
    }

    static func setnx(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        if ctx.lookupWrite(key) != nil {
            ctx.reply.integer(0)
            return
        }
        ctx.keyspace.setString(db: ctx.db, key: key, value: ctx.args[2], now: ctx.now)
        ctx.reply.integer(1)
    }

    /// SETEX key seconds value / PSETEX key milliseconds value.
    static func setWithExpire(_ ctx: inout CommandContext, milliseconds: Bool) {
        guard let at = expireArgument(&ctx, 2, seconds: !milliseconds, relative: true) else { return }
        ctx.keyspace.setString(db: ctx.db, key: ctx.key(1), value: ctx.args[3], expireAt: at, now: ctx.now)
        ctx.reply.ok()
    }

    static func getset(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        guard ctx.replyGet(key) else { return }
        ctx.keyspace.setString(db: ctx.db, key: key, value: ctx.args[2], now: ctx.now)
    }

    static func getdel(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        guard let e = ctx.lookupRead(key) else {
            ctx.reply.null()
            return
        }
        guard e.isString else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        ctx.replyStringValue(e)
        ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
    }

    static func getex(_ ctx: inout CommandContext) {
        guard let options = ExtendedStringOptions(ctx.args, from: 2, forSet: false) else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        let key = ctx.key(1)
        guard let e = ctx.lookupRead(key) else {
            ctx.reply.null()
            return
        }
        guard e.isString else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        var expireAt: Int64? = nil
        if options.expireIndex > 0 {
            guard let ms = expireArgument(
                &ctx, options.expireIndex, seconds: options.has(ExtendedStringOptions.ex | ExtendedStringOptions.exat),
                relative: options.has(ExtendedStringOptions.ex | ExtendedStringOptions.px))
            else { return }
            expireAt = ms
        }
        ctx.replyStringValue(e)
        if let at = expireAt {
            if options.has(ExtendedStringOptions.exat | ExtendedStringOptions.pxat) && at <= ctx.now {
                ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
            } else {
                ctx.keyspace.setExpire(db: ctx.db, key: key, at: at, now: ctx.now)
            }
        } else if options.has(ExtendedStringOptions.persist) {
            ctx.keyspace.removeExpire(db: ctx.db, key: key, now: ctx.now)
        }
    }

    static func mget(_ ctx: inout CommandContext) {
        let n = ctx.args.count
        ctx.reply.arrayHeader(n - 1)
        for i in 1..<n {
            if let e = ctx.lookupRead(ctx.key(i)), e.isString {
                ctx.replyStringValue(e)
            } else {
                ctx.reply.null()
            }
        }
    }

    static func mset(_ ctx: inout CommandContext, onlyIfNoneExist: Bool) {
        let n = ctx.args.count
        if n % 2 == 0 {
            ctx.reply.error(CommandError.wrongArity(onlyIfNoneExist ? "msetnx" : "mset"))
            return
        }
        if onlyIfNoneExist {
            for i in stride(from: 1, to: n, by: 2) where ctx.lookupWrite(ctx.key(i)) != nil {
                ctx.reply.integer(0)
                return
            }
        }
        for i in stride(from: 1, to: n, by: 2) {
            ctx.keyspace.setString(db: ctx.db, key: ctx.key(i), value: ctx.args[i + 1], now: ctx.now)
        }
        if onlyIfNoneExist { ctx.reply.integer(1) } else { ctx.reply.ok() }
    }

    static func append(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        let bytes = ctx.args[2]
        if let e = ctx.lookupWrite(key) {
            guard e.isString else {
                ctx.reply.error(CommandError.wrongType)
                return
            }
            if e.stringLength + bytes.count > ctx.limits.maxBulkLength {
                ctx.reply.error(KeyErrors.stringTooLong)
                return
            }
        }
        let length = ctx.keyspace.append(db: ctx.db, key: key, bytes: bytes, now: ctx.now) ?? 0
        ctx.reply.integer(length)
    }

    static func strlen(_ ctx: inout CommandContext) {
        guard let e = ctx.lookupRead(ctx.key(1)) else {
            ctx.reply.integer(0)
            return
        }
        guard e.isString else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        ctx.reply.integer(e.stringLength)
    }

    static func getrange(_ ctx: inout CommandContext) {
        guard var start = ctx.args[2].parseInt64(), var end = ctx.args[3].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        guard let e = ctx.lookupRead(ctx.key(1)) else {
            ctx.reply.bulk(UnsafeRawBufferPointer(start: nil, count: 0))
            return
        }
        guard e.isString else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        e.withStringBytes { bytes in
            let length = Int64(bytes.count)
            if start < 0 && end < 0 && start > end {
                ctx.reply.bulk(UnsafeRawBufferPointer(start: nil, count: 0))
                return
            }
            if start < 0 { start = length + start }
            if end < 0 { end = length + end }
            if start < 0 { start = 0 }
            if end < 0 { end = 0 }
            if end >= length { end = length - 1 }
            if start > end || length == 0 {
                ctx.reply.bulk(UnsafeRawBufferPointer(start: nil, count: 0))
            } else {
                ctx.reply.bulk(UnsafeRawBufferPointer(rebasing: bytes[Int(start)...Int(end)]))
            }
        }
    }

    static func setrange(_ ctx: inout CommandContext) {
        guard let offset = ctx.args[2].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        if offset < 0 {
            ctx.reply.error(KeyErrors.offsetOutOfRange)
            return
        }
        let key = ctx.key(1)
        let bytes = ctx.args[3]
        if let e = ctx.lookupWrite(key) {
            guard e.isString else {
                ctx.reply.error(CommandError.wrongType)
                return
            }
            if bytes.count == 0 {
                ctx.reply.integer(e.stringLength)
                return
            }
        } else if bytes.count == 0 {
            ctx.reply.integer(0)
            return
        }
        let (total, overflow) = offset.addingReportingOverflow(Int64(bytes.count))
        if overflow || total > Int64(ctx.limits.maxBulkLength) {
            ctx.reply.error(KeyErrors.stringTooLong)
            return
        }
        let length = ctx.keyspace.setRange(db: ctx.db, key: key, offset: Int(offset), bytes: bytes, now: ctx.now) ?? 0
        ctx.reply.integer(length)
    }
}
