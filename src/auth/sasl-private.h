/* What sasl.c shares with the mechanism files (sasl-plain.c, sasl-login.c,
 * sasl-scram.c). Not for use outside src/auth/ except the one test hook. */
#ifndef PETREL_AUTH_SASL_PRIVATE_H
#define PETREL_AUTH_SASL_PRIVATE_H

#include "auth/passdb.h"
#include "auth/sasl.h"

/* RFC 4616 §2: authzid and authcid are at most 255 octets; we use the same
 * bound for LOGIN and SCRAM names (a valid name is much shorter anyway). */
#define SASL_NAME_MAX 255

struct sasl_mech {
	const char *name;
	bool cleartext;
	/* Allocates the mechanism state in session->state. */
	void (*init)(struct sasl_session *session);
	/* Never called again after it returns anything but CHALLENGE. */
	enum sasl_step_result (*step)(struct sasl_session *session, bool have_input,
				      const unsigned char *in, size_t in_len,
				      struct buf *out);
	/* Frees (and wipes) session->state. */
	void (*free_state)(struct sasl_session *session);
};

struct sasl_session {
	const struct sasl_mech *mech;
	struct passdb *db;
	void *state;
	bool done;            /* a terminal result was returned */
	bool have_username;
	char username[SASL_NAME_MAX + 1];
};

extern const struct sasl_mech sasl_mech_plain;
extern const struct sasl_mech sasl_mech_login;
extern const struct sasl_mech sasl_mech_scram_sha256;

/* Records the name the client claimed (for sasl_session_username()).
 * False if it is empty, longer than SASL_NAME_MAX or contains a NUL. */
bool sasl_set_username(struct sasl_session *session, const unsigned char *name, size_t len);

/* Maps a cleartext password check onto a step result. */
enum sasl_step_result sasl_verify_plain(struct sasl_session *session,
					const unsigned char *pw, size_t pw_len);

/* TEST ONLY (tests/unit/test-sasl.c, RFC 7677 §3 example): makes the next
 * client-first-message of a SCRAM session use this server nonce suffix and
 * these credentials for a known user instead of random bytes and the
 * password database. Never called by the server. */
void sasl_scram_test_override(struct sasl_session *session, const char *server_nonce,
			      const struct scram_creds *creds);

#endif
