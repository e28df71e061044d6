/* A store's zstd dictionaries, for every backend: trained on the store's
 * own first messages (mail repeats itself: Received chains, list headers,
 * DKIM, quoted replies; BODYSTRUCTURE syntax and the correspondents'
 * addresses), they make its small bodies and summaries a third smaller than
 * zstd can alone. The backend keeps a dictionary's bytes (SQLite: the dicts
 * table) and hands them out as struct store_dict; compressed data names its
 * dictionary by the zstd id, so a reader always knows which one it needs,
 * and a dictionary is never changed or removed while data names it.
 *
 * A store_dict is immutable and reference counted (atomically): a body
 * being read may hold one after its store handle has closed. Its digested
 * forms are made when first needed, under its own lock. */
#ifndef PETREL_STORE_STORE_DICT_H
#define PETREL_STORE_STORE_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"

/* What a dictionary was trained on, and is used for. */
enum store_dict_kind {
	STORE_DICT_BODY = 1,       /* message bodies (store/body-codec.h) */
	STORE_DICT_SUMMARY = 2,    /* summaries (mail/mail-summary.h) */
};

/* Messages a store holds before its dictionaries are trained, and how
 * many of its first messages they learn from. */
#define STORE_DICT_TRAIN_MESSAGES 1000
/* The part of each body a body dictionary learns from: the header and
 * the start of the text, where mail repeats itself. */
#define STORE_DICT_BODY_SAMPLE 16384
/* Dictionary sizes, measured on jwz's corpus (trained on 1,000 messages,
 * tested on 1,203 others; zstd level 1 for bodies): bodies 49.7 % of
 * their size without a dictionary, 35.5 % with 16 KiB, 33.9 % with 32 KiB,
 * 33.5 % with 64 KiB; summaries 54 % without, 39 % with 16 KiB. Each open
 * store holds its dictionaries digested: ~60 KiB to read a 32 KiB one,
 * ~100 KiB more to write with it. */
#define STORE_DICT_BODY_BYTES (32 * 1024)
#define STORE_DICT_SUMMARY_BYTES (16 * 1024)
/* Larger than any dictionary this build makes: a bigger stored one is
 * damage, never allocated for. */
#define STORE_DICT_MAX_BYTES (1024 * 1024)

struct store_dict;

/* A dictionary from its stored bytes (copied); NULL when they are not a
 * zstd dictionary or its id is not id (damage, which the caller reports). */
struct store_dict *store_dict_create(uint32_t id, enum store_dict_kind kind, const void *data,
				     size_t len);
struct store_dict *store_dict_ref(struct store_dict *d);
void store_dict_unref(struct store_dict **d);
uint32_t store_dict_id(const struct store_dict *d);
/* The id of a dictionary's bytes (0: not a zstd dictionary). */
uint32_t store_dict_bytes_id(const void *data, size_t len);
enum store_dict_kind store_dict_kind(const struct store_dict *d);

/* The digested forms (ZSTD_CDict for level, ZSTD_DDict): made once, NULL
 * when zstd cannot (out of memory). */
const void *store_dict_cdict(struct store_dict *d, int level);
const void *store_dict_ddict(struct store_dict *d);

/* The backend's lookup of one of its store's dictionaries by id, with a
 * reference the caller drops; NULL when the store has none of that id. */
typedef struct store_dict *store_dict_find(void *ctx, uint32_t id);

/* Trains a dictionary of at most max_bytes on count samples (sizes[i]
 * bytes each, one after another in samples). *dict_r: malloc()ed, NULL
 * when there is too little to learn from (zstd says so). */
void store_dict_train(const void *samples, const size_t *sizes, unsigned int count,
		      size_t max_bytes, void **dict_r, size_t *len_r);

/* ---- summaries ---- */

/* A summary as stored: the encoded summary (mail_summary_decode()'s
 * "PSM1") is kept as "PSZ1" + one zstd frame of it (with dict, when given)
 * whenever that is smaller. Returns out's data, or plain's when packing
 * does not pay. */
const struct buf *store_summary_pack(const struct buf *plain, struct store_dict *dict,
				     struct buf *out);
/* The encoded summary of a stored one: data itself when not packed, else
 * unpacked into out (its dictionary found through find). STORE_CORRUPT
 * for a damaged frame or a dictionary the store does not have. */
enum store_result store_summary_unpack(const void *data, size_t len, store_dict_find *find,
				       void *ctx, struct buf *out, const void **plain_r,
				       size_t *plain_len_r);

#endif
