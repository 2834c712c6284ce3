"""Minimal 8-bit greyscale PNG: enough to ship image sprites to the browser without Pillow.

A browser decodes PNG natively (fast, streamed, cached), so a sprite of many small images in
one greyscale PNG is the lightest way to send pixel data to a page.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NumPy is imported only by the array helpers: the site build reads PNGs without it
    import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
GREYSCALE = 0


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def greyscale_png(pixels: bytes, width: int, height: int, level: int = 9) -> bytes:
    """PNG bytes of `height` rows of `width` 8-bit grey values, every scanline unfiltered.

    Unfiltered rows compress best here: a sprite row is one whole digit, and "Up"/"Paeth"
    filters would predict from an unrelated digit.
    """
    if not (0 < width < 2**31 and 0 < height < 2**31):
        raise ValueError(f"PNG dimensions must be positive, got {width}×{height}")
    if len(pixels) != width * height:
        raise ValueError(f"{len(pixels)} bytes is not {width}×{height} pixels")
    rows = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))  # 0 = filter None
    header = struct.pack(">IIBBBBB", width, height, 8, GREYSCALE, 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, level)) + _chunk(b"IEND", b"")


def encode_greyscale_png(pixels: np.ndarray, level: int = 9) -> bytes:
    """PNG bytes of a 2-D uint8 array (height × width)."""
    import numpy as np

    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 array, got {pixels.dtype} of shape {pixels.shape}")
    height, width = pixels.shape
    return greyscale_png(np.ascontiguousarray(pixels).tobytes(), width, height, level)


def decode_greyscale_png(data: bytes) -> np.ndarray:
    """The inverse of `encode_greyscale_png`, as a (height, width) uint8 array."""
    import numpy as np

    width, height, pixels = read_greyscale_png(data)
    return np.frombuffer(pixels, np.uint8).reshape(height, width).copy()


def read_greyscale_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, pixels) of a PNG written by `greyscale_png` (unfiltered greyscale only)."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG file")
    position, idat, size = len(SIGNATURE), b"", None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, payload = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        if zlib.crc32(kind + payload) != struct.unpack(">I", data[position + 8 + length : position + 12 + length])[0]:
            raise ValueError(f"PNG chunk {kind!r} fails its CRC")
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", payload[:10])
            if (depth, colour) != (8, GREYSCALE):
                raise ValueError(f"only 8-bit greyscale PNG is supported, got depth {depth}, colour type {colour}")
            size = (height, width)
        elif kind == b"IDAT":
            idat += payload
        position += 12 + length
    if size is None:
        raise ValueError("PNG has no IHDR chunk")
    height, width = size
    rows = zlib.decompress(idat)
    if len(rows) != height * (width + 1):
        raise ValueError(f"PNG image data holds {len(rows)} bytes, expected {height * (width + 1)}")
    if any(rows[y * (width + 1)] for y in range(height)):
        raise ValueError("filtered PNG scanlines are not supported")
    return width, height, b"".join(rows[y * (width + 1) + 1 : (y + 1) * (width + 1)] for y in range(height))
