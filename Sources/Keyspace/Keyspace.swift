#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One database: 16384 slot shards plus what the active expiry cycle remembers about it.
@usableFromInline
struct Database {
    @usableFromInline var shards: UnsafeMutablePointer<Shard>
    /// One byte per slot, 1 while the slot holds keys with an expiry (written under the slot's lock).
    @usableFromInline var expiringSlots: UnsafeMutablePointer<UInt8>
    /// Set when any slot first gets a key with an expiry (until the database is flushed), so the
    /// active expiry cycle skips, in O(1), the databases that never had one. Only ever set to
    /// true between flushes, so a racy write from two slot locks stores the same value.
    @usableFromInline var hadExpiringKeys: Bool
    /// Running estimate of the TTL of keys with an expiry (INFO keyspace `avg_ttl`), in ms.
    @usableFromInline var averageTTL: Int64
    /// Active expiry: next slot to visit, and position inside it for very large slots.
    @usableFromInline var expireCursor: Int
    @usableFromInline var expirePosition: Int
}

/// Counters kept per slot (shared by all databases) so that threads holding different slot locks
/// never write the same word.
@usableFromInline
struct SlotStats {
    @usableFromInline var expired: Int
    @usableFromInline var dirty: Int
    @usableFromInline var random: UInt64
    @usableFromInline var reserved: UInt64
}

/// What RENAME / RENAMENX did.
public enum RenameOutcome: Sendable, Equatable {
    case renamed
    case noSuchKey
    /// RENAMENX and the destination exists (or source and destination are the same key).
    case destinationExists
}

/// The keys of every database, sharded by cluster slot; see `EntryLayout` and `Shard` for the
/// memory layout. The keyspace has no clock: every call that can observe expiry takes `now`
/// (Unix milliseconds). With `concurrent`, callers take `lock(slot:)` for every slot they touch
/// (or `lockAll()`); without it the locks are no-ops.
public final class Keyspace: @unchecked Sendable {
    public let databaseCount: Int
    public let concurrent: Bool
    /// Track LFU counters instead of LRU clocks (an `allkeys-lfu` / `volatile-lfu` policy).
    public var maxmemoryPolicyIsLFU = false
    /// `lfu-log-factor` and `lfu-decay-time`.
    public var lfuLogFactor = 10
    public var lfuDecayTime = 1
    /// Whether integers 0..<10000 count as shared objects (OBJECT REFCOUNT reports INT_MAX);
    /// Redis turns sharing off when maxmemory is set with an LRU/LFU policy.
    public var sharedIntegers = true
    /// Called with (db, key) just before a key is deleted because it expired (lazily or by the
    /// active cycle), with that key's slot locked: the hook for propagating a DEL to replicas/AOF.
    public var expirationObserver: ((Int, UnsafeRawBufferPointer) -> Void)?

    @usableFromInline let databases: UnsafeMutablePointer<Database>
    @usableFromInline let slotStats: UnsafeMutablePointer<SlotStats>
    @usableFromInline let locks: UnsafeMutablePointer<pthread_mutex_t>?
    @usableFromInline var expireDatabaseCursor = 0

    public init(databases: Int = 16, concurrent: Bool = false) {
        precondition(databases >= 1)
        databaseCount = databases
        self.concurrent = concurrent
        self.databases = UnsafeMutablePointer<Database>.allocate(capacity: databases)
        for db in 0..<databases {
            (self.databases + db).initialize(to: Keyspace.makeDatabase())
        }
        slotStats = calloc(clusterSlotCount, MemoryLayout<SlotStats>.stride)!
            .bindMemory(to: SlotStats.self, capacity: clusterSlotCount)
        var seed = UInt64(truncatingIfNeeded: monotonicMicros()) | 1
        for slot in 0..<clusterSlotCount {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            slotStats[slot].random = seed | 1
        }
        if concurrent {
            let l = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: clusterSlotCount)
            for slot in 0..<clusterSlotCount { pthread_mutex_init(l + slot, nil) }
            locks = l
        } else {
            locks = nil
        }
    }

    deinit {
        for db in 0..<databaseCount {
            Keyspace.clearDatabase(databases + db)
            free(databases[db].shards)
            free(databases[db].expiringSlots)
        }
        databases.deallocate()
        free(slotStats)
        if let locks {
            for slot in 0..<clusterSlotCount { pthread_mutex_destroy(locks + slot) }
            locks.deallocate()
        }
    }

    static func makeDatabase() -> Database {
        // calloc of this size is served by mmap: pages of untouched slots cost no memory.
        let shards = calloc(clusterSlotCount, MemoryLayout<Shard>.stride)!
            .bindMemory(to: Shard.self, capacity: clusterSlotCount)
        let map = calloc(clusterSlotCount, 1)!.bindMemory(to: UInt8.self, capacity: clusterSlotCount)
        return Database(
            shards: shards, expiringSlots: map, hadExpiringKeys: false, averageTTL: 0, expireCursor: 0,
            expirePosition: 0)
    }

    /// Frees every entry of a database; returns how many keys it held.
    @discardableResult
    static func clearDatabase(_ d: UnsafeMutablePointer<Database>) -> Int {
        var removed = 0
        let shards = d.pointee.shards
        for slot in 0..<clusterSlotCount where shards[slot].table != nil {
            removed += Int(shards[slot].count)
            ShardTable.clear(shards + slot)
            d.pointee.expiringSlots[slot] = 0
        }
        d.pointee.averageTTL = 0
        d.pointee.hadExpiringKeys = false
        d.pointee.expireCursor = 0
        d.pointee.expirePosition = 0
        return removed
    }

    // MARK: - Locking

    @inlinable
    public func lock(slot: Int) {
        if let locks { pthread_mutex_lock(locks + slot) }
    }

    @inlinable
    public func unlock(slot: Int) {
        if let locks { pthread_mutex_unlock(locks + slot) }
    }

    /// Takes every slot lock, in ascending order.
    public func lockAll() {
        guard let locks else { return }
        for slot in 0..<clusterSlotCount { pthread_mutex_lock(locks + slot) }
    }

    public func unlockAll() {
        guard let locks else { return }
        for slot in stride(from: clusterSlotCount - 1, through: 0, by: -1) { pthread_mutex_unlock(locks + slot) }
    }

    // MARK: - Internals shared by the operations

    @inlinable @inline(__always)
    func shard(_ db: Int, _ slot: Int) -> UnsafeMutablePointer<Shard> {
        databases[db].shards + slot
    }

    @inlinable @inline(__always)
    func entryWord(_ s: UnsafeMutablePointer<Shard>, _ index: Int) -> UInt64 {
        s.pointee.table.unsafelyUnwrapped[index]
    }

    @inlinable @inline(__always)
    func setWord(_ s: UnsafeMutablePointer<Shard>, _ index: Int, _ word: UInt64) {
        s.pointee.table.unsafelyUnwrapped[index] = word
    }

    @inlinable @inline(__always)
    func addExpiring(_ db: Int, _ s: UnsafeMutablePointer<Shard>, _ slot: Int) {
        s.pointee.expires &+= 1
        if s.pointee.expires == 1 {
            databases[db].expiringSlots[slot] = 1
            databases[db].hadExpiringKeys = true
        }
    }

    @inlinable @inline(__always)
    func removeExpiring(_ db: Int, _ s: UnsafeMutablePointer<Shard>, _ slot: Int) {
        s.pointee.expires &-= 1
        if s.pointee.expires == 0 { databases[db].expiringSlots[slot] = 0 }
    }

    /// Unlinks and frees the entry at `index`.
    @inlinable
    func removeEntry(_ db: Int, _ s: UnsafeMutablePointer<Shard>, _ slot: Int, at index: Int) {
        let p = ShardTable.entry(entryWord(s, index))
        if EntryLayout.hasExpire(EntryLayout.header(p)) { removeExpiring(db, s, slot) }
        ShardTable.remove(s, at: index)
        EntryLayout.destroy(p)
    }

    /// Deletes an expired entry and counts it.
    @usableFromInline
    func expireEntry(_ db: Int, _ s: UnsafeMutablePointer<Shard>, _ slot: Int, at index: Int) {
        if let expirationObserver {
            let p = ShardTable.entry(entryWord(s, index))
            expirationObserver(db, EntryRef(p).keyBytes)
        }
        removeEntry(db, s, slot, at: index)
        slotStats[slot].expired &+= 1
    }

    /// `find` that deletes (and reports as absent, with no insertion hint) a key whose time is up.
    @inlinable @inline(__always)
    func findLive(_ db: Int, _ s: UnsafeMutablePointer<Shard>, _ key: Key, _ now: Int64) -> Int {
        let i = ShardTable.find(s, key.bytes.baseAddress, key.bytes.count, key.hash)
        if i >= 0 {
            let p = ShardTable.entry(entryWord(s, i))
            if EntryLayout.hasExpire(EntryLayout.header(p)) && now > EntryLayout.expireAt(p) {
                expireEntry(db, s, key.slot, at: i)
                return Int.min
            }
        }
        return i
    }

    @inlinable @inline(__always)
    func touchEntry(_ p: UnsafeMutableRawPointer, slot: Int, now: Int64) {
        let h = EntryLayout.header(p)
        let bits = touchedAccessBits((h & EntryLayout.lruMask) >> EntryLayout.lruShift, slot: slot, now: now)
        p.storeBytes(of: (h & ~EntryLayout.lruMask) | (bits << EntryLayout.lruShift), as: UInt64.self)
    }

    @inlinable @inline(__always)
    func markDirty(_ slot: Int, _ n: Int = 1) {
        slotStats[slot].dirty &+= n
    }

    // MARK: - Reads

    /// Finds a key. An expired key is deleted (counted in `expiredKeys`) and reported absent.
    /// `touch` updates the LRU clock / LFU counter, as every Redis lookup but OBJECT, TYPE,
    /// EXISTS and TTL does.
    @inlinable
    public func lookup(db: Int, key: Key, now: Int64, touch: Bool = true) -> EntryRef? {
        let s = shard(db, key.slot)
        let i = findLive(db, s, key, now)
        if i < 0 { return nil }
        let p = ShardTable.entry(entryWord(s, i))
        if touch { touchEntry(p, slot: key.slot, now: now) }
        return EntryRef(p)
    }

    /// Whether a (live) key exists; does not touch it.
    @inlinable
    public func exists(db: Int, key: Key, now: Int64) -> Bool {
        lookup(db: db, key: key, now: now, touch: false) != nil
    }

    // MARK: - Writes

    /// Stores a string, replacing whatever the key held. The expiry becomes `expireAt` (nil: none)
    /// unless `keepTTL`, which keeps the key's current one.
    @inlinable
    public func setString(
        db: Int, key: Key, value: UnsafeRawBufferPointer, encoding: StringEncodingPolicy = .automatic,
        expireAt: Int64? = nil, keepTTL: Bool = false, now: Int64
    ) {
        let n = value.count
        if encoding == .automatic && n <= 20, let v = parseCanonicalInt64(value.baseAddress, count: n) {
            store(db: db, key: key, type: .string, encoding: StringEncoding.int.rawValue,
                  word: UInt64(bitPattern: v), bytes: nil, length: 8,
                  expireAt: expireAt, keepTTL: keepTTL, now: now)
            return
        }
        let enc: StringEncoding = (encoding != .raw && n <= 44) ? .embstr : .raw
        store(db: db, key: key, type: .string, encoding: enc.rawValue, word: 0, bytes: value.baseAddress, length: n,
              expireAt: expireAt, keepTTL: keepTTL, now: now)
    }

    /// Stores an integer-encoded string (INCR and friends).
    @inlinable
    public func setInteger(db: Int, key: Key, value: Int64, expireAt: Int64? = nil, keepTTL: Bool = false, now: Int64) {
        store(db: db, key: key, type: .string, encoding: StringEncoding.int.rawValue,
              word: UInt64(bitPattern: value), bytes: nil, length: 8,
              expireAt: expireAt, keepTTL: keepTTL, now: now)
    }

    /// Stores a non-string value; the keyspace retains `object` until the key is deleted or
    /// overwritten.
    public func setObject(
        db: Int, key: Key, object: any KeyspaceObject, expireAt: Int64? = nil, keepTTL: Bool = false, now: Int64
    ) {
        let raw = Unmanaged<AnyObject>.passRetained(object as AnyObject).toOpaque()
        store(db: db, key: key, type: object.valueType, encoding: 0,
              word: UInt64(UInt(bitPattern: raw)), bytes: nil, length: 8,
              expireAt: expireAt, keepTTL: keepTTL, now: now)
    }

    /// Stores a collection in its compact form: `bytes` kept inline in the entry, in a format the
    /// collection's code owns. Modifying a compact collection means storing its new bytes (with
    /// `keepTTL: true`), as Redis rewrites a listpack.
    public func setCompact(
        db: Int, key: Key, type: ValueType, encoding: CompactEncoding, bytes: UnsafeRawBufferPointer,
        expireAt: Int64? = nil, keepTTL: Bool = false, now: Int64
    ) {
        precondition(type != .string)
        store(db: db, key: key, type: type, encoding: encoding.rawValue, word: 0, bytes: bytes.baseAddress,
              length: bytes.count, expireAt: expireAt, keepTTL: keepTTL, now: now)
    }

    /// The one writer: `bytes`/`length` for a byte string, else the 8-byte `word` (an integer or
    /// an object pointer). Overwrites in place (or with one realloc) when the layout allows.
    @inlinable
    func store(
        db: Int, key: Key, type: ValueType, encoding: UInt8, word: UInt64, bytes: UnsafeRawPointer?, length: Int,
        expireAt: Int64?, keepTTL: Bool, now: Int64
    ) {
        let slot = key.slot
        let s = shard(db, slot)
        let keyLength = key.bytes.count
        var i = ShardTable.find(s, key.bytes.baseAddress, keyLength, key.hash)
        if i >= 0 {
            let p = ShardTable.entry(entryWord(s, i))
            let h = EntryLayout.header(p)
            let oldHasExpire = EntryLayout.hasExpire(h)
            if oldHasExpire && now > EntryLayout.expireAt(p) {
                expireEntry(db, s, slot, at: i)
                i = Int.min
            } else {
                let newExpire: Int64? = keepTTL ? (oldHasExpire ? EntryLayout.expireAt(p) : nil) : expireAt
                let access = touchedAccessBits((h & EntryLayout.lruMask) >> EntryLayout.lruShift, slot: slot, now: now)
                let sameLayout = (h & EntryLayout.typeMask) == 0
                    && oldHasExpire == (newExpire != nil)
                    && EntryLayout.isLong(h) == EntryLayout.needsLong(keyLength: keyLength, valueLength: length)
                var q = p
                if sameLayout {
                    let oldSize = EntryLayout.keyOffset(h) &+ keyLength &+ EntryLayout.valueLength(p, h)
                    let newSize = EntryLayout.blockSize(keyLength: keyLength, valueLength: length, hasExpire: newExpire != nil)
                    if newSize != oldSize {
                        q = realloc(p, newSize).unsafelyUnwrapped
                        if q != p { setWord(s, i, ShardTable.word(q, hash: key.hash)) }
                    }
                    let offset = EntryLayout.writeHeader(
                        q, type: type, encoding: encoding, lru: access, keyLength: keyLength, valueLength: length,
                        expireAt: newExpire)
                    Keyspace.writeValue(q + offset + keyLength, word: word, bytes: bytes, length: length)
                } else {
                    q = Keyspace.makeBlock(
                        key: key.bytes, type: type, encoding: encoding, lru: access, word: word, bytes: bytes,
                        length: length, expireAt: newExpire)
                    setWord(s, i, ShardTable.word(q, hash: key.hash))
                    EntryLayout.destroy(p)
                    if oldHasExpire && newExpire == nil { removeExpiring(db, s, slot) }
                    if !oldHasExpire && newExpire != nil { addExpiring(db, s, slot) }
                }
                markDirty(slot)
                return
            }
        }
        let q = Keyspace.makeBlock(
            key: key.bytes, type: type, encoding: encoding, lru: initialAccessBits(slot: slot, now: now), word: word,
            bytes: bytes, length: length, expireAt: expireAt)
        ShardTable.insert(s, word: ShardTable.word(q, hash: key.hash), hint: i)
        if expireAt != nil { addExpiring(db, s, slot) }
        markDirty(slot)
    }

    @inlinable @inline(__always)
    static func writeValue(_ dest: UnsafeMutableRawPointer, word: UInt64, bytes: UnsafeRawPointer?, length: Int) {
        if let bytes {
            if length > 0 { dest.copyMemory(from: bytes, byteCount: length) }
        } else if length == 8 {
            dest.storeBytes(of: word, as: UInt64.self)
        }
        // Otherwise (no bytes, length != 8) the caller fills the value itself.
    }

    @inlinable
    static func makeBlock(
        key: UnsafeRawBufferPointer, type: ValueType, encoding: UInt8, lru: UInt64, word: UInt64,
        bytes: UnsafeRawPointer?, length: Int, expireAt: Int64?, capacity: Int = 0
    ) -> UnsafeMutableRawPointer {
        let keyLength = key.count
        let size = EntryLayout.blockSize(keyLength: keyLength, valueLength: length, hasExpire: expireAt != nil)
        let q = malloc(max(size, capacity)).unsafelyUnwrapped
        let offset = EntryLayout.writeHeader(
            q, type: type, encoding: encoding, lru: lru, keyLength: keyLength, valueLength: length, expireAt: expireAt)
        if keyLength > 0 { (q + offset).copyMemory(from: key.baseAddress!, byteCount: keyLength) }
        writeValue(q + offset + keyLength, word: word, bytes: bytes, length: length)
        return q
    }

    /// Rewrites the entry at `index` as a `raw` string of `newLength` bytes that keeps its current
    /// content (an integer becomes its text; new bytes are zero) and returns where the value
    /// starts. Growth reserves room as Redis's sds does (double up to 1 MB, then +1 MB), so
    /// repeated APPENDs cost amortised O(1).
    @usableFromInline
    func makeRawString(_ db: Int, _ s: UnsafeMutablePointer<Shard>, _ key: Key, at index: Int, length newLength: Int)
        -> UnsafeMutableRawPointer
    {
        let p = ShardTable.entry(entryWord(s, index))
        let h = EntryLayout.header(p)
        let keyLength = EntryLayout.keyLength(p, h)
        let keyOffset = EntryLayout.keyOffset(h)
        let entry = EntryRef(p)
        let greedy = { (need: Int) -> Int in need < 1 << 20 ? need * 2 : need + (1 << 20) }
        if !entry.isIntegerEncoded && EntryLayout.isLong(h) == EntryLayout.needsLong(keyLength: keyLength, valueLength: newLength) {
            let oldLength = EntryLayout.valueLength(p, h)
            let need = keyOffset + keyLength + newLength
            var q = p
            if need > mallocUsableSize(p) {
                q = realloc(p, newLength > oldLength ? greedy(need) : need).unsafelyUnwrapped
                if q != p { setWord(s, index, ShardTable.word(q, hash: key.hash)) }
            }
            let value = q + keyOffset + keyLength
            if newLength > oldLength { memset(value + oldLength, 0, newLength - oldLength) }
            var nh = (h & ~EntryLayout.encodingMask) | (UInt64(StringEncoding.raw.rawValue) << EntryLayout.encodingShift)
            if EntryLayout.isLong(h) {
                q.storeBytes(of: UInt64(newLength), toByteOffset: EntryLayout.lengthsOffset(h) + 8, as: UInt64.self)
            } else {
                nh = (nh & ~(0xFFFF << EntryLayout.valueLengthShift)) | (UInt64(newLength) << EntryLayout.valueLengthShift)
            }
            q.storeBytes(of: nh, as: UInt64.self)
            return value
        }
        // Layout changes (integer to text, or lengths outgrow the short header): build anew.
        let expire = entry.expireAt
        let size = EntryLayout.blockSize(keyLength: keyLength, valueLength: newLength, hasExpire: expire != nil)
        let q = malloc(greedy(size)).unsafelyUnwrapped
        let offset = EntryLayout.writeHeader(
            q, type: .string, encoding: StringEncoding.raw.rawValue, lru: (h & EntryLayout.lruMask) >> EntryLayout.lruShift,
            keyLength: keyLength, valueLength: newLength, expireAt: expire)
        (q + offset).copyMemory(from: p + keyOffset, byteCount: keyLength)
        let value = q + offset + keyLength
        let copied = entry.withStringBytes { old -> Int in
            let n = min(old.count, newLength)
            if n > 0 { value.copyMemory(from: old.baseAddress!, byteCount: n) }
            return n
        }
        if newLength > copied { memset(value + copied, 0, newLength - copied) }
        setWord(s, index, ShardTable.word(q, hash: key.hash))
        free(p)  // a string: nothing to release
        return value
    }

    /// APPEND: returns the new length, or nil when the key holds a non-string. A missing key is
    /// created with the usual encoding choice, as Redis does.
    public func append(db: Int, key: Key, bytes: UnsafeRawBufferPointer, now: Int64) -> Int? {
        let s = shard(db, key.slot)
        let i = findLive(db, s, key, now)
        if i < 0 {
            setString(db: db, key: key, value: bytes, now: now)
            return bytes.count
        }
        let entry = EntryRef(ShardTable.entry(entryWord(s, i)))
        guard entry.isString else { return nil }
        touchEntry(entry.pointer, slot: key.slot, now: now)
        let oldLength = entry.stringLength
        let newLength = oldLength + bytes.count
        let value = makeRawString(db, s, key, at: i, length: newLength)
        if bytes.count > 0 { (value + oldLength).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        markDirty(key.slot)
        return newLength
    }

    /// SETRANGE: returns the resulting length, or nil when the key holds a non-string. Writing
    /// nothing creates nothing and changes nothing.
    public func setRange(db: Int, key: Key, offset: Int, bytes: UnsafeRawBufferPointer, now: Int64) -> Int? {
        let s = shard(db, key.slot)
        let i = findLive(db, s, key, now)
        if i < 0 {
            if bytes.count == 0 { return 0 }
            let length = offset + bytes.count
            let q = Keyspace.makeBlock(
                key: key.bytes, type: .string, encoding: StringEncoding.raw.rawValue,
                lru: initialAccessBits(slot: key.slot, now: now), word: 0, bytes: nil, length: length, expireAt: nil)
            let h = EntryLayout.header(q)
            let value = q + EntryLayout.keyOffset(h) + key.bytes.count
            memset(value, 0, offset)
            (value + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            ShardTable.insert(s, word: ShardTable.word(q, hash: key.hash), hint: i)
            markDirty(key.slot)
            return length
        }
        let entry = EntryRef(ShardTable.entry(entryWord(s, i)))
        guard entry.isString else { return nil }
        touchEntry(entry.pointer, slot: key.slot, now: now)
        let oldLength = entry.stringLength
        if bytes.count == 0 { return oldLength }
        let newLength = max(oldLength, offset + bytes.count)
        let value = makeRawString(db, s, key, at: i, length: newLength)
        (value + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        markDirty(key.slot)
        return newLength
    }

    /// Deletes a key; false if it did not exist (an expired key is deleted as expired and
    /// reported absent, as DEL does).
    @discardableResult
    public func delete(db: Int, key: Key, now: Int64) -> Bool {
        let s = shard(db, key.slot)
        let i = findLive(db, s, key, now)
        if i < 0 { return false }
        removeEntry(db, s, key.slot, at: i)
        markDirty(key.slot)
        return true
    }

    /// Sets the absolute expiry (ms) of an existing key; false if the key does not exist.
    @discardableResult
    public func setExpire(db: Int, key: Key, at when: Int64, now: Int64) -> Bool {
        let s = shard(db, key.slot)
        let i = findLive(db, s, key, now)
        if i < 0 { return false }
        let p = ShardTable.entry(entryWord(s, i))
        let h = EntryLayout.header(p)
        if EntryLayout.hasExpire(h) {
            p.storeBytes(of: when, toByteOffset: 8, as: Int64.self)
        } else {
            let size = EntryLayout.blockSize(p)
            let q = realloc(p, size + 8).unsafelyUnwrapped
            memmove(q + 16, q + 8, size - 8)
            q.storeBytes(of: when, toByteOffset: 8, as: Int64.self)
            q.storeBytes(of: h | EntryLayout.expireFlag, as: UInt64.self)
            if q != p { setWord(s, i, ShardTable.word(q, hash: key.hash)) }
            addExpiring(db, s, key.slot)
        }
        markDirty(key.slot)
        return true
    }

    /// Removes a key's expiry (PERSIST); false if the key does not exist or has none.
    @discardableResult
    public func removeExpire(db: Int, key: Key, now: Int64) -> Bool {
        let s = shard(db, key.slot)
        let i = findLive(db, s, key, now)
        if i < 0 { return false }
        let p = ShardTable.entry(entryWord(s, i))
        let h = EntryLayout.header(p)
        guard EntryLayout.hasExpire(h) else { return false }
        let size = EntryLayout.blockSize(p)
        memmove(p + 8, p + 16, size - 16)
        p.storeBytes(of: h & ~EntryLayout.expireFlag, as: UInt64.self)
        let q = realloc(p, size - 8).unsafelyUnwrapped
        if q != p { setWord(s, i, ShardTable.word(q, hash: key.hash)) }
        removeExpiring(db, s, key.slot)
        markDirty(key.slot)
        return true
    }

    /// The absolute expiry of a live key: nil when the key does not exist, `.some(nil)` when it
    /// has none.
    public func expireTime(db: Int, key: Key, now: Int64) -> Int64?? {
        guard let e = lookup(db: db, key: key, now: now, touch: false) else { return nil }
        return .some(e.expireAt)
    }

}
