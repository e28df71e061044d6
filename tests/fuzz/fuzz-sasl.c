/* libFuzzer target for the SASL exchanges as a client drives them: the
 * first byte picks the mechanism and whether there is an initial response;
 * the rest is split at '\n' into client messages, each base64-decoded when
 * it is valid base64 (as cmd-auth.c does) and used raw otherwise, and fed
 * step by step until a terminal result. The password database holds one
 * user, so PLAIN/LOGIN reach the yescrypt check and SCRAM the proof check.
 * Built and run by `make fuzz` (see the Makefile). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/passdb.h"
#include "auth/sasl.h"
#include "core/base64.h"
#include "core/buf.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_MAX_STEPS 8

static struct passdb *db;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/petrel-fuzz-sasl-XXXXXX";
	static struct store_env *env;   /* the default backend at dir, for the run */
	char err[256];

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL ||
	    store_env_open(NULL, dir, &env, err, sizeof(err)) != STORE_OK ||
	    passdb_open(env, &db, err, sizeof(err)) < 0 ||
	    passdb_user_add(db, "alice", "alice-secret") != PASSDB_OK) {
		fprintf(stderr, "fuzz-sasl: cannot set up a password database\n");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const mechs[] = { "PLAIN", "LOGIN", "SCRAM-SHA-256" };
	struct sasl_session *session;
	struct buf in, out;

	if (size < 1)
		return 0;
	session = sasl_session_new(mechs[data[0] % 3], db);
	if (session == NULL)
		abort();
	bool initial = (data[0] & 0x80) != 0;
	buf_init(&in, 8192);
	buf_init(&out, 8192);

	const uint8_t *p = data + 1, *end = data + size;
	enum sasl_step_result r = SASL_STEP_CHALLENGE;
	if (!initial)
		r = sasl_session_step(session, false, NULL, 0, &out);
	for (int step = 0; r == SASL_STEP_CHALLENGE && step < FUZZ_MAX_STEPS && p <= end; step++) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		buf_clear(&in);
		buf_clear(&out);
		if (!base64_decode((const char *)p, len, &in)) {
			buf_clear(&in);
			buf_append(&in, p, len);
		}
		r = sasl_session_step(session, true, (const unsigned char *)in.data, in.len, &out);
		p += len + 1;
	}
	if (r == SASL_STEP_SUCCESS && sasl_session_username(session) == NULL)
		abort();
	sasl_session_free(&session);
	buf_free(&in);
	buf_free(&out);
	return 0;
}
