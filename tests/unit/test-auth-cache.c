/* The verified-password cache: hits only for the same user, password and
 * stored hash; expiry; forget; collisions replace; off when sized 0; and
 * through passdb: a password changed by another handle (another process)
 * is no longer accepted, the new one is, a wrong one never hits. */
#include <stdlib.h>
#include <unistd.h>

#include "auth/auth-cache.h"
#include "auth/passdb.h"
#include "store/store.h"
#include "unit.h"

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void cache_alone(void)
{
	struct auth_cache *c = auth_cache_create(64, 100);

	CHECK(c != NULL);
	auth_cache_set_clock_for_tests(c, fake_clock);
	fake_now = 1000;
	CHECK(!auth_cache_hit(c, "alice", "$y$hash1", "secret"));
	auth_cache_put(c, "alice", "$y$hash1", "secret");
	CHECK(auth_cache_hit(c, "alice", "$y$hash1", "secret"));
	CHECK(!auth_cache_hit(c, "alice", "$y$hash1", "secreT"));
	CHECK(!auth_cache_hit(c, "alice", "$y$hash1", "secret "));
	CHECK(!auth_cache_hit(c, "alice", "$y$hash1", ""));
	CHECK(!auth_cache_hit(c, "alice", "$y$hash2", "secret"));   /* password changed */
	CHECK(!auth_cache_hit(c, "alicE", "$y$hash1", "secret"));
	CHECK(!auth_cache_hit(c, "bob", "$y$hash1", "secret"));
	/* name NUL password: "ab"+"c" is not "a"+"bc" */
	auth_cache_put(c, "ab", "h", "c");
	CHECK(!auth_cache_hit(c, "a", "h", "bc"));
	CHECK(auth_cache_hit(c, "ab", "h", "c"));

	/* Expiry: good until ttl, gone at ttl.  The slot is a keyed hash with a
	 * random key, so "ab" above shares alice's slot one run in 64: put
	 * alice again so the expiry checks never depend on that draw. */
	auth_cache_put(c, "alice", "$y$hash1", "secret");
	fake_now = 1099;
	CHECK(auth_cache_hit(c, "alice", "$y$hash1", "secret"));
	fake_now = 1100;
	CHECK(!auth_cache_hit(c, "alice", "$y$hash1", "secret"));
	fake_now = 1000;
	CHECK(!auth_cache_hit(c, "alice", "$y$hash1", "secret"));   /* dropped, not hidden */

	auth_cache_put(c, "alice", "$y$hash1", "secret");
	auth_cache_forget(c, "alice");
	CHECK(!auth_cache_hit(c, "alice", "$y$hash1", "secret"));
	auth_cache_forget(c, "nobody-here");

	/* A second put replaces the first (new password). */
	auth_cache_put(c, "alice", "$y$hash1", "one");
	auth_cache_put(c, "alice", "$y$hash3", "two");
	CHECK(!auth_cache_hit(c, "alice", "$y$hash1", "one"));
	CHECK(auth_cache_hit(c, "alice", "$y$hash3", "two"));
	auth_cache_destroy(&c);
	CHECK(c == NULL);
	auth_cache_destroy(&c);

	/* One slot: every user collides; the last put wins, never a wrong hit. */
	c = auth_cache_create(1, 100);
	auth_cache_put(c, "u1", "h", "p1");
	auth_cache_put(c, "u2", "h", "p2");
	CHECK(!auth_cache_hit(c, "u1", "h", "p1"));
	CHECK(auth_cache_hit(c, "u2", "h", "p2"));
	CHECK(!auth_cache_hit(c, "u1", "h", "p2"));
	auth_cache_destroy(&c);

	/* Limits: names and passwords past passdb's bounds are never cached. */
	char big[PASSDB_PASSWORD_MAX + 2];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	c = auth_cache_create(8, 100);
	auth_cache_put(c, "alice", "h", big);
	CHECK(!auth_cache_hit(c, "alice", "h", big));
	auth_cache_destroy(&c);

	/* Off. */
	CHECK(auth_cache_create(0, 100) == NULL);
	CHECK(auth_cache_create(100, 0) == NULL);
	CHECK(!auth_cache_hit(NULL, "alice", "h", "p"));
	auth_cache_put(NULL, "alice", "h", "p");
	auth_cache_forget(NULL, "alice");
}

static void through_passdb(void)
{
	char dir[] = "/tmp/petrel-authcache-XXXXXX", err[256];
	struct passdb *server = NULL, *cli = NULL;
	struct store_env *env = NULL;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(store_env_open(NULL, dir, &env, err, sizeof(err)), STORE_OK);
	CHECK(passdb_open(env, &server, err, sizeof(err)) == 0);
	CHECK(passdb_open(env, &cli, err, sizeof(err)) == 0);
	passdb_set_cache(server, 128, 600);
	CHECK_INT(passdb_user_add(cli, "alice", "first-pass"), PASSDB_OK);
	CHECK_INT(passdb_verify_plain(server, "alice", "first-pass"), PASSDB_OK);   /* cached */
	CHECK_INT(passdb_verify_plain(server, "alice", "first-pass"), PASSDB_OK);   /* hit */
	CHECK_INT(passdb_verify_plain(server, "alice", "wrong"), PASSDB_BAD_PASSWORD);
	CHECK_INT(passdb_verify_plain(server, "nobody", "first-pass"), PASSDB_NO_USER);
	/* Another process changes the password: the cached one stops working. */
	CHECK_INT(passdb_user_set_password(cli, "alice", "second-pass"), PASSDB_OK);
	CHECK_INT(passdb_verify_plain(server, "alice", "first-pass"), PASSDB_BAD_PASSWORD);
	CHECK_INT(passdb_verify_plain(server, "alice", "second-pass"), PASSDB_OK);
	CHECK_INT(passdb_verify_plain(server, "alice", "second-pass"), PASSDB_OK);
	/* ... or deletes the user. */
	CHECK_INT(passdb_user_delete(cli, "alice"), PASSDB_OK);
	CHECK_INT(passdb_verify_plain(server, "alice", "second-pass"), PASSDB_NO_USER);
	/* Same user name again, same password: a new hash (new salt), verified in full. */
	CHECK_INT(passdb_user_add(cli, "alice", "second-pass"), PASSDB_OK);
	CHECK_INT(passdb_verify_plain(server, "alice", "second-pass"), PASSDB_OK);
	/* Turned off again. */
	passdb_set_cache(server, 0, 0);
	CHECK_INT(passdb_verify_plain(server, "alice", "second-pass"), PASSDB_OK);
	passdb_close(&server);
	passdb_close(&cli);
	store_env_free(&env);
	unit_remove_dir(dir);
}

int main(void)
{
	cache_alone();
	through_passdb();
	printf("unit auth-cache: %u passed, %u failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
