"""Routing, decided once per input: which task (and model) a file goes to, from its bytes, its name and what the
caller asked for. The same cheap checks run here, before the input waits for compute: the NIfTI header (no data read
or inflated) or the image decode, the model name and the task. A bad file is answered in milliseconds even when the
compute lanes are full; what needs the data (NaN voxels, not-a-brain, the input gates) is checked by the predictor."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from nets.errors import EmptyFileError, InputError, ModelUnavailableError, UnsupportedFormatError
from nets.io.magic import SUPPORTED_IMAGES, is_volume_bytes, sniff_image_kind
from nets.model_configs import CONFIGS, TASKS

VOLUME_SUFFIXES = (".nii", ".nii.gz")


@dataclass(frozen=True)
class Route:
    """Where one input goes. `auto`: nobody named the task or model, so an image whose gate refuses it may still go
    to the other 2D model (the predictor decides, with the gates). `image`: the decoded 2D image (decoded once)."""
    task: str  # "mri" | "chest" | "skin"
    model: str | None  # the model asked for; None: the task's default
    kind: str  # "nifti" | "jpeg" | "png" | "tiff" | "bmp" | "webp" | "dicom"
    auto: bool
    detected: str | None = None  # 2D: the colour check's guess ("chest" for a greyscale radiograph, else "skin")
    image: object = None  # 2D: the decoded PIL image

    def chosen(self, task: str, model: str | None = None) -> "Route":
        """The same input with a task (and model) the user picked (page): no longer automatic."""
        if (task == "mri") != (self.task == "mri"):
            raise InputError(f"A {'volume' if self.task == 'mri' else '2D image'} cannot go to the '{task}' task.")
        keep = model or (self.model if self.model and CONFIGS[self.model].task == task else None)
        check_task_and_model(task, keep)  # a model of another task never runs this one's route
        return replace(self, task=task, model=keep, auto=False)


def modality_of_image(img) -> str:
    """Greyscale radiograph -> chest; colour photo -> skin (the user can override)."""
    img = img if img.mode in ("L", "RGB") else img.convert("RGB")
    a = np.asarray(img.resize((64, 64)).convert("RGB"), dtype=np.float32)  # shrink first: converting a film is slow
    sat = (a.max(-1) - a.min(-1)).mean()
    return "chest" if sat < 12 else "skin"


def check_task_and_model(task: str | None, model: str | None) -> str | None:
    """The task the caller's task / model name imply (None: still open); a typed error for unknown ones."""
    if task is not None and task not in TASKS:
        raise InputError(f"task must be one of {', '.join(TASKS)}.")
    if model is not None:
        if model not in CONFIGS:
            raise ModelUnavailableError(f"Unknown model '{model}'. Known: {', '.join(CONFIGS)}")
        if task is not None and CONFIGS[model].task != task:
            raise InputError(f"The model '{model}' is a {CONFIGS[model].task} model, not a {task} one.")
        task = task or CONFIGS[model].task
    return task


def route(raw: bytes, filename: str = "", task: str | None = None, model: str | None = None,
          check_header: bool = True) -> Route:
    """Raise the input's typed error, or say where it goes. A name ending in .nii / .nii.gz means a volume (a renamed
    JPEG gets the NIfTI error, not a photo model); otherwise the bytes decide."""
    task = check_task_and_model(task, model)
    if not raw:
        raise EmptyFileError("The file is empty.")
    auto = task is None
    if auto and (filename or "").lower().endswith(VOLUME_SUFFIXES):
        task = "mri"
    if task == "mri" and not auto and not is_volume_bytes(raw) and sniff_image_kind(raw):
        raise UnsupportedFormatError(f"This is a 2D image ({sniff_image_kind(raw).upper()}); it cannot go to the "
                                     "'mri' task, which reads NIfTI volumes (.nii, .nii.gz).")
    if task == "mri" or (task is None and is_volume_bytes(raw)):
        if check_header:
            from nets.io.nifti_loader import check_header as check, parse_header
            check(parse_header(raw)[0])
        return Route("mri", model, "nifti", auto)
    kind = sniff_image_kind(raw)
    if kind is None and is_volume_bytes(raw):
        raise InputError(f"This is a NIfTI volume; it cannot go to the '{task}' task (volumes go to 'mri').")
    if kind is None:
        raise UnsupportedFormatError(f"This file is neither a NIfTI volume (.nii, .nii.gz) nor a {SUPPORTED_IMAGES} "
                                     "image.")
    from nets.io.image_loader import decode_image
    img = decode_image(raw)
    detected = modality_of_image(img)
    task = task or ("chest" if kind == "dicom" else detected)
    if task not in ("chest", "skin"):
        raise InputError(f"A 2D image cannot go to the '{task}' task.")
    return Route(task, model, kind, auto, detected, img)
