/* The transaction timers on libev. Each timer lives inside its transaction
 * (no allocation per start).
 *
 * Short timers (retransmissions) are plain ev_timers. Long ones (Timer J,
 * H, L, M, D, I, K, F, B: 64*T1 or T4, a second and more) are the bulk of
 * what a busy server has armed: every UDP transaction keeps one for 32 s
 * after its answer. Those go into a lane per duration instead, a list in
 * the order they were started, which is the order they fall due: starting
 * and stopping one is O(1) and touches only its neighbours, where libev's
 * heap of tens of thousands of timers costs O(log n) cache misses each. A
 * lane's one ev_timer fires for its first timer up to 1/64 of the duration
 * late (at most 500 ms) and expires every timer due by then, so at a few
 * hundred transactions a second the loop wakes a few times a second for
 * them, not once per transaction. No timer fires early. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <assert.h>
#include <ev.h>
#include <stddef.h>
#include <time.h>

#include "base/alloc.h"
#include "txn/txn_env.h"

#define LANE_MIN_MS 1000 /* shorter timers are plain ev_timers */
#define LANE_MAX_SLACK_MS 500
#define LANES 8 /* distinct long durations: 64*T1, T4, and a few of T2's steps */

struct lane;

/* A timer in a lane: linked in start order, due at 'due' (monotonic ns). */
struct node {
	struct node *prev, *next;
	uint64_t due;
	struct lane *lane;
};

struct lane {
	uint32_t ms, slack_ms;
	struct node *head, *tail;
	ev_timer w;
	struct clock *c;
};

struct clock {
	struct ev_loop *loop;
	unsigned nlanes;
	struct lane lane[LANES];
};

enum { IDLE, PLAIN, LANED };

struct impl {
	union {
		ev_timer w;
		struct node n;
	} u;
	unsigned char mode;
};

static_assert(sizeof(struct impl) <= MS__TXN_TIMER_IMPL, "a timer must fit in a transaction timer");

static struct impl *impl_of(struct ms_txn_timer *t)
{
	return (struct impl *)(void *)t->impl.bytes;
}

static struct ms_txn_timer *timer_of(struct node *n)
{
	return (struct ms_txn_timer *)(void *)((char *)n - offsetof(struct ms_txn_timer, impl));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_plain(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct ms_txn_timer *t = w->data;
	impl_of(t)->mode = IDLE;
	t->fire(t);
}

/* Arms the lane's watcher for its first timer, plus the slack. */
static void lane_arm(struct lane *l, uint64_t now)
{
	uint64_t at = l->head->due + (uint64_t)l->slack_ms * 1000000u;
	ev_timer_set(&l->w, at > now ? (double)(at - now) / 1e9 : 0.0, 0.0);
	ev_timer_start(l->c->loop, &l->w);
}

static void unlink_node(struct node *n)
{
	struct lane *l = n->lane;
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
}

/* Every timer of the lane due by now fires; a timer (re)started from a
 * callback is due later than now, so the walk ends. */
static void on_lane(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct lane *l = w->data;
	uint64_t now = mono_ns();
	while (l->head && l->head->due <= now) {
		struct node *n = l->head;
		unlink_node(n);
		struct ms_txn_timer *t = timer_of(n);
		impl_of(t)->mode = IDLE;
		t->fire(t);
	}
	if (l->head && !ev_is_active(&l->w))
		lane_arm(l, now);
}

static struct lane *lane_for(struct clock *c, uint32_t ms)
{
	for (unsigned i = 0; i < c->nlanes; i++)
		if (c->lane[i].ms == ms)
			return &c->lane[i];
	if (c->nlanes == LANES)
		return NULL;
	struct lane *l = &c->lane[c->nlanes++];
	l->ms = ms;
	l->slack_ms = ms / 64 < LANE_MAX_SLACK_MS ? ms / 64 : LANE_MAX_SLACK_MS;
	l->head = l->tail = NULL;
	l->c = c;
	ev_init(&l->w, on_lane);
	l->w.data = l;
	return l;
}

static void timer_init(void *clock, struct ms_txn_timer *t)
{
	(void)clock;
	impl_of(t)->mode = IDLE;
}

static void timer_stop(void *clock, struct ms_txn_timer *t)
{
	struct clock *c = clock;
	struct impl *im = impl_of(t);
	if (im->mode == PLAIN) {
		ev_timer_stop(c->loop, &im->u.w);
	} else if (im->mode == LANED) {
		struct lane *l = im->u.n.lane;
		unlink_node(&im->u.n);
		/* An empty lane must not keep the loop running; otherwise its
		 * watcher stays armed and re-arms itself when it fires. */
		if (!l->head)
			ev_timer_stop(c->loop, &l->w);
	}
	im->mode = IDLE;
}

static void timer_start(void *clock, struct ms_txn_timer *t, uint32_t ms)
{
	struct clock *c = clock;
	struct impl *im = impl_of(t);
	timer_stop(clock, t);
	struct lane *l = ms >= LANE_MIN_MS ? lane_for(c, ms) : NULL;
	if (!l) {
		/* Relative to the loop's time, which is when the event that led
		 * here was seen: retransmission intervals do not drift by
		 * handling time. */
		ev_init(&im->u.w, on_plain);
		im->u.w.data = t;
		ev_timer_set(&im->u.w, ms / 1000.0, 0.0);
		ev_timer_start(c->loop, &im->u.w);
		im->mode = PLAIN;
		return;
	}
	struct node *n = &im->u.n;
	uint64_t now = mono_ns();
	n->due = now + (uint64_t)ms * 1000000u;
	n->lane = l;
	n->next = NULL;
	n->prev = l->tail;
	/* The clock is monotonic and the duration the lane's own: the new
	 * timer is due last. */
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
	im->mode = LANED;
	if (!ev_is_active(&l->w))
		lane_arm(l, now);
}

static uint64_t now_ms(void *clock)
{
	return (uint64_t)(ev_now(((struct clock *)clock)->loop) * 1000.0);
}

int ms__txn_ev_clock(struct ms_txn_env *env, struct ev_loop *loop)
{
	struct clock *c = ms__calloc(1, sizeof *c);
	if (!c)
		return MS_ENOMEM;
	c->loop = loop;
	env->clock = c;
	env->timer_init = timer_init;
	env->timer_start = timer_start;
	env->timer_stop = timer_stop;
	env->now_ms = now_ms;
	return 0;
}

void ms__txn_ev_clock_free(struct ms_txn_env *env)
{
	struct clock *c = env->clock;
	if (!c)
		return;
	for (unsigned i = 0; i < c->nlanes; i++)
		ev_timer_stop(c->loop, &c->lane[i].w);
	ms__free(c);
	env->clock = NULL;
}
