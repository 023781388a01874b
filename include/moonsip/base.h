/* moonsip: strings, buffers, error codes and memory statistics.
 *
 * A struct ms_str is a slice: a pointer and a length into memory that
 * someone else owns (usually the receive buffer of a message). It is never
 * NUL-terminated by contract. A struct ms_buf is a growable byte buffer that
 * owns its memory. */
#ifndef MOONSIP_BASE_H
#define MOONSIP_BASE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MS_API __attribute__((visibility("default")))
#define MS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MS_API
#define MS_PRINTF(f, a)
#endif

/* Functions return 0 (or a count) on success and a negative code on failure.
 * Where an errno value fits, the code is its negation. */
enum {
	MS_OK = 0,
	MS_ENOMEM = -ENOMEM,     /* out of memory */
	MS_EINVAL = -EINVAL,     /* bad argument from the caller */
	MS_EAGAIN = -EAGAIN,     /* incomplete input: feed more bytes */
	MS_EMSGSIZE = -EMSGSIZE, /* input over a configured size limit */
	MS_EBADMSG = -EBADMSG,   /* malformed input (details in the parser) */
	MS_ERANGE = -ERANGE,     /* a number out of its allowed range */
	MS_ENOENT = -ENOENT,     /* no such item */
	MS_ENOTSUP = -ENOTSUP,   /* valid but not supported */
	MS_EPROTO = -EPROTO,     /* a protocol failure (a TLS handshake) */
};

/* A name for any code returned by a moonsip function (a negative errno
 * passed on from a system call gets strerror's). */
MS_API const char *ms_strerror(int code);

/* The library's version as "MAJOR.MINOR.PATCH". */
MS_API const char *ms_version(void);

struct ms_str {
	const char *s;
	size_t len;
};

#define MS_STR(lit) ((struct ms_str){ (lit), sizeof(lit) - 1 })
#define MS_STR_NULL ((struct ms_str){ NULL, 0 })

/* Case-sensitive and ASCII case-insensitive equality. */
MS_API bool ms_str_eq(struct ms_str a, struct ms_str b);
MS_API bool ms_str_ieq(struct ms_str a, struct ms_str b);
/* Equality with a NUL-terminated literal, ASCII case-insensitive. */
MS_API bool ms_str_ieqz(struct ms_str a, const char *z);

/* Parses a decimal number of at most 'max' into *out. Leading zeros are
 * allowed ("0068"); no sign, no whitespace. MS_ERANGE when over max,
 * MS_EBADMSG when not all digits or empty. */
MS_API int ms_str_to_u32(struct ms_str s, uint32_t max, uint32_t *out);

struct ms_buf {
	char *data;
	size_t len;
	size_t cap;
};

MS_API void ms_buf_init(struct ms_buf *b);
MS_API void ms_buf_free(struct ms_buf *b);
/* Makes room for n more bytes. */
MS_API int ms_buf_reserve(struct ms_buf *b, size_t n);
MS_API int ms_buf_add(struct ms_buf *b, const void *p, size_t n);
MS_API int ms_buf_adds(struct ms_buf *b, struct ms_str s);
MS_API int ms_buf_addz(struct ms_buf *b, const char *z);
MS_API int ms_buf_printf(struct ms_buf *b, const char *fmt, ...) MS_PRINTF(2, 3);

/* Live heap use of everything moonsip allocated in this process, for tests
 * (a test that leaks fails) and for memory figures in benchmarks. */
struct ms_mem_stats {
	uint64_t allocs;     /* allocations made so far */
	int64_t live_blocks; /* allocations not yet freed */
	int64_t live_bytes;
};
MS_API void ms_mem_stats(struct ms_mem_stats *out);

#ifdef __cplusplus
}
#endif
#endif
