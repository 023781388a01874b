/* Internal: the parts of the proxy core, shared by its files. */
#ifndef MS_CORE_PROXY_PRIVATE_H
#define MS_CORE_PROXY_PRIVATE_H

#include <ev.h>

#include "moonsip/proxy.h"

struct ms_proxy {
	struct ms_stack *stack;
	struct ms_txn_layer *txn;
	struct ev_loop *loop;
	uint32_t timer_c_ms;
	ms_proxy_response_filter filter; /* NULL: none */
	void *filter_arg;
	char **domains;
	unsigned ndomains;
	uint64_t key[2];           /* loop-detection hashes and stateless branches */
	struct ms_proxy_txn *txns; /* alive, for ms_proxy_free */
};

#define MS__PROXY_HASH_LEN 16

/* One branch (§16.6): a client transaction and what came back on it. */
struct ms__pbranch {
	struct ms_proxy_txn *t;
	unsigned no;        /* from 1, in the order started */
	struct ms_ctxn *ct; /* NULL once it ended or was let go */
	bool invite;
	bool provisional;    /* a 1xx came: a CANCEL may be sent */
	bool cancel_pending; /* cancel when the first 1xx comes */
	bool cancelled;      /* a CANCEL went */
	unsigned status;     /* the final status, 0 while pending */
	struct ms_buf resp;  /* the final response without our Via (empty: made up) */
	ev_timer timer_c;    /* Timer C: reset by each 1xx */
	ev_timer limit;      /* the TU's timeout for the branch: not reset */
};

/* A response context (§16.2 step 3). */
struct ms_proxy_txn {
	struct ms_proxy *p;
	struct ms_proxy_txn *prev, *next;
	struct ms_stxn *st;    /* NULL once a final went up, or when freed */
	bool st_held;          /* an INVITE's: valid until its TERMINATED event */
	struct ms_txn_peer up; /* where responses go without the transaction */
	bool has_up;
	bool invite;
	char hash[MS__PROXY_HASH_LEN + 1];
	struct ms_txn_peer src; /* the request's source (its listener, for Record-Route) */
	struct ms_proxy_events ev;
	void *arg;
	struct ms__pbranch **br;
	unsigned nbr, cap;
	unsigned round; /* index of the current round's first branch */
	unsigned pending;
	bool cancelled, sent_2xx, final_up, ended, freed;
	bool watch; /* the TU looks at responses passing up (ms_proxy_txn_watch) */
	unsigned best_status;
	struct ms_buf best; /* empty when made up */
};

/* ptxn.c: a branch's events; freeing a context at once (no callbacks,
 * no messages, its transaction handles untouched). */
void ms__proxy_txn_drop(struct ms_proxy_txn *t);
void ms__proxy_branch_cb(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg);
void ms__proxy_branch_timer_c(struct ev_loop *loop, ev_timer *w, int revents);
void ms__proxy_branch_limit(struct ev_loop *loop, ev_timer *w, int revents);

/* validate.c: the loop-detection hash of a request as received (§16.6
 * step 8, without the top Via: see there), as 16 hex digits. */
void ms__proxy_loop_hash(struct ms_proxy *p, struct ms_msg *req, char out[MS__PROXY_HASH_LEN + 1]);

/* route.c: a response without its top Via; the Via's sent-by as a
 * destination (§18.2.2 for the next hop of a response). */
int ms__proxy_strip_via(const struct ms_msg *resp, struct ms_buf *out);
int ms__proxy_via_peer(struct ms_msg *m, struct ms_txn_peer *out);

/* select.c: the response of a round to forward (§16.7 step 6): the index
 * of the chosen branch final among 'status'/'resp' (resp[i] may be NULL
 * for one the proxy made up), or -1 when there is none. */
int ms__proxy_choose(const unsigned *status, unsigned n);
/* The chosen response with every other 401/407 challenge of the round
 * added (§16.7 step 7). */
int ms__proxy_merge_challenges(const struct ms_str *chosen, const struct ms_str *all, const unsigned *status,
			       unsigned n, struct ms_buf *out);

#endif
