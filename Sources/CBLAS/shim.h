// The CBLAS interface of the platform BLAS (OpenBLAS on Debian: libopenblas-dev).
#include <cblas.h>
// OpenBLAS's own thread-count controls, so the engine's parallel loops and BLAS's pool never fight.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// The name of the kernel set OpenBLAS chose for this CPU (or OPENBLAS_CORETYPE's), for benchmark reports.
char *openblas_get_corename(void);
// LAPACK, which OpenBLAS carries (Fortran calling convention: every argument by pointer, column-major
// matrices, and the lengths of character arguments appended). Symmetric eigendecomposition and least squares.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info, unsigned long jobz_length,
             unsigned long uplo_length);
void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb,
             double *s, const double *rcond, int *rank, double *work, const int *lwork, int *iwork, int *info);
