#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Walking a `HashFieldTable`: every pair, HSCAN steps, random pairs. None of these move buckets,
/// so a walk sees a stable table (callers must not modify it from the callbacks).
extension HashFieldTable {
    /// Calls `body` for every pair, bucket by bucket.
    @inlinable
    public func forEach(_ body: (Node) throws -> Void) rethrows {
        try HashFieldTable.forEach(in: main, body)
        if let target { try HashFieldTable.forEach(in: target, body) }
    }

    @inlinable
    static func forEach(in buckets: Buckets, _ body: (Node) throws -> Void) rethrows {
        for i in 0..<buckets.count {
            try forEachInBucket(buckets.link(at: i), body)
        }
    }

    @inlinable @inline(__always)
    static func forEachInBucket(_ link: UnsafeMutableRawPointer, _ body: (Node) throws -> Void) rethrows {
        var next = HashFieldTable.next(link)
        while let node = next {
            next = HashFieldTable.next(node)
            try body(Node(node))
        }
    }

    @inlinable
    static func reverseBits(_ x: UInt64) -> UInt64 {
        var v = x
        v = ((v >> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((v & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        return v.byteSwapped
    }

    /// Increments the bits of `v` above `mask`, read in reverse (Redis's cursor step).
    @inlinable
    static func advance(_ v: UInt64, mask: UInt64) -> UInt64 {
        var r = reverseBits(v | ~mask)
        r &+= 1
        return reverseBits(r)
    }

    /// One step of HSCAN (Redis's `dictScan`): calls `body` for the pairs in the bucket(s) `cursor`
    /// designates and returns the next cursor (0 when the walk is complete).
    ///
    /// The cursor's low bits select a bucket and it advances by incrementing its bits reversed, so
    /// the buckets still to visit are the same set of hash suffixes whatever the table size is at
    /// the next call. While two tables exist (an incremental resize), the bucket of the smaller
    /// one is visited together with all the buckets of the larger one it expands to.
    public func scan(cursor: UInt64, _ body: (Node) -> Void) -> UInt64 {
        if storedCount == 0 { return 0 }
        var v = cursor
        guard let target else {
            let m = UInt64(main.mask)
            HashFieldTable.forEachInBucket(main.link(at: Int(v & m)), body)
            return HashFieldTable.advance(v, mask: m)
        }
        let (small, large) = main.count <= target.count ? (main, target) : (target, main)
        let m0 = UInt64(small.mask)
        let m1 = UInt64(large.mask)
        HashFieldTable.forEachInBucket(small.link(at: Int(v & m0)), body)
        repeat {
            HashFieldTable.forEachInBucket(large.link(at: Int(v & m1)), body)
            v = HashFieldTable.advance(v, mask: m1)
        } while v & (m0 ^ m1) != 0
        return v
    }

    /// A random pair (the table must not be empty): a random non-empty bucket, then a random node
    /// of its chain, as Redis's `dictGetRandomKey` (chains are short at load ≤ 1).
    public func randomNode(_ rng: inout HashRandom) -> Node {
        precondition(storedCount > 0)
        while true {
            let link: UnsafeMutableRawPointer
            if let target {
                // Buckets below `rehashIndex` in the old table are empty: draw among the rest.
                let h = rehashIndex + rng.below(main.count - rehashIndex + target.count)
                link = h < main.count ? main.link(at: h) : target.link(at: h - main.count)
            } else {
                link = main.link(at: rng.below(main.count))
            }
            guard let first = HashFieldTable.next(link) else { continue }
            var length = 0
            var next: UnsafeMutableRawPointer? = first
            while let node = next {
                length &+= 1
                next = HashFieldTable.next(node)
            }
            var pick = rng.below(length)
            var node = first
            while pick > 0 {
                node = HashFieldTable.next(node).unsafelyUnwrapped
                pick &-= 1
            }
            return Node(node)
        }
    }

    /// Bytes held in the allocator (MEMORY USAGE style: nodes plus bucket arrays).
    public var allocatedBytes: Int {
        var total = mallocUsableSize(main.base) + (target.map { mallocUsableSize($0.base) } ?? 0)
        forEach { total += mallocUsableSize($0.pointer) }
        return total
    }
}
