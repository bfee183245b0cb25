"""2D formats beyond JPEG/PNG (TIFF, BMP, WebP), DICOM variants (no preamble, colour, several frames, NaN pixels),
broken EXIF blocks, and a volume sent to a 2D task: each read, or refused in words, never a crash or a library line."""
import io
import warnings

import numpy as np
import pytest
from PIL import Image

from nets import errors
from nets.io.image_loader import decode_image
from nets.io.routing import route


def encoded(im: Image.Image, fmt: str, **kw) -> bytes:
    b = io.BytesIO()
    im.save(b, format=fmt, **kw)
    return b.getvalue()


def dicom(arr, photometric="MONOCHROME2", frames=None, float_data=False) -> bytes:
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("x", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, generate_uid(), "CR"
    a = np.asarray(arr)
    ds.Rows, ds.Columns = (a.shape[1], a.shape[2]) if frames else a.shape[:2]
    if frames:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 3 if photometric == "RGB" else 1
    ds.PhotometricInterpretation = photometric
    if photometric == "RGB":
        ds.PlanarConfiguration = 0
    if float_data:
        ds.BitsAllocated = 32
        ds.FloatPixelData = a.astype("<f4").tobytes()
    else:
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit, ds.PixelRepresentation = 7, 0
        ds.PixelData = a.astype(np.uint8).tobytes()
    b = io.BytesIO()
    ds.save_as(b, enforce_file_format=True)
    return b.getvalue()


RGB = (np.random.default_rng(0).random((60, 80, 3)) * 255).astype(np.uint8)


@pytest.mark.parametrize("fmt,kw", [("TIFF", {}), ("BMP", {}), ("WEBP", {"lossless": True})])
def test_tiff_bmp_and_webp_decode_to_the_same_pixels(fmt, kw):
    im = decode_image(encoded(Image.fromarray(RGB), fmt, **kw))
    assert im.mode == "RGB" and np.array_equal(np.asarray(im), RGB)
    assert route(encoded(Image.fromarray(RGB), fmt, **kw)).kind == fmt.lower()


def test_a_multipage_tiff_gives_its_first_page():
    pages = [Image.fromarray(RGB), Image.fromarray(255 - RGB)]
    b = io.BytesIO()
    pages[0].save(b, format="TIFF", save_all=True, append_images=pages[1:])
    assert np.array_equal(np.asarray(decode_image(b.getvalue())), RGB)


def test_dicom_without_preamble_reads_like_with_it():
    grey = RGB[..., 0]
    full = dicom(grey)
    assert np.array_equal(np.asarray(decode_image(full[132:])), np.asarray(decode_image(full)))


def test_colour_dicom_with_several_frames_gives_its_middle_frame():
    frames = np.stack([np.full((40, 50, 3), v, np.uint8) for v in (10, 128, 250)])
    frames[1, :20] = 0  # the middle frame has a dark top half
    im = decode_image(dicom(frames, "RGB", frames=3))
    a = np.asarray(im)
    assert im.mode == "RGB" and a.shape == (40, 50, 3) and a[:20].max() < a[20:].min()
    assert decode_image(dicom(RGB, "RGB")).mode == "RGB"  # one colour frame


def test_dicom_with_nan_pixels_is_refused_without_a_numpy_warning():
    a = np.random.default_rng(1).random((40, 40)).astype(np.float32)
    a[3, 4] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(errors.NonFiniteValuesError):
            decode_image(dicom(a, float_data=True))


def test_a_broken_exif_block_leaves_the_image_as_stored_and_warns_nothing():
    raw = bytearray(encoded(Image.fromarray(RGB), "JPEG", exif=Image.Exif().tobytes() or b"Exif\0\0MM\0*\0\0\0\x08"))
    exif = b"Exif\0\0II*\0\x08\0\0\0\xff\0"  # claims 255 entries and then ends
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    broken = bytes(raw[:2]) + app1 + bytes(raw[2:])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        im = decode_image(broken)
    assert im.size == (80, 60)


def test_a_volume_sent_to_a_2d_task_is_told_so():
    from tests.bad_inputs import nii_bytes
    raw = nii_bytes(np.zeros((20, 20, 20), np.float32))
    with pytest.raises(errors.InputError, match="NIfTI volume; it cannot go to the 'chest' task"):
        route(raw, "scan.nii", task="chest")
