"""A stored body as petrel keeps it (src/store/body-codec.h), decoded for
tests that read store.db directly: codec 0 is the body itself, codec 1 zstd
frames followed by a table of u32 stored lengths (bit 31: a raw frame) and a
16-byte trailer (u32 count, u32 frame size, u32 CRC-32 of the table,
"PZF1"), or a 20-byte one whose frames were made with one of the store's
dictionaries (u32 count, u32 frame size, u32 CRC-32, u32 dictionary id,
"PZF2"; the dicts table of store.db, src/store/store-dict.h). zstd through
ctypes and Debian's libzstd1 (no Python module needed). Raises ValueError
on anything that does not decode to size bytes."""
import ctypes
import ctypes.util
import sqlite3
import struct
import zlib

_lib = None


def _zstd():
    global _lib
    if _lib is None:
        _lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
        _lib.ZSTD_decompress.restype = ctypes.c_size_t
        _lib.ZSTD_decompress.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                         ctypes.c_char_p, ctypes.c_size_t]
        _lib.ZSTD_isError.restype = ctypes.c_uint
        _lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        _lib.ZSTD_createDCtx.restype = ctypes.c_void_p
        _lib.ZSTD_freeDCtx.argtypes = [ctypes.c_void_p]
        _lib.ZSTD_decompress_usingDict.restype = ctypes.c_size_t
        _lib.ZSTD_decompress_usingDict.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                                   ctypes.c_size_t, ctypes.c_char_p,
                                                   ctypes.c_size_t, ctypes.c_char_p,
                                                   ctypes.c_size_t]
    return _lib


def load_dicts(store_db):
    """{id: bytes} of a store.db's dictionaries ({} before schema 6)."""
    db = sqlite3.connect("file:%s?mode=ro" % store_db, uri=True)
    try:
        return dict(db.execute("SELECT id, dict FROM dicts"))
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def _decompress(chunk, plain, dictionary):
    buf = ctypes.create_string_buffer(plain)
    lib = _zstd()
    if dictionary is None:
        got = lib.ZSTD_decompress(buf, plain, chunk, len(chunk))
    else:
        dctx = lib.ZSTD_createDCtx()
        try:
            got = lib.ZSTD_decompress_usingDict(dctx, buf, plain, chunk, len(chunk),
                                                dictionary, len(dictionary))
        finally:
            lib.ZSTD_freeDCtx(dctx)
    if lib.ZSTD_isError(got) or got != plain:
        return None
    return buf.raw[:plain]


def decode(stored, size, codec, dicts=None):
    """The body's size bytes from its stored bytes; dicts: load_dicts()."""
    stored = bytes(stored)
    if codec == 0:
        return stored
    if codec != 1:
        raise ValueError("unknown codec %r" % codec)
    dictionary = None
    if len(stored) >= 20 and stored[-4:] == b"PZF2":
        count, frame, crc, dict_id = struct.unpack("<IIII", stored[-20:-4])
        trailer = 20
        dictionary = (dicts or {}).get(dict_id)
        if dictionary is None:
            raise ValueError("made with dictionary %d, which the store does not have" % dict_id)
    elif len(stored) >= 16 and stored[-4:] == b"PZF1":
        count, frame, crc = struct.unpack("<III", stored[-16:-4])
        trailer = 16
    else:
        raise ValueError("no frame table")
    table_at = len(stored) - trailer - 4 * count
    if count == 0 or table_at < 0 or count != (size + frame - 1) // frame:
        raise ValueError("frame count does not match the size")
    table = stored[table_at:len(stored) - trailer]
    if zlib.crc32(table) != crc:
        raise ValueError("frame table fails its checksum")
    out, at = [], 0
    for i, entry in enumerate(struct.unpack("<%dI" % count, table)):
        n = entry & 0x7fffffff
        plain = frame if i + 1 < count else size - frame * i
        chunk = stored[at:at + n]
        at += n
        if entry & 0x80000000:
            out.append(chunk)
            continue
        got = _decompress(chunk, plain, dictionary)
        if got is None:
            raise ValueError("frame %d does not decompress" % i)
        out.append(got)
    if at != table_at:
        raise ValueError("frames do not fill the stored bytes")
    return b"".join(out)
