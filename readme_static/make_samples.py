"""Make the sample inputs in readme_static/test/ from files that ship in installable packages (never ../shared).

python readme_static/make_samples.py
"""
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "readme_static" / "test"
sys.path.insert(0, str(ROOT))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    colin = Path("/usr/share/mricron/templates/ch2.nii.gz")
    if colin.exists():
        img = nib.load(str(colin))
        d = np.asarray(img.dataobj, dtype=np.uint8)[::2, ::2, ::2]  # 2 mm copy keeps the repo small
        a = img.affine @ np.diag([2, 2, 2, 1.0])
        nib.save(nib.Nifti1Image(d, a), str(OUT / "colin27_2mm.nii.gz"))
        # the same brain stored LPS-flipped: a layout test a user can try
        nib.save(nib.Nifti1Image(np.ascontiguousarray(d[::-1, ::-1]), a @ np.array(
            [[-1, 0, 0, d.shape[0] - 1], [0, -1, 0, d.shape[1] - 1], [0, 0, 1, 0], [0, 0, 0, 1.0]])),
            str(OUT / "colin27_2mm_flipped.nii.gz"))
    import data_store
    dcm = Path(data_store.__file__).parent / "data" / "RG1_UNCR.dcm"
    if dcm.exists():
        from nets.io.image_loader import load_image_array
        from PIL import Image
        arr = load_image_array(dcm.read_bytes(), size=None, mode="L")
        im = Image.fromarray(arr)
        im.thumbnail((512, 512))
        im.save(OUT / "chest_RG1_UNCR.png")
    print("\n".join(str(p.relative_to(ROOT)) for p in sorted(OUT.iterdir())))


if __name__ == "__main__":
    main()
