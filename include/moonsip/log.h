/* moonsip: log lines with levels.
 *
 * Nothing logs through a global: a stack (and whatever runs on it) writes
 * through the logger its owner gave it, so two stacks in one process may log
 * to different places. Without a logger, lines at MS_LOG_WARN and above go
 * to stderr. */
#ifndef MOONSIP_LOG_H
#define MOONSIP_LOG_H

#include "moonsip/base.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ms_log_level {
	MS_LOG_ERROR = 0, /* something failed that should not have */
	MS_LOG_WARN,      /* bad input refused, a limit hit, a peer gone */
	MS_LOG_INFO,      /* start, stop, listeners */
	MS_LOG_DEBUG,     /* every message in and out */
};

/* One line, without its newline. */
typedef void (*ms_log_fn)(void *arg, enum ms_log_level level, const char *line);

struct ms_logger {
	ms_log_fn fn; /* NULL: stderr */
	void *arg;
	enum ms_log_level level; /* lines above it are not even formatted */
};

/* "error", "warn", "info", "debug". */
MS_API const char *ms_log_level_name(enum ms_log_level level);
/* Parses one of those names. MS_EINVAL for anything else. */
MS_API int ms_log_level_parse(const char *name, enum ms_log_level *out);

/* Writes one line through 'lg' when its level lets it (printf format; a
 * line is cut at 1024 bytes). A NULL or zeroed 'lg' writes warnings and
 * errors to stderr. */
MS_API void ms_log(const struct ms_logger *lg, enum ms_log_level level, const char *fmt, ...) MS_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif
#endif
