/* Parse errors: where they happened and the reason phrase they give. */
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "moonsip/msg.h"
#include "msg/msg_private.h"

static uint32_t line_of(const struct ms_msg *m, const char *at)
{
	uint32_t line = 1;
	if (!at || at < m->buf || at > m->buf + m->len)
		return 0;
	for (const char *p = m->buf; (p = memchr(p, '\n', (size_t)(at - p))) != NULL; p++)
		line++;
	return line;
}

int ms__msg_fail(struct ms_msg *m, const char *what, struct ms_str hdr, const char *at, int rc)
{
	if (m->err.what)
		return rc;
	m->err.what = what;
	m->err.hdr = hdr;
	m->err.line = line_of(m, at);
	/* Responses with errors are dropped, never answered. */
	bool response = m->len >= 4 && ms__mem_ieq(m->buf, "SIP/", 4);
	m->err.status = response ? 0 : 400;
	return rc;
}

int ms__msg_fail_status(struct ms_msg *m, const char *what, uint16_t status)
{
	int rc = ms__msg_fail(m, what, MS_STR_NULL, m->buf, MS_EBADMSG);
	m->err.status = status;
	return rc;
}

int ms__msg_fail_hdr(struct ms_msg *m, const struct ms_hdr *h, const char *why)
{
	return ms__msg_fail(m, why, h->name, m->buf + h->field_off, MS_EBADMSG);
}

size_t ms_msg_error(const struct ms_msg *m, char *out, size_t size)
{
	int n;
	if (!m->err.what)
		n = snprintf(out, size, "no error");
	else if (m->err.hdr.len) {
		const char *name = ms_hdr_name((enum ms_hdr_type)ms_hdr_lookup(m->err.hdr.s, m->err.hdr.len));
		if (name)
			n = snprintf(out, size, "Bad %s: %s", name, m->err.what);
		else
			n = snprintf(out, size, "Bad %.*s: %s",
				     (int)(m->err.hdr.len > 40 ? 40 : m->err.hdr.len), m->err.hdr.s,
				     m->err.what);
	} else {
		n = snprintf(out, size, "%c%s",
			     m->err.what[0] >= 'a' && m->err.what[0] <= 'z' ? m->err.what[0] - 32
									    : m->err.what[0],
			     m->err.what + 1);
	}
	if (n < 0 || size == 0)
		return 0;
	size_t len = (size_t)n < size ? (size_t)n : size - 1;
	/* An unknown header name is echoed: keep the reason phrase printable. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
	return len;
}
