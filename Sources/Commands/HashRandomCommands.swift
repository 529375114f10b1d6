import Glob
import Keyspace
import RESP

/// HRANDFIELD and HSCAN.
extension HashCommands {
    /// HRANDFIELD key [count [WITHVALUES]]: validation in Redis's order (count, then the option
    /// word, then the WITHVALUES range) before the key is looked up.
    static func hrandfield(_ ctx: inout CommandContext) {
        let n = ctx.args.count
        if n >= 3 {
            guard let count = ctx.args[2].parseInt64() else {
                ctx.reply.error(CommandError.notInteger)
                return
            }
            if count == Int64.min {
                ctx.reply.error(HashErrors.countOutOfRange)
                return
            }
            if n > 4 || (n == 4 && !ctx.args[3].equalsIgnoringCase("WITHVALUES")) {
                ctx.reply.error(CommandError.syntax)
                return
            }
            let withValues = n == 4
            // WITHVALUES doubles the reply length, which must not overflow.
            if withValues && (count < -(Int64.max / 2) || count > Int64.max / 2) {
                ctx.reply.error(HashErrors.outOfRange)
                return
            }
            randomFields(&ctx, count: count, withValues: withValues)
            return
        }
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        guard let hash = found else {
            ctx.reply.null()
            return
        }
        var rng = HashRandom()
        switch hash {
        case .compact(let c):
            let offsets = c.pairOffsets()
            c.withElement(at: offsets[rng.below(offsets.count)]) { ctx.reply.bulk($0.field) }
        case .table(let t):
            ctx.reply.bulk(t.randomNode(&rng).field)
        }
    }

    /// HRANDFIELD with a count: distinct fields for a positive count (the whole hash when it is
    /// at least the size), |count| independent draws for a negative one. WITHVALUES pairs are
    /// flat in RESP2 and two-element arrays in RESP3.
    static func randomFields(_ ctx: inout CommandContext, count requested: Int64, withValues: Bool) {
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        guard let hash = found, requested != 0 else {
            ctx.reply.arrayHeader(0)
            return
        }
        let size = hash.count
        let unique = requested > 0
        let count = Int(requested.magnitude)
        let resp3 = ctx.reply.isRESP3
        var rng = HashRandom()

        func header(_ k: Int, _ reply: inout RESPWriter) {
            reply.arrayHeader(withValues && !resp3 ? k * 2 : k)
        }
        func emit(_ field: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ reply: inout RESPWriter) {
            if withValues && resp3 { reply.arrayHeader(2) }
            reply.bulk(field)
            if withValues { reply.bulk(value) }
        }

        if !unique || count == 1 {
            // Redis would stream an unbounded reply until the client is dropped; we cannot build
            // one that does not fit in memory, so a reply that could not be sent is refused.
            if count > ctx.limits.maxBulkLength / 16 {
                ctx.reply.error(HashErrors.outOfRange)
                return
            }
            header(count, &ctx.reply)
            switch hash {
            case .compact(let c):
                let offsets = c.pairOffsets()
                for _ in 0..<count {
                    c.withElement(at: offsets[rng.below(size)]) { emit($0.field, $0.value, &ctx.reply) }
                }
            case .table(let t):
                for _ in 0..<count {
                    let node = t.randomNode(&rng)
                    emit(node.field, node.value, &ctx.reply)
                }
            }
            return
        }
        if count >= size {
            header(size, &ctx.reply)
            hash.forEach { emit($0, $1, &ctx.reply) }
            return
        }
        header(count, &ctx.reply)
        if case .table(let t) = hash, count * 3 <= size {
            // Few of many: draw until `count` distinct nodes came up (expected < 1.5 draws each).
            var seen = Set<UInt>(minimumCapacity: count)
            while seen.count < count {
                let node = t.randomNode(&rng)
                if seen.insert(UInt(bitPattern: node.pointer)).inserted { emit(node.field, node.value, &ctx.reply) }
            }
            return
        }
        // Selection sampling (Knuth's algorithm S): one pass, each subset equally likely.
        var needed = count
        var remaining = size
        hash.forEach { field, value in
            if needed > 0 && rng.below(remaining) < needed {
                emit(field, value, &ctx.reply)
                needed -= 1
            }
            remaining -= 1
        }
    }

    /// HSCAN key cursor [MATCH pattern] [COUNT count]. A compact hash is returned whole with
    /// cursor 0 (as Redis does for a listpack); a table is walked bucket by bucket with Redis's
    /// reverse-binary cursor (see `HashFieldTable.scan`).
    static func hscan(_ ctx: inout CommandContext) {
        guard let cursor = parseScanCursor(ctx.args[2]) else {
            ctx.reply.error(KeyErrors.invalidCursor)
            return
        }
        guard let found = readHash(&ctx, ctx.key(1)) else { return }
        guard let hash = found else {
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
            if option.equalsIgnoringCase("COUNT") && n - i >= 2 {
                guard let v = ctx.args[i + 1].parseInt64() else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                if v < 1 {
                    ctx.reply.error(CommandError.syntax)
                    return
                }
                count = Int(min(v, Int64(Int.max / 32)))
                i += 2
            } else if option.equalsIgnoringCase("MATCH") && n - i >= 2 {
                let p = ctx.args[i + 1]
                pattern = (p.count == 1 && p[0] == UInt8(ascii: "*")) ? nil : p
                i += 2
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }
        switch hash {
        case .compact(let c):
            var matches: [Int] = []
            matches.reserveCapacity(c.count)
            c.forEach { e in
                if let pattern, !globMatch(pattern: pattern, string: e.field) { return }
                matches.append(e.offset)
            }
            ctx.reply.arrayHeader(2)
            ctx.reply.bulk("0")
            ctx.reply.arrayHeader(matches.count * 2)
            for offset in matches {
                c.withElement(at: offset) { e in
                    ctx.reply.bulk(e.field)
                    ctx.reply.bulk(e.value)
                }
            }
        case .table(let t):
            var nodes: [HashFieldTable.Node] = []
            var examined = 0
            var next = cursor
            // Redis's loop: up to count*10 buckets, until the collected fields and values (two
            // list items per pair, before MATCH filters them) reach COUNT.
            var budget = count * 10
            repeat {
                next = t.scan(cursor: next) { node in
                    examined += 1
                    if let pattern, !globMatch(pattern: pattern, string: node.field) { return }
                    nodes.append(node)
                }
                budget -= 1
            } while next != 0 && budget >= 0 && examined * 2 < count
            ctx.reply.arrayHeader(2)
            ctx.reply.bulk(String(next))
            ctx.reply.arrayHeader(nodes.count * 2)
            for node in nodes {
                ctx.reply.bulk(node.field)
                ctx.reply.bulk(node.value)
            }
        }
    }
}
