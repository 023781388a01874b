/* Matching messages to transactions: the client rule of §17.1.3, the
 * server rules of §17.2.3 (magic-cookie branch, else RFC 2543 fields), the
 * CANCEL rule of §9.2, and the peers that transport errors name. Three hash
 * maps per layer, keyed with SipHash under a per-layer secret, so a lookup
 * costs O(1) however many transactions there are and however the branches
 * of a hostile peer are chosen. */
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>

#include "base/alloc.h"
#include "txn/txn_private.h"

#define CONTAINER(p, type, field) ((type *)(void *)((char *)(p)-offsetof(type, field)))

/* The maps. */

#define MAP_MIN 64

int ms__txn_map_init(struct ms__txn_map *m)
{
	m->b = ms__calloc(MAP_MIN, sizeof *m->b);
	m->mask = MAP_MIN - 1;
	m->count = 0;
	return m->b ? 0 : MS_ENOMEM;
}

void ms__txn_map_free(struct ms__txn_map *m)
{
	ms__free(m->b);
	m->b = NULL;
}

static void push(struct ms__txn_node **head, struct ms__txn_node *n)
{
	n->next = *head;
	if (*head)
		(*head)->pprev = &n->next;
	*head = n;
	n->pprev = head;
}

/* Doubling when the load passes one keeps chains short; each node moves
 * once per doubling, so adding stays O(1) amortised. */
static void grow(struct ms__txn_map *m)
{
	size_t size = (m->mask + 1) * 2;
	struct ms__txn_node **b = ms__calloc(size, sizeof *b);
	if (!b)
		return;
	for (size_t i = 0; i <= m->mask; i++) {
		while (m->b[i]) {
			struct ms__txn_node *n = m->b[i];
			m->b[i] = n->next;
			push(&b[n->hash & (size - 1)], n);
		}
	}
	ms__free(m->b);
	m->b = b;
	m->mask = size - 1;
}

void ms__txn_map_add(struct ms__txn_map *m, struct ms__txn_node *n, uint64_t hash)
{
	if (m->count > m->mask)
		grow(m);
	n->hash = hash;
	push(&m->b[hash & m->mask], n);
	m->count++;
}

void ms__txn_map_del(struct ms__txn_map *m, struct ms__txn_node *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	m->count--;
}

struct ms__txn_node *ms__txn_map_chain(const struct ms__txn_map *m, uint64_t hash)
{
	return m->b[hash & m->mask];
}

int ms__txn_table_init(struct ms_txn_layer *l)
{
	int rc = ms__txn_map_init(&l->client);
	if (rc == 0)
		rc = ms__txn_map_init(&l->server);
	if (rc == 0)
		rc = ms__txn_map_init(&l->peers);
	return rc;
}

void ms__txn_table_free(struct ms_txn_layer *l)
{
	ms__txn_map_free(&l->client);
	ms__txn_map_free(&l->server);
	ms__txn_map_free(&l->peers);
}

/* Keys. */

int ms__txn_key_from_msg(struct ms__txn_key *k, struct ms_msg *m)
{
	const struct ms_via *via = ms_msg_via(m);
	const struct ms_cseq *cs = ms_msg_cseq(m);
	memset(k, 0, sizeof *k);
	if (!via || !cs)
		return MS_EBADMSG;
	k->branch = via->branch;
	k->cookie = k->branch.len >= MS__TXN_COOKIE_LEN &&
		ms_str_ieq((struct ms_str){ k->branch.s, MS__TXN_COOKIE_LEN }, MS_STR(MS__TXN_COOKIE));
	k->host = via->host;
	k->port = via->port;
	k->method = cs->method;
	k->method_s = cs->method_s;
	k->cseq = cs->num;
	if (!m->is_request || k->cookie)
		return 0;
	const struct ms_str *call_id = ms_msg_call_id(m);
	const struct ms_nameaddr *from = ms_msg_from(m), *to = ms_msg_to(m);
	if (!call_id || !from || !to)
		return MS_EBADMSG;
	k->call_id = *call_id;
	k->from_tag = from->tag;
	k->to_tag = to->tag;
	k->ruri = m->ruri_s;
	k->via = ms_msg_hdr(m, MS_HDR_VIA)->value;
	return 0;
}

static uint64_t hash_branch(const struct ms_txn_layer *l, struct ms_str branch)
{
	struct ms__sip s;
	ms__sip_init(&s, l->hash_key);
	ms__sip_add(&s, branch.s, branch.len, true);
	return ms__sip_end(&s);
}

/* Only what an INVITE, its retransmissions, its ACK and its CANCEL share:
 * the rest is compared. */
static uint64_t hash_2543(const struct ms_txn_layer *l, const struct ms__txn_key *k)
{
	struct ms__sip s;
	unsigned char num[4] = { (unsigned char)(k->cseq >> 24), (unsigned char)(k->cseq >> 16),
				 (unsigned char)(k->cseq >> 8), (unsigned char)k->cseq };
	ms__sip_init(&s, l->hash_key);
	ms__sip_add(&s, k->call_id.s, k->call_id.len, false);
	ms__sip_add(&s, "\n", 1, false);
	ms__sip_add(&s, k->from_tag.s, k->from_tag.len, false);
	ms__sip_add(&s, num, sizeof num, false);
	return ms__sip_end(&s);
}

static uint64_t hash_server(const struct ms_txn_layer *l, const struct ms__txn_key *k)
{
	return k->cookie ? hash_branch(l, k->branch) : hash_2543(l, k);
}

/* The bytes of an address and port, or nothing for another family: what
 * ms_addr_equal compares, so equal peers hash alike. */
static size_t addr_bytes(const struct sockaddr_storage *ss, const void **addr, const void **port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		*addr = &in->sin_addr;
		*port = &in->sin_port;
		return sizeof in->sin_addr;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		*addr = &in6->sin6_addr;
		*port = &in6->sin6_port;
		return sizeof in6->sin6_addr;
	}
	return 0;
}

static uint64_t hash_peer(const struct ms_txn_layer *l, const struct ms_txn_peer *p)
{
	struct ms__sip s;
	const void *addr, *port;
	unsigned char head[2] = { (unsigned char)p->proto, (unsigned char)p->addr.ss_family };
	ms__sip_init(&s, l->hash_key);
	ms__sip_add(&s, head, sizeof head, false);
	size_t n = addr_bytes(&p->addr, &addr, &port);
	if (n) {
		ms__sip_add(&s, addr, n, false);
		ms__sip_add(&s, port, 2, false);
	}
	return ms__sip_end(&s);
}

static bool same_method(const struct ms__txn_key *a, const struct ms__txn_key *b)
{
	return a->method == b->method &&
		(a->method != MS_METHOD_OTHER || ms_str_eq(a->method_s, b->method_s));
}

void ms__txn_table_link(struct ms__txn *t)
{
	struct ms_txn_layer *l = t->layer;
	if (t->linked)
		return;
	if (ms__txn_is_client(t))
		ms__txn_map_add(&l->client, &t->key_node, hash_branch(l, t->key.branch));
	else
		ms__txn_map_add(&l->server, &t->key_node, hash_server(l, &t->key));
	ms__txn_map_add(&l->peers, &t->peer_node, hash_peer(l, &t->peer));
	t->linked = true;
}

void ms__txn_table_unlink(struct ms__txn *t)
{
	struct ms_txn_layer *l = t->layer;
	if (!t->linked)
		return;
	ms__txn_map_del(ms__txn_is_client(t) ? &l->client : &l->server, &t->key_node);
	ms__txn_map_del(&l->peers, &t->peer_node);
	t->linked = false;
}

/* Lookups. */

struct ms__txn *ms__txn_find_client(struct ms_txn_layer *l, struct ms_str branch, enum ms_method method,
				    struct ms_str method_s)
{
	struct ms__txn_key k = { .method = method, .method_s = method_s };
	uint64_t h = hash_branch(l, branch);
	for (struct ms__txn_node *n = ms__txn_map_chain(&l->client, h); n; n = n->next) {
		struct ms__txn *t = CONTAINER(n, struct ms__txn, key_node);
		if (n->hash == h && ms_str_ieq(t->key.branch, branch) && same_method(&t->key, &k))
			return t;
	}
	return NULL;
}

/* Request-URIs compare by the rules of §19.1.4; one that does not parse
 * only equals itself byte for byte. */
static bool same_ruri(struct ms_str a, struct ms_str b)
{
	struct ms_uri ua, ub;
	const char *why;
	if (ms_str_eq(a, b))
		return true;
	if (ms_uri_parse(&ua, a.s, a.len, &why) < 0 || ms_uri_parse(&ub, b.s, b.len, &why) < 0)
		return false;
	return ms_uri_equal(&ua, &ub);
}

/* §17.2.3 for a request without the magic cookie. An ACK carries the To
 * tag of the response it acknowledges, the others that of the request. */
static bool match_2543(const struct ms__txn *t, const struct ms__txn_key *k, enum ms__txn_match how)
{
	const struct ms__txn_key *tk = &t->key;
	struct ms_str to_tag = how == MS__MATCH_ACK ? ((const struct ms_stxn *)t)->resp_tag : tk->to_tag;
	return tk->cseq == k->cseq && ms_str_eq(tk->call_id, k->call_id) &&
		ms_str_eq(tk->from_tag, k->from_tag) && ms_str_eq(tk->via, k->via) &&
		ms_str_eq(to_tag, k->to_tag) && same_ruri(tk->ruri, k->ruri);
}

static bool match_server(const struct ms__txn *t, const struct ms__txn_key *k, enum ms__txn_match how)
{
	const struct ms__txn_key *tk = &t->key;
	if (tk->cookie != k->cookie)
		return false;
	/* An ACK and a CANCEL look for the INVITE; anything else for its own
	 * method (a CANCEL's own retransmission included). */
	if (how == MS__MATCH_SAME ? !same_method(tk, k) : t->kind != MS__STXN_INVITE)
		return false;
	if (!k->cookie)
		return match_2543(t, k, how);
	return ms_str_ieq(tk->branch, k->branch) && ms_str_ieq(tk->host, k->host) && tk->port == k->port;
}

struct ms__txn *ms__txn_find_server(struct ms_txn_layer *l, const struct ms__txn_key *k,
				    enum ms__txn_match how)
{
	uint64_t h = hash_server(l, k);
	for (struct ms__txn_node *n = ms__txn_map_chain(&l->server, h); n; n = n->next) {
		struct ms__txn *t = CONTAINER(n, struct ms__txn, key_node);
		if (n->hash == h && match_server(t, k, how))
			return t;
	}
	return NULL;
}

/* A report names a connection when it knows one; a transaction that has
 * none yet (a request waiting on a connect) is on every connection to its
 * address. */
static bool same_peer(const struct ms_txn_peer *a, const struct ms_txn_peer *b)
{
	if (a->proto != b->proto || (a->conn && b->conn && a->conn != b->conn))
		return false;
	return ms_addr_equal(&a->addr, &b->addr);
}

struct ms__txn *ms__txn_find_peer(struct ms_txn_layer *l, const struct ms_txn_peer *peer,
				  bool (*pick)(const struct ms__txn *t))
{
	struct ms__txn *list = NULL;
	uint64_t h = hash_peer(l, peer);
	for (struct ms__txn_node *n = ms__txn_map_chain(&l->peers, h); n; n = n->next) {
		struct ms__txn *t = CONTAINER(n, struct ms__txn, peer_node);
		if (n->hash != h || t->marked || !same_peer(&t->peer, peer) || !pick(t))
			continue;
		ms__txn_hold(t);
		t->marked = true;
		t->doomed = list;
		list = t;
	}
	return list;
}
