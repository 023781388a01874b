/* The media of one call: a relay session per m= line, and the SDP
 * rewriting that puts the relay between the two endpoints.
 *
 * A body goes through in three steps, so that one that fails leaves the
 * call as it was: media_sdp.c parses and checks every line (nothing
 * changes), the sessions new lines need are taken (given back on a later
 * failure), the body is rewritten and written out; only then are peers
 * set and sessions of dropped lines ended, which cannot fail. */
#define _GNU_SOURCE /* struct mmsghdr, in rtp_private.h */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "base/alloc.h"
#include "moonsip/addr.h"
#include "rtp/rtp_private.h"

struct ms_rtp_media {
	struct ms_rtp_relay *relay;
	ev_timer timer;
	double timeout;
	double last; /* its start, or the last packet of a session since ended */
	ms_rtp_media_timeout_cb timeout_cb;
	void *arg;
	char address[INET6_ADDRSTRLEN]; /* written into the SDP */
	unsigned n;                     /* m= lines seen */
	struct ms_rtp_session *streams[MS__RTP_MEDIA_MAX];
	char kind[MS__RTP_MEDIA_MAX][MS__RTP_KIND_MAX];
};

static double last_activity(const struct ms_rtp_media *m)
{
	double t = m->last;
	for (unsigned i = 0; i < m->n; i++) {
		double s = m->streams[i] ? ms__rtp_session_last(m->streams[i]) : 0;
		if (s > t)
			t = s;
	}
	return t;
}

/* As a session's timer: not pushed back per packet, but when it fires it
 * looks at the last packet of every stream and sleeps for what is left. */
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms_rtp_media *m = (struct ms_rtp_media *)((char *)w - offsetof(struct ms_rtp_media, timer));
	(void)revents;
	double left = last_activity(m) + m->timeout - ev_now(loop);
	if (left > 0) {
		ev_timer_set(w, left, 0);
		ev_timer_start(loop, w);
		return;
	}
	/* the timer is stopped: the callback may free the media */
	m->timeout_cb(m, m->arg);
}

static const void *raw_addr(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return &((const struct sockaddr_in *)a)->sin_addr;
	return &((const struct sockaddr_in6 *)a)->sin6_addr;
}

/* The address to write: the caller's, or the pool's, in the form SDP
 * takes (no brackets, canonical). Of the pool's family, and not a
 * wildcard (that would put every call on hold). */
static int sdp_address(char out[INET6_ADDRSTRLEN], const struct ms_rtp_pool *pool, const char *given)
{
	static const unsigned char zero[16];
	const struct sockaddr_storage *local = ms_rtp_pool_local(pool);
	struct sockaddr_storage a = *local;
	if (given && ms_addr_set(&a, (struct ms_str){ given, strlen(given) }, 0) < 0)
		return MS_EINVAL;
	size_t n = a.ss_family == AF_INET ? 4 : 16;
	if (a.ss_family != local->ss_family || memcmp(raw_addr(&a), zero, n) == 0)
		return MS_EINVAL;
	return inet_ntop(a.ss_family, raw_addr(&a), out, INET6_ADDRSTRLEN) ? 0 : MS_EINVAL;
}

int ms_rtp_media_new(struct ms_rtp_media **out, struct ms_rtp_relay *r, const struct ms_rtp_media_config *cfg)
{
	char address[INET6_ADDRSTRLEN];
	if (!out || !r || !cfg || !(cfg->timeout >= 0) || (cfg->timeout > 0 && !cfg->timeout_cb) ||
	    sdp_address(address, r->pool, cfg->address))
		return MS_EINVAL;
	struct ms_rtp_media *m = ms__calloc(1, sizeof *m);
	if (!m)
		return MS_ENOMEM;
	m->relay = r;
	m->timeout = cfg->timeout;
	m->timeout_cb = cfg->timeout_cb;
	m->arg = cfg->arg;
	m->last = ev_now(r->loop);
	memcpy(m->address, address, sizeof address);
	ev_timer_init(&m->timer, on_timer, m->timeout, 0);
	if (m->timeout > 0)
		ev_timer_start(r->loop, &m->timer);
	*out = m;
	return 0;
}

/* Ends a stream's session; its last packet still counts for the call. */
static void end_stream(struct ms_rtp_media *m, struct ms_rtp_session *s)
{
	double t = ms__rtp_session_last(s);
	if (t > m->last)
		m->last = t;
	ms_rtp_session_free(s);
}

void ms_rtp_media_free(struct ms_rtp_media *m)
{
	if (!m)
		return;
	ev_timer_stop(m->relay->loop, &m->timer);
	for (unsigned i = 0; i < m->n; i++)
		ms_rtp_session_free(m->streams[i]);
	ms__free(m);
}

static struct ms_rtp_session *stream_at(const struct ms_rtp_media *m, unsigned i)
{
	return i < m->n ? m->streams[i] : NULL;
}

static void drop_new(struct ms_rtp_media *m, struct ms_rtp_session **next)
{
	for (unsigned i = 0; i < MS__RTP_MEDIA_MAX; i++)
		if (next[i] && next[i] != stream_at(m, i))
			ms_rtp_session_free(next[i]);
}

/* next[i]: the session of each line once the body is through (NULL: the
 * line has none, and an old one ends), new ones made here.
 * MS_RTP_ENOPORTS or MS_ENOMEM with the new ones freed again. */
static int take_sessions(struct ms_rtp_media *m, const struct ms__rtp_plan *p, enum ms_rtp_leg from,
			 struct ms_rtp_session **next, const char **why)
{
	memset(next, 0, MS__RTP_MEDIA_MAX * sizeof *next);
	for (unsigned i = 0; i < MS__RTP_MEDIA_MAX; i++) {
		if (i >= p->n || p->line[i].relayed)
			next[i] = stream_at(m, i);
		if (i >= p->n || !p->line[i].relayed || next[i])
			continue;
		/* the call's timer, not the session's, watches for silence */
		struct ms_rtp_session_config cfg = { .timeout = 0 };
		cfg.clock_rate[from & 1] = p->line[i].clock;
		int rc = ms_rtp_session_new(&next[i], m->relay, &cfg);
		if (rc) {
			next[i] = NULL;
			drop_new(m, next);
			*why = rc == MS_RTP_ENOPORTS ? "no RTP ports left for a new media line"
						     : "out of memory for a new media line";
			return rc;
		}
	}
	return 0;
}

/* The body went out: the call takes what it said. Cannot fail: the plan
 * checked every peer the way ms_rtp_session_set_peer() does. */
static void apply(struct ms_rtp_media *m, const struct ms__rtp_plan *p, enum ms_rtp_leg from,
		  struct ms_rtp_session **next)
{
	for (unsigned i = 0; i < p->n; i++) {
		const struct ms__rtp_line *l = &p->line[i];
		struct ms_rtp_session *old = stream_at(m, i);
		if (old && old != next[i])
			end_stream(m, old);
		m->streams[i] = next[i];
		memcpy(m->kind[i], l->kind, MS__RTP_KIND_MAX);
		if (!next[i])
			continue;
		/* setting the clock restarts the jitter estimate: only on a change */
		uint32_t hz = l->clock ? l->clock : 8000;
		if (next[i]->leg[from & 1].rx.clock_rate != hz)
			ms_rtp_session_set_clock_rate(next[i], from, hz);
		if (!l->hold)
			(void)ms_rtp_session_set_peer(next[i], from, &l->peer,
						      l->rtcp ? &l->peer_rtcp : NULL);
	}
	if (p->n > m->n)
		m->n = p->n;
}

int ms_rtp_media_sdp(struct ms_rtp_media *m, enum ms_rtp_leg from, const char *body, size_t len,
		     struct ms_buf *out, const char **why)
{
	const char *ignored;
	if (!why)
		why = &ignored;
	*why = NULL;
	if (!m || (from != MS_RTP_LEG_A && from != MS_RTP_LEG_B) || !out || (!body && len)) {
		*why = "bad arguments";
		return MS_EINVAL;
	}
	struct ms__rtp_plan p;
	struct ms_rtp_session *next[MS__RTP_MEDIA_MAX];
	size_t mark = out->len;
	int rc = ms__rtp_plan_sdp(&p, m->relay->pool, body ? body : "", len, why);
	if (!rc)
		rc = take_sessions(m, &p, from, next, why);
	if (rc) {
		ms_sdp_free(&p.sdp);
		return rc;
	}
	struct ms_str address = { m->address, strlen(m->address) };
	rc = ms__rtp_rewrite_sdp(&p, next, from == MS_RTP_LEG_A ? MS_RTP_LEG_B : MS_RTP_LEG_A, address);
	if (!rc)
		rc = ms_sdp_write(&p.sdp, out);
	if (rc) {
		out->len = mark;
		drop_new(m, next);
		*why = "out of memory rewriting the SDP";
	} else {
		apply(m, &p, from, next);
	}
	ms_sdp_free(&p.sdp);
	return rc;
}

unsigned ms_rtp_media_streams(const struct ms_rtp_media *m)
{
	return m->n;
}

struct ms_rtp_session *ms_rtp_media_stream(const struct ms_rtp_media *m, unsigned i)
{
	return stream_at(m, i);
}

const char *ms_rtp_media_kind(const struct ms_rtp_media *m, unsigned i)
{
	return i < m->n ? m->kind[i] : "";
}
