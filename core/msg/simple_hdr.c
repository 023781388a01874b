/* The small typed headers: CSeq, Call-ID, numbers, tokens, Event and
 * Content-Type. */
#include <string.h>

#include "moonsip/hdr.h"
#include "msg/lex.h"

#define FAIL(text)                 \
	do {                       \
		*why = (text);     \
		return MS_EBADMSG; \
	} while (0)

int ms_cseq_parse(struct ms_cseq *c, struct ms_str value, const char **why)
{
	struct ms_lex l;
	struct ms_str num;
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	memset(c, 0, sizeof *c);
	if (!ms__lex_span(&l, MS_CC_HOST, &num))
		FAIL("missing number");
	int rc = ms_str_to_u32(num, UINT32_MAX, &c->num);
	if (rc < 0)
		FAIL(rc == MS_ERANGE ? "number too large" : "bad number");
	if (!ms__lex_lws(&l) || !ms__lex_token(&l, &c->method_s))
		FAIL("missing method");
	if (!ms__lex_end(&l))
		FAIL("bad character after method");
	c->method = ms_method_lookup(c->method_s);
	return 0;
}

int ms_callid_parse(struct ms_str *out, struct ms_str value, const char **why)
{
	struct ms_lex l;
	struct ms_str w;
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	const char *s = l.p;
	if (!ms__lex_span(&l, MS_CC_WORD, &w))
		FAIL("empty");
	if (ms__lex_peek(&l) == '@') {
		l.p++;
		if (!ms__lex_span(&l, MS_CC_WORD, &w))
			FAIL("nothing after @");
	}
	*out = (struct ms_str){ s, (size_t)(l.p - s) };
	if (!ms__lex_end(&l))
		FAIL("bad character");
	return 0;
}

int ms_uint_hdr_parse(uint32_t *out, struct ms_str value, uint32_t max, const char **why)
{
	struct ms_lex l;
	struct ms_str num;
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	if (!ms__lex_span(&l, MS_CC_HOST, &num) || !ms__lex_end(&l))
		FAIL("not a number");
	int rc = ms_str_to_u32(num, max, out);
	if (rc < 0)
		FAIL(rc == MS_ERANGE ? "number too large" : "not a number");
	return 0;
}

int ms_token_hdr_parse(struct ms_str *out, struct ms_str value, const char **why)
{
	struct ms_lex l;
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	if (!ms__lex_token(&l, out))
		FAIL("missing token");
	if (!ms__lex_end(&l))
		FAIL("bad character after token");
	return 0;
}

/* The parameter list after a leading item; 'params' spans all of it. */
static int params(struct ms_lex *l, struct ms_str *params, const char *key, struct ms_str *keyval,
		  const char **why)
{
	const char *start = NULL;
	struct ms_str name, val;
	int rc;
	while ((rc = ms__lex_param(l, &name, &val)) > 0) {
		if (!start)
			start = name.s;
		if (ms_str_ieqz(name, key))
			*keyval = val;
		*params = (struct ms_str){ start, (size_t)(l->p - start) };
	}
	if (rc < 0)
		FAIL("bad parameter");
	if (!ms__lex_end(l))
		FAIL("bad character after parameters");
	return 0;
}

int ms_event_parse(struct ms_event *e, struct ms_str value, const char **why)
{
	struct ms_lex l;
	memset(e, 0, sizeof *e);
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	if (!ms__lex_token(&l, &e->package))
		FAIL("missing event package");
	return params(&l, &e->params, "id", &e->id, why);
}

int ms_ctype_parse(struct ms_ctype *c, struct ms_str value, const char **why)
{
	struct ms_lex l;
	memset(c, 0, sizeof *c);
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	if (!ms__lex_token(&l, &c->type) || !ms__lex_sep(&l, '/') || !ms__lex_token(&l, &c->subtype))
		FAIL("not type/subtype");
	if (params(&l, &c->params, "boundary", &c->boundary, why) < 0)
		return MS_EBADMSG;
	if (c->boundary.len >= 2 && c->boundary.s[0] == '"') {
		c->boundary.s++;
		c->boundary.len -= 2;
	}
	return 0;
}
