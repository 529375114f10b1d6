#ifndef SHOAL_PLATFORM_H
#define SHOAL_PLATFORM_H
#include <stddef.h>

/// CPUs this process may run on (honours taskset / cpusets); at least 1.
int shoal_usable_cores(void);
/// Bytes the C allocator has handed out and not taken back (mallinfo2).
size_t shoal_heap_in_use(void);
/// Usable size of a malloc'ed block.
size_t shoal_malloc_usable_size(void *p);

/// Fixes glibc's mmap and trim thresholds at their 128 KiB defaults. Left dynamic, glibc raises
/// the mmap threshold after the first large free, so later large transient buffers (socket reads,
/// table rehashes) come from the heap and leave holes that RSS keeps (measured: ~12 B per key
/// after loading 1M keys).
void shoal_configure_allocator(void);

/// Names the calling thread (15 bytes at most) and gives it the lowest CPU priority (nice 19), for
/// background jobs that must never take the CPU from the event loops.
void shoal_background_thread(const char *name);

/// C11 atomics Swift's standard library lacks without the swift-atomics package: a 64-bit word
/// one thread publishes and others poll (the cluster routing version).
#include <stdint.h>
static inline uint64_t shoal_atomic_load_acquire_u64(const uint64_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void shoal_atomic_store_release_u64(uint64_t *p, uint64_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

#endif
