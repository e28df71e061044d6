/* How a message body is kept on disk, for every backend: plain, or zstd
 * in independent frames of BODY_FRAME_SIZE uncompressed bytes with a seek
 * table at the end, so a read at any offset (FETCH BODY[]<partial>,
 * BODY[section]) decompresses one or two frames, never the whole body.
 * The writer is fed the body as it arrives and hands out the stored bytes;
 * the reader reads them back through a pread-like function (or memory)
 * with one frame's buffer. Neither ever holds a whole large body.
 *
 * Stored layout of BODY_CODEC_ZSTD_FRAMES:
 *   frame 0 .. frame n-1   a zstd frame (content size and XXH64 checksum
 *                          set), or the frame's bytes as they are ("raw")
 *                          where zstd saves less than 1/4 of them
 *   table                  n little-endian u32: the frame's stored length,
 *                          bit 31 set for a raw frame
 *   trailer (16 bytes)     u32 n, u32 frame size, u32 CRC-32 of the table,
 *                          "PZF1"
 *   or (20 bytes)          u32 n, u32 frame size, u32 CRC-32 of the table,
 *                          u32 dictionary id, "PZF2": the frames were made
 *                          with the store's dictionary of that id
 *                          (store/store-dict.h)
 * n is the body's size divided by the frame size, rounded up; the body's
 * size itself is kept by the backend (it is RFC822.SIZE). A body whose
 * frames all stay raw is stored plain (BODY_CODEC_PLAIN): the same bytes
 * without table. */
#ifndef PETREL_STORE_BODY_CODEC_H
#define PETREL_STORE_BODY_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store-dict.h"
#include "store/store.h"

/* The value a backend records with each body (SQLite: blobs.codec). */
enum body_codec {
	BODY_CODEC_PLAIN = 0,        /* the body's bytes as they are */
	BODY_CODEC_ZSTD_FRAMES = 1,  /* the layout above */
};

/* 128 KiB: zstd's largest block (ZSTD_BLOCKSIZE_MAX), so a frame is one
 * block and compresses within 1-2 % of whole-body compression on mail (its
 * big parts are base64 attachments, with little redundancy further apart);
 * a read at a random offset decompresses at most 256 KiB (~0.1 ms); and a
 * reader holds one frame, so an open body costs ~256 KiB while FETCH
 * reads it. Bodies up to this size are one frame. */
#define BODY_FRAME_SIZE (128 * 1024)
/* A frame is kept compressed only if that saves at least 1/4 of it. The
 * bulk of big mail is base64 of data already compressed (JPEG, PDF, ZIP):
 * zstd saves ~24 % of it, all in its literal decoder, which reads back at
 * ~1.1-1.4 GB/s, so a FETCH of a 20 MB attachment fell from 1,870 to
 * 650 MB/s; raw, it is read at memcpy speed. Text saves over 40 %; on the
 * jwz corpus the threshold changes nothing (1/8 stored 54 bytes less). */
#define BODY_SAVE_MIN_SHIFT 2
/* The level, chosen by measurement on the jwz corpus (2,403 messages,
 * 8.6 MB; CPU time, one core): level 1 stores them in 49.1 % of their size
 * at ~190 MB/s, level 3 in 48.1 % at ~150 MB/s, level 6 in 47.2 % at
 * ~65 MB/s. One point of disk is not worth a quarter more CPU on every
 * delivery. */
#define BODY_ZSTD_LEVEL 1

/* Where the stored bytes go as they are made (STORE_OK, or the failure). */
typedef enum store_result body_codec_sink(void *ctx, const void *data, size_t len);
/* Exactly len stored bytes at offset: STORE_OK, STORE_CORRUPT when there
 * are fewer, STORE_ERROR on I/O errors (the function logs those). */
typedef enum store_result body_codec_pread(void *ctx, uint64_t offset, void *buf, size_t len);

struct body_codec_writer;

/* dict: the store's body dictionary (NULL: none yet); the writer holds a
 * reference while it lives. */
struct body_codec_writer *body_codec_writer_create(int level, struct store_dict *dict);
/* Uncompressed bytes; each completed frame goes to sink. */
enum store_result body_codec_writer_feed(struct body_codec_writer *w, const void *data,
					 size_t len, body_codec_sink *sink, void *ctx);
/* The last frame and the table. *codec_r says how the bytes given to sink
 * are to be read; *stored_size_r how many there were. */
enum store_result body_codec_writer_finish(struct body_codec_writer *w, body_codec_sink *sink,
					   void *ctx, enum body_codec *codec_r,
					   uint64_t *stored_size_r);
void body_codec_writer_destroy(struct body_codec_writer **w);

struct body_codec_reader;

/* A reader of a body of size bytes kept as stored_size bytes in codec,
 * either in memory (mem, which must outlive the reader) or through pread.
 * Reads and checks the table: STORE_CORRUPT when it does not describe a
 * body of this size, or names a dictionary find does not give (logged with
 * who, e.g. the user). The reader keeps its dictionary: it may outlive
 * find's store. */
enum store_result body_codec_reader_open(enum body_codec codec, uint64_t size,
					 uint64_t stored_size, const void *mem,
					 body_codec_pread *pread, void *ctx,
					 store_dict_find *find, void *find_ctx, const char *who,
					 struct body_codec_reader **reader_r);
/* len bytes of the body at offset. STORE_CORRUPT (logged) when a frame
 * fails its checksum or does not decompress to its size. */
enum store_result body_codec_read(struct body_codec_reader *r, uint64_t offset, void *buf,
				  size_t len);
void body_codec_reader_free(struct body_codec_reader **r);

/* True when codec is one this build reads. */
bool body_codec_known(int codec);

#endif
