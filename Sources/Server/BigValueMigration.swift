import Keyspace
import RDB

/// Big collections cross a slot migration in parts: a cursor walks the value (HSCAN-style for
/// hashes, sets and sorted sets, by index for lists) and each step yields at most `chunkElements`
/// elements, so one step costs the event loop about a millisecond whatever the value's size.
/// Writes to the slot are frozen meanwhile, so the cursor sees a value that does not change.
enum BigValueMigration {
    static let chunkElements = 8192

    enum Cursor {
        case hash(UInt64)
        case set(UInt64)
        case zset(UInt64)
        case list(Int)
    }

    /// Elements of the collection in `entry`, or 0 for a string or a compact collection (those
    /// are small by construction and move whole).
    static func elementCount(_ entry: EntryRef) -> Int {
        guard entry.holdsObject else { return 0 }
        switch entry.type {
        case .hash: return entry.object(as: HashFieldTable.self)?.count ?? 0
        case .set: return entry.setObject.count
        case .zset: return entry.sortedSetObject?.count ?? 0
        case .list: return entry.listObject?.count ?? 0
        default: return 0
        }
    }

    static func start(_ entry: EntryRef) -> Cursor? {
        switch entry.type {
        case .hash: return .hash(0)
        case .set: return .set(0)
        case .zset: return .zset(0)
        case .list: return .list(0)
        default: return nil
        }
    }

    /// The next part of the value as an RDB value, and the cursor after it (nil: done).
    static func next(_ entry: EntryRef, from cursor: Cursor) -> (RDBValue, Cursor?) {
        switch cursor {
        case .hash(var c):
            guard let table = entry.object(as: HashFieldTable.self) else { return (.hash([]), nil) }
            var pairs: [([UInt8], [UInt8])] = []
            var seen = Set<[UInt8]>()
            repeat {
                c = table.scan(cursor: c) { node in
                    let field = Array(node.field)
                    if seen.insert(field).inserted { pairs.append((field, Array(node.value))) }
                }
            } while c != 0 && pairs.count < chunkElements
            return (.hash(pairs), c == 0 ? nil : .hash(c))
        case .set(var c):
            let set = entry.setObject
            var members: [[UInt8]] = []
            var seen = Set<[UInt8]>()
            repeat {
                c = set.scan(cursor: c, count: 1024) { member in
                    let m = Array(member)
                    if seen.insert(m).inserted { members.append(m) }
                }
            } while c != 0 && members.count < chunkElements
            return (.set(members), c == 0 ? nil : .set(c))
        case .zset(var c):
            guard let zset = entry.sortedSetObject else { return (.zset([]), nil) }
            var elements: [([UInt8], Double)] = []
            var seen = Set<[UInt8]>()
            repeat {
                c = zset.scan(cursor: c) { node in
                    let m = Array(node.member)
                    if seen.insert(m).inserted { elements.append((m, node.score)) }
                }
            } while c != 0 && elements.count < chunkElements
            return (.zset(elements), c == 0 ? nil : .zset(c))
        case .list(let index):
            guard let list = entry.listObject else { return (.list([]), nil) }
            var elements: [[UInt8]] = []
            list.forEach(from: index) { element in
                elements.append(Array(element))
                return elements.count < chunkElements
            }
            let end = index + elements.count
            return (.list(elements), end >= list.count ? nil : .list(end))
        }
    }

    /// Adds the elements of a later part to the key the first part created. False when the key
    /// is missing or of another type.
    static func append(
        _ value: RDBValue, to key: Key, db: Int, keyspace: Keyspace, limits: RDBEncodingLimits, now: Int64
    ) -> Bool {
        guard let entry = keyspace.lookup(db: db, key: key, now: now, touch: false) else { return false }
        switch value {
        case .hash(let pairs) where entry.type == .hash:
            if let table = entry.object(as: HashFieldTable.self) {
                for (f, v) in pairs { f.withUnsafeBytes { fb in v.withUnsafeBytes { vb in _ = table.set(field: fb, value: vb) } } }
                return true
            }
        case .set(let members) where entry.type == .set && entry.holdsObject:
            let set = entry.setObject
            for m in members { m.withUnsafeBytes { _ = set.insert($0) } }
            return true
        case .zset(let elements) where entry.type == .zset:
            if let zset = entry.sortedSetObject {
                for (m, score) in elements {
                    m.withUnsafeBytes { mb in if zset.node(for: mb) == nil { _ = zset.insert(member: mb, score: score) } }
                }
                return true
            }
        case .list(let elements) where entry.type == .list:
            if let list = entry.listObject {
                for e in elements { e.withUnsafeBytes { list.pushBack($0) } }
                return true
            }
        default:
            return false
        }
        // The first part landed in a compact encoding (very high *-max-listpack-* settings on
        // the target): merge and store again.
        guard let current = rdbValue(of: entry) else { return false }
        let merged: RDBValue
        switch (current, value) {
        case (.hash(let a), .hash(let b)):
            let known = Set(a.map(\.0))
            merged = .hash(a + b.filter { !known.contains($0.0) })
        case (.set(let a), .set(let b)):
            let known = Set(a)
            merged = .set(a + b.filter { !known.contains($0) })
        case (.zset(let a), .zset(let b)):
            let known = Set(a.map(\.0))
            merged = .zset(a + b.filter { !known.contains($0.0) })
        default:
            return false
        }
        let expireAt = entry.expireAt
        _ = keyspace.delete(db: db, key: key, now: now)
        return (try? store(merged, key: key.bytes, db: db, expireAt: expireAt, into: keyspace, limits: limits, now: now)) == true
    }
}
