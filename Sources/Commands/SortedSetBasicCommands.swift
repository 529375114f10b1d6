import Keyspace
import RESP

/// ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK (Redis 7.0 `t_zset.c` semantics).
enum SortedSetCommands {
    struct AddFlags {
        var nx = false, xx = false, gt = false, lt = false, incr = false, ch = false
    }

    /// What one element did (Redis `zsetAdd`'s out flags).
    enum AddOutcome {
        case added, updated, unchanged, skipped, notANumber
    }

    /// ZADD and ZINCRBY (`incr` preset), as Redis's `zaddGenericCommand`.
    static func zadd(_ ctx: inout CommandContext, incr presetIncr: Bool) {
        let args = ctx.args
        var flags = AddFlags()
        flags.incr = presetIncr
        var scoreIndex = 2
        while scoreIndex < args.count {
            let opt = args[scoreIndex]
            if opt.equalsIgnoringCase("NX") { flags.nx = true }
            else if opt.equalsIgnoringCase("XX") { flags.xx = true }
            else if opt.equalsIgnoringCase("CH") { flags.ch = true }
            else if opt.equalsIgnoringCase("INCR") { flags.incr = true }
            else if opt.equalsIgnoringCase("GT") { flags.gt = true }
            else if opt.equalsIgnoringCase("LT") { flags.lt = true }
            else { break }
            scoreIndex += 1
        }
        let remaining = args.count - scoreIndex
        if remaining == 0 || remaining % 2 != 0 {
            ctx.reply.error(CommandError.syntax)
            return
        }
        let elements = remaining / 2
        if flags.nx && flags.xx {
            ctx.reply.error(ZErrors.xxAndNx)
            return
        }
        if (flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt) {
            ctx.reply.error(ZErrors.gtLtNx)
            return
        }
        if flags.incr && elements > 1 {
            ctx.reply.error(ZErrors.incrPair)
            return
        }
        // Every score is checked before anything changes: the command applies fully or not at all.
        var firstScore = 0.0
        for j in 0..<elements {
            guard let s = ZNumbers.parseDouble(args[scoreIndex + 2 * j]) else {
                ctx.reply.error(CommandError.notFloat)
                return
            }
            if j == 0 { firstScore = s }
        }

        let key = Key(args[1])
        var existing: EntryRef? = nil
        switch ctx.lookupZSetWrite(key) {
        case .wrongType: return
        case .found(let e): existing = e
        case .missing:
            if flags.xx {
                if flags.incr { ctx.reply.null() } else { ctx.reply.integer(0) }
                return
            }
        }

        var object = existing?.sortedSetObject
        if object == nil, let e = existing, elements == 1 {
            // One element that changes nothing needs no copy of the compact bytes.
            let current = CompactSortedSet(e.valueBytes).find(args[scoreIndex + 1])?.score
            let (outcome, newScore) = decide(current, firstScore, flags)
            switch outcome {
            case .skipped:
                if flags.incr { ctx.reply.null() } else { ctx.reply.integer(0) }
                return
            case .unchanged:
                if flags.incr { ctx.reply.zscore(newScore) } else { ctx.reply.integer(0) }
                return
            case .notANumber:
                ctx.reply.error(ZErrors.notANumber)
                return
            case .added, .updated: break
            }
        }
        var added = 0, updated = 0, processed = 0
        var lastScore = 0.0
        let wasObject = object != nil
        var compact: CompactSortedSetBuffer? = nil
        if object == nil {
            compact = existing.map { CompactSortedSetBuffer(copying: $0.valueBytes) } ?? CompactSortedSetBuffer()
        }
        var failed = false
        for j in 0..<elements {
            let score = j == 0 ? firstScore : ZNumbers.parseDouble(args[scoreIndex + 2 * j])!
            let member = args[scoreIndex + 2 * j + 1]
            let outcome: AddOutcome
            if var c = compact {
                if c.count + 1 > ctx.encodings.zsetMaxListpackEntries || member.count > ctx.encodings.zsetMaxListpackValue,
                   !flags.xx, c.view.find(member) == nil {
                    // A new member that does not fit the compact form: convert first, as Redis does.
                    object = SortedSetObject(c.view)
                    c.deallocate()
                    compact = nil
                    outcome = addToObject(object!, member, score, flags, &lastScore)
                } else {
                    outcome = addToCompact(&c, member, score, flags, &lastScore)
                    compact = c
                }
            } else {
                outcome = addToObject(object!, member, score, flags, &lastScore)
            }
            switch outcome {
            case .added: added += 1; processed += 1
            case .updated: updated += 1; processed += 1
            case .unchanged: processed += 1
            case .skipped: break
            case .notANumber: failed = true
            }
            if failed { break }
        }

        if let c = compact {
            if added + updated > 0 { ctx.storeCompactZSet(key, c) }
            c.deallocate()
        } else if let object, !wasObject {
            ctx.keyspace.setObject(db: ctx.db, key: key, object: object, keepTTL: true, now: ctx.now)
        } else if added + updated > 0 {
            ctx.keyspace.addDirty(added + updated, slot: key.slot)
        }
        if failed {
            ctx.reply.error(ZErrors.notANumber)
            return
        }
        if added > 0 { ctx.signalKeyReady(key.bytes) }
        if flags.incr {
            if processed > 0 { ctx.reply.zscore(lastScore) } else { ctx.reply.null() }
        } else {
            ctx.reply.integer(flags.ch ? added + updated : added)
        }
    }

    /// Redis `zsetAdd`'s decision for a member with `current` score (nil: absent). Returns the
    /// outcome and the score to store.
    @inline(__always)
    static func decide(_ current: Double?, _ score: Double, _ flags: AddFlags) -> (AddOutcome, Double) {
        guard let current else { return flags.xx ? (.skipped, score) : (.added, score) }
        if flags.nx { return (.skipped, score) }
        var newScore = score
        if flags.incr {
            newScore += current
            if newScore.isNaN { return (.notANumber, newScore) }
        }
        if (flags.lt && newScore >= current) || (flags.gt && newScore <= current) { return (.skipped, newScore) }
        return (newScore == current ? .unchanged : .updated, newScore)
    }

    static func addToCompact(_ c: inout CompactSortedSetBuffer, _ member: UnsafeRawBufferPointer, _ score: Double,
                             _ flags: AddFlags, _ lastScore: inout Double) -> AddOutcome {
        let found = c.view.find(member)
        let (outcome, newScore) = decide(found?.score, score, flags)
        switch outcome {
        case .added:
            c.insert(score: newScore, member: member)
        case .updated:
            c.remove(at: found!.offset)
            c.insert(score: newScore, member: member)
        default: break
        }
        if outcome == .added || outcome == .updated || outcome == .unchanged { lastScore = newScore }
        return outcome
    }

    static func addToObject(_ o: SortedSetObject, _ member: UnsafeRawBufferPointer, _ score: Double,
                            _ flags: AddFlags, _ lastScore: inout Double) -> AddOutcome {
        let node = o.node(for: member)
        let (outcome, newScore) = decide(node?.score, score, flags)
        switch outcome {
        case .added: o.insert(member: member, score: newScore)
        case .updated: o.setScore(node!, to: newScore)
        default: break
        }
        if outcome == .added || outcome == .updated || outcome == .unchanged { lastScore = newScore }
        return outcome
    }

    static func zrem(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        let e: EntryRef
        switch ctx.lookupZSetWrite(key) {
        case .missing:
            ctx.reply.integer(0)
            return
        case .wrongType: return
        case .found(let found): e = found
        }
        var deleted = 0
        if let o = e.sortedSetObject {
            for i in 2..<ctx.args.count where o.remove(member: ctx.args[i]) {
                deleted += 1
                if o.count == 0 { break }
            }
            if deleted > 0 {
                ctx.keyspace.addDirty(deleted, slot: key.slot)
                ctx.finishZSetRemoval(key, o)
            }
        } else {
            var c = CompactSortedSetBuffer(copying: e.valueBytes)
            for i in 2..<ctx.args.count {
                if let found = c.view.find(ctx.args[i]) {
                    c.remove(at: found.offset)
                    deleted += 1
                    if c.count == 0 { break }
                }
            }
            if deleted > 0 { ctx.storeCompactZSet(key, c) }
            c.deallocate()
        }
        ctx.reply.integer(deleted)
    }

    static func zcard(_ ctx: inout CommandContext) {
        switch ctx.lookupZSetRead(ctx.key(1)) {
        case .missing: ctx.reply.integer(0)
        case .wrongType: return
        case .found(let e): ctx.reply.integer(ZSetValue(e).count)
        }
    }

    static func zscore(_ ctx: inout CommandContext) {
        switch ctx.lookupZSetRead(ctx.key(1)) {
        case .missing: ctx.reply.null()
        case .wrongType: return
        case .found(let e):
            if let s = ZSetValue(e).score(of: ctx.args[2]) { ctx.reply.zscore(s) } else { ctx.reply.null() }
        }
    }

    static func zmscore(_ ctx: inout CommandContext) {
        var value: ZSetValue? = nil
        switch ctx.lookupZSetRead(ctx.key(1)) {
        case .missing: break
        case .wrongType: return
        case .found(let e): value = ZSetValue(e)
        }
        ctx.reply.arrayHeader(ctx.args.count - 2)
        for i in 2..<ctx.args.count {
            if let s = value?.score(of: ctx.args[i]) { ctx.reply.zscore(s) } else { ctx.reply.null() }
        }
    }

    static func zrank(_ ctx: inout CommandContext, reverse: Bool) {
        switch ctx.lookupZSetRead(ctx.key(1)) {
        case .missing: ctx.reply.null()
        case .wrongType: return
        case .found(let e):
            let z = ZSetValue(e)
            if let r = z.rank(of: ctx.args[2]) {
                ctx.reply.integer(reverse ? z.count - 1 - r.rank : r.rank)
            } else {
                ctx.reply.null()
            }
        }
    }
}
