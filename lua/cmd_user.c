/* moonsip user add|del|list: the users digest authentication checks
 * against, in the registrar's file. A password comes from --password, or
 * from standard input (a line; prompted for without echo on a terminal);
 * only its HA1 values are stored. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "host.h"
#include "moonsip/registrar.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: moonsip user add USER@REALM [--password PASSWORD] [--db PATH]\n"
		"       moonsip user del USER@REALM [--db PATH]\n"
		"       moonsip user list [--db PATH]\n");
}

/* One line from stdin, without echo when it is a terminal. */
static int read_password(char *out, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(0) && tcgetattr(0, &old) == 0;
	if (tty) {
		fprintf(stderr, "password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	bool ok = fgets(out, (int)size, stdin) != NULL;
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!ok)
		return -1;
	out[strcspn(out, "\r\n")] = 0;
	return 0;
}

static void print_user(const char *user, const char *realm, void *arg)
{
	(void)arg;
	printf("%s@%s\n", user, realm);
}

/* USER@REALM, split at the last '@' (a user name may hold one). */
static int split(const char *who, struct ms_str *user, struct ms_str *realm)
{
	const char *at = strrchr(who, '@');
	if (!at || at == who || !at[1]) {
		fprintf(stderr, "moonsip user: '%s' is not USER@REALM\n", who);
		return -1;
	}
	*user = (struct ms_str){ who, (size_t)(at - who) };
	*realm = (struct ms_str){ at + 1, strlen(at + 1) };
	return 0;
}

static int run(struct ms_registrar *r, const char *op, const char *who, const char *password)
{
	struct ms_str user, realm;
	if (!strcmp(op, "list")) {
		ms_registrar_user_each(r, print_user, NULL);
		return 0;
	}
	if (!who || split(who, &user, &realm) < 0)
		return 2;
	if (!strcmp(op, "del")) {
		int rc = ms_registrar_user_del(r, user, realm);
		if (rc < 0)
			fprintf(stderr, "moonsip user del: %s: %s\n", who,
				rc == MS_ENOENT ? "no such user" : "the database failed");
		return rc < 0;
	}
	char line[1024];
	if (!password) {
		if (read_password(line, sizeof line) < 0) {
			fprintf(stderr, "moonsip user add: no password given\n");
			return 1;
		}
		password = line;
	}
	if (!*password) {
		fprintf(stderr, "moonsip user add: the password is empty\n");
		return 1;
	}
	int rc = ms_registrar_user_set(r, user, realm, (struct ms_str){ password, strlen(password) });
	if (rc < 0)
		fprintf(stderr, "moonsip user add: %s: %s\n", who, ms_strerror(rc));
	return rc < 0;
}

int ms_cmd_user(int argc, char **argv)
{
	const char *op = argc > 0 ? argv[0] : "", *who = NULL, *password = NULL, *db = NULL;
	if (strcmp(op, "add") && strcmp(op, "del") && strcmp(op, "list")) {
		usage();
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			db = argv[++i];
		else if (!strcmp(argv[i], "--password") && i + 1 < argc)
			password = argv[++i];
		else if (!who && argv[i][0] != '-')
			who = argv[i];
		else {
			usage();
			return 2;
		}
	}
	char err[512];
	struct ms_registrar *r;
	if (ms_registrar_open(&r, &(struct ms_registrar_config){ .db_path = ms_lua_db_path(db, true) }, err,
			      sizeof err) < 0) {
		fprintf(stderr, "moonsip user: %s\n", err);
		return 1;
	}
	int rc = run(r, op, who, password);
	ms_registrar_close(r);
	return rc;
}
