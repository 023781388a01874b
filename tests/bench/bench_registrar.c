/* Registrar benchmark: with N bindings (one per address-of-record) in an
 * SQLite file, the cost of filling it through the REGISTER path, of a
 * lookup, of the memory a server holds for them, and of a start-up.
 *
 *	bench_registrar [N [SECONDS]]   (default 100000 bindings, 1 s per lookup run)
 *
 * 1. Fill: each REGISTER is built as text, parsed and checked, and given to
 *    ms_registrar_register(), with ms_registrar_commit() every COMMIT_EVERY
 *    requests, as the server does (group commit). The file lives in a
 *    directory made with mkdtemp() under /tmp, removed at exit.
 * 2. Start-up: the registrar is closed, then ms_registrar_open() on the same
 *    file, which loads every unexpired binding, is timed RUNS times.
 * 3. Memory: across the first of those opens, moonsip's own counter
 *    (ms_mem_stats), glibc's heap in use (mallinfo2), SQLite's
 *    (sqlite3_memory_used) and the process's RSS (/proc/self/status).
 * 4. Lookup, on the re-opened registrar: ms_registrar_lookup() of existing
 *    and of missing addresses-of-record, from lists made beforehand in
 *    random order. Each figure is the median of RUNS runs of a loop
 *    calibrated to last about SECONDS of this thread's CPU time.
 * With BENCH_KEEP_DB=PATH in the environment the filled file is moved there
 * at the end, e.g. to time `moonsip run --db PATH` starting with it. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <errno.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "moonsip/registrar.h"

#define RUNS 5
#define COMMIT_EVERY 500
#define MAX_N 9999999u /* seven digits of user number: every key fits in KEY_W */
#define KEY_W 32

static char dir[64];     /* the temporary directory, "" until made */
static char db_path[96]; /* the file in it */

/* Keeps the compiler from dropping work whose result nobody reads. */
static volatile uintptr_t sink;

static void cleanup(void)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	char p[128];
	if (!dir[0])
		return;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		snprintf(p, sizeof p, "%s%s", db_path, ext[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_registrar: %s%s%s\n", what, why ? ": " : "", why ? why : "");
	exit(1); /* cleanup() runs at exit */
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static uint64_t wall_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof v[0], by_double);
	return v[RUNS / 2];
}

static struct ms_registrar *open_reg(void)
{
	struct ms_registrar *r;
	char err[256];
	if (ms_registrar_open(&r, &(struct ms_registrar_config){ .db_path = db_path }, err, sizeof err))
		die("ms_registrar_open", err);
	return r;
}

/* ---- 1. Fill ---- */

/* A first REGISTER of user i from its own address. A day of Expires: the
 * bindings must outlive the run, since an open loads only unexpired ones. */
static size_t build_register(char *buf, size_t cap, unsigned i, char *received, size_t rcap)
{
	unsigned host = 1 + i % 254, port = 1024 + (i / 254) % 60000;
	snprintf(received, rcap, "udp:192.0.2.%u:%u", host, port);
	int n = snprintf(buf, cap,
			 "REGISTER sip:example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.%u:%u;branch=z9hG4bK%06u;rport\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:user%06u@example.com>;tag=f%06u\r\n"
			 "To: <sip:user%06u@example.com>\r\n"
			 "Call-ID: reg%06u@192.0.2.%u\r\n"
			 "CSeq: 1 REGISTER\r\n"
			 "Contact: <sip:user%06u@192.0.2.%u:%u>\r\n"
			 "Expires: 86400\r\n"
			 "User-Agent: bench-ua/1.0\r\n"
			 "Content-Length: 0\r\n\r\n",
			 host, port, i, i, i, i, i, host, i, host, port);
	if (n < 0 || (size_t)n >= cap)
		die("build_register", "buffer too small");
	return (size_t)n;
}

struct fill_stats {
	double wall, cpu;      /* seconds, the whole fill */
	double parse, commit;  /* seconds of wall time in build + parse, and in commits */
	double allocs_per_reg; /* moonsip allocations per REGISTER */
};

static void parse_register(struct ms_msg *m, const char *buf, size_t len)
{
	char why[128];
	if (ms_msg_parse(m, buf, len, MS_PARSE_DGRAM) < 0 || ms_msg_check(m) < 0) {
		ms_msg_error(m, why, sizeof why);
		die("a REGISTER does not parse", why);
	}
}

static void register_one(struct ms_registrar *r, struct ms_msg *m, int64_t now, const char *received)
{
	struct ms_register_result res;
	int rc = ms_registrar_register(r, m, now, received, "udp:198.51.100.1:5060", false, &res);
	if (rc < 0)
		die("ms_registrar_register", ms_strerror(rc));
	if (res.status != 200)
		die("REGISTER refused", res.reason);
}

static double commit(struct ms_registrar *r)
{
	uint64_t t0 = wall_ns();
	if (ms_registrar_commit(r) < 0)
		die("ms_registrar_commit", "SQLite failed");
	return (double)(wall_ns() - t0) / 1e9;
}

static struct fill_stats fill(unsigned n)
{
	static struct ms_msg m; /* reused, as a transport does */
	char buf[1024], received[64];
	struct fill_stats s = { 0 };
	struct ms_mem_stats m0, m1;
	struct ms_registrar *r = open_reg();
	ms_msg_init(&m);
	ms_mem_stats(&m0);
	int64_t now = (int64_t)time(NULL);
	uint64_t w0 = wall_ns(), c0 = cpu_ns();
	for (unsigned i = 0; i < n; i++) {
		uint64_t p0 = wall_ns();
		size_t len = build_register(buf, sizeof buf, i, received, sizeof received);
		parse_register(&m, buf, len);
		s.parse += (double)(wall_ns() - p0) / 1e9;
		register_one(r, &m, now, received);
		if (ms_registrar_pending(r) >= COMMIT_EVERY)
			s.commit += commit(r);
	}
	s.commit += commit(r);
	s.wall = (double)(wall_ns() - w0) / 1e9;
	s.cpu = (double)(cpu_ns() - c0) / 1e9;
	ms_mem_stats(&m1);
	s.allocs_per_reg = (double)(m1.allocs - m0.allocs) / n;
	if (ms_registrar_count(r) != n)
		die("fill", "the registrar does not hold N bindings");
	ms_registrar_close(r);
	ms_msg_free(&m);
	return s;
}

/* ---- 2. Start-up and 3. memory ---- */

struct mem_snap {
	long rss_kb, anon_kb; /* VmRSS, RssAnon */
	int64_t ms_bytes, ms_blocks;
	size_t heap;          /* glibc: bytes in use, small and mmapped blocks */
	int64_t sqlite_bytes; /* SQLite's own count, through its allocator */
};

static long status_kb(const char *text, const char *field)
{
	const char *p = strstr(text, field);
	return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

static struct mem_snap snap(void)
{
	struct mem_snap s;
	char text[4096];
	FILE *f = fopen("/proc/self/status", "r");
	size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[len] = 0;
	s.rss_kb = status_kb(text, "VmRSS:");
	s.anon_kb = status_kb(text, "RssAnon:");
	if (s.rss_kb < 0 || s.anon_kb < 0)
		die("/proc/self/status", "no VmRSS or RssAnon");
	struct ms_mem_stats ms;
	ms_mem_stats(&ms);
	s.ms_bytes = ms.live_bytes;
	s.ms_blocks = ms.live_blocks;
	struct mallinfo2 mi = mallinfo2();
	s.heap = mi.uordblks + mi.hblkhd;
	s.sqlite_bytes = sqlite3_memory_used();
	return s;
}

struct open_stats {
	double wall[RUNS], cpu[RUNS]; /* seconds */
	struct mem_snap before, after;
};

/* The freed memory of the fill goes back to the system first, so that the
 * RSS growth across the first open is what the open itself takes. */
static struct ms_registrar *timed_opens(struct open_stats *s, unsigned n)
{
	struct ms_registrar *r = NULL;
	for (int i = 0; i < RUNS; i++) {
		if (r)
			ms_registrar_close(r);
		malloc_trim(0);
		if (i == 0)
			s->before = snap();
		uint64_t w0 = wall_ns(), c0 = cpu_ns();
		r = open_reg();
		s->wall[i] = (double)(wall_ns() - w0) / 1e9;
		s->cpu[i] = (double)(cpu_ns() - c0) / 1e9;
		if (i == 0)
			s->after = snap();
		if (ms_registrar_count(r) != n)
			die("ms_registrar_open", "it did not load N bindings");
	}
	return r;
}

/* ---- 4. Lookup ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) /* splitmix64: a fixed sequence, the same each run */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Addresses-of-record of users first .. first + n - 1, in random order.
 * The strings are laid out in the order they are read, so the loop reads
 * them sequentially and its cache misses are the registrar's. */
static struct ms_str *make_keys(unsigned first, unsigned n, char **text)
{
	unsigned *order = malloc(n * sizeof *order);
	struct ms_str *keys = malloc(n * sizeof *keys);
	*text = malloc((size_t)n * KEY_W);
	if (!order || !keys || !*text)
		die("make_keys", "out of memory");
	for (unsigned i = 0; i < n; i++)
		order[i] = first + i;
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(rng() % i), t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (unsigned i = 0; i < n; i++) {
		char *p = *text + (size_t)i * KEY_W;
		int len = snprintf(p, KEY_W, "sip:user%06u@example.com", order[i]);
		keys[i] = (struct ms_str){ p, (size_t)len };
	}
	free(order);
	return keys;
}

struct lookup_case {
	struct ms_registrar *r;
	const struct ms_str *keys;
	size_t n;
	int64_t now;
	bool chained;
};

/* Independent lookups let the processor overlap their cache misses
 * (throughput). Chained ones take the next key at an index that depends on
 * the previous result (n >> 8 is always 0, but the processor cannot know),
 * so each waits for the last: the latency of one lookup on its own. */
static double lookup_run(const struct lookup_case *c, uint64_t iters)
{
	const struct ms_binding *out[4];
	size_t j = 0, acc = 0;
	uint64_t t0 = cpu_ns();
	for (uint64_t i = 0; i < iters; i++) {
		size_t found = ms_registrar_lookup(c->r, c->keys[j], c->now, out, 4);
		acc += found;
		j += 1 + (c->chained ? found >> 8 : 0);
		if (j >= c->n)
			j = 0;
	}
	uint64_t t1 = cpu_ns();
	sink += acc;
	return (double)(t1 - t0) / (double)iters;
}

static uint64_t calibrate(const struct lookup_case *c, double seconds)
{
	uint64_t iters = 1000;
	for (;;) {
		double total = lookup_run(c, iters) * (double)iters;
		if (total >= seconds * 1e8 || iters >= (UINT64_C(1) << 40))
			return (uint64_t)((double)iters * seconds * 1e9 / total) + 1;
		iters *= 4;
	}
}

struct lookup_stats {
	double med, min, max; /* ns per lookup over the runs */
};

static struct lookup_stats measure_lookup(const struct lookup_case *c, double seconds)
{
	double ns[RUNS];
	uint64_t iters = calibrate(c, seconds);
	for (int i = 0; i < RUNS; i++)
		ns[i] = lookup_run(c, iters);
	struct lookup_stats s;
	s.med = median(ns); /* sorts ns */
	s.min = ns[0];
	s.max = ns[RUNS - 1];
	return s;
}

/* A benchmark of lookups that find nothing, or find the wrong thing,
 * would measure the wrong path. */
static void verify_lookups(struct ms_registrar *r, const struct ms_str *hit, const struct ms_str *miss,
			   int64_t now)
{
	const struct ms_binding *b[4];
	char want[KEY_W + 16];
	if (ms_registrar_lookup(r, hit[0], now, b, 4) != 1 || strcmp(b[0]->aor, hit[0].s))
		die("verify", "an existing address-of-record is not found");
	snprintf(want, sizeof want, "%.*s@", (int)(strchr(hit[0].s, '@') - hit[0].s), hit[0].s);
	if (strncmp(b[0]->contact, want, strlen(want)))
		die("verify", "a lookup returns the wrong contact");
	if (ms_registrar_lookup(r, miss[0], now, b, 4) != 0)
		die("verify", "a missing address-of-record is found");
}

/* ---- Output ---- */

static void print_fill(const struct fill_stats *f, unsigned n)
{
	printf("fill (REGISTER built, parsed, registered; commit every %d)\n", COMMIT_EVERY);
	printf("  %-34s %10.0f /s wall  %8.2f us/binding wall  %8.2f us/binding CPU\n", "registrations",
	       n / f->wall, f->wall * 1e6 / n, f->cpu * 1e6 / n);
	printf("  %-34s %10.2f us/binding wall\n", "  of which build + parse + check", f->parse * 1e6 / n);
	printf("  %-34s %10.2f us/binding wall\n", "  of which ms_registrar_commit", f->commit * 1e6 / n);
	printf("  %-34s %10.2f us/binding wall\n", "  of which ms_registrar_register",
	       (f->wall - f->parse - f->commit) * 1e6 / n);
	printf("  %-34s %10.1f\n", "moonsip allocations per REGISTER", f->allocs_per_reg);
}

static void print_open(const struct open_stats *s)
{
	double w[RUNS], c[RUNS];
	memcpy(w, s->wall, sizeof w);
	memcpy(c, s->cpu, sizeof c);
	double wm = median(w), cm = median(c);
	printf("\nstart-up (ms_registrar_open, loading every binding; median of %d)\n", RUNS);
	printf("  %-34s %10.1f ms (%.1f .. %.1f)\n", "wall", wm * 1e3, w[0] * 1e3, w[RUNS - 1] * 1e3);
	printf("  %-34s %10.1f ms (%.1f .. %.1f)\n", "CPU", cm * 1e3, c[0] * 1e3, c[RUNS - 1] * 1e3);
}

static void print_mem_row(const char *what, double bytes, unsigned n, const char *note)
{
	printf("  %-34s %10.1f B/binding %12.0f B total  %s\n", what, bytes / n, bytes, note);
}

static void print_mem(const struct open_stats *s, unsigned n)
{
	const struct mem_snap *a = &s->before, *b = &s->after;
	printf("\nmemory held after the first re-open (growth across ms_registrar_open)\n");
	print_mem_row("moonsip counter (ms_mem_stats)", (double)(b->ms_bytes - a->ms_bytes), n,
		      "bytes moonsip asked for");
	printf("  %-34s %10.2f blocks/binding\n", "  live blocks", (double)(b->ms_blocks - a->ms_blocks) / n);
	print_mem_row("glibc heap in use (mallinfo2)", (double)b->heap - (double)a->heap, n,
		      "+ block headers, SQLite");
	print_mem_row("SQLite (sqlite3_memory_used)", (double)(b->sqlite_bytes - a->sqlite_bytes), n,
		      "page cache, schema, statements");
	print_mem_row("RSS (VmRSS)", (double)(b->rss_kb - a->rss_kb) * 1024, n, "everything resident");
	print_mem_row("RSS anonymous (RssAnon)", (double)(b->anon_kb - a->anon_kb) * 1024, n,
		      "without file and shm mappings");
}

static void print_lookup(const char *what, struct lookup_stats s)
{
	printf("  %-34s %10.1f ns/lookup (%.1f .. %.1f)\n", what, s.med, s.min, s.max);
}

static void print_command(int argc, char **argv)
{
	printf("\ncommand:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
}

static void print_header(unsigned n, double seconds)
{
	printf("moonsip %s registrar benchmark: %u bindings (one per address-of-record), SQLite %s\n",
	       ms_version(), n, sqlite3_libversion());
	printf("file: %s\n", db_path);
#ifndef __OPTIMIZE__
	printf("warning: built without optimisation (use -DCMAKE_BUILD_TYPE=Release)\n");
#endif
#if defined(__GNUC__) && !defined(__clang__)
	printf("compiler: gcc %s; lookups: median of %d runs of ~%.2g s CPU\n\n", __VERSION__, RUNS, seconds);
#else
	printf("compiler: %s; lookups: median of %d runs of ~%.2g s CPU\n\n", __VERSION__, RUNS, seconds);
#endif
}

/* ---- Main ---- */

static void make_dir(void)
{
	strcpy(dir, "/tmp/ms-bench-reg-XXXXXX");
	if (!mkdtemp(dir)) {
		dir[0] = 0;
		die("mkdtemp", "cannot make the directory");
	}
	snprintf(db_path, sizeof db_path, "%s/registrar.db", dir);
}

static void run_lookups(struct ms_registrar *r, unsigned n, double seconds)
{
	char *hit_text, *miss_text;
	struct ms_str *hit = make_keys(0, n, &hit_text);
	struct ms_str *miss = make_keys(n, n, &miss_text); /* users never registered */
	int64_t now = (int64_t)time(NULL);
	verify_lookups(r, hit, miss, now);
	printf("\nlookup (ms_registrar_lookup, keys in random order; median of %d, min .. max)\n", RUNS);
	struct lookup_case c = { r, hit, n, now, false };
	print_lookup("existing AOR, independent", measure_lookup(&c, seconds));
	c.chained = true;
	print_lookup("existing AOR, chained", measure_lookup(&c, seconds));
	c = (struct lookup_case){ r, miss, n, now, false };
	print_lookup("missing AOR, independent", measure_lookup(&c, seconds));
	c.chained = true;
	print_lookup("missing AOR, chained", measure_lookup(&c, seconds));
	free(hit);
	free(hit_text);
	free(miss);
	free(miss_text);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	double seconds = argc > 2 ? strtod(argv[2], NULL) : 1.0;
	if (argc > 3 || n < 1 || n > (long)MAX_N || !(seconds > 0)) {
		fprintf(stderr, "usage: %s [N bindings, 1 .. %u] [SECONDS per lookup run]\n", argv[0], MAX_N);
		return 2;
	}
	make_dir();
	atexit(cleanup);
	print_header((unsigned)n, seconds);
	struct fill_stats f = fill((unsigned)n);
	print_fill(&f, (unsigned)n);
	static struct open_stats os;
	struct ms_registrar *r = timed_opens(&os, (unsigned)n);
	print_open(&os);
	print_mem(&os, (unsigned)n);
	run_lookups(r, (unsigned)n, seconds);
	ms_registrar_close(r);
	/* The filled file outlives the run when asked (to time a server's
	 * start with it); the rest of the directory goes at exit. */
	const char *keep = getenv("BENCH_KEEP_DB");
	if (keep && *keep && rename(db_path, keep) < 0)
		die(keep, strerror(errno));
	print_command(argc, argv);
	return 0;
}
