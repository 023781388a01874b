/* Checks one torture message against the verdict its MANIFEST.tsv row
 * gives. Run as: ms_corpus DIR FILE EXPECTED (one ctest entry per row).
 *
 * RFC 5118's files use bare LF and some lack the empty line; as the corpus
 * README says, they are put in wire form first: LF -> CRLF, the missing
 * empty line added, and Content-Length recounted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moonsip/msg.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc(n > 0 ? (size_t)n : 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* LF -> CRLF, an empty line after the headers, Content-Length recounted. */
static char *wire_form(const char *in, size_t len, size_t *out_len)
{
	char *tmp = malloc(len * 2 + 4), *out = malloc(len * 2 + 64);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n')
			tmp[n++] = '\r';
		tmp[n++] = in[i];
	}
	char *sep = NULL;
	for (size_t i = 0; i + 4 <= n && !sep; i++)
		if (!memcmp(tmp + i, "\r\n\r\n", 4))
			sep = tmp + i;
	if (!sep) {
		memcpy(tmp + n, "\r\n", 2);
		n += 2;
		sep = tmp + n - 4;
	}
	size_t hlen = (size_t)(sep - tmp) + 2, blen = n - hlen - 2;
	size_t o = 0;
	for (const char *p = tmp; p < tmp + hlen;) {
		const char *eol = memchr(p, '\n', (size_t)(tmp + hlen - p)) + 1;
		if (!strncmp(p, "Content-Length:", 15))
			o += (size_t)sprintf(out + o, "Content-Length: %zu\r\n", blen);
		else {
			memcpy(out + o, p, (size_t)(eol - p));
			o += (size_t)(eol - p);
		}
		p = eol;
	}
	memcpy(out + o, "\r\n", 2);
	memcpy(out + o + 2, sep + 4, blen);
	*out_len = o + 2 + blen;
	free(tmp);
	return out;
}

/* The first ACTION that a role 'any' or 'udp' gives, e.g. "400" from
 * "parse-error any=400|lenient" (the manifest's ';' arrive as spaces). */
static int expected_status(const char *exp, bool *drop)
{
	const char *roles[] = { "any=", "udp=" };
	*drop = false;
	for (int i = 0; i < 2; i++) {
		const char *r = strstr(exp, roles[i]);
		if (!r)
			continue;
		r += 4;
		if (!strncmp(r, "drop", 4))
			*drop = true;
		if (r[0] >= '1' && r[0] <= '6')
			return atoi(r);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ms_corpus DIR FILE EXPECTED\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", argv[1], argv[2]);
	size_t len;
	char *buf = read_file(path, &len);
	if (!buf) {
		fprintf(stderr, "cannot read %s\n", path);
		return 2;
	}
	if (strstr(argv[1], "rfc5118")) {
		size_t n;
		char *w = wire_form(buf, len, &n);
		free(buf);
		buf = w;
		len = n;
	}
	const char *exp = argv[3];
	struct ms_msg m;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, buf, len, MS_PARSE_DGRAM);
	if (rc >= 0)
		rc = ms_msg_check(&m);
	char reason[200];
	ms_msg_error(&m, reason, sizeof reason);
	int fail = 0;
	bool drop;
	int status = expected_status(exp, &drop);
	if (!strncmp(exp, "parse-ok", 8)) {
		if (rc < 0) {
			fprintf(stderr, "%s: expected to parse, got: %s\n", argv[2], reason);
			fail = 1;
		}
	} else if (!strncmp(exp, "parse-error", 11) || !strncmp(exp, "framing-error", 13)) {
		if (rc >= 0) {
			fprintf(stderr, "%s: expected an error, it parsed\n", argv[2]);
			fail = 1;
		}
	}
	/* The answer an element gives on error: a status, or a silent drop. */
	if (!fail && rc < 0 && (status || drop)) {
		bool ok = drop ? m.err.status == 0
			       : m.err.status == status || (strstr(exp, "|400") && m.err.status == 400);
		if (!ok) {
			fprintf(stderr, "%s: expected %s, would answer %u (%s)\n", argv[2],
				drop ? "a drop" : "another status", m.err.status, reason);
			fail = 1;
		}
	}
	printf("%s %s: %s -> %s\n", fail ? "FAIL" : "ok  ", argv[2], exp, rc >= 0 ? "parsed" : reason);
	ms_msg_free(&m);
	free(buf);
	return fail;
}
