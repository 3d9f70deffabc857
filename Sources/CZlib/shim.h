// zlib: raw inflate for Deflated Explicit VR Little Endian, CRC-32 for ZIP entries.
#include <zlib.h>

// inflateInit2 is a macro (it passes the version and struct size), which Swift cannot call.
static inline int CZlib_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

static inline int CZlib_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
