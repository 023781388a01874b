/* moonsip run without a script: OPTIONS, CANCEL, and 501 for the rest. */
#include "basic_tu.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "moonsip/edit.h"

#define ALLOW "OPTIONS, ACK, CANCEL"

void ms_basic_tu_init(struct ms_basic_tu *tu)
{
	unsigned char r[4] = { 0 };
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		memcpy(r, &tu, sizeof r);
	snprintf(tu->tag_prefix, sizeof tu->tag_prefix, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
	tu->ntags = 0;
}

static struct ms_str new_tag(struct ms_basic_tu *tu, char out[32])
{
	int n = snprintf(out, 32, "%s%llx", tu->tag_prefix, (unsigned long long)++tu->ntags);
	return (struct ms_str){ out, (size_t)n };
}

/* A response with Allow, Supported and Accept: the 200 to OPTIONS (RFC 3261
 * §11.2) and the 501 to other methods (§21.5.2 wants Allow there too). */
static void answer_with_allow(struct ms_basic_tu *tu, struct ms_stxn *st, struct ms_msg *req, unsigned code,
			      struct ms_str reason)
{
	char tag[32];
	struct ms_buf b;
	ms_buf_init(&b);
	int rc = ms_build_response(&b, req, code, reason, new_tag(tu, tag));
	if (rc == 0)
		rc = ms_build_header(&b, MS_STR("Allow"), MS_STR(ALLOW));
	if (rc == 0)
		rc = ms_build_header(&b, MS_STR("Supported"), MS_STR(""));
	if (rc == 0)
		rc = ms_build_header(&b, MS_STR("Accept"), MS_STR("application/sdp"));
	if (rc == 0)
		rc = ms_build_end(&b, MS_STR_NULL, MS_STR_NULL);
	if (rc == 0)
		rc = ms_stxn_reply(st, b.data, b.len);
	if (rc)
		ms_stxn_respond(st, 500, MS_STR_NULL, new_tag(tu, tag));
	ms_buf_free(&b);
}

/* §8.2.2.3: this server supports no extension, so any Require gets 420
 * with the tokens listed in Unsupported. */
static bool refuse_require(struct ms_basic_tu *tu, struct ms_stxn *st, struct ms_msg *req)
{
	const struct ms_hdr *h = ms_msg_hdr(req, MS_HDR_REQUIRE);
	if (!h)
		return false;
	char tag[32];
	struct ms_buf b;
	ms_buf_init(&b);
	int rc = ms_build_response(&b, req, 420, MS_STR_NULL, new_tag(tu, tag));
	for (; h && rc == 0; h = ms_msg_hdr_next(req, h))
		rc = ms_build_header(&b, MS_STR("Unsupported"), h->value);
	if (rc == 0)
		rc = ms_build_end(&b, MS_STR_NULL, MS_STR_NULL);
	if (rc == 0)
		rc = ms_stxn_reply(st, b.data, b.len);
	if (rc)
		ms_stxn_respond(st, 420, MS_STR_NULL, new_tag(tu, tag));
	ms_buf_free(&b);
	return true;
}

/* §9.2: 481 when the CANCEL matches nothing; else 200, and the INVITE, if
 * still unanswered, ends with 487. */
static void answer_cancel(struct ms_basic_tu *tu, struct ms_stxn *st)
{
	char tag[32];
	struct ms_stxn *invite;
	if (ms_stxn_cancel_target(st, &invite) < 0) {
		ms_stxn_respond(st, 481, MS_STR_NULL, new_tag(tu, tag));
		return;
	}
	ms_stxn_respond(st, 200, MS_STR_NULL, new_tag(tu, tag));
	if (invite && ms_stxn_status(invite) < 200)
		ms_stxn_respond(invite, 487, MS_STR_NULL, new_tag(tu, tag));
}

void ms_basic_tu_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	struct ms_basic_tu *tu = arg;
	(void)src;
	if (!st) /* an ACK for a 2xx: nothing to do, this server sends none to INVITE */
		return;
	if (req->method != MS_METHOD_ACK && req->method != MS_METHOD_CANCEL && refuse_require(tu, st, req))
		return;
	if (req->method == MS_METHOD_OPTIONS)
		answer_with_allow(tu, st, req, 200, MS_STR_NULL);
	else if (req->method == MS_METHOD_CANCEL)
		answer_cancel(tu, st);
	else if (req->method != MS_METHOD_ACK)
		answer_with_allow(tu, st, req, 501,
				  MS_STR("Not Implemented: this server answers OPTIONS only"));
}
