/* Message bodies compressed in independent zstd frames with a seek table
 * (layout in body-codec.h). Backend-neutral: bytes in, bytes out. Never
 * holds more than one frame of a body; a damaged table or frame is
 * STORE_CORRUPT, never a read outside the data. */
#include "store/body-codec.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "core/log.h"
#include "core/xalloc.h"

#define BODY_MAGIC "PZF1"
#define BODY_MAGIC_DICT "PZF2"
/* Bytes after the last frame besides the table, without and with a
 * dictionary id. */
#define BODY_TRAILER_SIZE 16
#define BODY_TRAILER_DICT_SIZE 20
#define BODY_RAW_BIT 0x80000000u
/* A recorded frame size outside these bounds is damage (this build
 * writes BODY_FRAME_SIZE; a later one may pick another within them). */
#define BODY_FRAME_MIN (4 * 1024)
#define BODY_FRAME_MAX (4 * 1024 * 1024)
/* More frames than any body has (64 MiB in 4 KiB frames is 16,384): a
 * damaged count or size never makes the reader allocate more than 12 MiB
 * for its table. */
#define BODY_FRAMES_MAX (1024 * 1024)

/* One compression and one decompression context per thread, kept while
 * the thread lives: a context costs ~100-700 KiB and a few microseconds
 * to make, too much for every message a FETCH reads. */
static pthread_key_t body_cctx_key, body_dctx_key, body_bufs_key;
static pthread_once_t body_ctx_once = PTHREAD_ONCE_INIT;
static bool body_ctx_ok;

static void body_cctx_free(void *p)
{
	ZSTD_freeCCtx(p);
}

static void body_dctx_free(void *p)
{
	ZSTD_freeDCtx(p);
}

/* A reader's buffers are the thread's too, not the body's: a FETCH keeps
 * its body open across steps while its client reads, and 200 sessions each
 * holding a frame and a compressed frame (~256 KiB) between steps cost
 * 50 MB for nothing. Per thread: the compressed frame being read, and the
 * last frame decompressed for a read that wanted only part of it (whose
 * reader and index say whose it is: the next step of the same FETCH on the
 * same thread finds it; anyone else's read just replaces it). */
struct body_thread_bufs {
	unsigned char *cbuf;
	size_t cbuf_alloc;
	unsigned char *frame;
	size_t frame_alloc;
	uint64_t frame_reader;     /* body_codec_reader.id, 0: none */
	uint32_t frame_index;
};

static atomic_uint_fast64_t body_reader_ids;

static void body_bufs_free(void *p)
{
	struct body_thread_bufs *b = p;

	free(b->cbuf);
	free(b->frame);
	free(b);
}

static void body_ctx_init(void)
{
	body_ctx_ok = pthread_key_create(&body_cctx_key, body_cctx_free) == 0 &&
		pthread_key_create(&body_dctx_key, body_dctx_free) == 0 &&
		pthread_key_create(&body_bufs_key, body_bufs_free) == 0;
}

static struct body_thread_bufs *body_bufs(void)
{
	struct body_thread_bufs *b;

	pthread_once(&body_ctx_once, body_ctx_init);
	if (!body_ctx_ok)
		return NULL;
	b = pthread_getspecific(body_bufs_key);
	if (b == NULL) {
		b = xcalloc(1, sizeof(*b));
		if (pthread_setspecific(body_bufs_key, b) != 0) {
			free(b);
			b = NULL;
		}
	}
	return b;
}

static ZSTD_CCtx *body_cctx(void)
{
	ZSTD_CCtx *c;

	pthread_once(&body_ctx_once, body_ctx_init);
	if (!body_ctx_ok)
		return NULL;
	c = pthread_getspecific(body_cctx_key);
	if (c == NULL) {
		c = ZSTD_createCCtx();
		if (c != NULL && pthread_setspecific(body_cctx_key, c) != 0) {
			ZSTD_freeCCtx(c);
			c = NULL;
		}
	}
	return c;
}

static ZSTD_DCtx *body_dctx(void)
{
	ZSTD_DCtx *d;

	pthread_once(&body_ctx_once, body_ctx_init);
	if (!body_ctx_ok)
		return NULL;
	d = pthread_getspecific(body_dctx_key);
	if (d == NULL) {
		d = ZSTD_createDCtx();
		if (d != NULL && pthread_setspecific(body_dctx_key, d) != 0) {
			ZSTD_freeDCtx(d);
			d = NULL;
		}
	}
	return d;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

bool body_codec_known(int codec)
{
	return codec == BODY_CODEC_PLAIN || codec == BODY_CODEC_ZSTD_FRAMES;
}

/* ---- writing ---- */

struct body_codec_writer {
	int level;
	struct store_dict *dict;   /* a reference; NULL: none */
	unsigned char *frame;      /* the frame being filled, uncompressed */
	size_t frame_len, frame_alloc;
	unsigned char *out;        /* its compressed form */
	size_t out_alloc;
	uint32_t *table;           /* one entry per frame given to the sink */
	size_t count, alloc;
	uint64_t stored;
	bool any_compressed;       /* else the stored bytes are the body */
	bool dict_used;            /* a compressed frame names dict */
	bool failed;
};

struct body_codec_writer *body_codec_writer_create(int level, struct store_dict *dict)
{
	struct body_codec_writer *w = xcalloc(1, sizeof(*w));

	w->level = level;
	w->dict = store_dict_ref(dict);
	return w;
}

/* zstd's size for the frame, or 0 when it does not pay or fails. */
static size_t body_compress(struct body_codec_writer *w)
{
	ZSTD_CCtx *c = body_cctx();
	size_t bound = ZSTD_compressBound(w->frame_len), n;

	if (c == NULL)
		return 0;
	if (w->out_alloc < bound) {
		w->out = xrealloc(w->out, bound);
		w->out_alloc = bound;
	}
	ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, w->level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)))
		return 0;
	if (w->dict != NULL) {
		const ZSTD_CDict *cd = store_dict_cdict(w->dict, w->level);

		/* Without its digested form (out of memory): no dictionary for
		 * this body, or, once a frame used it, this frame kept raw (the
		 * trailer names one dictionary for all frames). */
		if (cd == NULL && w->dict_used)
			return 0;
		if (cd == NULL)
			store_dict_unref(&w->dict);
		else if (ZSTD_isError(ZSTD_CCtx_refCDict(c, cd)))
			return 0;
	}
	n = ZSTD_compress2(c, w->out, w->out_alloc, w->frame, w->frame_len);
	if (ZSTD_isError(n) || n > w->frame_len - (w->frame_len >> BODY_SAVE_MIN_SHIFT))
		return 0;
	return n;
}

static enum store_result body_flush(struct body_codec_writer *w, body_codec_sink *sink,
				    void *ctx)
{
	size_t n = body_compress(w);
	uint32_t entry = n > 0 ? (uint32_t)n : (uint32_t)w->frame_len | BODY_RAW_BIT;
	enum store_result r = n > 0 ? sink(ctx, w->out, n) :
		sink(ctx, w->frame, w->frame_len);

	if (r != STORE_OK) {
		w->failed = true;
		return r;
	}
	if (w->count == w->alloc) {
		w->alloc = w->alloc == 0 ? 8 : w->alloc * 2;
		w->table = xrealloc(w->table, w->alloc * sizeof(*w->table));
	}
	w->table[w->count++] = entry;
	w->stored += n > 0 ? n : w->frame_len;
	w->any_compressed |= n > 0;
	w->dict_used |= n > 0 && w->dict != NULL;
	w->frame_len = 0;
	return STORE_OK;
}

enum store_result body_codec_writer_feed(struct body_codec_writer *w, const void *data,
					 size_t len, body_codec_sink *sink, void *ctx)
{
	const unsigned char *p = data;

	if (w->failed)
		return STORE_INVALID;
	while (len > 0) {
		size_t n = BODY_FRAME_SIZE - w->frame_len < len ? BODY_FRAME_SIZE - w->frame_len : len;

		if (w->frame_len + n > w->frame_alloc) {
			/* Grows with the body: a small message holds a small buffer. */
			size_t want = w->frame_alloc < 4096 ? 4096 : w->frame_alloc * 2;

			while (want < w->frame_len + n)
				want *= 2;
			if (want > BODY_FRAME_SIZE)
				want = BODY_FRAME_SIZE;
			w->frame = xrealloc(w->frame, want);
			w->frame_alloc = want;
		}
		memcpy(w->frame + w->frame_len, p, n);
		w->frame_len += n;
		p += n;
		len -= n;
		if (w->frame_len == BODY_FRAME_SIZE) {
			enum store_result r = body_flush(w, sink, ctx);

			if (r != STORE_OK)
				return r;
		}
	}
	return STORE_OK;
}

enum store_result body_codec_writer_finish(struct body_codec_writer *w, body_codec_sink *sink,
					   void *ctx, enum body_codec *codec_r,
					   uint64_t *stored_size_r)
{
	enum store_result r = STORE_OK;
	unsigned char trailer[BODY_TRAILER_DICT_SIZE];
	size_t trailer_len;
	unsigned char *table;
	uLong crc;

	if (w->failed)
		return STORE_INVALID;
	if (w->frame_len > 0)
		r = body_flush(w, sink, ctx);
	if (r != STORE_OK)
		return r;
	free(w->frame);
	w->frame = NULL;
	w->frame_alloc = 0;
	if (!w->any_compressed) {
		/* Every frame raw: the stored bytes are the body itself. */
		*codec_r = BODY_CODEC_PLAIN;
		*stored_size_r = w->stored;
		return STORE_OK;
	}
	trailer_len = w->dict_used ? BODY_TRAILER_DICT_SIZE : BODY_TRAILER_SIZE;
	table = xmalloc(w->count * 4);
	for (size_t i = 0; i < w->count; i++)
		put_le32(table + i * 4, w->table[i]);
	crc = crc32(crc32(0L, Z_NULL, 0), table, (uInt)(w->count * 4));
	put_le32(trailer, (uint32_t)w->count);
	put_le32(trailer + 4, BODY_FRAME_SIZE);
	put_le32(trailer + 8, (uint32_t)crc);
	if (w->dict_used) {
		put_le32(trailer + 12, store_dict_id(w->dict));
		memcpy(trailer + 16, BODY_MAGIC_DICT, 4);
	} else {
		memcpy(trailer + 12, BODY_MAGIC, 4);
	}
	r = sink(ctx, table, w->count * 4);
	if (r == STORE_OK)
		r = sink(ctx, trailer, trailer_len);
	free(table);
	if (r != STORE_OK) {
		w->failed = true;
		return r;
	}
	*codec_r = BODY_CODEC_ZSTD_FRAMES;
	*stored_size_r = w->stored + w->count * 4 + trailer_len;
	return STORE_OK;
}

void body_codec_writer_destroy(struct body_codec_writer **wp)
{
	struct body_codec_writer *w = *wp;

	if (w == NULL)
		return;
	*wp = NULL;
	free(w->frame);
	free(w->out);
	free(w->table);
	store_dict_unref(&w->dict);
	free(w);
}

/* ---- reading ---- */

struct body_codec_reader {
	enum body_codec codec;
	uint64_t size, stored_size;
	const unsigned char *mem;
	body_codec_pread *pread;
	void *ctx;
	char *who;
	uint32_t frame_size;
	uint32_t count;
	uint64_t *offsets;         /* count + 1 stored offsets */
	bool *raw;
	uint64_t id;               /* names its frame in body_thread_bufs */
	struct store_dict *dict;   /* the frames' dictionary (a reference), or NULL */
};

static enum store_result body_corrupt(struct body_codec_reader *r, const char *what, int64_t i)
{
	if (i >= 0)
		log_error("store %s: body frame %lld of %u: %s", r->who, (long long)i, r->count,
			  what);
	else
		log_error("store %s: body: %s", r->who, what);
	return STORE_CORRUPT;
}

static enum store_result body_stored_read(struct body_codec_reader *r, uint64_t offset,
					  void *buf, size_t len)
{
	if (offset > r->stored_size || len > r->stored_size - offset)
		return body_corrupt(r, "read past the stored bytes", -1);
	if (r->mem != NULL) {
		if (len > 0)
			memcpy(buf, r->mem + offset, len);
		return STORE_OK;
	}
	return r->pread(r->ctx, offset, buf, len);
}

/* The trailer (either layout) into r: *trailer_r points at its first
 * byte in tail, *size_r is its length. */
static enum store_result body_trailer_load(struct body_codec_reader *r, store_dict_find *find,
					   void *find_ctx,
					   unsigned char tail[BODY_TRAILER_DICT_SIZE],
					   const unsigned char **trailer_r, size_t *size_r)
{
	size_t tlen = r->stored_size >= BODY_TRAILER_DICT_SIZE ? BODY_TRAILER_DICT_SIZE :
		BODY_TRAILER_SIZE;
	enum store_result res;

	if (r->stored_size < BODY_TRAILER_SIZE)
		return body_corrupt(r, "shorter than its trailer", -1);
	res = body_stored_read(r, r->stored_size - tlen, tail, tlen);
	if (res != STORE_OK)
		return res;
	if (memcmp(tail + tlen - 4, BODY_MAGIC, 4) == 0) {
		*trailer_r = tail + tlen - BODY_TRAILER_SIZE;
		*size_r = BODY_TRAILER_SIZE;
		return STORE_OK;
	}
	if (tlen != BODY_TRAILER_DICT_SIZE || memcmp(tail + tlen - 4, BODY_MAGIC_DICT, 4) != 0)
		return body_corrupt(r, "no frame table", -1);
	*trailer_r = tail;
	*size_r = BODY_TRAILER_DICT_SIZE;
	uint32_t id = get_le32(tail + 12);

	r->dict = find != NULL ? find(find_ctx, id) : NULL;
	if (r->dict == NULL) {
		log_error("store %s: body: made with dictionary %u, which the store does not have",
			  r->who, id);
		return STORE_CORRUPT;
	}
	return STORE_OK;
}

static enum store_result body_table_load(struct body_codec_reader *r, store_dict_find *find,
					 void *find_ctx)
{
	unsigned char tail[BODY_TRAILER_DICT_SIZE];
	const unsigned char *trailer = NULL;
	size_t trailer_size = 0;
	unsigned char *table;
	uint64_t want, sum = 0, frames_end;
	enum store_result res = body_trailer_load(r, find, find_ctx, tail, &trailer,
						  &trailer_size);

	if (res != STORE_OK)
		return res;
	r->count = get_le32(trailer);
	r->frame_size = get_le32(trailer + 4);
	if (r->frame_size < BODY_FRAME_MIN || r->frame_size > BODY_FRAME_MAX)
		return body_corrupt(r, "frame size out of range", -1);
	want = (r->size + r->frame_size - 1) / r->frame_size;
	if (r->count != want || r->count == 0 || r->count > BODY_FRAMES_MAX ||
	    (uint64_t)r->count * 4 > r->stored_size - trailer_size)
		return body_corrupt(r, "frame count does not match the size", -1);
	frames_end = r->stored_size - trailer_size - (uint64_t)r->count * 4;
	table = xmalloc((size_t)r->count * 4);
	res = body_stored_read(r, frames_end, table, (size_t)r->count * 4);
	if (res == STORE_OK && (uint32_t)crc32(crc32(0L, Z_NULL, 0), table,
					       (uInt)(r->count * 4)) != get_le32(trailer + 8))
		res = body_corrupt(r, "frame table fails its checksum", -1);
	if (res != STORE_OK) {
		free(table);
		return res;
	}
	r->offsets = xmalloc(((size_t)r->count + 1) * sizeof(*r->offsets));
	r->raw = xmalloc(r->count * sizeof(*r->raw));
	for (uint32_t i = 0; i < r->count; i++) {
		uint32_t e = get_le32(table + (size_t)i * 4);
		uint64_t plain = i + 1 < r->count ? r->frame_size :
			r->size - (uint64_t)i * r->frame_size;
		uint32_t len = e & ~BODY_RAW_BIT;

		r->raw[i] = (e & BODY_RAW_BIT) != 0;
		r->offsets[i] = sum;
		if (r->raw[i] ? len != plain : len == 0 || len > ZSTD_compressBound(r->frame_size))
			res = body_corrupt(r, "stored length out of range", i);
		sum += len;
	}
	r->offsets[r->count] = sum;
	free(table);
	if (res == STORE_OK && sum != frames_end)
		res = body_corrupt(r, "frames do not fill the stored bytes", -1);
	return res;
}

enum store_result body_codec_reader_open(enum body_codec codec, uint64_t size,
					 uint64_t stored_size, const void *mem,
					 body_codec_pread *pread, void *ctx,
					 store_dict_find *find, void *find_ctx, const char *who,
					 struct body_codec_reader **reader_r)
{
	struct body_codec_reader *r = xcalloc(1, sizeof(*r));
	enum store_result res = STORE_OK;

	*reader_r = NULL;
	r->codec = codec;
	r->size = size;
	r->stored_size = stored_size;
	r->mem = mem;
	r->pread = pread;
	r->ctx = ctx;
	r->who = xstrdup(who);
	r->id = atomic_fetch_add(&body_reader_ids, 1) + 1;
	if (mem == NULL && pread == NULL)
		res = STORE_INVALID;
	else if (codec == BODY_CODEC_PLAIN) {
		if (stored_size != size)
			res = body_corrupt(r, "stored size differs from its size", -1);
	} else if (codec == BODY_CODEC_ZSTD_FRAMES) {
		res = body_table_load(r, find, find_ctx);
	} else {
		res = body_corrupt(r, "unknown codec", -1);
	}
	if (res != STORE_OK) {
		body_codec_reader_free(&r);
		return res;
	}
	*reader_r = r;
	return STORE_OK;
}

/* Frame i, decompressed whole into dst (its plain length). */
static enum store_result body_frame_decode(struct body_codec_reader *r, uint32_t i, void *dst,
					   size_t plain)
{
	size_t clen = (size_t)(r->offsets[i + 1] - r->offsets[i]);
	const void *src;
	ZSTD_DCtx *d = body_dctx();
	size_t n;

	if (d == NULL) {
		log_error("store %s: no zstd decompression context", r->who);
		return STORE_ERROR;
	}
	if (r->mem != NULL) {
		src = r->mem + r->offsets[i];
	} else {
		struct body_thread_bufs *b = body_bufs();
		enum store_result res;

		if (b == NULL)
			return STORE_ERROR;
		if (b->cbuf_alloc < clen) {
			b->cbuf = xrealloc(b->cbuf, clen);
			b->cbuf_alloc = clen;
		}
		res = body_stored_read(r, r->offsets[i], b->cbuf, clen);
		if (res != STORE_OK)
			return res;
		src = b->cbuf;
	}
	if (r->dict != NULL) {
		const ZSTD_DDict *dd = store_dict_ddict(r->dict);

		if (dd == NULL)
			return STORE_ERROR;
		n = ZSTD_decompress_usingDDict(d, dst, plain, src, clen, dd);
	} else {
		n = ZSTD_decompressDCtx(d, dst, plain, src, clen);
	}
	if (ZSTD_isError(n))
		return body_corrupt(r, ZSTD_getErrorName(n), i);
	if (n != plain)
		return body_corrupt(r, "decompresses to the wrong size", i);
	return STORE_OK;
}

enum store_result body_codec_read(struct body_codec_reader *r, uint64_t offset, void *buf,
				  size_t len)
{
	unsigned char *out = buf;

	if (offset > r->size || len > r->size - offset)
		return STORE_INVALID;
	if (r->codec == BODY_CODEC_PLAIN)
		return body_stored_read(r, offset, buf, len);
	while (len > 0) {
		uint32_t i = (uint32_t)(offset / r->frame_size);
		uint64_t start = (uint64_t)i * r->frame_size;
		size_t plain = (size_t)(i + 1 < r->count ? r->frame_size : r->size - start);
		size_t in = (size_t)(offset - start);
		size_t n = plain - in < len ? plain - in : len;
		enum store_result res = STORE_OK;

		if (r->raw[i]) {
			res = body_stored_read(r, r->offsets[i] + in, out, n);
		} else if (in == 0 && n == plain) {
			/* A whole frame: straight into the caller's buffer. */
			res = body_frame_decode(r, i, out, plain);
		} else {
			struct body_thread_bufs *b = body_bufs();

			if (b == NULL)
				return STORE_ERROR;
			if (b->frame_reader != r->id || b->frame_index != i) {
				if (b->frame_alloc < r->frame_size) {
					free(b->frame);
					b->frame = xmalloc(r->frame_size);
					b->frame_alloc = r->frame_size;
				}
				b->frame_reader = 0;
				res = body_frame_decode(r, i, b->frame, plain);
				if (res == STORE_OK) {
					b->frame_reader = r->id;
					b->frame_index = i;
				}
			}
			if (res == STORE_OK)
				memcpy(out, b->frame + in, n);
		}
		if (res != STORE_OK)
			return res;
		out += n;
		offset += n;
		len -= n;
	}
	return STORE_OK;
}

void body_codec_reader_free(struct body_codec_reader **rp)
{
	struct body_codec_reader *r = *rp;

	if (r == NULL)
		return;
	*rp = NULL;
	free(r->offsets);
	free(r->raw);
	free(r->who);
	store_dict_unref(&r->dict);
	free(r);
}
