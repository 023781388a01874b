/* A call generator on the UA layer (ms_ua), for tests/bench/ua.sh: calls
 * a SIPp UAS (`sipp -sn uas`) as SIPp's own UAC would. Each call is an
 * INVITE with a small SDP, the 2xx ACKed by the UA, a hold of --hold ms
 * (0: none), then BYE. Calls start at --rate per second (0: as fast as
 * the window lets), at most --window at once, --calls in all.
 *
 *	ua_load --target sip:service@127.0.0.1:5070 --rate 1000 --calls 10000
 *	ua_load --target ... --hold-all 10000     # memory per call up
 *
 * Prints one line, "RESULT key=value ...": calls started, completed (the
 * BYE ended them), failed (a final status >= 300, no answer, or the peer
 * hung up first), unfinished at --timeout, the time from the first
 * INVITE to the last end, and this process's CPU time (getrusage) over
 * that window. With --hold-all N it sets up N calls and keeps them up,
 * reads its resident memory (/proc/self/statm) and moonsip's live heap
 * (ms_mem_stats) before the first and once all are up, and again after
 * --settle seconds (the INVITE transactions' Accepted state is over by
 * then: dialogs alone), then hangs them all up. */
#define _GNU_SOURCE
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "moonsip/stack.h"
#include "moonsip/ua.h"

#define SDP                                                                                                 \
	"v=0\r\no=load 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP " \
	"0\r\n"                                                                                             \
	"a=rtpmap:0 PCMU/8000\r\n"

struct opts {
	const char *target, *listen;
	double rate, timeout, settle, tick_ms;
	unsigned calls, window, hold_ms, hold_all, t1;
};

/* One call in progress: its handle and its hold timer. */
struct slot {
	struct gen *g;
	struct ms_ua_call *c;
	ev_timer hold;
	struct slot *next_free;
};

struct gen {
	struct opts o;
	struct ev_loop *loop;
	struct ms_ua *ua;
	struct slot *slots, *free;
	unsigned started, completed, failed, answered, active, start_errors;
	double t_first, t_last;
	ev_timer tick, deadline;
	bool holding; /* --hold-all: calls stay up until hang_up_all() */
};

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long rss_kib(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static bool all_done(const struct gen *g)
{
	return g->completed + g->failed >= g->o.calls;
}

static void slot_done(struct slot *s, bool ok)
{
	struct gen *g = s->g;
	ev_timer_stop(g->loop, &s->hold);
	ms_ua_call_free(s->c);
	s->c = NULL;
	s->next_free = g->free;
	g->free = s;
	g->active--;
	ok ? g->completed++ : g->failed++;
	g->t_last = ev_now(g->loop);
	if (all_done(g))
		ev_break(g->loop, EVBREAK_ALL);
	else if (g->o.rate == 0 && g->started < g->o.calls && ev_is_active(&g->tick))
		ev_feed_event(g->loop, &g->tick, EV_TIMER); /* the next call, without waiting for a tick */
}

static void on_hold(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct slot *s = w->data;
	(void)loop;
	(void)revents;
	if (ms_ua_call_hangup(s->c) < 0)
		slot_done(s, false);
}

static void ev_answered(struct ms_ua_call *c, struct ms_str sdp, void *arg)
{
	struct slot *s = arg;
	(void)c;
	(void)sdp;
	s->g->answered++;
	if (s->g->holding)
		return;
	ev_timer_set(&s->hold, s->g->o.hold_ms / 1000.0, 0);
	if (s->g->o.hold_ms)
		ev_timer_start(s->g->loop, &s->hold);
	else
		on_hold(s->g->loop, &s->hold, 0);
}

static void ev_failed(struct ms_ua_call *c, unsigned status, void *arg)
{
	(void)c;
	(void)status;
	slot_done(arg, false);
}

static void ev_ended(struct ms_ua_call *c, enum ms_ua_end why, void *arg)
{
	(void)c;
	slot_done(arg, why == MS_UA_END_LOCAL);
}

static const struct ms_ua_call_events call_ev = { .answered = ev_answered,
						  .failed = ev_failed,
						  .ended = ev_ended };

static bool start_one(struct gen *g)
{
	struct slot *s = g->free;
	if (!s)
		return false;
	int rc = ms_ua_call_new(&s->c, g->ua, g->o.target, SDP, &call_ev, s);
	if (rc < 0) {
		if (g->start_errors++ == 0)
			fprintf(stderr, "ua_load: ms_ua_call_new: %s\n", ms_strerror(rc));
		g->failed++;
		g->started++;
		return true;
	}
	if (g->started++ == 0)
		g->t_first = ev_now(g->loop);
	g->free = s->next_free;
	g->active++;
	return true;
}

/* Starts what the rate owes by now, as far as the window lets. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gen *g = w->data;
	(void)revents;
	double t = ev_now(loop) - (g->t_first ? g->t_first : ev_now(loop));
	unsigned owed = g->o.calls;
	if (g->o.rate > 0) { /* the first call at once, then one each 1/rate s */
		double n = g->started ? g->o.rate * t + 1 : 1;
		owed = n < g->o.calls ? (unsigned)n : g->o.calls;
	}
	while (g->started < owed && start_one(g))
		;
	if (all_done(g))
		ev_break(loop, EVBREAK_ALL);
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ua_load --target URI [--listen SPEC] [--rate R] [--calls N] [--window W]\n"
		"               [--hold MS] [--timeout S] [--hold-all N [--settle S]] [--t1 MS]\n"
		"               [--tick MS]\n");
	exit(2);
}

static void parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = { { "target", 1, 0, 'T' },  { "listen", 1, 0, 'L' },
					    { "rate", 1, 0, 'r' },    { "calls", 1, 0, 'n' },
					    { "window", 1, 0, 'w' },  { "hold", 1, 0, 'd' },
					    { "timeout", 1, 0, 't' }, { "hold-all", 1, 0, 'H' },
					    { "settle", 1, 0, 's' },  { "t1", 1, 0, '1' },
					    { "tick", 1, 0, 'k' },    { 0, 0, 0, 0 } };
	*o = (struct opts){
		.listen = "udp:127.0.0.1:0", .calls = 1000, .window = 1000, .timeout = 120, .tick_ms = 10
	};
	for (int ch; (ch = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
		switch (ch) {
		case 'T': o->target = optarg; break;
		case 'L': o->listen = optarg; break;
		case 'r': o->rate = atof(optarg); break;
		case 'n': o->calls = (unsigned)atol(optarg); break;
		case 'w': o->window = (unsigned)atol(optarg); break;
		case 'd': o->hold_ms = (unsigned)atol(optarg); break;
		case 't': o->timeout = atof(optarg); break;
		case 'H': o->hold_all = (unsigned)atol(optarg); break;
		case 's': o->settle = atof(optarg); break;
		case '1': o->t1 = (unsigned)atol(optarg); break;
		case 'k': o->tick_ms = atof(optarg); break;
		default: usage();
		}
	}
	if (!o->target || !o->calls || !o->window)
		usage();
	if (o->hold_all) { /* every call stays up: the window is all of them */
		o->calls = o->window = o->hold_all;
	}
}

static int gen_open(struct gen *g, int argc, char **argv)
{
	parse(&g->o, argc, argv);
	g->loop = ev_default_loop(0);
	const char *listen[] = { g->o.listen, NULL };
	struct ms_ua_config cfg = { .loop = g->loop,
				    .listen = listen,
				    .aor = "sip:load@127.0.0.1",
				    .user_agent = "moonsip ua_load",
				    .log = { .level = MS_LOG_WARN },
				    .t1 = g->o.t1,
				    .max_calls = g->o.window };
	int rc = ms_ua_new(&g->ua, &cfg);
	if (rc < 0) {
		fprintf(stderr, "ua_load: ms_ua_new: %s\n", ms_strerror(rc));
		return rc;
	}
	g->slots = calloc(g->o.window, sizeof *g->slots);
	if (!g->slots)
		return MS_ENOMEM;
	for (unsigned i = g->o.window; i-- > 0;) {
		struct slot *s = &g->slots[i];
		s->g = g;
		ev_timer_init(&s->hold, on_hold, 0, 0);
		s->hold.data = s;
		s->next_free = g->free;
		g->free = s;
	}
	/* Calls start on a tick of --tick ms (default 10, SIPp's own timer
	 * resolution, -timer_resol), each tick starting what the rate owes by
	 * then; at rates below one call per tick, a tick per call. The waking
	 * up is part of what a generator costs. Without a rate, ends start
	 * the next calls and the tick only keeps watch. */
	double tick = g->o.tick_ms / 1000;
	double every = g->o.rate > 0 && 1 / g->o.rate > tick ? 1 / g->o.rate : tick;
	ev_timer_init(&g->tick, on_tick, 0, every);
	g->tick.data = g;
	ev_timer_init(&g->deadline, on_deadline, g->o.timeout, 0);
	return 0;
}

/* Runs the loop until every call is over or the deadline. */
static void run(struct gen *g)
{
	ev_timer_start(g->loop, &g->tick);
	ev_timer_start(g->loop, &g->deadline);
	ev_run(g->loop, 0);
	ev_timer_stop(g->loop, &g->tick);
}

static void on_settled(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Memory: all calls set up and held; read; hang them all up. */
static void hold_all(struct gen *g)
{
	struct ms_mem_stats m0, m1, m2;
	long r0 = rss_kib();
	ms_mem_stats(&m0);
	g->holding = true;
	ev_timer_start(g->loop, &g->tick);
	ev_timer_start(g->loop, &g->deadline);
	while (g->answered + g->failed < g->o.calls && ev_is_active(&g->deadline))
		ev_run(g->loop, EVRUN_ONCE);
	ev_timer_stop(g->loop, &g->tick);
	double t_up = ev_now(g->loop) - g->t_first;
	long r1 = rss_kib();
	ms_mem_stats(&m1);
	ev_timer settle;
	ev_timer_init(&settle, on_settled, g->o.settle, 0);
	ev_timer_start(g->loop, &settle);
	ev_run(g->loop, 0);
	long r2 = rss_kib();
	ms_mem_stats(&m2);
	unsigned up = g->answered;
	double n = up ? up : 1;
	printf("RESULT mode=hold_all up=%u failed=%u setup_s=%.3f rss0_kib=%ld rss_up_kib=%ld "
	       "rss_settled_kib=%ld "
	       "heap0_bytes=%lld heap_up_bytes=%lld heap_settled_bytes=%lld settle_s=%.1f "
	       "rss_per_call_up_bytes=%.0f heap_per_call_up_bytes=%.0f rss_per_call_settled_bytes=%.0f "
	       "heap_per_call_settled_bytes=%.0f blocks_per_call_settled=%.1f\n",
	       up, g->failed, t_up, r0, r1, r2, (long long)m0.live_bytes, (long long)m1.live_bytes,
	       (long long)m2.live_bytes, g->o.settle, (r1 - r0) * 1024.0 / n,
	       (double)(m1.live_bytes - m0.live_bytes) / n, (r2 - r0) * 1024.0 / n,
	       (double)(m2.live_bytes - m0.live_bytes) / n, (double)(m2.live_blocks - m0.live_blocks) / n);
	fflush(stdout);
	/* Now let them go: every call still up gets its BYE. */
	g->holding = false;
	g->completed = g->failed = 0;
	g->o.calls = up;
	for (unsigned i = 0; i < g->o.window; i++)
		if (g->slots[i].c && ms_ua_call_hangup(g->slots[i].c) < 0)
			slot_done(&g->slots[i], false);
	if (!all_done(g))
		ev_run(g->loop, 0);
}

static void report(struct gen *g, double cpu0, double cpu1)
{
	double el = g->t_last > g->t_first ? g->t_last - g->t_first : 0;
	double done = g->completed + g->failed;
	printf("RESULT mode=load rate=%g window=%u hold_ms=%u started=%u completed=%u failed=%u "
	       "unfinished=%u "
	       "elapsed_s=%.3f calls_per_s=%.1f cpu_s=%.3f cpu_us_per_call=%.2f cpu_pct=%.1f\n",
	       g->o.rate, g->o.window, g->o.hold_ms, g->started, g->completed, g->failed, g->active, el,
	       el > 0 ? g->completed / el : 0, cpu1 - cpu0, done ? (cpu1 - cpu0) * 1e6 / done : 0,
	       el > 0 ? 100 * (cpu1 - cpu0) / el : 0);
}

int main(int argc, char **argv)
{
	struct gen g = { 0 };
	if (gen_open(&g, argc, argv) < 0)
		return 1;
	if (g.o.hold_all) {
		hold_all(&g);
	} else {
		double cpu0 = cpu_now();
		run(&g);
		report(&g, cpu0, cpu_now());
	}
	for (unsigned i = 0; i < g.o.window; i++)
		if (g.slots[i].c)
			ms_ua_call_free(g.slots[i].c);
	ms_ua_free(g.ua);
	free(g.slots);
	return 0;
}
