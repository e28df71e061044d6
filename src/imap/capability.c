/* CAPABILITY lists. Order: protocol versions, TLS and login policy, then
 * extensions, then SASL mechanisms. */
#include "imap/imap-server.h"
#include "imap/capability.h"

#include "auth/sasl.h"
#include "imap/session.h"
#include "store/store.h"

void imap_capability_list(const struct imap_session *s, struct buf *out)
{
	buf_append_str(out, "IMAP4rev2 IMAP4rev1");
	if (s->state != IMAP_STATE_NOT_AUTH) {
		/* RFC 4315, 6851, 3691, 2342, 3348, 5258, 5819, 6154, 3502,
		 * 7889, 8438; RFC 3516, 4731, 5182, 5256, 5957, 5267, 5032,
		 * 8970, 8514, 8474, 2177, 7162, 9208 (without QUOTASET: limits
		 * are the administrator's), 5464, 4314, 8440: each backed by its
		 * commands. */
		buf_printf(out, " LITERAL+ ID ENABLE IDLE UIDPLUS MOVE UNSELECT NAMESPACE CHILDREN"
			   " LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE"
			   " MULTIAPPEND APPENDLIMIT=%llu STATUS=SIZE BINARY ESEARCH SEARCHRES"
			   " SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES"
			   " WITHIN PREVIEW SAVEDATE OBJECTID CONDSTORE QRESYNC"
			   " QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTA=RES-MAILBOX METADATA"
			   " ACL RIGHTS=texk LIST-MYRIGHTS",
			   (unsigned long long)store_append_limit(s->server->store_env));
		return;
	}
	bool cleartext = imap_session_cleartext_allowed(s);

	if (imap_session_starttls_available(s))
		buf_append_str(out, " STARTTLS");
	if (!cleartext)
		buf_append_str(out, " LOGINDISABLED");
	buf_append_str(out, " SASL-IR LITERAL+ ID ENABLE");
	for (const char *const *mech = sasl_mechanism_names; *mech != NULL; mech++) {
		if (!cleartext && sasl_mechanism_is_cleartext(*mech))
			continue;
		buf_printf(out, " AUTH=%s", *mech);
	}
}
