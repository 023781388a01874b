/* Answering a 401 or 407 (RFC 3261 §22.2, RFC 8760): the request again
 * with the next CSeq and the credentials for the first challenge this
 * side supports, top down. Each nonce is answered once: a second
 * challenge with the nonce just answered means the credentials are wrong,
 * and goes to the owner as the failure it is (unless it says stale). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "moonsip/digest.h"
#include "moonsip/edit.h"
#include "ua/ua_private.h"

static bool answered_before(const struct ms__ua_out *o, const struct ms_auth *ch)
{
	bool stale = ms_str_ieqz(ch->stale, "true");
	return !stale && ch->nonce.len == o->nonce_len && !memcmp(ch->nonce.s, o->nonce, o->nonce_len);
}

/* The credentials for the first challenge of 'type' in 'resp' that can be
 * answered, into 'val'; 1, 0 when none can, or a negative code. */
static int authorize(struct ms__ua_out *o, struct ms_msg *resp, enum ms_hdr_type type, struct ms_msg *req,
		     struct ms_buf *val)
{
	struct ms_ua *ua = o->ua;
	struct ms_digest_credentials cr = { .username = { ua->user, strlen(ua->user) },
					    .password = { ua->password, strlen(ua->password) },
					    .nc = 1 };
	struct ms_digest_request dr = { .method = req->method_s, .uri = req->ruri_s, .body = req->body };
	for (const struct ms_hdr *h = ms_msg_hdr(resp, type); h; h = ms_msg_hdr_next(resp, h)) {
		struct ms_auth ch;
		const char *why;
		if (ms_auth_parse(&ch, h->value, &why) < 0 || answered_before(o, &ch) ||
		    ch.nonce.len > sizeof o->nonce)
			continue;
		int rc = ms_digest_authorize(val, &ch, &cr, &dr);
		if (rc == MS_ENOTSUP || rc == MS_EBADMSG)
			continue;
		if (rc < 0)
			return rc;
		memcpy(o->nonce, ch.nonce.s, ch.nonce.len);
		o->nonce_len = ch.nonce.len;
		return 1;
	}
	return 0;
}

/* The request again: CSeq + 1, earlier credentials of the same kind out,
 * the new ones in. */
static int rewrite(struct ms_msg *req, enum ms_hdr_type cred, struct ms_str val, struct ms_buf *out)
{
	const struct ms_cseq *cs = ms_msg_cseq(req);
	const struct ms_hdr *h = ms_msg_hdr(req, MS_HDR_CSEQ);
	if (!cs || !h || cs->num == UINT32_MAX)
		return MS_EINVAL;
	char cseq[64];
	int n = snprintf(cseq, sizeof cseq, "%" PRIu32 " %.*s", cs->num + 1, (int)cs->method_s.len,
			 cs->method_s.s);
	struct ms_edit e;
	ms_edit_init(&e, req);
	int rc = ms_edit_replace(&e, h, (struct ms_str){ cseq, (size_t)n });
	if (rc == 0)
		rc = ms_edit_remove_all(&e, cred);
	if (rc == 0) {
		const char *name = ms_hdr_name(cred);
		rc = ms_edit_add(&e, (struct ms_str){ name, strlen(name) }, val, MS_EDIT_BOTTOM, NULL);
	}
	if (rc == 0)
		rc = ms_edit_write(&e, out);
	ms_edit_free(&e);
	return rc;
}

int ms__ua_auth_retry(struct ms__ua_out *o, struct ms_msg *resp)
{
	if (!o->ua->user || !o->ua->password || o->tries >= MS__UA_AUTH_TRIES)
		return 0;
	bool proxy = resp->status == 407;
	enum ms_hdr_type type = proxy ? MS_HDR_PROXY_AUTHENTICATE : MS_HDR_WWW_AUTHENTICATE;
	enum ms_hdr_type cred = proxy ? MS_HDR_PROXY_AUTHORIZATION : MS_HDR_AUTHORIZATION;
	struct ms_msg req;
	struct ms_buf val, head;
	ms_msg_init(&req);
	ms_buf_init(&val);
	ms_buf_init(&head);
	int rc = ms_msg_parse(&req, o->head.data, o->head.len, MS_PARSE_DGRAM) < 0 ? MS_EINVAL : 0;
	if (rc == 0)
		rc = authorize(o, resp, type, &req, &val);
	bool answer = rc == 1;
	if (answer)
		rc = rewrite(&req, cred, (struct ms_str){ val.data, val.len }, &head);
	ms_msg_free(&req);
	ms_buf_free(&val);
	if (answer && rc == 0) {
		struct ms_buf old = o->head;
		o->head = head;
		ms_buf_init(&head);
		rc = ms__ua_out_send(o);
		if (rc == 0) {
			ms_buf_free(&old);
			o->tries++;
		} else
			head = o->head, o->head = old; /* as it was: the owner sees the challenge */
		rc = rc == 0 ? 1 : rc;
	}
	ms_buf_free(&head);
	if (rc < 0)
		ms_log(&o->ua->log, MS_LOG_WARN, "ua: cannot answer a %u: %s", resp->status, ms_strerror(rc));
	return rc;
}
