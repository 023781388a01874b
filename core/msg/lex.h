/* The one lexer behind every header parser: character classes, linear
 * whitespace (with folding), tokens, quoted strings and parameter lists.
 * A cursor moves over a slice; nothing is copied or allocated. */
#ifndef MS_CORE_LEX_H
#define MS_CORE_LEX_H

#include <stdbool.h>
#include <stdint.h>

#include "moonsip/base.h"

enum {
	MS_CC_TOKEN = 1 << 0, /* RFC 3261 token */
	MS_CC_WORD = 1 << 1,  /* word (Call-ID) */
	MS_CC_UNRES = 1 << 2, /* unreserved: alphanum and mark */
	MS_CC_USER = 1 << 3,  /* user-unreserved, plus unreserved */
	MS_CC_PASS = 1 << 4,  /* password characters, plus unreserved */
	MS_CC_PARAM = 1 << 5, /* paramchar, plus unreserved */
	MS_CC_HNV = 1 << 6,   /* hname/hvalue, plus unreserved */
	MS_CC_HOST = 1 << 7,  /* hostname: alphanum, '-', '.' */
};

extern const uint8_t ms__cc[256];

static inline bool ms__cc_is(char c, unsigned cls)
{
	return (ms__cc[(unsigned char)c] & cls) != 0;
}

struct ms_lex {
	const char *p;
	const char *end;
};

static inline void ms__lex_init(struct ms_lex *l, struct ms_str s)
{
	if (!s.s)
		s.s = ""; /* an absent value (NULL, 0) lexes as empty, without NULL + 0 */
	l->p = s.s;
	l->end = s.s + s.len;
}

static inline bool ms__lex_eof(const struct ms_lex *l)
{
	return l->p >= l->end;
}

static inline char ms__lex_peek(const struct ms_lex *l)
{
	return l->p < l->end ? *l->p : '\0';
}

/* Skips LWS: spaces, tabs, and CRLF followed by a space or tab (folding).
 * Returns whether anything was skipped. */
bool ms__lex_lws(struct ms_lex *l);
/* Skips LWS and reports whether the input ends there. */
bool ms__lex_end(struct ms_lex *l);
/* SWS c SWS, for the separators ; = , / : (returns false, and moves
 * nothing, when c is not next). */
bool ms__lex_sep(struct ms_lex *l, char c);
/* A run of characters of class 'cls' (at least one). */
bool ms__lex_span(struct ms_lex *l, unsigned cls, struct ms_str *out);
/* A token. */
bool ms__lex_token(struct ms_lex *l, struct ms_str *out);
/* A quoted string; out includes the quotes. */
bool ms__lex_quoted(struct ms_lex *l, struct ms_str *out);
/* A generic-param value: token, host (including an IPv6 reference) or
 * quoted string. */
bool ms__lex_gen_value(struct ms_lex *l, struct ms_str *out);

/* One header parameter: SEMI token [EQUAL gen-value]. Returns 1 with name
 * and value (empty when there is no '='), 0 when no ';' is next, or
 * MS_EBADMSG. */
int ms__lex_param(struct ms_lex *l, struct ms_str *name, struct ms_str *value);

/* Trims LWS from both ends of a slice. */
struct ms_str ms__str_trim(struct ms_str s);

#endif
