/* The password database: accounts, hashes, SCRAM keys (RFC 5802 §3), fake
 * SCRAM credentials for unknown names, name rules, and the file's mode. */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth/passdb.h"
#include "core/log.h"
#include "store/store-users.h"
#include "store/store.h"
#include "unit.h"

struct names {
	char text[256];
	size_t len;
};

static void collect(const char *name, void *ctx)
{
	struct names *n = ctx;

	n->len += (size_t)snprintf(n->text + n->len, sizeof(n->text) - n->len, "%s;", name);
}

/* StoredKey for password and creds' salt/iterations, computed here
 * independently of passdb.c. */
static int scram_keys_match(const char *password, const struct scram_creds *c)
{
	unsigned char salted[32], ck[32], stored[32], server[32];
	unsigned int len;

	PKCS5_PBKDF2_HMAC(password, (int)strlen(password), c->salt, (int)c->salt_len,
			  (int)c->iterations, EVP_sha256(), 32, salted);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key", 10, ck, &len);
	SHA256(ck, 32, stored);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key", 10, server, &len);
	return memcmp(stored, c->stored_key, 32) == 0 && memcmp(server, c->server_key, 32) == 0;
}

/* Several threads share one handle (passdb.h: any thread, concurrently). */
struct worker {
	struct passdb *db;
	int id;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char name[32];

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "w%d-%d", w->id, i);
		if (passdb_user_add(w->db, name, "pw") != PASSDB_OK ||
		    passdb_verify_plain(w->db, name, "pw") != PASSDB_OK ||
		    passdb_verify_plain(w->db, "alice", "battery staple") != PASSDB_OK ||
		    passdb_user_delete(w->db, name) != PASSDB_OK)
			w->failures++;
	}
	return NULL;
}

/* ---- the env's own users.db connections (store_created, shares) ---- */

struct env_worker {
	const struct store_env *env;
	int failures;
};

static void collect_owner(const char *owner, void *ctx)
{
	collect(owner, ctx);
}

/* Each thread asks what the server's workers ask at once: whether a store
 * was made, and who shares with whom (LIST). */
static void *env_worker_run(void *arg)
{
	struct env_worker *w = arg;

	for (int i = 0; i < 100; i++) {
		struct names n = { .len = 0 };
		bool created = true;

		if (store_users_sharing_with(w->env, "alice", collect_owner, &n) != STORE_OK ||
		    strcmp(n.text, "Carol;") != 0 ||
		    passdb_store_created(w->env, "bob", &created) != PASSDB_OK || created ||
		    passdb_store_created(w->env, "ghost", &created) != PASSDB_NO_USER)
			w->failures++;
	}
	return NULL;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* The env keeps idle connections between calls: each call must still see
 * what another process (here another env) committed since, and the kept
 * connections stay few however many calls are made. */
static void test_env_connections(const char *dir, struct store_env *env, struct passdb *db)
{
	struct store_env *other = NULL;
	char err[256];
	bool created = true;
	struct names n = { .len = 0 };

	CHECK_INT(store_env_open(NULL, dir, &other, err, sizeof(err)), STORE_OK);
	if (other == NULL)
		return;
	CHECK_INT(passdb_user_add(db, "bob", "b"), PASSDB_OK);
	CHECK_INT(passdb_store_created(env, "bob", &created), PASSDB_OK);
	CHECK(!created);
	CHECK_INT(passdb_store_set_created(other, "bob"), PASSDB_OK);
	CHECK_INT(passdb_store_created(env, "bob", &created), PASSDB_OK);
	CHECK(created);   /* no snapshot kept from the call before */
	CHECK_INT(store_users_sharing_with(env, "alice", collect_owner, &n), STORE_OK);
	CHECK_STR(n.text, "");
	CHECK_INT(store_users_share_set(other, "Carol", "alice", true), STORE_OK);
	CHECK_INT(store_users_share_set(other, "alice", "alice", true), STORE_OK);
	n.len = 0;
	CHECK_INT(store_users_sharing_with(env, "alice", collect_owner, &n), STORE_OK);
	CHECK_STR(n.text, "Carol;");   /* never the user's own name */
	CHECK_INT(passdb_user_delete(db, "bob"), PASSDB_OK);
	CHECK_INT(passdb_user_add(db, "bob", "b"), PASSDB_OK);

	int before = open_fds();
	pthread_t th[6];
	struct env_worker w[6];

	for (int i = 0; i < 6; i++) {
		w[i] = (struct env_worker){ .env = env };
		pthread_create(&th[i], NULL, env_worker_run, &w[i]);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(w[i].failures, 0);
	}
	/* At most 4 kept connections (users.db and its WAL each) beyond what
	 * the first calls had opened. */
	CHECK(open_fds() - before <= 8);
	store_env_free(&other);
}

int main(void)
{
	char dir[] = "/tmp/petrel-test-passdb-XXXXXX";
	char path[4096], err[256];
	struct store_env *env = NULL, *nowhere = NULL;
	struct passdb *db = NULL;
	struct stat st;

	log_set_level(LOG_ERROR);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	CHECK_INT(store_env_open(NULL, dir, &env, err, sizeof(err)), STORE_OK);
	CHECK_INT(passdb_open(env, &db, err, sizeof(err)), 0);
	if (db == NULL) {
		printf("open: %s\n", err);
		unit_remove_dir(dir);
		return unit_finish("passdb");
	}
	snprintf(path, sizeof(path), "%s/users.db", dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	/* Names: passdb_valid_username() is the only gate. */
	CHECK(passdb_valid_username("alice"));
	CHECK(passdb_valid_username("a.b-c_d+e@example.org"));
	CHECK(passdb_valid_username("A9"));
	CHECK(!passdb_valid_username(""));
	CHECK(!passdb_valid_username("a'b"));
	CHECK(!passdb_valid_username("../x"));
	CHECK(!passdb_valid_username("a/b"));
	CHECK(!passdb_valid_username(".x"));
	CHECK(!passdb_valid_username("-x"));
	CHECK(!passdb_valid_username("a b"));
	CHECK(!passdb_valid_username("a\"b"));
	CHECK(!passdb_valid_username("x'); DROP TABLE users;--"));
	CHECK(!passdb_valid_username("caf\xc3\xa9"));
	char name64[65], name65[66];

	memset(name64, 'n', 64);
	name64[64] = '\0';
	memset(name65, 'n', 65);
	name65[65] = '\0';
	CHECK(passdb_valid_username(name64));
	CHECK(!passdb_valid_username(name65));
	CHECK_INT(passdb_user_add(db, "a'b", "pw"), PASSDB_BAD_NAME);
	CHECK_INT(passdb_user_add(db, name65, "pw"), PASSDB_BAD_NAME);
	CHECK_INT(passdb_user_delete(db, "../x"), PASSDB_BAD_NAME);

	/* Passwords */
	char long_pw[PASSDB_PASSWORD_MAX + 2];

	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[PASSDB_PASSWORD_MAX + 1] = '\0';
	CHECK_INT(passdb_user_add(db, "alice", ""), PASSDB_BAD_INPUT);
	CHECK_INT(passdb_user_add(db, "alice", "a\nb"), PASSDB_BAD_INPUT);
	CHECK_INT(passdb_user_add(db, "alice", "a\rb"), PASSDB_BAD_INPUT);
	CHECK_INT(passdb_user_add(db, "alice", long_pw), PASSDB_BAD_INPUT);
	long_pw[PASSDB_PASSWORD_MAX] = '\0';
	CHECK_INT(passdb_user_add(db, name64, long_pw), PASSDB_OK);
	CHECK_INT(passdb_verify_plain(db, name64, long_pw), PASSDB_OK);
	long_pw[0] = 'q';   /* long passwords are pre-hashed: all bytes count */
	CHECK_INT(passdb_verify_plain(db, name64, long_pw), PASSDB_BAD_PASSWORD);
	long_pw[0] = 'p';
	long_pw[PASSDB_PASSWORD_MAX - 1] = 'q';
	CHECK_INT(passdb_verify_plain(db, name64, long_pw), PASSDB_BAD_PASSWORD);

	/* add / verify */
	CHECK_INT(passdb_user_add(db, "alice", "correct horse"), PASSDB_OK);
	CHECK_INT(passdb_user_add(db, "alice", "other"), PASSDB_EXISTS);
	CHECK_INT(passdb_verify_plain(db, "alice", "correct horse"), PASSDB_OK);
	CHECK_INT(passdb_verify_plain(db, "alice", "correct horsE"), PASSDB_BAD_PASSWORD);
	CHECK_INT(passdb_verify_plain(db, "alice", "correct horse "), PASSDB_BAD_PASSWORD);
	CHECK_INT(passdb_verify_plain(db, "Alice", "correct horse"), PASSDB_NO_USER);
	CHECK_INT(passdb_verify_plain(db, "nobody", "correct horse"), PASSDB_NO_USER);
	CHECK_INT(passdb_verify_plain(db, "a'b", "x"), PASSDB_NO_USER);
	CHECK_INT(passdb_verify_plain(db, "alice", ""), PASSDB_BAD_INPUT);

	/* SCRAM keys */
	struct scram_creds c, c2;

	CHECK_INT(passdb_scram_lookup(db, "alice", &c), PASSDB_OK);
	CHECK_INT(c.salt_len, 16);
	CHECK_INT(c.iterations, 10000);
	CHECK(scram_keys_match("correct horse", &c));
	CHECK_INT(passdb_scram_lookup(db, "ghost", &c), PASSDB_NO_USER);
	CHECK_INT(c.salt_len, 16);
	CHECK_INT(c.iterations, 10000);
	CHECK_INT(passdb_scram_lookup(db, "ghost", &c2), PASSDB_NO_USER);
	CHECK(memcmp(c.salt, c2.salt, 16) == 0);   /* same fake salt each time */
	CHECK_INT(passdb_scram_lookup(db, "ghost2", &c2), PASSDB_NO_USER);
	CHECK(memcmp(c.salt, c2.salt, 16) != 0);
	CHECK_INT(passdb_scram_lookup(db, "bad name", &c2), PASSDB_NO_USER);

	/* passwd */
	CHECK_INT(passdb_user_set_password(db, "alice", "battery staple"), PASSDB_OK);
	CHECK_INT(passdb_verify_plain(db, "alice", "correct horse"), PASSDB_BAD_PASSWORD);
	CHECK_INT(passdb_verify_plain(db, "alice", "battery staple"), PASSDB_OK);
	CHECK_INT(passdb_scram_lookup(db, "alice", &c2), PASSDB_OK);
	CHECK(scram_keys_match("battery staple", &c2));
	CHECK_INT(passdb_user_set_password(db, "nobody", "x"), PASSDB_NO_USER);
	CHECK_INT(passdb_user_set_password(db, "alice", ""), PASSDB_BAD_INPUT);

	/* list order (bytewise) and delete */
	CHECK_INT(passdb_user_add(db, "bob", "b"), PASSDB_OK);
	CHECK_INT(passdb_user_add(db, "Carol", "c"), PASSDB_OK);
	CHECK_INT(passdb_user_delete(db, name64), PASSDB_OK);
	struct names n = { .len = 0 };

	CHECK_INT(passdb_user_list(db, collect, &n), PASSDB_OK);
	CHECK_STR(n.text, "Carol;alice;bob;");
	CHECK_INT(passdb_user_delete(db, "bob"), PASSDB_OK);
	CHECK_INT(passdb_user_delete(db, "bob"), PASSDB_NO_USER);
	CHECK_INT(passdb_verify_plain(db, "bob", "b"), PASSDB_NO_USER);
	n.len = 0;
	n.text[0] = '\0';
	CHECK_INT(passdb_user_list(db, collect, &n), PASSDB_OK);
	CHECK_STR(n.text, "Carol;alice;");
	test_env_connections(dir, env, db);

	pthread_t th[4];
	struct worker w[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .db = db, .id = i };
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(w[i].failures, 0);
	}

	/* Reopen: data and the fake-salt secret persist. */
	passdb_close(&db);
	CHECK(db == NULL);
	CHECK_INT(passdb_open(env, &db, err, sizeof(err)), 0);
	if (db != NULL) {
		CHECK_INT(passdb_verify_plain(db, "alice", "battery staple"), PASSDB_OK);
		CHECK_INT(passdb_scram_lookup(db, "ghost", &c2), PASSDB_NO_USER);
		CHECK(memcmp(c.salt, c2.salt, 16) == 0);
		passdb_close(&db);
	}
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	snprintf(path, sizeof(path), "%s/users.db-wal", dir);
	CHECK(stat(path, &st) != 0 || (st.st_mode & 0777) == 0600);

	/* A directory that does not exist: an error line, no crash. */
	CHECK_INT(store_env_open(NULL, "/nonexistent/petrel", &nowhere, err, sizeof(err)), STORE_OK);
	CHECK_INT(passdb_open(nowhere, &db, err, sizeof(err)), -1);
	CHECK(db == NULL && strstr(err, "users.db") != NULL);
	store_env_free(&nowhere);
	store_env_free(&env);

	unit_remove_dir(dir);
	return unit_finish("passdb");
}
