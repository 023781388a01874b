#include <string.h>

#include "moonsip/base.h"
#include "str.h"

bool ms_str_eq(struct ms_str a, struct ms_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

bool ms__mem_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ms__lower(a[i]) != ms__lower(b[i]))
			return false;
	return true;
}

bool ms__has_crlf(const char *p, size_t n)
{
	return n && (memchr(p, '\r', n) || memchr(p, '\n', n));
}

size_t ms__u64_dec(char *out, unsigned long long v)
{
	char tmp[20];
	size_t n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

bool ms_str_ieq(struct ms_str a, struct ms_str b)
{
	return a.len == b.len && ms__mem_ieq(a.s, b.s, a.len);
}

bool ms_str_ieqz(struct ms_str a, const char *z)
{
	size_t n = strlen(z);
	return a.len == n && ms__mem_ieq(a.s, z, n);
}

int ms_str_to_u32(struct ms_str s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (s.len == 0)
		return MS_EBADMSG;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.s[i] - '0';
		if (d > 9)
			return MS_EBADMSG;
		v = v * 10 + d;
		/* Keep scanning so "12x" is still a syntax error, not a range one. */
		if (v > max)
			v = (uint64_t)max + 1;
	}
	if (v > max)
		return MS_ERANGE;
	*out = (uint32_t)v;
	return 0;
}
