/* The user agent: its stack, its identity (AOR, From, Contact), the
 * headers every request outside a dialog starts with, and the dispatch of
 * what the stack receives to registrations, calls and messages. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "moonsip/edit.h"
#include "moonsip/resolve.h"
#include "ua/ua_private.h"

char *ms__ua_strdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = ms__malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void ms__ua_token(struct ms_ua *ua, char *out, size_t size)
{
	snprintf(out, size, "%s%" PRIx64, ua->prefix, ++ua->ntags);
}

/* A display name is written quoted: one with a quote, backslash or control
 * character is refused rather than escaped. */
static bool display_ok(const char *d)
{
	for (; d && *d; d++)
		if (*d == '"' || *d == '\\' || (unsigned char)*d < 0x20 || *d == 0x7f)
			return false;
	return true;
}

static int set_from(struct ms_ua *ua)
{
	if (ua->display && ua->display[0])
		return ms_buf_printf(&ua->from, "\"%s\" <%s>", ua->display, ua->aor);
	return ms_buf_printf(&ua->from, "<%s>", ua->aor);
}

/* The Contact: the first listener's address and port, the AOR's user. */
static int set_contact(struct ms_ua *ua, const char *spec, struct ms_str user)
{
	struct ms_listen_spec ls;
	struct sockaddr_storage a;
	char host[MS_ADDR_STRLEN];
	const char *why;
	if (ms_listen_parse(&ls, spec, &why) < 0 ||
	    ms_stack_local(ua->stack, ls.proto, ls.addr.ss_family, &a) < 0)
		return MS_EINVAL;
	const char *tp = ls.proto == MS_PROTO_TCP ? ";transport=tcp"
		: ls.proto == MS_PROTO_TLS        ? ";transport=tls"
						  : "";
	return ms_buf_printf(&ua->contact, "<sip:%.*s%s%s:%u%s>", (int)user.len, user.s, user.len ? "@" : "",
			     ms_addr_host(&a, host), ms_addr_port(&a), tp);
}

static void on_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	struct ms_ua *ua = arg;
	(void)src;
	const struct ms_nameaddr *to = ms_msg_to(req);
	if (req->method == MS_METHOD_ACK) {
		ms__ua_call_in_dialog(ua, st, req); /* an ACK that matches nothing is dropped */
	} else if (req->method == MS_METHOD_CANCEL) {
		ms__ua_call_cancelled(ua, st, req);
	} else if (to && to->tag.len) {
		if (ms__ua_call_in_dialog(ua, st, req) == MS_ENOENT)
			ms_stxn_respond(st, 481, MS_STR_NULL, MS_STR_NULL);
	} else if (req->method == MS_METHOD_INVITE) {
		ms__ua_call_incoming(ua, st, req);
	} else {
		ms__ua_msg_receive(ua, st, req);
	}
}

static void on_stray(struct ms_stack *s, struct ms_msg *resp, const struct ms_txn_peer *src, void *arg)
{
	(void)s;
	(void)src;
	ms__ua_call_stray(arg, resp);
}

static int copy_config(struct ms_ua *ua, const struct ms_ua_config *cfg)
{
	ua->aor = ms__ua_strdup(cfg->aor);
	ua->user = ms__ua_strdup(cfg->user);
	ua->password = ms__ua_strdup(cfg->password);
	ua->display = ms__ua_strdup(cfg->display);
	ua->user_agent = ms__ua_strdup(cfg->user_agent);
	ua->proxy = ms__ua_strdup(cfg->outbound_proxy);
	if (!ua->aor || (cfg->user && !ua->user) || (cfg->password && !ua->password) ||
	    (cfg->display && !ua->display) || (cfg->user_agent && !ua->user_agent) ||
	    (cfg->outbound_proxy && !ua->proxy))
		return MS_ENOMEM;
	return 0;
}

static int check_config(const struct ms_ua_config *cfg, struct ms_uri *aor)
{
	const char *why = "missing loop, listener or AOR";
	if (!cfg->loop || !cfg->listen || !cfg->listen[0] || !cfg->aor)
		goto bad;
	why = "AOR is no sip/sips URI";
	if (ms_uri_parse(aor, cfg->aor, strlen(cfg->aor), &why) < 0 ||
	    (aor->scheme != MS_URI_SIP && aor->scheme != MS_URI_SIPS))
		goto bad;
	why = "bad display name";
	if (!display_ok(cfg->display))
		goto bad;
	why = "bad User-Agent";
	if (cfg->user_agent && strpbrk(cfg->user_agent, "\r\n"))
		goto bad;
	return 0;
bad:
	ms_log(&cfg->log, MS_LOG_ERROR, "ua: %s", why);
	return MS_EINVAL;
}

static int open_stack(struct ms_ua *ua, const struct ms_ua_config *cfg)
{
	struct ms_stack_config sc = { .loop = cfg->loop,
				      .log = cfg->log,
				      .t1 = cfg->t1,
				      .request_cb = on_request,
				      .response_cb = on_stray,
				      .arg = ua };
	int rc = ms_stack_new(&ua->stack, &sc);
	for (unsigned i = 0; rc == 0 && cfg->listen[i]; i++) {
		const char *why = NULL;
		rc = ms_stack_listen(ua->stack, cfg->listen[i], &why);
		if (rc < 0) {
			ms_log(&cfg->log, MS_LOG_ERROR, "ua: cannot listen on %s: %s", cfg->listen[i], why);
			rc = MS_EINVAL;
		}
	}
	return rc;
}

int ms_ua_new(struct ms_ua **out, const struct ms_ua_config *cfg)
{
	struct ms_uri aor;
	int rc = check_config(cfg, &aor);
	if (rc)
		return rc;
	struct ms_ua *ua = ms__calloc(1, sizeof *ua);
	if (!ua)
		return MS_ENOMEM;
	ua->loop = cfg->loop;
	ua->log = cfg->log;
	ua->ev = cfg->ev;
	ua->arg = cfg->arg;
	ua->t1 = cfg->t1 ? cfg->t1 : 500;
	ua->max_calls = cfg->max_calls ? cfg->max_calls : MS_UA_MAX_CALLS;
	ms_buf_init(&ua->contact);
	ms_buf_init(&ua->from);
	uint64_t seed[3] = { 0 };
	if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) { /* unique, if not secret */
		seed[0] = (uint64_t)(uintptr_t)ua ^ (uint64_t)ev_time();
		seed[1] = seed[0] * 0x9e3779b97f4a7c15u;
		seed[2] = ~seed[1];
	}
	snprintf(ua->prefix, sizeof ua->prefix, "%016" PRIx64, seed[0]);
	ua->hash_key[0] = seed[1];
	ua->hash_key[1] = seed[2];
	rc = ms__txn_map_init(&ua->by_call_id);
	if (rc == 0)
		rc = copy_config(ua, cfg);
	if (rc == 0)
		rc = open_stack(ua, cfg);
	if (rc == 0)
		rc = set_from(ua);
	if (rc == 0)
		rc = set_contact(ua, cfg->listen[0], aor.user);
	if (rc) {
		ms_ua_free(ua);
		return rc;
	}
	*out = ua;
	return 0;
}

void ms_ua_free(struct ms_ua *ua)
{
	if (!ua)
		return;
	ms__ua_reg_free(ua);
	ms__ua_req_free_all(ua);
	ms__ua_call_free_all(ua);
	ms__txn_map_free(&ua->by_call_id);
	ms_resolver_free(ua->resolver); /* after every lookup was cancelled */
	ms_stack_free(ua->stack);
	ms_buf_free(&ua->contact);
	ms_buf_free(&ua->from);
	ms__free(ua->aor);
	ms__free(ua->user);
	ms__free(ua->password);
	ms__free(ua->display);
	ms__free(ua->user_agent);
	ms__free(ua->proxy);
	ms__free(ua);
}

struct ms_stack *ms_ua_stack(struct ms_ua *ua)
{
	return ua->stack;
}

struct ms_str ms_ua_contact(const struct ms_ua *ua)
{
	return (struct ms_str){ ua->contact.data, ua->contact.len };
}

struct ms_str ms__ua_next_hop(struct ms_ua *ua, struct ms_str uri)
{
	return ua->proxy ? (struct ms_str){ ua->proxy, strlen(ua->proxy) } : uri;
}

int ms__ua_head(struct ms_ua *ua, struct ms_buf *b, struct ms_str method, struct ms_str uri, struct ms_str to,
		const char *tag, const char *call_id, uint32_t cseq)
{
	int rc = ms_build_request_line(b, method, uri);
	if (rc == 0)
		rc = ms_buf_addz(b, "Max-Forwards: 70\r\n");
	if (rc == 0 && ua->proxy) {
		struct ms_uri u;
		const char *why;
		bool lr = ms_uri_parse(&u, ua->proxy, strlen(ua->proxy), &why) == 0 && u.lr;
		rc = ms_buf_printf(b, "Route: <%s%s>\r\n", ua->proxy, lr ? "" : ";lr");
	}
	if (rc == 0)
		rc = ms_buf_printf(
			b, "From: %.*s;tag=%s\r\nTo: %.*s\r\nCall-ID: %s\r\nCSeq: %" PRIu32 " %.*s\r\n",
			(int)ua->from.len, ua->from.data, tag, (int)to.len, to.s, call_id, cseq,
			(int)method.len, method.s);
	if (rc == 0 && ua->user_agent)
		rc = ms_buf_printf(b, "User-Agent: %s\r\n", ua->user_agent);
	return rc;
}

int ms__ua_build_answer(struct ms_ua *ua, struct ms_buf *b, struct ms_msg *req, unsigned code,
			struct ms_str reason, struct ms_str tag, struct ms_str sdp)
{
	int rc = ms_build_response(b, req, code, reason, tag);
	if (rc == 0 && req->method == MS_METHOD_INVITE && code > 100 && code < 300)
		rc = ms_build_header(b, MS_STR("Contact"), ms_ua_contact(ua));
	if (rc == 0 && code >= 200 && code < 300)
		rc = ms_build_header(b, MS_STR("Allow"), MS_STR(MS__UA_ALLOW));
	if (rc == 0 && ua->user_agent)
		rc = ms_build_header(b, MS_STR("Server"),
				     (struct ms_str){ ua->user_agent, strlen(ua->user_agent) });
	if (rc == 0)
		rc = ms_build_end(b, sdp, sdp.len ? MS_STR("application/sdp") : MS_STR_NULL);
	return rc;
}
