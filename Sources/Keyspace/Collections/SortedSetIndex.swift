#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The member → node half of a large sorted set: open addressing with linear probing over 8-byte
/// words (`hash tag << 48 | node address`, 0 = empty), so a miss rarely touches a node. Deletion
/// shifts entries back, which keeps every member in the unbroken run that starts at its home
/// bucket; SCAN relies on that to visit members by home bucket with Redis's reverse-binary cursor,
/// which stays valid across resizes.
@usableFromInline
struct SortedSetIndex {
    @usableFromInline var slots: UnsafeMutablePointer<UInt64>
    @usableFromInline var mask: Int
    @usableFromInline var count = 0

    @usableFromInline static let addressMask: UInt64 = (1 << 48) - 1
    @usableFromInline static let minimumCapacity = 8

    @usableFromInline
    init(capacity: Int = SortedSetIndex.minimumCapacity) {
        let n = SortedSetIndex.capacity(for: capacity)
        slots = SortedSetIndex.allocateSlots(n)
        mask = n - 1
    }

    @usableFromInline
    func destroy() { free(slots) }

    /// Zeroed slots; tables of 2 MiB and more are aligned and marked for transparent huge pages,
    /// since every lookup lands on a random slot.
    @usableFromInline
    static func allocateSlots(_ n: Int) -> UnsafeMutablePointer<UInt64> {
        let bytes = n * 8
        let hugePage = 2 << 20
        var p: UnsafeMutableRawPointer? = nil
        if bytes >= hugePage {
            _ = posix_memalign(&p, hugePage, bytes)
            #if canImport(Glibc)
            _ = madvise(p, bytes, MADV_HUGEPAGE)
            #endif
        } else {
            p = malloc(bytes)
        }
        memset(p.unsafelyUnwrapped, 0, bytes)
        return p.unsafelyUnwrapped.bindMemory(to: UInt64.self, capacity: n)
    }

    /// Smallest power of two holding `elements` at a load of at most 3/4.
    @usableFromInline
    static func capacity(for elements: Int) -> Int {
        var n = minimumCapacity
        while n * 3 < elements * 4 { n <<= 1 }
        return n
    }

    @inlinable @inline(__always)
    static func hash(_ member: UnsafeRawBufferPointer) -> UInt64 {
        keyHash64(member.baseAddress, count: member.count)
    }

    @inlinable @inline(__always)
    static func word(_ node: SortedSetNode, hash: UInt64) -> UInt64 {
        let address = UInt64(UInt(bitPattern: node.raw))
        precondition(address & ~addressMask == 0, "node address beyond 48 bits")
        return (hash & ~addressMask) | address
    }

    @inlinable @inline(__always)
    static func node(_ word: UInt64) -> SortedSetNode {
        SortedSetNode(UnsafeMutableRawPointer(bitPattern: UInt(word & addressMask)).unsafelyUnwrapped)
    }

    /// The slot holding `member`, or -1.
    @inlinable
    func find(_ member: UnsafeRawBufferPointer, hash: UInt64) -> Int {
        let tag = hash & ~SortedSetIndex.addressMask
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let w = slots[i]
            if w == 0 { return -1 }
            if w & ~SortedSetIndex.addressMask == tag
                && SortedSetBytes.equal(SortedSetIndex.node(w).member, member) {
                return i
            }
            i = (i &+ 1) & mask
        }
    }

    /// Adds a node whose member is absent.
    @inlinable
    mutating func insert(_ node: SortedSetNode, hash: UInt64) {
        if (count + 1) * 4 > (mask + 1) * 3 { resize(to: (mask + 1) * 2) }
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] != 0 { i = (i &+ 1) & mask }
        slots[i] = SortedSetIndex.word(node, hash: hash)
        count += 1
    }

    /// Empties slot `i`, shifting later members of the run back so none is cut off from its home.
    @inlinable
    mutating func remove(at slot: Int) {
        var hole = slot
        var i = (slot + 1) & mask
        while true {
            let w = slots[i]
            if w == 0 { break }
            let home = Int(truncatingIfNeeded: SortedSetIndex.hash(SortedSetIndex.node(w).member)) & mask
            // Move w into the hole when its home is not in (hole, i] (cyclically).
            let distanceToHome = (i &- home) & mask
            let distanceToHole = (i &- hole) & mask
            if distanceToHome >= distanceToHole {
                slots[hole] = w
                hole = i
            }
            i = (i &+ 1) & mask
        }
        slots[hole] = 0
        count -= 1
    }

    /// Shrinks after many deletions (Redis resizes a dict under 10% full).
    @inlinable
    mutating func shrinkIfSparse() {
        let capacity = mask + 1
        if capacity > SortedSetIndex.minimumCapacity && count * 10 < capacity {
            resize(to: SortedSetIndex.capacity(for: count))
        }
    }

    @usableFromInline
    mutating func resize(to newCapacity: Int) {
        let old = slots
        let oldCapacity = mask + 1
        slots = SortedSetIndex.allocateSlots(newCapacity)
        mask = newCapacity - 1
        for j in 0..<oldCapacity {
            let w = old[j]
            if w == 0 { continue }
            let h = SortedSetIndex.hash(SortedSetIndex.node(w).member)
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] != 0 { i = (i &+ 1) & mask }
            slots[i] = w
        }
        free(old)
    }

    /// One step of a SCAN: calls `body` with every member whose home bucket is the cursor's, and
    /// returns the next cursor (0 when done), as Redis's `dictScan` does for one table.
    @usableFromInline
    func scan(cursor: UInt64, _ body: (SortedSetNode) -> Void) -> UInt64 {
        let m = UInt64(mask)
        let home = Int(cursor & m)
        var i = home
        while true {
            let w = slots[i]
            if w == 0 { break }
            let node = SortedSetIndex.node(w)
            if Int(truncatingIfNeeded: SortedSetIndex.hash(node.member)) & mask == home { body(node) }
            i = (i &+ 1) & mask
            if i == home { break }
        }
        var v = cursor | ~m
        v = SortedSetIndex.reverseBits(v)
        v &+= 1
        return SortedSetIndex.reverseBits(v)
    }

    @usableFromInline
    static func reverseBits(_ x: UInt64) -> UInt64 {
        var v = x
        v = ((v >> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((v & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        return v.byteSwapped
    }
}
