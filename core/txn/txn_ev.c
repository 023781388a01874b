/* The transaction timers on libev. Each ev_timer lives inside its
 * transaction's timer (no allocation per start), and libev keeps active
 * timers in a heap: starting, stopping and expiring one costs O(log n)
 * with thousands of transactions running. */
#include <assert.h>
#include <ev.h>

#include "txn/txn_env.h"

static_assert(sizeof(ev_timer) <= MS__TXN_TIMER_IMPL, "an ev_timer must fit in a transaction timer");

static ev_timer *watcher(struct ms_txn_timer *t)
{
	return (ev_timer *)(void *)t->impl.bytes;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct ms_txn_timer *t = w->data;
	t->fire(t);
}

static void timer_init(void *clock, struct ms_txn_timer *t)
{
	(void)clock;
	ev_timer *w = watcher(t);
	ev_init(w, on_timer);
	w->data = t;
}

static void timer_start(void *clock, struct ms_txn_timer *t, uint32_t ms)
{
	struct ev_loop *loop = clock;
	ev_timer *w = watcher(t);
	/* Relative to the loop's time, which is when the event that led here
	 * was seen: retransmission intervals do not drift by handling time. */
	ev_timer_stop(loop, w);
	ev_timer_set(w, ms / 1000.0, 0.0);
	ev_timer_start(loop, w);
}

static void timer_stop(void *clock, struct ms_txn_timer *t)
{
	ev_timer_stop((struct ev_loop *)clock, watcher(t));
}

static uint64_t now_ms(void *clock)
{
	return (uint64_t)(ev_now((struct ev_loop *)clock) * 1000.0);
}

void ms__txn_ev_clock(struct ms_txn_env *env, struct ev_loop *loop)
{
	env->clock = loop;
	env->timer_init = timer_init;
	env->timer_start = timer_start;
	env->timer_stop = timer_stop;
	env->now_ms = now_ms;
}
