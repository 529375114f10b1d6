import Keyspace
import RESP

/// Error texts of the set commands (Redis 7.0 wording).
enum SetErrors {
    static let mustBePositive: StaticString = "ERR value is out of range, must be positive"
    static let countRange: StaticString =
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    static let numkeysNotPositive: StaticString = "ERR numkeys should be greater than 0"
    static let tooManyKeys: StaticString = "ERR Number of keys can't be greater than number of args"
    static let limitNegative: StaticString = "ERR LIMIT can't be negative"
}

/// A read view of a stored set in either encoding. Valid until the keyspace is next modified
/// (it points into the entry or at its object).
enum SetRef {
    /// Bytes in `SetIntset`'s format, inline in the entry.
    case intset(UnsafeRawBufferPointer)
    case table(SetObject)

    /// The set of an entry whose type is `.set`.
    init(_ e: EntryRef) {
        self = e.holdsObject ? .table(e.setObject) : .intset(e.valueBytes)
    }

    var count: Int {
        switch self {
        case .intset(let b): return SetIntset.count(b)
        case .table(let t): return t.count
        }
    }

    /// Membership of a member given as bytes (an intset holds only canonical integers).
    func contains(_ member: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .intset(let b):
            guard let v = parseCanonicalInt64(member.baseAddress, count: member.count) else { return false }
            return SetIntset.contains(b, v)
        case .table(let t):
            return t.contains(member)
        }
    }

    /// Membership of a member whose integer value, if it has one, is already known.
    func contains(_ member: UnsafeRawBufferPointer, integer: Int64?) -> Bool {
        switch self {
        case .intset(let b):
            guard let v = integer ?? parseCanonicalInt64(member.baseAddress, count: member.count) else { return false }
            return SetIntset.contains(b, v)
        case .table(let t):
            return t.contains(member)
        }
    }

    /// Calls `body` with each member's bytes and, for intset members, its integer value.
    /// Intset members come in ascending order (as Redis iterates them), formatted on the stack.
    func forEach(_ body: (UnsafeRawBufferPointer, Int64?) -> Void) {
        switch self {
        case .intset(let b):
            let n = SetIntset.count(b)
            withUnsafeTemporaryAllocation(byteCount: 24, alignment: 8) { scratch in
                let base = scratch.baseAddress!
                for i in 0..<n {
                    let v = SetIntset.value(b, at: i)
                    let len = RESPWriter.formatDecimal(Int(v), into: base)
                    body(UnsafeRawBufferPointer(start: base, count: len), v)
                }
            }
        case .table(let t):
            t.forEach { body($0, nil) }
        }
    }
}

/// The result of SUNION / SINTER / SDIFF (and their STORE forms) built as Redis builds its
/// `dstset`: integers go into an intset until a non-integer arrives or there are more than
/// `set-max-intset-entries` of them, then everything moves to a table for good. So a stored
/// result has the encoding Redis would give it.
struct SetBuilder {
    var integers: Set<Int64> = []
    var table: SetObject? = nil
    let maxIntset: Int

    init(maxIntset: Int) { self.maxIntset = maxIntset }

    var count: Int { table?.count ?? integers.count }

    /// Adds a member; false if it was already there.
    @discardableResult
    mutating func add(_ member: UnsafeRawBufferPointer, integer: Int64?) -> Bool {
        if let table { return table.insert(member) }
        guard let v = integer ?? parseCanonicalInt64(member.baseAddress, count: member.count) else {
            let t = convert(extra: 1)
            return t.insert(member)
        }
        guard integers.insert(v).inserted else { return false }
        if integers.count > maxIntset { _ = convert(extra: 0) }
        return true
    }

    /// Removes a member; false if it was not there.
    @discardableResult
    mutating func remove(_ member: UnsafeRawBufferPointer, integer: Int64?) -> Bool {
        if let table { return table.remove(member) }
        guard let v = integer ?? parseCanonicalInt64(member.baseAddress, count: member.count) else { return false }
        return integers.remove(v) != nil
    }

    private mutating func convert(extra: Int) -> SetObject {
        let t = SetObject(capacity: integers.count + extra)
        withUnsafeTemporaryAllocation(byteCount: 24, alignment: 8) { scratch in
            for v in integers {
                let n = RESPWriter.formatDecimal(Int(v), into: scratch.baseAddress!)
                t.insert(UnsafeRawBufferPointer(start: scratch.baseAddress!, count: n))
            }
        }
        integers = []
        table = t
        return t
    }

    /// Writes the members as a set reply (intset results in ascending order, as Redis does).
    func reply(_ ctx: inout CommandContext) {
        if let table {
            ctx.reply.setHeader(table.count)
            table.forEach { ctx.reply.bulk($0) }
        } else {
            ctx.reply.setHeader(integers.count)
            for v in integers.sorted() { ctx.reply.bulkInteger(Int(v)) }
        }
    }

    /// Stores the result at `key` (any old value and its TTL go) or deletes `key` when empty,
    /// then replies with the cardinality, as the STORE commands do.
    func store(_ ctx: inout CommandContext, at key: Key) {
        let n = count
        if n == 0 {
            ctx.keyspace.delete(db: ctx.db, key: key, now: ctx.now)
            ctx.reply.integer(0)
            return
        }
        if let table {
            ctx.keyspace.setObject(db: ctx.db, key: key, object: table, now: ctx.now)
        } else {
            let sorted = integers.sorted()
            sorted.withUnsafeBufferPointer { values in
                SetIntset.withMerged(UnsafeRawBufferPointer(start: nil, count: 0), adding: values) { bytes in
                    ctx.keyspace.setCompact(
                        db: ctx.db, key: key, type: .set, encoding: .intset, bytes: bytes, now: ctx.now)
                }
            }
        }
        ctx.reply.integer(n)
    }
}

extension CommandContext {
    /// A set entry for reading, or nil after replying WRONGTYPE; `missing` is true when the key
    /// does not exist.
    mutating func readSet(_ key: Key) -> (set: SetRef?, wrongType: Bool) {
        guard let e = lookupRead(key) else { return (nil, false) }
        guard e.type == .set else {
            reply.error(CommandError.wrongType)
            return (nil, true)
        }
        return (SetRef(e), false)
    }

    /// Replaces the set at `key` with a table holding its intset members plus `extra` room
    /// (OBJECT ENCODING becomes `hashtable` for good); keeps the TTL.
    mutating func convertToTable(_ key: Key, intset bytes: UnsafeRawBufferPointer, extra: Int) -> SetObject {
        let t = SetObject(capacity: SetIntset.count(bytes) + extra)
        SetRef.intset(bytes).forEach { member, _ in t.insert(member) }
        keyspace.setObject(db: db, key: key, object: t, keepTTL: true, now: now)
        return t
    }

    /// Adds the members `args[range]` to the set at `key` (which must hold a set, or not exist
    /// when `entry` is nil). Returns how many were new. Follows Redis's `setTypeAdd`: an intset
    /// stays one while every member is an integer and it has at most `set-max-intset-entries`
    /// members; a new set starts as an intset when its first member is an integer.
    mutating func addMembers(_ key: Key, entry: EntryRef?, range: Range<Int>) -> Int {
        if let entry, entry.holdsObject {
            let t = entry.setObject
            var added = 0
            for i in range where t.insert(args[i]) { added &+= 1 }
            return added
        }
        let existing = entry?.valueBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        if entry == nil && parseCanonicalInt64(args[range.lowerBound].baseAddress, count: args[range.lowerBound].count) == nil {
            return addToNewTable(key, range: range)
        }
        let added: Int? = withUnsafeTemporaryAllocation(of: Int64.self, capacity: range.count) { buffer -> Int? in
            var n = 0
            for i in range {
                guard let v = parseCanonicalInt64(args[i].baseAddress, count: args[i].count) else { return nil }
                buffer[n] = v
                n += 1
            }
            // Sort, drop duplicates and current members: what is left is new.
            var values = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
            values.sort()
            var fresh = 0
            var i = 0
            while i < n {
                let v = values[i]
                if (fresh == 0 || values[fresh - 1] != v) && !SetIntset.contains(existing, v) {
                    values[fresh] = v
                    fresh += 1
                }
                i += 1
            }
            if fresh == 0 { return 0 }
            if SetIntset.count(existing) + fresh > encodings.setMaxIntsetEntries { return nil }
            SetIntset.withMerged(existing, adding: UnsafeBufferPointer(rebasing: values[0..<fresh])) { bytes in
                keyspace.setCompact(db: db, key: key, type: .set, encoding: .intset, bytes: bytes, keepTTL: true, now: now)
            }
            return fresh
        }
        if let added { return added }
        // A non-integer member, or too many: the set becomes a table.
        if entry == nil { return addToNewTable(key, range: range) }
        let t = convertToTable(key, intset: existing, extra: range.count)
        var n = 0
        for i in range where t.insert(args[i]) { n &+= 1 }
        return n
    }

    private mutating func addToNewTable(_ key: Key, range: Range<Int>) -> Int {
        let t = SetObject(capacity: range.count)
        var added = 0
        for i in range where t.insert(args[i]) { added &+= 1 }
        keyspace.setObject(db: db, key: key, object: t, now: now)
        return added
    }

    /// Removes `member` from the set in `entry` (at `key`), deleting the key when it empties.
    /// Returns whether it was a member.
    mutating func removeMember(_ key: Key, entry: EntryRef, _ member: UnsafeRawBufferPointer) -> Bool {
        if entry.holdsObject {
            let t = entry.setObject
            guard t.remove(member) else { return false }
            if t.count == 0 { keyspace.delete(db: db, key: key, now: now) }
            return true
        }
        let bytes = entry.valueBytes
        guard let v = parseCanonicalInt64(member.baseAddress, count: member.count) else { return false }
        let (found, index) = SetIntset.search(bytes, v)
        guard found else { return false }
        storeIntset(key, bytes, removing: [index])
        return true
    }

    /// Rewrites the intset at `key` without the members at the ascending `indices` (deleting
    /// the key when none remain); keeps the TTL.
    mutating func storeIntset(_ key: Key, _ bytes: UnsafeRawBufferPointer, removing indices: [Int]) {
        if indices.count == SetIntset.count(bytes) {
            keyspace.delete(db: db, key: key, now: now)
            return
        }
        indices.withUnsafeBufferPointer { idx in
            SetIntset.withRemoved(bytes, indices: idx) { rest in
                keyspace.setCompact(db: db, key: key, type: .set, encoding: .intset, bytes: rest, keepTTL: true, now: now)
            }
        }
    }

    /// A generator for random members, seeded from the key's slot (whose lock is held).
    mutating func setRandom(_ key: Key) -> SetRandom {
        SetRandom(seed: keyspace.setRandomSeed(slot: key.slot))
    }
}
