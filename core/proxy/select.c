/* Choosing the response to forward when every branch has ended (RFC 3261
 * §16.7 step 6) and merging the challenges of the others into it (step 7). */
#include <string.h>

#include "proxy/proxy_private.h"

/* Within the 4xx class, responses that tell the caller how to try again. */
static bool informative(unsigned code)
{
	return code == 401 || code == 407 || code == 415 || code == 420 || code == 484;
}

int ms__proxy_choose(const unsigned *status, unsigned n)
{
	int best = -1;
	for (unsigned i = 0; i < n; i++) {
		unsigned c = status[i];
		if (c < 300)
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		unsigned b = status[best];
		if (b >= 600)
			continue; /* the first 6xx wins */
		if (c >= 600 || c / 100 < b / 100 ||
		    (c / 100 == 4 && b / 100 == 4 && informative(c) && !informative(b)))
			best = (int)i;
	}
	return best;
}

static int add_values(struct ms_edit *e, struct ms_msg *m, enum ms_hdr_type t)
{
	const char *name = ms_hdr_name(t);
	int rc = 0;
	for (const struct ms_hdr *h = ms_msg_hdr(m, t); h && rc == 0; h = ms_msg_hdr_next(m, h))
		rc = ms_edit_add(e, (struct ms_str){ name, strlen(name) }, h->value, MS_EDIT_BOTTOM, NULL);
	return rc;
}

int ms__proxy_merge_challenges(const struct ms_str *chosen, const struct ms_str *all, const unsigned *status,
			       unsigned n, struct ms_buf *out)
{
	struct ms_msg m, other;
	ms_msg_init(&m);
	ms_msg_init(&other);
	int rc = ms_msg_parse(&m, chosen->s, chosen->len, MS_PARSE_DGRAM);
	struct ms_edit e;
	ms_edit_init(&e, &m);
	for (unsigned i = 0; i < n && rc >= 0; i++) {
		if ((status[i] != 401 && status[i] != 407) || !all[i].s || all[i].s == chosen->s)
			continue;
		rc = ms_msg_parse(&other, all[i].s, all[i].len, MS_PARSE_DGRAM);
		if (rc >= 0)
			rc = add_values(&e, &other, MS_HDR_WWW_AUTHENTICATE);
		if (rc >= 0)
			rc = add_values(&e, &other, MS_HDR_PROXY_AUTHENTICATE);
	}
	if (rc >= 0)
		rc = ms_edit_write(&e, out);
	ms_edit_free(&e);
	ms_msg_free(&m);
	ms_msg_free(&other);
	return rc < 0 ? rc : 0;
}
