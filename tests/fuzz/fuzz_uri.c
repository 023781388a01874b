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

#include "fuzz_check.h"

/* A heap copy of exactly n bytes, so that ASan sees any read past it. */
static char *copy(const uint8_t *data, size_t n)
{
	char *p = exact(n);
	if (n)
		memcpy(p, data, n);
	return p;
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
