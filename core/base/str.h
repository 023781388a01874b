/* Internal character helpers shared by the parsers. */
#ifndef MS_CORE_STR_H
#define MS_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>

static inline char ms__lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

static inline bool ms__is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline int ms__hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ms__lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool ms__mem_ieq(const char *a, const char *b, size_t n);

/* Whether n bytes at p hold a CR or an LF (p may be NULL when n is 0): a
 * value that would break its header line. */
bool ms__has_crlf(const char *p, size_t n);

/* Writes v in decimal to out (at least 20 bytes, no NUL added) and returns
 * the length: for the hot paths that would otherwise call snprintf. */
size_t ms__u64_dec(char *out, unsigned long long v);

/* A slice equal to a string literal, ASCII case-insensitive; the length is
 * known at compile time, so most mismatches cost one comparison. */
#define MS__IEQ(slice, lit) ((slice).len == sizeof(lit) - 1 && ms__mem_ieq((slice).s, (lit), sizeof(lit) - 1))

#endif
