// The CBLAS interface of the platform BLAS (OpenBLAS on Debian: libopenblas-dev).
#include <cblas.h>
// OpenBLAS's own thread-count controls, so the engine's parallel loops and BLAS's pool never fight.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// The name of the kernel set OpenBLAS chose for this CPU (or OPENBLAS_CORETYPE's), for benchmark reports.
char *openblas_get_corename(void);
