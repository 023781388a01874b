/* Parameter lists and escapes, shared by URIs and header parameters. */
#include "base/str.h"
#include "moonsip/uri.h"
#include "msg/lex.h"

bool ms_param_next(struct ms_str list, size_t *pos, struct ms_str *name, struct ms_str *value)
{
	if (*pos >= list.len)
		return false; /* also keeps NULL + 0 arithmetic out of an empty list */
	struct ms_lex l = { list.s + *pos, list.s + list.len };
	/* Skip separators left from the previous parameter. */
	while (ms__lex_lws(&l) || ms__lex_peek(&l) == ';')
		if (ms__lex_peek(&l) == ';')
			l.p++;
	if (ms__lex_eof(&l))
		return false;
	const char *n = l.p;
	while (l.p < l.end && *l.p != ';' && *l.p != '=' && *l.p != ' ' && *l.p != '\t' && *l.p != '\r')
		l.p++;
	*name = (struct ms_str){ n, (size_t)(l.p - n) };
	*value = MS_STR_NULL;
	if (ms__lex_sep(&l, '=')) {
		const char *v = l.p;
		if (ms__lex_peek(&l) != '"' || !ms__lex_quoted(&l, value)) {
			while (l.p < l.end && *l.p != ';')
				l.p++;
			*value = ms__str_trim((struct ms_str){ v, (size_t)(l.p - v) });
		}
	}
	*pos = (size_t)(l.p - list.s);
	return true;
}

bool ms_param_find(struct ms_str list, const char *name, struct ms_str *value)
{
	size_t pos = 0;
	struct ms_str n, v;
	while (ms_param_next(list, &pos, &n, &v)) {
		if (ms_str_ieqz(n, name)) {
			if (value)
				*value = v;
			return true;
		}
	}
	return false;
}

int ms_uri_unescape(struct ms_str s, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.s[i] != '%') {
			out[o++] = s.s[i];
			continue;
		}
		if (s.len - i < 3)
			return MS_EBADMSG;
		int hi = ms__hexval(s.s[i + 1]), lo = ms__hexval(s.s[i + 2]);
		if (hi < 0 || lo < 0)
			return MS_EBADMSG;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	return (int)o;
}
