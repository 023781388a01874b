/* The stack's TLS context: made when the first TLS listener opens or the
 * first TLS connection goes out, from the paths in the stack's config. */
#include "stack/stack_private.h"
#include "transport/tls.h"

int ms__stack_tls(struct ms_stack *s, const char **why)
{
	if (s->tls)
		return 0;
	int rc = ms__tls_new(&s->tls, &s->cfg.tls, s->why, sizeof s->why);
	if (rc) {
		*why = s->why;
		ms_log(&s->cfg.log, MS_LOG_ERROR, "tls: %s", s->why);
	}
	return rc;
}

void ms__stack_tls_free(struct ms_stack *s)
{
	ms__tls_free(s->tls);
	s->tls = NULL;
}
