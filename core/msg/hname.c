/* Header names: the lookup from a name as written to its type, compact
 * forms included (every one IANA registers), and which types are lists. */
#include <string.h>

#include "base/str.h"
#include "moonsip/hdr.h"
#include "msg/msg_private.h"

static const uint8_t compact[26] = {
	['a' - 'a'] = MS_HDR_ACCEPT_CONTACT,
	['b' - 'a'] = MS_HDR_REFERRED_BY,
	['c' - 'a'] = MS_HDR_CONTENT_TYPE,
	['d' - 'a'] = MS_HDR_REQUEST_DISPOSITION,
	['e' - 'a'] = MS_HDR_CONTENT_ENCODING,
	['f' - 'a'] = MS_HDR_FROM,
	['i' - 'a'] = MS_HDR_CALL_ID,
	['j' - 'a'] = MS_HDR_REJECT_CONTACT,
	['k' - 'a'] = MS_HDR_SUPPORTED,
	['l' - 'a'] = MS_HDR_CONTENT_LENGTH,
	['m' - 'a'] = MS_HDR_CONTACT,
	['n' - 'a'] = MS_HDR_IDENTITY_INFO,
	['o' - 'a'] = MS_HDR_EVENT,
	['r' - 'a'] = MS_HDR_REFER_TO,
	['s' - 'a'] = MS_HDR_SUBJECT,
	['t' - 'a'] = MS_HDR_TO,
	['u' - 'a'] = MS_HDR_ALLOW_EVENTS,
	['v' - 'a'] = MS_HDR_VIA,
	['x' - 'a'] = MS_HDR_SESSION_EXPIRES,
	['y' - 'a'] = MS_HDR_IDENTITY,
};

static const char *const names[MS_HDR__COUNT] = {
	[MS_HDR_ACCEPT] = "Accept",
	[MS_HDR_ACCEPT_CONTACT] = "Accept-Contact",
	[MS_HDR_ACCEPT_ENCODING] = "Accept-Encoding",
	[MS_HDR_ACCEPT_LANGUAGE] = "Accept-Language",
	[MS_HDR_ALERT_INFO] = "Alert-Info",
	[MS_HDR_ALLOW] = "Allow",
	[MS_HDR_ALLOW_EVENTS] = "Allow-Events",
	[MS_HDR_AUTHENTICATION_INFO] = "Authentication-Info",
	[MS_HDR_AUTHORIZATION] = "Authorization",
	[MS_HDR_CALL_ID] = "Call-ID",
	[MS_HDR_CALL_INFO] = "Call-Info",
	[MS_HDR_CONTACT] = "Contact",
	[MS_HDR_CONTENT_DISPOSITION] = "Content-Disposition",
	[MS_HDR_CONTENT_ENCODING] = "Content-Encoding",
	[MS_HDR_CONTENT_LANGUAGE] = "Content-Language",
	[MS_HDR_CONTENT_LENGTH] = "Content-Length",
	[MS_HDR_CONTENT_TYPE] = "Content-Type",
	[MS_HDR_CSEQ] = "CSeq",
	[MS_HDR_DATE] = "Date",
	[MS_HDR_ERROR_INFO] = "Error-Info",
	[MS_HDR_EVENT] = "Event",
	[MS_HDR_EXPIRES] = "Expires",
	[MS_HDR_FROM] = "From",
	[MS_HDR_IDENTITY] = "Identity",
	[MS_HDR_IDENTITY_INFO] = "Identity-Info",
	[MS_HDR_IN_REPLY_TO] = "In-Reply-To",
	[MS_HDR_MAX_FORWARDS] = "Max-Forwards",
	[MS_HDR_MIME_VERSION] = "MIME-Version",
	[MS_HDR_MIN_EXPIRES] = "Min-Expires",
	[MS_HDR_MIN_SE] = "Min-SE",
	[MS_HDR_ORGANIZATION] = "Organization",
	[MS_HDR_PATH] = "Path",
	[MS_HDR_PRIORITY] = "Priority",
	[MS_HDR_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
	[MS_HDR_PROXY_AUTHORIZATION] = "Proxy-Authorization",
	[MS_HDR_PROXY_REQUIRE] = "Proxy-Require",
	[MS_HDR_RACK] = "RAck",
	[MS_HDR_REASON] = "Reason",
	[MS_HDR_RECORD_ROUTE] = "Record-Route",
	[MS_HDR_REFER_TO] = "Refer-To",
	[MS_HDR_REFERRED_BY] = "Referred-By",
	[MS_HDR_REJECT_CONTACT] = "Reject-Contact",
	[MS_HDR_REPLACES] = "Replaces",
	[MS_HDR_REPLY_TO] = "Reply-To",
	[MS_HDR_REQUEST_DISPOSITION] = "Request-Disposition",
	[MS_HDR_REQUIRE] = "Require",
	[MS_HDR_RETRY_AFTER] = "Retry-After",
	[MS_HDR_ROUTE] = "Route",
	[MS_HDR_RSEQ] = "RSeq",
	[MS_HDR_SERVER] = "Server",
	[MS_HDR_SERVICE_ROUTE] = "Service-Route",
	[MS_HDR_SESSION_EXPIRES] = "Session-Expires",
	[MS_HDR_SIP_ETAG] = "SIP-ETag",
	[MS_HDR_SIP_IF_MATCH] = "SIP-If-Match",
	[MS_HDR_SUBJECT] = "Subject",
	[MS_HDR_SUBSCRIPTION_STATE] = "Subscription-State",
	[MS_HDR_SUPPORTED] = "Supported",
	[MS_HDR_TIMESTAMP] = "Timestamp",
	[MS_HDR_TO] = "To",
	[MS_HDR_UNSUPPORTED] = "Unsupported",
	[MS_HDR_USER_AGENT] = "User-Agent",
	[MS_HDR_VIA] = "Via",
	[MS_HDR_WARNING] = "Warning",
	[MS_HDR_WWW_AUTHENTICATE] = "WWW-Authenticate",
};

/* Generated once from the table of names below and kept by hand since:
 * a switch on the length, then memcmp of the lowercased name. */
static enum ms_hdr_type lookup_full(const char *n, size_t len)
{
	switch (len) {
	case 2:
		if (!memcmp(n, "to", 2))
			return MS_HDR_TO;
		break;
	case 3:
		if (!memcmp(n, "via", 3))
			return MS_HDR_VIA;
		break;
	case 4:
		if (!memcmp(n, "cseq", 4))
			return MS_HDR_CSEQ;
		if (!memcmp(n, "date", 4))
			return MS_HDR_DATE;
		if (!memcmp(n, "from", 4))
			return MS_HDR_FROM;
		if (!memcmp(n, "path", 4))
			return MS_HDR_PATH;
		if (!memcmp(n, "rack", 4))
			return MS_HDR_RACK;
		if (!memcmp(n, "rseq", 4))
			return MS_HDR_RSEQ;
		break;
	case 5:
		if (!memcmp(n, "allow", 5))
			return MS_HDR_ALLOW;
		if (!memcmp(n, "event", 5))
			return MS_HDR_EVENT;
		if (!memcmp(n, "route", 5))
			return MS_HDR_ROUTE;
		break;
	case 6:
		if (!memcmp(n, "accept", 6))
			return MS_HDR_ACCEPT;
		if (!memcmp(n, "min-se", 6))
			return MS_HDR_MIN_SE;
		if (!memcmp(n, "reason", 6))
			return MS_HDR_REASON;
		if (!memcmp(n, "server", 6))
			return MS_HDR_SERVER;
		break;
	case 7:
		if (!memcmp(n, "call-id", 7))
			return MS_HDR_CALL_ID;
		if (!memcmp(n, "contact", 7))
			return MS_HDR_CONTACT;
		if (!memcmp(n, "expires", 7))
			return MS_HDR_EXPIRES;
		if (!memcmp(n, "require", 7))
			return MS_HDR_REQUIRE;
		if (!memcmp(n, "subject", 7))
			return MS_HDR_SUBJECT;
		if (!memcmp(n, "warning", 7))
			return MS_HDR_WARNING;
		break;
	case 8:
		if (!memcmp(n, "identity", 8))
			return MS_HDR_IDENTITY;
		if (!memcmp(n, "priority", 8))
			return MS_HDR_PRIORITY;
		if (!memcmp(n, "refer-to", 8))
			return MS_HDR_REFER_TO;
		if (!memcmp(n, "replaces", 8))
			return MS_HDR_REPLACES;
		if (!memcmp(n, "reply-to", 8))
			return MS_HDR_REPLY_TO;
		if (!memcmp(n, "sip-etag", 8))
			return MS_HDR_SIP_ETAG;
		break;
	case 9:
		if (!memcmp(n, "call-info", 9))
			return MS_HDR_CALL_INFO;
		if (!memcmp(n, "supported", 9))
			return MS_HDR_SUPPORTED;
		if (!memcmp(n, "timestamp", 9))
			return MS_HDR_TIMESTAMP;
		break;
	case 10:
		if (!memcmp(n, "alert-info", 10))
			return MS_HDR_ALERT_INFO;
		if (!memcmp(n, "error-info", 10))
			return MS_HDR_ERROR_INFO;
		if (!memcmp(n, "user-agent", 10))
			return MS_HDR_USER_AGENT;
		break;
	case 11:
		if (!memcmp(n, "in-reply-to", 11))
			return MS_HDR_IN_REPLY_TO;
		if (!memcmp(n, "min-expires", 11))
			return MS_HDR_MIN_EXPIRES;
		if (!memcmp(n, "referred-by", 11))
			return MS_HDR_REFERRED_BY;
		if (!memcmp(n, "retry-after", 11))
			return MS_HDR_RETRY_AFTER;
		if (!memcmp(n, "unsupported", 11))
			return MS_HDR_UNSUPPORTED;
		break;
	case 12:
		if (!memcmp(n, "allow-events", 12))
			return MS_HDR_ALLOW_EVENTS;
		if (!memcmp(n, "content-type", 12))
			return MS_HDR_CONTENT_TYPE;
		if (!memcmp(n, "max-forwards", 12))
			return MS_HDR_MAX_FORWARDS;
		if (!memcmp(n, "mime-version", 12))
			return MS_HDR_MIME_VERSION;
		if (!memcmp(n, "organization", 12))
			return MS_HDR_ORGANIZATION;
		if (!memcmp(n, "record-route", 12))
			return MS_HDR_RECORD_ROUTE;
		if (!memcmp(n, "sip-if-match", 12))
			return MS_HDR_SIP_IF_MATCH;
		break;
	case 13:
		if (!memcmp(n, "authorization", 13))
			return MS_HDR_AUTHORIZATION;
		if (!memcmp(n, "identity-info", 13))
			return MS_HDR_IDENTITY_INFO;
		if (!memcmp(n, "proxy-require", 13))
			return MS_HDR_PROXY_REQUIRE;
		if (!memcmp(n, "service-route", 13))
			return MS_HDR_SERVICE_ROUTE;
		break;
	case 14:
		if (!memcmp(n, "accept-contact", 14))
			return MS_HDR_ACCEPT_CONTACT;
		if (!memcmp(n, "content-length", 14))
			return MS_HDR_CONTENT_LENGTH;
		if (!memcmp(n, "reject-contact", 14))
			return MS_HDR_REJECT_CONTACT;
		break;
	case 15:
		if (!memcmp(n, "accept-encoding", 15))
			return MS_HDR_ACCEPT_ENCODING;
		if (!memcmp(n, "accept-language", 15))
			return MS_HDR_ACCEPT_LANGUAGE;
		if (!memcmp(n, "session-expires", 15))
			return MS_HDR_SESSION_EXPIRES;
		break;
	case 16:
		if (!memcmp(n, "content-encoding", 16))
			return MS_HDR_CONTENT_ENCODING;
		if (!memcmp(n, "content-language", 16))
			return MS_HDR_CONTENT_LANGUAGE;
		if (!memcmp(n, "www-authenticate", 16))
			return MS_HDR_WWW_AUTHENTICATE;
		break;
	case 18:
		if (!memcmp(n, "proxy-authenticate", 18))
			return MS_HDR_PROXY_AUTHENTICATE;
		if (!memcmp(n, "subscription-state", 18))
			return MS_HDR_SUBSCRIPTION_STATE;
		break;
	case 19:
		if (!memcmp(n, "authentication-info", 19))
			return MS_HDR_AUTHENTICATION_INFO;
		if (!memcmp(n, "content-disposition", 19))
			return MS_HDR_CONTENT_DISPOSITION;
		if (!memcmp(n, "proxy-authorization", 19))
			return MS_HDR_PROXY_AUTHORIZATION;
		if (!memcmp(n, "request-disposition", 19))
			return MS_HDR_REQUEST_DISPOSITION;
		break;
	}
	return MS_HDR_OTHER;
}

/* Types whose values are comma-separated lists (RFC 3261 §7.3.1). */
static const bool is_list[MS_HDR__COUNT] = {
	[MS_HDR_ACCEPT] = true,           [MS_HDR_ACCEPT_CONTACT] = true,
	[MS_HDR_ACCEPT_ENCODING] = true,  [MS_HDR_ACCEPT_LANGUAGE] = true,
	[MS_HDR_ALERT_INFO] = true,       [MS_HDR_ALLOW] = true,
	[MS_HDR_ALLOW_EVENTS] = true,     [MS_HDR_CALL_INFO] = true,
	[MS_HDR_CONTACT] = true,          [MS_HDR_CONTENT_ENCODING] = true,
	[MS_HDR_CONTENT_LANGUAGE] = true, [MS_HDR_ERROR_INFO] = true,
	[MS_HDR_IN_REPLY_TO] = true,      [MS_HDR_PATH] = true,
	[MS_HDR_PROXY_REQUIRE] = true,    [MS_HDR_RECORD_ROUTE] = true,
	[MS_HDR_REJECT_CONTACT] = true,   [MS_HDR_REQUEST_DISPOSITION] = true,
	[MS_HDR_REQUIRE] = true,          [MS_HDR_ROUTE] = true,
	[MS_HDR_SERVICE_ROUTE] = true,    [MS_HDR_SUPPORTED] = true,
	[MS_HDR_UNSUPPORTED] = true,      [MS_HDR_VIA] = true,
	[MS_HDR_WARNING] = true,
};

enum ms_hdr_type ms__hdr_lookup_lower(const char *low, size_t len)
{
	if (len == 1)
		return (low[0] >= 'a' && low[0] <= 'z') ? (enum ms_hdr_type)compact[low[0] - 'a']
							: MS_HDR_OTHER;
	return len <= MS__HDR_NAME_MAX ? lookup_full(low, len) : MS_HDR_OTHER;
}

enum ms_hdr_type ms_hdr_lookup(const char *name, size_t len)
{
	char low[MS__HDR_NAME_MAX];
	if (len > MS__HDR_NAME_MAX)
		return MS_HDR_OTHER;
	for (size_t i = 0; i < len; i++)
		low[i] = ms__lower(name[i]);
	return ms__hdr_lookup_lower(low, len);
}

const char *ms_hdr_name(enum ms_hdr_type t)
{
	return (unsigned)t < MS_HDR__COUNT ? names[t] : NULL;
}

bool ms_hdr_is_list(enum ms_hdr_type t)
{
	return (unsigned)t < MS_HDR__COUNT && is_list[t];
}
