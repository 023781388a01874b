/* SDP parsing (RFC 8866 §5 and §9) and the typed views over parsed lines.
 *
 * The parser checks what a proxy and an RTP relay rely on: the order of the
 * lines, v=0 first, o= with its six fields, c= with its three and m= with a
 * sane port and proto. Other values are kept as written and only parsed
 * when someone asks for them. */
#include <limits.h>
#include <string.h>

#include "base/alloc.h"
#include "base/str.h"
#include "moonsip/sdp.h"
#include "sdp/sdp_private.h"

/* Line order of each section (RFC 8866 §5): a line's position in these
 * strings is its rank, which never goes down within a section. t= and r=
 * alternate in time descriptions and get special handling. */
static const char session_order[] = "vosiuepcbtrzka";
static const char media_order[] = "micbka";
/* Line types that appear at most once per section. */
static const char session_once[] = "vosiuczk";
static const char media_once[] = "ik";

struct parser {
	struct ms_sdp *sdp;
	const char *why;
	bool in_media;
	int rank;      /* of the last line in this section */
	char prev;     /* type of the last line */
	uint32_t seen; /* one bit per letter seen in this section */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_token_char(char c)
{
	/* RFC 8866 token-char: visible ASCII except the separators below. */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("\"(),/:;<=>?@[\\]", c) == NULL;
}

static bool is_token(struct ms_str s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_token_char(s.s[i]))
			return false;
	return true;
}

bool ms_sdp_next_field(struct ms_str *rest, struct ms_str *field)
{
	size_t i = 0;
	if (rest->len == 0)
		return false;
	while (i < rest->len && is_space(rest->s[i]))
		i++;
	size_t start = i;
	while (i < rest->len && !is_space(rest->s[i]))
		i++;
	if (i == start) {
		rest->s += i;
		rest->len = 0;
		return false;
	}
	*field = (struct ms_str){ rest->s + start, i - start };
	rest->s += i;
	rest->len -= i;
	return true;
}

/* Fills fields[0..n) and requires exactly n of them. */
static bool split_fields(struct ms_str value, struct ms_str *fields, unsigned n)
{
	struct ms_str extra;
	for (unsigned i = 0; i < n; i++)
		if (!ms_sdp_next_field(&value, &fields[i]))
			return false;
	return !ms_sdp_next_field(&value, &extra);
}

/* Splits "a/b" at its first '/': *head is "a", *tail "b" (empty, s NULL,
 * when there is no '/'). */
static void split_slash(struct ms_str s, struct ms_str *head, struct ms_str *tail)
{
	const char *p = s.len ? memchr(s.s, '/', s.len) : NULL;
	if (!p) {
		*head = s;
		*tail = MS_STR_NULL;
		return;
	}
	*head = (struct ms_str){ s.s, (size_t)(p - s.s) };
	*tail = (struct ms_str){ p + 1, s.len - head->len - 1 };
}

static int parse_port(struct ms_str s, uint16_t *port)
{
	uint32_t v;
	if (s.len > 5 || ms_str_to_u32(s, 65535, &v))
		return MS_EBADMSG;
	*port = (uint16_t)v;
	return 0;
}

static int parse_conn(struct ms_str value, struct ms_sdp_conn *out)
{
	struct ms_str f[3];
	if (!split_fields(value, f, 3))
		return MS_EBADMSG;
	out->nettype = f[0];
	out->addrtype = f[1];
	split_slash(f[2], &out->address, &out->mcast);
	if (out->address.len == 0 || (out->mcast.s && out->mcast.len == 0))
		return MS_EBADMSG;
	return 0;
}

static int parse_origin(struct ms_str value, struct ms_sdp_origin *out)
{
	struct ms_str f[6];
	if (!split_fields(value, f, 6))
		return MS_EBADMSG;
	*out = (struct ms_sdp_origin){ f[0], f[1], f[2], f[3], f[4], f[5] };
	return 0;
}

/* proto = token *("/" token) */
static bool is_proto(struct ms_str s)
{
	struct ms_str head, tail;
	do {
		split_slash(s, &head, &tail);
		if (!is_token(head))
			return false;
		s = tail;
	} while (tail.s);
	return true;
}

static int parse_media(struct ms_str value, struct ms_sdp_media *out, const char **why)
{
	struct ms_str port, count;
	*why = "m= line needs media, port and proto";
	if (!ms_sdp_next_field(&value, &out->media) || !ms_sdp_next_field(&value, &port) ||
	    !ms_sdp_next_field(&value, &out->proto))
		return MS_EBADMSG;
	*why = "bad media type in m= line";
	if (!is_token(out->media))
		return MS_EBADMSG;
	*why = "bad port in m= line";
	split_slash(port, &out->port_s, &count);
	if (parse_port(out->port_s, &out->port))
		return MS_EBADMSG;
	out->nports = 1;
	if (count.s && (parse_port(count, &out->nports) || out->nports == 0))
		return MS_EBADMSG;
	*why = "bad proto in m= line";
	if (!is_proto(out->proto))
		return MS_EBADMSG;
	/* Formats are not checked: rejected streams in the wild sometimes list
	 * none, and a relay passes them through. */
	struct ms_str fmt;
	if (ms_sdp_next_field(&value, &fmt))
		out->fmts = (struct ms_str){ fmt.s, (size_t)(value.s + value.len - fmt.s) };
	else
		out->fmts = (struct ms_str){ value.s, 0 };
	while (out->fmts.len && is_space(out->fmts.s[out->fmts.len - 1]))
		out->fmts.len--;
	*why = NULL;
	return 0;
}

/* ---- storage ---- */

static void sdp_init(struct ms_sdp *sdp)
{
	memset(sdp, 0, offsetof(struct ms_sdp, inline_media));
	sdp->lines = sdp->inline_lines;
	sdp->cap = MS_SDP_INLINE_LINES;
	sdp->media = sdp->inline_media;
	sdp->media_cap = MS_SDP_INLINE_MEDIA;
}

/* Grows a block held inline or on the heap to 'cap' elements of 'size'. */
static void *grow(void *cur, const void *inline_block, size_t have, size_t cap, size_t size)
{
	if (cur != inline_block)
		return ms__realloc(cur, cap * size);
	void *p = ms__malloc(cap * size);
	if (p)
		memcpy(p, cur, have * size);
	return p;
}

int ms__sdp_reserve(struct ms_sdp *sdp, unsigned n)
{
	if (n > MS_SDP_MAX_LINES - sdp->nlines)
		return MS_EMSGSIZE;
	unsigned need = sdp->nlines + n;
	if (need <= sdp->cap)
		return 0;
	unsigned cap = sdp->cap * 2 > need ? sdp->cap * 2 : need;
	if (cap > MS_SDP_MAX_LINES)
		cap = MS_SDP_MAX_LINES;
	struct ms_sdp_line *p = grow(sdp->lines, sdp->inline_lines, sdp->nlines, cap, sizeof(*p));
	if (!p)
		return MS_ENOMEM;
	sdp->lines = p;
	sdp->cap = cap;
	return 0;
}

static int add_media(struct ms_sdp *sdp, unsigned line)
{
	if (sdp->nmedia == sdp->media_cap) {
		/* Never more m= lines than lines, so this stays bounded. */
		unsigned cap = sdp->media_cap * 2;
		unsigned *p = grow(sdp->media, sdp->inline_media, sdp->nmedia, cap, sizeof(*p));
		if (!p)
			return MS_ENOMEM;
		sdp->media = p;
		sdp->media_cap = cap;
	}
	sdp->media[sdp->nmedia++] = line;
	return 0;
}

static int add_line(struct ms_sdp *sdp, char type, struct ms_str value)
{
	int rc = ms__sdp_reserve(sdp, 1);
	if (rc)
		return rc;
	if (type == 'm' && (rc = add_media(sdp, sdp->nlines)))
		return rc;
	sdp->lines[sdp->nlines++] = (struct ms_sdp_line){ type, value };
	return 0;
}

/* ---- parsing ---- */

/* The next line at *pos, without its LF or CRLF. */
static bool next_line(const char *s, size_t len, size_t *pos, struct ms_str *line)
{
	if (*pos >= len)
		return false;
	const char *p = s + *pos;
	const char *nl = memchr(p, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - p) : len - *pos;
	*pos += n + (nl != NULL);
	/* Also drops the CR of a CRLF cut in half at the end of the body. */
	if (n && p[n - 1] == '\r')
		n--;
	*line = (struct ms_str){ p, n };
	return true;
}

static bool only_line_ends(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static int fail(struct parser *p, const char *why)
{
	p->why = why;
	return MS_EBADMSG;
}

static int check_required(struct parser *p)
{
	if (!(p->seen & (1u << ('o' - 'a'))))
		return fail(p, "missing o= line");
	if (!(p->seen & (1u << ('s' - 'a'))))
		return fail(p, "missing s= line");
	if (!(p->seen & (1u << ('t' - 'a'))))
		return fail(p, "missing t= line");
	return 0;
}

static int check_order(struct parser *p, char type)
{
	if (type == 'm') {
		int rc = p->in_media ? 0 : check_required(p);
		p->in_media = true;
		p->rank = 0;
		p->seen = 0;
		return rc;
	}
	const char *order = p->in_media ? media_order : session_order;
	const char *once = p->in_media ? media_once : session_once;
	const char *at = strchr(order, type);
	if (!at)
		return fail(p,
			    strchr(session_order, type) ? "line type not allowed in a media section"
							: "unknown line type");
	int rank = (int)(at - order);
	uint32_t bit = 1u << (type - 'a');
	if (type == 'r' && p->prev != 't' && p->prev != 'r')
		return fail(p, "r= line not after t= or r=");
	if (rank < p->rank && !(type == 't' && p->prev == 'r'))
		return fail(p, "line out of order");
	if ((p->seen & bit) && strchr(once, type))
		return fail(p, "repeated line");
	p->rank = rank;
	p->seen |= bit;
	return 0;
}

static int check_value(struct parser *p, char type, struct ms_str value)
{
	struct ms_sdp_origin o;
	struct ms_sdp_conn c;
	struct ms_sdp_media m;
	switch (type) {
	case 'v': return ms_str_eq(value, MS_STR("0")) ? 0 : fail(p, "v= is not 0");
	case 'o': return parse_origin(value, &o) ? fail(p, "o= line needs 6 fields") : 0;
	case 'c': return parse_conn(value, &c) ? fail(p, "c= line is not nettype addrtype address") : 0;
	case 'm': return parse_media(value, &m, &p->why);
	}
	return 0;
}

static int parse_line(struct parser *p, struct ms_str line)
{
	if (line.len < 2 || line.s[1] != '=' || line.s[0] < 'a' || line.s[0] > 'z')
		return fail(p, "line is not <type>=<value>");
	char type = line.s[0];
	struct ms_str value = { line.s + 2, line.len - 2 };
	/* RFC 8866 text excludes NUL and CR; a lone CR would end the line for
	 * some readers and not others. */
	if (memchr(value.s, '\0', value.len) || memchr(value.s, '\r', value.len))
		return fail(p, "NUL or CR inside a line");
	if (p->sdp->nlines == 0 && type != 'v')
		return fail(p, "body does not start with v=");
	int rc = check_order(p, type);
	if (!rc)
		rc = check_value(p, type, value);
	if (!rc)
		rc = add_line(p->sdp, type, value);
	if (rc == MS_EMSGSIZE)
		p->why = "too many lines";
	p->prev = type;
	return rc;
}

static int parse_body(struct parser *p, const char *s, size_t len)
{
	size_t pos = 0;
	struct ms_str line;
	while (next_line(s, len, &pos, &line)) {
		p->sdp->err_line++;
		if (line.len == 0) {
			if (only_line_ends(s + pos, len - pos))
				break;
			return fail(p, "empty line");
		}
		int rc = parse_line(p, line);
		if (rc)
			return rc;
	}
	if (p->sdp->nlines == 0)
		return fail(p, "body does not start with v=");
	return p->in_media ? 0 : check_required(p);
}

int ms_sdp_parse(struct ms_sdp *sdp, const char *s, size_t len, const char **why)
{
	struct parser p = { .sdp = sdp, .rank = 0 };
	sdp_init(sdp);
	int rc = len > INT_MAX ? MS_EMSGSIZE : parse_body(&p, s, len);
	if (why)
		*why = rc ? (p.why ? p.why : ms_strerror(rc)) : NULL;
	if (!rc)
		sdp->err_line = 0;
	return rc;
}

/* ---- typed views ---- */

int ms_sdp_range(const struct ms_sdp *sdp, int m, unsigned *begin, unsigned *end)
{
	if (m < MS_SDP_SESSION || (m >= 0 && (unsigned)m >= sdp->nmedia))
		return MS_ENOENT;
	unsigned next = (unsigned)(m + 1);
	*begin = m < 0 ? 0 : sdp->media[m];
	*end = next < sdp->nmedia ? sdp->media[next] : sdp->nlines;
	return 0;
}

/* The first line of a type in level m, or NULL. */
static const struct ms_sdp_line *find_line(const struct ms_sdp *sdp, int m, char type)
{
	unsigned i, end;
	if (ms_sdp_range(sdp, m, &i, &end))
		return NULL;
	for (; i < end; i++)
		if (sdp->lines[i].type == type)
			return &sdp->lines[i];
	return NULL;
}

int ms_sdp_get_origin(const struct ms_sdp *sdp, struct ms_sdp_origin *out)
{
	const struct ms_sdp_line *l = find_line(sdp, MS_SDP_SESSION, 'o');
	return l ? parse_origin(l->value, out) : MS_ENOENT;
}

int ms_sdp_get_media(const struct ms_sdp *sdp, unsigned m, struct ms_sdp_media *out)
{
	const char *why;
	if (m >= sdp->nmedia)
		return MS_ENOENT;
	return parse_media(sdp->lines[sdp->media[m]].value, out, &why);
}

int ms_sdp_get_conn(const struct ms_sdp *sdp, int m, struct ms_sdp_conn *out)
{
	const struct ms_sdp_line *l = find_line(sdp, m, 'c');
	return l ? parse_conn(l->value, out) : MS_ENOENT;
}

int ms_sdp_get_effective_conn(const struct ms_sdp *sdp, unsigned m, struct ms_sdp_conn *out)
{
	if (m >= sdp->nmedia)
		return MS_ENOENT;
	int rc = ms_sdp_get_conn(sdp, (int)m, out);
	return rc == MS_ENOENT ? ms_sdp_get_conn(sdp, MS_SDP_SESSION, out) : rc;
}

void ms_sdp_split_attr(struct ms_str line, struct ms_str *name, struct ms_str *value)
{
	const char *colon = line.len ? memchr(line.s, ':', line.len) : NULL;
	if (!colon) {
		*name = line;
		*value = MS_STR_NULL;
		return;
	}
	*name = (struct ms_str){ line.s, (size_t)(colon - line.s) };
	*value = (struct ms_str){ colon + 1, line.len - name->len - 1 };
}

int ms_sdp_find_attr(const struct ms_sdp *sdp, int m, struct ms_str name, unsigned from)
{
	unsigned i, end;
	struct ms_str n, v;
	if (ms_sdp_range(sdp, m, &i, &end))
		return MS_ENOENT;
	for (i = i > from ? i : from; i < end; i++) {
		if (sdp->lines[i].type != 'a')
			continue;
		ms_sdp_split_attr(sdp->lines[i].value, &n, &v);
		if (ms_str_ieq(n, name))
			return (int)i;
	}
	return MS_ENOENT;
}

int ms_sdp_get_attr(const struct ms_sdp *sdp, int m, struct ms_str name, struct ms_str *value)
{
	struct ms_str n;
	int i = ms_sdp_find_attr(sdp, m, name, 0);
	if (i < 0)
		return i;
	ms_sdp_split_attr(sdp->lines[i].value, &n, value);
	return 0;
}

static const char *const dir_names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

const char *ms_sdp_dir_name(enum ms_sdp_dir dir)
{
	return dir >= MS_SDP_SENDRECV && dir <= MS_SDP_INACTIVE ? dir_names[dir] : NULL;
}

/* The direction set at one level, or -1. */
static int level_direction(const struct ms_sdp *sdp, int m)
{
	unsigned i, end;
	struct ms_str n, v;
	if (ms_sdp_range(sdp, m, &i, &end))
		return -1;
	for (; i < end; i++) {
		if (sdp->lines[i].type != 'a')
			continue;
		ms_sdp_split_attr(sdp->lines[i].value, &n, &v);
		for (int d = 0; d < 4; d++)
			if (ms_str_ieqz(n, dir_names[d]))
				return d;
	}
	return -1;
}

enum ms_sdp_dir ms_sdp_get_direction(const struct ms_sdp *sdp, int m)
{
	int d = m >= 0 ? level_direction(sdp, m) : -1;
	if (d < 0)
		d = level_direction(sdp, MS_SDP_SESSION);
	return d < 0 ? MS_SDP_SENDRECV : (enum ms_sdp_dir)d;
}

int ms_sdp_get_rtcp(const struct ms_sdp *sdp, unsigned m, struct ms_sdp_rtcp *out)
{
	struct ms_str value, port;
	if (m >= sdp->nmedia)
		return MS_ENOENT;
	int rc = ms_sdp_get_attr(sdp, (int)m, MS_STR("rtcp"), &value);
	if (rc)
		return rc;
	if (!ms_sdp_next_field(&value, &port) || parse_port(port, &out->port))
		return MS_EBADMSG;
	out->conn = (struct ms_sdp_conn){ MS_STR_NULL, MS_STR_NULL, MS_STR_NULL, MS_STR_NULL };
	struct ms_str rest = value, f;
	if (!ms_sdp_next_field(&rest, &f))
		return 0;
	return parse_conn(value, &out->conn);
}

static int parse_pt(struct ms_str s, unsigned *pt)
{
	uint32_t v;
	if (s.len > 3 || ms_str_to_u32(s, 127, &v))
		return MS_EBADMSG;
	*pt = v;
	return 0;
}

int ms_sdp_parse_rtpmap(struct ms_str value, struct ms_sdp_rtpmap *out)
{
	struct ms_str f[2], clock, rest, channels;
	if (!split_fields(value, f, 2) || parse_pt(f[0], &out->pt))
		return MS_EBADMSG;
	split_slash(f[1], &out->encoding, &rest);
	split_slash(rest, &clock, &channels);
	if (!is_token(out->encoding) || ms_str_to_u32(clock, UINT32_MAX, &out->clock))
		return MS_EBADMSG;
	out->channels = 1;
	if (channels.s && ms_str_to_u32(channels, UINT32_MAX, &out->channels))
		return MS_EBADMSG;
	return 0;
}

int ms_sdp_parse_fmtp(struct ms_str value, struct ms_sdp_fmtp *out)
{
	struct ms_str pt;
	if (!ms_sdp_next_field(&value, &pt) || parse_pt(pt, &out->pt))
		return MS_EBADMSG;
	while (value.len && is_space(value.s[0])) {
		value.s++;
		value.len--;
	}
	out->params = value;
	return 0;
}

/* The leading payload type of an a=rtpmap or a=fmtp value, or -1. */
static int value_pt(struct ms_str value)
{
	struct ms_str f;
	unsigned pt;
	if (!ms_sdp_next_field(&value, &f) || parse_pt(f, &pt))
		return -1;
	return (int)pt;
}

/* The value of the first a=<name>:<pt> ... line of media m. */
static int find_pt_attr(const struct ms_sdp *sdp, unsigned m, const char *name, unsigned pt,
			struct ms_str *value)
{
	struct ms_str n, attr = { name, strlen(name) };
	if (m >= sdp->nmedia)
		return MS_ENOENT;
	for (int i = ms_sdp_find_attr(sdp, (int)m, attr, 0); i >= 0;
	     i = ms_sdp_find_attr(sdp, (int)m, attr, (unsigned)i + 1)) {
		ms_sdp_split_attr(sdp->lines[i].value, &n, value);
		if (value_pt(*value) == (int)pt)
			return 0;
	}
	return MS_ENOENT;
}

int ms_sdp_get_rtpmap(const struct ms_sdp *sdp, unsigned m, unsigned pt, struct ms_sdp_rtpmap *out)
{
	struct ms_str value;
	int rc = find_pt_attr(sdp, m, "rtpmap", pt, &value);
	return rc ? rc : ms_sdp_parse_rtpmap(value, out);
}

int ms_sdp_get_fmtp(const struct ms_sdp *sdp, unsigned m, unsigned pt, struct ms_sdp_fmtp *out)
{
	struct ms_str value;
	int rc = find_pt_attr(sdp, m, "fmtp", pt, &value);
	return rc ? rc : ms_sdp_parse_fmtp(value, out);
}
