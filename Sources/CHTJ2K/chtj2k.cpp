// OpenJPH behind a C interface (see include/chtj2k.h). Facts this relies on (OpenJPH 0.9.0):
// - unsigned samples are pushed as 0...2^B-1 and signed ones as two's complement; the library
//   level-shifts itself, and it neither range-checks input nor clamps lossy output;
// - the default transform is irreversible, so lossless needs set_reversible(true);
// - the error handler prints to the error stream, then throws; configure_error() cannot replace it
//   in 0.9.0 (it slices the subclass away), so all three streams are pointed at a FILE* that
//   appends to a per-thread buffer, which is handed back to the caller.

#include "chtj2k.h"

// ojph_arch.h first: the other headers use its OJPH_EXPORT without including it.
#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_params.h>
#include <openjph/ojph_version.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>

namespace {

thread_local std::string captured;

ssize_t capture_write(void *, const char *data, size_t size) {
    // Bound the buffer: a runaway stream of warnings must not grow without limit.
    if (captured.size() < 16384) captured.append(data, size);
    return static_cast<ssize_t>(size);
}

void install_capture() {
    static std::once_flag once;
    std::call_once(once, [] {
        cookie_io_functions_t functions = {nullptr, capture_write, nullptr, nullptr};
        FILE *stream = fopencookie(nullptr, "w", functions);
        if (stream == nullptr) return;  // OpenJPH keeps its default streams; messages go to stdout/stderr
        // Unbuffered: each fprintf reaches capture_write on the calling thread, so the thread-local
        // buffer holds exactly this thread's messages.
        setvbuf(stream, nullptr, _IONBF, 0);
        ojph::set_info_stream(stream);
        ojph::set_warning_stream(stream);
        ojph::set_error_stream(stream);
    });
}

/// Starts a call: installs the capture once and empties this thread's buffer.
void begin_call() {
    install_capture();
    captured.clear();
}

/// Copies the captured text (plus `extra`) into the caller's buffer.
void hand_back(char *messages, size_t capacity, const char *extra = nullptr) {
    if (messages == nullptr || capacity == 0) return;
    std::string text = captured;
    if (extra != nullptr) {
        if (!text.empty() && text.back() != '\n') text += '\n';
        text += extra;
    }
    size_t count = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(messages, text.data(), count);
    messages[count] = '\0';
}

chtj2k_status fail(chtj2k_status status, char *messages, size_t capacity, const char *text) {
    hand_back(messages, capacity, text);
    return status;
}

}  // namespace

extern "C" chtj2k_status chtj2k_encode(const chtj2k_encode_params *params, const int32_t *samples,
                                       chtj2k_buffer *out, char *messages, size_t capacity) {
    begin_call();
    if (params == nullptr || samples == nullptr || out == nullptr) {
        return fail(CHTJ2K_INVALID_ARGUMENT, messages, capacity, "null argument");
    }
    out->data = nullptr;
    out->size = 0;
    const chtj2k_encode_params p = *params;
    if (p.width == 0 || p.height == 0 || p.width > 65535 || p.height > 65535) {
        return fail(CHTJ2K_INVALID_ARGUMENT, messages, capacity, "width and height must be 1...65535");
    }
    if (p.components != 1 && p.components != 3) {
        return fail(CHTJ2K_INVALID_ARGUMENT, messages, capacity, "components must be 1 or 3");
    }
    if (p.bit_depth < 1 || p.bit_depth > 16) {
        return fail(CHTJ2K_INVALID_ARGUMENT, messages, capacity, "bit depth must be 1...16");
    }
    if (p.decompositions > 32) {
        return fail(CHTJ2K_INVALID_ARGUMENT, messages, capacity, "decompositions must be 0...32");
    }
    // Debian's OpenJPH 0.9.0 is built with assertions, and its block coder aborts the process
    // ("missing_msbs > 0" / "missing_msbs < K_max") for steps of 0.5 and from 1 up, depending on
    // the image: keep well below (measured: no failure from 1e-6 to 0.49 over shapes 1x1..512x512,
    // 1-16 bits, 0-5 decompositions).
    if (!p.reversible && !(p.qstep >= 1e-7f && p.qstep <= CHTJ2K_MAXIMUM_QSTEP)) {
        return fail(CHTJ2K_INVALID_ARGUMENT, messages, capacity, "qstep must be in [1e-7, 0.45]");
    }
    const size_t plane = static_cast<size_t>(p.width) * p.height;
    // OpenJPH clamps out-of-range input without a word: refuse it instead.
    const int32_t low = p.is_signed ? -(1 << (p.bit_depth - 1)) : 0;
    const int32_t high = p.is_signed ? (1 << (p.bit_depth - 1)) - 1 : (1 << p.bit_depth) - 1;
    for (size_t index = 0; index < plane * p.components; ++index) {
        if (samples[index] < low || samples[index] > high) {
            return fail(CHTJ2K_SAMPLE_OUT_OF_RANGE, messages, capacity,
                        "a sample lies outside the declared bit depth and sign");
        }
    }

    try {
        ojph::codestream codestream;
        ojph::param_siz siz = codestream.access_siz();
        siz.set_image_extent(ojph::point(p.width, p.height));
        siz.set_tile_size(ojph::size(p.width, p.height));
        siz.set_num_components(p.components);
        for (uint32_t c = 0; c < p.components; ++c) {
            siz.set_component(c, ojph::point(1, 1), p.bit_depth, p.is_signed != 0);
        }
        ojph::param_cod cod = codestream.access_cod();
        cod.set_num_decomposition(p.decompositions);
        cod.set_block_dims(64, 64);
        cod.set_progression_order("RPCL");
        cod.set_color_transform(p.components == 3 && p.color_transform != 0);
        cod.set_reversible(p.reversible != 0);
        if (!p.reversible) codestream.access_qcd().set_irrev_quant(p.qstep);
        codestream.set_planar(false);

        ojph::mem_outfile file;
        file.open(plane * p.components / 2 + 4096);
        codestream.write_headers(&file);

        // Not planar: the library asks for one row of each component in turn (next_component).
        uint32_t next_component = 0;
        uint32_t rows_done[3] = {0, 0, 0};
        ojph::line_buf *line = codestream.exchange(nullptr, next_component);
        for (size_t pushed = 0; pushed < static_cast<size_t>(p.height) * p.components; ++pushed) {
            if (line == nullptr || next_component >= p.components || rows_done[next_component] >= p.height) {
                throw std::runtime_error("unexpected line request from OpenJPH");
            }
            const int32_t *row = samples + next_component * plane + static_cast<size_t>(rows_done[next_component]) * p.width;
            std::memcpy(line->i32, row, sizeof(int32_t) * p.width);
            rows_done[next_component] += 1;
            line = codestream.exchange(line, next_component);
        }
        codestream.flush();

        const size_t size = static_cast<size_t>(file.tell());
        uint8_t *copy = static_cast<uint8_t *>(std::malloc(size > 0 ? size : 1));
        if (copy == nullptr) {
            codestream.close();
            return fail(CHTJ2K_OUT_OF_MEMORY, messages, capacity, "no memory for the codestream copy");
        }
        std::memcpy(copy, file.get_data(), size);
        codestream.close();  // also closes `file`, freeing its buffer
        out->data = copy;
        out->size = size;
        hand_back(messages, capacity);
        return CHTJ2K_OK;
    } catch (const std::bad_alloc &) {
        return fail(CHTJ2K_OUT_OF_MEMORY, messages, capacity, "OpenJPH ran out of memory");
    } catch (const std::exception &error) {
        return fail(CHTJ2K_CODEC_FAILED, messages, capacity, error.what());
    } catch (...) {
        return fail(CHTJ2K_CODEC_FAILED, messages, capacity, "unknown exception in OpenJPH");
    }
}

extern "C" chtj2k_status chtj2k_decode(const uint8_t *codestream_bytes, size_t size, size_t maximum_samples,
                                       chtj2k_image *out, char *messages, size_t capacity) {
    begin_call();
    if (codestream_bytes == nullptr || out == nullptr || size == 0) {
        return fail(CHTJ2K_INVALID_ARGUMENT, messages, capacity, "empty codestream");
    }
    std::memset(out, 0, sizeof(*out));
    int32_t *samples = nullptr;
    try {
        ojph::mem_infile file;
        file.open(codestream_bytes, size);
        ojph::codestream codestream;
        codestream.read_headers(&file);
        ojph::param_siz siz = codestream.access_siz();
        const uint32_t components = siz.get_num_components();
        if (components == 0 || components > 4) {
            codestream.close();
            return fail(CHTJ2K_UNSUPPORTED, messages, capacity, "the codestream has 0 or more than 4 components");
        }
        const uint32_t width = siz.get_recon_width(0);
        const uint32_t height = siz.get_recon_height(0);
        const uint32_t depth = siz.get_bit_depth(0);
        const bool is_signed = siz.is_signed(0);
        for (uint32_t c = 1; c < components; ++c) {
            if (siz.get_recon_width(c) != width || siz.get_recon_height(c) != height ||
                siz.get_bit_depth(c) != depth || siz.is_signed(c) != is_signed) {
                codestream.close();
                return fail(CHTJ2K_UNSUPPORTED, messages, capacity, "components differ in size or precision");
            }
        }
        const size_t count = static_cast<size_t>(width) * height * components;
        if (width == 0 || height == 0 || depth < 1 || depth > 30 || count > maximum_samples) {
            codestream.close();
            return fail(CHTJ2K_UNSUPPORTED, messages, capacity, "the codestream exceeds the sample limit or 30 bits of precision");
        }
        samples = static_cast<int32_t *>(std::malloc(count * sizeof(int32_t)));
        if (samples == nullptr) {
            codestream.close();
            return fail(CHTJ2K_OUT_OF_MEMORY, messages, capacity, "no memory for the decoded samples");
        }
        // Lossy decoding rounds without clamping: clamp to the SIZ range.
        const int32_t low = is_signed ? -(1 << (depth - 1)) : 0;
        const int32_t high = is_signed ? (1 << (depth - 1)) - 1 : (1 << depth) - 1;
        codestream.set_planar(false);
        codestream.create();
        uint32_t rows_done[4] = {0, 0, 0, 0};
        for (size_t pulled = 0; pulled < static_cast<size_t>(height) * components; ++pulled) {
            uint32_t component = 0;
            ojph::line_buf *line = codestream.pull(component);
            if (line == nullptr || component >= components || rows_done[component] >= height) {
                throw std::runtime_error("unexpected line from OpenJPH");
            }
            int32_t *row = samples + static_cast<size_t>(rows_done[component]) * width * components + component;
            for (uint32_t x = 0; x < width; ++x) {
                int32_t value = line->i32[x];
                row[static_cast<size_t>(x) * components] = value < low ? low : (value > high ? high : value);
            }
            rows_done[component] += 1;
        }
        codestream.close();
        out->width = width;
        out->height = height;
        out->components = components;
        out->bit_depth = depth;
        out->is_signed = is_signed ? 1 : 0;
        out->samples = samples;
        hand_back(messages, capacity);
        return CHTJ2K_OK;
    } catch (const std::bad_alloc &) {
        std::free(samples);
        return fail(CHTJ2K_OUT_OF_MEMORY, messages, capacity, "OpenJPH ran out of memory");
    } catch (const std::exception &error) {
        std::free(samples);
        return fail(CHTJ2K_CODEC_FAILED, messages, capacity, error.what());
    } catch (...) {
        std::free(samples);
        return fail(CHTJ2K_CODEC_FAILED, messages, capacity, "unknown exception in OpenJPH");
    }
}

extern "C" void chtj2k_free(chtj2k_buffer *buffer) {
    if (buffer == nullptr) return;
    std::free(buffer->data);
    buffer->data = nullptr;
    buffer->size = 0;
}

extern "C" void chtj2k_free_samples(chtj2k_image *image) {
    if (image == nullptr) return;
    std::free(image->samples);
    image->samples = nullptr;
}

extern "C" const char *chtj2k_version(void) {
    static const std::string version = std::to_string(OPENJPH_VERSION_MAJOR) + "." +
                                       std::to_string(OPENJPH_VERSION_MINOR) + "." +
                                       std::to_string(OPENJPH_VERSION_PATCH);
    return version.c_str();
}
