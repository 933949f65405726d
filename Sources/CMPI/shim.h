// Open MPI's C API (Debian: libopenmpi-dev, found through pkg-config as ompi-c). MPI's predefined handles
// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE, …) are macros that expand to addresses of library globals,
// which Swift cannot import; these one-line functions hand them over.
#include <mpi.h>

static inline MPI_Comm cortex_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cortex_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cortex_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cortex_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op cortex_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op cortex_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op cortex_mpi_min(void) { return MPI_MIN; }
static inline void *cortex_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler cortex_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int cortex_mpi_success(void) { return MPI_SUCCESS; }
static inline int cortex_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cortex_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline MPI_Status *cortex_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
