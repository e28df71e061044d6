/* The SASL mechanism table and the dispatch that enforces what every
 * mechanism shares: case-insensitive names (RFC 4422 §3.1) and no step
 * after a final result. Mechanism logic lives in sasl-<mech>.c. */
#include "auth/sasl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth/sasl-private.h"
#include "core/xalloc.h"

/* Advertise order: the order clients see in CAPABILITY. */
const char *const sasl_mechanism_names[] = { "PLAIN", "LOGIN", "SCRAM-SHA-256", NULL };

static const struct sasl_mech *const sasl_mechs[] = {
	&sasl_mech_plain, &sasl_mech_login, &sasl_mech_scram_sha256,
};

static const struct sasl_mech *sasl_mech_find(const char *name)
{
	for (size_t i = 0; i < sizeof(sasl_mechs) / sizeof(sasl_mechs[0]); i++) {
		if (strcasecmp(name, sasl_mechs[i]->name) == 0)
			return sasl_mechs[i];
	}
	return NULL;
}

struct sasl_session *sasl_session_new(const char *mechanism, struct passdb *db)
{
	const struct sasl_mech *mech = sasl_mech_find(mechanism);
	struct sasl_session *s;

	if (mech == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->mech = mech;
	s->db = db;
	mech->init(s);
	return s;
}

void sasl_session_free(struct sasl_session **sessionp)
{
	struct sasl_session *s = *sessionp;

	if (s == NULL)
		return;
	*sessionp = NULL;
	s->mech->free_state(s);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

bool sasl_mechanism_is_cleartext(const char *mechanism)
{
	const struct sasl_mech *mech = sasl_mech_find(mechanism);

	return mech != NULL && mech->cleartext;
}

enum sasl_step_result sasl_session_step(struct sasl_session *s, bool have_input,
					const unsigned char *in, size_t in_len,
					struct buf *out)
{
	enum sasl_step_result r;

	if (s->done)
		return SASL_STEP_MALFORMED;
	/* Mechanisms always get a valid pointer, even for empty input, so
	 * pointer arithmetic and memchr on it are defined (found by fuzz-sasl). */
	if (!have_input || in == NULL)
		in_len = 0;
	if (in == NULL || in_len == 0)
		in = (const unsigned char *)"";
	r = s->mech->step(s, have_input, in, in_len, out);
	if (r != SASL_STEP_CHALLENGE)
		s->done = true;
	return r;
}

const char *sasl_session_username(const struct sasl_session *s)
{
	return s->have_username ? s->username : NULL;
}

bool sasl_set_username(struct sasl_session *s, const unsigned char *name, size_t len)
{
	if (len == 0 || len > SASL_NAME_MAX || memchr(name, '\0', len) != NULL)
		return false;
	memcpy(s->username, name, len);
	s->username[len] = '\0';
	s->have_username = true;
	return true;
}

enum sasl_step_result sasl_verify_plain(struct sasl_session *s,
					const unsigned char *pw, size_t pw_len)
{
	enum sasl_step_result r;
	char *copy;

	if (pw_len > PASSDB_PASSWORD_MAX || memchr(pw, '\0', pw_len) != NULL)
		return SASL_STEP_MALFORMED;
	copy = xstrndup((const char *)pw, pw_len);
	switch (passdb_verify_plain(s->db, s->username, copy)) {
	case PASSDB_OK:
		r = SASL_STEP_SUCCESS;
		break;
	case PASSDB_ERROR:
		r = SASL_STEP_ERROR;
		break;
	default:   /* unknown user, wrong or impossible password */
		r = SASL_STEP_FAILED;
		break;
	}
	OPENSSL_cleanse(copy, pw_len);
	free(copy);
	return r;
}
