/* The parts of a dialog that move: the route set, taken from Record-Route
 * (§12.1.1, §12.1.2, §13.2.2.4), and the remote target, taken from
 * Contact. Each is copied out of the message into a block of its own. */
#include "dialog/dialog_private.h"

int ms__dialog_contact_uri(struct ms_msg *m, struct ms_str *uri)
{
	if (!ms_msg_hdr(m, MS_HDR_CONTACT))
		return MS_ENOENT;
	const struct ms_contact *c = ms_msg_contact(m);
	if (!c)
		return MS_EBADMSG;
	/* A remote target becomes a Request-URI: it must be one. */
	if (c->star || (c->na.uri.scheme != MS_URI_SIP && c->na.uri.scheme != MS_URI_SIPS))
		return MS_EINVAL;
	*uri = c->na.uri.text;
	return 0;
}

/* The Record-Route URIs of m, in message order, within the bounds. */
static int record_routes(struct ms_msg *m, struct ms_str *uri, unsigned *n, size_t *total)
{
	*n = 0;
	*total = 0;
	for (const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_RECORD_ROUTE); h; h = ms_msg_hdr_next(m, h)) {
		struct ms_nameaddr na;
		const char *why;
		if (*n == MS_DIALOG_MAX_ROUTES)
			return MS_EMSGSIZE;
		if (ms_nameaddr_parse(&na, h->value, &why) < 0)
			return MS_EBADMSG;
		*total += na.uri.text.len;
		if (*total > MS_DIALOG_MAX_TEXT)
			return MS_EMSGSIZE;
		uri[(*n)++] = na.uri.text;
	}
	return 0;
}

static int routes_from(struct ms__dialog_routes *r, struct ms_msg *m, bool reverse)
{
	struct ms_str uri[MS_DIALOG_MAX_ROUTES];
	unsigned n;
	size_t total;
	ms_buf_init(&r->text);
	r->n = 0;
	int rc = record_routes(m, uri, &n, &total);
	if (rc)
		return rc;
	/* Room for all first: the slices below must not move. */
	if (total && ms_buf_reserve(&r->text, total))
		return MS_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct ms_str u = uri[reverse ? n - 1 - i : i];
		r->uri[i] = (struct ms_str){ r->text.data + r->text.len, u.len };
		ms_buf_adds(&r->text, u);
	}
	r->n = n;
	return 0;
}

static int copy_target(struct ms_buf *b, struct ms_str target)
{
	ms_buf_init(b);
	if (target.len > MS_DIALOG_MAX_TEXT)
		return MS_EMSGSIZE;
	return ms_buf_adds(b, target);
}

static void put_target(struct ms_dialog *d, struct ms_buf *b)
{
	ms_buf_free(&d->target_text);
	d->target_text = *b;
	d->target = (struct ms_str){ b->data, b->len };
}

int ms__dialog_set_target(struct ms_dialog *d, struct ms_str target)
{
	struct ms_buf b;
	int rc = copy_target(&b, target);
	if (rc == 0)
		put_target(d, &b);
	return rc;
}

int ms__dialog_set_path(struct ms_dialog *d, struct ms_msg *m, bool reverse, struct ms_str target)
{
	struct ms__dialog_routes r;
	struct ms_buf b;
	int rc = routes_from(&r, m, reverse);
	if (rc == 0)
		rc = copy_target(&b, target);
	if (rc) {
		ms_buf_free(&r.text);
		return rc;
	}
	ms_buf_free(&d->routes.text);
	d->routes = r;
	put_target(d, &b);
	return 0;
}

void ms__dialog_path_free(struct ms_dialog *d)
{
	ms_buf_free(&d->routes.text);
	ms_buf_free(&d->target_text);
}
