/* Internal: what the transaction layer runs on. The state machines call a
 * timer service and a transport through this table and nothing else, so the
 * same machines run on libev (txn_ev.c) in the stack and on a fake clock
 * and a recording transport in the unit tests. */
#ifndef MS_CORE_TXN_ENV_H
#define MS_CORE_TXN_ENV_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "moonsip/txn.h"

/* Room for the timer service's state inside each timer: an ev_timer is
 * 48 bytes on 64-bit targets (txn_ev.c checks that what it keeps fits). */
#define MS__TXN_TIMER_IMPL 64

/* A one-shot timer embedded in its transaction: starting one allocates
 * nothing, and a service keeps its own state in 'impl'. */
struct ms_txn_timer {
	/* Called by the service when the timer expires; set by the layer
	 * before timer_init. */
	void (*fire)(struct ms_txn_timer *t);
	union {
		max_align_t align;
		unsigned char bytes[MS__TXN_TIMER_IMPL];
	} impl;
};

struct ms_txn_env {
	/* The timer service. timer_init is called once per timer before any
	 * other use; timer_start (re)arms it to fire once 'ms' milliseconds
	 * from now (0: as soon as the service runs timers again, never from
	 * inside timer_start); timer_stop disarms it and is harmless on a
	 * timer that is not armed. now_ms is a monotonic clock. */
	void *clock;
	void (*timer_init)(void *clock, struct ms_txn_timer *t);
	void (*timer_start)(void *clock, struct ms_txn_timer *t, uint32_t ms);
	void (*timer_stop)(void *clock, struct ms_txn_timer *t);
	uint64_t (*now_ms)(void *clock);

	/* The transport. send returns 0 once the bytes are handed on, or a
	 * negative code when they cannot go now; errors learnt later come back
	 * through ms_txn_layer_transport_error(). A send never calls into the
	 * layer before it returns. reliable tells whether the peer's transport
	 * retransmits by itself (TCP, TLS, SCTP, WebSocket): the layer then
	 * does not, and sets the timers that wait for stray retransmissions to
	 * zero. */
	void *transport;
	int (*send)(void *transport, const struct ms_txn_peer *dst, const char *buf, size_t len);
	bool (*reliable)(void *transport, const struct ms_txn_peer *dst);
};

struct ev_loop;
/* Fills the timer service of 'env' with timers on 'loop' (0, or MS_ENOMEM);
 * ms__txn_ev_clock_free releases it once no timer of it is armed (after
 * the layer that used it is freed). Timers of a second and more may fire
 * up to 1/64 of their duration late (at most 500 ms), never early. */
int ms__txn_ev_clock(struct ms_txn_env *env, struct ev_loop *loop);
void ms__txn_ev_clock_free(struct ms_txn_env *env);

#endif
