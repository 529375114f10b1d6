import Keyspace
import RESP

/// ZRANGE and its older forms, ZRANGESTORE, ZCOUNT, ZLEXCOUNT and ZREMRANGEBY* (Redis
/// `zrangeGenericCommand` / `zremrangeGenericCommand`). Every range is first resolved to a run of
/// ascending ranks, so the reply length is known before anything is written.
extension SortedSetCommands {
    enum RangeKind { case auto, rank, score, lex }
    enum RangeDirection { case auto, forward, reverse }

    /// The elements a range selects: `count` elements starting at ascending rank `start` and
    /// walking up, or down when `reverse`.
    struct RangeRun {
        var start: Int
        var count: Int
        var reverse: Bool

        static let empty = RangeRun(start: 0, count: 0, reverse: false)

        /// The same elements in ascending order.
        var ascendingStart: Int { reverse ? start - count + 1 : start }
    }

    /// `keyIndex` is the source key's argument; `store` is set for ZRANGESTORE (destination at 1).
    static func zrange(_ ctx: inout CommandContext, keyIndex: Int, store: Bool, kind fixedKind: RangeKind,
                       direction fixedDirection: RangeDirection) {
        let args = ctx.args
        var kind = fixedKind
        var direction = fixedDirection
        var withScores = false
        var offset = 0
        var limit = -1
        var j = keyIndex + 3
        while j < args.count {
            let a = args[j]
            let left = args.count - j - 1
            if !store && a.equalsIgnoringCase("WITHSCORES") {
                withScores = true
            } else if a.equalsIgnoringCase("LIMIT") && left >= 2 {
                guard let o = ZNumbers.parseLong(args[j + 1]), let l = ZNumbers.parseLong(args[j + 2]) else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                offset = o
                limit = l
                j += 2
            } else if direction == .auto && a.equalsIgnoringCase("REV") {
                direction = .reverse
            } else if kind == .auto && a.equalsIgnoringCase("BYLEX") {
                kind = .lex
            } else if kind == .auto && a.equalsIgnoringCase("BYSCORE") {
                kind = .score
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
            j += 1
        }
        if direction == .auto { direction = .forward }
        if kind == .auto { kind = .rank }
        let reverse = direction == .reverse
        // Redis tests the value, so `LIMIT 0 -1` passes with a rank range.
        if limit != -1 && kind == .rank {
            ctx.reply.error(ZErrors.limitNeedsByScoreOrLex)
            return
        }
        if withScores && kind == .lex {
            ctx.reply.error(ZErrors.withScoresWithLex)
            return
        }
        // BYSCORE / BYLEX ranges are given as max, min when reversed.
        var minArg = args[keyIndex + 1]
        var maxArg = args[keyIndex + 2]
        if reverse && kind != .rank { swap(&minArg, &maxArg) }

        var rankRange = (start: 0, end: 0)
        var scoreRange = SortedSetScoreRange(min: 0, max: 0)
        var lexRange = SortedSetLexRange(min: .minusInfinity, max: .plusInfinity)
        switch kind {
        case .rank, .auto:
            guard let s = ZNumbers.parseLong(minArg), let e = ZNumbers.parseLong(maxArg) else {
                ctx.reply.error(CommandError.notInteger)
                return
            }
            rankRange = (s, e)
        case .score:
            guard let r = ZNumbers.parseScoreRange(minArg, maxArg) else {
                ctx.reply.error(ZErrors.minMaxNotFloat)
                return
            }
            scoreRange = r
        case .lex:
            guard let r = ZNumbers.parseLexRange(minArg, maxArg) else {
                ctx.reply.error(ZErrors.minMaxNotLex)
                return
            }
            lexRange = r
        }

        let value: ZSetValue
        switch ctx.lookupZSetRead(Key(args[keyIndex])) {
        case .wrongType: return
        case .missing:
            if store {
                var builder = ZSetResultBuilder(expectedCount: 0, limits: ctx.encodings)
                ctx.reply.integer(builder.store(&ctx, at: Key(args[1])))
            } else {
                ctx.reply.arrayHeader(0)
            }
            return
        case .found(let e): value = ZSetValue(e)
        }

        let run: RangeRun
        switch kind {
        case .rank, .auto: run = rankRun(value.count, rankRange.start, rankRange.end, reverse: reverse)
        case .score: run = scoreRun(value, scoreRange, offset: offset, limit: limit, reverse: reverse)
        case .lex: run = lexRun(value, lexRange, offset: offset, limit: limit, reverse: reverse)
        }

        if store {
            // Redis sizes the result only for rank ranges; score and lex results start compact.
            var builder = ZSetResultBuilder(expectedCount: kind == .rank ? run.count : 0, limits: ctx.encodings)
            value.forEach(from: run.ascendingStart, count: run.count, reverse: false) { builder.append($0, $1) }
            ctx.reply.integer(builder.store(&ctx, at: Key(args[1])))
            return
        }
        ctx.reply.zrangeHeader(run.count, withScores: withScores)
        value.forEach(from: run.start, count: run.count, reverse: run.reverse) { member, score in
            ctx.reply.zelement(member, score, withScores: withScores)
        }
    }

    /// Redis's index sanitising for rank ranges (negative indices count from the end).
    static func rankRun(_ length: Int, _ start: Int, _ end: Int, reverse: Bool) -> RangeRun {
        var s = start
        var e = end
        if s < 0 { s = length &+ s }
        if e < 0 { e = length &+ e }
        if s < 0 { s = 0 }
        if s > e || s >= length { return .empty }
        if e >= length { e = length - 1 }
        let n = e - s + 1
        return reverse ? RangeRun(start: length - 1 - s, count: n, reverse: true) : RangeRun(start: s, count: n, reverse: false)
    }

    /// `n` elements after skipping `offset` of `available`, with a negative limit meaning all and a
    /// negative offset meaning none (Redis's `while (ln && offset--)` runs off the end).
    static func applyLimit(available: Int, offset: Int, limit: Int) -> Int {
        if offset < 0 || offset >= available { return 0 }
        let n = available - offset
        return limit < 0 ? n : min(n, limit)
    }

    static func scoreRun(_ value: ZSetValue, _ range: SortedSetScoreRange, offset: Int, limit: Int,
                         reverse: Bool) -> RangeRun {
        guard let (first, last) = value.ranks(in: range), last >= first else { return .empty }
        let n = applyLimit(available: last - first + 1, offset: offset, limit: limit)
        if n == 0 { return .empty }
        return reverse ? RangeRun(start: last - offset, count: n, reverse: true)
                       : RangeRun(start: first + offset, count: n, reverse: false)
    }

    static func lexRun(_ value: ZSetValue, _ range: SortedSetLexRange, offset: Int, limit: Int,
                       reverse: Bool) -> RangeRun {
        if offset < 0 || limit == 0 { return .empty }
        // The run only needs to be walked as far as the reply reaches.
        let (bound, overflow) = offset.addingReportingOverflow(limit)
        let walk = limit < 0 || overflow ? Int.max : bound
        if reverse {
            guard let (last, available) = value.backwardLexRun(range, limit: walk) else { return .empty }
            let n = applyLimit(available: available, offset: offset, limit: limit)
            return n == 0 ? .empty : RangeRun(start: last - offset, count: n, reverse: true)
        }
        guard let (first, available) = value.forwardLexRun(range, limit: walk) else { return .empty }
        let n = applyLimit(available: available, offset: offset, limit: limit)
        return n == 0 ? .empty : RangeRun(start: first + offset, count: n, reverse: false)
    }

    static func zcount(_ ctx: inout CommandContext) {
        guard let range = ZNumbers.parseScoreRange(ctx.args[2], ctx.args[3]) else {
            ctx.reply.error(ZErrors.minMaxNotFloat)
            return
        }
        switch ctx.lookupZSetRead(ctx.key(1)) {
        case .missing: ctx.reply.integer(0)
        case .wrongType: return
        case .found(let e):
            if let (first, last) = ZSetValue(e).ranks(in: range) {
                ctx.reply.integer(max(0, last - first + 1))
            } else {
                ctx.reply.integer(0)
            }
        }
    }

    static func zlexcount(_ ctx: inout CommandContext) {
        guard let range = ZNumbers.parseLexRange(ctx.args[2], ctx.args[3]) else {
            ctx.reply.error(ZErrors.minMaxNotLex)
            return
        }
        switch ctx.lookupZSetRead(ctx.key(1)) {
        case .missing: ctx.reply.integer(0)
        case .wrongType: return
        case .found(let e):
            switch ZSetValue(e) {
            case .compact(let c): ctx.reply.integer(c.forwardLexRun(range)?.count ?? 0)
            case .object(let o): ctx.reply.integer(o.lexCount(range))
            }
        }
    }

    /// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX.
    static func zremrange(_ ctx: inout CommandContext, kind: RangeKind) {
        let args = ctx.args
        var rankRange = (start: 0, end: 0)
        var scoreRange = SortedSetScoreRange(min: 0, max: 0)
        var lexRange = SortedSetLexRange(min: .minusInfinity, max: .plusInfinity)
        switch kind {
        case .rank, .auto:
            guard let s = ZNumbers.parseLong(args[2]), let e = ZNumbers.parseLong(args[3]) else {
                ctx.reply.error(CommandError.notInteger)
                return
            }
            rankRange = (s, e)
        case .score:
            guard let r = ZNumbers.parseScoreRange(args[2], args[3]) else {
                ctx.reply.error(ZErrors.minMaxNotFloat)
                return
            }
            scoreRange = r
        case .lex:
            guard let r = ZNumbers.parseLexRange(args[2], args[3]) else {
                ctx.reply.error(ZErrors.minMaxNotLex)
                return
            }
            lexRange = r
        }
        let key = Key(args[1])
        let entry: EntryRef
        switch ctx.lookupZSetWrite(key) {
        case .missing:
            ctx.reply.integer(0)
            return
        case .wrongType: return
        case .found(let e): entry = e
        }
        let value = ZSetValue(entry)
        let run: RangeRun
        switch kind {
        case .rank, .auto: run = rankRun(value.count, rankRange.start, rankRange.end, reverse: false)
        case .score: run = scoreRun(value, scoreRange, offset: 0, limit: -1, reverse: false)
        case .lex: run = lexRun(value, lexRange, offset: 0, limit: -1, reverse: false)
        }
        if run.count == 0 {
            ctx.reply.integer(0)
            return
        }
        switch value {
        case .object(let o):
            let removed = o.removeRange(from: run.start, count: run.count)
            ctx.keyspace.addDirty(removed, slot: key.slot)
            ctx.finishZSetRemoval(key, o)
        case .compact(let c):
            var buffer = CompactSortedSetBuffer(copying: c.bytes)
            let from = c.offset(ofIndex: run.start)
            let to = run.start + run.count == c.count ? c.endOffset : c.offset(ofIndex: run.start + run.count)
            buffer.remove(from: from, to: to, elements: run.count)
            ctx.storeCompactZSet(key, buffer)
            buffer.deallocate()
        }
        ctx.reply.integer(run.count)
    }
}
