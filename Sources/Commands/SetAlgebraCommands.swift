import Keyspace
import RESP

/// SINTER / SMEMBERS / SINTERSTORE / SINTERCARD and SUNION / SDIFF (+STORE), after Redis 7.0's
/// `sinterGenericCommand` and `sunionDiffGenericCommand`: every key is type-checked before any
/// work, results are built with the encoding Redis would give them, and the STORE forms replace
/// the destination whatever it held (deleting it when the result is empty).
extension SetCommands {
    /// Looks up the sets at `args[keys]` (nil for a missing key); nil after replying WRONGTYPE.
    static func lookupSets(_ ctx: inout CommandContext, _ keys: Range<Int>) -> [SetRef?]? {
        var sets: [SetRef?] = []
        sets.reserveCapacity(keys.count)
        for i in keys {
            let (set, wrongType) = ctx.readSet(ctx.key(i))
            if wrongType { return nil }
            sets.append(set)
        }
        return sets
    }

    /// `destination`: the argument index of the STORE key. `cardinalityLimit`: SINTERCARD's
    /// LIMIT (0 = none), which makes the reply a count.
    static func sinter(_ ctx: inout CommandContext, keys: Range<Int>, destination: Int?, cardinalityLimit: Int?) {
        guard let found = lookupSets(&ctx, keys) else { return }
        var sets: [SetRef] = []
        sets.reserveCapacity(found.count)
        for s in found {
            guard let s else {
                // Intersecting with an empty set: nothing, whatever the other sets hold.
                if let destination {
                    ctx.keyspace.delete(db: ctx.db, key: ctx.key(destination), now: ctx.now)
                    ctx.reply.integer(0)
                } else if cardinalityLimit != nil {
                    ctx.reply.integer(0)
                } else {
                    ctx.reply.setHeader(0)
                }
                return
            }
            sets.append(s)
        }
        sets.sort { $0.count < $1.count }
        let first = sets[0]
        let others = sets.dropFirst()
        @inline(__always) func inAll(_ member: UnsafeRawBufferPointer, _ integer: Int64?) -> Bool {
            for s in others where !s.contains(member, integer: integer) { return false }
            return true
        }

        if let limit = cardinalityLimit {
            var n = 0
            first.forEachUntil { member, integer in
                if inAll(member, integer) {
                    n += 1
                    if limit > 0 && n >= limit { return false }
                }
                return true
            }
            ctx.reply.integer(n)
            return
        }
        if let destination {
            var builder = SetBuilder(maxIntset: ctx.encodings.setMaxIntsetEntries)
            first.forEach { member, integer in
                if inAll(member, integer) { builder.add(member, integer: integer) }
            }
            builder.store(&ctx, at: ctx.key(destination))
            return
        }
        // The reply's length comes first: collect the members (views into the smallest set,
        // which nothing modifies meanwhile), then write them.
        switch first {
        case .intset(let bytes):
            var values: [Int64] = []
            SetRef.intset(bytes).forEach { member, integer in
                if inAll(member, integer) { values.append(integer!) }
            }
            ctx.reply.setHeader(values.count)
            for v in values { ctx.reply.bulkInteger(Int(v)) }
        case .table(let t):
            if others.isEmpty {
                ctx.reply.setHeader(t.count)
                t.forEach { ctx.reply.bulk($0) }
                return
            }
            var members: [UnsafeRawBufferPointer] = []
            t.forEach { member in if inAll(member, nil) { members.append(member) } }
            ctx.reply.setHeader(members.count)
            for m in members { ctx.reply.bulk(m) }
        }
    }

    /// SINTERCARD numkeys key [key ...] [LIMIT limit]
    static func sintercard(_ ctx: inout CommandContext) {
        let n = ctx.args.count
        guard let numkeys = ctx.args[1].parseInt64(), numkeys > 0 else {
            ctx.reply.error(SetErrors.numkeysNotPositive)
            return
        }
        if numkeys > Int64(n - 2) {
            ctx.reply.error(SetErrors.tooManyKeys)
            return
        }
        let keyEnd = 2 + Int(numkeys)
        var limit = 0
        var i = keyEnd
        while i < n {
            if ctx.args[i].equalsIgnoringCase("LIMIT") && i + 1 < n {
                guard let v = ctx.args[i + 1].parseInt64(), v >= 0 else {
                    ctx.reply.error(SetErrors.limitNegative)
                    return
                }
                limit = Int(v)
                i += 2
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        sinter(&ctx, keys: 2..<keyEnd, destination: nil, cardinalityLimit: limit)
    }

    /// SUNION / SDIFF and their STORE forms.
    static func sunionDiff(_ ctx: inout CommandContext, keys: Range<Int>, destination: Int?, diff: Bool) {
        guard let found = lookupSets(&ctx, keys) else { return }
        var builder = SetBuilder(maxIntset: ctx.encodings.setMaxIntsetEntries)
        if !diff {
            for case let s? in found { s.forEach { builder.add($0, integer: $1) } }
        } else if let first = found[0] {
            // A later key naming the first set again empties the result.
            let firstKey = ctx.args[keys.lowerBound]
            let sameSet = keys.dropFirst().contains { found[$0 - keys.lowerBound] != nil && ctx.args[$0].elementsEqual(firstKey) }
            if !sameSet {
                let rest = found.dropFirst().compactMap { $0 }
                // Redis's choice: walk the first set probing the others (favoured 2:1), or add
                // the first set and remove everything else. It decides the result's encoding too.
                let probeWork = (first.count * (rest.count + 1)) / 2
                let sweepWork = first.count + rest.reduce(0) { $0 + $1.count }
                if probeWork <= sweepWork {
                    let others = rest.sorted { $0.count > $1.count }
                    first.forEach { member, integer in
                        for s in others where s.contains(member, integer: integer) { return }
                        builder.add(member, integer: integer)
                    }
                } else {
                    first.forEach { builder.add($0, integer: $1) }
                    for s in rest {
                        if builder.count == 0 { break }
                        s.forEach { builder.remove($0, integer: $1) }
                    }
                }
            }
        }
        if let destination {
            builder.store(&ctx, at: ctx.key(destination))
        } else {
            builder.reply(&ctx)
        }
    }
}

extension SetRef {
    /// `forEach` that stops when `body` returns false.
    func forEachUntil(_ body: (UnsafeRawBufferPointer, Int64?) -> Bool) {
        switch self {
        case .intset(let b):
            let n = SetIntset.count(b)
            withUnsafeTemporaryAllocation(byteCount: 24, alignment: 8) { scratch in
                let base = scratch.baseAddress!
                for i in 0..<n {
                    let v = SetIntset.value(b, at: i)
                    let len = RESPWriter.formatDecimal(Int(v), into: base)
                    if !body(UnsafeRawBufferPointer(start: base, count: len), v) { return }
                }
            }
        case .table(let t):
            let end = t.positionLimit
            var p = 0
            while p < end {
                if t.isOccupied(p) && !body(t.member(at: p), nil) { return }
                p += 1
            }
        }
    }
}
