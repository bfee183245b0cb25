"""Read 2D images safely: JPEG/PNG/TIFF/BMP/WebP of any size and mode (a multi-page TIFF: its first page), EXIF
rotation, 16-bit PNG/TIFF, DICOM (MONOCHROME1, VOI LUT, colour, several frames: the middle one).

Limits (stated in the README): files up to MAX_IMAGE_BYTES; at most MAX_IMAGE_PIXELS pixels after decoding.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps

from nets.errors import (CorruptFileError, DecompressionBombError, EmptyFileError, FileTooLargeError,
                         NonFiniteValuesError, UnsupportedFormatError)

MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # e.g. 8000 x 5000; more is treated as a decompression bomb

from nets.io.magic import IMAGE_MAGIC, SUPPORTED_IMAGES, sniff_image_kind  # noqa: F401 (re-exported)


def _dicom_to_array(raw: bytes) -> np.ndarray:
    import pydicom
    from pydicom.pixels import apply_voi_lut
    try:
        ds = pydicom.dcmread(io.BytesIO(raw), force=True)  # force: also a data set without the Part-10 preamble
        rows, cols = int(ds.Rows), int(ds.Columns)
        if rows * cols > MAX_IMAGE_PIXELS:
            raise DecompressionBombError(f"DICOM claims {rows}x{cols} pixels, more than the limit of "
                                         f"{MAX_IMAGE_PIXELS:,}.")
        arr = ds.pixel_array.astype(np.float64)
    except DecompressionBombError:
        raise
    except Exception as e:  # pydicom raises many types for broken files
        raise CorruptFileError(f"This DICOM file cannot be decoded ({type(e).__name__}).") from None
    colour = int(getattr(ds, "SamplesPerPixel", 1) or 1) > 1
    if arr.ndim == (4 if colour else 3):  # several frames: the middle one
        arr = arr[arr.shape[0] // 2]
    if arr.ndim != (3 if colour else 2):
        raise UnsupportedFormatError(f"This DICOM holds pixel data of shape {arr.shape}; a single 2D image is needed.")
    if not np.all(np.isfinite(arr)):
        raise NonFiniteValuesError("The DICOM image contains NaN or infinite pixel values.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = apply_voi_lut(arr, ds) if not colour else arr
    except Exception:
        pass
    arr = np.asarray(arr, dtype=np.float64)
    if getattr(ds, "PhotometricInterpretation", "") == "MONOCHROME1":
        arr = arr.max() - arr
    lo, hi = np.percentile(arr, [0.5, 99.5])
    arr = np.clip((arr - lo) / max(hi - lo, 1e-6), 0, 1) * 255
    return arr.astype(np.uint8)


def _exif_upright(im: Image.Image) -> Image.Image:
    """The EXIF orientation applied; a broken EXIF block (Pillow warns or raises) leaves the image as stored."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ImageOps.exif_transpose(im)
    except Exception:
        return im


def decode_image(raw: bytes) -> Image.Image:
    """Validate and decode to a PIL image in 'L' or 'RGB' mode, EXIF orientation applied."""
    if not raw:
        raise EmptyFileError("The file is empty.")
    if len(raw) > MAX_IMAGE_BYTES:
        raise FileTooLargeError(f"The image is {len(raw) / 1e6:.1f} MB; the limit is {MAX_IMAGE_BYTES // 2**20} MB.")
    kind = sniff_image_kind(raw)
    if kind is None:
        raise UnsupportedFormatError(f"This is not a {SUPPORTED_IMAGES} image.")
    if kind == "dicom":
        return Image.fromarray(_dicom_to_array(raw))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. Pillow's "Corrupt EXIF data": the pixels are still read
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(raw))
            w, h = im.size
            if w * h > MAX_IMAGE_PIXELS:
                raise DecompressionBombError(
                    f"The image claims {w}x{h} pixels, more than the limit of {MAX_IMAGE_PIXELS:,}.")
            im.load()
    except DecompressionBombError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DecompressionBombError("The image is a decompression bomb (too many pixels).") from None
    except (OSError, SyntaxError, ValueError):
        raise CorruptFileError(f"The {kind.upper()} image is truncated or corrupt and cannot be decoded.") from None
    im = _exif_upright(im)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float64)
        lo, hi = a.min(), a.max()
        im = Image.fromarray(((a - lo) / max(hi - lo, 1) * 255).astype(np.uint8))
    elif im.mode in ("RGBA", "LA", "P", "PA"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (0, 0, 0, 255))
        im = Image.alpha_composite(bg, im).convert("RGB")
    elif im.mode not in ("L", "RGB"):
        im = im.convert("RGB")
    return im


def load_image_array(raw: bytes, size: int | None = None, mode: str = "RGB") -> np.ndarray:
    """Decode, convert to mode ('L'/'RGB') and resize to size x size (aspect not kept, like the training data)."""
    im = decode_image(raw).convert(mode)
    if size is not None:
        im = im.resize((size, size), Image.BILINEAR)
    return np.asarray(im, dtype=np.uint8)
