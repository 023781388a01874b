/* Internal: the transaction layer's objects, shared by its files.
 *
 * Every transaction is a struct ms__txn at the head of a struct ms_ctxn or
 * ms_stxn. It owns a copy of its request (and of the last message it may
 * have to send again) and lives on references:
 *  - one for being alive, dropped when it terminates;
 *  - one for the TU's handle ('tu'), dropped on release, after the
 *    MS_TXN_TERMINATED callback, or (server, no callback) after the final
 *    response;
 *  - one for each call out of the layer in progress (ms__txn_hold).
 * It is freed when the last goes, so a TU may do anything from inside a
 * callback and the code after the call still has its transaction. */
#ifndef MS_CORE_TXN_PRIVATE_H
#define MS_CORE_TXN_PRIVATE_H

#include "moonsip/txn.h"
#include "base/siphash.h"
#include "txn/txn_map.h"
#include "txn/txn_env.h"

#define MS__TXN_COOKIE "z9hG4bK"
#define MS__TXN_COOKIE_LEN 7
/* §17.2.1: the INVITE server sends 100 Trying unless the TU answered
 * within 200 ms. */
#define MS__TXN_TRYING_MS 200u
/* Timer D for unreliable transports: "at least 32 seconds" (§17.1.1.2). */
#define MS__TXN_TIMER_D_MS 32000u

/* The tables hash branches and Call-IDs that anyone can choose, with
 * SipHash keyed per layer (base/siphash.h), in maps of txn/txn_map.h. */

enum ms__txn_kind {
	MS__CTXN_INVITE,
	MS__CTXN_NI,
	MS__STXN_INVITE,
	MS__STXN_NI,
};

enum ms__txn_state {
	MS__TXN_CALLING,    /* INVITE client, before any response */
	MS__TXN_TRYING,     /* non-INVITE, before any response */
	MS__TXN_PROCEEDING, /* a provisional response went by */
	MS__TXN_COMPLETED,  /* a final response (non-2xx for INVITE) went by */
	MS__TXN_CONFIRMED,  /* INVITE server: the ACK came */
	MS__TXN_ACCEPTED,   /* INVITE: a 2xx went by (RFC 6026) */
	MS__TXN_TERMINATED,
};

/* What identifies a transaction (§17.1.3, §17.2.3), as slices into a
 * message. Fields after 'cseq' are filled only for a request without the
 * magic cookie (the RFC 2543 rule). */
struct ms__txn_key {
	struct ms_str branch;
	bool cookie;
	struct ms_str host; /* top Via sent-by */
	uint16_t port;
	enum ms_method method; /* of CSeq */
	struct ms_str method_s;
	uint32_t cseq;
	struct ms_str call_id, from_tag, to_tag, ruri, via;
};
/* MS_EBADMSG when the top Via, CSeq or (RFC 2543) the dialog fields are
 * missing or broken. */
int ms__txn_key_from_msg(struct ms__txn_key *k, struct ms_msg *m);

struct ms__txn {
	struct ms_txn_layer *layer;
	enum ms__txn_kind kind;
	enum ms__txn_state state;
	unsigned refs;
	bool tu; /* the TU holds the handle */
	bool reliable;
	bool linked; /* in the match and peer maps */
	int error;   /* a send failure waiting to be reported */
	struct ms__txn_node key_node, peer_node;
	struct ms__txn *prev, *next; /* every transaction of the layer */
	struct ms__txn *doomed;      /* a list built by a transport error */
	bool marked;                 /* on such a list */
	struct ms_txn_timer retx;    /* A, E, G, or the 200 ms of 100 Trying */
	struct ms_txn_timer end;     /* B, D, F, H, I, J, K, L, M */
	uint32_t retx_ms;            /* the next retransmission interval */
	struct ms_txn_peer peer;     /* where it sends */
	struct ms__txn_key key;      /* slices into req */
	struct ms_str req;           /* owned copy of the request */
	struct ms_str aux;           /* owned: the ACK (INVITE client), the last
				      * response (server) */
	unsigned status;             /* the last response seen or sent */
};

struct ms_ctxn {
	struct ms__txn t;
	ms_ctxn_cb cb;
	void *arg;
};

struct ms_stxn {
	struct ms__txn t;
	ms_stxn_cb cb;
	void *arg;
	struct ms_str resp_tag; /* To tag of the final response, in aux */
};

struct ms_txn_layer {
	struct ms_txn_env env;
	struct ms_txn_config cfg; /* with the defaults filled in */
	struct ms__txn_map client, server, peers;
	struct ms__txn *all;
	size_t count;
	uint64_t hash_key[2];
	uint64_t branch_key[2];
	uint64_t branch_next;
};

#define MS__CTXN(tx) ((struct ms_ctxn *)(tx))
#define MS__STXN(tx) ((struct ms_stxn *)(tx))
static inline bool ms__txn_is_client(const struct ms__txn *t)
{
	return t->kind == MS__CTXN_INVITE || t->kind == MS__CTXN_NI;
}

/* branch.c */
int ms__txn_seed(struct ms_txn_layer *l);

/* txn_table.c: linking into and finding in the maps. */
int ms__txn_table_init(struct ms_txn_layer *l);
void ms__txn_table_free(struct ms_txn_layer *l);
void ms__txn_table_link(struct ms__txn *t);
void ms__txn_table_unlink(struct ms__txn *t);
struct ms__txn *ms__txn_find_client(struct ms_txn_layer *l, struct ms_str branch, enum ms_method method,
				    struct ms_str method_s);
/* How a request is compared with server transactions. */
enum ms__txn_match {
	MS__MATCH_SAME,   /* a retransmission: same method */
	MS__MATCH_ACK,    /* an ACK: the INVITE it acknowledges */
	MS__MATCH_CANCEL, /* a CANCEL: the INVITE it cancels */
};
struct ms__txn *ms__txn_find_server(struct ms_txn_layer *l, const struct ms__txn_key *k,
				    enum ms__txn_match how);
/* Links the transactions sending to 'peer' that 'pick' accepts into a
 * list through ->doomed, each held. */
struct ms__txn *ms__txn_find_peer(struct ms_txn_layer *l, const struct ms_txn_peer *peer,
				  bool (*pick)(const struct ms__txn *t));

/* layer.c: references, sending, timers, the end. */
void ms__txn_hold(struct ms__txn *t);
void ms__txn_put(struct ms__txn *t);
/* Drops the TU's reference, once. */
void ms__txn_tu_drop(struct ms__txn *t);
int ms__txn_send(struct ms__txn *t, struct ms_str bytes);
int ms__txn_keep(struct ms_str *slot, const char *p, size_t len);
void ms__txn_timer_start(struct ms__txn *t, struct ms_txn_timer *tm, uint32_t ms);
void ms__txn_timer_stop(struct ms__txn *t, struct ms_txn_timer *tm);
/* 64*T1: Timers B, F, H, J, L, M. */
uint32_t ms__txn_64t1(const struct ms__txn *t);
/* Moves to Terminated: stops the timers, leaves the maps, tells the TU. */
void ms__txn_terminate(struct ms__txn *t);
/* A send failed: reports 503 to the TU and ends, when the state is one
 * the RFC says a failure ends; else nothing. */
void ms__txn_fail(struct ms__txn *t, int err);
bool ms__txn_can_fail(const struct ms__txn *t);
/* Calls the client TU, holding the transaction. */
void ms__ctxn_report(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp);
void ms__stxn_report(struct ms_stxn *st, unsigned status);
/* Builds a response to the stored request, status line to end. */
int ms__stxn_build(struct ms_stxn *st, struct ms_buf *b, unsigned code, struct ms_str reason,
		   struct ms_str to_tag);

/* The machines: each file handles its kind's messages and timers. */
void ms__ctxn_invite_response(struct ms_ctxn *ct, struct ms_msg *m);
void ms__ctxn_invite_timer(struct ms_ctxn *ct, struct ms_txn_timer *tm);
void ms__ctxn_ni_response(struct ms_ctxn *ct, struct ms_msg *m);
void ms__ctxn_ni_timer(struct ms_ctxn *ct, struct ms_txn_timer *tm);

void ms__stxn_invite_start(struct ms_stxn *st);
void ms__stxn_invite_request(struct ms_stxn *st);
void ms__stxn_invite_ack(struct ms_stxn *st, struct ms_msg *ack, const struct ms_txn_peer *src);
/* The TU's response of 'status' is kept in aux: send it and move on. */
int ms__stxn_invite_reply(struct ms_stxn *st, unsigned status);
void ms__stxn_invite_timer(struct ms_stxn *st, struct ms_txn_timer *tm);
void ms__stxn_ni_start(struct ms_stxn *st);
void ms__stxn_ni_request(struct ms_stxn *st);
int ms__stxn_ni_reply(struct ms_stxn *st, unsigned status);
void ms__stxn_ni_timer(struct ms_stxn *st, struct ms_txn_timer *tm);

#endif
