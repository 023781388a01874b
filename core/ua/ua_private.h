/* The user agent's internals, shared by the files of core/ua. */
#ifndef MS_CORE_UA_PRIVATE_H
#define MS_CORE_UA_PRIVATE_H

#include <ev.h>

#include "moonsip/dialog.h"
#include "moonsip/stack.h"
#include "moonsip/ua.h"
#include "txn/txn_map.h"

struct ms__ua_out;

/* What an outgoing request reports: every response but the challenges
 * it answered itself, then MS_TXN_TERMINATED (with o->ct already NULL). */
typedef void (*ms__ua_out_cb)(struct ms__ua_out *o, unsigned status, struct ms_msg *resp);

/* One request this UA sends in a client transaction, with its retries for
 * digest challenges. Embedded in its owner (a registration, a call, a
 * request). */
struct ms__ua_out {
	struct ms_ua *ua;
	struct ms_buf head; /* the request without its Via */
	struct ms_buf sent; /* with its Via, as sent last */
	struct ms_txn_peer dst;
	struct ms_ctxn *ct;
	bool udp_only;   /* the URI said transport=udp */
	bool final;      /* a final response was reported */
	unsigned tries;  /* challenges answered: at most MS__UA_AUTH_TRIES */
	char nonce[128]; /* the last nonce answered: each is answered once */
	size_t nonce_len;
	ms__ua_out_cb cb;
	void *owner;
	struct ms_resolve *lookup; /* the next hop's name, being looked up */
};

/* A request outside a dialog waiting for its answer (ms_ua_request). */
struct ms__ua_req {
	struct ms__ua_out out;
	ms_ua_request_cb cb;
	void *arg;
	struct ms__ua_req *next, **pprev;
};

struct ms__ua_reg;

struct ms_ua {
	struct ms_stack *stack;
	struct ev_loop *loop;
	struct ms_logger log;
	const struct ms_ua_events *ev;
	void *arg;
	char *aor, *user, *password, *display, *user_agent, *proxy;
	struct ms_buf contact; /* "<sip:user@host:port;transport=tcp>" */
	struct ms_buf from;    /* the From value without its tag */
	char prefix[17];       /* random hex for tags and Call-IDs */
	uint64_t ntags;
	uint32_t t1;
	struct ms__ua_reg *reg;
	struct ms__ua_req *reqs;
	unsigned nreqs;
	struct ms_ua_call *calls;
	unsigned ncalls, max_calls;
	/* The calls by Call-ID, so that what arrives finds its call in O(1)
	 * however many there are: SipHash under a key of this UA's, as peers
	 * choose the Call-IDs of incoming calls. */
	struct ms__txn_map by_call_id;
	struct ms_resolver *resolver; /* made for the first host name */
	uint64_t hash_key[2];
};

/* ua.c */
char *ms__ua_strdup(const char *s);
/* A fresh token into out (at least 40 bytes): tags, Call-IDs. */
void ms__ua_token(struct ms_ua *ua, char *out, size_t size);
/* The common headers of a request outside a dialog: the request line,
 * Max-Forwards, Route (outbound proxy), From with 'tag', To, Call-ID,
 * CSeq, User-Agent. */
int ms__ua_head(struct ms_ua *ua, struct ms_buf *b, struct ms_str method, struct ms_str uri, struct ms_str to,
		const char *tag, const char *call_id, uint32_t cseq);
/* The next hop of a request outside a dialog to 'uri'. */
struct ms_str ms__ua_next_hop(struct ms_ua *ua, struct ms_str uri);
/* A response to 'req' with the UA's To tag, Contact and body, sent in
 * transaction 'st' (or built only, into 'b', when st is NULL). */
int ms__ua_build_answer(struct ms_ua *ua, struct ms_buf *b, struct ms_msg *req, unsigned code,
			struct ms_str reason, struct ms_str tag, struct ms_str sdp);

/* ua_out.c */
void ms__ua_out_init(struct ms__ua_out *o, struct ms_ua *ua, ms__ua_out_cb cb, void *owner);
/* Sends o->head to 'hop' (a URI) in a new client transaction; MS_ENOTSUP
 * for a host name (in-dialog requests: their targets are addresses). */
int ms__ua_out_start(struct ms__ua_out *o, struct ms_str hop);
/* The same for a request outside a dialog, where 'hop' may name a host:
 * it is looked up first (A/AAAA, on the UA's resolver), and a name with no
 * usable address reports 503 to o->cb, later, from the loop. */
int ms__ua_out_start_named(struct ms__ua_out *o, struct ms_str hop);
/* Sends o->head again, with a new Via, to o->dst in a new transaction
 * (the old one, if any, is released). */
int ms__ua_out_send(struct ms__ua_out *o);
/* Releases the transaction (no more reports) and frees the buffers. */
void ms__ua_out_free(struct ms__ua_out *o);
/* The CSeq number of o->head. */
uint32_t ms__ua_out_cseq(const struct ms__ua_out *o);
/* Where a URI is sent: MS_EINVAL, MS_ENOTSUP for a transport the stack
 * has not, MS_EAGAIN for a host name (dst is then to be looked up). */
int ms__ua_peer(struct ms_str uri, struct ms_txn_peer *dst, bool *udp_only);
/* Inserts a Via for 'dst' after the request line of 'head' into 'out'. */
int ms__ua_with_via(struct ms_ua *ua, const struct ms_buf *head, struct ms_txn_peer *dst, bool udp_only,
		    struct ms_buf *out);

/* ua_auth.c: a 401/407 answered; 1 when a new request went, 0 when the
 * challenge is not to be answered (no credentials, the same nonce again,
 * nothing supported), negative on failure. */
int ms__ua_auth_retry(struct ms__ua_out *o, struct ms_msg *resp);

/* ua_register.c */
void ms__ua_reg_free(struct ms_ua *ua);

/* ua_msg.c */
void ms__ua_req_free_all(struct ms_ua *ua);
/* A request outside a dialog that is no INVITE or CANCEL: answered. */
void ms__ua_msg_receive(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req);

/* ua_call.c, ua_call_in.c, ua_call_dlg.c */
void ms__ua_call_free_all(struct ms_ua *ua);
void ms__ua_call_incoming(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req);
/* A CANCEL ('req', in transaction 'st'). */
void ms__ua_call_cancelled(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req);
/* A request with a To tag (or an ACK): 0 when a call took it, MS_ENOENT
 * when it matches no dialog. */
int ms__ua_call_in_dialog(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req);
/* A response no transaction matched (a retransmitted 2xx). */
void ms__ua_call_stray(struct ms_ua *ua, struct ms_msg *resp);

/* Challenges one request answers at most (a stale nonce, then ours
 * refused), whatever nonces a server makes up. */
#define MS__UA_AUTH_TRIES 2

#define MS__UA_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE"

#endif
