/* Dialogs made and ended (RFC 3261 §12.1, §12.3): a UAC's from the
 * response to its INVITE, a UAS's from the INVITE, and their texts copied
 * out of the messages. */
#include <string.h>

#include "base/alloc.h"
#include "base/str.h"
#include "dialog/dialog_private.h"

/* The typed views every message of a dialog must have. */
struct views {
	const struct ms_nameaddr *from, *to;
	const struct ms_str *call_id;
	const struct ms_cseq *cseq;
};

static int get_views(struct ms_msg *m, struct views *v)
{
	v->from = ms_msg_from(m);
	v->to = ms_msg_to(m);
	v->call_id = ms_msg_call_id(m);
	v->cseq = ms_msg_cseq(m);
	return v->from && v->to && v->call_id && v->cseq ? 0 : MS_EBADMSG;
}

/* Where the texts that stay fixed come from. */
struct texts {
	struct ms_str call_id, local_tag, remote_tag, local_contact;
	const struct ms_nameaddr *local, *remote;
};

/* Copies into room already reserved, with line folding undone: a folded
 * value is valid where it came from, but the dialog writes these texts
 * as one line each. */
static struct ms_str put(struct ms_buf *b, struct ms_str s)
{
	char *p = b->data + b->len;
	for (size_t i = 0; i < s.len; i++)
		if (s.s[i] != '\r' && s.s[i] != '\n')
			b->data[b->len++] = s.s[i];
	return (struct ms_str){ p, (size_t)(b->data + b->len - p) };
}

static size_t nameaddr_room(const struct ms_nameaddr *na)
{
	return na->display.len + na->uri.text.len + na->params.len + sizeof " <>;";
}

/* From or To as our requests write them before their own tag: the
 * display name, the URI in <> and every parameter but the tag. */
static struct ms_str put_nameaddr(struct ms_buf *b, const struct ms_nameaddr *na)
{
	const char *p = b->data + b->len;
	if (na->display.len) {
		put(b, na->display);
		put(b, MS_STR(" "));
	}
	put(b, MS_STR("<"));
	put(b, na->uri.text);
	put(b, MS_STR(">"));
	size_t pos = 0;
	struct ms_str name, value;
	while (ms_param_next(na->params, &pos, &name, &value)) {
		if (ms_str_ieqz(name, "tag"))
			continue;
		put(b, MS_STR(";"));
		put(b, name);
		if (value.len) {
			put(b, MS_STR("="));
			put(b, value);
		}
	}
	return (struct ms_str){ p, (size_t)(b->data + b->len - p) };
}

static int set_texts(struct ms_dialog *d, const struct texts *t)
{
	size_t room = t->call_id.len + t->local_tag.len + t->remote_tag.len + t->local_contact.len +
		nameaddr_room(t->local) + nameaddr_room(t->remote);
	/* All the room first: the slices taken below must not move. */
	if (ms_buf_reserve(&d->text, room))
		return MS_ENOMEM;
	d->call_id = put(&d->text, t->call_id);
	d->local_tag = put(&d->text, t->local_tag);
	d->remote_tag = put(&d->text, t->remote_tag);
	d->local_contact = put(&d->text, t->local_contact);
	d->local_uri = put_nameaddr(&d->text, t->local);
	d->remote_uri = put_nameaddr(&d->text, t->remote);
	const struct ms_str *all[] = { &d->call_id,       &d->local_tag, &d->remote_tag,
				       &d->local_contact, &d->local_uri, &d->remote_uri };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i]->len > MS_DIALOG_MAX_TEXT)
			return MS_EMSGSIZE;
	return 0;
}

static struct ms_dialog *dialog_alloc(bool uac)
{
	/* calloc'd buffers are ms_buf_init'd ones: NULL, 0, 0 */
	struct ms_dialog *d = ms__calloc(1, sizeof *d);
	if (d)
		d->uac = uac;
	return d;
}

void ms_dialog_free(struct ms_dialog *d)
{
	if (!d)
		return;
	ms_buf_free(&d->text);
	ms__dialog_path_free(d);
	ms__free(d);
}

/* The response is to this INVITE, and may make a dialog. */
static int uac_check(struct ms_msg *inv, struct ms_msg *resp, struct views *iv, struct views *rv)
{
	if (!inv->is_request || inv->method != MS_METHOD_INVITE || resp->is_request || resp->status < 101 ||
	    resp->status > 299)
		return MS_EINVAL;
	int rc = get_views(inv, iv);
	if (rc == 0)
		rc = get_views(resp, rv);
	if (rc)
		return rc;
	if (!iv->from->tag.len || iv->to->tag.len || !rv->to->tag.len)
		return MS_EINVAL;
	if (!ms_str_eq(*iv->call_id, *rv->call_id) || !ms_str_ieq(iv->from->tag, rv->from->tag) ||
	    rv->cseq->num != iv->cseq->num || rv->cseq->method != MS_METHOD_INVITE)
		return MS_EINVAL;
	return ms_msg_ruri(inv) ? 0 : MS_EBADMSG;
}

/* A 1xx may come without a Contact (many gateways send 180 so): the
 * requests of the early dialog then go where the INVITE went. */
static int uac_target(struct ms_msg *inv, struct ms_msg *resp, struct ms_str *target)
{
	int rc = ms__dialog_contact_uri(resp, target);
	if (rc == MS_ENOENT && resp->status < 200) {
		*target = ms_msg_ruri(inv)->text;
		return 0;
	}
	return rc == MS_ENOENT ? MS_EINVAL : rc;
}

static int uac_fill(struct ms_dialog *d, struct ms_msg *inv, struct ms_msg *resp)
{
	struct views iv, rv;
	struct ms_str target;
	int rc = uac_check(inv, resp, &iv, &rv);
	if (rc == 0)
		rc = uac_target(inv, resp, &target);
	if (rc)
		return rc;
	const struct ms_hdr *contact = ms_msg_hdr(inv, MS_HDR_CONTACT);
	struct texts t = {
		.call_id = *iv.call_id,
		.local_tag = iv.from->tag,
		.remote_tag = rv.to->tag,
		.local_contact = contact ? contact->value : MS_STR_NULL,
		.local = iv.from,
		.remote = iv.to,
	};
	d->state = resp->status >= 200 ? MS_DIALOG_CONFIRMED : MS_DIALOG_EARLY;
	d->secure = ms_msg_ruri(inv)->scheme == MS_URI_SIPS;
	d->local_cseq = iv.cseq->num;
	rc = set_texts(d, &t);
	return rc ? rc : ms__dialog_set_path(d, resp, true, target);
}

int ms_dialog_uac_new(struct ms_dialog **out, struct ms_msg *invite, struct ms_msg *resp)
{
	struct ms_dialog *d = dialog_alloc(true);
	if (!d)
		return MS_ENOMEM;
	int rc = uac_fill(d, invite, resp);
	if (rc) {
		ms_dialog_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

bool ms__dialog_is_token(struct ms_str s)
{
	struct ms_str tok;
	const char *why;
	return ms_token_hdr_parse(&tok, s, &why) == 0 && tok.len == s.len;
}

/* A Contact value a UA gives: one address, written on one line. */
static bool contact_value_ok(struct ms_str v)
{
	struct ms_contact c;
	const char *why;
	if (v.len == 0)
		return true;
	if (ms__has_crlf(v.s, v.len))
		return false;
	return ms_contact_parse(&c, v, &why) == 0 && !c.star;
}

static int uas_fill(struct ms_dialog *d, struct ms_msg *inv, struct ms_str local_tag, struct ms_str contact,
		    bool over_tls)
{
	struct views v;
	struct ms_str target;
	if (!inv->is_request || inv->method != MS_METHOD_INVITE || !ms__dialog_is_token(local_tag) ||
	    !contact_value_ok(contact))
		return MS_EINVAL;
	int rc = get_views(inv, &v);
	if (rc == 0 && !ms_msg_ruri(inv))
		rc = MS_EBADMSG;
	if (rc)
		return rc;
	if (v.to->tag.len)
		return MS_EINVAL;
	rc = ms__dialog_contact_uri(inv, &target);
	if (rc)
		return rc == MS_ENOENT ? MS_EINVAL : rc;
	struct texts t = {
		.call_id = *v.call_id,
		.local_tag = local_tag,
		.remote_tag = v.from->tag,
		.local_contact = contact,
		.local = v.to,
		.remote = v.from,
	};
	d->state = MS_DIALOG_EARLY;
	d->secure = over_tls && ms_msg_ruri(inv)->scheme == MS_URI_SIPS;
	d->remote_cseq = v.cseq->num;
	d->has_remote_cseq = true;
	rc = set_texts(d, &t);
	return rc ? rc : ms__dialog_set_path(d, inv, false, target);
}

int ms_dialog_uas_new(struct ms_dialog **out, struct ms_msg *invite, struct ms_str local_tag,
		      struct ms_str local_contact, bool over_tls)
{
	struct ms_dialog *d = dialog_alloc(false);
	if (!d)
		return MS_ENOMEM;
	int rc = uas_fill(d, invite, local_tag, local_contact, over_tls);
	if (rc) {
		ms_dialog_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int ms_dialog_confirm(struct ms_dialog *d, struct ms_msg *resp)
{
	const struct ms_cseq *cseq;
	struct ms_str target;
	if (!d->uac || d->state == MS_DIALOG_TERMINATED || resp->is_request || resp->status / 100 != 2 ||
	    !(cseq = ms_msg_cseq(resp)) || cseq->method != MS_METHOD_INVITE || !ms_dialog_matches(d, resp))
		return MS_EINVAL;
	if (d->state == MS_DIALOG_CONFIRMED)
		return 0; /* a retransmission: what the first 2xx set stays */
	int rc = ms__dialog_contact_uri(resp, &target);
	if (rc)
		return rc == MS_ENOENT ? MS_EINVAL : rc;
	/* §13.2.2.4: the 2xx's route set wins over the 1xx's. */
	rc = ms__dialog_set_path(d, resp, true, target);
	if (rc == 0)
		d->state = MS_DIALOG_CONFIRMED;
	return rc;
}

int ms_dialog_uas_confirm(struct ms_dialog *d)
{
	if (d->uac || d->state == MS_DIALOG_TERMINATED)
		return MS_EINVAL;
	d->state = MS_DIALOG_CONFIRMED;
	return 0;
}

void ms_dialog_terminate(struct ms_dialog *d)
{
	d->state = MS_DIALOG_TERMINATED;
}
