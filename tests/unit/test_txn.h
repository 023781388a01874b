/* The transaction tests' world: a fake clock whose advance() fires due
 * timers in deadline order (a heap, as libev's), a transport that records
 * every message sent with its destination and time, and transaction users
 * that record what they were told. The real parser reads everything. */
#ifndef MS_TEST_TXN_H
#define MS_TEST_TXN_H

#include "moonsip/txn.h"
#include "txn/txn_env.h"

struct fake_sent {
	struct ms_txn_peer dst;
	uint64_t at;
	char *data;
	size_t len;
};

struct fake {
	struct ms_txn_env env;
	uint64_t now;
	uint64_t seq;
	struct ms_txn_timer **heap;
	size_t nheap, capheap;
	struct fake_sent *sent;
	size_t nsent, capsent;
	size_t sends;   /* every send, recorded or not */
	bool no_record; /* count sends only (stress tests) */
	int fail_send;  /* returned by send while not 0 */
};

void fake_init(struct fake *f);
void fake_free(struct fake *f);
/* Moves the clock by 'ms', firing each timer due by then at its own time,
 * earliest first. */
void fake_advance(struct fake *f, uint64_t ms);
size_t fake_armed(const struct fake *f);
/* The i-th message sent (0-based), its first line, and sends whose first
 * line starts with 'prefix'. */
const struct fake_sent *fake_nth(const struct fake *f, size_t i);
struct ms_str fake_line(const struct fake *f, size_t i);
size_t fake_count(const struct fake *f, const char *prefix);
void fake_clear(struct fake *f);

/* A client TU: the statuses it got and when. */
struct ctu {
	unsigned status[64];
	uint64_t at[64];
	bool had_msg[64];
	int n;
	struct fake *f;
	bool release_on_final;
	struct ms_ctxn *ct;
};
void ctu_cb(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg);
int ctu_count(const struct ctu *c, unsigned status);

/* A server TU: the requests it got, and optionally an answer at once. */
struct stu {
	struct ms_stxn *st[64];
	enum ms_method method[64];
	int n;
	int acks;          /* ACKs with no transaction */
	int acks_accepted; /* ACKs through an Accepted INVITE */
	unsigned answer;   /* answer every new request with this at once */
	unsigned events[64];
	int nevents;
	bool want_events; /* ms_stxn_set_cb on each new transaction */
};
void stu_request_cb(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg);
void stu_event_cb(struct ms_stxn *st, unsigned status, void *arg);

/* A layer on the fake, with T1, T2, T4 (0 for the defaults). */
struct ms_txn_layer *fake_layer(struct fake *f, struct stu *s, uint32_t t1, uint32_t t2, uint32_t t4);

void peer_v4(struct ms_txn_peer *p, enum ms_proto tp, const char *ip, uint16_t port);
uint16_t peer_port(const struct ms_txn_peer *p);

/* A request from the template below, into a static-free caller buffer:
 * method, Via transport, branch, CSeq number, To tag ("" for none). */
size_t make_request(char *out, size_t size, const char *method, const char *branch, uint32_t cseq,
		    const char *to_tag);
/* Parses 'text' (as a datagram) and gives it to the layer. */
int feed(struct ms_txn_layer *l, const char *text, size_t len, const struct ms_txn_peer *src);
int feedz(struct ms_txn_layer *l, const char *text, const struct ms_txn_peer *src);
/* A response of 'code' to request 'req' (with a To tag when 'tag' is not
 * empty), built by the real builder, given to the layer. */
int respond(struct ms_txn_layer *l, struct ms_str req, unsigned code, const char *tag,
	    const struct ms_txn_peer *src);
/* The value of the first header of a type in a message text. */
struct ms_str header_of(struct ms_str text, enum ms_hdr_type type, struct ms_msg *scratch);
bool contains(struct ms_str hay, const char *needle);

#endif
