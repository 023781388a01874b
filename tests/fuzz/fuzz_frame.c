/* libFuzzer target: framing SIP messages on a stream, as a TCP connection
 * does, then parsing each framed message.
 *
 * Input layout: byte 0 picks the framer's size limit (bits 0-1) and whether
 * the connection leaves keep-alives that came before an incomplete message
 * unconsumed (bit 2; the API says passing them again is harmless). Bytes 1
 * to 8 are the sizes of the pieces the stream arrives in, used in turn. The
 * rest is the stream.
 *
 * The stream is framed twice, once in those pieces and once all at once.
 * Both must cut the same messages at the same offsets and end the same way:
 * a framer that remembers how far it scanned must not be fooled by where
 * the reads happened to stop. A cut never exceeds the size limit or the
 * bytes that have arrived, and never starts with a line end.
 *
 * Bytes that have not arrived yet are poisoned for ASan, and so are those
 * already consumed (up to ASan's 8-byte granularity), so a framer that reads
 * outside the window it was given is caught although the memory is there. */
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "moonsip/msg.h"
#include "moonsip/stream.h"

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#define HEADER 9
#define MAX_CUTS 256 /* more messages than that are not compared */

struct cut {
	size_t off, len;
};

/* What one framing run produced. */
struct run {
	struct cut cuts[MAX_CUTS];
	unsigned ncuts;
	int end; /* MS_EAGAIN, or the error that closed the connection */
};

/* The connection's input: stream[0, avail) has arrived, stream[0, consumed)
 * has been handed on. */
struct conn {
	char *stream;
	size_t n, avail, consumed;
	bool lazy; /* keep-alives before an incomplete message stay unconsumed */
	struct ms_framer f;
};

static size_t frame_max(uint8_t b)
{
	static const size_t max[] = { 4096, 4096, 512, 100 };
	return max[b & 3];
}

/* A framed message must parse to exactly the bytes the framer cut, or not
 * parse at all: if the two disagreed, the connection would lose sync and a
 * body could be read as a request. */
static void parse(const char *p, size_t len)
{
	char *copy = malloc(len);
	CHECK(copy);
	memcpy(copy, p, len);
	struct ms_msg m;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, copy, len, MS_PARSE_STREAM);
	CHECK(rc < 0 || (size_t)rc == len);
	if (rc >= 0)
		ms_msg_check(&m);
	ms_msg_free(&m);
	free(copy);
}

static void consume(struct conn *c, size_t n)
{
	ASAN_POISON_MEMORY_REGION(c->stream + c->consumed, n);
	c->consumed += n;
}

/* Frames what has arrived. Returns false once the connection is closed. */
static bool frame(struct conn *c, struct run *r)
{
	for (;;) {
		size_t skip, window = c->avail - c->consumed;
		bool pong;
		int rc = ms_framer_next(&c->f, c->stream + c->consumed, window, &skip, &pong);
		CHECK(skip <= window);
		if (rc == MS_EAGAIN) {
			if (!c->lazy)
				consume(c, skip);
			r->end = rc;
			return true;
		}
		if (rc < 0) {
			CHECK((rc == MS_EMSGSIZE || rc == MS_EBADMSG) && c->f.why);
			r->end = rc;
			return false;
		}
		CHECK((size_t)rc <= c->f.max && (size_t)rc <= window - skip);
		const char *msg = c->stream + c->consumed + skip;
		CHECK(msg[0] != '\r' && msg[0] != '\n');
		if (r->ncuts < MAX_CUTS)
			r->cuts[r->ncuts++] = (struct cut){ c->consumed + skip, (size_t)rc };
		parse(msg, (size_t)rc);
		consume(c, skip + (size_t)rc);
	}
}

/* Delivers the stream in pieces of the given sizes, cycling through them;
 * a size of 0 delivers the rest at once. */
static void run(const char *data, size_t n, uint8_t mode, const uint8_t *sizes, unsigned nsizes,
		struct run *r)
{
	struct conn c = { .n = n, .lazy = (mode & 4) != 0 };
	c.stream = malloc(n);
	CHECK(c.stream || n == 0);
	if (n)
		memcpy(c.stream, data, n);
	ASAN_POISON_MEMORY_REGION(c.stream, n);
	ms_framer_init(&c.f, frame_max(mode));
	memset(r, 0, sizeof *r);
	r->end = MS_EAGAIN;
	for (unsigned i = 0; c.avail < n; i++) {
		size_t piece = nsizes ? sizes[i % nsizes] : 0;
		if (piece == 0 || piece > n - c.avail)
			piece = n - c.avail;
		ASAN_UNPOISON_MEMORY_REGION(c.stream + c.avail, piece);
		c.avail += piece;
		if (!frame(&c, r))
			break;
	}
	ASAN_UNPOISON_MEMORY_REGION(c.stream, n);
	free(c.stream);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER)
		return 0;
	struct run pieces, whole;
	const char *stream = (const char *)data + HEADER;
	size_t n = size - HEADER;
	run(stream, n, data[0], data + 1, HEADER - 1, &pieces);
	run(stream, n, data[0] & 3, NULL, 0, &whole);
	CHECK(pieces.ncuts == whole.ncuts && pieces.end == whole.end);
	for (unsigned i = 0; i < whole.ncuts; i++)
		CHECK(pieces.cuts[i].off == whole.cuts[i].off && pieces.cuts[i].len == whole.cuts[i].len);
	return 0;
}
