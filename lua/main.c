/* The moonsip program: a thin shell over the library. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "moonsip/base.h"

static void usage(FILE *to)
{
	fprintf(to,
		"usage: moonsip COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  run [OPTIONS] [SCRIPT]  serve SIP, routing with SCRIPT (moonsip run --help)\n"
		"  check SCRIPT    compile a routing script and check it defines on_request\n"
		"  parse FILE...   parse SIP messages (- for stdin) and print what they hold\n"
		"  location [--db PATH]  list the registrar's bindings\n"
		"  user add|del|list ...  users for digest authentication (moonsip user)\n"
		"  version         print the version\n"
		"  help            print this text\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("moonsip %s\n", ms_version());
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return ms_cmd_run(argc - 2, argv + 2);
	if (!strcmp(cmd, "check"))
		return ms_cmd_check(argc - 2, argv + 2);
	if (!strcmp(cmd, "user"))
		return ms_cmd_user(argc - 2, argv + 2);
	if (!strcmp(cmd, "location"))
		return ms_cmd_location(argc - 2, argv + 2);
	if (!strcmp(cmd, "parse"))
		return ms_cmd_parse(argc - 2, argv + 2);
	fprintf(stderr, "moonsip: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
