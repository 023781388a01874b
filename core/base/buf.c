#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "moonsip/base.h"

void ms_buf_init(struct ms_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void ms_buf_free(struct ms_buf *b)
{
	ms__free(b->data);
	ms_buf_init(b);
}

int ms_buf_reserve(struct ms_buf *b, size_t n)
{
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return MS_ENOMEM;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	char *p = ms__realloc(b->data, cap);
	if (!p)
		return MS_ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int ms_buf_add(struct ms_buf *b, const void *p, size_t n)
{
	int rc = ms_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int ms_buf_adds(struct ms_buf *b, struct ms_str s)
{
	return ms_buf_add(b, s.s, s.len);
}

int ms_buf_addz(struct ms_buf *b, const char *z)
{
	return ms_buf_add(b, z, strlen(z));
}

int ms_buf_printf(struct ms_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MS_EINVAL;
	/* +1 for the NUL vsnprintf writes; it is not counted in len. */
	int rc = ms_buf_reserve(b, (size_t)n + 1);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
