/* moonsip: building messages and editing parsed ones.
 *
 * An edit records changes against a parsed message and writes the result in
 * one pass: bytes nobody touched are copied through as they were, and only
 * the edited parts are written anew. Content-Length is kept right: the edit
 * owns it, so removing, replacing or adding it is refused (MS_EINVAL).
 * Entries given ('h', 'ref') must be entries of the edited message.
 *
 *	struct ms_edit e;
 *	ms_edit_init(&e, &msg);
 *	ms_edit_add(&e, MS_STR("Via"), via, MS_EDIT_TOP, NULL);
 *	ms_edit_remove(&e, ms_msg_hdr(&msg, MS_HDR_ROUTE));
 *	ms_edit_write(&e, &out);
 *	ms_edit_free(&e);
 */
#ifndef MOONSIP_EDIT_H
#define MOONSIP_EDIT_H

#include "moonsip/base.h"
#include "moonsip/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ms_edit_op;

struct ms_edit {
	const struct ms_msg *msg; /* borrowed: must outlive the edit */
	struct ms_edit_op *ops;
	unsigned nops, cap;
	struct ms_buf text; /* bytes of new values */
	bool body_set;
	struct ms_str body; /* the new body once set: a slice of text */
};

enum ms_edit_where {
	MS_EDIT_TOP,    /* above the first header of the same name, else first */
	MS_EDIT_BOTTOM, /* after the last header */
	MS_EDIT_BEFORE, /* before the field holding 'ref' */
	MS_EDIT_AFTER,  /* after the field holding 'ref' */
};

MS_API void ms_edit_init(struct ms_edit *e, const struct ms_msg *m);
MS_API void ms_edit_free(struct ms_edit *e);

/* Request-URI of a request. MS_EINVAL for a response, or a URI that does not
 * parse or has headers. */
MS_API int ms_edit_set_ruri(struct ms_edit *e, struct ms_str uri);
/* Removes one header entry; when it was the only element of its field the
 * whole field goes, else the element and its comma. Removing an entry twice
 * is harmless. */
MS_API int ms_edit_remove(struct ms_edit *e, const struct ms_hdr *h);
/* Removes every entry of a type. */
MS_API int ms_edit_remove_all(struct ms_edit *e, enum ms_hdr_type t);
/* Replaces the value of one entry (the last value given wins). A value
 * with CR or LF is refused. */
MS_API int ms_edit_replace(struct ms_edit *e, const struct ms_hdr *h, struct ms_str value);
/* Adds a header field "name: value" ("name:" when the value is empty). The
 * name must be a token and the value free of CR and LF. 'ref' is used with
 * BEFORE and AFTER. Fields added at one point come out in call order. */
MS_API int ms_edit_add(struct ms_edit *e, struct ms_str name, struct ms_str value, enum ms_edit_where where,
		       const struct ms_hdr *ref);
/* Replaces the body; sets Content-Type (when content_type is not empty) and
 * Content-Length. An empty body removes Content-Type. The body is copied;
 * calling again replaces it again. */
MS_API int ms_edit_set_body(struct ms_edit *e, struct ms_str body, struct ms_str content_type);
/* Appends the edited message to 'out', with a Content-Length that is right
 * for its body (added when the message had none, as a datagram may). The
 * edit can be written again, with the same result. */
MS_API int ms_edit_write(const struct ms_edit *e, struct ms_buf *out);

/* Building new messages into a buffer, line by line. Values given with CR
 * or LF in them are refused with MS_EINVAL: a caller cannot inject header
 * lines. A reason phrase has control characters replaced by spaces. */
MS_API int ms_build_request_line(struct ms_buf *b, struct ms_str method, struct ms_str uri);
MS_API int ms_build_status_line(struct ms_buf *b, unsigned code, struct ms_str reason);
MS_API int ms_build_header(struct ms_buf *b, struct ms_str name, struct ms_str value);
/* Ends the header section: Content-Type when a body is given, Content-Length
 * always, the empty line, and the body. */
MS_API int ms_build_end(struct ms_buf *b, struct ms_str body, struct ms_str content_type);

/* The start of a response to 'req' (RFC 3261 §8.2.6): status line, the Vias,
 * From, To (with 'to_tag' added when To has none and the tag is not empty),
 * Call-ID and CSeq copied from the request, with folded values unfolded. The
 * caller adds more headers and ends it with ms_build_end(). An empty
 * 'reason' takes the standard one. MS_EINVAL when 'req' is a response, the
 * code is outside 100..699 or the tag is not a token. */
MS_API int ms_build_response(struct ms_buf *b, struct ms_msg *req, unsigned code, struct ms_str reason,
			     struct ms_str to_tag);

/* The standard reason phrase for a status code ("Not Found"), or "Unknown". */
MS_API const char *ms_reason_phrase(unsigned code);

#ifdef __cplusplus
}
#endif
#endif
