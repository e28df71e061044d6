/* Unit tests for sequence sets: strict RFC 9051 §9 sequence-set syntax,
 * resolution of '*' with sorting and merging, and lookup. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "imap/seqset.h"
#include "unit.h"

static struct arena *arena;

/* Ranges as "lo:hi,lo:hi", "$" for a dollar set; before resolution
 * (stars true) an end that was '*' shows as '*'. */
static const char *show_set(const struct seqset *set, bool stars)
{
	static char s[1024];
	size_t len = 0;

	s[0] = '\0';
	if (set->dollar)
		return "$";
	for (unsigned int i = 0; i < set->count && len < sizeof(s) - 32; i++) {
		const struct seq_range *r = &set->ranges[i];
		char lo[16], hi[16];

		snprintf(lo, sizeof(lo), "%u", (unsigned int)r->lo);
		snprintf(hi, sizeof(hi), "%u", (unsigned int)r->hi);
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%s%s:%s", i > 0 ? "," : "",
					stars && (r->star & SEQ_LO_STAR) ? "*" : lo,
					stars && (r->star & SEQ_HI_STAR) ? "*" : hi);
	}
	return s;
}

static const char *show(const struct seqset *set)
{
	return show_set(set, true);
}

static void check_parse(const char *in, const char *want)
{
	struct seqset set;

	CHECK_INT(seqset_parse(in, strlen(in), 100, arena, &set), SEQSET_OK);
	CHECK_STR(show(&set), want);
}

static void check_bad(const char *in, size_t len)
{
	struct seqset set;

	if (seqset_parse(in, len, 100, arena, &set) != SEQSET_BAD)
		printf("not BAD: \"%.*s\"\n", (int)len, in);
	CHECK_INT(seqset_parse(in, len, 100, arena, &set), SEQSET_BAD);
}

static void check_resolve(const char *in, uint32_t max, const char *want)
{
	struct seqset set;

	CHECK_INT(seqset_parse(in, strlen(in), 100, arena, &set), SEQSET_OK);
	seqset_resolve(&set, max);
	if (strcmp(show_set(&set, false), want) != 0)
		printf("resolve \"%s\" max %u\n", in, (unsigned int)max);
	CHECK_STR(show_set(&set, false), want);
}

static void test_parse(void)
{
	check_parse("1", "1:1");
	check_parse("1,3:5,7:*", "1:1,3:5,7:*");
	check_parse("*", "*:*");
	check_parse("*:4", "*:4");
	check_parse("4:2", "4:2");           /* order is kept until resolve */
	check_parse("2,2,1", "2:2,2:2,1:1");
	/* RFC 9051 §9: 4294967295 is an nz-number, not '*' */
	check_parse("4294967294:4294967295", "4294967294:4294967295");
	check_parse("4294967295:*", "4294967295:*");
	check_parse("$", "$");

	struct seqset set;
	CHECK_INT(seqset_parse("$", 1, 100, arena, &set), SEQSET_OK);
	CHECK(set.dollar);
	CHECK_INT(set.count, 0);
	/* only len bytes are read */
	CHECK_INT(seqset_parse("1,2xyz", 3, 100, arena, &set), SEQSET_OK);
	CHECK_STR(show(&set), "1:1,2:2");
	CHECK_INT(seqset_parse("12:3", 2, 100, arena, &set), SEQSET_OK);
	CHECK_STR(show(&set), "12:12");

	/* RFC 9051 §9: nz-number has no leading zero and is < 2^32 */
	static const char *bad[] = {
		"0", "01", "1:0", "0:1", "1:01", "4294967296", "99999999999999999999",
		"1,", ",1", "1,,2", "1:", ":1", "1:2:3", "a", "1 ", " 1", "$1", "$,1",
		"1,$", "$$", "-1", "1.5", "**", "1:**", "*1", "1*", "+1", "1;2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(bad[i], strlen(bad[i]));
	check_bad("", 0);
	check_bad("1\0", 2);
	check_bad("\0", 1);
	CHECK(!set.dollar);

	/* max_ranges counts comma-separated parts */
	CHECK_INT(seqset_parse("1,2,3", 5, 2, arena, &set), SEQSET_TOO_BIG);
	CHECK_INT(seqset_parse("1,2,3", 5, 3, arena, &set), SEQSET_OK);
	CHECK_INT(set.count, 3);
	CHECK_INT(seqset_parse("1:5", 3, 1, arena, &set), SEQSET_OK);
	CHECK_INT(seqset_parse("$", 1, 0, arena, &set), SEQSET_OK);
	CHECK_INT(seqset_parse("1", 1, 0, arena, &set), SEQSET_TOO_BIG);
}

static void test_resolve(void)
{
	check_resolve("4:2", 10, "2:4");
	check_resolve("1,3:5,7:*", 6, "1:1,3:7");        /* 7:* -> 6:7, adjacent 3:5 */
	check_resolve("1,3:5,7:*", 100, "1:1,3:5,7:100");
	check_resolve("5,1,3,2,4", 9, "1:5");
	check_resolve("2,2,2", 9, "2:2");
	check_resolve("10:20,15:25,30,31,40:*", 35, "10:25,30:31,35:40");
	check_resolve("*", 7, "7:7");
	check_resolve("*:3", 7, "3:7");
	check_resolve("20:30", 7, "20:30");              /* above max: callers clamp */
	/* RFC 9051 §6.4.9: "559:*" includes the last UID even above it */
	check_resolve("559:*", 500, "500:559");
	/* empty mailbox: '*' is 0 and the range is kept */
	check_resolve("*", 0, "0:0");
	check_resolve("3:*", 0, "0:3");
	/* hi + 1 must not wrap at the top of the range */
	check_resolve("1:4294967294,4294967295", UINT32_MAX, "1:4294967295");
	check_resolve("4294967295,4294967295", UINT32_MAX, "4294967295:4294967295");
	check_resolve("4294967295,1", 5, "1:1,4294967295:4294967295");
	check_resolve("7:4294967295", 6, "7:4294967295");
	check_resolve("4294967295:*", 6, "6:4294967295");
	check_resolve("1:3,4294967290:*", 4294967294U, "1:3,4294967290:4294967294");

	struct seqset set;
	CHECK_INT(seqset_parse("$", 1, 10, arena, &set), SEQSET_OK);
	seqset_resolve(&set, 10);
	CHECK(set.dollar);
	CHECK_INT(set.count, 0);
	CHECK(!seqset_contains(&set, 1));
}

static void test_contains(void)
{
	struct seqset set;

	CHECK_INT(seqset_parse("1,3:5,7:*", 9, 100, arena, &set), SEQSET_OK);
	seqset_resolve(&set, 6);
	CHECK(!seqset_contains(&set, 0));
	CHECK(seqset_contains(&set, 1));
	CHECK(!seqset_contains(&set, 2));
	for (uint32_t n = 3; n <= 7; n++)
		CHECK(seqset_contains(&set, n));
	CHECK(!seqset_contains(&set, 8));
	CHECK(!seqset_contains(&set, UINT32_MAX));

	/* 100 single ranges: every odd number 1..199 */
	char buf[1024];
	size_t len = 0;
	for (int i = 199; i >= 1; i -= 2)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", len ? "," : "", i);
	CHECK_INT(seqset_parse(buf, len, 100, arena, &set), SEQSET_OK);
	CHECK_INT(seqset_parse(buf, len, 99, arena, &set), SEQSET_TOO_BIG);
	CHECK_INT(seqset_parse(buf, len, 100, arena, &set), SEQSET_OK);
	seqset_resolve(&set, 1000);
	CHECK_INT(set.count, 100);
	unsigned int wrong = 0;
	for (uint32_t n = 0; n <= 201; n++) {
		if (seqset_contains(&set, n) != (n % 2 == 1 && n <= 199))
			wrong++;
	}
	CHECK_INT(wrong, 0);

	CHECK_INT(seqset_parse("*", 1, 10, arena, &set), SEQSET_OK);
	seqset_resolve(&set, 0);
	CHECK(seqset_contains(&set, 0));      /* documented: kept as 0:0 */
	CHECK(!seqset_contains(&set, 1));
}

int main(void)
{
	arena = arena_create(4096);
	test_parse();
	test_resolve();
	test_contains();
	arena_destroy(&arena);
	return unit_finish("seqset");
}
