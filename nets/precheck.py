"""Cheap checks of an input before it waits for compute: the NIfTI header (no data read or inflated) or the image
decode, the model name and the task. A bad file is answered in milliseconds even when the compute lanes are full;
what needs the data (NaN voxels, not-a-brain) is still checked by the predictor."""
from __future__ import annotations

from nets.errors import EmptyFileError, InputError, ModelUnavailableError, UnsupportedFormatError

TASKS = ("mri", "chest", "skin")


def precheck(raw: bytes, task: str | None = None, model: str | None = None) -> str:
    """Raise the input's typed error, or return the task it will run as ('mri', 'chest' or 'skin')."""
    from nets.model_configs import CONFIGS
    from nets.predictor import is_volume_bytes, modality_of_image
    if task is not None and task not in TASKS:
        raise InputError(f"task must be one of {', '.join(TASKS)}.")
    if model is not None:
        if model not in CONFIGS:
            raise ModelUnavailableError(f"Unknown model '{model}'. Known: {', '.join(CONFIGS)}")
        task = task or CONFIGS[model].task
    if not raw:
        raise EmptyFileError("The file is empty.")
    if task == "mri" or (task is None and is_volume_bytes(raw)):
        from nets.io.nifti_loader import check_header, parse_header
        check_header(parse_header(raw)[0])
        return "mri"
    from nets.io.image_loader import decode_image, sniff_image_kind
    kind = sniff_image_kind(raw)
    if kind is None:
        raise UnsupportedFormatError("This file is neither a NIfTI volume (.nii, .nii.gz) nor a JPEG/PNG/DICOM image.")
    img = decode_image(raw)
    if task is None:
        task = "chest" if kind == "dicom" else modality_of_image(img)
    return task
