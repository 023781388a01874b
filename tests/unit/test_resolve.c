/* The resolver on a real libev loop, without a byte of network traffic:
 * numeric hosts, "localhost" from /etc/hosts, and otherwise a fake lookup
 * behind a gate the test opens, so that "still running on its thread" is a
 * state the test holds for as long as it wants (timeouts, cancel, free). */
#define _POSIX_C_SOURCE 200809L
#include <ev.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>

#include "dns/resolve_private.h"
#include "moonsip/addr.h"
#include "moonsip/resolve.h"
#include "test.h"

/* The fake lookup: blocks until the gate opens, then answers 192.0.2.1
 * and 2001:db8::1, or fails for names beginning "nx." or "again.". Static:
 * a worker may still be inside it after its resolver is gone. */
static struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool open;
	int entered, left, inside, max_inside;
} gate = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void gate_reset(bool open)
{
	pthread_mutex_lock(&gate.mu);
	gate.open = open;
	gate.entered = gate.left = gate.inside = gate.max_inside = 0;
	pthread_mutex_unlock(&gate.mu);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.open = true;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

/* A counter of the gate, read under its mutex (workers write them). */
static int gate_get(const int *counter)
{
	pthread_mutex_lock(&gate.mu);
	int v = *counter;
	pthread_mutex_unlock(&gate.mu);
	return v;
}

static int gated_lookup(const char *name, int family, uint16_t port, struct sockaddr_storage *out, void *ctx)
{
	struct gate *g = ctx;
	pthread_mutex_lock(&g->mu);
	g->entered++;
	if (++g->inside > g->max_inside)
		g->max_inside = g->inside;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	g->inside--;
	pthread_mutex_unlock(&g->mu);
	int n = 0;
	if (strncmp(name, "nx.", 3) == 0) {
		n = MS_ENOENT;
	} else if (strncmp(name, "again.", 6) == 0) {
		n = MS_EAGAIN;
	} else {
		if (family != AF_INET6)
			ms_addr_set(&out[n++], MS_STR("192.0.2.1"), port);
		if (family != AF_INET)
			ms_addr_set(&out[n++], MS_STR("2001:db8::1"), port);
	}
	pthread_mutex_lock(&g->mu);
	g->left++;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Waits (bounded) until *counter of the gate reaches n. */
static bool gate_wait(const int *counter, int n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&gate.mu);
	int rc = 0;
	while (*counter < n && rc == 0)
		rc = pthread_cond_timedwait(&gate.cv, &gate.mu, &until);
	bool ok = *counter >= n;
	pthread_mutex_unlock(&gate.mu);
	return ok;
}

struct world {
	struct ev_loop *loop;
	struct ms_resolver *r;
	int calls; /* callbacks in all */
	int want;  /* the loop stops when calls reach it */
	struct ms_mem_stats before;
};

struct answer {
	struct world *w;
	int calls;
	int err;
	size_t n;
	struct sockaddr_storage addrs[MS_RESOLVE_MAX];
	bool addrs_null;
	/* What the callback does. */
	struct ms_resolve *cancel;
	bool free_resolver;
	struct answer *start; /* starts a numeric lookup answered here */
};

static void on_answer(int err, const struct sockaddr_storage *addrs, size_t n, void *arg)
{
	struct answer *a = arg;
	a->calls++;
	a->err = err;
	a->n = n;
	a->addrs_null = addrs == NULL;
	if (addrs && n <= MS_RESOLVE_MAX)
		memcpy(a->addrs, addrs, n * sizeof *addrs);
	struct world *w = a->w;
	if (a->cancel)
		ms_resolve_cancel(a->cancel);
	if (a->start)
		ms_resolve(w->r, MS_STR("192.0.2.9"), AF_UNSPEC, 9, on_answer, a->start, NULL);
	if (a->free_resolver) {
		ms_resolver_free(w->r);
		w->r = NULL;
	}
	if (++w->calls >= w->want)
		ev_break(w->loop, EVBREAK_ALL);
}

static void world_init(struct world *w, uint32_t timeout_ms, bool fake)
{
	memset(w, 0, sizeof *w);
	ms_mem_stats(&w->before);
	w->loop = ev_loop_new(EVFLAG_AUTO);
	ASSERT(w->loop);
	ASSERT_INT(ms_resolver_new(&w->r, w->loop, timeout_ms), 0);
	if (fake) {
		gate_reset(false);
		ms__resolver_set_lookup(w->r, gated_lookup, &gate);
	}
}

/* Waits (bounded) until everything the test's resolver allocated is gone,
 * what its workers hold included: the resolver must be freed. */
static void wait_quiet(struct world *w)
{
	struct ms_mem_stats s;
	double until = now() + 5;
	for (;;) {
		ms_mem_stats(&s);
		if (s.live_blocks == w->before.live_blocks || now() > until)
			break;
		sleep_ms(1);
	}
	ASSERT_INT(s.live_blocks, w->before.live_blocks);
}

static void world_free(struct world *w)
{
	ms_resolver_free(w->r);
	w->r = NULL;
	wait_quiet(w);
	ev_loop_destroy(w->loop);
}

static void run(struct world *w, int want)
{
	w->want = want;
	ms_test_run_bounded(w->loop, 5.0);
}

static void on_poll(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	struct world *w = t->data;
	if (ms__resolver_jobs(w->r) == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* Runs the loop until the workers have handed back or dropped every job. */
static void run_until_no_jobs(struct world *w)
{
	ev_timer t;
	ev_timer_init(&t, on_poll, 0.001, 0.001);
	t.data = w;
	ev_timer_start(w->loop, &t);
	ms_test_run_bounded(w->loop, 5.0);
	ev_timer_stop(w->loop, &t);
	ASSERT_INT(ms__resolver_jobs(w->r), 0);
}

static struct ms_str z(const char *s)
{
	return (struct ms_str){ s, strlen(s) };
}

/* An address as "192.0.2.1:5060", in a slice for ASSERT_STR. */
static struct ms_str fmt(const struct sockaddr_storage *a, char buf[MS_ADDR_STRLEN])
{
	return z(ms_addr_format(a, buf));
}

TEST(resolve_numeric)
{
	static const struct {
		const char *host;
		int family;
		uint16_t port;
		int err;
		const char *want;
	} cases[] = {
		{ "192.0.2.7", AF_UNSPEC, 5060, 0, "192.0.2.7:5060" },
		{ "192.0.2.7", AF_INET, 5060, 0, "192.0.2.7:5060" },
		{ "2001:db8::1", AF_UNSPEC, 5061, 0, "[2001:db8::1]:5061" },
		{ "[2001:db8::1]", AF_INET6, 5062, 0, "[2001:db8::1]:5062" },
		{ "[::1]", AF_UNSPEC, 0, 0, "[::1]:0" },
		{ "::ffff:192.0.2.1", AF_INET6, 1, 0, "[::ffff:192.0.2.1]:1" },
		{ "192.0.2.7", AF_INET6, 5060, MS_ENOENT, NULL },
		{ "[2001:db8::1]", AF_INET, 5060, MS_ENOENT, NULL },
	};
	struct world w;
	world_init(&w, 0, true);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct answer a = { .w = &w };
		struct ms_resolve *q = NULL;
		ASSERT_INT(
			ms_resolve(w.r, z(cases[i].host), cases[i].family, cases[i].port, on_answer, &a, &q),
			0);
		ASSERT(q != NULL);
		ASSERT_INT(a.calls, 0); /* never inside ms_resolve */
		run(&w, (int)i + 1);
		ASSERT_INT(a.calls, 1);
		ASSERT_INT(a.err, cases[i].err);
		char buf[MS_ADDR_STRLEN];
		if (cases[i].want) {
			ASSERT_INT(a.n, 1);
			ASSERT_STR(fmt(&a.addrs[0], buf), cases[i].want);
		} else {
			ASSERT_INT(a.n, 0);
			ASSERT(a.addrs_null);
		}
	}
	/* Numeric hosts take no worker. */
	ASSERT_INT(gate_get(&gate.entered), 0);
	world_free(&w);
}

TEST(resolve_refuses_bad_hosts)
{
	char long_name[300], long_label[80];
	/* 254 characters: "a.a.a. ... a.aa" */
	for (int i = 0; i < 254; i++)
		long_name[i] = (i % 2) ? '.' : 'a';
	long_name[253] = 'a';
	long_name[254] = 0;
	memset(long_label, 'a', 64);
	memcpy(long_label + 64, ".example", 9);
	const struct ms_str bad[] = {
		MS_STR(""),
		MS_STR_NULL,
		MS_STR("."),
		MS_STR("exa mple.com"),
		MS_STR("a_b.example"),
		MS_STR("a..b"),
		MS_STR(".example"),
		MS_STR("example.."),
		MS_STR("-"),
		MS_STR("1.2.3.256"),
		MS_STR("127.1"),
		MS_STR("0x7f000001"),
		MS_STR("12345"),
		MS_STR("example.123"),
		MS_STR("[192.0.2.1]"),
		MS_STR("[example.com]"),
		MS_STR("[::1"),
		MS_STR("::1]"),
		MS_STR("fe80::1%eth0"),
		MS_STR("1.2.3.4\0evil"),
		MS_STR("host\0.example"),
		MS_STR("b\xc3\xbc"
		       "cher.example"),
		{ long_name, 254 },
		{ long_label, strlen(long_label) },
	};
	struct world w;
	world_init(&w, 0, true);
	struct answer a = { .w = &w };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ms_mem_stats m0, m1;
		struct ms_resolve *q = (struct ms_resolve *)&a; /* must stay untouched */
		ms_mem_stats(&m0);
		int rc = ms_resolve(w.r, bad[i], AF_UNSPEC, 5060, on_answer, &a, &q);
		ms_mem_stats(&m1);
		if (rc != MS_EINVAL)
			ms_test_fail(__FILE__, __LINE__, "case %zu \"%.*s\": %d", i, (int)bad[i].len,
				     bad[i].s ? bad[i].s : "", rc);
		ASSERT(q == (struct ms_resolve *)&a);
		ASSERT(m1.allocs == m0.allocs); /* nothing made, nothing looked up */
	}
	/* Bad arguments other than the host. */
	ASSERT_INT(ms_resolve(w.r, MS_STR("192.0.2.1"), AF_UNIX, 5060, on_answer, &a, NULL), MS_EINVAL);
	ASSERT_INT(ms_resolve(w.r, MS_STR("localhost"), 12345, 5060, on_answer, &a, NULL), MS_EINVAL);
	ASSERT_INT(ms_resolve(w.r, MS_STR("192.0.2.1"), AF_INET, 5060, NULL, &a, NULL), MS_EINVAL);
	ASSERT_INT(ms_resolve(NULL, MS_STR("192.0.2.1"), AF_INET, 5060, on_answer, &a, NULL), MS_EINVAL);
	ASSERT_INT(ms_resolver_new(&w.r, NULL, 0), MS_EINVAL);
	ASSERT(w.r != NULL);
	ms_test_run_bounded(w.loop, 0.02);
	ASSERT_INT(a.calls, 0);
	ASSERT_INT(gate_get(&gate.entered), 0);
	world_free(&w);
}

TEST(resolve_name_limits)
{
	char longest[260], label63[80];
	/* 253 characters, and the same with the root's dot: accepted. */
	for (int i = 0; i < 253; i++)
		longest[i] = (i % 2) ? '.' : 'a';
	longest[253] = '.';
	longest[254] = 0;
	memset(label63, 'b', 63);
	memcpy(label63 + 63, ".example", 9);
	const struct ms_str good[] = {
		{ longest, 253 },    { longest, 254 },           { label63, strlen(label63) },
		MS_STR("localhost"), MS_STR("sip.example.com."), MS_STR("xn--bcher-kva.example"),
		MS_STR("a-b.c-d"),   MS_STR("1.2.3.example"),    MS_STR("EXAMPLE.COM"),
	};
	size_t count = sizeof good / sizeof good[0];
	struct world w;
	world_init(&w, 0, true);
	gate_open();
	struct answer a[sizeof good / sizeof good[0]];
	for (size_t i = 0; i < count; i++) {
		a[i] = (struct answer){ .w = &w };
		ASSERT_INT(ms_resolve(w.r, good[i], AF_UNSPEC, 7000 + (uint16_t)i, on_answer, &a[i], NULL),
			   0);
	}
	run(&w, (int)count);
	for (size_t i = 0; i < count; i++) {
		char buf[MS_ADDR_STRLEN], want[MS_ADDR_STRLEN];
		ASSERT_INT(a[i].calls, 1);
		ASSERT_INT(a[i].err, 0);
		ASSERT_INT(a[i].n, 2);
		snprintf(want, sizeof want, "192.0.2.1:%zu", 7000 + i);
		ASSERT_STR(fmt(&a[i].addrs[0], buf), want);
		snprintf(want, sizeof want, "[2001:db8::1]:%zu", 7000 + i);
		ASSERT_STR(fmt(&a[i].addrs[1], buf), want);
	}
	ASSERT_INT(gate_get(&gate.entered), (int)count);
	world_free(&w);
}

/* The real getaddrinfo, on a name every machine has in /etc/hosts. */
TEST(resolve_localhost)
{
	struct world w;
	world_init(&w, 0, false);
	struct answer any = { .w = &w }, v4 = { .w = &w };
	ASSERT_INT(ms_resolve(w.r, MS_STR("localhost"), AF_UNSPEC, 5060, on_answer, &any, NULL), 0);
	ASSERT_INT(ms_resolve(w.r, MS_STR("LocalHost"), AF_INET, 5080, on_answer, &v4, NULL), 0);
	ASSERT_INT(any.calls + v4.calls, 0);
	run(&w, 2);
	ASSERT_INT(any.calls, 1);
	ASSERT_INT(any.err, 0);
	ASSERT(any.n >= 1 && any.n <= MS_RESOLVE_MAX);
	bool loopback = false;
	for (size_t i = 0; i < any.n; i++) {
		char buf[MS_ADDR_STRLEN];
		struct ms_str s = fmt(&any.addrs[i], buf);
		ASSERT(any.addrs[i].ss_family == AF_INET || any.addrs[i].ss_family == AF_INET6);
		ASSERT_INT(ms_addr_port(&any.addrs[i]), 5060);
		loopback |= ms_str_eq(s, MS_STR("127.0.0.1:5060")) || ms_str_eq(s, MS_STR("[::1]:5060"));
		for (size_t j = 0; j < i; j++)
			ASSERT(!ms_addr_equal(&any.addrs[i], &any.addrs[j]));
	}
	ASSERT(loopback);
	char buf[MS_ADDR_STRLEN];
	ASSERT_INT(v4.calls, 1);
	ASSERT_INT(v4.err, 0);
	ASSERT(v4.n >= 1);
	ASSERT_STR(fmt(&v4.addrs[0], buf), "127.0.0.1:5080");
	for (size_t i = 0; i < v4.n; i++)
		ASSERT_INT(v4.addrs[i].ss_family, AF_INET);
	world_free(&w);
}

/* A worker that has finished does not call back: the loop does, later. */
TEST(resolve_answers_on_the_loop_only)
{
	struct world w;
	world_init(&w, 0, true);
	gate_open();
	struct answer a = { .w = &w };
	ASSERT_INT(ms_resolve(w.r, MS_STR("sip.example"), AF_INET, 5060, on_answer, &a, NULL), 0);
	ASSERT(gate_wait(&gate.left, 1));
	sleep_ms(20); /* time for the worker to hand the answer over */
	ASSERT_INT(a.calls, 0);
	run(&w, 1);
	ASSERT_INT(a.calls, 1);
	ASSERT_INT(a.err, 0);
	ASSERT_INT(a.n, 1);
	char buf[MS_ADDR_STRLEN];
	ASSERT_STR(fmt(&a.addrs[0], buf), "192.0.2.1:5060");
	ASSERT_INT(ms__resolver_jobs(w.r), 0);
	world_free(&w);
}

TEST(resolve_lookup_errors)
{
	struct world w;
	world_init(&w, 0, true);
	gate_open();
	struct answer nx = { .w = &w }, again = { .w = &w };
	ASSERT_INT(ms_resolve(w.r, MS_STR("nx.example"), AF_UNSPEC, 5060, on_answer, &nx, NULL), 0);
	ASSERT_INT(ms_resolve(w.r, MS_STR("again.example"), AF_UNSPEC, 5060, on_answer, &again, NULL), 0);
	run(&w, 2);
	ASSERT_INT(nx.calls, 1);
	ASSERT_INT(nx.err, MS_ENOENT);
	ASSERT_INT(nx.n, 0);
	ASSERT(nx.addrs_null);
	ASSERT_INT(again.calls, 1);
	ASSERT_INT(again.err, MS_EAGAIN);
	ASSERT(again.addrs_null);
	world_free(&w);
}

static void ai_v4(struct addrinfo *ai, struct sockaddr_in *sa, const char *ip)
{
	struct sockaddr_storage ss;
	ASSERT_INT(ms_addr_set(&ss, z(ip), 1), 0);
	memcpy(sa, &ss, sizeof *sa);
	*ai = (struct addrinfo){ .ai_family = AF_INET,
				 .ai_addrlen = sizeof *sa,
				 .ai_addr = (struct sockaddr *)sa };
}

static void ai_v6(struct addrinfo *ai, struct sockaddr_in6 *sa, const char *ip, uint32_t scope)
{
	struct sockaddr_storage ss;
	ASSERT_INT(ms_addr_set(&ss, z(ip), 2), 0);
	memcpy(sa, &ss, sizeof *sa);
	sa->sin6_scope_id = scope;
	*ai = (struct addrinfo){ .ai_family = AF_INET6,
				 .ai_addrlen = sizeof *sa,
				 .ai_addr = (struct sockaddr *)sa };
}

/* getaddrinfo's list: order kept, duplicates and other families dropped,
 * eight at most, every port set. */
TEST(resolve_from_addrinfo)
{
	struct addrinfo ai[14];
	struct sockaddr_in v4[14];
	struct sockaddr_in6 v6[14];
	ai_v4(&ai[0], &v4[0], "192.0.2.1");
	ai_v6(&ai[1], &v6[1], "2001:db8::1", 0);
	ai_v4(&ai[2], &v4[2], "192.0.2.1");
	ai_v6(&ai[3], &v6[3], "2001:db8::1", 0);
	ai_v6(&ai[4], &v6[4], "fe80::1", 2);
	ai_v6(&ai[5], &v6[5], "fe80::1", 3);
	ai[6] = (struct addrinfo){ .ai_family = AF_UNIX };
	ai_v4(&ai[7], &v4[7], "192.0.2.2");
	ai_v4(&ai[8], &v4[8], "192.0.2.3");
	ai_v4(&ai[9], &v4[9], "192.0.2.4");
	ai_v4(&ai[10], &v4[10], "192.0.2.2");
	ai_v4(&ai[11], &v4[11], "192.0.2.5");
	ai_v4(&ai[12], &v4[12], "192.0.2.6");
	ai_v4(&ai[13], &v4[13], "192.0.2.7");
	for (int i = 0; i < 13; i++)
		ai[i].ai_next = &ai[i + 1];
	struct sockaddr_storage out[MS_RESOLVE_MAX];
	static const char *const want[] = {
		"192.0.2.1:5060", "[2001:db8::1]:5060", "[fe80::1]:5060", "[fe80::1]:5060",
		"192.0.2.2:5060", "192.0.2.3:5060",     "192.0.2.4:5060", "192.0.2.5:5060",
	};
	ASSERT_INT(ms__dns_from_addrinfo(ai, 5060, out, MS_RESOLVE_MAX), 8);
	for (int i = 0; i < 8; i++) {
		char buf[MS_ADDR_STRLEN];
		ASSERT_STR(fmt(&out[i], buf), want[i]);
	}
	ASSERT_INT(((struct sockaddr_in6 *)&out[2])->sin6_scope_id, 2);
	ASSERT_INT(((struct sockaddr_in6 *)&out[3])->sin6_scope_id, 3);
	ASSERT_INT(ms__dns_from_addrinfo(ai, 1, out, 2), 2);
	ASSERT_INT(ms__dns_from_addrinfo(&ai[6], 1, out, 8), 6); /* .2 twice */
	ASSERT_INT(ms__dns_from_addrinfo(NULL, 1, out, 8), 0);
}

TEST(resolve_gai_errors)
{
	ASSERT_INT(ms__dns_gai_error(EAI_NONAME), MS_ENOENT);
	ASSERT_INT(ms__dns_gai_error(EAI_AGAIN), MS_EAGAIN);
	ASSERT_INT(ms__dns_gai_error(EAI_MEMORY), MS_ENOMEM);
	ASSERT_INT(ms__dns_gai_error(EAI_FAIL), MS_EPROTO);
	ASSERT_INT(ms__dns_gai_error(EAI_FAMILY), MS_EINVAL);
	ASSERT_INT(ms__dns_gai_error(12345), MS_EPROTO);
}

/* Cancelled while queued (freed at once), while running (dropped by its
 * worker), and a numeric one before the loop ran: no callback, no leak. */
TEST(resolve_cancel)
{
	enum { N = MS__DNS_THREADS + 2 };
	struct world w;
	world_init(&w, 0, true);
	struct answer a[N], num = { .w = &w };
	struct ms_resolve *q[N], *qn;
	for (int i = 0; i < N; i++) {
		a[i] = (struct answer){ .w = &w };
		ASSERT_INT(ms_resolve(w.r, MS_STR("sip.example"), AF_UNSPEC, 5060, on_answer, &a[i], &q[i]),
			   0);
	}
	ASSERT_INT(ms_resolve(w.r, MS_STR("192.0.2.1"), AF_UNSPEC, 5060, on_answer, &num, &qn), 0);
	ASSERT(gate_wait(&gate.entered, MS__DNS_THREADS));
	ASSERT_INT(ms__resolver_jobs(w.r), N);
	ms_resolve_cancel(q[N - 1]); /* queued */
	ASSERT_INT(ms__resolver_jobs(w.r), N - 1);
	ms_resolve_cancel(q[0]); /* running: its worker still holds it */
	ASSERT_INT(ms__resolver_jobs(w.r), N - 1);
	ms_resolve_cancel(qn);
	ms_resolve_cancel(NULL);
	gate_open();
	run(&w, N - 2);
	run_until_no_jobs(&w);
	ms_test_run_bounded(w.loop, 0.02);
	ASSERT_INT(w.calls, N - 2);
	ASSERT_INT(a[0].calls, 0);
	ASSERT_INT(a[N - 1].calls, 0);
	ASSERT_INT(num.calls, 0);
	for (int i = 1; i < N - 1; i++) {
		ASSERT_INT(a[i].calls, 1);
		ASSERT_INT(a[i].err, 0);
	}
	ASSERT_INT(gate_get(&gate.entered), N - 1); /* the queued one never ran */
	ASSERT(gate_get(&gate.max_inside) <= MS__DNS_THREADS);
	world_free(&w);
}

/* The resolver freed with lookups queued, running, and done but not yet
 * handed back: no callback ever, and the workers free what they hold. */
TEST(resolve_free_in_flight)
{
	enum { N = MS__DNS_THREADS + 2 };
	struct world w;
	world_init(&w, 0, true);
	struct answer a[N + 1];
	for (int i = 0; i < N; i++) {
		a[i] = (struct answer){ .w = &w };
		ASSERT_INT(ms_resolve(w.r, MS_STR("sip.example"), AF_UNSPEC, 5060, on_answer, &a[i], NULL),
			   0);
	}
	a[N] = (struct answer){ .w = &w };
	ASSERT_INT(ms_resolve(w.r, MS_STR("[::1]"), AF_UNSPEC, 5060, on_answer, &a[N], NULL), 0);
	ASSERT(gate_wait(&gate.entered, MS__DNS_THREADS));
	ms_resolver_free(w.r);
	w.r = NULL;
	gate_open();
	wait_quiet(&w);
	ASSERT_INT(gate_get(&gate.left), MS__DNS_THREADS);
	ms_test_run_bounded(w.loop, 0.02);
	ASSERT_INT(w.calls, 0);

	/* Answers waiting on the done list when the resolver goes. */
	ASSERT_INT(ms_resolver_new(&w.r, w.loop, 0), 0);
	gate_reset(true);
	ms__resolver_set_lookup(w.r, gated_lookup, &gate);
	for (int i = 0; i < 3; i++)
		ASSERT_INT(ms_resolve(w.r, MS_STR("sip.example"), AF_UNSPEC, 5060, on_answer, &a[i], NULL),
			   0);
	ASSERT(gate_wait(&gate.left, 3));
	sleep_ms(20);
	world_free(&w);
	ASSERT_INT(w.calls, 0);
}

/* A lookup that takes too long fails with MS_EAGAIN when its time is up,
 * whether it was running or still queued; the late answer is dropped. */
TEST(resolve_timeout)
{
	enum { N = MS__DNS_THREADS + 1 };
	struct world w;
	world_init(&w, 30, true);
	struct answer a[N];
	ev_now_update(w.loop); /* the timeouts count from here */
	double t0 = now();
	for (int i = 0; i < N; i++) {
		a[i] = (struct answer){ .w = &w };
		ASSERT_INT(ms_resolve(w.r, MS_STR("slow.example"), AF_UNSPEC, 5060, on_answer, &a[i], NULL),
			   0);
	}
	ASSERT(gate_wait(&gate.entered, MS__DNS_THREADS));
	run(&w, N);
	ASSERT(now() - t0 >= 0.025);
	for (int i = 0; i < N; i++) {
		ASSERT_INT(a[i].calls, 1);
		ASSERT_INT(a[i].err, MS_EAGAIN);
		ASSERT_INT(a[i].n, 0);
		ASSERT(a[i].addrs_null);
	}
	/* The queued one is gone, the running ones are their workers'. */
	ASSERT_INT(ms__resolver_jobs(w.r), MS__DNS_THREADS);
	gate_open();
	run_until_no_jobs(&w);
	ms_test_run_bounded(w.loop, 0.02);
	ASSERT_INT(w.calls, N);
	ASSERT_INT(gate_get(&gate.entered), MS__DNS_THREADS);
	world_free(&w);
}

/* A callback may free the resolver, cancel another lookup, or start one. */
TEST(resolve_callback_reentry)
{
	struct world w;
	world_init(&w, 0, true);
	gate_open();
	struct answer a[3], b[2], started = { .w = &w };
	struct ms_resolve *qb[2];
	for (int i = 0; i < 2; i++) {
		b[i] = (struct answer){ .w = &w, .start = &started };
		ASSERT_INT(ms_resolve(w.r, MS_STR("sip.example"), AF_UNSPEC, 5060, on_answer, &b[i], &qb[i]),
			   0);
	}
	b[0].cancel = qb[1];
	b[1].cancel = qb[0];
	ASSERT(gate_wait(&gate.left, 2));
	sleep_ms(20);
	run(&w, 2);
	ms_test_run_bounded(w.loop, 0.02);
	ASSERT_INT(b[0].calls + b[1].calls, 1); /* whichever came first cancelled the other */
	ASSERT_INT(started.calls, 1);
	ASSERT_INT(started.err, 0);
	ASSERT_INT(ms_addr_port(&started.addrs[0]), 9);
	ASSERT_INT(ms__resolver_jobs(w.r), 0);

	/* Freed from the first of three answers, with a numeric one pending. */
	gate_reset(true);
	w.calls = 0;
	for (int i = 0; i < 3; i++) {
		a[i] = (struct answer){ .w = &w, .free_resolver = true };
		ASSERT_INT(ms_resolve(w.r, MS_STR("sip.example"), AF_UNSPEC, 5060, on_answer, &a[i], NULL),
			   0);
	}
	ASSERT(gate_wait(&gate.left, 3));
	sleep_ms(20);
	run(&w, 1);
	ASSERT(w.r == NULL);
	ms_test_run_bounded(w.loop, 0.02);
	ASSERT_INT(w.calls, 1);
	world_free(&w);
}

/* Many lookups at once: all answered, never more workers than the limit. */
TEST(resolve_many)
{
	enum { N = 200 };
	struct world w;
	world_init(&w, 0, true);
	gate_open();
	static struct answer a[N];
	for (int i = 0; i < N; i++) {
		a[i] = (struct answer){ .w = &w };
		ASSERT_INT(ms_resolve(w.r, MS_STR("sip.example"), i % 2 ? AF_INET : AF_INET6, (uint16_t)i,
				      on_answer, &a[i], NULL),
			   0);
	}
	run(&w, N);
	ASSERT_INT(w.calls, N);
	for (int i = 0; i < N; i++) {
		ASSERT_INT(a[i].calls, 1);
		ASSERT_INT(a[i].n, 1);
		ASSERT_INT(a[i].addrs[0].ss_family, i % 2 ? AF_INET : AF_INET6);
		ASSERT_INT(ms_addr_port(&a[i].addrs[0]), i);
	}
	ASSERT(gate_get(&gate.max_inside) >= 1 && gate_get(&gate.max_inside) <= MS__DNS_THREADS);
	world_free(&w);
}
