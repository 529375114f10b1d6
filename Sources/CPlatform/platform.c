// glibc extensions that Swift's Glibc module does not import (they need _GNU_SOURCE or <malloc.h>).
#define _GNU_SOURCE
#include <sched.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <malloc.h>
#include "shoal_platform.h"

int shoal_usable_cores(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

size_t shoal_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

size_t shoal_malloc_usable_size(void *p) {
    return malloc_usable_size(p);
}

void shoal_configure_allocator(void) {
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

void shoal_background_thread(const char *name) {
    char short_name[16];
    strncpy(short_name, name, sizeof(short_name) - 1);
    short_name[sizeof(short_name) - 1] = 0;
    pthread_setname_np(pthread_self(), short_name);
    setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
}
