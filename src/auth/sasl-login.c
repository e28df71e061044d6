/* SASL LOGIN (draft-murchison-sasl-login-00): challenges "Username:" then
 * "Password:", one answer each. Obsolete but still what some clients
 * (Outlook, old phones) insist on. Never keeps the password. */
#include <stdlib.h>
#include <string.h>

#include "auth/sasl-private.h"
#include "core/xalloc.h"

enum login_phase { LOGIN_START, LOGIN_WANT_USER, LOGIN_WANT_PASS };

struct login_state {
	enum login_phase phase;
};

static void login_init(struct sasl_session *s)
{
	s->state = xcalloc(1, sizeof(struct login_state));
}

static void login_free(struct sasl_session *s)
{
	free(s->state);
	s->state = NULL;
}

static enum sasl_step_result login_step(struct sasl_session *s, bool have_input,
					const unsigned char *in, size_t in_len,
					struct buf *out)
{
	struct login_state *st = s->state;

	switch (st->phase) {
	case LOGIN_START:
		if (!have_input) {
			st->phase = LOGIN_WANT_USER;
			return buf_append_str(out, "Username:") ?
				SASL_STEP_CHALLENGE : SASL_STEP_ERROR;
		}
		/* An initial response (SASL-IR, RFC 4959) is the user name. */
		/* fall through */
	case LOGIN_WANT_USER:
		if (!have_input || !sasl_set_username(s, in, in_len))
			return SASL_STEP_MALFORMED;
		st->phase = LOGIN_WANT_PASS;
		return buf_append_str(out, "Password:") ? SASL_STEP_CHALLENGE : SASL_STEP_ERROR;
	case LOGIN_WANT_PASS:
		if (!have_input)
			return SASL_STEP_MALFORMED;
		if (in_len == 0)
			return SASL_STEP_FAILED;   /* no syntax to break: just wrong */
		return sasl_verify_plain(s, in, in_len);
	}
	return SASL_STEP_MALFORMED;
}

const struct sasl_mech sasl_mech_login = {
	.name = "LOGIN",
	.cleartext = true,
	.init = login_init,
	.step = login_step,
	.free_state = login_free,
};
