#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-database operations, counters and diagnostics.
extension Keyspace {
    // MARK: - Databases

    /// FLUSHDB: removes every key of one database; returns how many there were.
    @discardableResult
    public func flush(db: Int) -> Int {
        let removed = Keyspace.clearDatabase(databases + db)
        markDirty(0, removed)
        return removed
    }

    /// Removes every key of one slot of one database (a slot that moved to another cluster node,
    /// or a cancelled import); returns how many there were. The caller holds the slot's lock.
    @discardableResult
    public func flush(db: Int, slot: Int) -> Int {
        let d = databases + db
        let shard = d.pointee.shards + slot
        guard shard.pointee.table != nil else { return 0 }
        let removed = Int(shard.pointee.count)
        ShardTable.clear(shard)
        d.pointee.expiringSlots[slot] = 0
        markDirty(slot, removed)
        return removed
    }

    /// FLUSHALL: empties every database; returns how many keys there were.
    @discardableResult
    public func flushAll() -> Int {
        var removed = 0
        for db in 0..<databaseCount { removed += Keyspace.clearDatabase(databases + db) }
        markDirty(0, removed)
        return removed
    }

    /// SWAPDB (callers hold every lock).
    public func swapDatabases(_ a: Int, _ b: Int) {
        guard a != b else { return }
        let t = databases[a]
        databases[a] = databases[b]
        databases[b] = t
        markDirty(0)
    }

    // MARK: - Counters

    /// Keys in a database (including expired keys not yet collected, as DBSIZE counts them).
    public func keyCount(db: Int) -> Int {
        let shards = databases[db].shards
        var n = 0
        for slot in 0..<clusterSlotCount { n &+= Int(shards[slot].count) }
        return n
    }

    /// Keys with an expiry in a database.
    public func expiringKeyCount(db: Int) -> Int {
        let d = databases[db]
        var n = 0
        for slot in 0..<clusterSlotCount where d.expiringSlots[slot] != 0 { n &+= Int(d.shards[slot].expires) }
        return n
    }

    /// Keys of one slot in one database (CLUSTER COUNTKEYSINSLOT).
    public func keyCount(db: Int, slot: Int) -> Int { Int(databases[db].shards[slot].count) }

    /// The INFO keyspace `avg_ttl` estimate (ms), maintained by the active expiry cycle.
    public func averageTTL(db: Int, now: Int64) -> Int64 { databases[db].averageTTL }

    /// Keys deleted because they expired, lazily or actively, since start / `resetStats()`.
    public var expiredKeys: Int {
        var n = 0
        for slot in 0..<clusterSlotCount { n &+= slotStats[slot].expired }
        return n
    }

    /// Keyspace changes so far (monotonic); persistence compares it with its value at the last save.
    public var dirty: Int {
        var n = 0
        for slot in 0..<clusterSlotCount { n &+= slotStats[slot].dirty }
        return n
    }

    /// Changes counted in one slot so far (all databases): comparing it before and after a command
    /// tells whether the command changed anything, which is when Redis propagates it.
    @inlinable
    public func dirty(slot: Int) -> Int { slotStats[slot].dirty }

    /// Adds to `dirty` for changes made outside these methods (the caller holds `slot`'s lock).
    public func addDirty(_ n: Int, slot: Int = 0) { markDirty(slot, n) }

    /// CONFIG RESETSTAT.
    public func resetStats() {
        for slot in 0..<clusterSlotCount { slotStats[slot].expired = 0 }
    }

    /// Presizes a slot's table for `count` keys (bulk loads).
    public func reserve(db: Int, slot: Int, count: Int) {
        let s = shard(db, slot)
        let wanted = ShardTable.capacity(forCount: count + Int(s.pointee.count))
        if wanted > Int(s.pointee.capacity) { ShardTable.resize(s, to: wanted) }
    }

    /// DEBUG OBJECT's line for a key, or nil when it does not exist.
    public func debugDescription(db: Int, key bytes: UnsafeRawBufferPointer, now: Int64) -> String? {
        guard let e = lookup(db: db, key: Key(bytes), now: now, touch: false) else { return nil }
        let address = "0x" + String(UInt(bitPattern: e.pointer), radix: 16)
        let serialized: Int
        if e.isString {
            if e.isIntegerEncoded {
                let v = e.integerValue
                serialized = v >= -128 && v <= 127 ? 2 : (v >= -32768 && v <= 32767 ? 3 : (v >= Int64(Int32.min) && v <= Int64(Int32.max) ? 5 : 1 + e.stringLength + 1))
            } else {
                let n = e.stringLength
                serialized = n + (n < 64 ? 1 : (n < 16384 ? 2 : 5))
            }
        } else {
            serialized = 0
        }
        let lru = maxmemoryPolicyIsLFU ? Int(e.lruField) : Int(e.lruField)
        return "Value at:\(address) refcount:\(objectRefCount(e)) encoding:\(e.encodingName) serializedlength:\(serialized) lru:\(lru) lru_seconds_idle:\(idleTimeSeconds(e, now: now))"
    }
}
