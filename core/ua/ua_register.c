/* The registration client (RFC 3261 §10.2): REGISTER with the AOR and the
 * UA's Contact, the granted time read back, a refresh at half of it with
 * the same Call-ID and the next CSeq, 423 retried with Min-Expires, and
 * the un-REGISTER (Expires: 0). */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "moonsip/edit.h"
#include "ua/ua_private.h"

struct ms__ua_reg {
	struct ms_ua *ua;
	struct ms__ua_out out;
	char *registrar;
	uint32_t want; /* the Expires asked for (0: un-REGISTER) */
	uint32_t cseq; /* of the REGISTER sent last */
	bool retried_423;
	char call_id[64], tag[48];
	ev_timer refresh;
	ms_ua_register_cb cb;
	void *arg;
};

static void on_out(struct ms__ua_out *o, unsigned status, struct ms_msg *resp);

static int send_register(struct ms__ua_reg *r)
{
	struct ms_ua *ua = r->ua;
	struct ms_str uri = { r->registrar, strlen(r->registrar) };
	char to[1024];
	int n = snprintf(to, sizeof to, "<%s>", ua->aor);
	if (n < 0 || (size_t)n >= sizeof to)
		return MS_EINVAL;
	ms__ua_out_free(&r->out);
	ms__ua_out_init(&r->out, ua, on_out, r);
	struct ms_buf *b = &r->out.head;
	int rc = ms__ua_head(ua, b, MS_STR("REGISTER"), uri, (struct ms_str){ to, (size_t)n }, r->tag,
			     r->call_id, r->cseq);
	if (rc == 0)
		rc = ms_buf_printf(b, "Contact: %.*s\r\nExpires: %u\r\n", (int)ua->contact.len,
				   ua->contact.data, (unsigned)r->want);
	if (rc == 0)
		rc = ms_build_end(b, MS_STR_NULL, MS_STR_NULL);
	if (rc == 0)
		rc = ms__ua_out_start_named(&r->out, ms__ua_next_hop(ua, uri));
	return rc;
}

/* The time granted to our Contact: its expires parameter in the 200, else
 * the Expires header, else what we asked for. */
static uint32_t granted(struct ms__ua_reg *r, struct ms_msg *resp)
{
	struct ms_uri mine;
	const char *why;
	struct ms_str c = ms_ua_contact(r->ua);
	uint32_t v = r->want;
	if (ms_uri_parse(&mine, c.s + 1, c.len - 2, &why) < 0) /* without its <> */
		return v;
	for (const struct ms_hdr *h = ms_msg_hdr(resp, MS_HDR_CONTACT); h; h = ms_msg_hdr_next(resp, h)) {
		struct ms_contact ct;
		if (ms_contact_parse(&ct, h->value, &why) == 0 && !ct.star && ct.has_expires &&
		    ms_uri_equal(&ct.na.uri, &mine))
			return ct.expires;
	}
	if (ms_msg_expires(resp, &v) == 0)
		return v;
	return r->want;
}

static void free_reg(struct ms__ua_reg *r)
{
	ev_timer_stop(r->ua->loop, &r->refresh);
	ms__ua_out_free(&r->out);
	ms__free(r->registrar);
	ms__free(r);
}

void ms__ua_reg_free(struct ms_ua *ua)
{
	if (ua->reg)
		free_reg(ua->reg);
	ua->reg = NULL;
}

/* Reports and, when the registration is over, forgets it first, so that
 * the callback may register again. */
static void report(struct ms__ua_reg *r, unsigned status, uint32_t expires, bool over)
{
	ms_ua_register_cb cb = r->cb;
	void *arg = r->arg;
	struct ms_ua *ua = r->ua;
	if (over && r->want == 0)
		ms__ua_reg_free(ua);
	if (cb)
		cb(ua, status, expires, arg);
}

static void on_refresh(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms__ua_reg *r = w->data;
	(void)loop;
	(void)revents;
	r->cseq++;
	r->retried_423 = false;
	int rc = send_register(r);
	if (rc < 0) {
		ms_log(&r->ua->log, MS_LOG_WARN, "ua: cannot refresh the registration: %s", ms_strerror(rc));
		report(r, 503, 0, true);
	}
}

static bool retry_423(struct ms__ua_reg *r, struct ms_msg *resp)
{
	const struct ms_hdr *h = ms_msg_hdr(resp, MS_HDR_MIN_EXPIRES);
	uint32_t min;
	const char *why;
	if (r->retried_423 || r->want == 0 || !h || ms_uint_hdr_parse(&min, h->value, UINT32_MAX, &why) < 0 ||
	    min <= r->want)
		return false;
	r->retried_423 = true;
	r->want = min;
	r->cseq = ms__ua_out_cseq(&r->out) + 1;
	return send_register(r) == 0;
}

static void on_out(struct ms__ua_out *o, unsigned status, struct ms_msg *resp)
{
	struct ms__ua_reg *r = o->owner;
	if (status < 200) /* provisional, or the end of a transaction */
		return;
	r->cseq = ms__ua_out_cseq(o); /* a challenge answered took a number */
	if (status == 423 && resp && retry_423(r, resp))
		return;
	if (status >= 300) {
		report(r, status, 0, true);
		return;
	}
	if (r->want == 0) {
		report(r, 200, 0, true);
		return;
	}
	uint32_t g = granted(r, resp);
	double at = g >= 2 ? g / 2.0 : 1.0;
	ev_timer_stop(r->ua->loop, &r->refresh);
	ev_timer_set(&r->refresh, at, 0);
	ev_timer_start(r->ua->loop, &r->refresh);
	report(r, 200, g, false);
}

static struct ms__ua_reg *reg_new(struct ms_ua *ua, const char *uri)
{
	struct ms__ua_reg *r = ms__calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->ua = ua;
	r->registrar = ms__ua_strdup(uri);
	ms__ua_out_init(&r->out, ua, on_out, r);
	ev_timer_init(&r->refresh, on_refresh, 0, 0);
	r->refresh.data = r;
	if (!r->registrar) {
		ms__free(r);
		return NULL;
	}
	char id[48];
	ms__ua_token(ua, id, sizeof id);
	snprintf(r->call_id, sizeof r->call_id, "%s@moonsip", id);
	ms__ua_token(ua, r->tag, sizeof r->tag);
	r->cseq = 1;
	return r;
}

int ms_ua_register(struct ms_ua *ua, const char *registrar_uri, uint32_t expires, ms_ua_register_cb cb,
		   void *arg)
{
	struct ms_txn_peer dst;
	if (!registrar_uri || strpbrk(registrar_uri, "\r\n<>\" "))
		return MS_EINVAL;
	int rc = ms__ua_peer(ms__ua_next_hop(ua, (struct ms_str){ registrar_uri, strlen(registrar_uri) }),
			     &dst, NULL);
	if (rc && rc != MS_EAGAIN) /* a host name is looked up when sent */
		return rc;
	struct ms__ua_reg *r = reg_new(ua, registrar_uri);
	if (!r)
		return MS_ENOMEM;
	r->want = expires ? expires : 3600;
	r->cb = cb;
	r->arg = arg;
	rc = send_register(r);
	if (rc) {
		free_reg(r);
		return rc;
	}
	ms__ua_reg_free(ua);
	ua->reg = r;
	return 0;
}

int ms_ua_unregister(struct ms_ua *ua, ms_ua_register_cb cb, void *arg)
{
	struct ms__ua_reg *r = ua->reg;
	if (!r)
		return MS_ENOENT;
	ev_timer_stop(ua->loop, &r->refresh);
	r->cb = cb;
	r->arg = arg;
	r->want = 0;
	uint32_t last = ms__ua_out_cseq(&r->out);
	r->cseq = (last > r->cseq ? last : r->cseq) + 1;
	return send_register(r);
}
