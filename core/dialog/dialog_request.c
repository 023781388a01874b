/* Requests within a dialog (§12.2.1.1): Request-URI and Route from the
 * route set and remote target, From, To, Call-ID and CSeq from the
 * dialog state. No Via: the stack adds it when it sends. */
#include <stdio.h>
#include <string.h>

#include "dialog/dialog_private.h"
#include "moonsip/edit.h"

/* Appends with a sticky error: the first failure is kept and the rest
 * is skipped, so a request is written as one list of pieces. */
struct writer {
	struct ms_buf *b;
	int rc;
};

static void add(struct writer *w, struct ms_str s)
{
	if (w->rc == 0)
		w->rc = ms_buf_adds(w->b, s);
}

static void line(struct writer *w, const char *name, struct ms_str value)
{
	add(w, (struct ms_str){ name, strlen(name) });
	add(w, MS_STR(": "));
	add(w, value);
	add(w, MS_STR("\r\n"));
}

/* A URI as a Request-URI may carry it (§19.1.1): without a method
 * parameter and without headers, which a Record-Route or Contact URI may
 * have. */
static void ruri(struct writer *w, struct ms_str text)
{
	struct ms_uri u;
	const char *why;
	if (ms_uri_parse(&u, text.s, text.len, &why) < 0 ||
	    (u.scheme != MS_URI_SIP && u.scheme != MS_URI_SIPS) ||
	    (!u.headers.len && !ms_param_find(u.params, "method", NULL))) {
		add(w, text);
		return;
	}
	const char *end = u.params.len ? u.params.s - 1 : u.headers.s - 1; /* at its ';' or '?' */
	add(w, (struct ms_str){ text.s, (size_t)(end - text.s) });
	size_t pos = 0;
	struct ms_str name, value;
	while (ms_param_next(u.params, &pos, &name, &value)) {
		if (ms_str_ieqz(name, "method"))
			continue;
		add(w, MS_STR(";"));
		add(w, name);
		if (value.len) {
			add(w, MS_STR("="));
			add(w, value);
		}
	}
}

static void route(struct writer *w, struct ms_str uri)
{
	add(w, MS_STR("Route: <"));
	add(w, uri);
	add(w, MS_STR(">\r\n"));
}

static bool loose(const struct ms_dialog *d)
{
	struct ms_uri u;
	const char *why;
	const struct ms_str *r = &d->routes.uri[0];
	return ms_uri_parse(&u, r->s, r->len, &why) == 0 && u.lr;
}

/* The request line, Max-Forwards and the Route fields. */
static void start(struct writer *w, const struct ms_dialog *d, struct ms_str method)
{
	const struct ms__dialog_routes *r = &d->routes;
	bool strict = r->n && !loose(d);
	add(w, method);
	add(w, MS_STR(" "));
	ruri(w, strict ? r->uri[0] : d->target);
	add(w, MS_STR(" SIP/2.0\r\nMax-Forwards: 70\r\n"));
	/* A strict router takes the Request-URI for its next hop and the
	 * top Route for the new Request-URI: the target goes last. */
	for (unsigned i = strict ? 1 : 0; i < r->n; i++)
		route(w, r->uri[i]);
	if (strict)
		route(w, d->target);
}

static void tagged(struct writer *w, const char *name, struct ms_str uri, struct ms_str tag)
{
	add(w, (struct ms_str){ name, strlen(name) });
	add(w, MS_STR(": "));
	add(w, uri);
	if (tag.len) {
		add(w, MS_STR(";tag="));
		add(w, tag);
	}
	add(w, MS_STR("\r\n"));
}

static void dialog_fields(struct writer *w, const struct ms_dialog *d, struct ms_str method, uint32_t cseq)
{
	char num[16];
	tagged(w, "From", d->local_uri, d->local_tag);
	tagged(w, "To", d->remote_uri, d->remote_tag);
	line(w, "Call-ID", d->call_id);
	int n = snprintf(num, sizeof num, "%u ", (unsigned)cseq);
	add(w, MS_STR("CSeq: "));
	add(w, (struct ms_str){ num, (size_t)n });
	add(w, method);
	add(w, MS_STR("\r\n"));
}

/* Fields the dialog writes itself: one more of them breaks the request. */
static bool owned(enum ms_hdr_type t)
{
	switch (t) {
	case MS_HDR_VIA:
	case MS_HDR_FROM:
	case MS_HDR_TO:
	case MS_HDR_CALL_ID:
	case MS_HDR_CSEQ:
	case MS_HDR_MAX_FORWARDS:
	case MS_HDR_ROUTE:
	case MS_HDR_CONTACT:
	case MS_HDR_CONTENT_TYPE:
	case MS_HDR_CONTENT_LENGTH: return true;
	default: return false;
	}
}

static int check_extra(const struct ms_dialog_extra *x)
{
	if (x->body.len && !x->content_type.len)
		return MS_EINVAL;
	for (const char *const *h = x->headers; h && h[0]; h += 2)
		if (!h[1] || owned(ms_hdr_lookup(h[0], strlen(h[0]))))
			return MS_EINVAL;
	return 0;
}

/* Contact, the extra fields, the body; ms_build_* refuse CR, LF and bad
 * names. */
static void end(struct writer *w, const struct ms_dialog *d, bool refresh, const struct ms_dialog_extra *x)
{
	struct ms_str contact = x->contact.len ? x->contact : refresh ? d->local_contact : MS_STR_NULL;
	if (w->rc == 0 && contact.len)
		w->rc = ms_build_header(w->b, MS_STR("Contact"), contact);
	for (const char *const *h = x->headers; h && h[0] && w->rc == 0; h += 2)
		w->rc = ms_build_header(w->b, (struct ms_str){ h[0], strlen(h[0]) },
					(struct ms_str){ h[1], strlen(h[1]) });
	if (w->rc == 0)
		w->rc = ms_build_end(w->b, x->body, x->content_type);
}

static int build(const struct ms_dialog *d, struct ms_str method, uint32_t cseq, struct ms_buf *out,
		 const struct ms_dialog_extra *extra)
{
	static const struct ms_dialog_extra none;
	const struct ms_dialog_extra *x = extra ? extra : &none;
	enum ms_method m = ms_method_lookup(method);
	int rc = check_extra(x);
	if (rc)
		return rc;
	struct writer w = { out, 0 };
	size_t len = out->len;
	start(&w, d, method);
	dialog_fields(&w, d, method, cseq);
	end(&w, d, m == MS_METHOD_INVITE || m == MS_METHOD_UPDATE, x);
	if (w.rc)
		out->len = len;
	return w.rc;
}

int ms_dialog_request(struct ms_dialog *d, struct ms_str method, struct ms_buf *out,
		      const struct ms_dialog_extra *extra)
{
	enum ms_method m = ms_method_lookup(method);
	if (d->state == MS_DIALOG_TERMINATED || m == MS_METHOD_ACK || m == MS_METHOD_CANCEL ||
	    !ms__dialog_is_token(method))
		return MS_EINVAL;
	if (d->local_cseq == UINT32_MAX)
		return MS_ERANGE;
	int rc = build(d, method, d->local_cseq + 1, out, extra);
	if (rc == 0)
		d->local_cseq++;
	return rc;
}

int ms_dialog_ack(struct ms_dialog *d, uint32_t invite_cseq, struct ms_buf *out,
		  const struct ms_dialog_extra *extra)
{
	if (d->state != MS_DIALOG_CONFIRMED || invite_cseq == 0 || invite_cseq > d->local_cseq)
		return MS_EINVAL;
	return build(d, MS_STR("ACK"), invite_cseq, out, extra);
}

void ms_dialog_next_hop(const struct ms_dialog *d, struct ms_str *uri)
{
	*uri = d->routes.n ? d->routes.uri[0] : d->target;
}
