#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Keyspace
import RESP

/// Handlers of the list commands that touch one key (Redis 7.0 `t_list.c`): argument checks in
/// Redis's order, then the lookup, then the change. Moves and blocking pops are in `ListMoves.swift`.
enum ListCommands {
    static let indexOutOfRange: StaticString = "ERR index out of range"
    static let countNotPositive: StaticString = "ERR value is out of range, must be positive"
    static let rankZero: StaticString =
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
    static let countNegative: StaticString = "ERR COUNT can't be negative"
    static let maxlenNegative: StaticString = "ERR MAXLEN can't be negative"

    // MARK: - Push / pop

    /// LPUSH / RPUSH / LPUSHX / RPUSHX.
    static func push(_ ctx: inout CommandContext, front: Bool, onlyIfExists: Bool) {
        let keyBytes = ctx.args[1]
        let key = Key(keyBytes)
        let list: ListObject
        var created = false
        if let e = ctx.lookupWrite(key) {
            guard let existing = e.listObject else {
                ctx.reply.error(CommandError.wrongType)
                return
            }
            list = existing
        } else {
            if onlyIfExists {
                ctx.reply.integer(0)
                return
            }
            list = ListObject(fill: ctx.encodings.listMaxListpackSize)
            ctx.keyspace.setObject(db: ctx.db, key: key, object: list, now: ctx.now)
            created = true
        }
        let n = ctx.args.count
        var i = 2
        if front {
            while i < n {
                list.pushFront(ctx.args[i])
                i &+= 1
            }
        } else {
            while i < n {
                list.pushBack(ctx.args[i])
                i &+= 1
            }
        }
        ctx.reply.integer(list.count)
        // setObject counted one change already.
        ctx.keyspace.addDirty(n &- 2 &- (created ? 1 : 0), slot: key.slot)
        ctx.signalKeyReady(keyBytes)
    }

    /// LPOP / RPOP with an optional count: a bulk without it, an array with it (null array for a
    /// missing key, as Redis 7.0 replies).
    static func pop(_ ctx: inout CommandContext, front: Bool) {
        let n = ctx.args.count
        if n > 3 {
            ctx.reply.error(CommandError.wrongArity(front ? "lpop" : "rpop"))
            return
        }
        var count = -1
        if n == 3 {
            guard let c = ctx.args[2].parseInt64(), c >= 0 else {
                ctx.reply.error(countNotPositive)
                return
            }
            count = Int(c)
        }
        let key = ctx.key(1)
        guard let e = ctx.lookupWrite(key) else {
            if count >= 0 { ctx.reply.nullArray() } else { ctx.reply.null() }
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        if count == 0 {
            ctx.reply.arrayHeader(0)
            return
        }
        if count < 0 {
            _ = list.pop(front: front) { ctx.reply.bulk($0) }
            removed(&ctx, key, list, 1)
            return
        }
        let k = Swift.min(count, list.count)
        ctx.reply.arrayHeader(k)
        for _ in 0..<k { _ = list.pop(front: front) { ctx.reply.bulk($0) } }
        removed(&ctx, key, list, k)
    }

    /// After elements left a list: deletes the key when it is empty and counts the changes.
    @inline(__always)
    static func removed(_ ctx: inout CommandContext, _ key: Key, _ list: ListObject, _ count: Int) {
        if list.count == 0 {
            ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
            ctx.keyspace.addDirty(count &- 1, slot: key.slot)
        } else {
            ctx.keyspace.addDirty(count, slot: key.slot)
        }
    }

    // MARK: - Reads

    static func llen(_ ctx: inout CommandContext) {
        guard let e = ctx.lookupRead(ctx.key(1)) else {
            ctx.reply.integer(0)
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        ctx.reply.integer(list.count)
    }

    static func lrange(_ ctx: inout CommandContext) {
        guard let start = ctx.args[2].parseInt64(), let end = ctx.args[3].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        guard let e = ctx.lookupRead(ctx.key(1)) else {
            ctx.reply.arrayHeader(0)
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        guard let range = normalizedRange(Int(start), Int(end), count: list.count) else {
            ctx.reply.arrayHeader(0)
            return
        }
        var left = range.count
        ctx.reply.arrayHeader(left)
        list.forEach(from: range.lowerBound) { value in
            ctx.reply.bulk(value)
            left &-= 1
            return left > 0
        }
    }

    /// Redis's start/stop rules (negative counts from the end, clamped); nil when empty.
    @inline(__always)
    static func normalizedRange(_ start: Int, _ end: Int, count: Int) -> Range<Int>? {
        var start = start
        var end = end
        if start < 0 { start &+= count }
        if end < 0 { end &+= count }
        if start < 0 { start = 0 }
        if start > end || start >= count { return nil }
        if end >= count { end = count &- 1 }
        return start..<(end &+ 1)
    }

    static func lindex(_ ctx: inout CommandContext) {
        guard let e = ctx.lookupRead(ctx.key(1)) else {
            ctx.reply.null()
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        guard let parsed = ctx.args[2].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        var index = Int(parsed)
        if index < 0 { index &+= list.count }
        if index < 0 || index >= list.count {
            ctx.reply.null()
            return
        }
        ctx.reply.bulk(list.element(at: index))
    }

    // MARK: - Changes in the middle

    static func lset(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        guard let e = ctx.lookupWrite(key) else {
            ctx.reply.error(CommandError.noSuchKey)
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        guard let parsed = ctx.args[2].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        var index = Int(parsed)
        if index < 0 { index &+= list.count }
        if index < 0 || index >= list.count {
            ctx.reply.error(indexOutOfRange)
            return
        }
        list.replace(at: index, with: ctx.args[3])
        ctx.keyspace.addDirty(1, slot: key.slot)
        ctx.reply.ok()
    }

    static func linsert(_ ctx: inout CommandContext) {
        let after: Bool
        if ctx.args[2].equalsIgnoringCase("AFTER") {
            after = true
        } else if ctx.args[2].equalsIgnoringCase("BEFORE") {
            after = false
        } else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        let keyBytes = ctx.args[1]
        let key = Key(keyBytes)
        guard let e = ctx.lookupWrite(key) else {
            ctx.reply.integer(0)
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        guard let pivot = list.firstPosition(of: ctx.args[3]) else {
            ctx.reply.integer(-1)
            return
        }
        list.insert(ctx.args[4], at: pivot, after: after)
        ctx.keyspace.addDirty(1, slot: key.slot)
        ctx.reply.integer(list.count)
        ctx.signalKeyReady(keyBytes)
    }

    static func lrem(_ ctx: inout CommandContext) {
        guard let parsed = ctx.args[2].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        let key = ctx.key(1)
        guard let e = ctx.lookupWrite(key) else {
            ctx.reply.integer(0)
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        // Redis negates the count; for LONG_MIN that stays negative and never matches the number
        // removed, so everything equal goes.
        let limit: Int? = parsed == 0 || parsed == Int64.min ? nil : Int(parsed.magnitude)
        let count = list.removeAll(equalTo: ctx.args[3], limit: limit, fromBack: parsed < 0)
        if count > 0 { removed(&ctx, key, list, count) }
        ctx.reply.integer(count)
    }

    static func ltrim(_ ctx: inout CommandContext) {
        guard let start = ctx.args[2].parseInt64(), let end = ctx.args[3].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        let key = ctx.key(1)
        guard let e = ctx.lookupWrite(key) else {
            ctx.reply.ok()
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        let count = list.count
        let dropFront: Int
        let dropBack: Int
        if let range = normalizedRange(Int(start), Int(end), count: count) {
            dropFront = range.lowerBound
            dropBack = count &- range.upperBound
        } else {
            dropFront = count
            dropBack = 0
        }
        list.removeFirst(dropFront)
        list.removeLast(dropBack)
        if list.count == 0 {
            ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
        }
        ctx.keyspace.addDirty(dropFront &+ dropBack, slot: key.slot)
        ctx.reply.ok()
    }

    /// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
    static func lpos(_ ctx: inout CommandContext) {
        var rank: Int64 = 1
        var count = -1  // -1: no COUNT option
        var maxlen = 0
        var j = 3
        let n = ctx.args.count
        while j < n {
            let option = ctx.args[j]
            let hasValue = j &+ 1 < n
            if hasValue && option.equalsIgnoringCase("RANK") {
                j &+= 1
                guard let r = ctx.args[j].parseInt64() else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                if r == 0 {
                    ctx.reply.error(rankZero)
                    return
                }
                rank = r
            } else if hasValue && option.equalsIgnoringCase("COUNT") {
                j &+= 1
                guard let c = ctx.args[j].parseInt64(), c >= 0 else {
                    ctx.reply.error(countNegative)
                    return
                }
                count = Int(c)
            } else if hasValue && option.equalsIgnoringCase("MAXLEN") {
                j &+= 1
                guard let m = ctx.args[j].parseInt64(), m >= 0 else {
                    ctx.reply.error(maxlenNegative)
                    return
                }
                maxlen = Int(m)
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
            j &+= 1
        }
        let fromBack = rank < 0
        // Redis negates a negative rank; LONG_MIN stays negative there, which every match then
        // satisfies, i.e. it behaves as rank 1 from the back.
        let wantedRank = rank == Int64.min ? 1 : Int(rank.magnitude)
        guard let e = ctx.lookupRead(ctx.key(1)) else {
            if count != -1 { ctx.reply.arrayHeader(0) } else { ctx.reply.null() }
            return
        }
        guard let list = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        let value = ctx.args[2]
        let length = list.count
        var scanned = 0
        var matches = 0
        var found: [Int] = []
        var first = -1
        list.forEach(from: fromBack ? length &- 1 : 0, reverse: fromBack) { element in
            if maxlen != 0 && scanned >= maxlen { return false }
            if element.count == value.count
                && (value.isEmpty || memcmp(element.baseAddress!, value.baseAddress!, value.count) == 0) {
                matches &+= 1
                if matches >= wantedRank {
                    let index = fromBack ? length &- 1 &- scanned : scanned
                    if count == -1 {
                        first = index
                        return false
                    }
                    found.append(index)
                    if count != 0 && found.count >= count { return false }
                }
            }
            scanned &+= 1
            return true
        }
        if count == -1 {
            if first >= 0 { ctx.reply.integer(first) } else { ctx.reply.null() }
            return
        }
        ctx.reply.arrayHeader(found.count)
        for index in found { ctx.reply.integer(index) }
    }
}
