/* The proxy object: its stack, Timer C, and the names that are this proxy. */
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "proxy/proxy_private.h"

int ms_proxy_new(struct ms_proxy **out, const struct ms_proxy_config *cfg)
{
	if (!cfg || !cfg->stack)
		return MS_EINVAL;
	struct ms_proxy *p = ms__calloc(1, sizeof *p);
	if (!p)
		return MS_ENOMEM;
	p->stack = cfg->stack;
	p->txn = ms_stack_txn(cfg->stack);
	p->loop = ms_stack_loop(cfg->stack);
	p->timer_c_ms = cfg->timer_c_ms ? cfg->timer_c_ms : 180000;
	if (getrandom(p->key, sizeof p->key, 0) != (ssize_t)sizeof p->key) {
		ms__free(p);
		return MS_EINVAL;
	}
	for (unsigned n = 0; cfg->domains && cfg->domains[n]; n++) {
		char **d = ms__realloc(p->domains, (n + 1) * sizeof *d);
		char *copy = d ? ms__malloc(strlen(cfg->domains[n]) + 1) : NULL;
		if (d)
			p->domains = d;
		if (!copy) {
			ms_proxy_free(p);
			return MS_ENOMEM;
		}
		strcpy(copy, cfg->domains[n]);
		p->domains[p->ndomains++] = copy;
	}
	*out = p;
	return 0;
}

void ms_proxy_free(struct ms_proxy *p)
{
	if (!p)
		return;
	while (p->txns)
		ms__proxy_txn_drop(p->txns);
	for (unsigned i = 0; i < p->ndomains; i++)
		ms__free(p->domains[i]);
	ms__free(p->domains);
	ms__free(p);
}

struct ms_stack *ms_proxy_stack(const struct ms_proxy *p)
{
	return p->stack;
}

bool ms_proxy_is_me(struct ms_proxy *p, const struct ms_uri *u)
{
	if (u->scheme != MS_URI_SIP && u->scheme != MS_URI_SIPS)
		return false;
	if (u->host_type == MS_HOST_NAME) {
		for (unsigned i = 0; i < p->ndomains; i++)
			if (strlen(p->domains[i]) == u->host.len &&
			    !strncasecmp(p->domains[i], u->host.s, u->host.len))
				return true;
		return false;
	}
	bool secure = u->scheme == MS_URI_SIPS || ms_str_ieqz(u->transport, "tls");
	return ms_stack_is_me(p->stack, u->host, u->port, secure);
}

void ms_proxy_set_response_filter(struct ms_proxy *p, ms_proxy_response_filter fn, void *arg)
{
	p->filter = fn;
	p->filter_arg = arg;
}
