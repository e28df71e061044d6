/* store/body-codec.c: bodies written in zstd frames read back byte for
 * byte at any offset; plain when compression does not pay; the exact
 * layout of table and trailer; and damaged stored bytes (flipped bytes,
 * truncation, hostile tables) answer STORE_CORRUPT, never wrong bytes from
 * a compressed frame and never a crash (run it under ASan too). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/body-codec.h"
#include "store/store-dict.h"
#include "unit.h"

/* body-codec.h's layout: the trailer without a dictionary id. */
#define BODY_TRAILER_SIZE 16

struct out {
	unsigned char *data;
	size_t len, cap;
	unsigned int calls;
};

static enum store_result sink(void *ctx, const void *data, size_t len)
{
	struct out *o = ctx;

	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		o->data = realloc(o->data, o->cap);
	}
	memcpy(o->data + o->len, data, len);
	o->len += len;
	o->calls++;
	return STORE_OK;
}

static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Text that compresses (words from a small set), or noise that does not. */
static void fill(unsigned char *p, size_t n, bool noise, uint32_t *s)
{
	static const char *const words[] = { "mail ", "store ", "frame ", "zstd ", "petrel ",
					     "offset ", "\r\n" };

	for (size_t i = 0; i < n;) {
		if (noise) {
			p[i++] = (unsigned char)rnd(s);
			continue;
		}
		const char *w = words[rnd(s) % 7];

		for (size_t k = 0; w[k] != '\0' && i < n; k++)
			p[i++] = (unsigned char)w[k];
	}
}

/* The dictionary encode() writes with (NULL: none), and the one
 * check_reads() finds by id. */
static struct store_dict *encode_dict, *known_dict;

static struct store_dict *find_dict(void *ctx, uint32_t id)
{
	(void)ctx;
	return known_dict != NULL && store_dict_id(known_dict) == id ? store_dict_ref(known_dict) :
		NULL;
}

static enum store_result encode(const unsigned char *body, size_t size, size_t piece,
				struct out *o, enum body_codec *codec_r)
{
	struct body_codec_writer *w = body_codec_writer_create(BODY_ZSTD_LEVEL, encode_dict);
	enum store_result r = STORE_OK;
	uint64_t stored = 0;

	memset(o, 0, sizeof(*o));
	for (size_t off = 0; r == STORE_OK && off < size; off += piece)
		r = body_codec_writer_feed(w, body + off, size - off < piece ? size - off : piece,
					   sink, o);
	if (r == STORE_OK)
		r = body_codec_writer_finish(w, sink, o, codec_r, &stored);
	body_codec_writer_destroy(&w);
	CHECK_INT(stored, o->len);
	return r;
}

/* body_codec_pread over a struct out (stands for a backend's file). */
static enum store_result out_pread(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct out *o = ctx;

	if (offset > o->len || len > o->len - offset)
		return STORE_CORRUPT;
	if (len > 0)
		memcpy(buf, o->data + offset, len);
	return STORE_OK;
}

/* Reads the whole body back at many offsets and lengths, through memory
 * and through pread: every byte as written. */
static void check_reads(const unsigned char *body, size_t size, struct out *o,
			enum body_codec codec)
{
	for (int via = 0; via < 2; via++) {
		struct body_codec_reader *r;
		unsigned char *got = malloc(size + 1);
		uint32_t s = 99;

		CHECK_INT(body_codec_reader_open(codec, size, o->len, via == 0 ? o->data : NULL,
						 out_pread, o, find_dict, NULL, "test", &r), STORE_OK);
		if (r == NULL) {
			free(got);
			continue;
		}
		CHECK_INT(body_codec_read(r, 0, got, size), STORE_OK);
		CHECK(memcmp(got, body, size) == 0);
		/* Frame edges, then random ranges (partial FETCH). */
		for (size_t edge = BODY_FRAME_SIZE; edge < size; edge += BODY_FRAME_SIZE) {
			CHECK_INT(body_codec_read(r, edge - 1, got, 2), STORE_OK);
			CHECK(memcmp(got, body + edge - 1, 2) == 0);
		}
		for (int i = 0; i < 200 && size > 0; i++) {
			size_t off = rnd(&s) % size, len = rnd(&s) % (size - off + 1);

			CHECK_INT(body_codec_read(r, off, got, len), STORE_OK);
			CHECK(memcmp(got, body + off, len) == 0);
		}
		CHECK_INT(body_codec_read(r, size, got, 1), STORE_INVALID);
		CHECK_INT(body_codec_read(r, size, got, 0), STORE_OK);
		body_codec_reader_free(&r);
		CHECK(r == NULL);
		free(got);
	}
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_round_trips(void)
{
	static const struct {
		size_t size;
		bool noise_every_other;   /* frames alternate text and noise */
		bool noise;
		enum body_codec want;
	} cases[] = {
		{ 0, false, false, BODY_CODEC_PLAIN },
		{ 1, false, false, BODY_CODEC_PLAIN },              /* too small to pay */
		{ 3000, false, false, BODY_CODEC_ZSTD_FRAMES },
		{ 3000, false, true, BODY_CODEC_PLAIN },            /* noise: stored as is */
		{ BODY_FRAME_SIZE, false, false, BODY_CODEC_ZSTD_FRAMES },
		{ BODY_FRAME_SIZE + 1, false, false, BODY_CODEC_ZSTD_FRAMES },
		{ 5 * BODY_FRAME_SIZE + 17, true, false, BODY_CODEC_ZSTD_FRAMES },
		{ 3 * BODY_FRAME_SIZE + 5, false, true, BODY_CODEC_PLAIN },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t size = cases[c].size;
		unsigned char *body = malloc(size + 1);
		uint32_t s = 7 + (uint32_t)c;
		enum body_codec codec = 99;
		struct out o;

		for (size_t off = 0; off < size; off += BODY_FRAME_SIZE) {
			size_t n = size - off < BODY_FRAME_SIZE ? size - off : BODY_FRAME_SIZE;
			bool noise = cases[c].noise ||
				(cases[c].noise_every_other && (off / BODY_FRAME_SIZE) % 2 == 1);

			fill(body + off, n, noise, &s);
		}
		/* Odd pieces: frames do not follow the writes. */
		CHECK_INT(encode(body, size, 4093, &o, &codec), STORE_OK);
		CHECK_INT(codec, cases[c].want);
		if (codec == BODY_CODEC_PLAIN) {
			CHECK_INT(o.len, size);
			CHECK(size == 0 || memcmp(o.data, body, size) == 0);
		} else {
			size_t frames = (size + BODY_FRAME_SIZE - 1) / BODY_FRAME_SIZE;
			const unsigned char *t = o.data + o.len - BODY_TRAILER_SIZE;
			uint64_t sum = 0;

			CHECK(o.len < size);
			CHECK(memcmp(t + 12, "PZF1", 4) == 0);
			CHECK_INT(le32(t), frames);
			CHECK_INT(le32(t + 4), BODY_FRAME_SIZE);
			for (size_t i = 0; i < frames; i++) {
				uint32_t e = le32(t - 4 * frames + 4 * i);

				/* Noise frames stay raw: exactly their own bytes. */
				if (cases[c].noise_every_other && i % 2 == 1 && i + 1 < frames)
					CHECK_INT(e, 0x80000000u | BODY_FRAME_SIZE);
				sum += e & 0x7fffffffu;
			}
			CHECK_INT(sum + 4 * frames + BODY_TRAILER_SIZE, o.len);
		}
		check_reads(body, size, &o, codec);
		free(o.data);
		free(body);
	}
}

/* One flipped byte anywhere in a compressed body: STORE_CORRUPT at open or
 * at a read, or (a byte no decoder looks at) the right bytes; never wrong
 * bytes, never a crash. */
static void test_flipped_bytes(void)
{
	size_t size = 3 * BODY_FRAME_SIZE + 1000;
	unsigned char *body = malloc(size), *got = malloc(size);
	uint32_t s = 12345;
	enum body_codec codec;
	struct out o;
	unsigned int corrupt = 0, wrong = 0, other = 0;

	fill(body, size, false, &s);
	CHECK_INT(encode(body, size, 65536, &o, &codec), STORE_OK);
	CHECK_INT(codec, BODY_CODEC_ZSTD_FRAMES);
	/* Every byte of the table and trailer, and 1,500 random ones. */
	for (size_t i = 0; i < 1500 + 4 * 4 + BODY_TRAILER_SIZE; i++) {
		size_t at = i < 4 * 4 + BODY_TRAILER_SIZE ? o.len - 1 - i : rnd(&s) % o.len;
		unsigned char mask = (unsigned char)(1u << (rnd(&s) % 8));
		struct body_codec_reader *r = NULL;
		enum store_result res;

		o.data[at] ^= mask;
		res = body_codec_reader_open(codec, size, o.len, o.data, NULL, NULL, NULL, NULL,
					     "test", &r);
		if (res == STORE_OK) {
			res = body_codec_read(r, 0, got, size);
			if (res == STORE_OK && memcmp(got, body, size) != 0)
				wrong++;
		}
		corrupt += res == STORE_CORRUPT;
		other += res != STORE_CORRUPT && res != STORE_OK;
		body_codec_reader_free(&r);
		o.data[at] ^= mask;
	}
	CHECK_INT(wrong, 0);
	CHECK_INT(other, 0);
	CHECK(corrupt > 1400);   /* nearly every flip is seen */
	/* Cut short anywhere: STORE_CORRUPT. */
	for (size_t cut = 0; cut < o.len; cut += o.len / 97 + 1) {
		struct body_codec_reader *r = NULL;
		enum store_result res = body_codec_reader_open(codec, size, cut, o.data, NULL, NULL,
							       NULL, NULL, "test", &r);

		if (res == STORE_OK)
			res = body_codec_read(r, 0, got, size);
		CHECK_INT(res, STORE_CORRUPT);
		body_codec_reader_free(&r);
	}
	/* The wrong size for these bytes: its frame count does not match. */
	{
		struct body_codec_reader *r = NULL;

		CHECK_INT(body_codec_reader_open(codec, size + BODY_FRAME_SIZE, o.len, o.data, NULL,
						 NULL, NULL, NULL, "test", &r), STORE_CORRUPT);
		CHECK(r == NULL);
		CHECK_INT(body_codec_reader_open(codec, size - 1, o.len, o.data, NULL, NULL, NULL,
						 NULL, "test", &r), STORE_OK);
		if (r != NULL)
			CHECK_INT(body_codec_read(r, 0, got, size - 1), STORE_CORRUPT);
		body_codec_reader_free(&r);
		CHECK_INT(body_codec_reader_open(7, size, o.len, o.data, NULL, NULL, NULL, NULL,
						 "test", &r), STORE_CORRUPT);
	}
	free(o.data);
	free(body);
	free(got);
}

/* A hostile trailer: a huge frame count or frame size is refused before
 * anything is allocated for it. */
static void test_hostile_trailer(void)
{
	unsigned char t[64] = { 0 };
	struct body_codec_reader *r = NULL;

	memcpy(t + sizeof(t) - 4, "PZF1", 4);
	t[sizeof(t) - 16] = 0xff;   /* count */
	t[sizeof(t) - 15] = 0xff;
	t[sizeof(t) - 14] = 0xff;
	t[sizeof(t) - 13] = 0x7f;
	t[sizeof(t) - 11] = 0x02;   /* frame size 128 KiB */
	CHECK_INT(body_codec_reader_open(BODY_CODEC_ZSTD_FRAMES, (uint64_t)1 << 62, sizeof(t), t,
					 NULL, NULL, NULL, NULL, "test", &r), STORE_CORRUPT);
	t[sizeof(t) - 11] = 0;
	t[sizeof(t) - 9] = 0x80;    /* frame size 2 GiB */
	CHECK_INT(body_codec_reader_open(BODY_CODEC_ZSTD_FRAMES, 100, sizeof(t), t, NULL, NULL,
					 NULL, NULL, "test", &r), STORE_CORRUPT);
	CHECK_INT(body_codec_reader_open(BODY_CODEC_ZSTD_FRAMES, 100, 3, t, NULL, NULL, NULL, NULL,
					 "test", &r), STORE_CORRUPT);
	CHECK(r == NULL);
	CHECK(body_codec_known(0) && body_codec_known(1) && !body_codec_known(2) &&
	      !body_codec_known(-1));
}

/* A message like those the dictionary learnt from: headers of a list. */
static size_t mail_like(unsigned char *p, size_t cap, unsigned int i, uint32_t *s)
{
	int n = snprintf((char *)p, cap,
			 "Received: from mx%u.lists.example.org (mx%u.lists.example.org"
			 " [192.0.2.%u])\r\n\tby mail.example.net with ESMTPS id %08x\r\n"
			 "List-Id: <petrel-users.lists.example.org>\r\n"
			 "List-Unsubscribe: <mailto:petrel-users-leave@lists.example.org>\r\n"
			 "Subject: [petrel-users] question %u about frames\r\n"
			 "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
			 i % 7, i % 7, i % 250, (unsigned int)rnd(s), i);

	fill(p + n, 600, false, s);
	return (size_t)n + 600;
}

/* A body made with the store's dictionary: its trailer names it (PZF2,
 * the id), it is smaller than without, it reads back byte for byte, and a
 * reader without that dictionary answers STORE_CORRUPT (data the store
 * cannot read is reported, never guessed). */
static void test_dictionary(void)
{
	enum { SAMPLES = 400, SAMPLE_MAX = 1200 };
	unsigned char *samples = malloc(SAMPLES * SAMPLE_MAX), body[SAMPLE_MAX];
	size_t sizes[SAMPLES], used = 0, size, len = 0;
	uint32_t s = 5;
	void *dict = NULL;
	struct out plain, with;
	enum body_codec codec;
	struct body_codec_reader *r = NULL;

	for (unsigned int i = 0; i < SAMPLES; i++) {
		sizes[i] = mail_like(samples + used, SAMPLE_MAX, i, &s);
		used += sizes[i];
	}
	store_dict_train(samples, sizes, SAMPLES, 16384, &dict, &len);
	free(samples);
	CHECK(dict != NULL);
	if (dict == NULL)
		return;
	uint32_t id = store_dict_bytes_id(dict, len);

	CHECK(id != 0);
	CHECK(store_dict_create(id + 1, STORE_DICT_BODY, dict, len) == NULL);
	known_dict = store_dict_create(id, STORE_DICT_BODY, dict, len);
	free(dict);
	CHECK(known_dict != NULL);
	size = mail_like(body, sizeof(body), 9999, &s);
	CHECK_INT(encode(body, size, 100, &plain, &codec), STORE_OK);
	encode_dict = known_dict;
	CHECK_INT(encode(body, size, 100, &with, &codec), STORE_OK);
	encode_dict = NULL;
	CHECK_INT(codec, BODY_CODEC_ZSTD_FRAMES);
	CHECK(with.len >= 20 && memcmp(with.data + with.len - 4, "PZF2", 4) == 0);
	CHECK_INT(le32(with.data + with.len - 8), id);
	CHECK(with.len < plain.len);
	printf("# %zu-byte message: %zu bytes without the dictionary, %zu with\n", size,
	       plain.len, with.len);
	check_reads(body, size, &with, codec);
	/* Without the dictionary: damage, at open. */
	struct store_dict *keep = known_dict;

	known_dict = NULL;
	CHECK_INT(body_codec_reader_open(codec, size, with.len, with.data, NULL, NULL, find_dict,
					 NULL, "test", &r), STORE_CORRUPT);
	CHECK(r == NULL);
	known_dict = keep;
	store_dict_unref(&known_dict);
	free(plain.data);
	free(with.data);
}

int main(void)
{
	log_set_level(LOG_ALWAYS);
	test_round_trips();
	test_flipped_bytes();
	test_hostile_trailer();
	test_dictionary();
	return unit_finish("body-codec");
}
