/* CAPABILITY lists. Order: protocol versions, TLS and login policy, then
 * extensions, then SASL mechanisms. */
#include "imap/capability.h"

#include "auth/sasl.h"
#include "imap/session.h"

void imap_capability_list(const struct imap_session *s, struct buf *out)
{
	buf_append_str(out, "IMAP4rev2 IMAP4rev1");
	if (s->state != IMAP_STATE_NOT_AUTH) {
		buf_append_str(out, " LITERAL+ ID ENABLE");
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
