/* SASL SCRAM-SHA-256 (RFC 5802, RFC 7677), server side, without channel
 * binding (no -PLUS). An unknown user goes through the whole exchange with
 * fake credentials and fails only at the proof, so names cannot be probed. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/sasl-private.h"
#include "core/base64.h"
#include "core/xalloc.h"

/* Real client-first messages are well under 200 bytes; the bound keeps a
 * hostile client from making us store and hash large messages. */
#define SCRAM_CLIENT_FIRST_MAX 1024
/* c= carries the gs2 header in base64 (4/3 of it), r= the client nonce
 * plus ours, p= 44 bytes: 4096 leaves room without being generous. */
#define SCRAM_CLIENT_FINAL_MAX 4096
#define SCRAM_SERVER_NONCE_RAW 24   /* 192 bits, 32 characters in base64 */
#define SCRAM_SERVER_NONCE_MAX 64   /* only the test hook can set another */
#define SCRAM_SERVER_FIRST_MAX (SCRAM_CLIENT_FIRST_MAX + 256)
#define SCRAM_AUTH_MSG_MAX (SCRAM_CLIENT_FIRST_MAX + SCRAM_SERVER_FIRST_MAX + \
			    SCRAM_CLIENT_FINAL_MAX + 2)

enum scram_phase {
	SCRAM_START,        /* nothing received yet */
	SCRAM_WANT_FIRST,   /* sent the empty challenge, want client-first */
	SCRAM_WANT_FINAL,   /* sent server-first, want client-final */
	SCRAM_WANT_ACK,     /* sent server-final (v=), want an empty response */
};

struct scram_state {
	enum scram_phase phase;
	bool known;                 /* creds are the user's, not fake ones */
	struct scram_creds creds;
	struct buf gs2_header;      /* "n,," / "y,,", with "a=..." if given */
	struct buf client_first_bare;
	struct buf server_first;
	struct buf nonce;           /* client nonce + server nonce */
	bool test_override;
	char test_nonce[SCRAM_SERVER_NONCE_MAX + 1];
	struct scram_creds test_creds;
};

static void scram_init(struct sasl_session *s)
{
	struct scram_state *st = xcalloc(1, sizeof(*st));

	buf_init(&st->gs2_header, SCRAM_CLIENT_FIRST_MAX);
	buf_init(&st->client_first_bare, SCRAM_CLIENT_FIRST_MAX);
	buf_init(&st->server_first, SCRAM_SERVER_FIRST_MAX);
	buf_init(&st->nonce, SCRAM_CLIENT_FIRST_MAX + SCRAM_SERVER_NONCE_MAX);
	s->state = st;
}

static void scram_free(struct sasl_session *s)
{
	struct scram_state *st = s->state;

	if (st == NULL)
		return;
	buf_free(&st->gs2_header);
	buf_free(&st->client_first_bare);
	buf_free(&st->server_first);
	buf_free(&st->nonce);
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
	s->state = NULL;
}

void sasl_scram_test_override(struct sasl_session *s, const char *server_nonce,
			      const struct scram_creds *creds)
{
	struct scram_state *st = s->state;

	if (s->mech != &sasl_mech_scram_sha256 || strlen(server_nonce) > SCRAM_SERVER_NONCE_MAX)
		abort();
	st->test_override = true;
	strcpy(st->test_nonce, server_nonce);
	st->test_creds = *creds;
}

/* One comma-separated attribute "x=value" of a SCRAM message. */
struct scram_attr {
	char name;
	const char *value;
	size_t len;
};

/* Splits the next attribute off [*p, end); advances *p past its comma.
 * False if it is not ALPHA "=" ... (RFC 5802 §7 attr-val). */
static bool scram_next_attr(const char **p, const char *end, struct scram_attr *a)
{
	const char *start = *p;
	const char *comma = memchr(start, ',', (size_t)(end - start));
	const char *stop = comma != NULL ? comma : end;

	if (stop - start < 2 || start[1] != '=' ||
	    !((start[0] >= 'a' && start[0] <= 'z') || (start[0] >= 'A' && start[0] <= 'Z')))
		return false;
	a->name = start[0];
	a->value = start + 2;
	a->len = (size_t)(stop - a->value);
	*p = comma != NULL ? comma + 1 : end;
	return true;
}

/* RFC 5802 §5.1 saslname: "," and "=" arrive as "=2C" and "=3D" (ABNF
 * literals are case-insensitive, RFC 5234 §2.3); any other '=' is
 * malformed, and so is an empty name. */
static bool scram_decode_name(const char *in, size_t len, struct buf *out)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '=') {
			if (len - i < 3)
				return false;
			if (in[i + 1] == '2' && (in[i + 2] == 'C' || in[i + 2] == 'c'))
				c = ',';
			else if (in[i + 1] == '3' && (in[i + 2] == 'D' || in[i + 2] == 'd'))
				c = '=';
			else
				return false;
			i += 2;
		}
		if (!buf_append_char(out, c))
			return false;
	}
	return true;
}

/* RFC 5802 §7: printable = %x21-2B / %x2D-7E (no comma). */
static bool scram_valid_nonce(const char *p, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
			return false;
	}
	return true;
}

/* Optional trailing extensions: each must at least look like attr-val. */
static bool scram_skip_extensions(const char *p, const char *end)
{
	struct scram_attr a;

	while (p < end) {
		if (!scram_next_attr(&p, end, &a) || a.len == 0)
			return false;
	}
	return true;
}

static bool scram_server_nonce(struct scram_state *st)
{
	unsigned char raw[SCRAM_SERVER_NONCE_RAW];

	if (st->test_override)
		return buf_append_str(&st->nonce, st->test_nonce);
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return false;
	return base64_encode(raw, sizeof(raw), &st->nonce);
}

/* client-first-message = gs2-header client-first-message-bare (§7). */
static enum sasl_step_result scram_client_first(struct sasl_session *s, const char *in,
						size_t len, struct buf *out)
{
	struct scram_state *st = s->state;
	const char *p = in, *end = in + len;
	struct buf authzid, user;
	struct scram_attr a;
	enum sasl_step_result r = SASL_STEP_MALFORMED;

	if (len > SCRAM_CLIENT_FIRST_MAX || memchr(in, '\0', len) != NULL)
		return SASL_STEP_MALFORMED;
	buf_init(&authzid, SASL_NAME_MAX);
	buf_init(&user, SASL_NAME_MAX);

	/* gs2-cbind-flag. "y": the client could bind but thinks we cannot,
	 * which is true: we offer no -PLUS. "p=": we cannot bind (§5.1). */
	if (len >= 2 && (p[0] == 'n' || p[0] == 'y') && p[1] == ',') {
		p += 2;
	} else if (len >= 2 && p[0] == 'p' && p[1] == '=') {
		r = SASL_STEP_FAILED;
		goto out;
	} else {
		goto out;
	}
	/* [ authzid ] "," */
	if (p < end && *p == ',') {
		p++;
	} else {
		if (!scram_next_attr(&p, end, &a) || a.name != 'a' ||
		    p[-1] != ',' || !scram_decode_name(a.value, a.len, &authzid))
			goto out;
	}
	if (!buf_append(&st->gs2_header, in, (size_t)(p - in)) ||
	    !buf_append(&st->client_first_bare, p, (size_t)(end - p)))
		goto out;

	/* client-first-message-bare = [reserved-mext ","] username "," nonce */
	if (!scram_next_attr(&p, end, &a))
		goto out;
	if (a.name == 'm') {
		/* §5.1: "m" MUST cause authentication failure. */
		r = SASL_STEP_FAILED;
		goto out;
	}
	if (a.name != 'n' || p == end || !scram_decode_name(a.value, a.len, &user) ||
	    !sasl_set_username(s, (const unsigned char *)user.data, user.len))
		goto out;
	if (!scram_next_attr(&p, end, &a) || a.name != 'r' || !scram_valid_nonce(a.value, a.len) ||
	    (p != end && p[-1] != ',') || (p == end && end[-1] == ','))
		goto out;
	if (!scram_skip_extensions(p, end))
		goto out;
	if (!buf_append(&st->nonce, a.value, a.len))
		goto out;

	/* No proxy logins (sasl.h): an authzid must be the user itself. */
	if (authzid.len > 0 && (authzid.len != user.len ||
				memcmp(authzid.data, user.data, user.len) != 0)) {
		r = SASL_STEP_FAILED;
		goto out;
	}

	if (st->test_override) {
		st->creds = st->test_creds;
		st->known = true;
	} else {
		switch (passdb_scram_lookup(s->db, s->username, &st->creds)) {
		case PASSDB_OK:
			st->known = true;
			break;
		case PASSDB_NO_USER:   /* creds are the fake ones: carry on */
			st->known = false;
			break;
		default:
			r = SASL_STEP_ERROR;
			goto out;
		}
	}
	if (!scram_server_nonce(st)) {
		r = SASL_STEP_ERROR;
		goto out;
	}
	/* server-first-message = nonce "," salt "," iteration-count */
	if (!buf_append_str(&st->server_first, "r=") ||
	    !buf_append(&st->server_first, st->nonce.data, st->nonce.len) ||
	    !buf_append_str(&st->server_first, ",s=") ||
	    !base64_encode(st->creds.salt, st->creds.salt_len, &st->server_first) ||
	    !buf_printf(&st->server_first, ",i=%u", st->creds.iterations) ||
	    !buf_append(out, st->server_first.data, st->server_first.len)) {
		r = SASL_STEP_ERROR;
		goto out;
	}
	st->phase = SCRAM_WANT_FINAL;
	r = SASL_STEP_CHALLENGE;
out:
	buf_free(&authzid);
	buf_free(&user);
	return r;
}

static bool scram_hmac(const unsigned char key[SCRAM_KEY_LEN], const struct buf *msg,
		       unsigned char mac_r[SCRAM_KEY_LEN])
{
	unsigned int len = 0;

	return HMAC(EVP_sha256(), key, SCRAM_KEY_LEN, (const unsigned char *)msg->data,
		    msg->len, mac_r, &len) != NULL && len == SCRAM_KEY_LEN;
}

/* client-final-message = channel-binding "," nonce ["," extensions] ","
 * proof (§7); verification as in §3. */
static enum sasl_step_result scram_client_final(struct sasl_session *s, const char *in,
						size_t len, struct buf *out)
{
	struct scram_state *st = s->state;
	const char *p = in, *end = in + len, *proof_attr;
	struct buf cbind, proof, auth_msg;
	struct scram_attr c, r, pa;
	unsigned char client_sig[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	unsigned char stored[SCRAM_KEY_LEN], server_sig[SCRAM_KEY_LEN];
	enum sasl_step_result res = SASL_STEP_MALFORMED;

	if (len > SCRAM_CLIENT_FINAL_MAX || memchr(in, '\0', len) != NULL)
		return SASL_STEP_MALFORMED;
	buf_init(&cbind, SCRAM_CLIENT_FINAL_MAX);
	buf_init(&proof, SCRAM_KEY_LEN * 2);
	buf_init(&auth_msg, SCRAM_AUTH_MSG_MAX);

	/* The proof is the last attribute: find where it starts. */
	proof_attr = NULL;
	for (const char *q = end; q > in; q--) {
		if (q[-1] == ',') {
			proof_attr = q;
			break;
		}
	}
	if (proof_attr == NULL)
		goto out;
	const char *pp = proof_attr;

	if (!scram_next_attr(&pp, end, &pa) || pa.name != 'p' ||
	    !base64_decode(pa.value, pa.len, &proof) || proof.len != SCRAM_KEY_LEN)
		goto out;
	const char *without_proof_end = proof_attr - 1;

	if (!scram_next_attr(&p, without_proof_end, &c) || c.name != 'c' || p == without_proof_end ||
	    !scram_next_attr(&p, without_proof_end, &r) || r.name != 'r' ||
	    (p != without_proof_end && p[-1] != ',') ||
	    (p == without_proof_end && without_proof_end[-1] == ',') ||
	    !scram_skip_extensions(p, without_proof_end))
		goto out;

	/* AuthMessage = client-first-message-bare "," server-first-message ","
	 * client-final-message-without-proof */
	if (!buf_append(&auth_msg, st->client_first_bare.data, st->client_first_bare.len) ||
	    !buf_append_char(&auth_msg, ',') ||
	    !buf_append(&auth_msg, st->server_first.data, st->server_first.len) ||
	    !buf_append_char(&auth_msg, ',') ||
	    !buf_append(&auth_msg, in, (size_t)(without_proof_end - in)))
		goto out;
	/* Without channel binding, c= is exactly base64(gs2-header) (§7). */
	if (!base64_encode(st->gs2_header.data, st->gs2_header.len, &cbind)) {
		res = SASL_STEP_ERROR;
		goto out;
	}
	bool cbind_ok = c.len == cbind.len && memcmp(c.value, cbind.data, c.len) == 0;
	bool nonce_ok = r.len == st->nonce.len && memcmp(r.value, st->nonce.data, r.len) == 0;

	/* ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof
	 * holds iff H(ClientKey) = StoredKey. */
	if (!scram_hmac(st->creds.stored_key, &auth_msg, client_sig)) {
		res = SASL_STEP_ERROR;
		goto out;
	}
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++)
		client_key[i] = (unsigned char)proof.data[i] ^ client_sig[i];
	SHA256(client_key, sizeof(client_key), stored);
	bool proof_ok = CRYPTO_memcmp(stored, st->creds.stored_key, SCRAM_KEY_LEN) == 0;

	if (!(st->known && cbind_ok && nonce_ok && proof_ok)) {
		res = SASL_STEP_FAILED;
		goto out;
	}
	/* server-final-message = "v=" base64(HMAC(ServerKey, AuthMessage)) */
	if (!scram_hmac(st->creds.server_key, &auth_msg, server_sig) ||
	    !buf_append_str(out, "v=") || !base64_encode(server_sig, sizeof(server_sig), out)) {
		res = SASL_STEP_ERROR;
		goto out;
	}
	st->phase = SCRAM_WANT_ACK;
	res = SASL_STEP_CHALLENGE;
out:
	OPENSSL_cleanse(client_key, sizeof(client_key));
	OPENSSL_cleanse(client_sig, sizeof(client_sig));
	if (proof.data != NULL)
		OPENSSL_cleanse(proof.data, proof.cap);
	buf_free(&cbind);
	buf_free(&proof);
	buf_free(&auth_msg);
	return res;
}

static enum sasl_step_result scram_step(struct sasl_session *s, bool have_input,
					const unsigned char *in, size_t in_len,
					struct buf *out)
{
	struct scram_state *st = s->state;
	const char *msg = (const char *)in;

	switch (st->phase) {
	case SCRAM_START:
		if (!have_input) {
			/* RFC 4422 §5: the client speaks first; ask with an
			 * empty challenge. */
			st->phase = SCRAM_WANT_FIRST;
			return SASL_STEP_CHALLENGE;
		}
		/* fall through */
	case SCRAM_WANT_FIRST:
		if (!have_input)
			return SASL_STEP_MALFORMED;
		return scram_client_first(s, msg, in_len, out);
	case SCRAM_WANT_FINAL:
		if (!have_input)
			return SASL_STEP_MALFORMED;
		return scram_client_final(s, msg, in_len, out);
	case SCRAM_WANT_ACK:
		/* RFC 5802 §5 / RFC 9051 §6.2.2: the client acknowledges the
		 * server-final-message with an empty response. */
		return have_input && in_len == 0 ? SASL_STEP_SUCCESS : SASL_STEP_MALFORMED;
	}
	return SASL_STEP_MALFORMED;
}

const struct sasl_mech sasl_mech_scram_sha256 = {
	.name = "SCRAM-SHA-256",
	.cleartext = false,
	.init = scram_init,
	.step = scram_step,
	.free_state = scram_free,
};
