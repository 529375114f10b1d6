/// Walking the keyspace: whole slots at a time (SCAN's cursor is a slot number, which is why a key
/// present for a whole scan is always returned, however the tables grow or shrink meanwhile).
extension Keyspace {
    /// Calls `body` for every live entry of one slot; expired entries met on the way are deleted
    /// afterwards. The caller holds the slot's lock; `body` must not modify the keyspace.
    public func forEachEntry(db: Int, slot: Int, now: Int64, _ body: (EntryRef) throws -> Void) rethrows {
        let s = shard(db, slot)
        guard let table = s.pointee.table else { return }
        let cap = Int(s.pointee.capacity)
        var doomed: [UInt64] = []
        defer {
            for w in doomed {
                let index = ShardTable.index(of: w, in: s)
                if index >= 0 { expireEntry(db, s, slot, at: index) }
            }
        }
        for i in 0..<cap {
            let w = table[i]
            if w == 0 { continue }
            let p = ShardTable.entry(w)
            if EntryLayout.hasExpire(EntryLayout.header(p)) && now > EntryLayout.expireAt(p) {
                doomed.append(w)
                continue
            }
            try body(EntryRef(p))
        }
    }

    /// Up to `limit` live keys of one slot (CLUSTER GETKEYSINSLOT, migration).
    public func keys(db: Int, slot: Int, limit: Int = Int.max, now: Int64) -> [[UInt8]] {
        var result: [[UInt8]] = []
        forEachEntry(db: db, slot: slot, now: now) { e in
            if result.count < limit { result.append(Array(e.keyBytes)) }
        }
        return result
    }

    /// The first slot at or after `slot` whose shard in `db` holds keys, or nil. Reads counts
    /// without locks: a slot that gains its first key meanwhile held nothing when the walk began.
    public func nextOccupiedSlot(db: Int, from slot: Int) -> Int? {
        let shards = databases[db].shards
        var i = slot
        while i < clusterSlotCount {
            if shards[i].count != 0 { return i }
            i += 1
        }
        return nil
    }

    /// RANDOMKEY: a live key chosen with probability roughly proportional to its slot's size;
    /// expired keys drawn are deleted and another is drawn. The caller holds every lock.
    public func randomKey(db: Int, now: Int64) -> [UInt8]? {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let total = keyCount(db: db)
            if total == 0 { return nil }
            var r = Int.random(in: 0..<total, using: &generator)
            let shards = databases[db].shards
            var slot = 0
            while slot < clusterSlotCount {
                let n = Int(shards[slot].count)
                if r < n { break }
                r -= n
                slot += 1
            }
            guard slot < clusterSlotCount, let table = shards[slot].table else { return nil }
            let cap = Int(shards[slot].capacity)
            var index = -1
            for i in 0..<cap where table[i] != 0 {
                if r == 0 {
                    index = i
                    break
                }
                r -= 1
            }
            guard index >= 0 else { return nil }
            let p = ShardTable.entry(table[index])
            if EntryLayout.hasExpire(EntryLayout.header(p)) && now > EntryLayout.expireAt(p) {
                expireEntry(db, shards + slot, slot, at: index)
                continue
            }
            return Array(EntryRef(p).keyBytes)
        }
        return nil
    }
}
