"""Validate and load NIfTI-1/2 volumes (.nii, .nii.gz) before doing any heavy work.

The header and its extensions are parsed from the first vox_offset bytes (a .gz is decompressed only that far) and
checked against the limits below before the data are read, so a 1 KB file that claims a huge volume is rejected at
once, and a gzip stream is never inflated past the size its header announces (no decompression bombs).
nibabel's own log lines and warnings are silenced: every problem becomes one typed error with a message.
"""
from __future__ import annotations

import hashlib
import io
import math
import logging
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from nets.io.nibabel_import import nib
import numpy as np

from nets.errors import (CorruptFileError, EmptyFileError, FileTooLargeError, InvalidVoxelSizeError,
                         NonFiniteValuesError, TooManyVoxelsError, UnsupportedFormatError, WrongDimensionsError)
from nets.io.magic import NIFTI1_MAGIC, NIFTI2_MAGIC, is_gzip, is_jpeg_or_png

MAX_FILE_BYTES = 300 * 1024 * 1024  # compressed or not, as uploaded
MAX_VOXELS = 40_000_000  # e.g. 512 x 512 x 152; a 1 mm whole head is about 10 M
MIN_VOXEL_MM, MAX_VOXEL_MM = 0.1, 10.0
MIN_SIDE = 16  # fewer voxels than this along any axis is not a 3D scan

MAX_HEADER_BYTES = 32 * 1024 * 1024  # header + extensions (vox_offset); real extensions are KB, rarely MB
NIFTI1_MIN_OFFSET, NIFTI2_MIN_OFFSET = 352, 544  # header + the 4-byte extension flag

# nibabel logs header fixes to stderr through its own handler; our typed errors say the same to the user
logging.getLogger("nibabel.global").setLevel(logging.CRITICAL + 1)

@dataclass
class Volume:
    data: np.ndarray | None  # float32, 3D; None until first read when `decode` is given
    affine: np.ndarray  # 4x4 voxel -> world (mm)
    zooms: tuple
    sha256: str
    n_bytes: int
    header: dict = field(default_factory=dict)
    decode: object = field(default=None, repr=False, compare=False)  # () -> data: read when first needed

    def __post_init__(self):
        if self.data is None and self.decode is not None:
            del self.__dict__["data"]  # so that reading it goes to __getattr__ once

    def __getattr__(self, name):
        if name == "data" and self.__dict__.get("decode") is not None:
            self.__dict__["data"] = self.decode()  # errors (NaN voxels, bad data) are raised here
            return self.__dict__["data"]
        raise AttributeError(name)


def _inflate(raw: bytes, n: int) -> bytes:
    """The first n bytes of a gzip file, inflating nothing beyond them. A file may hold several gzip members one
    after another (bgzip and block-wise writers do; nibabel reads them), so the stream goes on with the next member
    where one ends; bytes after the last member that are not another member are ignored, as gzip does with padding."""
    out, data = [], raw
    try:
        while n > 0 and data[:2] == b"\x1f\x8b":
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk = d.decompress(data, n)
            out.append(chunk)
            n -= len(chunk)
            if not d.eof:
                break  # n reached, or the member is truncated (the caller sees the short length)
            data = d.unused_data
    except zlib.error:
        raise CorruptFileError("The .gz file is corrupt: it cannot be decompressed.") from None
    return b"".join(out)


def _header_class(hb: bytes, raw: bytes):
    sizeof = {int.from_bytes(hb[:4], "little"), int.from_bytes(hb[:4], "big")}
    if 348 in sizeof and hb[344:348] in NIFTI1_MAGIC:
        return nib.Nifti1Header, NIFTI1_MIN_OFFSET
    if 540 in sizeof and len(hb) >= 540 and hb[4:8] in NIFTI2_MAGIC:
        return nib.Nifti2Header, NIFTI2_MIN_OFFSET
    if is_jpeg_or_png(raw):
        raise UnsupportedFormatError("This is a JPEG/PNG image renamed as a volume, not a NIfTI file.")
    raise UnsupportedFormatError("This is not a NIfTI-1/2 file (no NIfTI header found).")


def _declared_offset(klass, hb: bytes, min_offset: int) -> int:
    """vox_offset as the header declares it (where the data start, after any extensions)."""
    try:
        bare = klass(hb[:klass.template_dtype.itemsize], check=False)
        off = float(bare["vox_offset"])
    except Exception as e:
        raise CorruptFileError(f"The NIfTI header is invalid ({e}).") from None
    if not np.isfinite(off) or off < 0:
        raise CorruptFileError(f"The NIfTI header gives an invalid data offset ({off}).")
    if off > MAX_HEADER_BYTES:
        raise FileTooLargeError(f"The header and its extensions claim {off / 2**20:.0f} MB; the limit is "
                                f"{MAX_HEADER_BYTES // 2**20} MB.")
    return max(int(off), min_offset)


def parse_header(raw: bytes):
    """Return (nibabel header with its extensions, is_gz) or raise a typed error. Reads (or inflates) only the bytes
    up to the data offset the header declares; nibabel's automatic fixes are off (check=False), so a zero voxel size
    is seen as written, not silently replaced by 1."""
    if not raw:
        raise EmptyFileError("The file is empty.")
    if len(raw) > MAX_FILE_BYTES:
        raise FileTooLargeError(f"The file is {len(raw) / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB.")
    is_gz = is_gzip(raw)
    hb = _inflate(raw, NIFTI2_MIN_OFFSET) if is_gz else raw[:NIFTI2_MIN_OFFSET]
    if len(hb) < 348:
        if is_jpeg_or_png(raw):
            raise UnsupportedFormatError("This is a JPEG/PNG image, not a NIfTI volume.")
        raise CorruptFileError("The file is too short to be a NIfTI volume (truncated or not NIfTI).")
    klass, min_offset = _header_class(hb, raw)
    if hb[344:348] == NIFTI1_MAGIC[1] or hb[4:8] == NIFTI2_MAGIC[1]:
        raise UnsupportedFormatError("This is a two-file NIfTI (.hdr/.img); please upload a single .nii or .nii.gz.")
    offset = _declared_offset(klass, hb, min_offset)
    if offset > len(hb):
        hb = _inflate(raw, offset) if is_gz else raw[:offset]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hdr = klass.from_fileobj(io.BytesIO(hb), check=False)
    except Exception as e:
        raise CorruptFileError(f"The NIfTI header or its extensions are invalid ({e}).") from None
    return hdr, is_gz


def data_offset(hdr) -> int:
    """Where the data start: vox_offset, raised to the single-file minimum as nibabel does when reading."""
    minimum = NIFTI2_MIN_OFFSET if isinstance(hdr, nib.Nifti2Header) else NIFTI1_MIN_OFFSET
    return max(int(hdr.get_data_offset()), minimum)


UNIT_MM = {"meter": 1000.0, "mm": 1.0, "micron": 0.001}  # NIfTI xyzt_units; unknown (0) is read as mm


def unit_mm(hdr) -> float:
    """Millimetres per spatial unit of the header (pixdim, qoffset and srow are all in that unit)."""
    try:
        return UNIT_MM.get(hdr.get_xyzt_units()[0], 1.0)
    except Exception:
        return 1.0


def declared_voxel_sizes(hdr) -> dict:
    """Voxel sizes (mm) of every transform the header declares: the qform (pixdim, also nibabel's fallback when
    neither code is set) and the sform (column lengths of srow_x/y/z), converted from the header's spatial unit."""
    out, mm = {}, unit_mm(hdr)
    qcode, scode = int(hdr["qform_code"]), int(hdr["sform_code"])
    if qcode > 0 or scode == 0:
        out["qform" if qcode > 0 else "pixdim"] = [float(z) * mm for z in hdr["pixdim"][1:4]]
    if scode > 0:
        srows = np.array([hdr["srow_x"], hdr["srow_y"], hdr["srow_z"]], dtype=np.float64)[:, :3]
        out["sform"] = [float(z) * mm for z in np.sqrt((srows ** 2).sum(0))]
    return out


def check_header(hdr) -> tuple:
    """Dimension, voxel-count and voxel-size checks; returns the 3D shape."""
    dim = [int(x) for x in hdr["dim"]]
    ndim = dim[0]
    if ndim < 1 or ndim > 7:
        raise CorruptFileError(f"The header gives an invalid number of dimensions ({ndim}).")
    shape = dim[1:1 + ndim]
    if any(s < 1 for s in shape):
        raise CorruptFileError(f"The header gives invalid dimensions {shape}.")
    extra = shape[3:]
    if any(s > 1 for s in extra):
        raise WrongDimensionsError(
            f"This is a {ndim}D series with {math.prod(extra):,} volumes; upload a single 3D volume.")
    sp = (shape + [1, 1, 1])[:3]
    if sum(s > 1 for s in sp) < 3 or min(sp) < MIN_SIDE:
        raise WrongDimensionsError(f"This looks like a 2D image or a thin slab (shape {tuple(sp)}); "
                                   f"a 3D brain volume with at least {MIN_SIDE} voxels along each axis is needed.")
    nvox = sp[0] * sp[1] * sp[2]  # Python ints: int64 wraps for NIfTI-2's 64-bit dimensions (2^21 x 2^21 x 2^22 -> 0)
    if nvox > MAX_VOXELS:
        raise TooManyVoxelsError(f"The header claims {sp[0]}x{sp[1]}x{sp[2]} = {nvox:,} voxels; "
                                 f"the limit is {MAX_VOXELS:,}.")
    try:
        dtype = np.dtype(hdr.get_data_dtype())
    except Exception:
        raise CorruptFileError(f"The header gives an unknown data type (code {int(hdr['datatype'])}).") from None
    if dtype.fields is not None or dtype.kind == "c":
        raise UnsupportedFormatError(f"This volume stores {'colour (RGB)' if dtype.fields else 'complex'} voxels; "
                                     "a greyscale T1-weighted volume is needed.")
    for source, zooms in declared_voxel_sizes(hdr).items():
        if not all(np.isfinite(zooms)) or any(abs(z) < MIN_VOXEL_MM or abs(z) > MAX_VOXEL_MM for z in zooms):
            raise InvalidVoxelSizeError(f"Voxel size {tuple(round(z, 4) for z in zooms)} mm (from the header's "
                                        f"{source}) is outside {MIN_VOXEL_MM}-{MAX_VOXEL_MM} mm.")
    return tuple(sp)


def load_nifti_bytes(raw: bytes, name: str = "volume") -> Volume:
    hdr, is_gz = parse_header(raw)
    shape = check_header(hdr)
    itemsize = np.dtype(hdr.get_data_dtype()).itemsize
    offset = data_offset(hdr)
    expected = offset + shape[0] * shape[1] * shape[2] * itemsize  # Python ints: no overflow
    if is_gz:
        body = _inflate(raw, expected + 1)
        if len(body) < expected:
            raise CorruptFileError(f"The volume is truncated: {len(body):,} of {expected:,} bytes present.")
    else:
        body = raw
        if len(body) < expected:
            raise CorruptFileError(f"The volume is truncated: {len(body):,} of {expected:,} bytes present.")
    try:
        klass = nib.Nifti2Image if isinstance(hdr, nib.Nifti2Header) else nib.Nifti1Image
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = klass.from_bytes(body[:expected])
        affine = img.affine * np.array([[unit_mm(hdr)]] * 3 + [[1.0]])  # world coordinates in mm
    except Exception as e:
        raise CorruptFileError(f"The volume data cannot be read ({type(e).__name__}: {e}).") from None
    if not np.all(np.isfinite(affine)) or abs(np.linalg.det(affine[:3, :3])) < 1e-6:
        raise InvalidVoxelSizeError("The orientation matrix (affine) of this volume is invalid.")
    zooms = tuple(float(z) for z in np.sqrt((affine[:3, :3] ** 2).sum(0)))
    return Volume(data=None, affine=affine, zooms=zooms, sha256=hashlib.sha256(raw).hexdigest(), n_bytes=len(raw),
                  header={"shape": list(shape), "dtype": str(hdr.get_data_dtype()),
                          "orientation": "".join(nib.aff2axcodes(affine)), "nifti": 2 if klass is nib.Nifti2Image else 1},
                  decode=lambda: _voxels(img, shape))


def _voxels(img, shape) -> np.ndarray:
    """The voxels as float32, read when first needed: a volume whose preprocessing is cached never converts them
    (0.1 s for demo.nii in a fresh process, mostly the first touch of 40 MB of new memory)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = np.asarray(img.dataobj, dtype=np.float32).reshape(shape)
    except Exception as e:
        raise CorruptFileError(f"The volume data cannot be read ({type(e).__name__}: {e}).") from None
    bad = ~np.isfinite(data)
    if bad.any():
        raise NonFiniteValuesError(f"The volume contains {int(bad.sum()):,} NaN or infinite voxels.")
    return data


def load_nifti(path) -> Volume:
    p = Path(path)
    if not p.is_file():
        raise EmptyFileError(f"No such file: {p.name}")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileTooLargeError(f"The file is {size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB.")
    return load_nifti_bytes(p.read_bytes(), p.name)
