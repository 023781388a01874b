/* libFuzzer target: the URI parser, unescaping, parameter walks and URI
 * equivalence.
 *
 * Equivalence is checked as an equivalence: a URI equals itself, and
 * comparing two URIs gives the same answer both ways round. The second URI
 * is parsed from the first half of the input, which often shares a scheme,
 * a user and a host with the whole, so the comparison gets past its first
 * steps. A broken promise calls abort() so that libFuzzer keeps the input. */
#include <stdlib.h>
#include <string.h>

#include "moonsip/uri.h"

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#define MAX_WALK 4096

/* A heap copy of exactly n bytes, so that ASan sees any read past it. */
static char *copy(const uint8_t *data, size_t n)
{
	char *p = malloc(n);
	CHECK(p || n == 0);
	if (n)
		memcpy(p, data, n);
	return p;
}

static void in(struct ms_str outer, struct ms_str s)
{
	if (s.len == 0)
		return;
	CHECK(s.s >= outer.s && s.len <= outer.len && (size_t)(s.s - outer.s) <= outer.len - s.len);
}

static void unescape(struct ms_str s)
{
	char *out = malloc(s.len);
	CHECK(out || s.len == 0);
	int n = ms_uri_unescape(s, out);
	/* Only well-formed escapes get through the parser. */
	CHECK(n >= 0 && (size_t)n <= s.len);
	free(out);
}

/* Every walk step moves forward and stays inside the list; a step that
 * does not move would loop forever in every caller. */
static void params(struct ms_str list)
{
	size_t pos = 0, prev = 0;
	struct ms_str name, value;
	for (unsigned i = 0; i < MAX_WALK && ms_param_next(list, &pos, &name, &value); i++) {
		CHECK(pos > prev && pos <= list.len);
		in(list, name);
		in(list, value);
		prev = pos;
	}
	ms_param_find(list, "transport", &value);
}

static void slices(const struct ms_uri *u)
{
	struct ms_str t = u->text;
	in(t, u->scheme_s);
	in(t, u->user);
	in(t, u->password);
	in(t, u->host);
	in(t, u->port_s);
	in(t, u->params);
	in(t, u->headers);
	in(t, u->opaque);
	in(u->params, u->transport);
	in(u->params, u->user_param);
	in(u->params, u->method);
	in(u->params, u->maddr);
	in(u->params, u->ttl);
	CHECK(u->port_s.len || u->port == 0);
}

static void exercise(const struct ms_uri *u)
{
	slices(u);
	unescape(u->user);
	unescape(u->password);
	unescape(u->params);
	unescape(u->headers);
	params(u->params);
	CHECK(ms_uri_equal(u, u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *whole = copy(data, size), *half = copy(data, size / 2);
	struct ms_uri a, b;
	const char *why = NULL;
	if (ms_uri_parse(&a, whole, size, &why) < 0) {
		CHECK(why);
	} else {
		exercise(&a);
		if (ms_uri_parse(&b, half, size / 2, &why) == 0) {
			exercise(&b);
			CHECK(ms_uri_equal(&a, &b) == ms_uri_equal(&b, &a));
		}
	}
	free(half);
	free(whole);
	return 0;
}
