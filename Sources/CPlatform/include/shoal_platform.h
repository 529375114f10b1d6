#ifndef SHOAL_PLATFORM_H
#define SHOAL_PLATFORM_H
#include <stddef.h>

/// CPUs this process may run on (honours taskset / cpusets); at least 1.
int shoal_usable_cores(void);
/// Bytes the C allocator has handed out and not taken back (mallinfo2).
size_t shoal_heap_in_use(void);
/// Usable size of a malloc'ed block.
size_t shoal_malloc_usable_size(void *p);

#endif
