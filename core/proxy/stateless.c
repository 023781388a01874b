/* Stateless forwarding (RFC 3261 §16.11): requests such as the ACK for a
 * 2xx, and responses that match no client transaction (a 2xx retransmitted
 * after its branch ended). */
#include <stdio.h>
#include <string.h>

#include "base/siphash.h"
#include "proxy/proxy_private.h"

/* §16.11: the same request gets the same branch (its retransmissions must
 * match downstream), so the branch is a keyed hash of the incoming top
 * Via's branch and the loop hash; a request without a magic-cookie branch
 * has none to copy, so its Call-ID, CSeq and tags go in instead. */
static void stateless_branch(struct ms_proxy *p, struct ms_msg *req, char *out, size_t size)
{
	char hash[MS__PROXY_HASH_LEN + 1];
	ms__proxy_loop_hash(p, req, hash);
	const struct ms_via *v = ms_msg_via(req);
	struct ms__sip s;
	ms__sip_init(&s, p->key);
	if (v)
		ms__sip_add(&s, v->branch.s, v->branch.len, false);
	ms__sip_add(&s, req->method_s.s, req->method_s.len, false);
	snprintf(out, size, "z9hG4bK%s-sl%016llx", hash, (unsigned long long)ms__sip_end(&s));
}

int ms_proxy_forward_stateless(struct ms_proxy *p, struct ms_msg *req, const struct ms_txn_peer *dst_in)
{
	struct ms_txn_peer dst = *dst_in;
	struct ms_edit e;
	struct ms_buf out, via;
	char branch[80], mfv[12];
	ms_buf_init(&out);
	ms_buf_init(&via);
	ms_edit_init(&e, req);
	uint32_t mf;
	int rc;
	if (ms_msg_max_forwards(req, &mf) < 0) {
		rc = ms_edit_add(&e, MS_STR("Max-Forwards"), MS_STR("70"), MS_EDIT_BOTTOM, NULL);
	} else {
		int n = snprintf(mfv, sizeof mfv, "%u", mf ? mf - 1 : 0);
		rc = ms_edit_replace(&e, ms_msg_hdr(req, MS_HDR_MAX_FORWARDS),
				     (struct ms_str){ mfv, (size_t)n });
	}
	stateless_branch(p, req, branch, sizeof branch);
	if (rc == 0)
		rc = ms_stack_via_branch(p->stack, &dst, req->len + 100, false, branch, &via);
	if (rc == 0)
		rc = ms_edit_add(&e, MS_STR("Via"), (struct ms_str){ via.data, via.len }, MS_EDIT_TOP, NULL);
	if (rc == 0)
		rc = ms_edit_write(&e, &out);
	if (rc == 0)
		rc = ms_txn_send(p->txn, &dst, out.data, out.len);
	ms_edit_free(&e);
	ms_buf_free(&out);
	ms_buf_free(&via);
	return rc;
}

int ms_proxy_response_stateless(struct ms_proxy *p, struct ms_msg *resp)
{
	const struct ms_via *v = ms_msg_via(resp);
	if (!v || !ms_stack_is_me(p->stack, v->host, v->port, ms_str_ieqz(v->transport, "TLS")))
		return 0;
	struct ms_buf out;
	ms_buf_init(&out);
	int rc = ms__proxy_strip_via(resp, &out);
	struct ms_msg m;
	ms_msg_init(&m);
	struct ms_txn_peer up;
	if (rc == 0)
		rc = ms_msg_parse(&m, out.data, out.len, MS_PARSE_DGRAM);
	if (rc >= 0)
		rc = ms__proxy_via_peer(&m, &up);
	if (rc >= 0)
		rc = ms_txn_send(p->txn, &up, out.data, out.len);
	ms_msg_free(&m);
	ms_buf_free(&out);
	return rc < 0 ? rc : 1;
}
