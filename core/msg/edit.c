/* Editing a parsed message. Changes are recorded against the original
 * bytes and applied in one pass when the message is written, so whatever
 * nobody touched (folding, compact names, odd spacing) goes out exactly as
 * it came in, and a proxy pays only for the bytes it changes. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/str.h"
#include "moonsip/edit.h"

enum op_kind {
	OP_INSERT,  /* new field line(s) at 'from' */
	OP_CTYPE,   /* the Content-Type line ms_edit_set_body added at the bottom */
	OP_REPLACE, /* the value of entry 'hdr' */
	OP_RURI,    /* the Request-URI */
	OP_DROP,    /* entry 'hdr' goes; which bytes go is decided when writing */
};

/* [from,to) of the original message is replaced by len bytes at off in
 * e->text; from == to inserts. */
struct ms_edit_op {
	uint32_t from, to;
	size_t off, len;
	uint16_t hdr;
	uint8_t kind;
};

void ms_edit_init(struct ms_edit *e, const struct ms_msg *m)
{
	e->msg = m;
	e->ops = NULL;
	e->nops = e->cap = 0;
	ms_buf_init(&e->text);
	e->body_set = false;
	e->body = MS_STR_NULL;
}

void ms_edit_free(struct ms_edit *e)
{
	ms__free(e->ops);
	ms_buf_free(&e->text);
	ms_edit_init(e, e->msg);
}

static uint32_t offset(const struct ms_msg *m, const char *p)
{
	return (uint32_t)(p - m->buf);
}

/* The index of an entry of the edited message, or -1 for a pointer from
 * elsewhere. Compared as integers: relational operators on pointers into
 * different objects are undefined. */
static int entry_index(const struct ms_edit *e, const struct ms_hdr *h)
{
	const struct ms_msg *m = e->msg;
	uintptr_t p = (uintptr_t)h, base = (uintptr_t)m->hdrs;
	if (!h || p < base || p >= base + m->nhdrs * sizeof *h || (p - base) % sizeof *h)
		return -1;
	return (int)((p - base) / sizeof *h);
}

/* Room for n more ops. Every edit reserves all it needs first, so that it
 * either fails having changed nothing or is recorded whole. */
static int ops_reserve(struct ms_edit *e, unsigned n)
{
	if (n <= e->cap - e->nops)
		return 0;
	if (n > UINT_MAX / 2 - e->nops)
		return MS_ENOMEM;
	unsigned cap = e->cap ? e->cap : 8;
	while (cap - e->nops < n)
		cap *= 2;
	struct ms_edit_op *ops = ms__realloc(e->ops, cap * sizeof *ops);
	if (!ops)
		return MS_ENOMEM;
	e->ops = ops;
	e->cap = cap;
	return 0;
}

/* e->body is a slice into e->text: it follows the bytes when they move. */
static int text_reserve(struct ms_edit *e, size_t n)
{
	size_t body_off = e->body.len ? (size_t)(e->body.s - e->text.data) : 0;
	int rc = ms_buf_reserve(&e->text, n);
	if (rc == 0 && e->body.len)
		e->body.s = e->text.data + body_off;
	return rc;
}

static struct ms_edit_op *find(const struct ms_edit *e, enum op_kind kind, unsigned hdr)
{
	for (unsigned i = 0; i < e->nops; i++)
		if (e->ops[i].kind == kind && e->ops[i].hdr == hdr)
			return &e->ops[i];
	return NULL;
}

static bool dropped(const struct ms_edit *e, unsigned hdr)
{
	return find(e, OP_DROP, hdr) != NULL;
}

/* The op for new bytes over [from,to), after one op was reserved. REPLACE,
 * RURI and CTYPE ops are found again and updated, so the last value given
 * wins and no two ops cover the same bytes. */
static struct ms_edit_op *slot(struct ms_edit *e, enum op_kind kind, unsigned hdr, uint32_t from, uint32_t to)
{
	struct ms_edit_op *op = kind == OP_INSERT ? NULL : find(e, kind, hdr);
	if (!op) {
		op = &e->ops[e->nops++];
		*op = (struct ms_edit_op){ .from = from, .to = to, .hdr = (uint16_t)hdr };
		op->kind = (uint8_t)kind;
	}
	op->off = e->text.len;
	return op;
}

static int replace(struct ms_edit *e, unsigned hdr, struct ms_str value)
{
	const struct ms_hdr *h = &e->msg->hdrs[hdr];
	int rc = ops_reserve(e, 1);
	if (rc == 0)
		rc = text_reserve(e, value.len);
	if (rc)
		return rc;
	uint32_t from = offset(e->msg, h->value.s);
	struct ms_edit_op *op = slot(e, OP_REPLACE, hdr, from, from + (uint32_t)h->value.len);
	op->len = value.len;
	return ms_buf_adds(&e->text, value);
}

static int drop(struct ms_edit *e, unsigned hdr)
{
	if (dropped(e, hdr))
		return 0;
	int rc = ops_reserve(e, 1);
	if (rc)
		return rc;
	e->ops[e->nops++] = (struct ms_edit_op){ .hdr = (uint16_t)hdr, .kind = OP_DROP };
	return 0;
}

/* A new field line "name: value" at 'at'. */
static int insert(struct ms_edit *e, enum op_kind kind, uint32_t at, struct ms_str name, struct ms_str value)
{
	int rc = ops_reserve(e, 1);
	if (rc == 0)
		rc = text_reserve(e, name.len + value.len + 4);
	if (rc)
		return rc;
	size_t start = e->text.len;
	rc = ms_build_header(&e->text, name, value);
	if (rc)
		return rc;
	struct ms_edit_op *op = slot(e, kind, 0, at, at);
	op->off = start;
	op->len = e->text.len - start;
	return 0;
}

int ms_edit_set_ruri(struct ms_edit *e, struct ms_str uri)
{
	const struct ms_msg *m = e->msg;
	struct ms_uri u;
	const char *why;
	/* Parsed, so the request line stays one line of three parts and the
	 * message still passes ms_msg_check (no headers in a Request-URI). */
	if (!m->is_request || ms_uri_parse(&u, uri.s, uri.len, &why) < 0 || u.headers.len)
		return MS_EINVAL;
	int rc = ops_reserve(e, 1);
	if (rc == 0)
		rc = text_reserve(e, uri.len);
	if (rc)
		return rc;
	uint32_t from = offset(m, m->ruri_s.s);
	struct ms_edit_op *op = slot(e, OP_RURI, 0, from, from + (uint32_t)m->ruri_s.len);
	op->len = uri.len;
	return ms_buf_adds(&e->text, uri);
}

/* Content-Length belongs to the edit: it is rewritten from the body when
 * the message is written, so callers may not change it themselves. */
int ms_edit_remove(struct ms_edit *e, const struct ms_hdr *h)
{
	int i = entry_index(e, h);
	if (i < 0 || h->type == MS_HDR_CONTENT_LENGTH)
		return MS_EINVAL;
	return drop(e, (unsigned)i);
}

int ms_edit_remove_all(struct ms_edit *e, enum ms_hdr_type t)
{
	const struct ms_msg *m = e->msg;
	if ((unsigned)t >= MS_HDR__COUNT || t == MS_HDR_CONTENT_LENGTH)
		return MS_EINVAL;
	int rc = ops_reserve(e, ms_msg_hdr_count(m, t));
	for (const struct ms_hdr *h = ms_msg_hdr(m, t); h && rc == 0; h = ms_msg_hdr_next(m, h))
		rc = drop(e, (unsigned)(h - m->hdrs));
	return rc;
}

int ms_edit_replace(struct ms_edit *e, const struct ms_hdr *h, struct ms_str value)
{
	int i = entry_index(e, h);
	if (i < 0 || h->type == MS_HDR_CONTENT_LENGTH || ms__has_crlf(value.s, value.len))
		return MS_EINVAL;
	return replace(e, (unsigned)i, value);
}

/* Where a new field goes. TOP with no header of that name puts it first,
 * just after the start line, where the first header field begins. */
static int position(const struct ms_edit *e, struct ms_str name, enum ms_edit_where where,
		    const struct ms_hdr *ref, uint32_t *at)
{
	const struct ms_msg *m = e->msg;
	const struct ms_hdr *h;
	switch (where) {
	case MS_EDIT_TOP:
		h = ms_msg_hdr_by_name(m, name.s, name.len);
		*at = h ? h->field_off : m->nhdrs ? m->hdrs[0].field_off : (uint32_t)m->hdr_end;
		return 0;
	case MS_EDIT_BOTTOM: *at = (uint32_t)m->hdr_end; return 0;
	case MS_EDIT_BEFORE:
	case MS_EDIT_AFTER:
		if (entry_index(e, ref) < 0)
			return MS_EINVAL;
		*at = where == MS_EDIT_BEFORE ? ref->field_off : ref->field_end;
		return 0;
	}
	return MS_EINVAL;
}

int ms_edit_add(struct ms_edit *e, struct ms_str name, struct ms_str value, enum ms_edit_where where,
		const struct ms_hdr *ref)
{
	uint32_t at;
	if (name.len == 0 || ms_hdr_lookup(name.s, name.len) == MS_HDR_CONTENT_LENGTH)
		return MS_EINVAL;
	int rc = position(e, name, where, ref, &at);
	return rc ? rc : insert(e, OP_INSERT, at, name, value);
}

/* The Content-Type of a new body: the first one left is given the value and
 * any others go; with none left, a line is added (or updated, when an
 * earlier call added it) at the bottom. */
static int set_ctype(struct ms_edit *e, struct ms_str ctype)
{
	const struct ms_msg *m = e->msg;
	bool done = false;
	int rc = 0;
	const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_CONTENT_TYPE);
	for (; h && rc == 0; h = ms_msg_hdr_next(m, h)) {
		unsigned i = (unsigned)(h - m->hdrs);
		if (dropped(e, i))
			continue;
		rc = done ? drop(e, i) : replace(e, i, ctype);
		done = true;
	}
	if (rc || done)
		return rc;
	return insert(e, OP_CTYPE, (uint32_t)m->hdr_end, MS_STR("Content-Type"), ctype);
}

static void forget_ctype(struct ms_edit *e)
{
	struct ms_edit_op *op = find(e, OP_CTYPE, 0);
	if (!op)
		return;
	size_t i = (size_t)(op - e->ops);
	memmove(op, op + 1, (e->nops - i - 1) * sizeof *op);
	e->nops--;
}

int ms_edit_set_body(struct ms_edit *e, struct ms_str body, struct ms_str content_type)
{
	const struct ms_msg *m = e->msg;
	if (ms__has_crlf(content_type.s, content_type.len))
		return MS_EINVAL;
	/* Enough for the body, a Content-Type line and an op per entry, so
	 * that nothing below can fail half way. */
	int rc = ops_reserve(e, ms_msg_hdr_count(m, MS_HDR_CONTENT_TYPE) + 1);
	if (rc == 0)
		rc = text_reserve(e, body.len + content_type.len + sizeof "Content-Type: \r\n");
	if (rc)
		return rc;
	size_t off = e->text.len;
	ms_buf_add(&e->text, body.s, body.len);
	e->body_set = true;
	e->body = body.len ? (struct ms_str){ e->text.data + off, body.len } : MS_STR("");
	if (body.len == 0) {
		forget_ctype(e);
		return ms_edit_remove_all(e, MS_HDR_CONTENT_TYPE);
	}
	return content_type.len ? set_ctype(e, content_type) : 0;
}

/* Writing: the ops become pieces, each a range of the original with the
 * bytes that replace it, sorted by position and applied in one walk. */
struct piece {
	uint32_t from, to;
	const char *s;
	size_t len;
	unsigned seq; /* order of creation: insertions at one point keep it */
};

struct plan {
	struct piece *p;
	unsigned n;
	bool gone[MS_MSG_MAX_HDRS];
	char clen[48]; /* the Content-Length value or line */
};

static void put(struct plan *pl, uint32_t from, uint32_t to, const char *s, size_t len)
{
	pl->p[pl->n] = (struct piece){ from, to, s, len, pl->n };
	pl->n++;
}

static void plan_ops(const struct ms_edit *e, struct plan *pl)
{
	for (unsigned i = 0; i < e->nops; i++)
		if (e->ops[i].kind == OP_DROP)
			pl->gone[e->ops[i].hdr] = true;
	for (unsigned i = 0; i < e->nops; i++) {
		const struct ms_edit_op *op = &e->ops[i];
		if (op->kind == OP_DROP || (op->kind == OP_REPLACE && pl->gone[op->hdr]))
			continue;
		put(pl, op->from, op->to, e->text.data + op->off, op->len);
	}
}

static uint32_t value_end(const struct ms_msg *m, const struct ms_hdr *h)
{
	return offset(m, h->value.s) + (uint32_t)h->value.len;
}

/* The entries [i,j) of one field, some of them gone. With none left the
 * whole field goes; else each run of gone elements goes with one comma:
 * from its first element to the next element left, or, for a run at the
 * end, from the end of the element before it. The ranges never overlap. */
static void plan_field(const struct ms_msg *m, struct plan *pl, unsigned i, unsigned j)
{
	const struct ms_hdr *h = m->hdrs;
	unsigned left = 0;
	for (unsigned k = i; k < j; k++)
		left += !pl->gone[k];
	if (left == 0) {
		put(pl, h[i].field_off, h[i].field_end, NULL, 0);
		return;
	}
	for (unsigned k = i, r; k < j; k = r) {
		for (r = k; r < j && pl->gone[r]; r++)
			;
		if (r == k)
			r++;
		else if (r < j)
			put(pl, offset(m, h[k].value.s), offset(m, h[r].value.s), NULL, 0);
		else
			put(pl, value_end(m, &h[k - 1]), value_end(m, &h[r - 1]), NULL, 0);
	}
}

/* Entries of one field are consecutive in the index and share field_off. */
static void plan_fields(const struct ms_msg *m, struct plan *pl)
{
	for (unsigned i = 0, j; i < m->nhdrs; i = j) {
		bool any = pl->gone[i];
		for (j = i + 1; j < m->nhdrs && m->hdrs[j].field_off == m->hdrs[i].field_off; j++)
			any |= pl->gone[j];
		if (any)
			plan_field(m, pl, i, j);
	}
}

/* Content-Length as the body needs it: left alone when it is right, else
 * the first entry rewritten and the others dropped, or a line added last
 * when there was none (a datagram may come without). Run before the other
 * ops are planned, as it may mark entries gone; the added line is put
 * last so it follows anything else added at the bottom. */
static const struct ms_hdr *plan_clen(const struct ms_edit *e, struct plan *pl, size_t len)
{
	const struct ms_msg *m = e->msg;
	const struct ms_hdr *first = ms_msg_hdr(m, MS_HDR_CONTENT_LENGTH);
	if (first && m->clen == len)
		return NULL;
	if (!first) {
		snprintf(pl->clen, sizeof pl->clen, "Content-Length: %zu\r\n", len);
		return NULL;
	}
	for (const struct ms_hdr *h = ms_msg_hdr_next(m, first); h; h = ms_msg_hdr_next(m, h))
		pl->gone[h - m->hdrs] = true;
	snprintf(pl->clen, sizeof pl->clen, "%zu", len);
	return first;
}

static int by_position(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	/* An insertion goes before a range that starts where it is. */
	bool xi = x->from == x->to, yi = y->from == y->to;
	if (xi != yi)
		return xi ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Copies the original through, piece by piece. Room was reserved, so no
 * add below can fail. */
static void apply(const struct ms_msg *m, const struct plan *pl, struct ms_buf *out)
{
	size_t at = 0;
	for (unsigned i = 0; i < pl->n; i++) {
		const struct piece *p = &pl->p[i];
		if (p->from > at)
			ms_buf_add(out, m->buf + at, p->from - at);
		ms_buf_add(out, p->s, p->len);
		if (p->to > at)
			at = p->to;
	}
	ms_buf_add(out, m->buf + at, m->len - at);
}

static void plan(const struct ms_edit *e, struct plan *pl)
{
	const struct ms_msg *m = e->msg;
	size_t len = e->body_set ? e->body.len : m->body.len;
	const struct ms_hdr *clen = plan_clen(e, pl, len);
	plan_ops(e, pl);
	plan_fields(m, pl);
	if (e->body_set) {
		uint32_t b = offset(m, m->body.s);
		put(pl, b, b + (uint32_t)m->body.len, e->body.s, e->body.len);
	}
	if (clen)
		put(pl, offset(m, clen->value.s), value_end(m, clen), pl->clen, strlen(pl->clen));
	else if (pl->clen[0])
		put(pl, (uint32_t)m->hdr_end, (uint32_t)m->hdr_end, pl->clen, strlen(pl->clen));
	qsort(pl->p, pl->n, sizeof *pl->p, by_position);
}

int ms_edit_write(const struct ms_edit *e, struct ms_buf *out)
{
	const struct ms_msg *m = e->msg;
	struct plan pl = { 0 };
	/* At most one piece per op, per gone entry, the body and
	 * Content-Length. */
	pl.p = ms__malloc((e->nops + m->nhdrs + 2) * sizeof *pl.p);
	if (!pl.p)
		return MS_ENOMEM;
	/* The output is never longer than the original, all new text and
	 * the Content-Length line. */
	int rc = ms_buf_reserve(out, m->len + e->text.len + sizeof pl.clen);
	if (rc == 0) {
		plan(e, &pl);
		apply(m, &pl, out);
	}
	ms__free(pl.p);
	return rc;
}
