#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RENAME, COPY and MOVE: entries rebuilt under another key or moved to another database.
extension Keyspace {
    /// A copy of a stored block under another key (same type, encoding, access bits, expiry).
    /// With `moveObject` the object reference moves to the copy (the old block must then be freed
    /// with `free`, not destroyed); otherwise objects are deep-copied.
    func rekeyedBlock(_ p: UnsafeMutableRawPointer, newKey: UnsafeRawBufferPointer, moveObject: Bool, lru: UInt64? = nil)
        -> UnsafeMutableRawPointer
    {
        let h = EntryLayout.header(p)
        let entry = EntryRef(p)
        let type = entry.type
        let encoding = UInt8(truncatingIfNeeded: (h & EntryLayout.encodingMask) >> EntryLayout.encodingShift)
        let access = lru ?? ((h & EntryLayout.lruMask) >> EntryLayout.lruShift)
        let value = entry.valueBytes
        if type == .string {
            if entry.isIntegerEncoded {
                return Keyspace.makeBlock(
                    key: newKey, type: .string, encoding: encoding, lru: access,
                    word: UInt64(bitPattern: entry.integerValue), bytes: nil, length: 8, expireAt: entry.expireAt)
            }
            return Keyspace.makeBlock(
                key: newKey, type: .string, encoding: encoding, lru: access, word: 0,
                bytes: value.baseAddress, length: value.count, expireAt: entry.expireAt)
        }
        if !entry.holdsObject {
            // A compact collection is plain bytes: copying them copies the value.
            return Keyspace.makeBlock(
                key: newKey, type: type, encoding: encoding, lru: access, word: 0,
                bytes: value.baseAddress, length: value.count, expireAt: entry.expireAt)
        }
        let objectWord: UInt64
        if moveObject {
            objectWord = value.loadUnaligned(as: UInt64.self)
        } else {
            let copy = entry.object.deepCopy()
            objectWord = UInt64(UInt(bitPattern: Unmanaged<AnyObject>.passRetained(copy as AnyObject).toOpaque()))
        }
        return Keyspace.makeBlock(
            key: newKey, type: type, encoding: encoding, lru: access, word: objectWord, bytes: nil, length: 8,
            expireAt: entry.expireAt)
    }

    /// RENAME / RENAMENX within one database; keeps value, expiry and access time.
    public func rename(db: Int, from source: Key, to destination: Key, onlyIfAbsent: Bool, now: Int64) -> RenameOutcome {
        let ss = shard(db, source.slot)
        if findLive(db, ss, source, now) < 0 { return .noSuchKey }
        if source.bytes.elementsEqual(destination.bytes) { return onlyIfAbsent ? .destinationExists : .renamed }
        let ds = shard(db, destination.slot)
        let j = findLive(db, ds, destination, now)
        if j >= 0 {
            if onlyIfAbsent { return .destinationExists }
            removeEntry(db, ds, destination.slot, at: j)
        }
        // Indices may have moved: find the source again.
        let i = ShardTable.find(ss, source.bytes.baseAddress, source.bytes.count, source.hash)
        let p = ShardTable.entry(entryWord(ss, i))
        let q = rekeyedBlock(p, newKey: destination.bytes, moveObject: true)
        let hadExpire = EntryLayout.hasExpire(EntryLayout.header(p))
        if hadExpire { removeExpiring(db, ss, source.slot) }
        ShardTable.remove(ss, at: i)
        free(p)
        ShardTable.insert(ds, word: ShardTable.word(q, hash: destination.hash), hint: Int.min)
        if hadExpire { addExpiring(db, ds, destination.slot) }
        markDirty(source.slot)
        markDirty(destination.slot)
        return .renamed
    }

    /// COPY: false when the source does not exist or the destination exists without `replace`.
    /// Objects are deep-copied; the expiry is copied.
    public func copy(db: Int, key source: Key, toDatabase dstDB: Int, key destination: Key, replace: Bool, now: Int64) -> Bool {
        let ss = shard(db, source.slot)
        if findLive(db, ss, source, now) < 0 { return false }
        let ds = shard(dstDB, destination.slot)
        let j = findLive(dstDB, ds, destination, now)
        if j >= 0 {
            if !replace { return false }
            removeEntry(dstDB, ds, destination.slot, at: j)
        }
        let i = ShardTable.find(ss, source.bytes.baseAddress, source.bytes.count, source.hash)
        let p = ShardTable.entry(entryWord(ss, i))
        let q = rekeyedBlock(p, newKey: destination.bytes, moveObject: false, lru: initialAccessBits(slot: destination.slot, now: now))
        ShardTable.insert(ds, word: ShardTable.word(q, hash: destination.hash), hint: Int.min)
        if EntryLayout.hasExpire(EntryLayout.header(q)) { addExpiring(dstDB, ds, destination.slot) }
        markDirty(destination.slot)
        return true
    }

    /// MOVE: moves a key to another database unless it exists there. False when the source is
    /// missing or the destination exists.
    public func move(db: Int, key: Key, toDatabase dstDB: Int, now: Int64) -> Bool {
        let ss = shard(db, key.slot)
        let i = findLive(db, ss, key, now)
        if i < 0 { return false }
        let ds = shard(dstDB, key.slot)
        if findLive(dstDB, ds, key, now) >= 0 { return false }
        let w = entryWord(ss, i)
        let p = ShardTable.entry(w)
        let hadExpire = EntryLayout.hasExpire(EntryLayout.header(p))
        if hadExpire { removeExpiring(db, ss, key.slot) }
        ShardTable.remove(ss, at: i)
        ShardTable.insert(ds, word: w, hint: Int.min)
        if hadExpire { addExpiring(dstDB, ds, key.slot) }
        markDirty(key.slot)
        return true
    }
}
