"""Make the sample inputs in readme_static/test/ from files that ship in installable packages (never ../shared).

python -m readme_static.make_samples
"""
from pathlib import Path

import nibabel as nib
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "readme_static" / "test"


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
    make_skin_sample(OUT / "skin_synthetic_lesion.jpg")
    print("\n".join(str(p.relative_to(ROOT)) for p in sorted(OUT.iterdir())))


def make_skin_sample(path, size=448, seed=3):
    """A dermoscopy-like photo: real skin texture (a cheek crop of matplotlib's public-domain grace_hopper.jpg),
    magnified, with a pigmented lesion drawn by this code (irregular border, reticular network, darker centre) and
    the round dark frame of a contact dermoscope. Synthetic: for trying the flow, not a real case."""
    import matplotlib
    from PIL import Image, ImageFilter
    from scipy import ndimage
    rng = np.random.default_rng(seed)
    src = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    skin = Image.open(src).convert("RGB").crop((318, 232, 340, 256)).resize((size, size), Image.BICUBIC)
    skin = np.asarray(skin.filter(ImageFilter.GaussianBlur(6)), np.float32)
    yy, xx = np.mgrid[0:size, 0:size] / size - 0.5
    texture = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), 1.5)
    skin = skin * (1 + 0.04 * texture[..., None] / texture.std())
    # lesion: radius with random low-order Fourier terms -> irregular, asymmetric border
    ang, r = np.arctan2(yy, xx), np.hypot(yy, xx)
    radius = 0.2 + sum(rng.uniform(0.004, 0.018) * np.cos(k * ang + rng.uniform(0, 2 * np.pi)) for k in range(2, 6))
    inside = 1 / (1 + np.exp((r - radius) / 0.012))
    network = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), 2)
    network = (np.sin(network / network.std() * 6) > 0.2).astype(np.float32)
    depth = np.clip(1 - r / radius, 0, 1)
    brown = np.array([120, 72, 45], np.float32)
    dark = np.array([62, 36, 28], np.float32)
    lesion = brown * (1 - depth[..., None] * 0.5) + dark * depth[..., None] * 0.5
    lesion = lesion * (1 - 0.4 * ndimage.gaussian_filter(network, 1)[..., None])
    img = skin * (1 - inside[..., None]) + lesion * inside[..., None]
    frame = 1 / (1 + np.exp((r - 0.47) / 0.015))
    img = img * frame[..., None] + 8 * (1 - frame[..., None])
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=92)


if __name__ == "__main__":
    main()
