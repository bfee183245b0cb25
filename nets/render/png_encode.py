"""PNG files for the gallery, written with numpy and zlib: every row with PNG's "Up" filter (the difference to the
row above; one vectorised subtraction) and zlib level 1. On the MRI montage (1026 x 2880 RGB) this took 0.054 s
and 1.06 MB where Pillow's encoder (adaptive filters, compress_level=1) took 0.105 s and 1.27 MB; a result's
gallery writes 28 of them. zlib frees the GIL, so two threads encode two files at once."""
from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image

COLOUR_TYPE = {"L": 0, "RGB": 2, "RGBA": 6}  # 8 bits per sample
UP = 2  # PNG filter type


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(im: Image.Image, level: int = 1) -> bytes:
    """PNG bytes of an L, RGB or RGBA image (other modes are converted to RGB first)."""
    if im.mode not in COLOUR_TYPE:
        im = im.convert("RGB")
    a = np.asarray(im, dtype=np.uint8)
    h, w = a.shape[:2]
    rows = a.reshape(h, -1)
    raw = np.empty((h, rows.shape[1] + 1), np.uint8)
    raw[:, 0] = UP
    raw[0, 1:] = rows[0]  # the first row's "row above" is zeros
    np.subtract(rows[1:], rows[:-1], out=raw[1:, 1:])  # uint8 wraps modulo 256, as the filter defines
    header = struct.pack(">IIBBBBB", w, h, 8, COLOUR_TYPE[im.mode], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw.tobytes(), level))
            + _chunk(b"IEND", b""))


def save_png(im: Image.Image, path) -> None:
    with open(path, "wb") as f:
        f.write(encode_png(im))
