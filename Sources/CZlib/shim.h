#ifndef HPCS_CZLIB_SHIM_H
#define HPCS_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro; gzip or zlib headers detected automatically (15 + 32).
static inline int hpcs_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}
#endif
