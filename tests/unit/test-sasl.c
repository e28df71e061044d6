/* SASL mechanisms against a real temporary password database: PLAIN
 * (RFC 4616), LOGIN, and SCRAM-SHA-256 (RFC 5802/7677) with a client
 * written here on OpenSSL, plus the RFC 7677 §3 example exchange. */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth/passdb.h"
#include "auth/sasl-private.h"
#include "auth/sasl.h"
#include "core/base64.h"
#include "core/log.h"
#include "store/store.h"
#include "unit.h"

static struct passdb *db;
static struct buf out;

/* One step with a response of len bytes (len < 0: strlen); out holds the
 * challenge afterwards ("" when none). */
static enum sasl_step_result step(struct sasl_session *s, const char *in, long len)
{
	buf_clear(&out);
	buf_append(&out, "", 0);   /* so out.data is never NULL */
	if (in == NULL)
		return sasl_session_step(s, false, NULL, 0, &out);
	return sasl_session_step(s, true, (const unsigned char *)in,
				 len < 0 ? strlen(in) : (size_t)len, &out);
}

/* PLAIN with the given message (which may contain NULs). */
static enum sasl_step_result plain(const char *msg, size_t len)
{
	struct sasl_session *s = sasl_session_new("PLAIN", db);
	enum sasl_step_result r = step(s, msg, (long)len);

	sasl_session_free(&s);
	return r;
}

static void test_names(void)
{
	CHECK_STR(sasl_mechanism_names[0], "PLAIN");
	CHECK_STR(sasl_mechanism_names[1], "LOGIN");
	CHECK_STR(sasl_mechanism_names[2], "SCRAM-SHA-256");
	CHECK(sasl_mechanism_names[3] == NULL);
	CHECK(sasl_mechanism_is_cleartext("PLAIN"));
	CHECK(sasl_mechanism_is_cleartext("login"));
	CHECK(!sasl_mechanism_is_cleartext("SCRAM-SHA-256"));
	CHECK(!sasl_mechanism_is_cleartext("CRAM-MD5"));
	CHECK(sasl_session_new("CRAM-MD5", db) == NULL);
	CHECK(sasl_session_new("SCRAM-SHA-1", db) == NULL);
	struct sasl_session *s = sasl_session_new("scram-sha-256", db);

	CHECK(s != NULL);
	sasl_session_free(&s);
	CHECK(s == NULL);
	sasl_session_free(&s);   /* harmless twice */
}

static void test_plain(void)
{
	struct sasl_session *s = sasl_session_new("plain", db);

	/* Without an initial response: an empty challenge first. */
	CHECK_INT(step(s, NULL, 0), SASL_STEP_CHALLENGE);
	CHECK_INT(out.len, 0);
	CHECK(sasl_session_username(s) == NULL);
	CHECK_INT(step(s, "\0alice\0secret", 13), SASL_STEP_SUCCESS);
	CHECK_STR(sasl_session_username(s), "alice");
	CHECK_INT(step(s, "\0alice\0secret", 13), SASL_STEP_MALFORMED);  /* after the end */
	sasl_session_free(&s);

	CHECK_INT(plain("alice\0alice\0secret", 18), SASL_STEP_SUCCESS);
	CHECK_INT(plain("bob\0alice\0secret", 16), SASL_STEP_FAILED);      /* proxy */
	CHECK_INT(plain("\0alice\0Secret", 13), SASL_STEP_FAILED);
	CHECK_INT(plain("\0nobody\0secret", 14), SASL_STEP_FAILED);
	CHECK_INT(plain("\0a'b\0secret", 11), SASL_STEP_FAILED);
	CHECK_INT(plain("\0alice\0sec\rret", 14), SASL_STEP_FAILED);
	CHECK_INT(plain("alice\0secret", 12), SASL_STEP_MALFORMED);        /* one NUL */
	CHECK_INT(plain("\0alice\0secret\0", 14), SASL_STEP_MALFORMED);    /* three */
	CHECK_INT(plain("\0alice\0sec\0ret", 14), SASL_STEP_MALFORMED);
	CHECK_INT(plain("\0\0secret", 8), SASL_STEP_MALFORMED);            /* no authcid */
	CHECK_INT(plain("\0alice\0", 7), SASL_STEP_MALFORMED);             /* no passwd */
	CHECK_INT(plain("", 0), SASL_STEP_MALFORMED);                      /* SASL-IR "=" */
	CHECK_INT(plain("alicesecret", 11), SASL_STEP_MALFORMED);

	char big[300 + 20];

	memset(big, 'x', sizeof(big));
	big[0] = '\0';
	big[257] = '\0';   /* authcid of 256 bytes */
	CHECK_INT(plain(big, 260), SASL_STEP_MALFORMED);
	big[0] = 'x';
	big[256] = '\0';   /* authzid of 256 bytes */
	memcpy(big + 257, "alice\0secret", 12);
	CHECK_INT(plain(big, 269), SASL_STEP_MALFORMED);

	/* After FAILED the claimed name is there for the log. */
	s = sasl_session_new("PLAIN", db);
	CHECK_INT(step(s, "\0alice\0wrong", 12), SASL_STEP_FAILED);
	CHECK_STR(sasl_session_username(s), "alice");
	CHECK_INT(step(s, NULL, 0), SASL_STEP_MALFORMED);
	sasl_session_free(&s);
}

static void test_login(void)
{
	struct sasl_session *s = sasl_session_new("LOGIN", db);

	CHECK_INT(step(s, NULL, 0), SASL_STEP_CHALLENGE);
	CHECK_STR(out.data, "Username:");
	CHECK_INT(step(s, "alice", -1), SASL_STEP_CHALLENGE);
	CHECK_STR(out.data, "Password:");
	CHECK_INT(step(s, "secret", -1), SASL_STEP_SUCCESS);
	CHECK_STR(out.data, "");
	CHECK_STR(sasl_session_username(s), "alice");
	CHECK_INT(step(s, "", 0), SASL_STEP_MALFORMED);
	sasl_session_free(&s);

	/* SASL-IR: the initial response is the user name. */
	s = sasl_session_new("LOGIN", db);
	CHECK_INT(step(s, "alice", -1), SASL_STEP_CHALLENGE);
	CHECK_STR(out.data, "Password:");
	CHECK_INT(step(s, "secret", -1), SASL_STEP_SUCCESS);
	sasl_session_free(&s);

	s = sasl_session_new("LOGIN", db);
	CHECK_INT(step(s, "alice", -1), SASL_STEP_CHALLENGE);
	CHECK_INT(step(s, "secreT", -1), SASL_STEP_FAILED);
	CHECK_STR(sasl_session_username(s), "alice");
	sasl_session_free(&s);

	s = sasl_session_new("LOGIN", db);
	CHECK_INT(step(s, NULL, 0), SASL_STEP_CHALLENGE);
	CHECK_INT(step(s, "nobody", -1), SASL_STEP_CHALLENGE);
	CHECK_INT(step(s, "secret", -1), SASL_STEP_FAILED);
	sasl_session_free(&s);

	s = sasl_session_new("LOGIN", db);
	CHECK_INT(step(s, "ali\0ce", 6), SASL_STEP_MALFORMED);
	sasl_session_free(&s);
	s = sasl_session_new("LOGIN", db);
	CHECK_INT(step(s, NULL, 0), SASL_STEP_CHALLENGE);
	CHECK_INT(step(s, NULL, 0), SASL_STEP_MALFORMED);   /* a response is required */
	sasl_session_free(&s);
	s = sasl_session_new("LOGIN", db);
	CHECK_INT(step(s, "alice", -1), SASL_STEP_CHALLENGE);
	CHECK_INT(step(s, "sec\0ret", 7), SASL_STEP_MALFORMED);
	sasl_session_free(&s);
}

/* ---- A SCRAM-SHA-256 client (RFC 5802 §3) ---- */

struct scram_client {
	char first_bare[512];
	char final_msg[1024];
	char expect_v[128];
};

static void b64(const unsigned char *in, size_t len, char *dst, size_t dst_size)
{
	struct buf b;

	buf_init(&b, dst_size - 1);
	base64_encode(in, len, &b);
	snprintf(dst, dst_size, "%s", b.data != NULL ? b.data : "");
	buf_free(&b);
}

/* From the server-first message, computes client-final (cbind is the c=
 * value) and the v= the server must answer. False if unparsable. */
static bool scram_client_final(struct scram_client *c, const char *password,
			       const char *server_first, const char *cbind)
{
	const char *r = strstr(server_first, "r="), *s = strstr(server_first, ",s=");
	const char *i = strstr(server_first, ",i=");
	unsigned char salted[32], ck[32], sk[32], stored[32], sig[32], proof[32], ssig[32];
	char without_proof[600], auth_msg[1600], p64[64], v64[64];
	unsigned int len;
	struct buf salt;

	if (r != server_first || s == NULL || i == NULL)
		return false;
	buf_init(&salt, 64);
	if (!base64_decode(s + 3, (size_t)(i - s - 3), &salt)) {
		buf_free(&salt);
		return false;
	}
	PKCS5_PBKDF2_HMAC(password, (int)strlen(password), (unsigned char *)salt.data,
			  (int)salt.len, atoi(i + 3), EVP_sha256(), 32, salted);
	buf_free(&salt);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key", 10, ck, &len);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key", 10, sk, &len);
	SHA256(ck, 32, stored);
	snprintf(without_proof, sizeof(without_proof), "c=%s,r=%.*s", cbind,
		 (int)(s - server_first - 2), server_first + 2);
	snprintf(auth_msg, sizeof(auth_msg), "%s,%s,%s", c->first_bare, server_first,
		 without_proof);
	HMAC(EVP_sha256(), stored, 32, (unsigned char *)auth_msg, strlen(auth_msg), sig, &len);
	for (int k = 0; k < 32; k++)
		proof[k] = ck[k] ^ sig[k];
	HMAC(EVP_sha256(), sk, 32, (unsigned char *)auth_msg, strlen(auth_msg), ssig, &len);
	b64(proof, 32, p64, sizeof(p64));
	b64(ssig, 32, v64, sizeof(v64));
	snprintf(c->final_msg, sizeof(c->final_msg), "%s,p=%s", without_proof, p64);
	snprintf(c->expect_v, sizeof(c->expect_v), "v=%s", v64);
	return true;
}

/* A whole exchange; returns the first non-CHALLENGE result. */
static enum sasl_step_result scram_run(const char *gs2, const char *user, const char *password,
				       bool initial_response)
{
	struct sasl_session *s = sasl_session_new("SCRAM-SHA-256", db);
	struct scram_client c;
	char first[600], cbind[128];
	enum sasl_step_result r;

	snprintf(c.first_bare, sizeof(c.first_bare), "n=%s,r=fyko+d2lbbFgONRv9qkxdawL", user);
	snprintf(first, sizeof(first), "%s%s", gs2, c.first_bare);
	b64((const unsigned char *)gs2, strlen(gs2), cbind, sizeof(cbind));
	if (!initial_response) {
		r = step(s, NULL, 0);
		CHECK_INT(r, SASL_STEP_CHALLENGE);
		CHECK_INT(out.len, 0);
	}
	r = step(s, first, -1);
	if (r != SASL_STEP_CHALLENGE)
		goto done;
	CHECK(strncmp(out.data, "r=fyko+d2lbbFgONRv9qkxdawL", 26) == 0);
	CHECK(strstr(out.data, ",s=") != NULL && strstr(out.data, ",i=10000") != NULL);
	/* "r=" + client nonce + 32 characters of server nonce */
	CHECK_INT(strchr(out.data, ',') - out.data, 2 + 24 + 32);
	CHECK(scram_client_final(&c, password, out.data, cbind));
	r = step(s, c.final_msg, -1);
	if (r != SASL_STEP_CHALLENGE)
		goto done;
	CHECK_STR(out.data, c.expect_v);
	r = step(s, "", 0);
	if (r == SASL_STEP_SUCCESS)
		CHECK_STR(sasl_session_username(s), user);
done:
	sasl_session_free(&s);
	return r;
}

/* Result of a single client-first message. */
static enum sasl_step_result scram_first(const char *msg, long len)
{
	struct sasl_session *s = sasl_session_new("SCRAM-SHA-256", db);
	enum sasl_step_result r = step(s, msg, len);

	sasl_session_free(&s);
	return r;
}

/* Copies tmpl to dst with "$N" replaced by nonce and "$P" by proof. */
static void fill(char *dst, size_t size, const char *tmpl, const char *nonce, const char *proof)
{
	struct buf b;

	buf_init(&b, size - 1);
	for (const char *t = tmpl; *t != '\0'; t++) {
		if (t[0] == '$' && t[1] == 'N') {
			buf_append_str(&b, nonce);
			t++;
		} else if (t[0] == '$' && t[1] == 'P') {
			buf_append_str(&b, proof);
			t++;
		} else {
			buf_append_char(&b, *t);
		}
	}
	snprintf(dst, size, "%s", b.data != NULL ? b.data : "");
	buf_free(&b);
}

/* Result of client-final after a good client-first for alice; in final,
 * "$N" is the combined nonce and "$P" the real proof. */
static enum sasl_step_result scram_final(const char *final_fmt)
{
	struct sasl_session *s = sasl_session_new("SCRAM-SHA-256", db);
	struct scram_client c;
	char nonce[128], msg[1200];
	enum sasl_step_result r;

	snprintf(c.first_bare, sizeof(c.first_bare), "n=alice,r=abc");
	r = step(s, "n,,n=alice,r=abc", -1);
	CHECK_INT(r, SASL_STEP_CHALLENGE);
	snprintf(nonce, sizeof(nonce), "%.*s", (int)(strchr(out.data, ',') - out.data - 2),
		 out.data + 2);
	scram_client_final(&c, "secret", out.data, "biws");
	const char *proof = strstr(c.final_msg, ",p=") + 3;

	fill(msg, sizeof(msg), final_fmt, nonce, proof);
	r = step(s, msg, -1);
	sasl_session_free(&s);
	return r;
}

static void test_scram(void)
{
	CHECK_INT(scram_run("n,,", "alice", "secret", false), SASL_STEP_SUCCESS);
	CHECK_INT(scram_run("n,,", "alice", "secret", true), SASL_STEP_SUCCESS);
	CHECK_INT(scram_run("y,,", "alice", "secret", true), SASL_STEP_SUCCESS);
	CHECK_INT(scram_run("n,a=alice,", "alice", "secret", true), SASL_STEP_SUCCESS);
	CHECK_INT(scram_run("n,,", "a=2Cb=3Dc", "pw", true), SASL_STEP_FAILED);
	CHECK_INT(scram_run("n,,", "alice", "Secret", true), SASL_STEP_FAILED);
	/* Unknown user: a normal-looking server-first, failure at the end. */
	CHECK_INT(scram_run("n,,", "nobody", "secret", false), SASL_STEP_FAILED);
	CHECK_INT(scram_run("n,,", "a'b", "secret", true), SASL_STEP_FAILED);

	/* The escaped name is decoded: a,b=c is the name looked up. */
	struct sasl_session *s = sasl_session_new("SCRAM-SHA-256", db);

	CHECK_INT(step(s, "n,,n=a=2Cb=3Dc,r=xyz", -1), SASL_STEP_CHALLENGE);
	CHECK_STR(sasl_session_username(s), "a,b=c");
	sasl_session_free(&s);

	/* Unknown users get the same salt every time. */
	char salt1[64], salt2[64];

	s = sasl_session_new("SCRAM-SHA-256", db);
	step(s, "n,,n=ghost,r=xyz", -1);
	snprintf(salt1, sizeof(salt1), "%s", strstr(out.data, ",s="));
	sasl_session_free(&s);
	s = sasl_session_new("SCRAM-SHA-256", db);
	step(s, "n,,n=ghost,r=xyz", -1);
	snprintf(salt2, sizeof(salt2), "%s", strstr(out.data, ",s="));
	sasl_session_free(&s);
	CHECK_STR(salt1, salt2);

	/* client-first syntax (RFC 5802 §7) */
	CHECK_INT(scram_first("n,,n=alice,r=abc", -1), SASL_STEP_CHALLENGE);
	CHECK_INT(scram_first("n,,n=alice,r=abc,x=ext", -1), SASL_STEP_CHALLENGE);
	CHECK_INT(scram_first("p=tls-unique,,n=alice,r=abc", -1), SASL_STEP_FAILED);
	CHECK_INT(scram_first("n,,m=ext,n=alice,r=abc", -1), SASL_STEP_FAILED);
	CHECK_INT(scram_first("n,a=bob,n=alice,r=abc", -1), SASL_STEP_FAILED);
	CHECK_INT(scram_first("", 0), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("x,,n=alice,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,n=alice,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,,n=alice,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,a=,n=alice,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=al=2Xice,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice=,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice=3,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,r=abc", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice,", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice,r=", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice,r=abc,", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice,r=a b", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice,r=abc,1=x", -1), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=ali\0ce,r=abc", 17), SASL_STEP_MALFORMED);
	CHECK_INT(scram_first("n,,n=alice,x=abc", -1), SASL_STEP_MALFORMED);
	char huge[1100];

	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, "n,,n=alice,r=", 13);
	CHECK_INT(scram_first(huge, -1), SASL_STEP_MALFORMED);

	/* client-final */
	CHECK_INT(scram_final("c=biws,r=$N,p=$P"), SASL_STEP_CHALLENGE);
	/* An extension parses, but the proof was made without it. */
	CHECK_INT(scram_final("c=biws,r=$N,x=ext,p=$P"), SASL_STEP_FAILED);
	CHECK_INT(scram_final("c=eSws,r=$N,p=$P"), SASL_STEP_FAILED);     /* cbind */
	CHECK_INT(scram_final("c=biws,r=$Nx,p=$P"), SASL_STEP_FAILED);    /* nonce */
	CHECK_INT(scram_final("c=biws,r=$N,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="), SASL_STEP_MALFORMED);
	CHECK_INT(scram_final("c=biws,r=$N,p=$P$P"), SASL_STEP_MALFORMED);
	CHECK_INT(scram_final("c=biws,r=$N$P"), SASL_STEP_MALFORMED);     /* no proof */
	CHECK_INT(scram_final("r=$N,c=biws,p=$P"), SASL_STEP_MALFORMED);
	CHECK_INT(scram_final("c=biws,r=$N,,p=$P"), SASL_STEP_MALFORMED);
	CHECK_INT(scram_final("c=biws,r=$N,p=$P,x=y"), SASL_STEP_MALFORMED);
	CHECK_INT(scram_final("c=biws,r=$N,p=$P "), SASL_STEP_MALFORMED);
	CHECK_INT(scram_final("c=biws,r=$N,p=$P\r\n"), SASL_STEP_MALFORMED);

	/* After v=, only an empty response succeeds; nothing after that. */
	s = sasl_session_new("SCRAM-SHA-256", db);
	struct scram_client c;

	snprintf(c.first_bare, sizeof(c.first_bare), "n=alice,r=abc");
	step(s, "n,,n=alice,r=abc", -1);
	scram_client_final(&c, "secret", out.data, "biws");
	CHECK_INT(step(s, c.final_msg, -1), SASL_STEP_CHALLENGE);
	CHECK_INT(step(s, "x", -1), SASL_STEP_MALFORMED);
	CHECK_INT(step(s, "", 0), SASL_STEP_MALFORMED);
	sasl_session_free(&s);
	s = sasl_session_new("SCRAM-SHA-256", db);
	step(s, "n,,n=alice,r=abc", -1);
	scram_client_final(&c, "secret", out.data, "biws");
	CHECK_INT(step(s, c.final_msg, -1), SASL_STEP_CHALLENGE);
	CHECK_INT(step(s, NULL, 0), SASL_STEP_MALFORMED);
	sasl_session_free(&s);
}

/* RFC 7677 §3, byte for byte. */
static void test_scram_rfc7677(void)
{
	static const char salt_b64[] = "W22ZaJ0SNY7soEsUEjb6gQ==";
	struct scram_creds creds;
	unsigned char salted[32], ck[32];
	unsigned int len;
	struct buf salt;

	memset(&creds, 0, sizeof(creds));
	buf_init(&salt, 64);
	CHECK(base64_decode(salt_b64, strlen(salt_b64), &salt));
	memcpy(creds.salt, salt.data, salt.len);
	creds.salt_len = salt.len;
	creds.iterations = 4096;
	PKCS5_PBKDF2_HMAC("pencil", 6, creds.salt, (int)creds.salt_len, 4096, EVP_sha256(),
			  32, salted);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key", 10, ck, &len);
	SHA256(ck, 32, creds.stored_key);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key", 10,
	     creds.server_key, &len);
	buf_free(&salt);

	struct sasl_session *s = sasl_session_new("SCRAM-SHA-256", db);

	sasl_scram_test_override(s, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", &creds);
	CHECK_INT(step(s, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", -1), SASL_STEP_CHALLENGE);
	CHECK_STR(out.data, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		  "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");

	/* Our client computes the RFC's proof from the password. */
	struct scram_client c;

	snprintf(c.first_bare, sizeof(c.first_bare), "n=user,r=rOprNGfwEbeRWgbNEkqO");
	CHECK(scram_client_final(&c, "pencil", out.data, "biws"));
	CHECK_STR(c.final_msg, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	CHECK_INT(step(s, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		       "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", -1),
		  SASL_STEP_CHALLENGE);
	CHECK_STR(out.data, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
	CHECK_INT(step(s, "", 0), SASL_STEP_SUCCESS);
	CHECK_STR(sasl_session_username(s), "user");
	sasl_session_free(&s);

	/* The same exchange with one bit of the proof flipped fails. */
	s = sasl_session_new("SCRAM-SHA-256", db);
	sasl_scram_test_override(s, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", &creds);
	CHECK_INT(step(s, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", -1), SASL_STEP_CHALLENGE);
	CHECK_INT(step(s, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		       "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=", -1),
		  SASL_STEP_FAILED);
	sasl_session_free(&s);
}

/* Regression (fuzz-sasl): an empty response arrives as a NULL pointer
 * when the decoded buffer was never allocated; no mechanism may do pointer
 * arithmetic on it (UBSan flagged SCRAM). Each gets the empty message. */
static void test_empty_null_input(void)
{
	static const char *const mechs[] = { "PLAIN", "LOGIN", "SCRAM-SHA-256" };
	static const enum sasl_step_result want[] = {
		SASL_STEP_MALFORMED, SASL_STEP_MALFORMED, SASL_STEP_MALFORMED,
	};

	for (int i = 0; i < 3; i++) {
		struct sasl_session *s = sasl_session_new(mechs[i], db);

		buf_clear(&out);
		CHECK_INT(sasl_session_step(s, true, NULL, 0, &out), want[i]);
		sasl_session_free(&s);
	}
}

int main(void)
{
	char dir[] = "/tmp/petrel-test-sasl-XXXXXX";
	struct store_env *env = NULL;
	char err[256];

	log_set_level(LOG_ERROR);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (store_env_open(NULL, dir, &env, err, sizeof(err)) != STORE_OK ||
	    passdb_open(env, &db, err, sizeof(err)) < 0) {
		printf("FAIL passdb_open: %s\n", err);
		store_env_free(&env);
		unit_remove_dir(dir);
		return 1;
	}
	CHECK_INT(passdb_user_add(db, "alice", "secret"), PASSDB_OK);
	buf_init(&out, 4096);

	test_names();
	test_plain();
	test_login();
	test_scram();
	test_scram_rfc7677();
	test_empty_null_input();

	buf_free(&out);
	passdb_close(&db);
	store_env_free(&env);
	unit_remove_dir(dir);
	return unit_finish("sasl");
}
