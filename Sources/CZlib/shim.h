// zlib: raw inflate for Deflated Explicit VR Little Endian, CRC-32 for ZIP entries.
#include <zlib.h>
