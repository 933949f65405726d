// One core's GEMM rate on the training workloads' shapes: OpenBLAS against Cortex's packed kernel (B packed on
// every call, as a general GEMM would have to). Build and run from the repository root:
//   S=Sources/CCortexKernels; clang -O2 -I$S/include -I$S Benchmarks/gemm_kernels.c $S/gemm_packed.c $S/cpu.c -lopenblas -o /tmp/gemm_kernels
//   env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 /tmp/gemm_kernels                               # AVX-512 where the CPU has it
//   OPENBLAS_CORETYPE=Haswell CORTEX_ISA=avx2 OPENBLAS_NUM_THREADS=1 /tmp/gemm_kernels              # both capped at AVX2
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>
#include "CortexKernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    // m × n × k: GPT's QKV and feed-forward products (1024 tokens), the MLP's first layer, a CNN conv as a GEMM.
    const long shapes[][3] = {{1024, 384, 128}, {1024, 512, 128}, {1024, 128, 512}, {128, 512, 784}, {64, 121, 288}};
    for (int s = 0; s < 5; s++) {
        long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = malloc(m * k * 4), *b = malloc(k * n * 4), *c = malloc(m * n * 4), *p = malloc(ck_packed_size(k, n) * 4);
        for (long i = 0; i < m * k; i++) a[i] = (i % 7) * 0.1f;
        for (long i = 0; i < k * n; i++) b[i] = (i % 5) * 0.1f;
        const int reps = 200;
        double t0 = now();
        for (int r = 0; r < reps; r++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        double openblas = (now() - t0) / reps;
        t0 = now();
        for (int r = 0; r < reps; r++) {
            ck_pack_b(b, n, 0, k, n, p);
            ck_gemm_packed(m, n, k, a, k, p, c, n, 0, 0);
        }
        double packed = (now() - t0) / reps;
        printf("%ld x %ld x %ld: OpenBLAS %.1f GFLOP/s, packed %.1f GFLOP/s\n", m, n, k, 2.0 * m * n * k / openblas / 1e9,
               2.0 * m * n * k / packed / 1e9);
        free(a); free(b); free(c); free(p);
    }
    return 0;
}
