import Glob
import Keyspace
import RESP

/// SPOP, SRANDMEMBER and SSCAN. Random members are uniform picks (`SetObject.randomPosition`,
/// or an index into the intset) from a generator seeded by the key's slot.
extension SetCommands {
    /// SPOP key [count]
    static func spop(_ ctx: inout CommandContext) {
        let n = ctx.args.count
        if n > 3 {
            ctx.reply.error(CommandError.syntax)
            return
        }
        var count = -1
        if n == 3 {
            guard let v = ctx.args[2].parseInt64(), v >= 0 else {
                ctx.reply.error(SetErrors.mustBePositive)
                return
            }
            count = Int(v)
        }
        let key = ctx.key(1)
        guard let e = ctx.lookupWrite(key) else {
            if count < 0 { ctx.reply.null() } else { ctx.reply.setHeader(0) }
            return
        }
        guard e.type == .set else {
            ctx.reply.error(CommandError.wrongType)
            return
        }
        if count == 0 {
            ctx.reply.setHeader(0)
            return
        }
        var random = ctx.setRandom(key)
        if count < 0 {
            popOne(&ctx, key, e, &random)
            return
        }
        let set = SetRef(e)
        let size = set.count
        if count >= size {
            // Everything goes: reply with the whole set (an intset ascending) and delete it.
            ctx.reply.setHeader(size)
            set.forEach { member, integer in
                if let integer { ctx.reply.bulkInteger(Int(integer)) } else { ctx.reply.bulk(member) }
            }
            ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
            ctx.keyspace.addDirty(size, slot: key.slot)
            return
        }
        ctx.reply.setHeader(count)
        switch set {
        case .table(let t):
            let remaining = size - count
            if remaining * 5 > count {
                for _ in 0..<count {
                    let p = t.randomPosition(using: &random)
                    ctx.reply.bulk(t.member(at: p))
                    t.remove(at: p)
                }
            } else {
                // Popping most of a big set: move the few survivors to a new set instead, as
                // Redis does, then return what is left of the old one.
                let survivors = SetObject(capacity: remaining)
                for _ in 0..<remaining {
                    let p = t.randomPosition(using: &random)
                    survivors.insert(t.member(at: p))
                    t.remove(at: p)
                }
                t.forEach { ctx.reply.bulk($0) }
                ctx.keyspace.setObject(db: ctx.db, key: key, object: survivors, keepTTL: true, now: ctx.now)
            }
        case .intset(let bytes):
            popFromIntset(&ctx, key, bytes, count: count, &random)
        }
        ctx.keyspace.addDirty(count, slot: key.slot)
    }

    private static func popOne(_ ctx: inout CommandContext, _ key: Key, _ e: EntryRef, _ random: inout SetRandom) {
        if e.holdsObject {
            let t = e.setObject
            let p = t.randomPosition(using: &random)
            ctx.reply.bulk(t.member(at: p))
            t.remove(at: p)
            if t.count == 0 { ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now) }
            ctx.keyspace.addDirty(1, slot: key.slot)
        } else {
            let bytes = e.valueBytes
            let i = random.below(SetIntset.count(bytes))
            ctx.reply.bulkInteger(Int(SetIntset.value(bytes, at: i)))
            ctx.storeIntset(key, bytes, removing: [i])
        }
    }

    /// Pops `count` (< size) random members of an intset: a partial Fisher-Yates shuffle picks
    /// them, and the survivors are written back at the same width (Redis never narrows).
    private static func popFromIntset(
        _ ctx: inout CommandContext, _ key: Key, _ bytes: UnsafeRawBufferPointer, count: Int, _ random: inout SetRandom
    ) {
        let size = SetIntset.count(bytes)
        let width = SetIntset.width(bytes)
        var values = (0..<size).map { SetIntset.value(bytes, at: $0) }
        for k in 0..<count {
            values.swapAt(k, k + random.below(size - k))
            ctx.reply.bulkInteger(Int(values[k]))
        }
        values.removeFirst(count)
        values.sort()
        withUnsafeTemporaryAllocation(byteCount: SetIntset.byteCount(count: values.count, width: width), alignment: 8) { out in
            SetIntset.write(into: out.baseAddress!, width: width, count: values.count) { values[$0] }
            ctx.keyspace.setCompact(
                db: ctx.db, key: key, type: .set, encoding: .intset, bytes: UnsafeRawBufferPointer(out), keepTTL: true,
                now: ctx.now)
        }
    }

    /// SRANDMEMBER key [count]: a positive count gives distinct members, a negative one may
    /// repeat them.
    static func srandmember(_ ctx: inout CommandContext) {
        let n = ctx.args.count
        if n > 3 {
            ctx.reply.error(CommandError.syntax)
            return
        }
        var requested: Int64? = nil
        if n == 3 {
            guard let v = ctx.args[2].parseInt64() else {
                ctx.reply.error(CommandError.notInteger)
                return
            }
            if v == Int64.min {
                ctx.reply.error(SetErrors.countRange)
                return
            }
            requested = v
        }
        let key = ctx.key(1)
        let (found, wrongType) = ctx.readSet(key)
        if wrongType { return }
        guard let set = found else {
            if requested == nil { ctx.reply.null() } else { ctx.reply.arrayHeader(0) }
            return
        }
        var random = ctx.setRandom(key)
        guard let requested else {
            writeRandomMember(&ctx, set, &random)
            return
        }
        let count = Int(requested.magnitude)
        let size = set.count
        if requested == 0 {
            ctx.reply.arrayHeader(0)
            return
        }
        if requested < 0 || count == 1 {
            // Every pick is independent. Refuse a reply that could not fit in memory rather
            // than die building it (Redis would try).
            let perMember = set.averageMemberLength + 8
            if count > ctx.limits.maxBulkLength / perMember {
                ctx.reply.error("ERR count is too large: the reply would exceed proto-max-bulk-len")
                return
            }
            ctx.reply.arrayHeader(count)
            for _ in 0..<count { writeRandomMember(&ctx, set, &random) }
            return
        }
        if count >= size {
            ctx.reply.arrayHeader(size)
            set.forEach { member, integer in
                if let integer { ctx.reply.bulkInteger(Int(integer)) } else { ctx.reply.bulk(member) }
            }
            return
        }
        // Distinct picks: positions (table) or indices (intset).
        var picked: [Int] = []
        picked.reserveCapacity(count)
        if count * 3 > size {
            // Close to the whole set: shuffle every position and keep a prefix.
            var all: [Int] = []
            all.reserveCapacity(size)
            switch set {
            case .intset: all.append(contentsOf: 0..<size)
            case .table(let t): for p in 0..<t.positionLimit where t.isOccupied(p) { all.append(p) }
            }
            for k in 0..<count {
                all.swapAt(k, k + random.below(size - k))
                picked.append(all[k])
            }
        } else {
            var seen = Set<Int>(minimumCapacity: count)
            while picked.count < count {
                let p: Int
                switch set {
                case .intset: p = random.below(size)
                case .table(let t): p = t.randomPosition(using: &random)
                }
                if seen.insert(p).inserted { picked.append(p) }
            }
        }
        ctx.reply.arrayHeader(count)
        for p in picked {
            switch set {
            case .intset(let b): ctx.reply.bulkInteger(Int(SetIntset.value(b, at: p)))
            case .table(let t): ctx.reply.bulk(t.member(at: p))
            }
        }
    }

    private static func writeRandomMember(_ ctx: inout CommandContext, _ set: SetRef, _ random: inout SetRandom) {
        switch set {
        case .intset(let b): ctx.reply.bulkInteger(Int(SetIntset.value(b, at: random.below(SetIntset.count(b)))))
        case .table(let t): ctx.reply.bulk(t.member(at: t.randomPosition(using: &random)))
        }
    }

    /// SSCAN key cursor [MATCH pattern] [COUNT count]. An intset is returned whole with cursor 0,
    /// as Redis does; a table is walked in tag order (see `SetObject.scan`).
    static func sscan(_ ctx: inout CommandContext) {
        guard let cursor = parseScanCursor(ctx.args[2]) else {
            ctx.reply.error(KeyErrors.invalidCursor)
            return
        }
        let (found, wrongType) = ctx.readSet(ctx.key(1))
        if wrongType { return }
        guard let set = found else {
            // Redis answers a missing key before looking at the options.
            ctx.reply.arrayHeader(2)
            ctx.reply.bulk("0")
            ctx.reply.arrayHeader(0)
            return
        }
        var count = 10
        var pattern: UnsafeRawBufferPointer? = nil
        var i = 3
        let n = ctx.args.count
        while i < n {
            let option = ctx.args[i]
            if option.equalsIgnoringCase("COUNT") && i + 1 < n {
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
            } else if option.equalsIgnoringCase("MATCH") && i + 1 < n {
                let p = ctx.args[i + 1]
                pattern = (p.count == 1 && p[0] == UInt8(ascii: "*")) ? nil : p
                i += 2
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        switch set {
        case .intset(let bytes):
            var values: [Int64] = []
            SetRef.intset(bytes).forEach { member, integer in
                if let pattern, !globMatch(pattern: pattern, string: member) { return }
                values.append(integer!)
            }
            ctx.reply.arrayHeader(2)
            ctx.reply.bulk("0")
            ctx.reply.arrayHeader(values.count)
            for v in values { ctx.reply.bulkInteger(Int(v)) }
        case .table(let t):
            var members: [UnsafeRawBufferPointer] = []
            let next = t.scan(cursor: cursor, count: count) { member in
                if let pattern, !globMatch(pattern: pattern, string: member) { return }
                members.append(member)
            }
            ctx.reply.arrayHeader(2)
            ctx.reply.bulkInteger(Int(next))
            ctx.reply.arrayHeader(members.count)
            for m in members { ctx.reply.bulk(m) }
        }
    }
}

extension SetRef {
    /// Bytes per member on average (an intset member prints as up to 20 digits).
    var averageMemberLength: Int {
        switch self {
        case .intset(let b): return SetIntset.width(b) * 5 / 2
        case .table(let t): return t.averageMemberLength
        }
    }
}
