// A plain C interface to OpenJPH (HTJ2K, JPEG 2000 Part 15), so Swift needs no C++ interoperability.
// The OpenJPH headers are C++ and stay inside chtj2k.cpp. Every call uses its own codestream, so
// calls from several threads at once are safe; no C++ exception leaves these functions.
#ifndef CHTJ2K_H
#define CHTJ2K_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The largest lossy step accepted (see chtj2k.cpp: OpenJPH 0.9.0 aborts on some larger ones).
#define CHTJ2K_MAXIMUM_QSTEP 0.45f

/// Result codes.
typedef enum {
    CHTJ2K_OK = 0,
    /// A parameter is out of range (the message says which); nothing was encoded.
    CHTJ2K_INVALID_ARGUMENT = 1,
    /// A sample lies outside the declared bit depth (OpenJPH would silently clamp it).
    CHTJ2K_SAMPLE_OUT_OF_RANGE = 2,
    /// OpenJPH reported an error (its message is attached).
    CHTJ2K_CODEC_FAILED = 3,
    /// Allocation failed.
    CHTJ2K_OUT_OF_MEMORY = 4,
    /// The codestream declares more samples than allowed, or a shape we do not return.
    CHTJ2K_UNSUPPORTED = 5
} chtj2k_status;

typedef struct {
    uint32_t width;
    uint32_t height;
    /// 1 or 3.
    uint32_t components;
    /// 1...16: the SIZ precision.
    uint32_t bit_depth;
    int32_t is_signed;
    /// Non-zero: reversible 5/3 (lossless); zero: irreversible 9/7 quantised with `qstep`.
    int32_t reversible;
    /// Base quantisation step relative to full scale 2^bit_depth (lossy only), 1e-7...0.45.
    float qstep;
    /// Non-zero with 3 components: RCT (reversible) or ICT (irreversible).
    int32_t color_transform;
    /// 0...32 wavelet decompositions.
    uint32_t decompositions;
} chtj2k_encode_params;

/// Bytes owned by the library; release with chtj2k_free.
typedef struct {
    uint8_t *data;
    size_t size;
} chtj2k_buffer;

typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t components;
    uint32_t bit_depth;
    int32_t is_signed;
    /// width × height × components samples, pixel by pixel, components interleaved, clamped to the
    /// SIZ range. Release with chtj2k_free_samples.
    int32_t *samples;
} chtj2k_image;

/// Encodes one image. `samples` holds the true sample values plane after plane (component 0's
/// width × height values, then component 1's...). On success `*out` holds the codestream.
/// `messages` (capacity `messages_capacity`, may be NULL) receives OpenJPH's info, warning and
/// error lines and our own error text, NUL-terminated and truncated to fit.
chtj2k_status chtj2k_encode(const chtj2k_encode_params *params, const int32_t *samples, chtj2k_buffer *out,
                            char *messages, size_t messages_capacity);

/// Decodes one codestream, refusing one that declares more than `maximum_samples` samples.
chtj2k_status chtj2k_decode(const uint8_t *codestream, size_t size, size_t maximum_samples, chtj2k_image *out,
                            char *messages, size_t messages_capacity);

void chtj2k_free(chtj2k_buffer *buffer);
void chtj2k_free_samples(chtj2k_image *image);

/// OpenJPH's version, e.g. "0.9.0".
const char *chtj2k_version(void);

#ifdef __cplusplus
}
#endif

#endif
