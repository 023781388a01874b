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

/* Formats once into the room there is (64 bytes at least), and a second
 * time only when that was too little: measuring first would format every
 * time twice. */
int ms_buf_printf(struct ms_buf *b, const char *fmt, ...)
{
	int rc = ms_buf_reserve(b, 64);
	if (rc)
		return rc;
	size_t room = b->cap - b->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->data + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MS_EINVAL;
	if ((size_t)n >= room) {
		/* +1 for the NUL vsnprintf writes; it is not counted in len. */
		rc = ms_buf_reserve(b, (size_t)n + 1);
		if (rc)
			return rc;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}
