/* moonsip parse FILE...: parse each message, print a readable summary,
 * and say precisely what is wrong with the ones that do not parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "moonsip/msg.h"
#include "moonsip/sdp.h"

#define MAX_INPUT (16 * 1024 * 1024)

static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap || cap >= MAX_INPUT)
			break;
		char *b = realloc(buf, cap * 2);
		if (!b) {
			free(buf);
			buf = NULL;
		}
		buf = b;
		cap *= 2;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/* Prints a slice with control characters and non-ASCII escaped, so a
 * hostile message cannot drive the terminal. */
static void put(struct ms_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.s[i];
		if (c == '\r' && i + 2 < s.len && s.s[i + 1] == '\n') {
			fputs(" ", stdout); /* folded line */
			i += 2;
			while (i < s.len && (s.s[i] == ' ' || s.s[i] == '\t'))
				i++;
			i--;
		} else if (c < 0x20 || c == 0x7f) {
			printf("\\x%02x", c);
		} else {
			putchar(c);
		}
	}
}

/* Each media line of the SDP, with the address it uses and its direction. */
static void print_sdp(const struct ms_msg *m)
{
	struct ms_str body;
	struct ms_sdp sdp;
	const char *why;
	if (ms_msg_sdp(m, &body) < 0)
		return;
	if (ms_sdp_parse(&sdp, body.s, body.len, &why) < 0) {
		printf("  sdp: line %u: %s\n", sdp.err_line, why);
		ms_sdp_free(&sdp);
		return;
	}
	for (unsigned i = 0; i < sdp.nmedia; i++) {
		struct ms_sdp_media md;
		struct ms_sdp_conn c;
		ms_sdp_get_media(&sdp, i, &md);
		printf("  sdp media: ");
		put(md.media);
		printf(" port %u ", md.port);
		put(md.proto);
		printf(" ");
		put(md.fmts);
		if (ms_sdp_get_effective_conn(&sdp, i, &c) == 0) {
			printf(" at ");
			put(c.address);
		}
		printf(" %s\n", ms_sdp_dir_name(ms_sdp_get_direction(&sdp, (int)i)));
	}
	ms_sdp_free(&sdp);
}

static void summary(struct ms_msg *m)
{
	if (m->is_request) {
		printf("request  ");
		put(m->method_s);
		printf(" ");
		put(m->ruri_s);
	} else {
		printf("response %u ", m->status);
		put(m->reason);
	}
	printf("\n");
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct ms_hdr *h = &m->hdrs[i];
		const char *type = ms_hdr_name((enum ms_hdr_type)h->type);
		printf("  %-20s ", type ? type : "(other)");
		put(h->name);
		printf(": ");
		put(h->value);
		printf("\n");
	}
	printf("  body: %zu bytes\n", m->body.len);
	print_sdp(m);
}

static int parse_one(const char *path)
{
	size_t len;
	char *buf = slurp(path, &len);
	if (!buf) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 1;
	}
	struct ms_msg m;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, buf, len, MS_PARSE_DGRAM);
	if (rc >= 0)
		rc = ms_msg_check(&m);
	if (rc >= 0) {
		printf("%s: ", path);
		summary(&m);
		if (m.len < len)
			printf("  (%zu octets after the message ignored)\n", len - m.len);
	} else {
		char reason[256];
		ms_msg_error(&m, reason, sizeof reason);
		fprintf(stderr, "%s:%u: %s", path, m.err.line, reason);
		if (m.err.status)
			fprintf(stderr, " (a server answers %u)\n", m.err.status);
		else
			fprintf(stderr, " (dropped)\n");
	}
	ms_msg_free(&m);
	free(buf);
	return rc < 0;
}

int ms_cmd_parse(int argc, char **argv)
{
	int bad = 0;
	if (argc == 0) {
		fprintf(stderr, "usage: moonsip parse FILE... (- for stdin)\n");
		return 2;
	}
	for (int i = 0; i < argc; i++)
		bad += parse_one(argv[i]);
	return bad ? 1 : 0;
}
