/* SDP editing and writing.
 *
 * Edits never touch the parsed body: a changed line gets a new value slice
 * into the edit arena, added lines are inserted into the line array, and
 * removed ones are dropped from it. The arena is a list of chunks that are
 * never moved or resized, so every slice into them stays valid until
 * ms_sdp_free(). An edit first takes everything it can fail to get (arena
 * bytes, a line slot), and only then changes the lines, so a failed edit
 * leaves the body as it was. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/str.h"
#include "moonsip/sdp.h"
#include "sdp/sdp_private.h"

struct ms_sdp_chunk {
	struct ms_sdp_chunk *next;
	size_t used, cap;
	char data[];
};

/* A chunk holds this much unless one value needs more. Bodies see a handful
 * of edits, so one chunk is the usual case. */
#define CHUNK_MIN 512
/* The longest text a caller may hand to an edit. */
#define TEXT_MAX 4096

/* "%.*s" arguments for a slice. */
#define SLICE(x) (int)(x).len, (x).s

typedef bool (*line_pred)(const struct ms_sdp_line *l, const void *arg);

static const char *const ice_attrs[] = {
	"candidate",   "remote-candidates", "end-of-candidates", "ice-ufrag",  "ice-pwd",
	"ice-options", "ice-lite",          "ice-mismatch",      "ice-pacing",
};

void ms_sdp_free(struct ms_sdp *sdp)
{
	if (sdp->lines != sdp->inline_lines)
		ms__free(sdp->lines);
	if (sdp->media != sdp->inline_media)
		ms__free(sdp->media);
	while (sdp->arena) {
		struct ms_sdp_chunk *next = sdp->arena->next;
		ms__free(sdp->arena);
		sdp->arena = next;
	}
	sdp->lines = sdp->inline_lines;
	sdp->nlines = 0;
	sdp->cap = MS_SDP_INLINE_LINES;
	sdp->media = sdp->inline_media;
	sdp->nmedia = 0;
	sdp->media_cap = MS_SDP_INLINE_MEDIA;
}

/* ---- the arena ---- */

static char *arena_alloc(struct ms_sdp *sdp, size_t n)
{
	struct ms_sdp_chunk *c = sdp->arena;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = ms__malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = sdp->arena;
		sdp->arena = c;
	}
	char *p = c->data + c->used;
	c->used += n;
	return p;
}

static int arena_printf(struct ms_sdp *sdp, struct ms_str *out, const char *fmt, ...) MS_PRINTF(3, 4);

static int arena_printf(struct ms_sdp *sdp, struct ms_str *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MS_EINVAL;
	/* vsnprintf writes a NUL after the text; it is not part of the value. */
	char *p = arena_alloc(sdp, (size_t)n + 1);
	if (!p)
		return MS_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*out = (struct ms_str){ p, (size_t)n };
	return 0;
}

/* ---- checking what callers hand in ---- */

/* Text that cannot break a line: no CR, LF or NUL. */
static bool is_text(struct ms_str s)
{
	if (s.len > TEXT_MAX)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.s[i] == '\r' || s.s[i] == '\n' || s.s[i] == '\0')
			return false;
	return true;
}

/* One field: visible ASCII, none of the characters in 'not'. */
static bool is_word(struct ms_str s, const char * not )
{
	if (s.len == 0 || s.len > TEXT_MAX)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.s[i] <= ' ' || s.s[i] >= 0x7f || strchr(not, s.s[i]))
			return false;
	return true;
}

static const char *ip_type(struct ms_str address)
{
	return memchr(address.s, ':', address.len) ? "IP6" : "IP4";
}

/* ---- line predicates ---- */

static bool attr_name(const struct ms_sdp_line *l, struct ms_str *name)
{
	struct ms_str value;
	if (l->type != 'a')
		return false;
	ms_sdp_split_attr(l->value, name, &value);
	return true;
}

static bool is_named(const struct ms_sdp_line *l, const void *arg)
{
	struct ms_str name;
	return attr_name(l, &name) && ms_str_ieq(name, *(const struct ms_str *)arg);
}

static bool is_ice(const struct ms_sdp_line *l, const void *arg)
{
	struct ms_str name;
	(void)arg;
	if (!attr_name(l, &name))
		return false;
	for (size_t i = 0; i < sizeof(ice_attrs) / sizeof(ice_attrs[0]); i++)
		if (ms_str_ieqz(name, ice_attrs[i]))
			return true;
	return false;
}

static bool is_direction(const struct ms_sdp_line *l, const void *arg)
{
	struct ms_str name;
	(void)arg;
	if (!attr_name(l, &name))
		return false;
	for (int d = MS_SDP_SENDRECV; d <= MS_SDP_INACTIVE; d++)
		if (ms_str_ieqz(name, ms_sdp_dir_name((enum ms_sdp_dir)d)))
			return true;
	return false;
}

static bool is_conn(const struct ms_sdp_line *l, const void *arg)
{
	(void)arg;
	return l->type == 'c';
}

/* ---- changing the line array ---- */

/* Edits never add or drop m= lines, but they move them. */
static void reindex(struct ms_sdp *sdp)
{
	unsigned n = 0;
	for (unsigned i = 0; i < sdp->nlines; i++)
		if (sdp->lines[i].type == 'm')
			sdp->media[n++] = i;
}

/* Needs a slot reserved with ms__sdp_reserve(). */
static void insert_line(struct ms_sdp *sdp, unsigned pos, char type, struct ms_str value)
{
	memmove(&sdp->lines[pos + 1], &sdp->lines[pos], (sdp->nlines - pos) * sizeof(sdp->lines[0]));
	sdp->lines[pos] = (struct ms_sdp_line){ type, value };
	sdp->nlines++;
	reindex(sdp);
}

/* Drops the lines of [begin, end) that match; returns how many. */
static unsigned remove_lines(struct ms_sdp *sdp, unsigned begin, unsigned end, line_pred pred,
			     const void *arg)
{
	unsigned out = begin;
	for (unsigned i = begin; i < end; i++)
		if (!pred(&sdp->lines[i], arg))
			sdp->lines[out++] = sdp->lines[i];
	unsigned gone = end - out;
	if (gone) {
		memmove(&sdp->lines[out], &sdp->lines[end], (sdp->nlines - end) * sizeof(sdp->lines[0]));
		sdp->nlines -= gone;
		reindex(sdp);
	}
	return gone;
}

/* Where a new c= line goes in a level: after the lines RFC 8866 puts
 * before it (the parser has checked the order, edits keep it). */
static unsigned conn_pos(const struct ms_sdp *sdp, int m, unsigned begin, unsigned end)
{
	const char *before = m < 0 ? "vosiuep" : "mi";
	while (begin < end && strchr(before, sdp->lines[begin].type))
		begin++;
	return begin;
}

/* Leaves one line matching 'pred' in level m, with value 'text': the first
 * match is rewritten and later ones dropped, or a new line is added (a c=
 * in its place, an a= at the end of the level). */
static int set_single(struct ms_sdp *sdp, int m, char type, line_pred pred, const void *arg,
		      struct ms_str text)
{
	unsigned begin, end, i;
	int rc = ms_sdp_range(sdp, m, &begin, &end);
	if (rc)
		return rc;
	for (i = begin; i < end; i++) {
		if (pred(&sdp->lines[i], arg)) {
			sdp->lines[i].value = text;
			remove_lines(sdp, i + 1, end, pred, arg);
			return 0;
		}
	}
	if ((rc = ms__sdp_reserve(sdp, 1)))
		return rc;
	insert_line(sdp, type == 'c' ? conn_pos(sdp, m, begin, end) : end, type, text);
	return 0;
}

static bool valid_level(const struct ms_sdp *sdp, int m)
{
	unsigned begin, end;
	return ms_sdp_range(sdp, m, &begin, &end) == 0;
}

/* ---- edits ---- */

int ms_sdp_set_conn(struct ms_sdp *sdp, int m, struct ms_str address)
{
	struct ms_str text;
	if (!is_word(address, "/"))
		return MS_EINVAL;
	if (!valid_level(sdp, m))
		return MS_ENOENT;
	int rc = arena_printf(sdp, &text, "IN %s %.*s", ip_type(address), SLICE(address));
	return rc ? rc : set_single(sdp, m, 'c', is_conn, NULL, text);
}

int ms_sdp_set_port(struct ms_sdp *sdp, unsigned m, uint16_t port)
{
	struct ms_sdp_media md;
	struct ms_str text;
	int rc = ms_sdp_get_media(sdp, m, &md);
	if (rc)
		return rc;
	struct ms_sdp_line *l = &sdp->lines[sdp->media[m]];
	size_t pre = (size_t)(md.port_s.s - l->value.s);
	size_t post = pre + md.port_s.len;
	rc = arena_printf(sdp, &text, "%.*s%u%.*s", (int)pre, l->value.s, (unsigned)port,
			  (int)(l->value.len - post), l->value.s + post);
	if (rc)
		return rc;
	l->value = text;
	return 0;
}

int ms_sdp_set_attr(struct ms_sdp *sdp, int m, struct ms_str name, struct ms_str value)
{
	struct ms_str text;
	int rc;
	if (!is_word(name, ":") || (value.s && !is_text(value)))
		return MS_EINVAL;
	if (!valid_level(sdp, m))
		return MS_ENOENT;
	if (value.s)
		rc = arena_printf(sdp, &text, "%.*s:%.*s", SLICE(name), SLICE(value));
	else
		rc = arena_printf(sdp, &text, "%.*s", SLICE(name));
	return rc ? rc : set_single(sdp, m, 'a', is_named, &name, text);
}

int ms_sdp_remove_attr(struct ms_sdp *sdp, int m, struct ms_str name)
{
	unsigned begin, end;
	if (!is_word(name, ":"))
		return MS_EINVAL;
	int rc = ms_sdp_range(sdp, m, &begin, &end);
	return rc ? rc : (int)remove_lines(sdp, begin, end, is_named, &name);
}

int ms_sdp_set_rtcp(struct ms_sdp *sdp, unsigned m, uint16_t port, struct ms_str address)
{
	const struct ms_str rtcp = MS_STR("rtcp");
	struct ms_str text;
	int rc;
	if (address.len && !is_word(address, "/"))
		return MS_EINVAL;
	if (m >= sdp->nmedia)
		return MS_ENOENT;
	if (address.len)
		rc = arena_printf(sdp, &text, "rtcp:%u IN %s %.*s", (unsigned)port, ip_type(address),
				  SLICE(address));
	else
		rc = arena_printf(sdp, &text, "rtcp:%u", (unsigned)port);
	return rc ? rc : set_single(sdp, (int)m, 'a', is_named, &rtcp, text);
}

int ms_sdp_set_direction(struct ms_sdp *sdp, int m, enum ms_sdp_dir dir)
{
	if (dir < MS_SDP_SENDRECV || dir > MS_SDP_INACTIVE)
		return MS_EINVAL;
	/* The value is a static string: nothing to copy. */
	const char *name = ms_sdp_dir_name(dir);
	struct ms_str text = { name, strlen(name) };
	return set_single(sdp, m, 'a', is_direction, NULL, text);
}

int ms_sdp_remove_ice(struct ms_sdp *sdp)
{
	return (int)remove_lines(sdp, 0, sdp->nlines, is_ice, NULL);
}

static bool all_digits(struct ms_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (!ms__is_digit(s.s[i]))
			return false;
	return s.len > 0;
}

static bool all_nines(struct ms_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.s[i] != '9')
			return false;
	return true;
}

/* Writes ver + 1 into d, which has room for one more digit when ver is
 * all nines ("99" -> "100"). Decimal on the text: no width limit. */
static void increment(char *d, struct ms_str ver)
{
	if (all_nines(ver)) {
		d[0] = '1';
		memset(d + 1, '0', ver.len);
		return;
	}
	memcpy(d, ver.s, ver.len);
	for (size_t i = ver.len; i-- > 0;) {
		if (d[i] != '9') {
			d[i]++;
			return;
		}
		d[i] = '0';
	}
}

int ms_sdp_bump_version(struct ms_sdp *sdp)
{
	struct ms_sdp_origin o;
	int rc = ms_sdp_get_origin(sdp, &o);
	if (rc)
		return rc;
	struct ms_str ver = o.sess_version;
	if (!all_digits(ver))
		return MS_EBADMSG;
	/* get_origin found it, so the session holds an o= line. */
	struct ms_sdp_line *l = sdp->lines;
	while (l->type != 'o')
		l++;
	size_t pre = (size_t)(ver.s - l->value.s);
	size_t post = pre + ver.len;
	size_t len = l->value.len + all_nines(ver);
	char *p = arena_alloc(sdp, len);
	if (!p)
		return MS_ENOMEM;
	memcpy(p, l->value.s, pre);
	increment(p + pre, ver);
	memcpy(p + len - (l->value.len - post), l->value.s + post, l->value.len - post);
	l->value = (struct ms_str){ p, len };
	return 0;
}

/* ---- writing ---- */

int ms_sdp_write(const struct ms_sdp *sdp, struct ms_buf *out)
{
	size_t total = 0;
	for (unsigned i = 0; i < sdp->nlines; i++)
		total += sdp->lines[i].value.len + 4;
	int rc = ms_buf_reserve(out, total);
	if (rc)
		return rc;
	/* Room is reserved: the adds below cannot fail. */
	for (unsigned i = 0; i < sdp->nlines; i++) {
		const struct ms_sdp_line *l = &sdp->lines[i];
		char head[2] = { l->type, '=' };
		ms_buf_add(out, head, 2);
		ms_buf_adds(out, l->value);
		ms_buf_add(out, "\r\n", 2);
	}
	return 0;
}
