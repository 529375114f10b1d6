#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One slot of one database: an open-addressing index of 8-byte words over the entries of that
/// slot. A word is the entry's address shifted right by 4 (malloc blocks are 16-byte aligned, so
/// 44 bits hold any user-space address) with the top 20 bits of the key's hash above it; 0 marks an
/// empty position. Linear probing, backward-shift deletion (no tombstones), capacities of any odd
/// size (a multiply-shift maps the hash onto them), so a table grows by ~25 % at a time and stays
/// between ~64 % and 80 % full.
///
/// While a table has at most `ShardTable.largeCapacity` positions, an entry's home position is
/// computed from the 20 hash bits in its word, so growing, shrinking and backward shifts never
/// touch the entries themselves. Larger tables (a hash tag holding >100k keys) use 32 other bits
/// of the hash and re-hash stored keys when they move.
@usableFromInline
struct Shard {
    @usableFromInline var table: UnsafeMutablePointer<UInt64>?
    @usableFromInline var capacity: UInt32
    @usableFromInline var count: UInt32
    /// Entries with an expiry.
    @usableFromInline var expires: UInt32
    @usableFromInline var reserved: UInt32

    @inlinable
    init() {
        table = nil
        capacity = 0
        count = 0
        expires = 0
        reserved = 0
    }
}

@usableFromInline
enum ShardTable {
    @usableFromInline static let fragmentMask: UInt64 = 0xFFFFF << 44
    @usableFromInline static let pointerMask: UInt64 = (1 << 44) - 1
    @usableFromInline static let largeCapacity = 1 << 17

    @inlinable @inline(__always)
    static func word(_ entry: UnsafeMutableRawPointer, hash: UInt64) -> UInt64 {
        (UInt64(UInt(bitPattern: entry)) >> 4) | (hash & fragmentMask)
    }

    @inlinable @inline(__always)
    static func entry(_ word: UInt64) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(truncatingIfNeeded: (word & pointerMask) << 4)).unsafelyUnwrapped
    }

    @inlinable @inline(__always)
    static func home(hash: UInt64, capacity: Int) -> Int {
        if capacity <= largeCapacity {
            return Int(truncatingIfNeeded: ((hash >> 44) &* UInt64(truncatingIfNeeded: capacity)) >> 20)
        }
        return Int(truncatingIfNeeded: ((hash & 0xFFFF_FFFF) &* UInt64(truncatingIfNeeded: capacity)) >> 32)
    }

    @inlinable
    static func home(word: UInt64, capacity: Int) -> Int {
        if capacity <= largeCapacity {
            return Int(truncatingIfNeeded: ((word >> 44) &* UInt64(truncatingIfNeeded: capacity)) >> 20)
        }
        return home(hash: storedKeyHash(entry(word)), capacity: capacity)
    }

    @inlinable
    static func storedKeyHash(_ p: UnsafeMutableRawPointer) -> UInt64 {
        let h = EntryLayout.header(p)
        return keyHash64(p + EntryLayout.keyOffset(h), count: EntryLayout.keyLength(p, h))
    }

    @inlinable @inline(__always)
    static func maxCount(capacity: Int) -> Int {
        capacity <= 3 ? capacity - 1 : capacity &* 17 / 20
    }

    /// A comfortable capacity (~67 % full) for `count` entries.
    @inlinable
    static func capacity(forCount count: Int) -> Int {
        max(3, (count * 3 / 2 + 1) | 1)
    }

    @inlinable
    static func grownCapacity(_ capacity: Int) -> Int {
        capacity == 0 ? 3 : max(capacity + 2, (capacity + capacity / 5) | 1)
    }

    /// The index of the key, or `-(i + 1)` where `i` is the empty position that ended the probe,
    /// or `Int.min` when the shard has no table.
    @inlinable @inline(__always)
    static func find(_ s: UnsafeMutablePointer<Shard>, _ key: UnsafeRawPointer?, _ n: Int, _ hash: UInt64) -> Int {
        guard let table = s.pointee.table else { return Int.min }
        let cap = Int(truncatingIfNeeded: s.pointee.capacity)
        var i = home(hash: hash, capacity: cap)
        let fragment = hash & fragmentMask
        while true {
            let w = table[i]
            if w == 0 { return -(i &+ 1) }
            if (w & fragmentMask) == fragment && EntryLayout.keyEquals(entry(w), key, n) { return i }
            i &+= 1
            if i == cap { i = 0 }
        }
    }

    /// The index holding exactly `word`, or -1.
    @inlinable
    static func index(of word: UInt64, in s: UnsafeMutablePointer<Shard>) -> Int {
        guard let table = s.pointee.table else { return -1 }
        let cap = Int(s.pointee.capacity)
        var i = home(word: word, capacity: cap)
        while true {
            let w = table[i]
            if w == 0 { return -1 }
            if w == word { return i }
            i &+= 1
            if i == cap { i = 0 }
        }
    }

    /// Adds a word for a key known to be absent. `hint` is `find`'s negative result when nothing
    /// changed in the shard since, else `Int.min`.
    @inlinable
    static func insert(_ s: UnsafeMutablePointer<Shard>, word: UInt64, hint: Int) {
        let count = Int(s.pointee.count)
        let cap = Int(s.pointee.capacity)
        if s.pointee.table == nil || count + 1 > maxCount(capacity: cap) {
            resize(s, to: grownCapacity(cap))
            place(s.pointee.table.unsafelyUnwrapped, Int(s.pointee.capacity), word)
        } else if hint < 0 && hint != Int.min {
            s.pointee.table.unsafelyUnwrapped[-(hint + 1)] = word
        } else {
            place(s.pointee.table.unsafelyUnwrapped, cap, word)
        }
        s.pointee.count = UInt32(count + 1)
    }

    @inlinable @inline(__always)
    static func place(_ table: UnsafeMutablePointer<UInt64>, _ cap: Int, _ word: UInt64) {
        var i = home(word: word, capacity: cap)
        while table[i] != 0 {
            i &+= 1
            if i == cap { i = 0 }
        }
        table[i] = word
    }

    /// Removes the word at `index` (backward-shift deletion: later words of the same run move back
    /// so that every remaining key stays reachable from its home), shrinking a mostly empty table.
    @inlinable
    static func remove(_ s: UnsafeMutablePointer<Shard>, at index: Int) {
        let table = s.pointee.table.unsafelyUnwrapped
        let cap = Int(s.pointee.capacity)
        var hole = index
        var j = index
        while true {
            j &+= 1
            if j == cap { j = 0 }
            let w = table[j]
            if w == 0 { break }
            let h = home(word: w, capacity: cap)
            // Distance of j from its home and from the hole, walking forward (cyclically).
            let fromHome = j >= h ? j - h : j + cap - h
            let fromHole = j >= hole ? j - hole : j + cap - hole
            if fromHome >= fromHole {
                table[hole] = w
                hole = j
            }
        }
        table[hole] = 0
        let count = Int(s.pointee.count) - 1
        s.pointee.count = UInt32(count)
        if count == 0 {
            free(table)
            s.pointee.table = nil
            s.pointee.capacity = 0
        } else if cap > 7 && count * 4 < cap {
            resize(s, to: capacity(forCount: count))
        }
    }

    /// Re-places every word into a new table of `newCapacity` positions.
    @inlinable
    static func resize(_ s: UnsafeMutablePointer<Shard>, to newCapacity: Int) {
        precondition(newCapacity < Int(UInt32.max) && newCapacity > Int(s.pointee.count))
        let fresh = calloc(newCapacity, 8).unsafelyUnwrapped.assumingMemoryBound(to: UInt64.self)
        if let old = s.pointee.table {
            let cap = Int(s.pointee.capacity)
            for i in 0..<cap {
                let w = old[i]
                if w != 0 { place(fresh, newCapacity, w) }
            }
            free(old)
        }
        s.pointee.table = fresh
        s.pointee.capacity = UInt32(newCapacity)
    }

    /// Frees every entry and the table.
    @inlinable
    static func clear(_ s: UnsafeMutablePointer<Shard>) {
        if let table = s.pointee.table {
            let cap = Int(s.pointee.capacity)
            for i in 0..<cap {
                let w = table[i]
                if w != 0 { EntryLayout.destroy(entry(w)) }
            }
            free(table)
        }
        s.pointee = Shard()
    }
}
