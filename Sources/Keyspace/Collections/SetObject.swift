#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set past the intset encoding (OBJECT ENCODING `hashtable`): an open-addressing table of
/// 8-byte words over one byte arena holding the members.
///
/// Arena: each member is `[length: 1 byte, or 0xFF + UInt32][bytes]`, appended; a removal leaves
/// its bytes as garbage until the arena is compacted (when garbage passes half of it). No
/// allocation per member, and about 1 + n bytes of member storage.
///
/// Table: a word is `tag << 36 | arena offset`, where the tag is the top 28 bits of the member's
/// 64-bit hash; 0 marks an empty position (offset 0 is never used). A member's home position is
/// the top `bits` bits of its hash (the top of its tag), and the table is kept *sorted by tag*
/// with no gaps between an element's home and its position (linear probing whose clusters are
/// ordered, the invariant of Robin Hood hashing), and no wrap-around: elements homed near the end
/// spill into a few overflow positions past the last bucket. That order buys three things:
///
/// - lookups stop at the first larger tag, and a member is compared only when its tag matches;
/// - growing and shrinking are one sequential pass with no probing (`rebuild`);
/// - SSCAN's cursor is a tag: every member with a tag below it has been returned, whatever the
///   table's size, so a member present for the whole scan is returned even if the set grows or
///   shrinks meanwhile — and, unlike Redis's reverse-binary cursor, never twice.
///
/// Random picks (SPOP, SRANDMEMBER) draw positions uniformly and retry empty ones, which is
/// exactly uniform over members; the table shrinks when it falls under 1/8 full so a pick costs
/// a bounded number of draws.
///
/// Beyond 2^28 buckets (~218 M members) the table stops doubling and degrades; the arena is
/// limited to 64 GiB by the 36-bit offsets.
public final class SetObject: KeyspaceObject {
    @usableFromInline static let tagShift: UInt64 = 36
    @usableFromInline static let offsetMask: UInt64 = (1 << 36) - 1
    @usableFromInline static let tagBits = 28
    @usableFromInline static let tagLimit: UInt64 = 1 << 28
    @usableFromInline static let minBits = 3

    /// `positions` words: `1 << bits` home buckets, then overflow.
    @usableFromInline var slots: UnsafeMutablePointer<UInt64>
    @usableFromInline var bits: Int
    /// `tagBits - bits`: a tag shifted right by this is its home.
    @usableFromInline var homeShift: UInt64
    @usableFromInline var positions: Int
    @usableFromInline var storedCount: Int
    @usableFromInline var arena: UnsafeMutableRawPointer
    @usableFromInline var arenaUsed: Int
    @usableFromInline var arenaCapacity: Int
    @usableFromInline var garbage: Int

    public var valueType: ValueType { .set }
    public var encodingName: String { "hashtable" }

    /// An empty set with room for `capacity` members before its table grows.
    public init(capacity: Int = 0, arenaBytes: Int = 0) {
        var b = SetObject.minBits
        while b < SetObject.tagBits && SetObject.maxCount(bits: b) < capacity { b += 1 }
        bits = b
        homeShift = UInt64(SetObject.tagBits - b)
        positions = (1 << b) + SetObject.overflow(bits: b)
        slots = calloc(positions, 8)!.bindMemory(to: UInt64.self, capacity: positions)
        storedCount = 0
        arenaCapacity = max(64, arenaBytes + 1)
        arena = malloc(arenaCapacity)!
        arenaUsed = 1  // offset 0 would make an empty word
        garbage = 0
    }

    deinit {
        free(slots)
        free(arena)
    }

    public func deepCopy() -> any KeyspaceObject {
        let copy = SetObject(capacity: 0, arenaBytes: arenaUsed)
        free(copy.slots)
        copy.slots = malloc(positions * 8)!.bindMemory(to: UInt64.self, capacity: positions)
        copy.slots.update(from: slots, count: positions)
        copy.bits = bits
        copy.homeShift = homeShift
        copy.positions = positions
        copy.storedCount = storedCount
        copy.arena.copyMemory(from: arena, byteCount: arenaUsed)
        copy.arenaUsed = arenaUsed
        copy.garbage = garbage
        return copy
    }

    /// Number of members (SCARD).
    @inlinable
    public var count: Int { storedCount }

    /// Bytes held by the table and the arena (MEMORY USAGE).
    public var allocatedBytes: Int { 64 + positions * 8 + arenaCapacity }

    /// Bytes per member on average (at least 1), for sizing replies.
    public var averageMemberLength: Int {
        storedCount == 0 ? 1 : max(1, (arenaUsed - 1 - garbage - storedCount) / storedCount)
    }

    // MARK: - Sizing

    @inlinable @inline(__always)
    static func maxCount(bits: Int) -> Int { (1 << bits) * 13 / 16 }

    @inlinable @inline(__always)
    static func overflow(bits: Int) -> Int { 2 + 2 * bits }

    // MARK: - Words and members

    @inlinable @inline(__always)
    static func tag(_ hash: UInt64) -> UInt64 { hash >> tagShift }

    @inlinable @inline(__always)
    func home(_ tag: UInt64) -> Int { Int(truncatingIfNeeded: tag >> homeShift) }

    /// The member a word refers to.
    @inlinable @inline(__always)
    func member(word: UInt64) -> UnsafeRawBufferPointer {
        let p = UnsafeRawPointer(arena) + Int(truncatingIfNeeded: word & SetObject.offsetMask)
        let b = p.load(as: UInt8.self)
        if b != 0xFF { return UnsafeRawBufferPointer(start: p + 1, count: Int(b)) }
        return UnsafeRawBufferPointer(start: p + 5, count: Int(p.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
    }

    @inlinable @inline(__always)
    static func recordSize(_ n: Int) -> Int { n < 0xFF ? n &+ 1 : n &+ 5 }

    @inlinable @inline(__always)
    func matches(_ word: UInt64, _ key: UnsafeRawPointer?, _ n: Int) -> Bool {
        let m = member(word: word)
        return m.count == n && setBytesEqual(m.baseAddress, key, n)
    }

    /// The position holding `member`, or `-(p + 1)` where `p` is where it would be inserted.
    @inlinable
    func find(_ key: UnsafeRawPointer?, _ n: Int, tag: UInt64) -> Int {
        var p = home(tag)
        let end = positions
        let s = slots
        while p < end {
            let w = s[p]
            if w == 0 { break }
            let t = w >> SetObject.tagShift
            if t > tag { break }
            if t == tag && matches(w, key, n) { return p }
            p &+= 1
        }
        return -(p &+ 1)
    }

    // MARK: - Membership

    @inlinable
    public func contains(_ member: UnsafeRawBufferPointer) -> Bool {
        let hash = keyHash64(member.baseAddress, count: member.count)
        return find(member.baseAddress, member.count, tag: SetObject.tag(hash)) >= 0
    }

    /// Adds `member`; false if it was already there.
    @inlinable
    @discardableResult
    public func insert(_ member: UnsafeRawBufferPointer) -> Bool {
        let n = member.count
        let tag = SetObject.tag(keyHash64(member.baseAddress, count: n))
        let found = find(member.baseAddress, n, tag: tag)
        if found >= 0 { return false }
        insertNew(member, tag: tag, hint: -(found &+ 1))
        return true
    }

    /// Removes `member`; false if it was not there.
    @inlinable
    @discardableResult
    public func remove(_ member: UnsafeRawBufferPointer) -> Bool {
        let hash = keyHash64(member.baseAddress, count: member.count)
        let p = find(member.baseAddress, member.count, tag: SetObject.tag(hash))
        if p < 0 { return false }
        remove(at: p)
        return true
    }

    // MARK: - Insertion

    @usableFromInline
    func insertNew(_ member: UnsafeRawBufferPointer, tag: UInt64, hint: Int) {
        var p = hint
        if storedCount >= SetObject.maxCount(bits: bits) && bits < SetObject.tagBits {
            rebuild(bits: bits + 1)
            p = -1
        }
        let offset = append(member)
        place(tag << SetObject.tagShift | UInt64(offset), at: p)
        storedCount &+= 1
    }

    /// Stores the bytes of a new member at the arena's end; returns their offset.
    @usableFromInline
    func append(_ member: UnsafeRawBufferPointer) -> Int {
        let n = member.count
        let need = SetObject.recordSize(n)
        if arenaUsed &+ need > arenaCapacity { reserveArena(need) }
        let offset = arenaUsed
        let p = arena + offset
        if n < 0xFF {
            p.storeBytes(of: UInt8(truncatingIfNeeded: n), as: UInt8.self)
            if n > 0 { (p + 1).copyMemory(from: member.baseAddress!, byteCount: n) }
        } else {
            p.storeBytes(of: 0xFF as UInt8, as: UInt8.self)
            p.storeBytes(of: UInt32(n), toByteOffset: 1, as: UInt32.self)
            (p + 5).copyMemory(from: member.baseAddress!, byteCount: n)
        }
        arenaUsed = offset &+ need
        return offset
    }

    /// Makes room for `need` more arena bytes: compacts when half the arena is garbage, else
    /// grows it by half.
    @usableFromInline
    func reserveArena(_ need: Int) {
        if garbage > 0 && garbage * 2 >= arenaUsed {
            compactArena(extra: need)
            if arenaUsed + need <= arenaCapacity { return }
        }
        let wanted = max(arenaUsed + need, arenaCapacity + arenaCapacity / 2)
        precondition(wanted <= Int(SetObject.offsetMask), "set member storage exceeds 64 GiB")
        arena = realloc(arena, wanted)!
        arenaCapacity = wanted
    }

    /// Rewrites the arena with live members only, in table order, with room for `extra` bytes.
    @usableFromInline
    func compactArena(extra: Int = 0) {
        let live = arenaUsed - garbage
        let capacity = max(64, live + extra + (live + extra) / 4)
        let fresh = malloc(capacity)!
        var used = 1
        for p in 0..<positions {
            let w = slots[p]
            if w == 0 { continue }
            let old = Int(truncatingIfNeeded: w & SetObject.offsetMask)
            let size = SetObject.recordSize(member(word: w).count)
            (fresh + used).copyMemory(from: arena + old, byteCount: size)
            slots[p] = (w & ~SetObject.offsetMask) | UInt64(used)
            used += size
        }
        free(arena)
        arena = fresh
        arenaCapacity = capacity
        arenaUsed = used
        garbage = 0
    }

    /// Puts a word for an absent member in its sorted place (`hint`: that place if known, else
    /// negative), shifting the rest of its cluster right by one.
    @usableFromInline
    func place(_ word: UInt64, at hint: Int) {
        let tag = word >> SetObject.tagShift
        var p = hint
        if p < 0 {
            p = home(tag)
            while p < positions {
                let w = slots[p]
                if w == 0 || w >> SetObject.tagShift > tag { break }
                p &+= 1
            }
        }
        var e = p
        while e < positions && slots[e] != 0 { e &+= 1 }
        if e < positions {
            if e > p { memmove(slots + p + 1, slots + p, (e - p) * 8) }
            slots[p] = word
            return
        }
        // The cluster runs off the end. Double a reasonably full table; otherwise (colliding
        // hashes) just add overflow positions, so a pathological input cannot double memory
        // again and again.
        if storedCount * 4 >= (1 << bits) && bits < SetObject.tagBits {
            rebuild(bits: bits + 1)
        } else {
            extendOverflow(by: max(16, positions / 8))
        }
        place(word, at: -1)
    }

    @usableFromInline
    func extendOverflow(by extra: Int) {
        slots = realloc(slots, (positions + extra) * 8)!.bindMemory(to: UInt64.self, capacity: positions + extra)
        (slots + positions).initialize(repeating: 0, count: extra)
        positions += extra
    }

    /// Moves every word into a table of `1 << newBits` buckets: the words are already in tag
    /// order, so each goes to max(its home, the position after the previous one).
    @usableFromInline
    func rebuild(bits newBits: Int) {
        let shift = UInt64(SetObject.tagBits - newBits)
        var capacity = (1 << newBits) + SetObject.overflow(bits: newBits)
        var fresh = calloc(capacity, 8)!.bindMemory(to: UInt64.self, capacity: capacity)
        var next = 0
        for p in 0..<positions {
            let w = slots[p]
            if w == 0 { continue }
            let q = max(Int(truncatingIfNeeded: (w >> SetObject.tagShift) >> shift), next)
            if q >= capacity {
                let grown = q + 16 + capacity / 8
                fresh = realloc(fresh, grown * 8)!.bindMemory(to: UInt64.self, capacity: grown)
                (fresh + capacity).initialize(repeating: 0, count: grown - capacity)
                capacity = grown
            }
            fresh[q] = w
            next = q + 1
        }
        free(slots)
        slots = fresh
        positions = capacity
        bits = newBits
        homeShift = shift
    }

    // MARK: - Removal

    /// Removes the member at occupied position `p`: later words of its cluster that sit past
    /// their home move back by one (no tombstones).
    @inlinable
    public func remove(at p: Int) {
        let s = slots
        garbage &+= SetObject.recordSize(member(word: s[p]).count)
        var q = p
        let end = positions
        while q &+ 1 < end {
            let w = s[q &+ 1]
            if w == 0 || home(w >> SetObject.tagShift) > q { break }
            s[q] = w
            q &+= 1
        }
        s[q] = 0
        storedCount &-= 1
        if storedCount < (1 << bits) / 8 && bits > SetObject.minBits { shrink() }
        if garbage > 4096 && garbage * 2 > arenaUsed { compactArena() }
    }

    @usableFromInline
    func shrink() {
        var b = SetObject.minBits
        while b < bits && (1 << b) * 3 / 8 < storedCount { b += 1 }
        if b < bits { rebuild(bits: b) }
    }

    // MARK: - Iteration

    /// One past the last position a member may occupy.
    @inlinable
    public var positionLimit: Int { positions }

    /// Whether position `p` (0 ..< positionLimit) holds a member.
    @inlinable
    public func isOccupied(_ p: Int) -> Bool { slots[p] != 0 }

    /// The member at occupied position `p`; valid until the set is next modified.
    @inlinable
    public func member(at p: Int) -> UnsafeRawBufferPointer { member(word: slots[p]) }

    /// Calls `body` with every member (valid during the call only), in table order.
    @inlinable
    public func forEach(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let end = positions
        var p = 0
        while p < end {
            let w = slots[p]
            if w != 0 { try body(member(word: w)) }
            p &+= 1
        }
    }

    /// A uniformly random occupied position (the set must not be empty).
    @inlinable
    public func randomPosition(using random: inout SetRandom) -> Int {
        precondition(storedCount > 0)
        let end = UInt64(positions)
        while true {
            let p = Int(truncatingIfNeeded: random.next().multipliedFullWidth(by: end).high)
            if slots[p] != 0 { return p }
        }
    }

    /// SSCAN: visits the members whose tag is at least `cursor`, in tag order, stopping at a tag
    /// boundary once `count` have been visited; returns the next cursor (0 when done).
    public func scan(cursor: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> UInt64 {
        if cursor >= SetObject.tagLimit { return 0 }
        var visited = 0
        var lastTag: UInt64 = 0
        var p = home(cursor)
        while p < positions {
            let w = slots[p]
            if w != 0 {
                let t = w >> SetObject.tagShift
                if t >= cursor {
                    if visited >= count && t != lastTag { return t }
                    body(member(word: w))
                    visited += 1
                    lastTag = t
                }
            }
            p += 1
        }
        return 0
    }

    /// Checks the table's invariants (tests).
    public func validate() -> Bool {
        var previous: UInt64 = 0
        var n = 0
        for p in 0..<positions {
            let w = slots[p]
            if w == 0 { continue }
            n += 1
            let t = w >> SetObject.tagShift
            if t < previous { return false }
            previous = t
            let h = home(t)
            if h > p { return false }
            for q in h..<p where slots[q] == 0 { return false }
        }
        return n == storedCount
    }
}

/// Byte equality without a call for short members (most set members are a few bytes).
@inlinable @inline(__always)
func setBytesEqual(_ a: UnsafeRawPointer?, _ b: UnsafeRawPointer?, _ n: Int) -> Bool {
    if n == 0 { return true }
    let x = a.unsafelyUnwrapped
    let y = b.unsafelyUnwrapped
    if n >= 8 {
        if n <= 16 {
            return x.loadUnaligned(as: UInt64.self) == y.loadUnaligned(as: UInt64.self)
                && x.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                    == y.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        }
        return memcmp(x, y, n) == 0
    }
    if n >= 4 {
        return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
            && x.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
                == y.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
    }
    var i = 0
    while i < n {
        if x.load(fromByteOffset: i, as: UInt8.self) != y.load(fromByteOffset: i, as: UInt8.self) { return false }
        i &+= 1
    }
    return true
}

/// A small fast generator (wyrand) for random members, seeded per command from the keyspace's
/// per-slot state (`Keyspace.setRandomSeed(slot:)`).
public struct SetRandom: RandomNumberGenerator {
    @usableFromInline var state: UInt64

    @inlinable
    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0xa076_1d64_78bd_642f
        let r = (state ^ 0xe703_7ed1_a0b4_28db).multipliedFullWidth(by: state)
        return r.high ^ r.low
    }

    /// Uniform in 0 ..< bound (bound > 0); the multiply-shift bias is below 2^-32 for any bound
    /// a set can reach.
    @inlinable
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}

extension Keyspace {
    /// A random word from the slot's generator, to seed a `SetRandom` (the caller holds the
    /// slot's lock, which guards that state).
    public func setRandomSeed(slot: Int) -> UInt64 {
        var x = slotStats[slot].random
        x ^= x >> 12
        x ^= x << 25
        x ^= x >> 27
        slotStats[slot].random = x
        return x &* 0x2545_F491_4F6C_DD1D
    }
}

extension EntryRef {
    /// The `SetObject` of a set entry that holds an object (`type == .set && holdsObject`):
    /// sets are the only objects of type set, so no dynamic cast is needed on the hot path.
    @inlinable
    public var setObject: SetObject {
        let raw = pointer.loadUnaligned(fromByteOffset: valueOffset, as: UnsafeRawPointer.self)
        return Unmanaged<SetObject>.fromOpaque(raw).takeUnretainedValue()
    }
}
