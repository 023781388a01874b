/* Messages received within a dialog: which dialog they belong to (§12.2),
 * the remote CSeq's order and target refreshes (§12.2.2), and the 2xx of
 * a target refresh this UA sent (§12.2.1.2). */
#include "dialog/dialog_private.h"

bool ms_dialog_matches(const struct ms_dialog *d, struct ms_msg *m)
{
	const struct ms_str *call_id = ms_msg_call_id(m);
	const struct ms_nameaddr *from = ms_msg_from(m), *to = ms_msg_to(m);
	if (!call_id || !from || !to || !ms_str_eq(*call_id, d->call_id))
		return false;
	/* Our tag is in To of what the peer asks, in From of its answers. */
	struct ms_str ours = m->is_request ? to->tag : from->tag;
	struct ms_str theirs = m->is_request ? from->tag : to->tag;
	return ms_str_ieq(ours, d->local_tag) && ms_str_ieq(theirs, d->remote_tag);
}

static bool target_refresh(enum ms_method m)
{
	return m == MS_METHOD_INVITE || m == MS_METHOD_UPDATE;
}

/* The new remote target of a target refresh request, if it has one. */
static int refreshed(struct ms_msg *req, struct ms_str *target)
{
	*target = MS_STR_NULL;
	if (!target_refresh(req->method))
		return 0;
	int rc = ms__dialog_contact_uri(req, target);
	if (rc == MS_ENOENT)
		return 0; /* the target stays */
	/* The peer's fault, not the caller's: a 400 to send. */
	return rc ? MS_EBADMSG : 0;
}

int ms_dialog_receive(struct ms_dialog *d, struct ms_msg *req)
{
	const struct ms_cseq *cseq = ms_msg_cseq(req);
	struct ms_str target;
	if (!req->is_request || !cseq || !ms_dialog_matches(d, req))
		return MS_EINVAL;
	if (d->state == MS_DIALOG_TERMINATED)
		return MS_ENOENT;
	if (req->method == MS_METHOD_CANCEL)
		return 0;
	/* An ACK carries the number of the INVITE it acknowledges. */
	if (req->method == MS_METHOD_ACK)
		return d->has_remote_cseq && cseq->num <= d->remote_cseq ? 0 : MS_ERANGE;
	if (d->has_remote_cseq && cseq->num <= d->remote_cseq)
		return MS_ERANGE;
	int rc = refreshed(req, &target);
	if (rc == 0 && target.len)
		rc = ms__dialog_set_target(d, target);
	if (rc)
		return rc;
	d->remote_cseq = cseq->num;
	d->has_remote_cseq = true;
	if (req->method == MS_METHOD_BYE)
		d->state = MS_DIALOG_TERMINATED;
	return 0;
}

int ms_dialog_target_refresh(struct ms_dialog *d, struct ms_msg *resp)
{
	const struct ms_cseq *cseq;
	struct ms_str target;
	if (d->state == MS_DIALOG_TERMINATED || resp->is_request || resp->status / 100 != 2 ||
	    !(cseq = ms_msg_cseq(resp)) || !target_refresh(cseq->method) || !ms_dialog_matches(d, resp))
		return MS_EINVAL;
	int rc = ms__dialog_contact_uri(resp, &target);
	if (rc)
		return rc == MS_ENOENT ? MS_EINVAL : rc;
	return ms__dialog_set_target(d, target);
}
