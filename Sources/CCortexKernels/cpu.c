// What this process may run on, read from the kernel rather than from any library's guess.
#define _GNU_SOURCE
#include "CortexKernels.h"
#include "ck_dispatch.h"
#include <sched.h>
#include <string.h>

long ck_affinity_mask(unsigned long long *words, long count) {
#if defined(__linux__)
    if (count <= 0) return -1;
    size_t size = (size_t)count * sizeof(unsigned long long);
    memset(words, 0, size);
    // glibc's sched_getaffinity takes any size that covers the kernel's mask, in bytes.
    return sched_getaffinity(0, size, (cpu_set_t *)words) == 0 ? 0 : -1;
#else
    (void)words; (void)count;
    return -1;
#endif
}

int ck_cpu_isa_level(void) {
#if defined(__x86_64__) && !defined(CK_SINGLE_PATH)
    static _Atomic int resolved = -1;
    int level = atomic_load_explicit(&resolved, memory_order_relaxed);
    if (level < 0) atomic_store_explicit(&resolved, level = ck_isa_level(), memory_order_relaxed);
    return level;
#else
    return 0;
#endif
}

int ck_kernels_optimized(void) {
#if defined(__OPTIMIZE__)
    return 1;
#else
    return 0;
#endif
}
