/* SASL PLAIN (RFC 4616): one message "[authzid] NUL authcid NUL passwd".
 * Strict about the syntax (exactly two NULs, bounded fields); never logs
 * or keeps the password. */
#include <stdlib.h>
#include <string.h>

#include "auth/sasl-private.h"
#include "core/xalloc.h"

/* RFC 4616 §2 bounds authzid/authcid at 255 octets; passwords may be as
 * long as the password database allows. */
#define PLAIN_MSG_MAX (SASL_NAME_MAX + 1 + SASL_NAME_MAX + 1 + PASSDB_PASSWORD_MAX)

struct plain_state {
	bool challenged;   /* the empty challenge was sent */
};

static void plain_init(struct sasl_session *s)
{
	s->state = xcalloc(1, sizeof(struct plain_state));
}

static void plain_free(struct sasl_session *s)
{
	free(s->state);
	s->state = NULL;
}

static enum sasl_step_result plain_step(struct sasl_session *s, bool have_input,
					const unsigned char *in, size_t in_len,
					struct buf *out)
{
	struct plain_state *st = s->state;
	const unsigned char *nul1, *nul2, *authcid, *pw;
	size_t authzid_len, authcid_len, pw_len;

	(void)out;
	if (!have_input) {
		/* RFC 4422 §5: the server starts with an empty challenge. */
		if (st->challenged)
			return SASL_STEP_MALFORMED;
		st->challenged = true;
		return SASL_STEP_CHALLENGE;
	}
	if (in_len > PLAIN_MSG_MAX)
		return SASL_STEP_MALFORMED;
	nul1 = memchr(in, '\0', in_len);
	if (nul1 == NULL)
		return SASL_STEP_MALFORMED;
	authcid = nul1 + 1;
	nul2 = memchr(authcid, '\0', in_len - (size_t)(authcid - in));
	if (nul2 == NULL)
		return SASL_STEP_MALFORMED;
	pw = nul2 + 1;
	authzid_len = (size_t)(nul1 - in);
	authcid_len = (size_t)(nul2 - authcid);
	pw_len = in_len - (size_t)(pw - in);
	if (memchr(pw, '\0', pw_len) != NULL || authzid_len > SASL_NAME_MAX ||
	    authcid_len == 0 || pw_len == 0 || pw_len > PASSDB_PASSWORD_MAX)
		return SASL_STEP_MALFORMED;
	if (!sasl_set_username(s, authcid, authcid_len))
		return SASL_STEP_MALFORMED;
	/* No proxy logins: an authzid must name the authenticating user. */
	if (authzid_len != 0 &&
	    (authzid_len != authcid_len || memcmp(in, authcid, authcid_len) != 0))
		return SASL_STEP_FAILED;
	return sasl_verify_plain(s, pw, pw_len);
}

const struct sasl_mech sasl_mech_plain = {
	.name = "PLAIN",
	.cleartext = true,
	.init = plain_init,
	.step = plain_step,
	.free_state = plain_free,
};
