/* THREAD and UID THREAD (RFC 5256 §3): the arguments, and the two
 * algorithms, ORDEREDSUBJECT and REFERENCES, over what the caller knows of
 * each matching message, written as the response's thread lists. No I/O, no
 * store access, no recursion: a References chain may be thousands of ids
 * long and loops in it are refused link by link. */
#ifndef PETREL_IMAP_THREAD_H
#define PETREL_IMAP_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap/parser.h"
#include "imap/search-query.h"

struct arena;
struct buf;

/* Ids taken from one message's References: the last ones (the nearest
 * ancestors) when there are more. A real chain is a few dozen; a mailing
 * list's can reach hundreds. */
#define THREAD_REFS_MAX 1000
/* Ancestors climbed to refuse a link that would close a loop (RFC 5256 §3,
 * REFERENCES step 1A). A chain deeper than this is treated as a loop: the
 * link is not made, so a hostile mailbox costs at most this per link. */
#define THREAD_LOOP_WALK_MAX 10000

enum thread_algorithm {
	THREAD_ORDEREDSUBJECT,
	THREAD_REFERENCES,
};

struct thread_query {
	enum thread_algorithm algorithm;
	struct search_query *search;
};

/* THREAD / UID THREAD arguments after the command name:
 *   thread-alg charset search-key *(SP search-key)
 * An unknown algorithm is BAD. Results as search_query_parse(). */
enum search_parse_result thread_query_parse(const struct imap_arg *args, unsigned int count,
					    struct arena *arena, struct thread_query **query_r,
					    const char **error_r);

/* One matching message. The array passed to thread_format() must be in
 * mailbox (sequence) order: its order breaks ties of equal sent dates and
 * decides which of two messages with the same Message-ID keeps it. */
struct thread_message {
	uint32_t number;            /* seq or UID as answered */
	time_t sent_date;           /* RFC 5256 §2.2: Date: in UTC, or INTERNALDATE */
	const char *base_subject;   /* base_subject() folded with i;unicode-casemap
	                               (compared bytewise); NULL = "" */
	bool subject_is_reply;      /* from base_subject() */
	/* Raw header values (unfolding not needed), NULL when absent. */
	const char *message_id;
	const char *references;
	const char *in_reply_to;
};

/* Appends the thread lists, "(1 2)(3 (4)(5))" (RFC 5256 §4 thread-list
 * repeated; nothing for no messages), to out: the caller writes "* THREAD"
 * and, when out is not empty, a space before them. Returns false when out
 * overflowed. Memory is proportional to the messages and the distinct ids
 * they name (at most THREAD_REFS_MAX per message). */
bool thread_format(enum thread_algorithm algorithm, const struct thread_message *msgs,
		   uint32_t count, struct buf *out);

#endif
