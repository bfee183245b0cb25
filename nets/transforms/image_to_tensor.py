"""uint8 image(s) (N,H,W,C) -> normalised float tensor (N,C,H,W) per a model's input contract."""
import numpy as np
import torch


def image_to_tensor(images: np.ndarray, input_contract: dict) -> torch.Tensor:
    a = np.asarray(images)
    if a.ndim == 2:
        a = a[None, ..., None]
    elif a.ndim == 3 and input_contract["mode"] == "L":
        a = a[..., None] if a.shape[-1] != 1 else a[None]
    elif a.ndim == 3:
        a = a[None]
    t = torch.from_numpy(np.array(a, dtype=np.uint8, copy=True)).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(input_contract["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(input_contract["std"]).view(1, -1, 1, 1)
    return (t - mean) / std
