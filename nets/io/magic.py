"""What a file is, from its first bytes (one place for every magic number the project checks)."""
from __future__ import annotations

GZIP = b"\x1f\x8b"
JPEG = b"\xff\xd8\xff"
PNG = b"\x89PNG\r\n\x1a\n"
IMAGE_MAGIC = {JPEG: "jpeg", PNG: "png", b"II*\x00": "tiff", b"MM\x00*": "tiff", b"BM": "bmp"}
SUPPORTED_IMAGES = "JPEG, PNG, TIFF, BMP, WebP or DICOM"
NIFTI1_MAGIC = (b"n+1\x00", b"ni1\x00")  # at byte 344 of a NIfTI-1 header (single file, .hdr/.img pair)
NIFTI2_MAGIC = (b"n+2\x00", b"ni2\x00")  # at byte 4 of a NIfTI-2 header


def is_gzip(raw: bytes) -> bool:
    return raw[:2] == GZIP


def is_jpeg_or_png(raw: bytes) -> bool:
    return raw[:3] == JPEG or raw[:8] == PNG


def sniff_image_kind(raw: bytes) -> str | None:
    """'jpeg', 'png', 'tiff', 'bmp', 'webp', 'dicom' (the DICM preamble, or a bare data set that starts with the
    file-meta or identifying group) or None."""
    for magic, kind in IMAGE_MAGIC.items():
        if raw.startswith(magic):
            return kind
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "webp"
    if len(raw) > 132 and raw[128:132] == b"DICM":
        return "dicom"
    if raw[:4] in (b"\x02\x00\x00\x00", b"\x02\x00\x01\x00", b"\x08\x00\x05\x00", b"\x08\x00\x08\x00",
                   b"\x08\x00\x16\x00", b"\x08\x00\x00\x00"):
        return "dicom"  # a DICOM data set without the 128-byte preamble and "DICM" (pydicom reads it with force)
    return None


def is_volume_bytes(raw: bytes) -> bool:
    """A gzip stream (a .nii.gz) or an uncompressed single-file NIfTI-1/2 header."""
    if is_gzip(raw):
        return True
    return len(raw) >= 348 and raw[344:348] in NIFTI1_MAGIC or raw[4:8] == NIFTI2_MAGIC[0]
