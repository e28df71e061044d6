/* SORT and UID SORT (RFC 5256 §3, DISPLAYFROM / DISPLAYTO of RFC 5957,
 * ESORT's RETURN options of RFC 5267 §3.2): the arguments parsed into sort
 * criteria plus a search program (search-query.h), and a stable sort of what
 * the caller knows of each matching message. No I/O, no store access.
 *
 * String keys are compared bytewise: the caller passes them already folded
 * with i;unicode-casemap (RFC 5256 §2, RFC 5051), so bytewise order is the
 * comparator's order. An absent field is "" and sorts first. */
#ifndef PETREL_IMAP_SORT_QUERY_H
#define PETREL_IMAP_SORT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap/parser.h"
#include "imap/search-query.h"

struct arena;

/* Criteria in one SORT: nine keys, each at most once usefully; a few
 * repeats are tolerated, more is abuse. */
#define SORT_CRITERIA_MAX 16

enum sort_key {
	SORT_ARRIVAL,       /* INTERNALDATE */
	SORT_CC,            /* addr-mailbox of the first Cc address */
	SORT_DATE,          /* sent date, RFC 5256 §2.2 */
	SORT_FROM,          /* addr-mailbox of the first From address */
	SORT_SIZE,          /* RFC822.SIZE */
	SORT_SUBJECT,       /* base subject, RFC 5256 §2.1 (mail/base-subject.h) */
	SORT_TO,            /* addr-mailbox of the first To address */
	SORT_DISPLAYFROM,   /* RFC 5957 §3: display name of the first From */
	SORT_DISPLAYTO,     /* RFC 5957 §3: display name of the first To */
};

struct sort_criterion {
	enum sort_key key;
	bool reverse;       /* RFC 5256 §3: REVERSE applies to this key only */
};

struct sort_query {
	struct sort_criterion criteria[SORT_CRITERIA_MAX];
	unsigned int count;
	/* RETURN options (q->return_given: answer with ESEARCH) and the
	 * program to evaluate; see search-query.h. */
	struct search_query *search;
};

/* SORT / UID SORT arguments after the command name:
 *   [RETURN (opts)] (criteria) charset search-key *(SP search-key)
 * Results as search_query_parse(): BAD with a short fixed *error_r, or
 * BADCHARSET. Everything is copied into arena. */
enum search_parse_result sort_query_parse(const struct imap_arg *args, unsigned int count,
					  struct arena *arena, struct sort_query **query_r,
					  const char **error_r);

/* What the caller knows of one matching message. Strings are NUL-terminated,
 * folded with i;unicode-casemap, "" (or NULL) when absent. */
struct sort_message {
	uint32_t number;         /* seq or UID as answered; ties end in this
	                            order, which is the mailbox order either way */
	time_t arrival;          /* INTERNALDATE, UTC */
	time_t sent;             /* RFC 5256 §2.2: the Date: header's time in
	                            UTC, or INTERNALDATE when absent or invalid */
	uint64_t size;
	const char *subject;     /* base subject */
	const char *from, *to, *cc;   /* addr-mailbox of the first address */
	/* RFC 5957 §3: the first address's display name (RFC 2047-decoded),
	 * or when it has none, its addr-mailbox "@" addr-host. */
	const char *display_from, *display_to;
	uint64_t modseq;         /* not compared: carried for the response */
	uint32_t uid;            /* not compared: carried for SAVE */
};

/* Sorts msgs by q's criteria, then by number ascending (RFC 5256 §3: "the
 * order in which messages appear in the mailbox"). Stable merge sort:
 * O(n log n) comparisons, one temporary copy of the array, no recursion. */
void sort_messages(struct sort_message *msgs, uint32_t count, const struct sort_query *q);

/* The stable merge sort itself, shared with thread.c: cmp(a, b, ctx) < 0
 * when a sorts first. */
void sort_stable(void *base, size_t count, size_t size,
		 int (*cmp)(const void *a, const void *b, void *ctx), void *ctx);

#endif
