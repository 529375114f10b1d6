import Keyspace

// The bridge between RDB and the keyspace: reading an entry as an `RDBValue` or encoding it
// straight into RDB, and storing a decoded value the way the command handlers build values.
// Everything else in this module is independent of the keyspace (the fuzz target builds it
// without this file).

/// The value an entry holds, as RDB sees it; nil for types RDB values cannot hold (streams,
/// modules). Sorted sets come in ascending (score, member) order, intsets ascending.
public func rdbValue(of entry: EntryRef) -> RDBValue? {
    switch entry.type {
    case .string:
        return .string(entry.stringValue)
    case .list:
        guard let list = entry.listObject else { return nil }
        var elements: [[UInt8]] = []
        elements.reserveCapacity(list.count)
        list.forEach(from: 0) { elements.append(Array($0)); return true }
        return .list(elements)
    case .hash:
        var pairs: [([UInt8], [UInt8])] = []
        if entry.holdsObject {
            guard let table = entry.object(as: HashFieldTable.self) else { return nil }
            pairs.reserveCapacity(table.count)
            table.forEach { pairs.append((Array($0.field), Array($0.value))) }
        } else {
            let compact = HashListpack(entry.valueBytes)
            pairs.reserveCapacity(compact.count)
            compact.forEach { pairs.append((Array($0.field), Array($0.value))) }
        }
        return .hash(pairs)
    case .set:
        var members: [[UInt8]] = []
        if entry.holdsObject {
            let set = entry.setObject
            members.reserveCapacity(set.count)
            set.forEach { members.append(Array($0)) }
        } else {
            let bytes = entry.valueBytes
            let n = SetIntset.count(bytes)
            members.reserveCapacity(n)
            for i in 0..<n { members.append(decimalBytes(SetIntset.value(bytes, at: i))) }
        }
        return .set(members)
    case .zset:
        var elements: [([UInt8], Double)] = []
        if let object = entry.sortedSetObject {
            elements.reserveCapacity(object.count)
            var node = object.first
            while let n = node {
                elements.append((Array(n.member), n.score))
                node = n.next
            }
        } else {
            let compact = CompactSortedSet(entry.valueBytes)
            elements.reserveCapacity(compact.count)
            var offset = compact.startOffset
            while offset < compact.endOffset {
                let e = compact.element(at: offset)
                elements.append((Array(e.member), e.score))
                offset = e.next
            }
        }
        return .zset(elements)
    case .stream, .module:
        return nil
    }
}

extension RDBEncoder {
    /// Writes an entry's type byte and payload straight from the keyspace, in the RDB encoding
    /// matching its in-memory one (compact hash / sorted set: listpack; intset: intset; tables and
    /// skiplists: the plain types; lists: quicklist nodes), as Redis writes what it holds.
    public func writeObject(entry e: EntryRef) throws(RDBError) {
        switch e.type {
        case .string:
            beginObject(RDBFormat.typeString)
            if e.isIntegerEncoded {
                writeInteger(e.integerValue)
            } else {
                writeString(e.valueBytes)
            }
        case .list:
            guard let list = e.listObject else { throw .unsupportedType(RDBFormat.typeListQuicklist2) }
            writeList(count: list.count) { body in
                list.forEach(from: 0) { body($0); return true }
            }
        case .hash:
            if e.holdsObject {
                guard let table = e.object(as: HashFieldTable.self) else { throw .unsupportedType(RDBFormat.typeHash) }
                writeHash(count: table.count, listpack: false) { body in table.forEach { body($0.field, $0.value) } }
            } else {
                let compact = HashListpack(e.valueBytes)
                writeHash(count: compact.count, listpack: true) { body in compact.forEach { body($0.field, $0.value) } }
            }
        case .set:
            if e.holdsObject {
                let set = e.setObject
                writePlainSet(count: set.count) { body in set.forEach { body($0) } }
            } else {
                let bytes = e.valueBytes
                let n = SetIntset.count(bytes)
                withUnsafeTemporaryAllocation(of: Int64.self, capacity: max(n, 1)) { values in
                    for i in 0..<n { values[i] = SetIntset.value(bytes, at: i) }
                    writeIntset(UnsafeBufferPointer(rebasing: values[0..<n]))
                }
            }
        case .zset:
            if let object = e.sortedSetObject {
                writeZSet2(count: object.count) { body in
                    var node = object.last
                    while let n = node {
                        body(n.member, n.score)
                        node = n.previous
                    }
                }
            } else {
                let compact = CompactSortedSet(e.valueBytes)
                writeZSetListpack { body in
                    var offset = compact.startOffset
                    while offset < compact.endOffset {
                        let x = compact.element(at: offset)
                        body(x.member, x.score)
                        offset = x.next
                    }
                }
            }
        case .stream:
            throw .unsupportedType(RDBFormat.typeStreamListpacks2)
        case .module:
            throw .unsupportedModuleData
        }
    }
}

extension DumpPayload {
    /// DUMP of a keyspace entry.
    public static func encode(entry: EntryRef, limits: RDBEncodingLimits = RDBEncodingLimits()) throws(RDBError) -> [UInt8] {
        let encoder = RDBEncoder(limits: limits)
        try encoder.writeObject(entry: entry)
        seal(encoder)
        return encoder.out.array
    }
}

/// Which access data an RDB file carries per key (Redis writes IDLE under an LRU
/// `maxmemory-policy`, FREQ under an LFU one, neither otherwise).
public enum RDBAccessData: Sendable {
    case none
    case lru
    case lfu
}

extension RDBFileWriter {
    /// One entry: its expiry, access data, type, key and value.
    public func writeEntry(_ e: EntryRef, access: RDBAccessData = .none, keyspace: Keyspace? = nil, now: Int64 = 0) throws {
        var idle: Int64? = nil
        var frequency: UInt8? = nil
        if let keyspace {
            switch access {
            case .none: break
            case .lru: idle = keyspace.idleTimeSeconds(e, now: now)
            case .lfu: frequency = UInt8(truncatingIfNeeded: min(keyspace.accessFrequency(e, now: now), 255))
            }
        }
        writeKeyPrefix(expireAt: e.expireAt, idleSeconds: idle, frequency: frequency)
        encoder.pendingKey = e.keyBytes
        defer { encoder.pendingKey = nil }
        try encoder.writeObject(entry: e)
    }

    /// Every live key of database `db` (nothing at all when it is empty): SELECTDB, RESIZEDB, then
    /// the keys slot by slot, each slot under its lock. The sink is called between slots (or
    /// under a lock only when one slot has buffered more than `maxBufferedUnderLock` bytes).
    public func writeDatabase(
        _ keyspace: Keyspace, db: Int, access: RDBAccessData = .none, now: Int64, maxBufferedUnderLock: Int = 16 << 20
    ) throws {
        let keys = keyspace.keyCount(db: db)
        if keys == 0 { return }
        try selectDatabase(db, keys: keys, expires: keyspace.expiringKeyCount(db: db))
        var slot = 0
        while slot < clusterSlotCount, let s = keyspace.nextOccupiedSlot(db: db, from: slot) {
            keyspace.lock(slot: s)
            do {
                try keyspace.forEachEntry(db: db, slot: s, now: now) { e in
                    try writeEntry(e, access: access, keyspace: keyspace, now: now)
                    if encoder.out.count >= maxBufferedUnderLock { try flush() }
                }
            } catch {
                keyspace.unlock(slot: s)
                throw error
            }
            keyspace.unlock(slot: s)
            try flushIfNeeded()
            slot = s + 1
        }
    }

    /// A whole snapshot: header, every non-empty database, EOF and checksum.
    @discardableResult
    public func writeSnapshot(
        _ keyspace: Keyspace, access: RDBAccessData = .none, now: Int64, usedMemory: Int64 = 0
    ) throws -> UInt64 {
        try writeHeader(ctime: now / 1000, usedMemory: usedMemory)
        for db in 0..<keyspace.databaseCount {
            try writeDatabase(keyspace, db: db, access: access, now: now)
        }
        return try finish()
    }
}

/// Stores a decoded value at `key` the way the command handlers build values (compact
/// listpack / intset forms under `limits`, as Redis 7.0 converts on load; lists as quicklists),
/// replacing what the key held. The caller holds the key's slot lock.
///
/// Returns false, leaving the keyspace unchanged, when `expireAt` is already past (`< now`, as
/// Redis skips expired keys while loading). Throws `.emptyKey` for an empty collection and
/// `.badData` for duplicate hash fields, set members or sorted set members, or a NaN score — the
/// values Redis refuses to load.
@discardableResult
public func store(
    _ value: RDBValue, key: UnsafeRawBufferPointer, db: Int, expireAt: Int64?, into keyspace: Keyspace,
    limits: RDBEncodingLimits = RDBEncodingLimits(), now: Int64
) throws(RDBError) -> Bool {
    if let expireAt, expireAt < now { return false }
    let k = Key(key)
    switch value {
    case .string(let s):
        s.withUnsafeBytes { keyspace.setString(db: db, key: k, value: $0, expireAt: expireAt, now: now) }
    case .list(let elements):
        if elements.isEmpty { throw .emptyKey }
        let list = ListObject(fill: limits.listMaxListpackSize)
        for e in elements { e.withUnsafeBytes { list.pushBack($0) } }
        keyspace.setObject(db: db, key: k, object: list, expireAt: expireAt, now: now)
    case .hash(let pairs):
        try storeHash(pairs, key: k, db: db, expireAt: expireAt, into: keyspace, limits: limits, now: now)
    case .set(let members):
        try storeSet(members, key: k, db: db, expireAt: expireAt, into: keyspace, limits: limits, now: now)
    case .zset(let elements):
        try storeZSet(elements, key: k, db: db, expireAt: expireAt, into: keyspace, limits: limits, now: now)
    }
    return true
}

private func storeHash(
    _ pairs: [([UInt8], [UInt8])], key: Key, db: Int, expireAt: Int64?, into keyspace: Keyspace,
    limits: RDBEncodingLimits, now: Int64
) throws(RDBError) {
    if pairs.isEmpty { throw .emptyKey }
    let maxValue = limits.hashMaxListpackValue
    let compact = pairs.count <= limits.hashMaxListpackEntries
        && pairs.allSatisfy { $0.0.count <= maxValue && $0.1.count <= maxValue }
    if compact {
        var builder = HashListpackBuilder(copying: nil, reserve: pairs.reduce(0) { $0 + $1.0.count + $1.1.count + 2 })
        for (f, v) in pairs {
            let new = f.withUnsafeBytes { fb in v.withUnsafeBytes { vb in builder.set(field: fb, value: vb) } }
            if !new { throw .badData("Duplicate hash fields detected") }
        }
        let sealed = builder.sealed()
        keyspace.setCompact(db: db, key: key, type: .hash, encoding: .listpack, bytes: sealed.bytes,
                            expireAt: expireAt, now: now)
        return
    }
    let table = HashFieldTable(capacity: pairs.count)
    for (f, v) in pairs {
        let new = f.withUnsafeBytes { fb in v.withUnsafeBytes { vb in table.set(field: fb, value: vb) } }
        if !new { throw .badData("Duplicate hash fields detected") }
    }
    keyspace.setObject(db: db, key: key, object: table, expireAt: expireAt, now: now)
}

private func storeSet(
    _ members: [[UInt8]], key: Key, db: Int, expireAt: Int64?, into keyspace: Keyspace,
    limits: RDBEncodingLimits, now: Int64
) throws(RDBError) {
    if members.isEmpty { throw .emptyKey }
    if members.count <= limits.setMaxIntsetEntries {
        if let values = sortedIntegers(members) {
            for i in 1..<max(values.count, 1) where values[i] == values[i - 1] {
                throw .badData("Duplicate set members detected")
            }
            var width = 2
            for v in values { width = max(width, SetIntset.width(for: v)) }
            let size = SetIntset.byteCount(count: values.count, width: width)
            withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { buffer in
                SetIntset.write(into: buffer.baseAddress!, width: width, count: values.count) { values[$0] }
                keyspace.setCompact(db: db, key: key, type: .set, encoding: .intset,
                                    bytes: UnsafeRawBufferPointer(buffer), expireAt: expireAt, now: now)
            }
            return
        }
    }
    let set = SetObject(capacity: members.count)
    for m in members where !m.withUnsafeBytes({ set.insert($0) }) {
        throw .badData("Duplicate set members detected")
    }
    keyspace.setObject(db: db, key: key, object: set, expireAt: expireAt, now: now)
}

private func storeZSet(
    _ elements: [([UInt8], Double)], key: Key, db: Int, expireAt: Int64?, into keyspace: Keyspace,
    limits: RDBEncodingLimits, now: Int64
) throws(RDBError) {
    if elements.isEmpty { throw .emptyKey }
    // Building needs ascending (score, member) order; Redis's own data already is.
    var order = Array(elements.indices)
    var sorted = true
    for i in elements.indices {
        if elements[i].1.isNaN { throw .badData("Zset with NAN score detected") }
        if i > 0 && zsetLess(elements[i], elements[i - 1]) { sorted = false }
    }
    if !sorted { order.sort { zsetLess(elements[$0], elements[$1]) } }
    let maxValue = limits.zsetMaxListpackValue
    let compact = elements.count <= limits.zsetMaxListpackEntries && elements.allSatisfy { $0.0.count <= maxValue }
    if compact {
        var seen = Set<[UInt8]>(minimumCapacity: elements.count)
        var buffer = CompactSortedSetBuffer(capacity: elements.reduce(CompactSortedSet.headerSize) {
            $0 + CompactSortedSet.elementSize(memberLength: $1.0.count)
        })
        defer { buffer.deallocate() }
        for i in order {
            let (member, score) = elements[i]
            if !seen.insert(member).inserted { throw .badData("Duplicate zset fields detected") }
            member.withUnsafeBytes { buffer.append(score: score, member: $0) }
        }
        keyspace.setCompact(db: db, key: key, type: .zset, encoding: .listpack, bytes: buffer.bytes,
                            expireAt: expireAt, now: now)
        return
    }
    let object = SortedSetObject(capacity: elements.count)
    object.beginAppend()
    for i in order {
        let (member, score) = elements[i]
        let duplicate = member.withUnsafeBytes { m -> Bool in
            if object.node(for: m) != nil { return true }
            object.append(member: m, score: score)
            return false
        }
        if duplicate {
            object.endAppend()
            throw .badData("Duplicate zset fields detected")
        }
    }
    object.endAppend()
    keyspace.setObject(db: db, key: key, object: object, expireAt: expireAt, now: now)
}

/// (score, member) order, members compared as Redis's `sdscmp`.
@inline(__always)
private func zsetLess(_ a: ([UInt8], Double), _ b: ([UInt8], Double)) -> Bool {
    if a.1 != b.1 { return a.1 < b.1 }
    return compareBytes(a.0, b.0) < 0
}
