/* FETCH's data items (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 8970 PREVIEW,
 * RFC 8514 SAVEDATE, RFC 8474 EMAILID/THREADID, RFC 7162 MODSEQ) parsed
 * from the argument tree into a request, and the names they are answered
 * under. Pure parsing: no store, no session. */
#ifndef PETREL_IMAP_FETCH_ITEMS_H
#define PETREL_IMAP_FETCH_ITEMS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "imap/parser.h"

/* Items in one FETCH; more is abuse (a real client asks for a dozen). */
#define FETCH_ITEMS_MAX 64
/* Field names in one HEADER.FIELDS list. */
#define FETCH_HEADER_FIELDS_MAX 128

enum fetch_item_kind {
	FETCH_UID,
	FETCH_FLAGS,
	FETCH_INTERNALDATE,
	FETCH_RFC822_SIZE,
	FETCH_ENVELOPE,
	FETCH_BODY,                /* BODY without a section: structure, no extensions */
	FETCH_BODYSTRUCTURE,
	FETCH_MODSEQ,
	FETCH_SAVEDATE,
	FETCH_EMAILID,
	FETCH_THREADID,
	FETCH_PREVIEW,
	FETCH_SECTION,             /* BODY[...], BINARY[...], BINARY.SIZE[...], RFC822* */
};

enum fetch_section_kind { SECTION_BODY, SECTION_BINARY, SECTION_BINARY_SIZE };

enum fetch_section_spec {
	SPEC_NONE,                 /* BODY[] / BODY[1.2]: the whole part */
	SPEC_HEADER,
	SPEC_HEADER_FIELDS,
	SPEC_HEADER_FIELDS_NOT,
	SPEC_TEXT,
	SPEC_MIME,
};

struct fetch_section {
	enum fetch_section_kind kind;
	bool peek;                 /* .PEEK, RFC822.HEADER: \Seen not set */
	const char *part;          /* "1.2.3", "" for the whole message */
	enum fetch_section_spec spec;
	const char **fields;       /* HEADER.FIELDS[.NOT], upper-cased */
	unsigned int field_count;
	bool partial;
	uint64_t origin, count;    /* <origin.count> */
	/* What the response calls it, without <origin>: "BODY[1.MIME]",
	 * "BINARY[2]", "RFC822.TEXT", ... */
	const char *response_name;
};

struct fetch_item {
	enum fetch_item_kind kind;
	struct fetch_section section;   /* FETCH_SECTION */
};

struct fetch_request {
	struct fetch_item items[FETCH_ITEMS_MAX];
	unsigned int count;
	bool needs_summary;        /* ENVELOPE, BODY[STRUCTURE], sections, PREVIEW */
	bool needs_body;           /* a section of the message's bytes */
	bool sets_seen;            /* a non-peek body section */
	bool has_uid;
	bool has_flags;
	bool has_modseq;
	/* FETCH modifiers (RFC 7162 CHANGEDSINCE): not supported yet. */
};

/* Whether req asks only for what the message's own row holds (UID, FLAGS,
 * MODSEQ): the store is then asked for nothing more (STORE_READ_FLAGS_ONLY). */
bool fetch_request_flags_only(const struct fetch_request *req);

/* args: the items argument (a macro atom, one item, or a parenthesized
 * list). Strings are copied into arena. False with *error_r (fixed text)
 * on a syntax error. */
bool fetch_items_parse(const struct imap_arg *arg, struct arena *arena,
		       struct fetch_request *req, const char **error_r);

#endif
