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

#endif
