/* The fake clock, transport and transaction users of the transaction
 * tests (test_txn.h). */
#include <stdlib.h>
#include <string.h>

#include "moonsip/edit.h"
#include "test.h"
#include "test_txn.h"

/* A fake timer's state, kept inside the transaction's timer. */
struct ftimer {
	uint64_t due, seq;
	size_t idx;
	bool armed;
};

static struct ftimer *ft(struct ms_txn_timer *t)
{
	return (struct ftimer *)(void *)t->impl.bytes;
}

static bool before(struct ms_txn_timer *a, struct ms_txn_timer *b)
{
	return ft(a)->due < ft(b)->due || (ft(a)->due == ft(b)->due && ft(a)->seq < ft(b)->seq);
}

static void put_at(struct fake *f, size_t i, struct ms_txn_timer *t)
{
	f->heap[i] = t;
	ft(t)->idx = i;
}

static void sift_up(struct fake *f, size_t i)
{
	struct ms_txn_timer *t = f->heap[i];
	while (i > 0 && before(t, f->heap[(i - 1) / 2])) {
		put_at(f, i, f->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	put_at(f, i, t);
}

static void sift_down(struct fake *f, size_t i)
{
	struct ms_txn_timer *t = f->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= f->nheap)
			break;
		if (c + 1 < f->nheap && before(f->heap[c + 1], f->heap[c]))
			c++;
		if (!before(f->heap[c], t))
			break;
		put_at(f, i, f->heap[c]);
		i = c;
	}
	put_at(f, i, t);
}

static void heap_remove(struct fake *f, struct ms_txn_timer *t)
{
	size_t i = ft(t)->idx;
	struct ms_txn_timer *last = f->heap[--f->nheap];
	ft(t)->armed = false;
	if (last == t)
		return;
	put_at(f, i, last);
	sift_down(f, i);
	sift_up(f, ft(last)->idx);
}

static void timer_init(void *clock, struct ms_txn_timer *t)
{
	(void)clock;
	memset(ft(t), 0, sizeof(struct ftimer));
}

static void timer_stop(void *clock, struct ms_txn_timer *t)
{
	if (ft(t)->armed)
		heap_remove(clock, t);
}

static void timer_start(void *clock, struct ms_txn_timer *t, uint32_t ms)
{
	struct fake *f = clock;
	timer_stop(f, t);
	if (f->nheap == f->capheap) {
		f->capheap = f->capheap ? 2 * f->capheap : 64;
		f->heap = realloc(f->heap, f->capheap * sizeof *f->heap);
		ASSERT(f->heap);
	}
	ft(t)->due = f->now + ms;
	ft(t)->seq = f->seq++;
	ft(t)->armed = true;
	f->heap[f->nheap++] = t;
	sift_up(f, f->nheap - 1);
}

static uint64_t now_ms(void *clock)
{
	return ((struct fake *)clock)->now;
}

static int fake_send(void *transport, const struct ms_txn_peer *dst, const char *buf, size_t len)
{
	struct fake *f = transport;
	f->sends++;
	if (f->fail_send)
		return f->fail_send;
	if (f->no_record)
		return 0;
	if (f->nsent == f->capsent) {
		f->capsent = f->capsent ? 2 * f->capsent : 64;
		f->sent = realloc(f->sent, f->capsent * sizeof *f->sent);
		ASSERT(f->sent);
	}
	struct fake_sent *s = &f->sent[f->nsent++];
	s->dst = *dst;
	s->at = f->now;
	s->len = len;
	s->data = malloc(len + 1);
	ASSERT(s->data);
	memcpy(s->data, buf, len);
	s->data[len] = '\0';
	return 0;
}

static bool fake_reliable(void *transport, const struct ms_txn_peer *dst)
{
	(void)transport;
	return dst->proto != MS_PROTO_UDP;
}

void fake_init(struct fake *f)
{
	memset(f, 0, sizeof *f);
	f->env = (struct ms_txn_env){
		.clock = f,
		.timer_init = timer_init,
		.timer_start = timer_start,
		.timer_stop = timer_stop,
		.now_ms = now_ms,
		.transport = f,
		.send = fake_send,
		.reliable = fake_reliable,
	};
}

void fake_clear(struct fake *f)
{
	for (size_t i = 0; i < f->nsent; i++)
		free(f->sent[i].data);
	f->nsent = 0;
}

void fake_free(struct fake *f)
{
	fake_clear(f);
	free(f->sent);
	free(f->heap);
}

void fake_advance(struct fake *f, uint64_t ms)
{
	uint64_t until = f->now + ms;
	while (f->nheap && ft(f->heap[0])->due <= until) {
		struct ms_txn_timer *t = f->heap[0];
		f->now = ft(t)->due;
		heap_remove(f, t);
		t->fire(t);
	}
	f->now = until;
}

size_t fake_armed(const struct fake *f)
{
	return f->nheap;
}

const struct fake_sent *fake_nth(const struct fake *f, size_t i)
{
	if (i >= f->nsent)
		ms_test_fail(__FILE__, __LINE__, "no message %zu: %zu sent", i, f->nsent);
	return &f->sent[i];
}

struct ms_str fake_line(const struct fake *f, size_t i)
{
	const struct fake_sent *s = fake_nth(f, i);
	const char *eol = strstr(s->data, "\r\n");
	return (struct ms_str){ s->data, eol ? (size_t)(eol - s->data) : s->len };
}

size_t fake_count(const struct fake *f, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nsent; i++)
		if (strncmp(f->sent[i].data, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

void ctu_cb(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	struct ctu *c = arg;
	ASSERT(c->n < 64);
	ASSERT(!c->ct || c->ct == ct);
	c->status[c->n] = status;
	c->at[c->n] = c->f ? c->f->now : 0;
	c->had_msg[c->n] = resp != NULL;
	c->n++;
	if (c->release_on_final && status >= 200)
		ms_ctxn_release(ct);
}

int ctu_count(const struct ctu *c, unsigned status)
{
	int n = 0;
	for (int i = 0; i < c->n; i++)
		n += c->status[i] == status;
	return n;
}

void stu_request_cb(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	struct stu *s = arg;
	(void)src;
	if (req->method == MS_METHOD_ACK) {
		if (st)
			s->acks_accepted++;
		else
			s->acks++;
		return;
	}
	ASSERT(s->n < 64);
	s->st[s->n] = st;
	s->method[s->n] = req->method;
	s->n++;
	if (s->want_events)
		ms_stxn_set_cb(st, stu_event_cb, s);
	if (s->answer)
		ASSERT_INT(ms_stxn_respond(st, s->answer, MS_STR_NULL, MS_STR("srv1")), 0);
}

void stu_event_cb(struct ms_stxn *st, unsigned status, void *arg)
{
	struct stu *s = arg;
	(void)st;
	ASSERT(s->nevents < 64);
	s->events[s->nevents++] = status;
}

struct ms_txn_layer *fake_layer(struct fake *f, struct stu *s, uint32_t t1, uint32_t t2, uint32_t t4)
{
	struct ms_txn_layer *l = NULL;
	struct ms_txn_config c = { .t1 = t1, .t2 = t2, .t4 = t4, .request_cb = stu_request_cb, .arg = s };
	ASSERT_INT(ms_txn_layer_new(&l, &f->env, &c), 0);
	return l;
}

void peer_v4(struct ms_txn_peer *p, enum ms_proto proto, const char *ip, uint16_t port)
{
	memset(p, 0, sizeof *p);
	p->proto = proto;
	ASSERT_INT(ms_addr_set(&p->addr, (struct ms_str){ ip, strlen(ip) }, port), 0);
}

uint16_t peer_port(const struct ms_txn_peer *p)
{
	return ms_addr_port(&p->addr);
}

size_t make_request(char *out, size_t size, const char *method, const char *branch, uint32_t cseq,
		    const char *to_tag)
{
	int n = snprintf(out, size,
			 "%s sip:bob@biloxi.example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP pc33.atlanta.example.com:5062;branch=%s\r\n"
			 "Max-Forwards: 70\r\n"
			 "Route: <sip:p1.example.com;lr>\r\n"
			 "Route: <sip:p2.example.com;lr>\r\n"
			 "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
			 "To: Bob <sip:bob@biloxi.example.com>%s%s\r\n"
			 "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
			 "CSeq: %u %s\r\n"
			 "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
			 "Content-Length: 0\r\n\r\n",
			 method, branch, *to_tag ? ";tag=" : "", to_tag, (unsigned)cseq, method);
	ASSERT(n > 0 && (size_t)n < size);
	return (size_t)n;
}

int feed(struct ms_txn_layer *l, const char *text, size_t len, const struct ms_txn_peer *src)
{
	struct ms_msg m;
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, text, len, MS_PARSE_DGRAM), len);
	ASSERT_INT(ms_msg_check(&m), 0);
	int rc = ms_txn_layer_receive(l, &m, src);
	ms_msg_free(&m);
	return rc;
}

int feedz(struct ms_txn_layer *l, const char *text, const struct ms_txn_peer *src)
{
	return feed(l, text, strlen(text), src);
}

int respond(struct ms_txn_layer *l, struct ms_str req, unsigned code, const char *tag,
	    const struct ms_txn_peer *src)
{
	struct ms_msg m;
	struct ms_buf b;
	ms_msg_init(&m);
	ms_buf_init(&b);
	ASSERT(ms_msg_parse(&m, req.s, req.len, MS_PARSE_DGRAM) > 0);
	ASSERT_INT(ms_build_response(&b, &m, code, MS_STR_NULL, (struct ms_str){ tag, strlen(tag) }), 0);
	ASSERT_INT(ms_build_end(&b, MS_STR_NULL, MS_STR_NULL), 0);
	ms_msg_free(&m);
	int rc = feed(l, b.data, b.len, src);
	ms_buf_free(&b);
	return rc;
}

struct ms_str header_of(struct ms_str text, enum ms_hdr_type type, struct ms_msg *scratch)
{
	ms_msg_init(scratch);
	ASSERT(ms_msg_parse(scratch, text.s, text.len, MS_PARSE_DGRAM) > 0);
	const struct ms_hdr *h = ms_msg_hdr(scratch, type);
	return h ? h->value : MS_STR_NULL;
}

bool contains(struct ms_str hay, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= hay.len; i++)
		if (memcmp(hay.s + i, needle, n) == 0)
			return true;
	return false;
}
