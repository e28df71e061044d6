/* SEARCH programs (RFC 9051 §6.4.4, RFC 3501 §6.4.4 and the extensions
 * below): parsed from the command's argument tree into a tree of keys,
 * evaluated against what the caller knows of one message, and the SEARCH /
 * ESEARCH responses built from the result. Pure logic: it never touches the
 * store, the network or a full-text index (text keys are handed to the caller
 * to resolve and asked back through a callback), and nothing here recurses on
 * client input: parsing and evaluation walk the tree iteratively.
 *
 * Extensions: ESEARCH RETURN options (RFC 4731), SEARCHRES "$" and SAVE
 * (RFC 5182), CONDSTORE MODSEQ (RFC 7162 §3.1.5), WITHIN OLDER/YOUNGER
 * (RFC 5032), SAVEDATE (RFC 8514), OBJECTID EMAILID/THREADID (RFC 8474).
 * IMAP4rev1-only NEW, OLD and RECENT are accepted in every session.
 *
 * Use, per command:
 *   search_query_parse()          (BAD / NO [BADCHARSET] on failure)
 *   search_query_bind_keywords()  with the mailbox's keyword list
 *   resolve each q->text_keys[i] once into a set of messages (FTS)
 *   search_query_prepare()        once, with the largest seq and UID
 *   search_query_match()          per message
 *   search_query_format()         the untagged response
 *   search_query_save()           with SAVE, what "$" becomes */
#ifndef PETREL_IMAP_SEARCH_QUERY_H
#define PETREL_IMAP_SEARCH_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap/parser.h"
#include "imap/resp.h"

struct arena;
struct buf;

/* Nesting of parenthesised lists, NOT and OR together ("NOT NOT x" is two
 * levels): real clients stay far below; deeper is BAD, so any later walk of
 * the tree that recurses (SQL generation, say) has a known bound. */
#define SEARCH_DEPTH_MAX 100
/* Search keys in one program, counting each NOT, OR and list. Evaluation
 * costs keys x messages; 1,024 keys is already absurd for a person. */
#define SEARCH_KEYS_MAX 1024
/* Text keys (BCC BODY CC FROM HEADER SUBJECT TEXT TO): each one is a
 * full-text lookup for the caller. */
#define SEARCH_TEXT_KEYS_MAX 64
/* Bytes of one search string (text, keyword, object id). */
#define SEARCH_STRING_MAX 4096
/* Bytes of a HEADER field name; real names are a few dozen. */
#define SEARCH_HEADER_NAME_MAX 256
/* Comma-separated parts of one sequence set (as seq-uids.h). */
#define SEARCH_SEQSET_RANGES_MAX 10000

enum search_parse_result {
	SEARCH_PARSE_OK,
	SEARCH_PARSE_BAD,          /* tag BAD <error> */
	SEARCH_PARSE_BADCHARSET,   /* tag NO [BADCHARSET (UTF-8 US-ASCII)] ... */
};

/* RETURN options (RFC 4731 §3.1, RFC 5182 §2). */
enum search_return {
	SEARCH_RETURN_MIN = 1 << 0,
	SEARCH_RETURN_MAX = 1 << 1,
	SEARCH_RETURN_ALL = 1 << 2,
	SEARCH_RETURN_COUNT = 1 << 3,
	SEARCH_RETURN_SAVE = 1 << 4,
};

enum search_text_kind {
	SEARCH_TEXT_BCC,
	SEARCH_TEXT_BODY,
	SEARCH_TEXT_CC,
	SEARCH_TEXT_FROM,
	SEARCH_TEXT_HEADER,
	SEARCH_TEXT_SUBJECT,
	SEARCH_TEXT_TEXT,
	SEARCH_TEXT_TO,
};

/* One text key for the caller to resolve (RFC 9051 §6.4.4: a message matches
 * when the string is a substring of the field, case-insensitively; an empty
 * HEADER string matches every message that has the field at all). */
struct search_text_key {
	enum search_text_kind kind;
	const char *field;      /* HEADER: the field name (printable ASCII, no ':');
	                           NULL for the other kinds */
	const char *value;      /* valid UTF-8 (US-ASCII is a subset), NUL-terminated,
	                           may be "" */
	size_t value_len;
};

/* What search_query_match() reads of a message, so the caller fetches only
 * that (q->needs). seq and uid are always read. */
enum search_need {
	SEARCH_NEED_FLAGS = 1 << 0,
	SEARCH_NEED_KEYWORDS = 1 << 1,
	SEARCH_NEED_RECENT = 1 << 2,
	SEARCH_NEED_INTERNALDATE = 1 << 3,   /* internaldate and its zone */
	SEARCH_NEED_SAVEDATE = 1 << 4,       /* also INTERNALDATE, the fallback */
	SEARCH_NEED_SIZE = 1 << 5,
	SEARCH_NEED_SENTDATE = 1 << 6,
	SEARCH_NEED_MODSEQ = 1 << 7,
	SEARCH_NEED_EMAILID = 1 << 8,
	SEARCH_NEED_THREADID = 1 << 9,
	SEARCH_NEED_TEXT = 1 << 10,          /* the text_match callback */
};

/* Days since 1970-01-01 (negative before), for the date keys. */
#define SEARCH_DAY_NONE INT64_MIN

/* What is known of one message. Fields the query does not need (q->needs)
 * may be left zero. */
struct search_message {
	uint32_t seq;
	uint32_t uid;
	uint32_t flags;             /* enum store_flag bits (store/store.h) */
	uint64_t keywords;          /* bits into the keyword list given to
	                               search_query_bind_keywords() */
	bool recent;                /* \Recent in this session (IMAP4rev1) */
	uint64_t modseq;
	time_t internaldate;        /* UTC */
	int internaldate_zone;      /* its zone, minutes east of UTC */
	bool has_savedate;          /* RFC 8514: without one, the SAVED* keys
	                               use INTERNALDATE */
	time_t savedate;            /* UTC */
	int savedate_zone;          /* minutes */
	uint64_t size;              /* RFC822.SIZE */
	int64_t sent_day;           /* the Date: header's date in its own zone
	                               (search_day()), or SEARCH_DAY_NONE when
	                               absent or unparsable: SENT* then use
	                               1-Jan-1970, as Dovecot does */
	const char *emailid;        /* RFC 8474 object ids; NULL never matches */
	const char *threadid;
};

struct search_node;

struct search_query {
	unsigned int return_opts;   /* enum search_return bits; "RETURN ()" is ALL */
	bool return_given;          /* RETURN (...) was given: answer with ESEARCH */
	bool uses_modseq;           /* RFC 7162 §3.1.5: the answer carries MODSEQ */
	bool uses_saved;            /* "$" appears: pass the saved result (RFC 5182) */
	unsigned int needs;         /* enum search_need bits */

	const struct search_text_key *text_keys;
	unsigned int text_key_count;
	const char *const *keywords;  /* KEYWORD / UNKEYWORD names as given */
	unsigned int keyword_count;

	/* private */
	struct arena *arena;
	struct search_node *root;
	uint64_t *keyword_masks;      /* per keywords[i]; 0 = unknown */
	bool prepared;
	bool utf8;                    /* charset: UTF-8 (else US-ASCII) */
};

/* SEARCH / UID SEARCH arguments after the command name:
 *   [RETURN (opts)] [CHARSET name] search-key *(SP search-key)
 * Everything the query keeps is copied into arena (the argument tree may
 * go away once the command waits). Without CHARSET the strings must be UTF-8
 * (the RFC 9051 default). On BAD, *error_r is a short fixed text for the
 * reply; BADCHARSET means a charset other than UTF-8 / US-ASCII. */
enum search_parse_result search_query_parse(const struct imap_arg *args, unsigned int count,
					    struct arena *arena, struct search_query **query_r,
					    const char **error_r);

/* The pieces, for SORT and THREAD (sort-query.h, thread.h). */
struct search_query *search_query_new(struct arena *arena);
/* If args[*pos] is the atom RETURN, parses it and its option list (RFC 4731
 * §3.1; RFC 5267 §3.2 for ESORT, same options) and advances *pos by two. */
enum search_parse_result search_query_parse_return(struct search_query *q,
						   const struct imap_arg *args, unsigned int count,
						   unsigned int *pos, const char **error_r);
/* args = [CHARSET name] keys... when charset_keyword (SEARCH), or
 * charset keys... with a mandatory charset (RFC 5256 SORT and THREAD). */
enum search_parse_result search_query_parse_program(struct search_query *q,
						    const struct imap_arg *args,
						    unsigned int count, bool charset_keyword,
						    const char **error_r);

/* Binds KEYWORD / UNKEYWORD names to the mailbox's keyword list (keywords[i]
 * is bit i of search_message.keywords; at most 64 count), ASCII
 * case-insensitively. A name not in the list never matches KEYWORD and always
 * matches UNKEYWORD. May be called again with a new list. */
void search_query_bind_keywords(struct search_query *q, const char *const *keywords,
				unsigned int count);

/* The evaluation's context. */
struct search_context {
	uint32_t max_seq;            /* messages in the view: '*' of sequence sets */
	uint32_t max_uid;            /* largest UID in the view: '*' of UID sets */
	const uint32_t *saved_uids;  /* "$": the saved result, ascending UIDs */
	uint32_t saved_count;
	time_t now;                  /* OLDER / YOUNGER */
	bool savedate_supported;     /* SAVEDATESUPPORTED matches all, else none */
	/* Text key text_key_index (into q->text_keys) matches m. Required when
	 * q->needs has SEARCH_NEED_TEXT. */
	bool (*text_match)(void *ctx, unsigned int text_key_index,
			   const struct search_message *m);
	void *text_ctx;
};

/* Resolves '*' in every set against max_seq / max_uid. Call once, before
 * the first search_query_match() (the sets are rewritten in place). */
void search_query_prepare(struct search_query *q, const struct search_context *ctx);

/* Whether m matches. Iterative, short-circuits AND / OR (so text_match is
 * asked only when the answer still depends on it). */
bool search_query_match(const struct search_query *q, const struct search_message *m,
			const struct search_context *ctx);

/* Fast path (after prepare): every match has seq in [seq_lo, seq_hi] and
 * UID in [uid_lo, uid_hi], from sequence sets, UID sets and "$" that every
 * match must satisfy (top-level keys and parenthesised lists of them); empty
 * is true when nothing can match. Unconstrained: 1..UINT32_MAX. */
struct search_bounds {
	uint32_t seq_lo, seq_hi;
	uint32_t uid_lo, uid_hi;
	bool empty;
};
void search_query_bounds(const struct search_query *q, const struct search_context *ctx,
			 struct search_bounds *bounds_r);

/* The day number of t in the zone zone_min (minutes east of UTC): what the
 * client reads in INTERNALDATE or a Date: header, time disregarded. */
int64_t search_day(time_t t, int zone_min);

/* The untagged response for the matching messages. numbers are in result
 * order (ascending for SEARCH, sort order for SORT); modseqs parallel to them
 * (only read when q->uses_modseq; may be NULL otherwise). Writes one line
 * without CRLF and returns true, or returns false when nothing is sent
 * (ESEARCH with RETURN (SAVE) alone, RFC 5182 §2.4).
 *   plain:   "* SEARCH 2 3 9" [" (MODSEQ n)"]      (RFC 7162 §3.1.5: MODSEQ
 *            only with matches; "* SORT ..." for SORT)
 *   ESEARCH: "* ESEARCH (TAG "a1") [UID] [MIN n] [MAX n] [COUNT n] [ALL set]
 *            [MODSEQ n]" (RFC 4731 §3.1: MIN, MAX and ALL are left out when
 *            nothing matched; for ESORT, RFC 5267 §3.2, MIN and MAX are the
 *            first and last in sort order and ALL keeps the sort order). */
struct search_format {
	const char *tag;        /* the command's tag, for (TAG "...") */
	bool uid;               /* UID SEARCH / UID SORT */
	bool sort;              /* the SORT command: "* SORT" when not ESEARCH */
	bool imap4rev2;         /* RFC 9051 §6.4.4: SEARCH always answers ESEARCH;
	                           SORT still answers "* SORT" */
};
bool search_query_format(const struct search_query *q, const struct search_format *f,
			 const uint32_t *numbers, const uint64_t *modseqs, uint32_t count,
			 struct resp_out *out);

/* RFC 5182 §2.4: the UIDs SAVE keeps, given the matching UIDs in result order
 * (ascending for SEARCH, sort order for SORT): with MIN and/or MAX and
 * neither ALL nor COUNT, only the first and/or last message; otherwise all
 * of them. Writes them ascending into saved_r (room for count) and returns
 * how many. With SAVE (q->return_opts) the caller replaces "$" by them, by
 * an empty set when there are none; without SAVE this returns 0 and "$"
 * stays as it was. */
uint32_t search_query_save(const struct search_query *q, const uint32_t *uids, uint32_t count,
			   uint32_t *saved_r);

#endif
