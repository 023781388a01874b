/* moonsip location [--db PATH]: the registrar's bindings, one per line. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "host.h"
#include "moonsip/registrar.h"

static void print_binding(const struct ms_binding *b, void *arg)
{
	int64_t now = *(const int64_t *)arg;
	if (b->expires <= now)
		return;
	printf("%s\t%s\texpires=%lld\tq=%d.%03d\treceived=%s\tsocket=%s%s%s%s\tcall-id=%s\tcseq=%u\tua=%s\n",
	       b->aor, b->contact, (long long)(b->expires - now), b->q / 1000, b->q % 1000, b->received,
	       b->socket, b->nat ? "\tnat" : "", b->path[0] ? "\tpath=" : "", b->path, b->call_id, b->cseq,
	       b->user_agent);
}

int ms_cmd_location(int argc, char **argv)
{
	const char *db = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			db = argv[++i];
		} else {
			fprintf(stderr, "usage: moonsip location [--db PATH]\n");
			return 2;
		}
	}
	char err[512];
	struct ms_registrar *r;
	if (ms_registrar_open(&r, &(struct ms_registrar_config){ .db_path = ms_lua_db_path(db, true) }, err,
			      sizeof err) < 0) {
		fprintf(stderr, "moonsip location: %s\n", err);
		return 1;
	}
	int64_t now = (int64_t)time(NULL);
	ms_registrar_each(r, print_binding, &now);
	fprintf(stderr, "%zu bindings\n", ms_registrar_count(r));
	ms_registrar_close(r);
	return 0;
}
