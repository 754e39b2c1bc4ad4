"""The IDX file format that MNIST and Fashion-MNIST ship in, read with NumPy.

An IDX file is a 4-byte magic number, one 4-byte big-endian size per dimension, then the data:

    byte 0-1   0x00 0x00
    byte 2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte 3     number of dimensions (1 for labels, 3 for images)
    then       ndim x uint32 sizes (60000, 28, 28), then prod(sizes) elements, big-endian, row-major

Files may be gzip-compressed (``.gz``). Every way a file can be wrong becomes an `IdxError` that
names the file and says what was expected.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

# element-type byte -> (numpy dtype string, bytes per element); ">" because IDX is big-endian
IDX_TYPES = {
    0x08: ("u1", 1),
    0x09: ("i1", 1),
    0x0B: (">i2", 2),
    0x0C: (">i4", 4),
    0x0D: (">f4", 4),
    0x0E: (">f8", 8),
}


class IdxError(ValueError):
    """A file that is not valid IDX (bad magic, wrong dimensions, truncated, broken gzip)."""


def read_bytes(path: str | os.PathLike) -> bytes:
    """The file's content, gunzipped when it is gzip (judged by its first two bytes, not its name)."""
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            raise IdxError(f"{path}: broken or truncated gzip data ({exc}); delete it and fetch it again") from exc
    return data


def parse_idx(data: bytes, name: str = "<bytes>", ndim: int | None = None):
    """Decode IDX bytes into a NumPy array (uint8 stays uint8). Checks magic, dims and size."""
    import numpy as np

    if len(data) < 4:
        raise IdxError(f"{name}: only {len(data)} bytes, too short to be an IDX file")
    zero, kind, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind not in IDX_TYPES:
        raise IdxError(
            f"{name}: bad magic number 0x{data[:4].hex()} (an IDX file starts with 00 00, a type byte "
            f"in {{08,09,0B,0C,0D,0E}} and the number of dimensions)"
        )
    if ndim is not None and dims != ndim:
        raise IdxError(f"{name}: has {dims} dimensions, expected {ndim}")
    header = 4 + 4 * dims
    if len(data) < header:
        raise IdxError(f"{name}: truncated header ({len(data)} bytes, need {header})")
    shape = struct.unpack(f">{dims}I", data[4:header])
    dtype, size = IDX_TYPES[kind]
    count = 1
    for n in shape:
        count *= n
    expected = header + count * size
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise IdxError(f"{name}: {what}: shape {shape} needs {expected:,} bytes, the file has {len(data):,}")
    # frombuffer shares memory with `data`; copy into a native-endian, writable array
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return array.astype(array.dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike, ndim: int | None = None):
    """Read an IDX file (raw or .gz) into a NumPy array."""
    return parse_idx(read_bytes(path), name=str(path), ndim=ndim)
