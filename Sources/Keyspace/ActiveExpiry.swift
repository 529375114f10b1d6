/// Active expiry, after Redis's `activeExpireCycle` (slow cycle): databases are visited round
/// robin; in each, slots holding keys with an expiry are walked from a persistent cursor, sampling
/// at least `keysPerLoop` keys with a TTL per round and deleting the expired ones; a database gets
/// another round while more than `acceptableStale` % of the sample had expired. The whole call
/// stops when its time budget is spent. Slots are locked one at a time.
extension Keyspace {
    /// Positions of one slot's table examined per visit; larger slots are resumed next visit.
    static let expirePositionsPerVisit = 2048

    /// Runs one cycle; returns how many keys it deleted. `effort` is `active-expire-effort`
    /// (1...10); `clock` returns microseconds for the budget (default: the monotonic clock).
    @discardableResult
    public func activeExpireCycle(
        now: Int64, effort: Int = 1, timeBudgetMicros: Int, clock: (() -> Int64)? = nil
    ) -> Int {
        let extra = min(max(effort, 1), 10) - 1
        let keysPerLoop = 20 + 20 / 4 * extra
        let acceptableStale = 10 - extra
        let readClock = clock ?? monotonicMicros
        let start = readClock()
        var total = 0
        var timeUp = false
        for _ in 0..<databaseCount {
            let db = expireDatabaseCursor
            expireDatabaseCursor = (db + 1) % databaseCount
            if !databases[db].hadExpiringKeys { continue }
            while true {
                var sampled = 0
                var expired = 0
                var ttlSum: Int64 = 0
                var ttlSamples = 0
                var visited = 0
                while sampled < keysPerLoop && visited < clusterSlotCount {
                    let cursor = databases[db].expireCursor
                    // A hint read without the lock; the slot is re-checked under it.
                    guard let slot = nextExpiringSlot(db: db, from: cursor) else {
                        databases[db].expirePosition = 0
                        break
                    }
                    let skipped = (slot &- cursor) & (clusterSlotCount - 1)
                    if skipped > 0 {
                        databases[db].expireCursor = slot
                        databases[db].expirePosition = 0
                    }
                    visited += skipped + 1
                    lock(slot: slot)
                    let r = expireSlot(db: db, slot: slot, from: databases[db].expirePosition, now: now)
                    unlock(slot: slot)
                    sampled += r.sampled
                    expired += r.expired
                    ttlSum += r.ttlSum
                    ttlSamples += r.ttlSamples
                    if let next = r.next {
                        databases[db].expirePosition = next
                    } else {
                        databases[db].expireCursor = (slot + 1) & (clusterSlotCount - 1)
                        databases[db].expirePosition = 0
                    }
                }
                total += expired
                if ttlSamples > 0 {
                    let average = ttlSum / Int64(ttlSamples)
                    let old = databases[db].averageTTL
                    databases[db].averageTTL = old == 0 ? average : (old / 50) * 49 + average / 50
                }
                if sampled == 0 { break }
                if Int(readClock() - start) > timeBudgetMicros {
                    timeUp = true
                    break
                }
                if expired * 100 <= sampled * acceptableStale { break }
            }
            if timeUp { break }
        }
        return total
    }

    /// The first slot at or after `from` (wrapping once) whose map byte says it holds keys with an
    /// expiry, or nil. Reads the byte map eight slots at a time: a database without TTLs costs a
    /// couple of thousand loads per cycle instead of a visit per slot.
    func nextExpiringSlot(db: Int, from: Int) -> Int? {
        let map = UnsafeRawPointer(databases[db].expiringSlots)
        func scan(_ start: Int, _ end: Int) -> Int? {
            var i = start
            while i < end && i & 7 != 0 {
                if map.load(fromByteOffset: i, as: UInt8.self) != 0 { return i }
                i += 1
            }
            while i + 8 <= end {
                let word = map.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if word != 0 { return i + word.trailingZeroBitCount / 8 }
                i += 8
            }
            while i < end {
                if map.load(fromByteOffset: i, as: UInt8.self) != 0 { return i }
                i += 1
            }
            return nil
        }
        return scan(from, clusterSlotCount) ?? scan(0, from)
    }

    /// Examines up to `expirePositionsPerVisit` table positions of one slot from `from`; deletes
    /// the expired keys. `next` is where to resume, nil when the slot was finished.
    func expireSlot(db: Int, slot: Int, from: Int, now: Int64)
        -> (sampled: Int, expired: Int, ttlSum: Int64, ttlSamples: Int, next: Int?)
    {
        let s = shard(db, slot)
        guard let table = s.pointee.table, s.pointee.expires > 0 else { return (0, 0, 0, 0, nil) }
        let cap = Int(s.pointee.capacity)
        let begin = min(from, cap)
        let end = min(cap, begin + Keyspace.expirePositionsPerVisit)
        var sampled = 0
        var ttlSum: Int64 = 0
        var ttlSamples = 0
        var doomed: [UInt64] = []
        for i in begin..<end {
            let w = table[i]
            if w == 0 { continue }
            let p = ShardTable.entry(w)
            guard EntryLayout.hasExpire(EntryLayout.header(p)) else { continue }
            sampled += 1
            let when = EntryLayout.expireAt(p)
            if now > when {
                doomed.append(w)
            } else {
                let ttl = when - now
                if ttl > 0 {
                    ttlSum += ttl
                    ttlSamples += 1
                }
            }
        }
        for w in doomed {
            let index = ShardTable.index(of: w, in: s)
            if index >= 0 { expireEntry(db, s, slot, at: index) }
        }
        return (sampled, doomed.count, ttlSum, ttlSamples, end < cap ? end : nil)
    }
}
