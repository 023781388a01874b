/* A parsed message moved onto another copy of its text, without parsing it
 * again: as it is (a request kept past the callback that lent its bytes),
 * or with one header value replaced (the stack marks the top Via of nearly
 * every request it receives). A second parse of the whole message cost as
 * much as the first. */
#include <string.h>

#include "base/alloc.h"
#include "base/str.h"
#include "msg/msg_private.h"

/* Where the text of the original lands in the copy: before the replaced
 * value in the same place, after it moved by the change of length. */
struct move {
	const char *old;
	size_t len;
	const char *copy;
	size_t cut_at, cut_end;
	ptrdiff_t delta;
};

static size_t moved_off(const struct move *mv, size_t off)
{
	return off >= mv->cut_end ? (size_t)((ptrdiff_t)off + mv->delta) : off;
}

/* Only what points into the text moves (an error's header name may be
 * static text). */
static void moved(const struct move *mv, struct ms_str *s)
{
	if (s->s && s->s >= mv->old && s->s <= mv->old + mv->len)
		s->s = mv->copy + moved_off(mv, (size_t)(s->s - mv->old));
}

/* Every slice and offset of m onto the copy, except the value of entry
 * 'skip' (the replaced one, or NULL). */
static void move_msg(struct ms_msg *m, const struct move *mv, const struct ms_hdr *skip, size_t copy_len)
{
	struct ms_str *starts[] = {
		&m->method_s, &m->ruri_s, &m->reason, &m->version, &m->body, &m->err.hdr
	};
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
		moved(mv, starts[i]);
	for (unsigned i = 0; i < m->nhdrs; i++) {
		struct ms_hdr *e = &m->hdrs[i];
		if (e != skip)
			moved(mv, &e->value);
		moved(mv, &e->name);
		e->field_off = (uint32_t)moved_off(mv, e->field_off);
		e->field_end = (uint32_t)moved_off(mv, e->field_end);
	}
	m->hdr_end = moved_off(mv, m->hdr_end);
	m->buf = mv->copy;
	m->len = copy_len;
	m->parsed = 0; /* the typed views point into the old text */
}

int ms_msg_copy(struct ms_msg *dst, const struct ms_msg *src, const char *text)
{
	/* dst keeps its entry array (inline, or a block it grew), grown
	 * first when src has more entries than it holds. */
	struct ms_hdr *hdrs = dst->hdrs;
	unsigned cap = dst->cap;
	if (src->nhdrs > cap) {
		struct ms_hdr *grown = ms__malloc(src->nhdrs * sizeof *grown);
		if (!grown)
			return MS_ENOMEM;
		if (hdrs != dst->hdr_inline)
			ms__free(hdrs);
		hdrs = grown;
		cap = src->nhdrs;
	}
	memcpy(dst, src, offsetof(struct ms_msg, hdr_inline)); /* all but the inline entries */
	dst->hdrs = hdrs;
	dst->cap = cap;
	memcpy(dst->hdrs, src->hdrs, src->nhdrs * sizeof *src->hdrs);
	struct move mv = {
		.old = src->buf, .len = src->len, .copy = text, .cut_at = src->len, .cut_end = src->len
	};
	move_msg(dst, &mv, NULL, src->len);
	return 0;
}

int ms__msg_replace_value(struct ms_msg *m, const struct ms_hdr *at, struct ms_str value, struct ms_buf *out)
{
	if (!at || at < m->hdrs || at >= m->hdrs + m->nhdrs || at->type == MS_HDR_CONTENT_LENGTH ||
	    ms__has_crlf(value.s, value.len))
		return MS_EINVAL;
	struct ms_hdr *h = &m->hdrs[at - m->hdrs];
	struct move mv = { .old = m->buf, .len = m->len, .cut_at = (size_t)(h->value.s - m->buf) };
	mv.cut_end = mv.cut_at + h->value.len;
	mv.delta = (ptrdiff_t)value.len - (ptrdiff_t)h->value.len;
	out->len = 0;
	int rc = ms_buf_reserve(out, m->len + value.len);
	if (rc)
		return rc;
	ms_buf_add(out, m->buf, mv.cut_at);
	ms_buf_add(out, value.s, value.len);
	ms_buf_add(out, m->buf + mv.cut_end, m->len - mv.cut_end);
	mv.copy = out->data;
	move_msg(m, &mv, h, out->len);
	h->value = (struct ms_str){ mv.copy + mv.cut_at, value.len };
	return 0;
}
