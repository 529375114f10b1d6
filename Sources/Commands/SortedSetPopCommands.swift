import Glob
import Keyspace
import RESP

/// ZPOPMIN / ZPOPMAX, ZMPOP, the blocking BZPOPMIN / BZPOPMAX / BZMPOP, ZRANDMEMBER and ZSCAN.
extension SortedSetCommands {
    /// How a pop reply is shaped (Redis `genericZpopCommand`'s `emitkey` / `use_nested_array`).
    struct PopShape {
        var emitKey: Bool
        var nested: Bool
    }

    static func zpop(_ ctx: inout CommandContext, max: Bool) {
        if ctx.args.count > 3 {
            ctx.reply.error(CommandError.syntax)
            return
        }
        var count = -1
        if ctx.args.count == 3 {
            guard let c = ctx.args[2].parseInt64(), c >= 0 else {
                ctx.reply.error(ZErrors.mustBePositive)
                return
            }
            count = Int(c)
        }
        let key = ctx.key(1)
        let entry: EntryRef
        switch ctx.lookupZSetWrite(key) {
        case .missing:
            ctx.reply.arrayHeader(0)
            return
        case .wrongType: return
        case .found(let e): entry = e
        }
        // RESP3 nests pairs when a count was given; a plain pop stays flat.
        let shape = PopShape(emitKey: false, nested: ctx.reply.isRESP3 && count != -1)
        pop(&ctx, key, entry, max: max, count: count, shape: shape)
    }

    /// Pops from a present set and writes the reply (Redis `genericZpopCommand` from "Remove the
    /// element" on). `count` -1 means a plain single pop.
    static func pop(_ ctx: inout CommandContext, _ key: Key, _ entry: EntryRef, max: Bool, count: Int,
                    shape: PopShape) {
        if count == 0 {
            ctx.reply.arrayHeader(0)
            return
        }
        let value = ZSetValue(entry)
        let length = value.count
        let n = Swift.min(count == -1 ? 1 : count, length)
        switch (shape.emitKey, shape.nested) {
        case (false, false): ctx.reply.arrayHeader(n * 2)
        case (false, true): ctx.reply.arrayHeader(n)
        case (true, false):
            ctx.reply.arrayHeader(n * 2 + 1)
            ctx.reply.bulk(key.bytes)
        case (true, true):
            ctx.reply.arrayHeader(2)
            ctx.reply.bulk(key.bytes)
            ctx.reply.arrayHeader(n)
        }
        let start = max ? length - 1 : 0
        value.forEach(from: start, count: n, reverse: max) { member, score in
            if shape.nested { ctx.reply.arrayHeader(2) }
            ctx.reply.bulk(member)
            ctx.reply.zscore(score)
        }
        let first = max ? length - n : 0
        switch value {
        case .object(let o):
            o.removeRange(from: first, count: n)
            ctx.keyspace.addDirty(n, slot: key.slot)
            ctx.finishZSetRemoval(key, o)
        case .compact(let c):
            var buffer = CompactSortedSetBuffer(copying: c.bytes)
            let from = c.offset(ofIndex: first)
            let to = first + n == length ? c.endOffset : c.offset(ofIndex: first + n)
            buffer.remove(from: from, to: to, elements: n)
            ctx.storeCompactZSet(key, buffer)
            buffer.deallocate()
        }
    }

    /// Redis's `getTimeoutFromObjectOrReply` in seconds: returns the timeout in seconds (0 =
    /// forever), or nil after replying an error. Milliseconds are truncated toward zero, so a
    /// tiny negative timeout is 0 and a tiny positive one blocks forever, as in Redis.
    static func parseTimeout(_ ctx: inout CommandContext, _ bytes: UnsafeRawBufferPointer) -> Double? {
        guard let seconds = ZNumbers.parseTimeoutSeconds(bytes) else {
            ctx.reply.error(ZErrors.timeoutNotFloat)
            return nil
        }
        let ms = seconds * 1000
        // C's conversion of an out-of-range double yields LLONG_MIN on the platforms Redis runs on.
        guard ms.isFinite, ms > -9.223372036854775808e18, ms < 9.223372036854775808e18, Int64(ms) >= 0 else {
            ctx.reply.error(ZErrors.timeoutNegative)
            return nil
        }
        let whole = Int64(ms)
        if whole > 0 && whole > Int64.max - ctx.now {
            ctx.reply.error(ZErrors.timeoutOutOfRange)
            return nil
        }
        return Double(whole) / 1000
    }

    /// BZPOPMIN / BZPOPMAX key [key ...] timeout.
    static func bzpop(_ ctx: inout CommandContext, max: Bool) {
        guard let timeout = parseTimeout(&ctx, ctx.args[ctx.args.count - 1]) else { return }
        blockingPop(&ctx, keyIndices: Array(1..<(ctx.args.count - 1)), max: max, count: -1,
                    shape: PopShape(emitKey: true, nested: false), timeout: timeout)
    }

    /// Redis `blockingGenericZpopCommand`: pops from the first non-empty set, else blocks (or, where
    /// blocking is not allowed, replies as on timeout).
    static func blockingPop(_ ctx: inout CommandContext, keyIndices: [Int], max: Bool, count: Int,
                            shape: PopShape, timeout: Double) {
        for i in keyIndices {
            let key = ctx.key(i)
            switch ctx.lookupZSetWrite(key) {
            case .missing: continue
            case .wrongType: return
            case .found(let e):
                pop(&ctx, key, e, max: max, count: count, shape: shape)
                return
            }
        }
        if ctx.mayBlock {
            ctx.block(keyIndices: keyIndices, timeout: timeout)
        } else {
            ctx.reply.nullArray()
        }
    }

    /// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] and BZMPOP timeout numkeys ...
    static func zmpop(_ ctx: inout CommandContext, blocking: Bool) {
        let args = ctx.args
        let numkeysIndex = blocking ? 2 : 1
        guard let numkeys = args[numkeysIndex].parseInt64(), numkeys >= 1 else {
            ctx.reply.error(ZErrors.numkeysPositive)
            return
        }
        guard numkeys < Int64(args.count) - Int64(numkeysIndex) - 1 else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        let whereIndex = numkeysIndex + Int(numkeys) + 1
        let max: Bool
        if args[whereIndex].equalsIgnoringCase("MIN") {
            max = false
        } else if args[whereIndex].equalsIgnoringCase("MAX") {
            max = true
        } else {
            ctx.reply.error(CommandError.syntax)
            return
        }
        var count = -1
        var j = whereIndex + 1
        while j < args.count {
            if count == -1 && args[j].equalsIgnoringCase("COUNT") && j + 1 < args.count {
                guard let c = args[j + 1].parseInt64(), c >= 1 else {
                    ctx.reply.error(ZErrors.countPositive)
                    return
                }
                count = Int(c)
                j += 2
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        if count == -1 { count = 1 }
        let keys = Array((numkeysIndex + 1)..<whereIndex)
        let shape = PopShape(emitKey: true, nested: true)
        if blocking {
            guard let timeout = parseTimeout(&ctx, args[1]) else { return }
            blockingPop(&ctx, keyIndices: keys, max: max, count: count, shape: shape, timeout: timeout)
            return
        }
        for i in keys {
            let key = Key(args[i])
            switch ctx.lookupZSetWrite(key) {
            case .missing: continue
            case .wrongType: return
            case .found(let e):
                pop(&ctx, key, e, max: max, count: count, shape: shape)
                return
            }
        }
        ctx.reply.nullArray()
    }

    /// Key positions of ZMPOP / BZMPOP / ZUNION ... (`numkeys` at `numkeysIndex`), for routing;
    /// malformed input yields the keys that can be told.
    static func numkeysKeys(_ args: ArgumentList, numkeysIndex: Int, firstKeyBefore: [Int] = []) -> [Int] {
        guard numkeysIndex < args.count, let n = args[numkeysIndex].parseInt64(), n > 0 else { return firstKeyBefore }
        let available = args.count - 1 - numkeysIndex
        let last = numkeysIndex + (n > Int64(available) ? available : Int(n))
        guard last > numkeysIndex else { return firstKeyBefore }
        return firstKeyBefore + Array((numkeysIndex + 1)...last)
    }

    // MARK: ZRANDMEMBER

    /// Replies of repeated random members are capped: Redis would try to stream any count.
    static let maxRandomRepeats = 1 << 24

    static func zrandmember(_ ctx: inout CommandContext) {
        let args = ctx.args
        guard args.count >= 3 else {
            switch ctx.lookupZSetRead(Key(args[1])) {
            case .missing: ctx.reply.null()
            case .wrongType: return
            case .found(let e):
                let value = ZSetValue(e)
                var rng = ZRandom()
                value.forEach(from: rng.below(value.count), count: 1, reverse: false) { m, _ in ctx.reply.bulk(m) }
            }
            return
        }
        guard let l = args[2].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        if l == Int64.min {
            ctx.reply.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
            return
        }
        var withScores = false
        if args.count > 4 || (args.count == 4 && !args[3].equalsIgnoringCase("WITHSCORES")) {
            ctx.reply.error(CommandError.syntax)
            return
        } else if args.count == 4 {
            withScores = true
            if l < -(Int64.max / 2) || l > Int64.max / 2 {
                ctx.reply.error(ZErrors.outOfRange)
                return
            }
        }
        let value: ZSetValue
        switch ctx.lookupZSetRead(Key(args[1])) {
        case .missing:
            ctx.reply.arrayHeader(0)
            return
        case .wrongType: return
        case .found(let e): value = ZSetValue(e)
        }
        let unique = l >= 0
        let count = Int(l.magnitude)
        if count == 0 {
            ctx.reply.arrayHeader(0)
            return
        }
        let size = value.count
        var rng = ZRandom()
        if !unique || count == 1 {
            if count > maxRandomRepeats {
                ctx.reply.error(ZErrors.outOfRange)
                return
            }
            ctx.reply.zrangeHeader(count, withScores: withScores)
            for _ in 0..<count {
                value.forEach(from: rng.below(size), count: 1, reverse: false) { m, s in
                    ctx.reply.zelement(m, s, withScores: withScores)
                }
            }
            return
        }
        if count >= size {
            // The whole set, walked from the top as Redis's set-operation iterator does.
            ctx.reply.zrangeHeader(size, withScores: withScores)
            value.forEach(from: size - 1, count: size, reverse: true) { m, s in
                ctx.reply.zelement(m, s, withScores: withScores)
            }
            return
        }
        ctx.reply.zrangeHeader(count, withScores: withScores)
        if count * 3 > size || { if case .compact = value { return true } else { return false } }() {
            // Selection sampling: each rank is kept with probability needed/left, in rank order.
            var needed = count
            var left = size
            value.forEach(from: 0, count: size, reverse: false) { m, s in
                if needed > 0 && rng.below(left) < needed {
                    ctx.reply.zelement(m, s, withScores: withScores)
                    needed -= 1
                }
                left -= 1
            }
            return
        }
        // Few of many: distinct random ranks.
        var picked = Set<Int>(minimumCapacity: count)
        while picked.count < count {
            let r = rng.below(size)
            if picked.insert(r).inserted {
                value.forEach(from: r, count: 1, reverse: false) { m, s in
                    ctx.reply.zelement(m, s, withScores: withScores)
                }
            }
        }
    }

    // MARK: ZSCAN

    static func zscan(_ ctx: inout CommandContext) {
        let args = ctx.args
        guard var cursor = parseScanCursor(args[2]) else {
            ctx.reply.error(KeyErrors.invalidCursor)
            return
        }
        let value: ZSetValue
        switch ctx.lookupZSetRead(Key(args[1])) {
        case .missing:
            ctx.reply.writeRaw("*2\r\n$1\r\n0\r\n*0\r\n")
            return
        case .wrongType: return
        case .found(let e): value = ZSetValue(e)
        }
        var count = 10
        var pattern: UnsafeRawBufferPointer? = nil
        var i = 3
        while i < args.count {
            let left = args.count - i
            if args[i].equalsIgnoringCase("COUNT") && left >= 2 {
                guard let c = ZNumbers.parseLong(args[i + 1]) else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                if c < 1 {
                    ctx.reply.error(CommandError.syntax)
                    return
                }
                count = c
                i += 2
            } else if args[i].equalsIgnoringCase("MATCH") && left >= 2 {
                let p = args[i + 1]
                pattern = p.count == 1 && p[0] == UInt8(ascii: "*") ? nil : p
                i += 2
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        let matches = { (m: UnsafeRawBufferPointer) -> Bool in
            guard let pattern else { return true }
            return globMatch(pattern: pattern, string: m)
        }
        switch value {
        case .compact(let c):
            // A compact set is returned whole, its scores as the listpack's text.
            var n = 0
            var offset = c.startOffset
            while offset < c.endOffset {
                let e = c.element(at: offset)
                if matches(e.member) { n += 1 }
                offset = e.next
            }
            ctx.reply.writeRaw("*2\r\n$1\r\n0\r\n")
            ctx.reply.arrayHeader(n * 2)
            offset = c.startOffset
            while offset < c.endOffset {
                let e = c.element(at: offset)
                if matches(e.member) {
                    ctx.reply.bulk(e.member)
                    ctx.reply.zlistpackScore(e.score)
                }
                offset = e.next
            }
        case .object(let o):
            var found: [SortedSetNode] = []
            var iterations = count.multipliedReportingOverflow(by: 20).overflow ? Int.max : count * 20
            repeat {
                cursor = o.scan(cursor: cursor) { found.append($0) }
                iterations -= 1
            } while cursor != 0 && iterations > 0 && found.count < count
            ctx.reply.arrayHeader(2)
            ctx.reply.bulkInteger(Int(bitPattern: UInt(cursor)))
            let kept = pattern == nil ? found : found.filter { matches($0.member) }
            ctx.reply.arrayHeader(kept.count * 2)
            for node in kept {
                ctx.reply.bulk(node.member)
                ctx.reply.zscoreText(node.score)
            }
        }
    }
}

/// A small PRNG for ZRANDMEMBER, seeded from the system generator once per command.
struct ZRandom {
    private var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next() | 1
    }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// Uniform in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
