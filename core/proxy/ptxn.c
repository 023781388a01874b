/* The response context (RFC 3261 §16.7): what comes back on the branches,
 * what goes upstream at once (provisionals, every 2xx), the end of a round
 * and its best response, CANCEL (§16.10), Timer C (§16.6 step 11). */
#include <string.h>

#include "base/alloc.h"
#include "proxy/proxy_private.h"

static void maybe_free(struct ms_proxy_txn *t);

static void stxn_event(struct ms_stxn *st, unsigned status, void *arg)
{
	struct ms_proxy_txn *t = arg;
	(void)st;
	if (status != MS_TXN_TERMINATED)
		return;
	t->st = NULL;
	t->st_held = false;
	if (t->freed)
		maybe_free(t);
}

int ms_proxy_txn_new(struct ms_proxy_txn **out, struct ms_proxy *p, struct ms_stxn *st, struct ms_msg *req,
		     const struct ms_txn_peer *src, const struct ms_proxy_events *ev, void *arg)
{
	struct ms_proxy_txn *t = ms__calloc(1, sizeof *t);
	if (!t)
		return MS_ENOMEM;
	t->p = p;
	t->st = st;
	t->src = *src;
	t->invite = req->method == MS_METHOD_INVITE;
	t->has_up = ms_txn_response_peer(p->txn, req, src, &t->up) == 0;
	ms__proxy_loop_hash(p, req, t->hash);
	/* The handle must outlive the first 2xx: other forks' 2xx follow it
	 * through the transaction while it is Accepted (RFC 6026). */
	if (st && t->invite) {
		ms_stxn_set_cb(st, stxn_event, t);
		t->st_held = true;
		/* §16.2 step 3 (and §17.2.1): the caller stops retransmitting. */
		if (ms_stxn_status(st) == 0)
			ms_stxn_respond(st, 100, MS_STR("Trying"), MS_STR_NULL);
	}
	if (ev)
		t->ev = *ev;
	t->arg = arg;
	ms_buf_init(&t->best);
	t->next = p->txns;
	if (t->next)
		t->next->prev = t;
	p->txns = t;
	*out = t;
	return 0;
}

static void branch_stop(struct ms__pbranch *b)
{
	ev_timer_stop(b->t->p->loop, &b->timer_c);
	ev_timer_stop(b->t->p->loop, &b->limit);
}

void ms__proxy_txn_drop(struct ms_proxy_txn *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		t->p->txns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	for (unsigned i = 0; i < t->nbr; i++) {
		branch_stop(t->br[i]);
		ms_buf_free(&t->br[i]->resp);
		ms__free(t->br[i]);
	}
	ms__free(t->br);
	ms_buf_free(&t->best);
	ms__free(t);
}

/* A context the TU let go of lives on while a branch may still answer: a
 * 2xx must go upstream, and an INVITE without a 1xx yet cannot be
 * cancelled before one comes. */
static void maybe_free(struct ms_proxy_txn *t)
{
	if (t->st_held)
		return;
	for (unsigned i = 0; i < t->nbr; i++)
		if (t->br[i]->ct)
			return;
	ms__proxy_txn_drop(t);
}

static void noop(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	(void)ct, (void)status, (void)resp, (void)arg;
}

/* Sends the CANCEL now, or when the first provisional comes (§9.1). */
static void cancel_branch(struct ms__pbranch *b)
{
	if (!b->invite || !b->ct || b->status || b->cancelled)
		return;
	if (!b->provisional) {
		b->cancel_pending = true;
		return;
	}
	struct ms_ctxn *c;
	if (ms_ctxn_cancel(&c, b->ct, noop, NULL) == 0)
		ms_ctxn_release(c);
	b->cancelled = true;
}

static void cancel_others(struct ms_proxy_txn *t, struct ms__pbranch *except)
{
	for (unsigned i = 0; i < t->nbr; i++)
		if (t->br[i] != except)
			cancel_branch(t->br[i]);
}

void ms_proxy_txn_free(struct ms_proxy_txn *t)
{
	if (!t)
		return;
	t->freed = true;
	if (!t->st_held)
		t->st = NULL;
	memset(&t->ev, 0, sizeof t->ev);
	cancel_others(t, NULL);
	for (unsigned i = 0; i < t->nbr; i++) {
		struct ms__pbranch *b = t->br[i];
		/* Kept only while a CANCEL or a 2xx may still have to go. */
		if (b->ct && (!b->invite || b->cancelled)) {
			ms_ctxn_release(b->ct);
			b->ct = NULL;
			branch_stop(b);
		}
	}
	maybe_free(t);
}

/* Sends a response upstream: through the transaction while it is there,
 * else on its own to where the request came from (a 2xx after the final). */
static void send_up(struct ms_proxy_txn *t, const char *buf, size_t len, unsigned status)
{
	if (t->st && !(t->final_up && status >= 300)) {
		ms_stxn_reply(t->st, buf, len);
		if (status >= 200 && !t->st_held)
			t->st = NULL;
	} else if (status >= 200 && status < 300 && t->has_up) {
		ms_txn_send(t->p->txn, &t->up, buf, len);
	}
}

/* A provisional or 2xx goes up now, without our Via, after the TU's look. */
static void pass_up(struct ms__pbranch *b, struct ms_msg *resp)
{
	struct ms_proxy_txn *t = b->t;
	struct ms_buf out, repl;
	ms_buf_init(&out);
	ms_buf_init(&repl);
	if (ms__proxy_strip_via(resp, &out) == 0) {
		struct ms_msg m;
		ms_msg_init(&m);
		bool tu = t->watch && t->ev.response && !t->freed;
		if ((tu || t->p->filter) && ms_msg_parse(&m, out.data, out.len, MS_PARSE_DGRAM) >= 0) {
			if (tu)
				t->ev.response(t, b->no, &m, &repl, t->arg);
			else
				t->p->filter(&m, &repl, t->p->filter_arg);
		}
		ms_msg_free(&m);
		if (repl.len)
			send_up(t, repl.data, repl.len, resp->status);
		else
			send_up(t, out.data, out.len, resp->status);
	}
	ms_buf_free(&out);
	ms_buf_free(&repl);
}

/* The round is over: choose, merge, tell the TU. */
static void end_round(struct ms_proxy_txn *t)
{
	unsigned n = t->nbr - t->round;
	unsigned status[64];
	struct ms_str all[64];
	if (n > 64)
		n = 64;
	for (unsigned i = 0; i < n; i++) {
		struct ms__pbranch *b = t->br[t->round + i];
		status[i] = b->status;
		all[i] = (struct ms_str){ b->resp.len ? b->resp.data : NULL, b->resp.len };
	}
	int k = ms__proxy_choose(status, n);
	t->best.len = 0;
	t->best_status = k < 0 ? 408 : status[k];
	if (k >= 0 && all[k].s) {
		if (status[k] == 401 || status[k] == 407)
			ms__proxy_merge_challenges(&all[k], all, status, n, &t->best);
		if (!t->best.len)
			ms_buf_add(&t->best, all[k].s, all[k].len);
	}
	t->ended = true;
	struct ms_str text = { t->best.data, t->best.len };
	if (t->ev.done)
		t->ev.done(t, t->best_status, t->best.len ? &text : NULL, t->arg);
}

/* A branch has its final answer ('resp' NULL when made up). */
static void branch_final(struct ms__pbranch *b, unsigned status, struct ms_msg *resp)
{
	struct ms_proxy_txn *t = b->t;
	if (b->status)
		return;
	b->status = status;
	branch_stop(b);
	if (resp)
		ms__proxy_strip_via(resp, &b->resp);
	if (t->pending)
		t->pending--;
	bool in_round = b->no > t->round;
	if (status < 300) {
		if (t->freed || t->final_up) {
			if (t->invite)
				pass_up(b, resp); /* a late 2xx still goes up */
			return;
		}
		bool first = !t->sent_2xx;
		if (first || t->invite)
			pass_up(b, resp);
		t->sent_2xx = true;
		if (t->invite)
			cancel_others(t, b); /* §16.7 step 10 */
		if (first) {
			t->best_status = status;
			t->best.len = 0;
			t->ended = true;
			struct ms_str text = { b->resp.data, b->resp.len };
			if (t->ev.done)
				t->ev.done(t, status, b->resp.len ? &text : NULL, t->arg);
		}
		return;
	}
	if (t->freed || t->sent_2xx || t->final_up || !in_round || t->ended)
		return;
	if (status >= 600) {
		cancel_others(t, b); /* §16.7 step 5 */
		t->pending = 0;
	}
	if (t->pending == 0)
		end_round(t);
}

void ms__proxy_branch_cb(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	struct ms__pbranch *b = arg;
	struct ms_proxy_txn *t = b->t;
	(void)ct;
	if (status == MS_TXN_TERMINATED) {
		b->ct = NULL;
		if (!b->status)
			branch_final(b, 408, NULL);
		if (t->freed)
			maybe_free(t);
		return;
	}
	if (status < 200) {
		if (status == 100 || b->status)
			return;
		b->provisional = true;
		if (b->invite && ev_is_active(&b->timer_c))
			ev_timer_again(t->p->loop, &b->timer_c);
		if (b->cancel_pending)
			cancel_branch(b);
		if (!t->freed && !t->final_up && !t->cancelled && resp)
			pass_up(b, resp);
		return;
	}
	if (status >= 300 && b->status)
		return;
	if (status >= 200 && status < 300 && b->status && b->invite) {
		if (resp) /* another 2xx of this branch (a fork further down) */
			pass_up(b, resp);
		return;
	}
	branch_final(b, status, resp);
}

/* Timer C or the TU's limit: CANCEL when a 1xx came, and 408 either way. */
static void time_out(struct ms__pbranch *b)
{
	if (b->status)
		return;
	if (b->invite && b->provisional) {
		cancel_branch(b);
	} else if (b->ct) {
		ms_ctxn_release(b->ct);
		b->ct = NULL;
	}
	struct ms_proxy_txn *t = b->t;
	branch_final(b, 408, NULL);
	if (t->freed)
		maybe_free(t);
}

void ms__proxy_branch_timer_c(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	time_out(w->data);
}

void ms__proxy_branch_limit(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	time_out(w->data);
}

void ms_proxy_txn_new_round(struct ms_proxy_txn *t)
{
	t->round = t->nbr;
	t->pending = 0;
	t->ended = false;
	t->best.len = 0;
}

void ms_proxy_txn_watch(struct ms_proxy_txn *t, bool on)
{
	t->watch = on;
}

void ms_proxy_txn_cancel(struct ms_proxy_txn *t)
{
	t->cancelled = true;
	cancel_others(t, NULL);
}

bool ms_proxy_txn_cancelled(const struct ms_proxy_txn *t)
{
	return t->cancelled;
}

unsigned ms_proxy_txn_pending(const struct ms_proxy_txn *t)
{
	return t->pending;
}

struct ms_str ms_proxy_txn_best(const struct ms_proxy_txn *t, unsigned *status)
{
	*status = t->ended ? t->best_status : 0;
	if (!t->ended || !t->best.len)
		return MS_STR_NULL;
	return (struct ms_str){ t->best.data, t->best.len };
}

/* A 503 goes up as 500 (§16.7 step 6): the status line is rewritten. */
static int status_500(const struct ms_buf *in, struct ms_buf *out)
{
	const char *eol = memchr(in->data, '\n', in->len);
	if (!eol)
		return MS_EBADMSG;
	size_t skip = (size_t)(eol + 1 - in->data);
	int rc = ms_buf_addz(out, "SIP/2.0 500 Service Unavailable Downstream\r\n");
	return rc ? rc : ms_buf_add(out, eol + 1, in->len - skip);
}

int ms_proxy_txn_forward(struct ms_proxy_txn *t)
{
	if (!t->ended || t->best_status < 300)
		return MS_EINVAL;
	if (!t->st || t->final_up)
		return MS_ENOENT;
	struct ms_stxn *st = t->st;
	if (!t->st_held)
		t->st = NULL;
	t->final_up = true;
	if (!t->best.len) {
		unsigned code = t->best_status == 503 ? 500 : t->best_status;
		char tag[24];
		memcpy(tag, t->hash, 16);
		tag[16] = 0;
		return ms_stxn_respond(st, code, MS_STR_NULL, (struct ms_str){ tag, 16 });
	}
	if (t->best_status != 503)
		return ms_stxn_reply(st, t->best.data, t->best.len);
	struct ms_buf b;
	ms_buf_init(&b);
	int rc = status_500(&t->best, &b);
	if (rc == 0)
		rc = ms_stxn_reply(st, b.data, b.len);
	ms_buf_free(&b);
	return rc;
}

void ms_proxy_txn_answered(struct ms_proxy_txn *t, unsigned status)
{
	if (status >= 200) {
		t->final_up = true;
		if (!t->st_held)
			t->st = NULL;
		cancel_others(t, NULL);
	}
}
