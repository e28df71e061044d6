/* The backend-neutral front of a message being stored (message-in.h):
 * line ends, SHA-256, summary, search text, compression. Holds at most one
 * frame of the body (the codec's) and the summary builder's state; never
 * the whole of a large body. */
#include "store/message-in.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/xalloc.h"

struct message_in {
	struct message_in_sink sink;
	uint64_t max_size;
	char *who;
	uint64_t size;
	bool last_cr;              /* the last byte written was CR */
	bool keep_bytes;           /* message_in_keep_bytes(): no LF -> CRLF */
	bool finished, failed;
	struct body_codec_writer *codec;
	enum body_codec codec_used;
	uint64_t stored_size;
	/* Parses the body as it is written (mail/mail-summary.h). */
	struct mail_summary_builder *summary;
	bool summary_ok;
	struct store_dict *summary_dict;   /* a reference, or NULL */
	struct store_dict *body_dict;      /* the codec's, for reading back */
	struct buf packed;                 /* the summary packed */
	const struct buf *stored_summary;  /* packed, or the builder's encoding */
	EVP_MD_CTX *digest_ctx;    /* while writing; NULL if OpenSSL failed */
	unsigned char digest[MESSAGE_IN_DIGEST_LEN];
	bool digest_ok;
};

struct message_in *message_in_create(const struct message_in_sink *sink, uint64_t max_size,
				     const char *who, const struct message_in_dicts *dicts)
{
	struct message_in *m = xcalloc(1, sizeof(*m));

	m->sink = *sink;
	m->max_size = max_size;
	m->who = xstrdup(who);
	if (dicts != NULL) {
		m->body_dict = store_dict_ref(dicts->body);
		m->summary_dict = store_dict_ref(dicts->summary);
	}
	/* 4 bytes of magic over zstd's bound for the largest summary. */
	buf_init(&m->packed, MAIL_SUMMARY_MAX + MAIL_SUMMARY_MAX / 128 + 1024);
	m->codec = body_codec_writer_create(BODY_ZSTD_LEVEL, m->body_dict);
	m->summary = mail_summary_builder_create();
	m->digest_ctx = EVP_MD_CTX_new();
	if (m->digest_ctx != NULL && EVP_DigestInit_ex(m->digest_ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(m->digest_ctx);
		m->digest_ctx = NULL;
	}
	if (m->digest_ctx == NULL)
		log_warn("store %s: SHA-256 unavailable: a body stored without its digest", who);
	return m;
}

void message_in_keep_bytes(struct message_in *m)
{
	m->keep_bytes = true;
}

uint64_t message_in_size(const struct message_in *m)
{
	return m->size;
}

/* Bytes of the body as stored (after normalization). */
static enum store_result message_in_write_raw(struct message_in *m, const void *data,
					      size_t len)
{
	enum store_result r;

	if (len > m->max_size - m->size) {
		m->failed = true;
		return STORE_TOO_BIG;
	}
	if (len == 0)
		return STORE_OK;
	mail_summary_builder_feed(m->summary, data, len);
	if (m->digest_ctx != NULL && EVP_DigestUpdate(m->digest_ctx, data, len) != 1) {
		EVP_MD_CTX_free(m->digest_ctx);
		m->digest_ctx = NULL;
	}
	r = body_codec_writer_feed(m->codec, data, len, m->sink.write, m->sink.ctx);
	if (r != STORE_OK) {
		m->failed = true;
		return r;
	}
	m->size += len;
	return STORE_OK;
}

/* RFC 5322 lines end in CRLF, and IMAP sends messages as stored: a bare LF
 * (a message from `petrel deliver` on stdin, a careless APPEND) is stored
 * as CRLF, so sizes, offsets and every FETCH agree (Dovecot converts on
 * output instead, with the same result for clients). A bare CR stays. */
enum store_result message_in_write(struct message_in *m, const void *data, size_t len)
{
	const unsigned char *start = data, *p = start, *end = start + len, *run = start;
	enum store_result r = STORE_OK;

	if (m->finished || m->failed || (data == NULL && len > 0))
		return STORE_INVALID;
	if (len > m->max_size - m->size) {
		m->failed = true;   /* refused before reading on */
		return STORE_TOO_BIG;
	}
	if (m->keep_bytes)
		return message_in_write_raw(m, data, len);
	while (r == STORE_OK && p < end) {
		const unsigned char *lf = memchr(p, '\n', (size_t)(end - p));

		if (lf == NULL)
			break;
		bool after_cr = lf > start ? lf[-1] == '\r' : m->last_cr;
		if (!after_cr) {
			r = message_in_write_raw(m, run, (size_t)(lf - run));
			if (r == STORE_OK)
				r = message_in_write_raw(m, "\r\n", 2);
			run = lf + 1;
		}
		p = lf + 1;
	}
	if (r == STORE_OK && run < end)
		r = message_in_write_raw(m, run, (size_t)(end - run));
	if (r == STORE_OK && len > 0)
		m->last_cr = end[-1] == '\r';
	return r;
}

struct message_in_readback {
	struct message_in *m;
	struct body_codec_reader *reader;
};

/* store_dict_find for reading back: the writer's own dictionary. */
static struct store_dict *message_in_own_dict(void *ctx, uint32_t id)
{
	struct message_in *m = ctx;

	return m->body_dict != NULL && store_dict_id(m->body_dict) == id ?
		store_dict_ref(m->body_dict) : NULL;
}

/* mail_read_func over the stored bytes, through the codec. */
static bool message_in_read_back(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct message_in_readback *rb = ctx;

	return body_codec_read(rb->reader, offset, buf, len) == STORE_OK;
}

enum store_result message_in_finish(struct message_in *m)
{
	struct message_in_readback rb = { .m = m };
	enum store_result r;

	if (m->finished || m->failed)
		return STORE_INVALID;
	r = body_codec_writer_finish(m->codec, m->sink.write, m->sink.ctx, &m->codec_used,
				     &m->stored_size);
	body_codec_writer_destroy(&m->codec);
	if (r != STORE_OK) {
		m->failed = true;
		return r;
	}
	m->finished = true;
	if (m->digest_ctx != NULL) {
		unsigned int n = 0;

		m->digest_ok = EVP_DigestFinal_ex(m->digest_ctx, m->digest, &n) == 1 &&
			n == MESSAGE_IN_DIGEST_LEN;
		EVP_MD_CTX_free(m->digest_ctx);
		m->digest_ctx = NULL;
	}
	/* The text parts are read back from what was just stored (the page
	 * cache, or memory for a small body), one frame at a time. */
	r = body_codec_reader_open(m->codec_used, m->size, m->stored_size, NULL, m->sink.read,
				   m->sink.ctx, message_in_own_dict, m, m->who, &rb.reader);
	m->summary_ok = r == STORE_OK &&
		mail_summary_builder_finish(m->summary, message_in_read_back, &rb);
	body_codec_reader_free(&rb.reader);
	if (!m->summary_ok)
		log_warn("store %s: cannot summarize a new message (read back failed)", m->who);
	else
		m->stored_summary = store_summary_pack(mail_summary_builder_encoded(m->summary),
						       m->summary_dict, &m->packed);
	return STORE_OK;
}

void message_in_destroy(struct message_in **mp)
{
	struct message_in *m = *mp;

	if (m == NULL)
		return;
	*mp = NULL;
	body_codec_writer_destroy(&m->codec);
	mail_summary_builder_destroy(&m->summary);
	EVP_MD_CTX_free(m->digest_ctx);
	store_dict_unref(&m->body_dict);
	store_dict_unref(&m->summary_dict);
	buf_free(&m->packed);
	free(m->who);
	free(m);
}

enum body_codec message_in_codec(const struct message_in *m)
{
	return m->codec_used;
}

uint64_t message_in_stored_size(const struct message_in *m)
{
	return m->stored_size;
}

const unsigned char *message_in_digest(const struct message_in *m)
{
	return m->digest_ok ? m->digest : NULL;
}

const struct buf *message_in_summary(const struct message_in *m)
{
	return m->summary_ok && m->summary != NULL ? m->stored_summary : NULL;
}

const char *message_in_message_id(const struct message_in *m)
{
	return m->summary_ok && m->summary != NULL ?
		mail_summary_builder_message_id(m->summary) : NULL;
}

const struct mail_text *message_in_text(const struct message_in *m, bool *partial_r)
{
	const struct mail_text *t;

	*partial_r = true;
	if (!m->summary_ok || m->summary == NULL)
		return NULL;
	t = mail_summary_builder_text(m->summary);
	*partial_r = !t->body_complete;
	return t;
}

void message_in_drop_summary(struct message_in *m)
{
	mail_summary_builder_destroy(&m->summary);
	m->stored_summary = NULL;
	buf_free(&m->packed);
}

enum store_result message_in_thread_of(const struct mail_summary_builder *summary,
				       message_in_find_thread *find, void *ctx, char *out,
				       size_t size)
{
	unsigned int count = 0, tried = 0;
	const char *const *ids = summary != NULL ?
		mail_summary_builder_parent_ids(summary, &count) : NULL;

	for (unsigned int i = count; i > 0 && tried < MESSAGE_IN_THREAD_LOOKUPS; i--, tried++) {
		enum store_result r = find(ctx, ids[i - 1], out, size);

		if (r != STORE_NOT_FOUND)
			return r;
	}
	return STORE_NOT_FOUND;
}

enum store_result message_in_thread_id(const struct message_in *m, message_in_find_thread *find,
				       void *ctx, char *out, size_t size)
{
	return message_in_thread_of(m->summary_ok ? m->summary : NULL, find, ctx, out, size);
}

/* 64 KiB: half a frame; the digest is read sequentially, so each frame is
 * decompressed once whatever the chunk. */
#define MESSAGE_IN_DIGEST_CHUNK (64 * 1024)

enum store_result message_in_digest_body(struct body_codec_reader *reader, uint64_t size,
					 unsigned char out[MESSAGE_IN_DIGEST_LEN])
{
	unsigned char *chunk = xmalloc(MESSAGE_IN_DIGEST_CHUNK);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	enum store_result r = STORE_OK;
	unsigned int n = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		r = STORE_ERROR;
	for (uint64_t off = 0; r == STORE_OK && off < size;) {
		size_t len = size - off < MESSAGE_IN_DIGEST_CHUNK ? (size_t)(size - off) :
			MESSAGE_IN_DIGEST_CHUNK;

		r = body_codec_read(reader, off, chunk, len);
		if (r == STORE_OK && EVP_DigestUpdate(ctx, chunk, len) != 1)
			r = STORE_ERROR;
		off += len;
	}
	if (r == STORE_OK && (EVP_DigestFinal_ex(ctx, out, &n) != 1 ||
			      n != MESSAGE_IN_DIGEST_LEN))
		r = STORE_ERROR;
	EVP_MD_CTX_free(ctx);
	free(chunk);
	return r;
}
