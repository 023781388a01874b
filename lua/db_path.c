/* Where the registrar's SQLite file is: --db PATH, else moonsip.db in the
 * data directory ($MOONSIP_DATA_DIR, default /var/lib/moonsip), which is
 * made when missing if 'make' says a file is about to be made there. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"

const char *ms_lua_db_path(const char *given, bool make)
{
	static char path[4096];
	if (given)
		return given;
	const char *dir = getenv("MOONSIP_DATA_DIR");
	if (!dir || !*dir)
		dir = "/var/lib/moonsip";
	if (make && mkdir(dir, 0750) < 0 && errno != EEXIST)
		fprintf(stderr, "moonsip: cannot make the data directory %s: %s\n", dir, strerror(errno));
	snprintf(path, sizeof path, "%s/moonsip.db", dir);
	return path;
}
