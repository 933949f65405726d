// The system zlib (Debian: zlib1g-dev), for gzip files (IDX datasets) and deflated zip entries (NPZ).
#include <zlib.h>
