/* SASL mechanisms as pure state machines (no I/O, no base64): PLAIN
 * (RFC 4616), LOGIN (draft-murchison-sasl-login) and SCRAM-SHA-256
 * (RFC 5802, RFC 7677). The IMAP layer (cmd-auth.c) base64-decodes each
 * client response, calls sasl_session_step() on a worker thread (it may
 * hash or query the password database), and sends back the challenge.
 *
 * Authorization identities: PLAIN and SCRAM accept an authzid only when it
 * is empty or equal to the authentication identity (no proxy logins). */
#ifndef PETREL_AUTH_SASL_H
#define PETREL_AUTH_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

struct passdb;
struct sasl_session;

enum sasl_step_result {
	SASL_STEP_CHALLENGE,  /* send `out` as a continuation; expect another response */
	SASL_STEP_SUCCESS,    /* authenticated as sasl_session_username() */
	SASL_STEP_FAILED,     /* wrong credentials or unknown user: NO [AUTHENTICATIONFAILED] */
	SASL_STEP_MALFORMED,  /* the client's message breaks the mechanism's syntax: BAD */
	SASL_STEP_ERROR,      /* server-side failure (database): NO [SERVERBUG]/[UNAVAILABLE] */
};

/* Mechanism names in the order they are advertised. NULL-terminated. */
extern const char *const sasl_mechanism_names[];

/* NULL if the name (case-insensitive) is not a supported mechanism. */
struct sasl_session *sasl_session_new(const char *mechanism, struct passdb *db);
void sasl_session_free(struct sasl_session **session);

/* True for mechanisms that send the password itself (PLAIN, LOGIN): these
 * are refused on a cleartext, non-loopback connection. */
bool sasl_mechanism_is_cleartext(const char *mechanism);

/* One exchange. have_input=false means the client sent no initial response
 * (AUTHENTICATE without SASL-IR): the mechanism answers with its first
 * challenge (possibly empty). With SASL-IR, "=" arrives as have_input=true,
 * in_len=0. `in` is the decoded response and may contain NULs. On
 * CHALLENGE, the raw (not yet base64-encoded) challenge is appended to out.
 * For SCRAM, the server-final-message ("v=...") is sent as a challenge and
 * the client's following empty response gives SUCCESS. */
enum sasl_step_result sasl_session_step(struct sasl_session *session,
					bool have_input, const unsigned char *in,
					size_t in_len, struct buf *out);

/* After SUCCESS (and after FAILED, when a name was sent: for logging). */
const char *sasl_session_username(const struct sasl_session *session);

#endif
