// Run-time choice of instruction set: CK_DEFINE compiles one kernel body three times (AVX-512F,
// AVX2+FMA, x86-64 baseline) and routes the public symbol to the widest one the CPU supports.
#ifndef CK_DISPATCH_H
#define CK_DISPATCH_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Kernel bodies and their helpers are always inlined into each ISA-specific wrapper, so every copy
// is vectorised for that wrapper's target (a callee without a target attribute may be inlined into
// one with more features).
#define CK_INLINE static inline __attribute__((always_inline))

// clang's target_clones("avx2,fma") would make two separate clones (AVX2 without FMA, and FMA)
// rather than one AVX2+FMA clone, and "arch=x86-64-v3" resolves on a single CPUID bit (LZCNT), so
// the three versions are spelled out with target() and picked through a function pointer. That also
// works where ifunc does not (macOS, musl static builds).
#if defined(__x86_64__) && !defined(CK_SINGLE_PATH)

// 2: AVX-512F, 1: AVX2 and FMA, 0: baseline. __builtin_cpu_supports checks that the OS saves the
// wider registers too. CORTEX_ISA=avx2 (or baseline) caps the choice, to measure or test the narrower
// paths on a wider machine (Benchmarks/compare.sh --isa avx2 runs every framework so); avx512 caps nothing.
// Any other value stops the process with the valid ones named: a misspelt cap must not silently test
// the wide path.
static inline int ck_isa_level(void) {
    __builtin_cpu_init();
    int level = 0;
    if (__builtin_cpu_supports("avx512f")) level = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
    const char *cap = getenv("CORTEX_ISA");
    if (cap && *cap) {
        if (strcmp(cap, "avx2") == 0) {
            if (level > 1) level = 1;
        } else if (strcmp(cap, "baseline") == 0) {
            level = 0;
        } else if (strcmp(cap, "avx512") != 0) {
            fprintf(stderr, "CORTEX_ISA must be one of avx512, avx2, baseline (the widest instruction set Cortex's "
                            "kernels may use), got \"%s\"\n", cap);
            exit(2);
        }
    }
    return level;
}

// The first call resolves and caches; later calls cost one relaxed load and an indirect call.
// Concurrent first calls all store the same pointer, so the race is benign.
#define CK_DEFINE(name, params, args)                                                              \
    __attribute__((target("avx512f"))) static void name##_avx512 params { name##_impl args; }      \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params { name##_impl args; }       \
    static void name##_base params { name##_impl args; }                                           \
    static void name##_first params;                                                               \
    static void (*_Atomic name##_ptr) params = name##_first;                                      \
    static void name##_first params {                                                              \
        int level = ck_isa_level();                                                                \
        void (*f) params = level == 2 ? name##_avx512 : level == 1 ? name##_avx2 : name##_base;    \
        atomic_store_explicit(&name##_ptr, f, memory_order_relaxed);                               \
        f args;                                                                                    \
    }                                                                                              \
    void name params { (atomic_load_explicit(&name##_ptr, memory_order_relaxed)) args; }

#else

#define CK_DEFINE(name, params, args) \
    void name params { name##_impl args; }

#endif

#endif
