#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a large sorted set's skiplist nodes live: chunks owned by the set, carved into 16-byte
/// size classes with a free list per class. Nodes are then packed without malloc headers and
/// side by side with their set rather than interleaved with other allocations, which keeps the
/// pages a skiplist walk touches few (the walk is bound by cache and TLB misses). Nodes above
/// `smallLimit` bytes (long members) come from malloc.
@usableFromInline
struct SortedSetNodeArena {
    @usableFromInline static let granule = 16
    @usableFromInline static let smallLimit = 512
    /// Chunks grow to this size, which is also where they are aligned and marked for transparent
    /// huge pages: a big set's walk then touches few TLB entries.
    @usableFromInline static let maximumChunk = 2 << 20

    /// Head of each class's free list (a freed node keeps the next one in its first word).
    @usableFromInline let freeLists: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    @usableFromInline var chunks: [UnsafeMutableRawPointer] = []
    @usableFromInline var cursor: UnsafeMutableRawPointer? = nil
    @usableFromInline var remaining = 0
    @usableFromInline var nextChunkSize = 4096
    /// Bytes of all chunks plus malloc'd large nodes (MEMORY USAGE).
    @usableFromInline var reservedBytes = 0
    /// Large nodes currently allocated (they must be freed one by one).
    @usableFromInline var largeNodes = 0

    @usableFromInline
    init() {
        let classes = SortedSetNodeArena.smallLimit / SortedSetNodeArena.granule
        freeLists = .allocate(capacity: classes)
        freeLists.initialize(repeating: nil, count: classes)
    }

    /// Frees every chunk (large nodes are the owner's to free first).
    @usableFromInline
    func destroy() {
        for chunk in chunks { free(chunk) }
        freeLists.deallocate()
    }

    @inlinable @inline(__always)
    static func isLarge(_ size: Int) -> Bool { size > smallLimit }

    @inlinable
    mutating func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        if SortedSetNodeArena.isLarge(size) {
            largeNodes += 1
            reservedBytes += size
            return malloc(size).unsafelyUnwrapped
        }
        let cls = (size &+ 15) >> 4
        if let p = freeLists[cls &- 1] {
            freeLists[cls &- 1] = p.load(as: UnsafeMutableRawPointer?.self)
            return p
        }
        let rounded = cls << 4
        if remaining < rounded { newChunk() }
        let p = cursor.unsafelyUnwrapped
        cursor = p + rounded
        remaining &-= rounded
        return p
    }

    @inlinable
    mutating func release(_ p: UnsafeMutableRawPointer, size: Int) {
        if SortedSetNodeArena.isLarge(size) {
            largeNodes -= 1
            reservedBytes -= size
            free(p)
            return
        }
        let cls = (size &+ 15) >> 4
        p.storeBytes(of: freeLists[cls &- 1], as: UnsafeMutableRawPointer?.self)
        freeLists[cls &- 1] = p
    }

    @usableFromInline
    mutating func newChunk() {
        // The old chunk's tail (under one node) is left unused.
        let size = nextChunkSize
        let chunk: UnsafeMutableRawPointer
        if size == SortedSetNodeArena.maximumChunk {
            var p: UnsafeMutableRawPointer? = nil
            _ = posix_memalign(&p, size, size)
            chunk = p.unsafelyUnwrapped
            #if canImport(Glibc)
            _ = madvise(chunk, size, MADV_HUGEPAGE)
            #endif
        } else {
            chunk = malloc(size).unsafelyUnwrapped
        }
        chunks.append(chunk)
        cursor = chunk
        remaining = size
        reservedBytes += size
        nextChunkSize = min(nextChunkSize * 2, SortedSetNodeArena.maximumChunk)
    }
}
