"""A stored body as petrel keeps it (src/store/body-codec.h), decoded for
tests that read store.db directly: codec 0 is the body itself, codec 1 zstd
frames followed by a table of u32 stored lengths (bit 31: a raw frame) and a
16-byte trailer (u32 count, u32 frame size, u32 CRC-32 of the table,
"PZF1"). zstd through ctypes and Debian's libzstd1 (no Python module
needed). Raises ValueError on anything that does not decode to size bytes."""
import ctypes
import ctypes.util
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
    return _lib


def decode(stored, size, codec):
    """The body's size bytes from its stored bytes."""
    stored = bytes(stored)
    if codec == 0:
        return stored
    if codec != 1:
        raise ValueError("unknown codec %r" % codec)
    if len(stored) < 16 or stored[-4:] != b"PZF1":
        raise ValueError("no frame table")
    count, frame, crc = struct.unpack("<III", stored[-16:-4])
    table_at = len(stored) - 16 - 4 * count
    if count == 0 or table_at < 0 or count != (size + frame - 1) // frame:
        raise ValueError("frame count does not match the size")
    table = stored[table_at:len(stored) - 16]
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
        buf = ctypes.create_string_buffer(plain)
        got = _zstd().ZSTD_decompress(buf, plain, chunk, len(chunk))
        if _zstd().ZSTD_isError(got) or got != plain:
            raise ValueError("frame %d does not decompress" % i)
        out.append(buf.raw[:plain])
    if at != table_at:
        raise ValueError("frames do not fill the stored bytes")
    return b"".join(out)
