"""Make nii/demo.nii from an installed package (Colin27 from Debian mricron-data, else MNI152 from nilearn).

Run: python -m nets.demo_volume   (demo01.py also calls it at start-up when the file is missing).
"""
from pathlib import Path

from nets.io.nibabel_import import nib
import numpy as np

from nets import PROJECT_ROOT
from nets.transforms.templates import COLIN27_HEAD

DEMO_PATH = PROJECT_ROOT / "nii" / "demo.nii"


def ensure_demo(path: Path = DEMO_PATH) -> Path:
    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if COLIN27_HEAD.exists():
        src = nib.load(str(COLIN27_HEAD))
        source = "Colin27 (Debian mricron-data, ch2.nii.gz)"
    else:
        from nilearn import datasets
        src = datasets.load_mni152_template(resolution=1)
        source = "MNI152 2009 template (nilearn)"
    img = nib.Nifti1Image(np.asarray(src.dataobj, dtype=np.int16 if COLIN27_HEAD.exists() else np.float32),
                          src.affine)
    img.header["descrip"] = source[:79].encode()
    tmp = path.with_suffix(".tmp.nii")
    nib.save(img, str(tmp))
    tmp.replace(path)  # atomic: concurrent starts never see half a file
    return path


if __name__ == "__main__":  # python -m nets.demo_volume: the CLI is nets/cli/demo_volume.py
    from nets.cli.demo_volume import main
    from nets.cli_contract import exit_process, run_cli
    exit_process(run_cli(main))
