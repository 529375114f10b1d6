import Keyspace
import RESP

/// A stored sorted set in either encoding, for reading. Valid while the handler runs and before it
/// writes the key again.
enum ZSetValue {
    case compact(CompactSortedSet)
    case object(SortedSetObject)

    /// The sorted set an entry holds (the entry must be of type zset).
    init(_ entry: EntryRef) {
        if let object = entry.sortedSetObject {
            self = .object(object)
        } else {
            self = .compact(CompactSortedSet(entry.valueBytes))
        }
    }

    var count: Int {
        switch self {
        case .compact(let c): return c.count
        case .object(let o): return o.count
        }
    }

    func score(of member: UnsafeRawBufferPointer) -> Double? {
        switch self {
        case .compact(let c): return c.find(member)?.score
        case .object(let o): return o.score(of: member)
        }
    }

    /// 0-based ascending rank and score of a member.
    func rank(of member: UnsafeRawBufferPointer) -> (rank: Int, score: Double)? {
        switch self {
        case .compact(let c):
            return c.find(member).map { ($0.index, $0.score) }
        case .object(let o):
            guard let node = o.node(for: member) else { return nil }
            return (o.rank(of: node), node.score)
        }
    }

    /// Calls `body` for `n` elements from ascending rank `start`, walking up, or (reverse) down
    /// from that rank.
    func forEach(from start: Int, count n: Int, reverse: Bool,
                 _ body: (UnsafeRawBufferPointer, Double) -> Void) {
        guard n > 0 else { return }
        switch self {
        case .compact(let c):
            if !reverse {
                var offset = c.offset(ofIndex: start)
                for _ in 0..<n {
                    let e = c.element(at: offset)
                    body(e.member, e.score)
                    offset = e.next
                }
            } else {
                c.withOffsets { offsets in
                    var i = start
                    for _ in 0..<n {
                        let e = c.element(at: offsets[i])
                        body(e.member, e.score)
                        i -= 1
                    }
                }
            }
        case .object(let o):
            var x = o.node(at: start)
            for _ in 0..<n {
                guard let node = x else { break }
                body(node.member, node.score)
                x = reverse ? node.previous : node.next
            }
        }
    }

    /// Ascending ranks of the first and last elements with scores in range.
    func ranks(in range: SortedSetScoreRange) -> (first: Int, last: Int)? {
        switch self {
        case .compact(let c):
            guard let first = c.firstIndex(in: range), let last = c.lastIndex(in: range) else { return nil }
            return (first, last)
        case .object(let o):
            guard let first = o.firstIndex(in: range), let last = o.lastIndex(in: range) else { return nil }
            return (first, last)
        }
    }

    /// The forward lex run (see `CompactSortedSet.forwardLexRun`): first rank and length.
    func forwardLexRun(_ range: SortedSetLexRange, limit: Int = Int.max) -> (first: Int, count: Int)? {
        switch self {
        case .compact(let c):
            return c.forwardLexRun(range).map { ($0.first, min($0.count, limit)) }
        case .object(let o):
            return o.forwardLexRun(range, limit: limit)
        }
    }

    /// The backward lex run: last rank and length.
    func backwardLexRun(_ range: SortedSetLexRange, limit: Int = Int.max) -> (last: Int, count: Int)? {
        switch self {
        case .compact(let c):
            return c.backwardLexRun(range).map { ($0.last, min($0.count, limit)) }
        case .object(let o):
            return o.backwardLexRun(range, limit: limit)
        }
    }
}

/// How a key looked to a sorted set command.
enum ZLookup {
    case missing
    /// WRONGTYPE has been replied.
    case wrongType
    case found(EntryRef)
}

extension CommandContext {
    /// `lookupKeyRead` + `checkType` for a sorted set; replies WRONGTYPE itself.
    mutating func lookupZSetRead(_ key: Key) -> ZLookup {
        guard let e = lookupRead(key) else { return .missing }
        guard e.type == .zset else {
            reply.error(CommandError.wrongType)
            return .wrongType
        }
        return .found(e)
    }

    /// `lookupKeyWrite` + `checkType` for a sorted set; replies WRONGTYPE itself.
    mutating func lookupZSetWrite(_ key: Key) -> ZLookup {
        guard let e = lookupWrite(key) else { return .missing }
        guard e.type == .zset else {
            reply.error(CommandError.wrongType)
            return .wrongType
        }
        return .found(e)
    }

    /// Stores an edited compact set, or deletes the key when it became empty.
    mutating func storeCompactZSet(_ key: Key, _ buffer: CompactSortedSetBuffer) {
        if buffer.count == 0 {
            keyspace.delete(db: db, key: key, now: now)
        } else {
            keyspace.setCompact(db: db, key: key, type: .zset, encoding: .listpack, bytes: buffer.bytes,
                                keepTTL: true, now: now)
        }
    }

    /// After removals from a stored object: deletes the key when the set became empty.
    mutating func finishZSetRemoval(_ key: Key, _ object: SortedSetObject) {
        if object.count == 0 {
            keyspace.delete(db: db, key: key, now: now)
        } else {
            object.shrinkIndexIfSparse()
        }
    }
}

/// A sorted set being built as a command's result (ZRANGESTORE, ZUNIONSTORE ...) from members in
/// ascending order; the members are copied, so sources may be overwritten by the store. The
/// encoding follows Redis: compact while it has at most `zset-max-listpack-entries` members of at
/// most `zset-max-listpack-value` bytes.
struct ZSetResultBuilder {
    private var compact: CompactSortedSetBuffer?
    private var object: SortedSetObject?
    private let maxEntries: Int
    private let maxValue: Int
    private(set) var count = 0

    /// `expectedCount` above the entry limit starts a skiplist (ZRANGESTORE by rank); with
    /// `longestMember` too the encoding is final up front, as for ZUNIONSTORE, which builds a
    /// skiplist and converts it only if it fits. Otherwise the result starts compact and converts
    /// on the first member that does not fit (so -0 scores before it become 0, as in Redis).
    init(expectedCount: Int, longestMember: Int? = nil, limits: EncodingLimits) {
        maxEntries = limits.zsetMaxListpackEntries
        maxValue = limits.zsetMaxListpackValue
        if expectedCount > maxEntries || (longestMember ?? 0) > maxValue {
            let o = SortedSetObject(capacity: expectedCount)
            o.beginAppend()
            object = o
        } else {
            compact = CompactSortedSetBuffer(capacity: 64)
        }
    }

    /// Adds the next member (ascending (score, member) order, no duplicates).
    mutating func append(_ member: UnsafeRawBufferPointer, _ score: Double) {
        count += 1
        if var c = compact {
            if count <= maxEntries && member.count <= maxValue {
                c.append(score: score, member: member)
                compact = c
                return
            }
            let o = SortedSetObject(capacity: count)
            o.beginAppend()
            var offset = c.view.startOffset
            while offset < c.view.endOffset {
                let e = c.view.element(at: offset)
                o.append(member: e.member, score: e.score)
                offset = e.next
            }
            c.deallocate()
            compact = nil
            object = o
        }
        object!.append(member: member, score: score)
    }

    /// Stores the result at `key` (deleting it when empty) and returns the member count.
    mutating func store(_ ctx: inout CommandContext, at key: Key) -> Int {
        if let c = compact {
            if count == 0 {
                ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
            } else {
                ctx.keyspace.setCompact(db: ctx.db, key: key, type: .zset, encoding: .listpack, bytes: c.bytes,
                                        now: ctx.now)
            }
            c.deallocate()
            compact = nil
        } else if let o = object {
            o.endAppend()
            if count == 0 {
                ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
            } else {
                ctx.keyspace.setObject(db: ctx.db, key: key, object: o, now: ctx.now)
            }
            object = nil
        }
        if count > 0 { ctx.signalKeyReady(key.bytes) }
        return count
    }
}
