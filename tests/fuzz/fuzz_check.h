/* What the fuzz targets share: a check that keeps the input (abort), the
 * slice-containment test, exact-size heap buffers, and the unescape and
 * parameter walks, each with the promises callers rely on. */
#ifndef MS_FUZZ_CHECK_H
#define MS_FUZZ_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "moonsip/uri.h"

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* No more than this many list items or body parts are walked: a walk that
 * does not end is reported by the progress checks, not by running forever. */
#define MAX_WALK 4096

/* s is empty or lies inside outer. */
static inline void in(struct ms_str outer, struct ms_str s)
{
	if (s.len == 0)
		return;
	CHECK(s.s >= outer.s && s.len <= outer.len && (size_t)(s.s - outer.s) <= outer.len - s.len);
}

/* Buffers exactly as large as the API asks, on the heap, so that ASan sees
 * one byte too many. */
static inline char *exact(size_t n)
{
	char *p = malloc(n);
	CHECK(p || n == 0);
	return p;
}

/* The parsers let only well-formed escapes through, and unescaping never
 * makes a value longer. */
static inline void unescape(struct ms_str s)
{
	char *out = exact(s.len);
	int n = ms_uri_unescape(s, out);
	CHECK(n >= 0 && (size_t)n <= s.len);
	free(out);
}

/* Every walk step moves forward and stays inside the list; a step that
 * does not move would loop forever in every caller. */
static inline void params(struct ms_str list)
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

#endif
