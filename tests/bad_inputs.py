"""Generated corpus of bad MRI inputs: (name, bytes, expected error class name)."""
import gzip
import io
import struct

import nibabel as nib
import numpy as np


def nii_bytes(data, affine=None, zooms=None):
    img = nib.Nifti1Image(np.asarray(data), np.eye(4) if affine is None else affine)
    if zooms is not None:
        img.header.set_zooms(zooms)
    return img.to_bytes()


def huge_header():
    hdr = nib.Nifti1Header()
    hdr.set_data_shape((30000, 30000, 30000))
    hdr.set_data_dtype(np.float32)
    b = io.BytesIO()
    hdr.write_to(b)
    return b.getvalue() + b"\0" * 600


def qform_only_bytes(data, zooms):
    """A NIfTI-1 whose only transform is the qform (sform_code 0), with these pixdims written as given."""
    img = nib.Nifti1Image(np.asarray(data), None)
    img.header.set_qform(np.eye(4), code=1)
    img.header.set_sform(np.eye(4), code=0)
    raw = bytearray(img.to_bytes())
    raw[80:92] = struct.pack("<3f", *zooms)  # pixdim[1:4]
    return bytes(raw)


def with_extension(raw: bytes, size: int = 4096) -> bytes:
    """The same NIfTI-1 volume with one header extension of `size` bytes (content: a comment, code 6)."""
    img = nib.Nifti1Image.from_bytes(raw)
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"x" * (size - 8)))
    return img.to_bytes()


def bad_corpus():
    rng = np.random.default_rng(0)
    vol = rng.random((32, 32, 32)).astype(np.float32)
    good = nii_bytes(vol)
    nan = vol.copy(); nan[3, 4, 5] = np.nan
    inf = vol.copy(); inf[1, 1, 1] = np.inf
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 2000
    zero_pixdim = bytearray(good)
    zero_pixdim[80:84] = struct.pack("<f", 0.0)  # pixdim[1] = 0 mm
    zero_pixdim = bytes(zero_pixdim)
    two_file = bytearray(good); two_file[344:348] = b"ni1\x00"
    sform_zero = bytearray(good)
    sform_zero[280:296] = struct.pack("<4f", 0, 0, 0, 0)  # srow_x = 0: first column of the sform has length 0
    dim9 = bytearray(good); dim9[40:42] = struct.pack("<h", 9)
    return [
        ("empty", b"", "EmptyFileError"),
        ("random_bytes", rng.bytes(5000), "UnsupportedFormatError"),
        ("jpeg_renamed", jpeg, "UnsupportedFormatError"),
        ("truncated_nii", good[: len(good) // 2], "CorruptFileError"),
        ("truncated_gz", gzip.compress(good)[:3000], "CorruptFileError"),
        ("corrupt_gz", b"\x1f\x8b" + rng.bytes(3000), "CorruptFileError"),
        ("too_short", good[:100], "CorruptFileError"),
        ("two_d", nii_bytes(rng.random((64, 64)).astype(np.float32)), "WrongDimensionsError"),
        ("thin_slab", nii_bytes(rng.random((64, 64, 2)).astype(np.float32)), "WrongDimensionsError"),
        ("four_d_series", nii_bytes(rng.random((20, 20, 20, 3)).astype(np.float32)), "WrongDimensionsError"),
        ("nan_voxels", nii_bytes(nan), "NonFiniteValuesError"),
        ("inf_voxels", nii_bytes(inf), "NonFiniteValuesError"),
        ("huge_header_1kb", huge_header(), "TooManyVoxelsError"),
        ("absurd_voxel_size", nii_bytes(vol, affine=np.diag([50.0, 50.0, 50.0, 1.0])), "InvalidVoxelSizeError"),
        ("two_file_nifti", bytes(two_file), "UnsupportedFormatError"),
        ("qform_voxel_size_zero_sform_unset", qform_only_bytes(vol, (0.0, 1.0, 1.0)), "InvalidVoxelSizeError"),
        ("sform_voxel_size_zero", bytes(sform_zero), "InvalidVoxelSizeError"),
        ("dim0_is_9", bytes(dim9), "CorruptFileError"),
        ("extension_past_end_of_file", with_extension(good)[:1000], "CorruptFileError"),
        ("blank_volume", nii_bytes(np.zeros((64, 64, 64), np.float32)), "NotABrainError"),
        ("constant_volume", nii_bytes(np.full((64, 64, 64), 7, np.float32)), "NotABrainError"),
        ("noise_volume", nii_bytes(rng.random((64, 64, 64)).astype(np.float32)), "NotABrainError"),
    ]
