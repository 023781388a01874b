/* Requests outside a dialog other than INVITE: OPTIONS answered with what
 * this UA allows and accepts, MESSAGE (RFC 3428) handed to the user and
 * answered 200, the rest 405; and the user's own (ms_ua_request). */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "moonsip/edit.h"
#include "ua/ua_private.h"

/* 200 to an OPTIONS (with Accept and Contact: what the UA takes, and
 * where), or 405 to a method it does not handle; both say what it allows. */
static void answer_allow(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req, char *tag, unsigned code)
{
	struct ms_buf b;
	ms_buf_init(&b);
	int rc = ms_build_response(&b, req, code, MS_STR_NULL, (struct ms_str){ tag, strlen(tag) });
	if (rc == 0)
		rc = ms_build_header(&b, MS_STR("Allow"), MS_STR(MS__UA_ALLOW));
	if (rc == 0 && code == 200)
		rc = ms_build_header(&b, MS_STR("Accept"), MS_STR("application/sdp, text/plain"));
	if (rc == 0 && code == 200)
		rc = ms_build_header(&b, MS_STR("Contact"), ms_ua_contact(ua));
	if (rc == 0)
		rc = ms_build_end(&b, MS_STR_NULL, MS_STR_NULL);
	if (rc == 0)
		rc = ms_stxn_reply(st, b.data, b.len);
	if (rc)
		ms_stxn_respond(st, 500, MS_STR_NULL, MS_STR_NULL);
	ms_buf_free(&b);
}

void ms__ua_msg_receive(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req)
{
	char tag[48];
	ms__ua_token(ua, tag, sizeof tag);
	if (req->method == MS_METHOD_OPTIONS) {
		answer_allow(ua, st, req, tag, 200);
	} else if (req->method == MS_METHOD_MESSAGE) {
		const struct ms_hdr *ct = ms_msg_hdr(req, MS_HDR_CONTENT_TYPE);
		const struct ms_hdr *from = ms_msg_hdr(req, MS_HDR_FROM);
		/* Answered first: the user may free the UA's calls, not the UA,
		 * from the event, and the answer does not wait on it. */
		ms_stxn_respond(st, 200, MS_STR_NULL, (struct ms_str){ tag, strlen(tag) });
		if (ua->ev && ua->ev->message)
			ua->ev->message(ua, from ? from->value : MS_STR_NULL, ct ? ct->value : MS_STR_NULL,
					req->body, ua->arg);
	} else {
		answer_allow(ua, st, req, tag, 405);
	}
}

static void req_free(struct ms__ua_req *q)
{
	*q->pprev = q->next;
	if (q->next)
		q->next->pprev = q->pprev;
	q->out.ua->nreqs--;
	ms__ua_out_free(&q->out);
	ms__free(q);
}

void ms__ua_req_free_all(struct ms_ua *ua)
{
	while (ua->reqs)
		req_free(ua->reqs);
}

static void on_out(struct ms__ua_out *o, unsigned status, struct ms_msg *resp)
{
	struct ms__ua_req *q = o->owner;
	if (status < 200)
		return;
	ms_ua_request_cb cb = q->cb;
	void *arg = q->arg;
	struct ms_ua *ua = o->ua;
	req_free(q); /* first: the callback may send another */
	if (cb)
		cb(ua, status, resp, arg);
}

static bool method_ok(struct ms_str m)
{
	enum ms_method t = ms_method_lookup(m);
	if (t == MS_METHOD_INVITE || t == MS_METHOD_ACK || t == MS_METHOD_CANCEL || t == MS_METHOD_REGISTER ||
	    t == MS_METHOD_BYE || !m.len)
		return false;
	for (size_t i = 0; i < m.len; i++)
		if (!((m.s[i] >= 'A' && m.s[i] <= 'Z') || (m.s[i] >= 'a' && m.s[i] <= 'z') || m.s[i] == '-'))
			return false;
	return true;
}

static int build(struct ms_ua *ua, struct ms_buf *b, struct ms_str method, struct ms_str uri,
		 const char *content_type, const char *body)
{
	char tag[48], id[64], to[1024];
	ms__ua_token(ua, tag, sizeof tag);
	ms__ua_token(ua, id, sizeof id - 8);
	strcat(id, "@moonsip");
	int n = snprintf(to, sizeof to, "<%.*s>", (int)uri.len, uri.s);
	if (n < 0 || (size_t)n >= sizeof to)
		return MS_EINVAL;
	int rc = ms__ua_head(ua, b, method, uri, (struct ms_str){ to, (size_t)n }, tag, id, 1);
	if (rc == 0 && method.len == 7 && !memcmp(method.s, "OPTIONS", 7))
		rc = ms_build_header(b, MS_STR("Accept"), MS_STR("application/sdp, text/plain"));
	struct ms_str bd = body ? (struct ms_str){ body, strlen(body) } : MS_STR_NULL;
	struct ms_str ct = content_type ? (struct ms_str){ content_type, strlen(content_type) } : MS_STR_NULL;
	if (rc == 0 && bd.len && !ct.len)
		rc = MS_EINVAL;
	if (rc == 0)
		rc = ms_build_end(b, bd, ct);
	return rc;
}

int ms_ua_request(struct ms_ua *ua, const char *method, const char *uri, const char *content_type,
		  const char *body, ms_ua_request_cb cb, void *arg)
{
	if (!method || !uri || !method_ok((struct ms_str){ method, strlen(method) }) ||
	    strpbrk(uri, "\r\n<>\" "))
		return MS_EINVAL;
	if (ua->nreqs >= MS_UA_MAX_REQUESTS)
		return MS_EAGAIN;
	struct ms__ua_req *q = ms__calloc(1, sizeof *q);
	if (!q)
		return MS_ENOMEM;
	ms__ua_out_init(&q->out, ua, on_out, q);
	q->cb = cb;
	q->arg = arg;
	struct ms_str u = { uri, strlen(uri) };
	int rc = build(ua, &q->out.head, (struct ms_str){ method, strlen(method) }, u, content_type, body);
	if (rc == 0)
		rc = ms__ua_out_start_named(&q->out, ms__ua_next_hop(ua, u));
	if (rc) {
		ms__ua_out_free(&q->out);
		ms__free(q);
		return rc;
	}
	q->next = ua->reqs;
	if (q->next)
		q->next->pprev = &q->next;
	q->pprev = &ua->reqs;
	ua->reqs = q;
	ua->nreqs++;
	return 0;
}
