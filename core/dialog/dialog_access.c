/* What a user agent reads of a dialog. */
#include "dialog/dialog_private.h"

enum ms_dialog_state ms_dialog_state(const struct ms_dialog *d)
{
	return d->state;
}

bool ms_dialog_is_uac(const struct ms_dialog *d)
{
	return d->uac;
}

bool ms_dialog_secure(const struct ms_dialog *d)
{
	return d->secure;
}

struct ms_str ms_dialog_call_id(const struct ms_dialog *d)
{
	return d->call_id;
}

struct ms_str ms_dialog_local_tag(const struct ms_dialog *d)
{
	return d->local_tag;
}

struct ms_str ms_dialog_remote_tag(const struct ms_dialog *d)
{
	return d->remote_tag;
}

struct ms_str ms_dialog_local_uri(const struct ms_dialog *d)
{
	return d->local_uri;
}

struct ms_str ms_dialog_remote_uri(const struct ms_dialog *d)
{
	return d->remote_uri;
}

struct ms_str ms_dialog_remote_target(const struct ms_dialog *d)
{
	return d->target;
}

struct ms_str ms_dialog_local_contact(const struct ms_dialog *d)
{
	return d->local_contact;
}

uint32_t ms_dialog_local_cseq(const struct ms_dialog *d)
{
	return d->local_cseq;
}

int ms_dialog_remote_cseq(const struct ms_dialog *d, uint32_t *out)
{
	if (!d->has_remote_cseq)
		return MS_ENOENT;
	*out = d->remote_cseq;
	return 0;
}

unsigned ms_dialog_route_count(const struct ms_dialog *d)
{
	return d->routes.n;
}

struct ms_str ms_dialog_route(const struct ms_dialog *d, unsigned i)
{
	return i < d->routes.n ? d->routes.uri[i] : MS_STR_NULL;
}
