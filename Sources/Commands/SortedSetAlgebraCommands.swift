import Keyspace
import RESP

/// One input of ZUNION / ZINTER / ZDIFF: a sorted set, or a plain set whose members score 1.
enum ZAlgebraSource {
    case missing
    case zset(ZSetValue)
    case intset(UnsafeRawBufferPointer)
    case set(SetObject)

    /// The source a looked-up entry provides; nil for a type that is neither.
    init?(_ entry: EntryRef) {
        switch entry.type {
        case .zset: self = .zset(ZSetValue(entry))
        case .set:
            // Redis 7.0 sets are a hashtable or an intset (listpack sets came in 7.2).
            if let o = entry.object(as: SetObject.self) {
                self = .set(o)
            } else {
                precondition(entry.compactEncoding == CompactEncoding.intset.rawValue, "unknown set encoding")
                self = .intset(entry.valueBytes)
            }
        default: return nil
        }
    }

    var count: Int {
        switch self {
        case .missing: return 0
        case .zset(let z): return z.count
        case .intset(let bytes): return SetIntset.count(bytes)
        case .set(let o): return o.count
        }
    }

    /// The member's score here (1 for a plain set), or nil when absent.
    func score(of member: UnsafeRawBufferPointer) -> Double? {
        switch self {
        case .missing: return nil
        case .zset(let z): return z.score(of: member)
        case .intset(let bytes):
            guard let v = member.parseInt64() else { return nil }
            return SetIntset.contains(bytes, v) ? 1 : nil
        case .set(let o): return o.contains(member) ? 1 : nil
        }
    }

    /// Every member with its score (intset members as their decimal text, valid during the call).
    func forEach(_ body: (UnsafeRawBufferPointer, Double) -> Void) {
        switch self {
        case .missing: return
        case .zset(let z): z.forEach(from: 0, count: z.count, reverse: false, body)
        case .intset(let bytes):
            var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
            withUnsafeMutableBytes(of: &scratch) { buf in
                for i in 0..<SetIntset.count(bytes) {
                    let n = RESPWriter.formatDecimal(Int(SetIntset.value(bytes, at: i)), into: buf.baseAddress!)
                    body(UnsafeRawBufferPointer(start: buf.baseAddress!, count: n), 1)
                }
            }
        case .set(let o): o.forEach { body($0, 1) }
        }
    }

    /// Whether two sources are the same stored value (Redis compares object pointers).
    func isSame(as other: ZAlgebraSource) -> Bool {
        switch (self, other) {
        case (.zset(.object(let a)), .zset(.object(let b))): return a === b
        case (.zset(.compact(let a)), .zset(.compact(let b))): return a.bytes.baseAddress == b.bytes.baseAddress
        case (.intset(let a), .intset(let b)): return a.baseAddress == b.baseAddress
        case (.set(let a), .set(let b)): return a === b
        default: return false
        }
    }
}

extension SortedSetCommands {
    enum SetOperation { case union, inter, diff }
    enum Aggregate { case sum, min, max }

    /// Redis `zunionInterAggregate` (+inf + -inf sums to 0).
    @inline(__always)
    static func aggregate(_ target: Double, _ value: Double, _ how: Aggregate) -> Double {
        switch how {
        case .sum:
            let s = target + value
            return s.isNaN ? 0 : s
        case .min: return value < target ? value : target
        case .max: return value > target ? value : target
        }
    }

    /// ZUNION / ZINTER / ZDIFF (`destination` nil), their STORE forms, and ZINTERCARD
    /// (`cardinalityOnly`), as Redis's `zunionInterDiffGenericCommand`.
    static func setOperation(_ ctx: inout CommandContext, _ op: SetOperation, store: Bool,
                             cardinalityOnly: Bool = false) {
        let args = ctx.args
        let numkeysIndex = store ? 2 : 1
        guard let setnum = args[numkeysIndex].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        if setnum < 1 {
            ctx.reply.error(ZErrors.atLeastOneKey(ctx.commandName))
            return
        }
        if setnum > Int64(args.count - numkeysIndex - 1) {
            ctx.reply.error(CommandError.syntax)
            return
        }
        let n = Int(setnum)
        var sources: [ZAlgebraSource] = []
        sources.reserveCapacity(n)
        var j = numkeysIndex + 1
        for _ in 0..<n {
            let key = Key(args[j])
            let entry = store ? ctx.lookupWrite(key) : ctx.lookupRead(key)
            if let entry {
                guard let source = ZAlgebraSource(entry) else {
                    ctx.reply.error(CommandError.wrongType)
                    return
                }
                sources.append(source)
            } else {
                sources.append(.missing)
            }
            j += 1
        }
        var weights = [Double](repeating: 1, count: n)
        var how = Aggregate.sum
        var withScores = false
        var limit = 0
        while j < args.count {
            let remaining = args.count - j
            let a = args[j]
            if op != .diff && !cardinalityOnly && remaining >= n + 1 && a.equalsIgnoringCase("WEIGHTS") {
                j += 1
                for i in 0..<n {
                    guard let w = ZNumbers.parseDouble(args[j]) else {
                        ctx.reply.error(ZErrors.weightNotFloat)
                        return
                    }
                    weights[i] = w
                    j += 1
                }
            } else if op != .diff && !cardinalityOnly && remaining >= 2 && a.equalsIgnoringCase("AGGREGATE") {
                let b = args[j + 1]
                if b.equalsIgnoringCase("SUM") { how = .sum }
                else if b.equalsIgnoringCase("MIN") { how = .min }
                else if b.equalsIgnoringCase("MAX") { how = .max }
                else {
                    ctx.reply.error(CommandError.syntax)
                    return
                }
                j += 2
            } else if !store && !cardinalityOnly && a.equalsIgnoringCase("WITHSCORES") {
                withScores = true
                j += 1
            } else if cardinalityOnly && remaining >= 2 && a.equalsIgnoringCase("LIMIT") {
                guard let l = args[j + 1].parseInt64(), l >= 0 else {
                    ctx.reply.error(ZErrors.limitNegative)
                    return
                }
                limit = Int(l)
                j += 2
            } else {
                ctx.reply.error(CommandError.syntax)
                return
            }
        }

        if cardinalityOnly {
            ctx.reply.integer(intersectionCardinality(sources, limit: limit))
            return
        }
        let result = SortedSetAccumulator(capacity: 0)
        switch op {
        case .union: union(sources, weights, how, into: result)
        case .inter: intersect(sources, weights, how, into: result)
        case .diff: difference(sources, into: result)
        }
        let nodes = result.sorted()
        if store {
            let longest = nodes.reduce(0) { max($0, $1.member.count) }
            var builder = ZSetResultBuilder(expectedCount: nodes.count, longestMember: longest, limits: ctx.encodings)
            for node in nodes { builder.append(node.member, node.score) }
            ctx.reply.integer(builder.store(&ctx, at: Key(args[1])))
            return
        }
        ctx.reply.zrangeHeader(nodes.count, withScores: withScores)
        for node in nodes { ctx.reply.zelement(node.member, node.score, withScores: withScores) }
    }

    /// Sources in ascending size, as Redis sorts them for union and intersection (the order in
    /// which sums accumulate).
    static func bySize(_ sources: [ZAlgebraSource], _ weights: [Double]) -> [(ZAlgebraSource, Double)] {
        Array(zip(sources, weights)).enumerated()
            .sorted { $0.element.0.count < $1.element.0.count || ($0.element.0.count == $1.element.0.count && $0.offset < $1.offset) }
            .map(\.element)
    }

    static func union(_ sources: [ZAlgebraSource], _ weights: [Double], _ how: Aggregate,
                      into result: SortedSetAccumulator) {
        for (source, weight) in bySize(sources, weights) {
            source.forEach { member, s in
                var score = weight * s
                if score.isNaN { score = 0 }
                if let node = result.find(member) {
                    result.setScore(node, aggregate(node.score, score, how))
                } else {
                    result.add(member, score: score)
                }
            }
        }
    }

    static func intersect(_ sources: [ZAlgebraSource], _ weights: [Double], _ how: Aggregate,
                          into result: SortedSetAccumulator) {
        let ordered = bySize(sources, weights)
        let (first, firstWeight) = ordered[0]
        if first.count == 0 { return }
        first.forEach { member, s in
            var score = firstWeight * s
            if score.isNaN { score = 0 }
            for (other, weight) in ordered.dropFirst() {
                let value: Double
                if other.isSame(as: first) {
                    value = s * weight
                } else if let found = other.score(of: member) {
                    value = found * weight
                } else {
                    return
                }
                score = aggregate(score, value, how)
            }
            result.add(member, score: score)
        }
    }

    static func difference(_ sources: [ZAlgebraSource], into result: SortedSetAccumulator) {
        let first = sources[0]
        if first.count == 0 { return }
        for other in sources.dropFirst() where other.isSame(as: first) { return }
        first.forEach { member, s in
            for other in sources.dropFirst() where other.score(of: member) != nil { return }
            result.add(member, score: s)
        }
    }

    static func intersectionCardinality(_ sources: [ZAlgebraSource], limit: Int) -> Int {
        let ordered = bySize(sources, [Double](repeating: 1, count: sources.count)).map(\.0)
        let first = ordered[0]
        if first.count == 0 { return 0 }
        var n = 0
        var done = false
        first.forEach { member, _ in
            if done { return }
            for other in ordered.dropFirst() where !other.isSame(as: first) && other.score(of: member) == nil { return }
            n += 1
            if limit > 0 && n >= limit { done = true }
        }
        return n
    }
}
