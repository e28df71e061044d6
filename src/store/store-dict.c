/* A store's zstd dictionaries and the packed summary (store-dict.h). */
#include "store/store-dict.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

#include "core/xalloc.h"
#include "mail/mail-summary.h"

struct store_dict {
	atomic_uint refs;
	uint32_t id;
	enum store_dict_kind kind;
	void *data;
	size_t len;
	pthread_mutex_t lock;      /* making cdict and ddict */
	ZSTD_CDict *cdict;
	int cdict_level;
	ZSTD_DDict *ddict;
};

struct store_dict *store_dict_create(uint32_t id, enum store_dict_kind kind, const void *data,
				     size_t len)
{
	struct store_dict *d;

	if (data == NULL || len == 0 || len > STORE_DICT_MAX_BYTES || id == 0 ||
	    ZDICT_getDictID(data, len) != id)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	atomic_init(&d->refs, 1);
	d->id = id;
	d->kind = kind;
	d->data = xmalloc(len);
	memcpy(d->data, data, len);
	d->len = len;
	pthread_mutex_init(&d->lock, NULL);
	return d;
}

struct store_dict *store_dict_ref(struct store_dict *d)
{
	if (d != NULL)
		atomic_fetch_add(&d->refs, 1);
	return d;
}

void store_dict_unref(struct store_dict **dp)
{
	struct store_dict *d = *dp;

	*dp = NULL;
	if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	ZSTD_freeCDict(d->cdict);
	ZSTD_freeDDict(d->ddict);
	pthread_mutex_destroy(&d->lock);
	free(d->data);
	free(d);
}

uint32_t store_dict_id(const struct store_dict *d)
{
	return d->id;
}

uint32_t store_dict_bytes_id(const void *data, size_t len)
{
	return data != NULL && len > 0 ? ZDICT_getDictID(data, len) : 0;
}

enum store_dict_kind store_dict_kind(const struct store_dict *d)
{
	return d->kind;
}

const void *store_dict_cdict(struct store_dict *d, int level)
{
	const void *c;

	pthread_mutex_lock(&d->lock);
	if (d->cdict != NULL && d->cdict_level != level) {
		ZSTD_freeCDict(d->cdict);
		d->cdict = NULL;
	}
	if (d->cdict == NULL) {
		d->cdict = ZSTD_createCDict(d->data, d->len, level);
		d->cdict_level = level;
	}
	c = d->cdict;
	pthread_mutex_unlock(&d->lock);
	return c;
}

const void *store_dict_ddict(struct store_dict *d)
{
	const void *p;

	pthread_mutex_lock(&d->lock);
	if (d->ddict == NULL)
		d->ddict = ZSTD_createDDict(d->data, d->len);
	p = d->ddict;
	pthread_mutex_unlock(&d->lock);
	return p;
}

void store_dict_train(const void *samples, const size_t *sizes, unsigned int count,
		      size_t max_bytes, void **dict_r, size_t *len_r)
{
	void *dict;
	size_t n;

	*dict_r = NULL;
	*len_r = 0;
	if (count == 0 || max_bytes == 0 || max_bytes > STORE_DICT_MAX_BYTES)
		return;
	dict = xmalloc(max_bytes);
	n = ZDICT_trainFromBuffer(dict, max_bytes, samples, sizes, count);
	if (ZDICT_isError(n) || ZDICT_getDictID(dict, n) == 0) {
		free(dict);
		return;
	}
	*dict_r = dict;
	*len_r = n;
}

/* ---- summaries ---- */

#define SUMMARY_PACKED_MAGIC "PSZ1"
/* A summary is a few hundred bytes to a few KB; level 3 packs it ~5 %
 * smaller than level 1 and costs a few microseconds at delivery only
 * (unpacking speed hardly depends on the level). */
#define SUMMARY_ZSTD_LEVEL 3

/* One compression and one decompression context per thread: summaries
 * are packed at every delivery and unpacked for every message a FETCH of
 * ENVELOPE or a SORT reads. */
static pthread_key_t summary_cctx_key, summary_dctx_key;
static pthread_once_t summary_once = PTHREAD_ONCE_INIT;
static bool summary_keys_ok;

static void summary_cctx_free(void *p)
{
	ZSTD_freeCCtx(p);
}

static void summary_dctx_free(void *p)
{
	ZSTD_freeDCtx(p);
}

static void summary_keys_init(void)
{
	summary_keys_ok = pthread_key_create(&summary_cctx_key, summary_cctx_free) == 0 &&
		pthread_key_create(&summary_dctx_key, summary_dctx_free) == 0;
}

static void *summary_ctx(bool compress)
{
	pthread_key_t key;
	void *c;

	pthread_once(&summary_once, summary_keys_init);
	if (!summary_keys_ok)
		return NULL;
	key = compress ? summary_cctx_key : summary_dctx_key;
	c = pthread_getspecific(key);
	if (c == NULL) {
		c = compress ? (void *)ZSTD_createCCtx() : (void *)ZSTD_createDCtx();
		if (c != NULL && pthread_setspecific(key, c) != 0) {
			if (compress)
				ZSTD_freeCCtx(c);
			else
				ZSTD_freeDCtx(c);
			c = NULL;
		}
	}
	return c;
}

const struct buf *store_summary_pack(const struct buf *plain, struct store_dict *dict,
				     struct buf *out)
{
	ZSTD_CCtx *c = summary_ctx(true);
	const ZSTD_CDict *cdict = dict != NULL ? store_dict_cdict(dict, SUMMARY_ZSTD_LEVEL) : NULL;
	size_t bound = ZSTD_compressBound(plain->len), n;

	buf_clear(out);
	if (c == NULL || plain->len == 0 || !buf_reserve(out, 4 + bound))
		return plain;
	memcpy(out->data, SUMMARY_PACKED_MAGIC, 4);
	if (cdict != NULL)
		n = ZSTD_compress_usingCDict(c, out->data + 4, bound, plain->data, plain->len,
					     cdict);
	else
		n = ZSTD_compressCCtx(c, out->data + 4, bound, plain->data, plain->len,
				      SUMMARY_ZSTD_LEVEL);
	if (ZSTD_isError(n) || 4 + n >= plain->len)
		return plain;
	out->len = 4 + n;
	return out;
}

enum store_result store_summary_unpack(const void *data, size_t len, store_dict_find *find,
				       void *ctx, struct buf *out, const void **plain_r,
				       size_t *plain_len_r)
{
	const unsigned char *frame = (const unsigned char *)data + 4;
	size_t flen = len - 4, n;
	unsigned long long size;
	unsigned int id;
	ZSTD_DCtx *d;

	*plain_r = data;
	*plain_len_r = len;
	if (data == NULL || len < 4 || memcmp(data, SUMMARY_PACKED_MAGIC, 4) != 0)
		return STORE_OK;
	size = ZSTD_getFrameContentSize(frame, flen);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
	    size > MAIL_SUMMARY_MAX)
		return STORE_CORRUPT;
	d = summary_ctx(false);
	buf_clear(out);
	if (d == NULL || !buf_reserve(out, (size_t)size))
		return STORE_ERROR;
	id = ZSTD_getDictID_fromFrame(frame, flen);
	if (id != 0) {
		struct store_dict *dict = find != NULL ? find(ctx, id) : NULL;
		const ZSTD_DDict *dd = dict != NULL ? store_dict_ddict(dict) : NULL;

		if (dict == NULL)
			return STORE_CORRUPT;      /* names a dictionary the store lacks */
		if (dd == NULL) {
			store_dict_unref(&dict);
			return STORE_ERROR;
		}
		n = ZSTD_decompress_usingDDict(d, out->data, (size_t)size, frame, flen, dd);
		store_dict_unref(&dict);
	} else {
		n = ZSTD_decompressDCtx(d, out->data, (size_t)size, frame, flen);
	}
	if (ZSTD_isError(n) || n != size)
		return STORE_CORRUPT;
	out->len = n;
	*plain_r = out->data;
	*plain_len_r = n;
	return STORE_OK;
}
