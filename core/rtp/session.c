/* RTP sessions: two legs with a port pair each, their peers, the media
 * timeout and the figures. The forwarding itself is in relay.c. */
#define _GNU_SOURCE /* struct mmsghdr */
#include <netinet/in.h>
#include <string.h>

#include "base/alloc.h"
#include "moonsip/addr.h"
#include "rtp/rtp_private.h"

int ms_rtp_relay_new(struct ms_rtp_relay **out, struct ev_loop *loop, struct ms_rtp_pool *pool)
{
	if (!loop || !pool)
		return MS_EINVAL;
	/* About 2 MiB of batch buffers, of which only what datagrams fill is
	 * ever touched. */
	struct ms_rtp_relay *r = ms__calloc(1, sizeof *r);
	if (!r)
		return MS_ENOMEM;
	r->loop = loop;
	r->pool = pool;
	ms__rtp_relay_prepare(r);
	*out = r;
	return 0;
}

void ms_rtp_relay_free(struct ms_rtp_relay *r)
{
	if (!r)
		return;
	while (r->sessions)
		ms_rtp_session_free(r->sessions);
	ms__free(r);
}

unsigned ms_rtp_relay_sessions(const struct ms_rtp_relay *r)
{
	return r->nsessions;
}

static double last_activity(const struct ms_rtp_session *s)
{
	double t = s->start;
	for (int i = 0; i < 2; i++)
		if (s->leg[i].last_time > t)
			t = s->leg[i].last_time;
	return t;
}

/* The timer is not pushed back on every packet: when it fires, it looks at
 * the last packet and sleeps again for what is left (libev's advice for
 * timeouts that are mostly reset). */
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms_rtp_session *s =
		(struct ms_rtp_session *)((char *)w - offsetof(struct ms_rtp_session, timer));
	(void)revents;
	double left = last_activity(s) + s->timeout - ev_now(loop);
	if (left > 0) {
		ev_timer_set(w, left, 0);
		ev_timer_start(loop, w);
		return;
	}
	/* the timer is stopped: the callback may free the session */
	s->timeout_cb(s, s->arg);
}

static void leg_init(struct ms_rtp_session *s, unsigned i, uint32_t clock_rate)
{
	struct ms__rtp_leg *l = &s->leg[i];
	ms__rtp_rx_init(&l->rx, clock_rate);
	int fds[2] = { l->ports.rtp_fd, l->ports.rtcp_fd };
	for (unsigned k = 0; k < 2; k++) {
		l->sock[k] = (struct ms__rtp_sock){ .s = s, .leg = i, .kind = k };
		ev_io_init(&l->sock[k].io, ms__rtp_relay_readable, fds[k], EV_READ);
		ev_io_start(s->relay->loop, &l->sock[k].io);
	}
}

static void link_session(struct ms_rtp_relay *r, struct ms_rtp_session *s)
{
	s->next = r->sessions;
	if (r->sessions)
		r->sessions->prev = s;
	r->sessions = s;
	r->nsessions++;
}

int ms_rtp_session_new(struct ms_rtp_session **out, struct ms_rtp_relay *r,
		       const struct ms_rtp_session_config *cfg)
{
	if (!r || !cfg || cfg->timeout < 0 || (cfg->timeout > 0 && !cfg->timeout_cb))
		return MS_EINVAL;
	struct ms_rtp_session *s = ms__calloc(1, sizeof *s);
	if (!s)
		return MS_ENOMEM;
	int rc = ms_rtp_pool_alloc(r->pool, &s->leg[0].ports);
	if (rc < 0)
		goto fail;
	rc = ms_rtp_pool_alloc(r->pool, &s->leg[1].ports);
	if (rc < 0) {
		ms_rtp_pool_release(r->pool, &s->leg[0].ports);
		goto fail;
	}
	s->relay = r;
	s->timeout = cfg->timeout;
	s->timeout_cb = cfg->timeout_cb;
	s->arg = cfg->arg;
	s->start = ev_now(r->loop);
	for (unsigned i = 0; i < 2; i++)
		leg_init(s, i, cfg->clock_rate[i]);
	ev_timer_init(&s->timer, on_timer, s->timeout, 0);
	if (s->timeout > 0)
		ev_timer_start(r->loop, &s->timer);
	link_session(r, s);
	*out = s;
	return 0;
fail:
	ms__free(s);
	return rc;
}

void ms_rtp_session_free(struct ms_rtp_session *s)
{
	if (!s)
		return;
	struct ms_rtp_relay *r = s->relay;
	ev_timer_stop(r->loop, &s->timer);
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned k = 0; k < 2; k++)
			ev_io_stop(r->loop, &s->leg[i].sock[k].io);
		ms_rtp_pool_release(r->pool, &s->leg[i].ports);
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		r->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	r->nsessions--;
	ms__free(s);
}

uint16_t ms_rtp_session_port(const struct ms_rtp_session *s, enum ms_rtp_leg leg)
{
	return s->leg[leg & 1].ports.port;
}

/* Signalling gave the peer 'a'. The same address again (a session
 * refresh, a retransmitted 2xx) keeps what was learned: a phone behind a
 * NAT would otherwise lose its media until it sends the next packet. */
static void set_latch(struct ms__rtp_latch *l, const struct sockaddr_storage *a)
{
	if (l->known && ms_addr_equal(&l->signalled, a))
		return;
	*l = (struct ms__rtp_latch){ .addr = *a, .signalled = *a, .known = true };
}

/* A peer the relay cannot send to, or must not: another family than the
 * pool's, port 0, or one of the relay's own ports (a loop). */
static bool bad_peer(const struct ms_rtp_pool *p, const struct sockaddr_storage *a)
{
	return a->ss_family != ms_rtp_pool_local(p)->ss_family || ms_addr_port(a) == 0 ||
		ms_rtp_pool_contains(p, a);
}

int ms_rtp_session_set_peer(struct ms_rtp_session *s, enum ms_rtp_leg leg, const struct sockaddr_storage *rtp,
			    const struct sockaddr_storage *rtcp)
{
	if (!rtp || bad_peer(s->relay->pool, rtp) || (rtcp && bad_peer(s->relay->pool, rtcp)))
		return MS_EINVAL;
	int family = rtp->ss_family;
	struct sockaddr_storage next = *rtp;
	if (!rtcp) {
		if (ms_addr_port(rtp) == UINT16_MAX)
			return MS_EINVAL;
		uint16_t port = (uint16_t)(ms_addr_port(rtp) + 1);
		if (family == AF_INET)
			((struct sockaddr_in *)&next)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&next)->sin6_port = htons(port);
		rtcp = &next;
	}
	struct ms__rtp_leg *l = &s->leg[leg & 1];
	set_latch(&l->latch[MS__RTP], rtp);
	set_latch(&l->latch[MS__RTCP], rtcp);
	return 0;
}

void ms_rtp_session_set_clock_rate(struct ms_rtp_session *s, enum ms_rtp_leg leg, uint32_t hz)
{
	ms__rtp_rx_set_clock(&s->leg[leg & 1].rx, hz);
}

void ms_rtp_session_stats(const struct ms_rtp_session *s, enum ms_rtp_leg leg, struct ms_rtp_stats *out)
{
	const struct ms__rtp_leg *l = &s->leg[leg & 1];
	const struct ms__rtp_latch *rtp = &l->latch[MS__RTP];
	uint32_t jitter = ms__rtp_rx_jitter(&l->rx);
	*out = (struct ms_rtp_stats){
		.packets = l->rx.packets,
		.bytes = l->rx.bytes,
		.rtcp_packets = l->rtcp_packets,
		.rtcp_bytes = l->rtcp_bytes,
		.forwarded = l->forwarded,
		.dropped = l->dropped,
		.rejected = l->rejected,
		.lost = ms__rtp_rx_lost(&l->rx),
		.ext_max_seq = ms__rtp_rx_ext_max(&l->rx),
		.jitter = jitter,
		.jitter_ms = 1000.0 * l->rx.jitter / 16.0 / l->rx.clock_rate,
		.last_time = l->last_time,
		.ssrc = l->rx.ssrc,
		.latched = rtp->latched,
	};
	if (rtp->known)
		out->peer = rtp->addr;
}
