/* What the Lua host adds per request, measured in one process: the same
 * request answered 200 by C (parse, check, build the response: the work the
 * core does for a request without a script) and by a script that reads
 * three headers and replies (the host fed the request: parse, check, the
 * coroutine, the request object, the script, the reply built in C). The
 * difference is the host's and the script's cost.
 *
 *	bench_lua SCRIPT [SECONDS]   (time per run, default 1; median of 5)
 *	bench_lua SCRIPT 0 c|lua N   (N requests one way, nothing printed: for
 *	                              valgrind --tool=callgrind, whose counts do
 *	                              not move with the machine's load)
 *
 * CPU time of this thread (CLOCK_THREAD_CPUTIME_ID). Nothing goes to the
 * network: the script's answers go to a callback that checks the status. */
#define _POSIX_C_SOURCE 200809L

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "moonsip/edit.h"
#include "moonsip/msg.h"

#define RUNS 5

static const char request[] = "OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-bench-1\r\n"
			      "From: \"bench\" <sip:bench@127.0.0.1:5061>;tag=1234\r\n"
			      "To: <sip:127.0.0.1:5060>\r\n"
			      "Call-ID: 1-bench@127.0.0.1\r\n"
			      "CSeq: 1 OPTIONS\r\n"
			      "Max-Forwards: 70\r\n"
			      "X-A: alpha\r\n"
			      "User-Agent: bench\r\n"
			      "Content-Length: 0\r\n\r\n";

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long answers;

static void on_answer(void *arg, const char *resp, size_t len)
{
	(void)arg;
	if (len > 12 && !memcmp(resp, "SIP/2.0 200 ", 12))
		answers++;
}

/* The core's work for one request: parse, check, a 200 built. */
static void by_c(struct ms_msg *m, struct ms_buf *b)
{
	if (ms_msg_parse(m, request, sizeof request - 1, MS_PARSE_DGRAM) < 0 || ms_msg_check(m) < 0)
		abort();
	b->len = 0;
	if (ms_build_response(b, m, 200, MS_STR_NULL, MS_STR("tag1")) < 0 ||
	    ms_build_end(b, MS_STR_NULL, MS_STR_NULL) < 0)
		abort();
	on_answer(NULL, b->data, b->len);
}

static void by_lua(struct ms_lua_host *h, const struct ms_txn_peer *src)
{
	char err[256];
	if (ms_lua_host_feed(h, request, sizeof request - 1, src, err, sizeof err) < 0) {
		fprintf(stderr, "feed: %s\n", err);
		exit(1);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median over RUNS of the CPU time per call of one of the two paths. */
static double measure(struct ms_lua_host *h, double secs)
{
	struct ms_txn_peer src = { .proto = MS_PROTO_UDP };
	ms_addr_set(&src.addr, MS_STR("127.0.0.1"), 5061);
	struct ms_msg m;
	struct ms_buf b;
	ms_msg_init(&m);
	ms_buf_init(&b);
	double runs[RUNS];
	unsigned long n = 1000;
	for (int r = 0; r < RUNS; r++) {
		double t0, t;
		for (;;) { /* calibrate: grow n until a run lasts 'secs' */
			answers = 0;
			t0 = cpu_now();
			for (unsigned long i = 0; i < n; i++)
				h ? by_lua(h, &src) : by_c(&m, &b);
			t = cpu_now() - t0;
			if (t >= secs * 0.5 || r > 0)
				break;
			n *= 2;
		}
		if (answers != n) {
			fprintf(stderr, "%lu answers for %lu requests\n", answers, n);
			exit(1);
		}
		runs[r] = t / (double)n;
	}
	qsort(runs, RUNS, sizeof runs[0], cmp);
	ms_msg_free(&m);
	ms_buf_free(&b);
	return runs[RUNS / 2];
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_lua SCRIPT [SECONDS]\n");
		return 2;
	}
	double secs = argc > 2 ? atof(argv[2]) : 1;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_lua_host *h;
	char err[2048];
	struct ms_lua_config cfg = { .script = argv[1], .loop = loop, .answer_cb = on_answer };
	if (ms_lua_host_new(&h, &cfg, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (argc > 4) { /* a fixed count, for an instruction counter */
		struct ms_txn_peer src = { .proto = MS_PROTO_UDP };
		struct ms_msg m;
		struct ms_buf b;
		ms_msg_init(&m);
		ms_buf_init(&b);
		long n = atol(argv[4]);
		for (long i = 0; i < n; i++)
			strcmp(argv[3], "c") ? by_lua(h, &src) : by_c(&m, &b);
		ms_msg_free(&m);
		ms_buf_free(&b);
		ms_lua_host_free(h);
		ev_loop_destroy(loop);
		return 0;
	}
	double c = measure(NULL, secs), lua = measure(h, secs);
	printf("core (parse, check, build a 200):       %.3f us per request\n", c * 1e6);
	printf("host + script (the same, through Lua):  %.3f us per request\n", lua * 1e6);
	printf("Lua adds:                               %.3f us per request\n", (lua - c) * 1e6);
	ms_lua_host_free(h);
	ev_loop_destroy(loop);
	return 0;
}
