/* REGISTER processing (RFC 3261 §10.3 steps 5 to 8, RFC 3327, RFC 5626):
 * what each Contact asks for is checked first, then written to the file
 * (all of a request or none of it) and applied to the bindings in memory. */
#include <string.h>

#include "base/alloc.h"
#include "base/str.h"
#include "registrar/registrar_private.h"

#define MAX_CONTACTS 32

int ms_registrar_aor(const struct ms_uri *u, struct ms_buf *out)
{
	if (u->scheme != MS_URI_SIP && u->scheme != MS_URI_SIPS)
		return MS_EINVAL;
	char user[256];
	if (u->user.len >= sizeof user)
		return MS_EINVAL;
	int ul = ms_uri_unescape(u->user, user);
	if (ul < 0)
		return MS_EINVAL;
	int rc = ms_buf_addz(out, u->scheme == MS_URI_SIPS ? "sips:" : "sip:");
	if (rc == 0 && ul > 0) {
		rc = ms_buf_add(out, user, (size_t)ul);
		rc = rc ? rc : ms_buf_add(out, "@", 1);
	}
	for (size_t i = 0; rc == 0 && i < u->host.len; i++) {
		char c = u->host.s[i];
		rc = ms_buf_add(out, &(char){ ms__lower(c) }, 1);
	}
	return rc;
}

/* One Contact of the request and what it asks for. */
struct want {
	const struct ms_contact *c;
	struct ms_contact parsed;
	uint32_t expires; /* 0: remove */
	int at;           /* the existing binding it names, or -1 */
	char contact[512];
	char instance[256];
};

struct ms__reg_scratch {
	struct want w[MAX_CONTACTS];
	struct ms_binding nb[MAX_CONTACTS];
	char tmp[MAX_CONTACTS][1024];
};

static uint32_t reg_id_of(const struct want *w)
{
	uint32_t v = 0;
	return w->parsed.reg_id.len && ms_str_to_u32(w->parsed.reg_id, UINT32_MAX, &v) == 0 ? v : 0;
}

static bool same_binding(const struct ms__bind *x, const struct want *w)
{
	if (w->instance[0])
		return !strcmp(x->b.instance, w->instance) && x->b.reg_id == reg_id_of(w);
	if (x->b.instance[0])
		return false;
	if (!strcmp(x->b.contact, w->contact))
		return true; /* the same text: a refresh, and the common case */
	struct ms_uri u;
	const char *why;
	return ms_uri_parse(&u, x->b.contact, strlen(x->b.contact), &why) == 0 &&
		ms_uri_equal(&u, &w->parsed.na.uri);
}

static void refuse(struct ms_register_result *res, unsigned status, const char *reason)
{
	res->status = status;
	res->reason = reason;
}

/* §10.3 step 7: a binding made by the same Call-ID may only be changed by
 * a higher CSeq. */
static bool in_order(const struct ms__bind *x, const struct ms_str *call_id, uint32_t cseq)
{
	return strlen(x->b.call_id) != call_id->len || memcmp(x->b.call_id, call_id->s, call_id->len) ||
		cseq > x->b.cseq;
}

/* The Contacts into w[], each checked; 0 with res->status 200 to go on. */
static int read_contacts(struct ms_registrar *r, struct ms_msg *req, struct ms__aor *a, struct want *w,
			 unsigned *nw, bool *star, struct ms_register_result *res)
{
	uint32_t hdr_exp = r->cfg.default_expires;
	bool has_exp = ms_msg_expires(req, &hdr_exp) == 0;
	const struct ms_str *id = ms_msg_call_id(req);
	uint32_t cseq = ms_msg_cseq(req)->num;
	*nw = 0;
	*star = false;
	for (const struct ms_hdr *h = ms_msg_hdr(req, MS_HDR_CONTACT); h; h = ms_msg_hdr_next(req, h)) {
		if (*nw == MAX_CONTACTS) {
			refuse(res, 403, "Forbidden: too many Contacts in one REGISTER");
			return 0;
		}
		struct want *x = &w[(*nw)++];
		const char *why;
		memset(x, 0, sizeof *x);
		/* the first is the message's view, parsed by the check already */
		const struct ms_contact *first = x == w ? ms_msg_contact(req) : NULL;
		if (first)
			x->parsed = *first;
		else if (ms_contact_parse(&x->parsed, h->value, &why) < 0) {
			refuse(res, 400, "Bad Request: a Contact does not parse");
			return 0;
		}
		if (x->parsed.star) {
			*star = true;
			continue;
		}
		if (x->parsed.na.uri.text.len >= sizeof x->contact ||
		    x->parsed.instance.len >= sizeof x->instance) {
			refuse(res, 400, "Bad Request: a Contact URI or +sip.instance is too long");
			return 0;
		}
		memcpy(x->contact, x->parsed.na.uri.text.s, x->parsed.na.uri.text.len);
		if (x->parsed.instance.len)
			memcpy(x->instance, x->parsed.instance.s, x->parsed.instance.len);
		x->expires = x->parsed.has_expires ? x->parsed.expires
			: has_exp                  ? hdr_exp
						   : r->cfg.default_expires;
		if (x->expires && x->expires < r->cfg.min_expires) {
			refuse(res, 423, "Interval Too Brief");
			res->min_expires = r->cfg.min_expires;
			return 0;
		}
		if (x->expires > r->cfg.max_expires)
			x->expires = r->cfg.max_expires;
		x->at = -1;
		for (unsigned i = 0; a && i < a->n; i++)
			if (same_binding(a->list[i], x))
				x->at = (int)i;
		if (x->at >= 0 && !in_order(a->list[x->at], id, cseq)) {
			refuse(res, 500,
			       "Server Internal Error: CSeq out of order for this Call-ID (RFC 3261 10.3)");
			return 0;
		}
	}
	if (*star && (*nw != 1 || !has_exp || hdr_exp != 0))
		refuse(res, 400, "Bad Request: Contact * needs Expires: 0 and no other Contact");
	return 0;
}

/* The Path values, in order, comma-separated. */
static int path_of(struct ms_msg *req, struct ms_buf *out)
{
	int rc = 0;
	for (const struct ms_hdr *h = ms_msg_hdr(req, MS_HDR_PATH); h && rc == 0; h = ms_msg_hdr_next(req, h))
		rc = ms_buf_printf(out, "%s%.*s", out->len ? ", " : "", (int)h->value.len, h->value.s);
	return rc == 0 ? ms_buf_add(out, "", 1) : rc;
}

/* s into out (size > 0) as a C string, cut to size - 1; its length. */
static size_t copy_cut(char *out, size_t size, struct ms_str s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;
	if (n)
		memcpy(out, s.s, n);
	out[n] = 0;
	return n;
}

static struct ms_binding binding_of(const struct want *w, const char *aor, struct ms_msg *req,
				    const char *path, int64_t now, const char *received, const char *socket,
				    bool nat, char *tmp, size_t tmplen)
{
	const struct ms_str *id = ms_msg_call_id(req);
	const struct ms_hdr *ua = ms_msg_hdr(req, MS_HDR_USER_AGENT);
	/* tmp holds the Call-ID then the User-Agent, NUL-terminated, each cut
	 * to fit (tmplen is at least 2). */
	size_t n = copy_cut(tmp, tmplen - 1, *id);
	copy_cut(tmp + n + 1, tmplen - n - 1, ua ? ua->value : MS_STR_NULL);
	return (struct ms_binding){
		.aor = aor,
		.contact = w->contact,
		.path = path,
		.call_id = tmp,
		.instance = w->instance,
		.received = received,
		.socket = socket,
		.user_agent = tmp + n + 1,
		.cseq = ms_msg_cseq(req)->num,
		.reg_id = reg_id_of(w),
		.q = w->parsed.q >= 0 ? w->parsed.q : 1000,
		.expires = now + w->expires,
		.nat = nat,
	};
}

/* The bindings the AOR would have after the request. */
static unsigned count_after(const struct ms__aor *a, const struct want *w, unsigned nw)
{
	unsigned n = a ? a->n : 0;
	for (unsigned i = 0; i < nw; i++) {
		if (w[i].expires == 0 && w[i].at >= 0)
			n--;
		else if (w[i].expires > 0 && w[i].at < 0)
			n++;
	}
	return n;
}

/* The binding a wanted one replaces under another contact (a device that
 * came back from a new address, RFC 5626): its row goes, or it would come
 * back at the next start. */
static const struct ms_binding *moved_from(const struct ms__aor *a, const struct want *w,
					   const struct ms_binding *nb)
{
	const struct ms_binding *old = w->at >= 0 ? &a->list[w->at]->b : NULL;
	return old && strcmp(old->contact, nb->contact) ? old : NULL;
}

/* How many rows the request writes. */
static unsigned writes(const struct ms__aor *a, const struct want *w, unsigned nw, bool star,
		       const struct ms_binding *nb)
{
	unsigned n = 0;
	for (unsigned i = 0; !star && i < nw; i++)
		n += (w[i].expires || w[i].at >= 0) + (w[i].expires && moved_from(a, &w[i], &nb[i]));
	return star ? (a ? a->n : 0) : n;
}

/* The file first: all of the request or none of it, by a savepoint when it
 * writes more than one row (one statement is all or nothing by itself,
 * and most REGISTERs refresh one binding). */
static int write_out(struct ms_registrar *r, struct ms__aor *a, const struct want *w, unsigned nw, bool star,
		     const struct ms_binding *nb)
{
	bool several = writes(a, w, nw, star, nb) > 1;
	int rc = several ? ms__reg_store_savepoint(r) : 0;
	for (unsigned i = 0; star && a && rc == 0 && i < a->n; i++)
		rc = ms__reg_store_del(r, &a->list[i]->b);
	for (unsigned i = 0; !star && rc == 0 && i < nw; i++) {
		const struct ms_binding *old = w[i].expires ? moved_from(a, &w[i], &nb[i]) : NULL;
		if (old)
			rc = ms__reg_store_del(r, old);
		if (rc == 0 && w[i].expires)
			rc = ms__reg_store_put(r, &nb[i], w[i].at >= 0 && !old);
		else if (rc == 0 && w[i].at >= 0)
			rc = ms__reg_store_del(r, &a->list[w[i].at]->b);
	}
	if (several)
		ms__reg_store_release(r, rc == 0);
	return rc;
}

/* Then memory, finding each binding again (the list moves as it changes). */
static int apply(struct ms_registrar *r, struct ms__aor *a, const struct want *w, unsigned nw, bool star,
		 const struct ms_binding *nb)
{
	while (star && a->n)
		ms__reg_drop(r, a, a->n - 1);
	for (unsigned i = 0; !star && i < nw; i++) {
		unsigned k = 0;
		while (k < a->n && !same_binding(a->list[k], &w[i]))
			k++;
		if (!w[i].expires) {
			if (k < a->n)
				ms__reg_drop(r, a, k);
			continue;
		}
		struct ms__bind *b = ms__reg_bind_new(&nb[i]);
		if (!b || ms__reg_put(r, a, k, b) < 0) {
			ms__free(b);
			return MS_ENOMEM;
		}
	}
	return 0;
}

int ms_registrar_register(struct ms_registrar *r, struct ms_msg *req, int64_t now, const char *received,
			  const char *socket, bool nat, struct ms_register_result *res)
{
	*res = (struct ms_register_result){ 200, "OK", 0, false };
	const struct ms_nameaddr *to = ms_msg_to(req);
	struct ms_buf aor, path;
	ms_buf_init(&aor);
	ms_buf_init(&path);
	if (!r->scratch)
		r->scratch = ms__malloc(sizeof *r->scratch);
	int rc = r->scratch ? 0 : MS_ENOMEM;
	struct want *w = r->scratch ? r->scratch->w : NULL;
	struct ms_binding *nb = r->scratch ? r->scratch->nb : NULL;
	char(*tmp)[1024] = r->scratch ? r->scratch->tmp : NULL;
	if (rc == 0 && ms_registrar_aor(&to->uri, &aor) < 0)
		refuse(res, 400, "Bad Request: the To URI is no sip or sips URI");
	if (rc == 0 && res->status == 200)
		rc = ms_buf_add(&aor, "", 1);
	struct ms__aor *a = rc == 0 && res->status == 200
		? ms__reg_find(r, (struct ms_str){ aor.data, aor.len - 1 }, true)
		: NULL;
	if (rc == 0 && res->status == 200 && !a)
		rc = MS_ENOMEM;
	unsigned nw = 0;
	bool star = false;
	if (rc == 0 && a)
		rc = read_contacts(r, req, a, w, &nw, &star, res);
	if (rc == 0 && res->status == 200 && !star && count_after(a, w, nw) > r->cfg.max_bindings)
		refuse(res, 403, "Forbidden: too many bindings for this address-of-record");
	if (rc == 0 && res->status == 200)
		rc = path_of(req, &path);
	for (unsigned i = 0; rc == 0 && res->status == 200 && i < nw; i++)
		nb[i] = binding_of(&w[i], aor.data, req, path.data, now, received, socket, nat, tmp[i],
				   sizeof tmp[i]);
	if (rc == 0 && res->status == 200 && nw)
		rc = write_out(r, a, w, nw, star, nb);
	if (rc == 0 && res->status == 200 && nw)
		rc = apply(r, a, w, nw, star, nb);
	res->path = path.len > 1;
	ms_buf_free(&aor);
	ms_buf_free(&path);
	return rc;
}

/* ";q=0.5" for a q other than 1. */
static int q_param(struct ms_buf *out, int q)
{
	if (q == 1000)
		return 0;
	int rc = ms_buf_printf(out, ";q=%d.%03d", q / 1000, q % 1000);
	while (rc == 0 && out->data[out->len - 1] == '0')
		out->len--;
	return rc;
}

int ms_registrar_contacts(struct ms_registrar *r, struct ms_str aor, int64_t now, struct ms_buf *out)
{
	struct ms__aor *a = ms__reg_find(r, aor, false);
	int rc = 0;
	for (unsigned i = 0; a && rc == 0 && i < a->n; i++) {
		const struct ms_binding *b = &a->list[i]->b;
		if (b->expires <= now)
			continue;
		char num[20];
		rc = ms_buf_addz(out, "Contact: <");
		rc = rc ? rc : ms_buf_addz(out, b->contact);
		rc = rc ? rc : ms_buf_addz(out, ">;expires=");
		rc = rc ? rc : ms_buf_add(out, num, ms__u64_dec(num, (unsigned long long)(b->expires - now)));
		if (rc == 0)
			rc = q_param(out, b->q);
		if (rc == 0 && b->instance[0]) {
			rc = ms_buf_addz(out, ";+sip.instance=");
			rc = rc ? rc : ms_buf_addz(out, b->instance);
		}
		if (rc == 0 && b->reg_id) {
			rc = ms_buf_addz(out, ";reg-id=");
			rc = rc ? rc : ms_buf_add(out, num, ms__u64_dec(num, b->reg_id));
		}
		if (rc == 0)
			rc = ms_buf_addz(out, "\r\n");
	}
	return rc;
}
