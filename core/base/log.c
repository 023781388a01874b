/* Log lines through the logger a stack was given. */
#include "moonsip/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = { "error", "warn", "info", "debug" };

const char *ms_log_level_name(enum ms_log_level level)
{
	return (unsigned)level < sizeof names / sizeof names[0] ? names[level] : "?";
}

int ms_log_level_parse(const char *name, enum ms_log_level *out)
{
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum ms_log_level)i;
			return 0;
		}
	}
	return MS_EINVAL;
}

void ms_log(const struct ms_logger *lg, enum ms_log_level level, const char *fmt, ...)
{
	/* A zeroed logger is the default one: warnings and errors to stderr. */
	enum ms_log_level max = lg && (lg->fn || lg->level) ? lg->level : MS_LOG_WARN;
	if (level > max)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (lg && lg->fn)
		lg->fn(lg->arg, level, line);
	else
		fprintf(stderr, "moonsip %s: %s\n", names[level], line);
}
