/* moonsip check SCRIPT: compiles the script, runs its top level, and checks
 * that it defines on_request; errors come as file:line: message. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "host.h"

int ms_cmd_check(int argc, char **argv)
{
	if (argc != 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		fprintf(argc == 1 ? stdout : stderr, "usage: moonsip check SCRIPT\n");
		return argc == 1 ? 0 : 2;
	}
	char err[2048];
	if (ms_lua_check(argv[0], err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok\n", argv[0]);
	return 0;
}
