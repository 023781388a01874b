/* The state of a dialog, shared by the files of core/dialog. */
#ifndef MS_CORE_DIALOG_PRIVATE_H
#define MS_CORE_DIALOG_PRIVATE_H

#include "moonsip/dialog.h"

/* The route set: URIs (without <>) in the order requests carry them, all
 * in one block of text. */
struct ms__dialog_routes {
	struct ms_buf text;
	unsigned n;
	struct ms_str uri[MS_DIALOG_MAX_ROUTES];
};

struct ms_dialog {
	enum ms_dialog_state state;
	bool uac;
	bool secure;
	bool has_remote_cseq;
	uint32_t local_cseq; /* 0: no request sent yet (a UAS dialog) */
	uint32_t remote_cseq;
	/* Fixed for the dialog's life: slices of 'text'. */
	struct ms_buf text;
	struct ms_str call_id, local_tag, remote_tag, local_uri, remote_uri, local_contact;
	/* What confirm and target refreshes change, each in a block of its
	 * own: a new one is made whole before the old one goes, so a failure
	 * leaves the dialog as it was. */
	struct ms__dialog_routes routes;
	struct ms_buf target_text;
	struct ms_str target;
};

/* The URI of the first Contact of m: 0 with *uri set; MS_ENOENT when m
 * has none, MS_EINVAL when it is '*' or not a sip/sips URI, MS_EBADMSG
 * when it does not parse. */
int ms__dialog_contact_uri(struct ms_msg *m, struct ms_str *uri);
/* Replaces the route set with m's Record-Route (reversed for a UAC) and
 * the remote target with a copy of 'target', both or neither. */
int ms__dialog_set_path(struct ms_dialog *d, struct ms_msg *m, bool reverse, struct ms_str target);
/* Replaces the remote target with a copy of 'target'. */
int ms__dialog_set_target(struct ms_dialog *d, struct ms_str target);
void ms__dialog_path_free(struct ms_dialog *d);
/* The whole of s is one token (a tag, a method). */
bool ms__dialog_is_token(struct ms_str s);

#endif
