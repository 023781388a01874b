/* Parse benchmark: CPU time to index a message, and to index it and read
 * the typed views a proxy needs, for a few typical messages and one RFC 4475
 * torture message. It also verifies that this path allocates nothing.
 *
 *	bench_parse [SECONDS]   (time per run, default 1; 5 runs per case)
 *
 * Each figure is the median of 5 runs of a loop calibrated to last about
 * SECONDS of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other load
 * on the machine changes it less than wall time would. One struct ms_msg is
 * initialised once and parsed into again and again, as a transport does.
 *
 * Allocations are counted twice: moonsip's own counter (ms_mem_stats), and
 * every malloc, calloc and realloc of the process, by replacing them in
 * this program. The second count catches anything that bypasses the first. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moonsip/msg.h"

#define RUNS 5

/* Sanitizer runtimes own malloc: replacing it there would break them. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_LIBC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define COUNT_LIBC 0
#endif
#endif
#ifndef COUNT_LIBC
#define COUNT_LIBC 1
#endif

#if COUNT_LIBC
/* glibc exports its allocator under these names so that a program can
 * replace malloc and still reach it. The count lives in a global because
 * an allocator has nowhere else to keep it; this program is one thread.
 * aligned_alloc and posix_memalign are not counted: moonsip uses neither. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t count, size_t n);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static uint64_t libc_allocs;

void *malloc(size_t n)
{
	libc_allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t count, size_t n)
{
	libc_allocs++;
	return __libc_calloc(count, n);
}

void *realloc(void *p, size_t n)
{
	libc_allocs++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

/* A call as a proxy sees it: Alice's INVITE after her outbound proxy,
 * on its way to Bob's. */
static const char invite_head[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP p1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1\r\n"
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;received=192.0.2.10;rport=5060\r\n"
	"Record-Route: <sip:p1.atlanta.example.com;lr>\r\n"
	"Route: <sip:p2.biloxi.example.com;lr>\r\n"
	"Max-Forwards: 69\r\n"
	"From: \"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"Call-ID: 3848276298220188511@192.0.2.10\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@192.0.2.10:5060>\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY\r\n"
	"Supported: replaces, timer\r\n"
	"User-Agent: Softphone/4.2.1\r\n"
	"Content-Type: application/sdp\r\n";

static const char invite_sdp[] = "v=0\r\n"
				 "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
				 "s=-\r\n"
				 "c=IN IP4 192.0.2.10\r\n"
				 "t=0 0\r\n"
				 "m=audio 49170 RTP/AVP 0 8 9 101\r\n"
				 "a=rtpmap:0 PCMU/8000\r\n"
				 "a=rtpmap:8 PCMA/8000\r\n"
				 "a=rtpmap:9 G722/8000\r\n"
				 "a=rtpmap:101 telephone-event/8000\r\n"
				 "a=fmtp:101 0-16\r\n"
				 "a=ptime:20\r\n"
				 "a=sendrecv\r\n";

static const char register_head[] =
	"REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKnashds7;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: Bob <sip:bob@biloxi.example.com>;tag=a73kszlfl\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.20\r\n"
	"CSeq: 2 REGISTER\r\n"
	"Contact: <sip:bob@192.0.2.20:5060;transport=udp>;expires=3600\r\n"
	"Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\",\r\n"
	" nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:registrar.biloxi.example.com\",\r\n"
	" response=\"7587245234b3434cc3412213e5f113a5\", algorithm=MD5,\r\n"
	" cnonce=\"0a4f113b\", qop=auth, nc=00000001, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n"
	"Expires: 3600\r\n"
	"User-Agent: Softphone/4.2.1 (Linux x86_64)\r\n";

static const char ok_head[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP p1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.1\r\n"
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;received=192.0.2.10;rport=5060\r\n"
	"Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>\r\n"
	"From: \"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
	"To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
	"Call-ID: 3848276298220188511@192.0.2.10\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:bob@192.0.2.4:5060>\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY\r\n"
	"Supported: replaces, timer\r\n"
	"Server: Deskphone/7.0\r\n"
	"Content-Type: application/sdp\r\n";

static const char ok_sdp[] = "v=0\r\n"
			     "o=bob 2808844564 2808844564 IN IP4 192.0.2.4\r\n"
			     "s=-\r\n"
			     "c=IN IP4 192.0.2.4\r\n"
			     "t=0 0\r\n"
			     "m=audio 3456 RTP/AVP 0 101\r\n"
			     "a=rtpmap:0 PCMU/8000\r\n"
			     "a=rtpmap:101 telephone-event/8000\r\n"
			     "a=fmtp:101 0-16\r\n"
			     "a=ptime:20\r\n"
			     "a=sendrecv\r\n";

struct bench_case {
	const char *name;
	char *buf;
	size_t len;
};

/* Headers, a Content-Length that is right, the empty line and the body. */
static void compose(struct bench_case *c, const char *name, const char *head, const char *body)
{
	size_t cap = strlen(head) + strlen(body) + 64;
	c->name = name;
	c->buf = malloc(cap);
	if (!c->buf)
		exit(1);
	int n = snprintf(c->buf, cap, "%sContent-Length: %zu\r\n\r\n%s", head, strlen(body), body);
	c->len = (size_t)n;
}

static void load(struct bench_case *c, const char *name, const char *relpath)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", MS_TEST_SOURCE_DIR, relpath);
	FILE *f = fopen(path, "rb");
	c->name = name;
	c->buf = malloc(65536);
	if (!f || !c->buf) {
		fprintf(stderr, "bench_parse: cannot read %s\n", path);
		exit(1);
	}
	c->len = fread(c->buf, 1, 65536, f);
	fclose(f);
}

/* Keeps the compiler from dropping work whose result nobody reads. */
static volatile uintptr_t sink;

static void index_only(struct ms_msg *m, const struct bench_case *c)
{
	sink += (uintptr_t)ms_msg_parse(m, c->buf, c->len, MS_PARSE_DGRAM);
}

static void indexed_typed(struct ms_msg *m, const struct bench_case *c)
{
	sink += (uintptr_t)ms_msg_parse(m, c->buf, c->len, MS_PARSE_DGRAM);
	sink += (uintptr_t)ms_msg_via(m) ^ (uintptr_t)ms_msg_to(m) ^ (uintptr_t)ms_msg_from(m) ^
		(uintptr_t)ms_msg_call_id(m) ^ (uintptr_t)ms_msg_cseq(m) ^ (uintptr_t)ms_msg_contact(m);
}

typedef void (*work_fn)(struct ms_msg *m, const struct bench_case *c);

static const struct {
	const char *name;
	work_fn fn;
} modes[] = {
	{ "index only", index_only },
	{ "indexed + typed", indexed_typed },
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct sample {
	double ns;            /* per message */
	uint64_t ms_allocs;   /* moonsip allocations during the loop */
	uint64_t libc_allocs; /* malloc/calloc/realloc calls during the loop */
};

static struct sample timed(work_fn fn, struct ms_msg *m, const struct bench_case *c, uint64_t iters)
{
	struct ms_mem_stats before, after;
	struct sample s;
	ms_mem_stats(&before);
#if COUNT_LIBC
	uint64_t libc_before = libc_allocs;
#endif
	uint64_t t0 = cpu_ns();
	for (uint64_t i = 0; i < iters; i++)
		fn(m, c);
	uint64_t t1 = cpu_ns();
#if COUNT_LIBC
	s.libc_allocs = libc_allocs - libc_before;
#else
	s.libc_allocs = 0;
#endif
	ms_mem_stats(&after);
	s.ms_allocs = after.allocs - before.allocs;
	s.ns = (double)(t1 - t0) / (double)iters;
	return s;
}

/* How many iterations last about 'seconds' of CPU time. */
static uint64_t calibrate(work_fn fn, struct ms_msg *m, const struct bench_case *c, double seconds)
{
	uint64_t iters = 1000;
	for (;;) {
		struct sample s = timed(fn, m, c, iters);
		double total = s.ns * (double)iters;
		if (total >= seconds * 1e8 || iters >= (UINT64_C(1) << 40))
			return (uint64_t)((double)iters * seconds * 1e9 / total) + 1;
		iters *= 4;
	}
}

static int by_ns(const void *a, const void *b)
{
	double x = ((const struct sample *)a)->ns, y = ((const struct sample *)b)->ns;
	return (x > y) - (x < y);
}

static struct sample measure(work_fn fn, struct ms_msg *m, const struct bench_case *c, double seconds)
{
	struct sample runs[RUNS], out = { 0, 0, 0 };
	uint64_t iters = calibrate(fn, m, c, seconds);
	/* The time is the median; allocations are the most any run made. */
	for (int i = 0; i < RUNS; i++) {
		runs[i] = timed(fn, m, c, iters);
		if (runs[i].ms_allocs > out.ms_allocs)
			out.ms_allocs = runs[i].ms_allocs;
		if (runs[i].libc_allocs > out.libc_allocs)
			out.libc_allocs = runs[i].libc_allocs;
	}
	qsort(runs, RUNS, sizeof runs[0], by_ns);
	out.ns = runs[RUNS / 2].ns;
	return out;
}

/* A benchmark of a failing parse would measure the wrong path. */
static void verify(struct ms_msg *m, const struct bench_case *c)
{
	char why[128];
	int rc = ms_msg_parse(m, c->buf, c->len, MS_PARSE_DGRAM);
	if (rc < 0 || !ms_msg_via(m) || !ms_msg_to(m) || !ms_msg_from(m) || !ms_msg_call_id(m) ||
	    !ms_msg_cseq(m) || !ms_msg_contact(m) || ms_msg_check(m) < 0) {
		ms_msg_error(m, why, sizeof why);
		fprintf(stderr, "bench_parse: %s does not parse: %s\n", c->name, why);
		exit(1);
	}
}

static void print_command(int argc, char **argv)
{
	printf("\ncommand:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	if (argc > 2 || !(seconds > 0)) {
		fprintf(stderr, "usage: %s [SECONDS per run]\n", argv[0]);
		return 2;
	}
	struct bench_case cases[4];
	compose(&cases[0], "INVITE with SDP", invite_head, invite_sdp);
	compose(&cases[1], "REGISTER with digest", register_head, "");
	compose(&cases[2], "200 OK with SDP", ok_head, ok_sdp);
	load(&cases[3], "RFC 4475 wsinv.dat", "corpus/rfc4475/valid/wsinv.dat");

	static struct ms_msg m;
	ms_msg_init(&m);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		verify(&m, &cases[i]);

	printf("moonsip %s parse benchmark: median of %d runs of ~%.2g s CPU time each\n", ms_version(), RUNS,
	       seconds);
#ifndef __OPTIMIZE__
	printf("warning: built without optimisation (use -DCMAKE_BUILD_TYPE=Release)\n");
#endif
#if defined(__GNUC__) && !defined(__clang__)
	printf("compiler: gcc %s\n\n", __VERSION__);
#else
	printf("compiler: %s\n\n", __VERSION__);
#endif
	printf("%-22s %6s %5s  %-16s %9s %9s %10s %10s\n", "message", "bytes", "hdrs", "mode", "ns/msg",
	       "MB/s", "ms allocs", COUNT_LIBC ? "mallocs" : "mallocs(n/a)");
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bench_case *c = &cases[i];
		ms_msg_parse(&m, c->buf, c->len, MS_PARSE_DGRAM);
		unsigned nhdrs = m.nhdrs;
		for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
			struct sample s = measure(modes[k].fn, &m, c, seconds);
			printf("%-22s %6zu %5u  %-16s %9.1f %9.1f %10llu %10llu\n", c->name, c->len, nhdrs,
			       modes[k].name, s.ns, (double)c->len * 1e3 / s.ns,
			       (unsigned long long)s.ms_allocs, (unsigned long long)s.libc_allocs);
			bad |= s.ms_allocs || s.libc_allocs;
		}
	}
	if (bad)
		printf("\nFAIL: the parse path allocated\n");
	print_command(argc, argv);
	ms_msg_free(&m);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		free(cases[i].buf);
	return bad;
}
