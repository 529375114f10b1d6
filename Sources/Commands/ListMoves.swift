import Keyspace
import RESP

/// LMOVE / RPOPLPUSH, LMPOP and the blocking pops (Redis 7.0 `t_list.c`). A blocking command that
/// finds nothing calls `ctx.block` and writes no reply; the server runs it again when a key it waits
/// on gets elements, or replies with a null array when the timeout passes.
extension ListCommands {
    static let timeoutNotFloat: StaticString = "ERR timeout is not a float or out of range"
    static let timeoutNegative: StaticString = "ERR timeout is negative"
    static let numkeysNotPositive: StaticString = "ERR numkeys should be greater than 0"
    static let mpopCountNotPositive: StaticString = "ERR count should be greater than 0"

    /// `LEFT` (true) or `RIGHT` (false); nil for anything else.
    @inline(__always)
    static func parseSide(_ bytes: UnsafeRawBufferPointer) -> Bool? {
        if bytes.equalsIgnoringCase("LEFT") { return true }
        if bytes.equalsIgnoringCase("RIGHT") { return false }
        return nil
    }

    /// Redis's `getTimeoutFromObjectOrReply` in seconds: a long double times 1000 cast to a 64-bit
    /// integer of milliseconds. Values the cast cannot represent (inf, 1e400, 2^63 ms) come out as
    /// LLONG_MIN on x86, hence "negative", and tiny negatives truncate to 0 (wait forever), as in
    /// Redis. Returns seconds (0 = forever), or nil after replying with the error.
    static func parseTimeout(_ ctx: inout CommandContext, _ bytes: UnsafeRawBufferPointer) -> Double? {
        guard let value = parseLongDouble(bytes) else {
            ctx.reply.error(timeoutNotFloat)
            return nil
        }
        let milliseconds = value * 1000
        let limit: LongDouble = 9_223_372_036_854_775_808.0
        let truncated: Int64 = milliseconds >= limit || milliseconds < -limit ? Int64.min : Int64(milliseconds)
        if truncated < 0 {
            ctx.reply.error(timeoutNegative)
            return nil
        }
        return Double(truncated) / 1000
    }

    // MARK: - LMOVE

    static func lmove(_ ctx: inout CommandContext) {
        guard let from = parseSide(ctx.args[3]), let to = parseSide(ctx.args[4]) else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        move(&ctx, fromFront: from, toFront: to)
    }

    static func rpoplpush(_ ctx: inout CommandContext) {
        move(&ctx, fromFront: false, toFront: true)
    }

    /// Pops from `args[1]` and pushes to `args[2]` (the same list rotates); replies with the element.
    static func move(_ ctx: inout CommandContext, fromFront: Bool, toFront: Bool) {
        let sourceKey = ctx.key(1)
        guard let e = ctx.lookupWrite(sourceKey) else {
            ctx.reply.null()
            return
        }
        guard let source = e.listObject else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        let destinationBytes = ctx.args[2]
        let destinationKey = Key(destinationBytes)
        var destination: ListObject
        if let d = ctx.lookupWrite(destinationKey) {
            guard let list = d.listObject else {
                ctx.reply.error(CommandError.wrongType)
                return
            }
            destination = list
        } else {
            destination = ListObject(fill: ctx.encodings.listMaxListpackSize)
            ctx.keyspace.setObject(db: ctx.db, key: destinationKey, object: destination, now: ctx.now)
        }
        if source === destination {
            // A push may rebuild the node the popped view points into: copy it first.
            let value = source.pop(front: fromFront) { Array($0) } ?? []
            value.withUnsafeBytes { bytes in
                destination.push(bytes, front: toFront)
                ctx.reply.bulk(bytes)
            }
        } else {
            _ = source.pop(front: fromFront) { value in
                destination.push(value, front: toFront)
                ctx.reply.bulk(value)
            }
        }
        removed(&ctx, sourceKey, source, 1)
        ctx.signalKeyReady(destinationBytes)
    }

    // MARK: - LMPOP

    /// Key indices of LMPOP / BLMPOP for slot locking and COMMAND GETKEYS: `numkeys` keys after
    /// the `numkeys` argument, none when it is not a usable count (the handler then refuses).
    static func mpopKeys(_ args: ArgumentList, numkeysIndex: Int) -> [Int] {
        guard args.count > numkeysIndex, let n = args[numkeysIndex].parseInt64(), n >= 1,
              n <= Int64(args.count &- numkeysIndex &- 1) else { return [] }
        return Array((numkeysIndex &+ 1)...(numkeysIndex &+ Int(n)))
    }

    /// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] and
    /// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
    static func lmpop(_ ctx: inout CommandContext, blocking: Bool) {
        let numkeysIndex = blocking ? 2 : 1
        let n = ctx.args.count
        guard let numkeys = ctx.args[numkeysIndex].parseInt64(), numkeys >= 1 else {
            ctx.reply.error(numkeysNotPositive)
            return
        }
        guard numkeys < Int64(n &- numkeysIndex &- 1) else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        let whereIndex = numkeysIndex &+ 1 &+ Int(numkeys)
        guard let front = parseSide(ctx.args[whereIndex]) else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        var count = -1
        var j = whereIndex &+ 1
        while j < n {
            if count == -1 && j &+ 1 < n && ctx.args[j].equalsIgnoringCase("COUNT") {
                j &+= 1
                guard let c = ctx.args[j].parseInt64(), c >= 1 else {
                    ctx.reply.error(mpopCountNotPositive)
                    return
                }
                count = Int(c)
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
            j &+= 1
        }
        if count == -1 { count = 1 }
        let keys = (numkeysIndex &+ 1)..<whereIndex
        if blocking {
            guard let timeout = parseTimeout(&ctx, ctx.args[1]) else { return }
            if popFirstNonEmpty(&ctx, keys: keys, front: front, count: count) { return }
            if ctx.mayBlock {
                ctx.block(keyIndices: Array(keys), timeout: timeout)
            } else {
                ctx.reply.nullArray()
            }
            return
        }
        if !popFirstNonEmpty(&ctx, keys: keys, front: front, count: count) { ctx.reply.nullArray() }
    }

    /// Pops from the first non-empty list among `keys` and replies; `count` < 0 gives the
    /// BLPOP shape `[key, element]`, else `[key, [elements]]`. Returns false, with no reply, when
    /// every key is missing; true after a reply (including WRONGTYPE).
    static func popFirstNonEmpty(_ ctx: inout CommandContext, keys: Range<Int>, front: Bool, count: Int) -> Bool {
        for j in keys {
            let keyBytes = ctx.args[j]
            let key = Key(keyBytes)
            guard let e = ctx.lookupWrite(key) else { continue }
            guard let list = e.listObject else {
                ctx.reply.error(CommandError.wrongType)
                return true
            }
            if list.count == 0 { continue }
            ctx.reply.arrayHeader(2)
            ctx.reply.bulk(keyBytes)
            if count < 0 {
                _ = list.pop(front: front) { ctx.reply.bulk($0) }
                removed(&ctx, key, list, 1)
            } else {
                let k = Swift.min(count, list.count)
                ctx.reply.arrayHeader(k)
                for _ in 0..<k { _ = list.pop(front: front) { ctx.reply.bulk($0) } }
                removed(&ctx, key, list, k)
            }
            return true
        }
        return false
    }

    // MARK: - Blocking pops

    /// BLPOP / BRPOP key [key ...] timeout.
    static func blockingPop(_ ctx: inout CommandContext, front: Bool) {
        let n = ctx.args.count
        guard let timeout = parseTimeout(&ctx, ctx.args[n &- 1]) else { return }
        let keys = 1..<(n &- 1)
        if popFirstNonEmpty(&ctx, keys: keys, front: front, count: -1) { return }
        if ctx.mayBlock {
            ctx.block(keyIndices: Array(keys), timeout: timeout)
        } else {
            ctx.reply.nullArray()
        }
    }

    /// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
    static func blmove(_ ctx: inout CommandContext) {
        guard let from = parseSide(ctx.args[3]), let to = parseSide(ctx.args[4]) else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        guard let timeout = parseTimeout(&ctx, ctx.args[5]) else { return }
        blockingMove(&ctx, fromFront: from, toFront: to, timeout: timeout)
    }

    /// BRPOPLPUSH source destination timeout.
    static func brpoplpush(_ ctx: inout CommandContext) {
        guard let timeout = parseTimeout(&ctx, ctx.args[3]) else { return }
        blockingMove(&ctx, fromFront: false, toFront: true, timeout: timeout)
    }

    static func blockingMove(_ ctx: inout CommandContext, fromFront: Bool, toFront: Bool, timeout: Double) {
        if let e = ctx.lookupWrite(ctx.key(1)) {
            guard e.listObject != nil else {
                ctx.reply.error(CommandError.wrongType)
                return
            }
            move(&ctx, fromFront: fromFront, toFront: toFront)
            return
        }
        if ctx.mayBlock {
            ctx.block(keyIndices: [1], timeout: timeout)
        } else {
            // Where it may not block (MULTI), Redis 7.0 answers BLMOVE with a plain null, not
            // the null array of a timeout.
            ctx.reply.null()
        }
    }
}
