@testable import Keyspace

/// Runs `body` with a `Key` over the bytes of `text`.
func withKey<R>(_ text: String, _ body: (Key) throws -> R) rethrows -> R {
    try withKey(Array(text.utf8), body)
}

func withKey<R>(_ bytes: [UInt8], _ body: (Key) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { try body(Key($0)) }
}

func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try Array(text.utf8).withUnsafeBytes { try body($0) }
}

extension Keyspace {
    func set(_ key: String, _ value: String, db: Int = 0, expireAt: Int64? = nil, keepTTL: Bool = false, now: Int64 = 1_000) {
        set(Array(key.utf8), Array(value.utf8), db: db, expireAt: expireAt, keepTTL: keepTTL, now: now)
    }

    func set(_ key: [UInt8], _ value: [UInt8], db: Int = 0, expireAt: Int64? = nil, keepTTL: Bool = false, now: Int64 = 1_000,
             encoding: StringEncodingPolicy = .automatic) {
        withKey(key) { k in
            value.withUnsafeBytes { v in
                setString(db: db, key: k, value: v, encoding: encoding, expireAt: expireAt, keepTTL: keepTTL, now: now)
            }
        }
    }

    func get(_ key: String, db: Int = 0, now: Int64 = 1_000) -> String? {
        get(Array(key.utf8), db: db, now: now).map { String(decoding: $0, as: UTF8.self) }
    }

    func get(_ key: [UInt8], db: Int = 0, now: Int64 = 1_000) -> [UInt8]? {
        withKey(key) { k in lookup(db: db, key: k, now: now)?.stringValue }
    }

    func entry(_ key: String, db: Int = 0, now: Int64 = 1_000) -> EntryRef? {
        withKey(key) { k in lookup(db: db, key: k, now: now, touch: false) }
    }

    func del(_ key: String, db: Int = 0, now: Int64 = 1_000) -> Bool {
        withKey(key) { k in delete(db: db, key: k, now: now) }
    }

    /// Bytes held by the allocator for entries and tables, plus the allocator's 8-byte chunk
    /// headers, plus the shard arrays of databases that hold keys.
    func accountedBytes() -> Int {
        var total = 0
        for db in 0..<databaseCount {
            let shards = databases[db].shards
            var used = false
            for slot in 0..<clusterSlotCount {
                guard let table = shards[slot].table else { continue }
                used = true
                total += mallocUsableSize(UnsafeMutableRawPointer(table)) + 8
                for i in 0..<Int(shards[slot].capacity) where table[i] != 0 {
                    total += mallocUsableSize(ShardTable.entry(table[i])) + 8
                }
            }
            if used { total += clusterSlotCount * (MemoryLayout<Shard>.stride + 1) }
        }
        return total
    }

    /// Checks the structural invariants of every table: counts, expiry counters and that every
    /// stored key is found from its home position.
    func checkInvariants() -> Bool {
        for db in 0..<databaseCount {
            let shards = databases[db].shards
            for slot in 0..<clusterSlotCount {
                let s = shards + slot
                guard let table = s.pointee.table else {
                    if s.pointee.count != 0 || s.pointee.expires != 0 { return false }
                    continue
                }
                var count = 0
                var expires = 0
                for i in 0..<Int(s.pointee.capacity) where table[i] != 0 {
                    count += 1
                    let e = EntryRef(ShardTable.entry(table[i]))
                    if e.hasExpire { expires += 1 }
                    let kb = e.keyBytes
                    let k = Key(kb)
                    let found = k.slot != slot ? -2 : ShardTable.find(s, kb.baseAddress, kb.count, k.hash)
                    if found != i { return false }
                }
                if count != Int(s.pointee.count) || expires != Int(s.pointee.expires) { return false }
                if (databases[db].expiringSlots[slot] != 0) != (expires > 0) { return false }
            }
        }
        return true
    }
}

final class LiveCounter: @unchecked Sendable {
    var count = 0
}

/// A minimal non-string value for tests; counts its live instances.
final class TestList: KeyspaceObject, @unchecked Sendable {
    let counter: LiveCounter
    var items: [String]
    init(_ items: [String], counter: LiveCounter) {
        self.items = items
        self.counter = counter
        counter.count += 1
    }
    deinit { counter.count -= 1 }
    var valueType: ValueType { .list }
    var encodingName: String { "listpack" }
    func deepCopy() -> any KeyspaceObject { TestList(items, counter: counter) }
}
