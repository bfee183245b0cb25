"""Build an out-of-distribution corpus of 2D images from files that ship inside installed packages, plus rendered
and synthetic images: `python -m nets.trust.ood_corpus OUT_DIR` (JSON index on stdout; nothing is downloaded).

Sources (all in the installed wheels, none fetched): matplotlib's sample_data (grace_hopper.jpg public domain,
logos, an MR slice `s1045.ima.gz`, elevation grids), scikit-image's bundled `skimage/data/*.png|jpg` (photos,
textures, documents, microscopy, retina, faces from `lfw_subset.npy`; BSD / public domain / CC0 as listed in
skimage/data/README.txt), pydicom's test DICOMs (CT, MR, ultrasound, an extremity radiograph, nuclear medicine;
pydicom licence), nilearn's MNI152 template cut into brain slices (MNI licence), documents / charts / screenshots
drawn with matplotlib, noise, flat images, extreme aspect ratios, tiny images.
Each item goes to split "validation" (thresholds are chosen on it) or "test" (only reported), alternating within
each category, so the test part is never seen while choosing thresholds.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def _png(a) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(a)).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _to_u8(a):
    a = np.asarray(a, np.float64)
    lo, hi = np.percentile(a, 1), np.percentile(a, 99)
    return (np.clip((a - lo) / max(hi - lo, 1e-9), 0, 1) * 255).astype(np.uint8)


def _matplotlib_items():
    import matplotlib
    d = Path(matplotlib.get_data_path()) / "sample_data"
    hop = Image.open(d / "grace_hopper.jpg")
    yield "photo", "grace_hopper_colour.jpg", (d / "grace_hopper.jpg").read_bytes()
    yield "photo", "grace_hopper_grey.png", _png(np.asarray(hop.convert("L")))
    for n in ("logo2.png", "Minduka_Present_Blue_Pack.png"):
        if (d / n).exists():
            yield "graphic", n, (d / n).read_bytes()
    if (d / "s1045.ima.gz").exists():  # 256x256 uint16 MR slice of a head
        a = np.frombuffer(gzip.open(d / "s1045.ima.gz").read(), np.uint16).reshape(256, 256)
        yield "other_modality", "mr_head_slice.png", _png(_to_u8(a))
    for n in ("topobathy.npz", "jacksboro_fault_dem.npz"):
        if (d / n).exists():
            z = np.load(d / n)
            arr = z[z.files[0]]
            yield "texture", n.replace(".npz", "_grey.png"), _png(_to_u8(arr))
            from matplotlib import colormaps
            yield "graphic", n.replace(".npz", "_terrain.png"), _png((colormaps["terrain"](_to_u8(arr) / 255)[..., :3] * 255).astype(np.uint8))


def _skimage_items():
    try:
        import skimage
    except ImportError:
        return
    d = Path(skimage.__file__).parent / "data"
    kinds = {"astronaut.png": "photo", "camera.png": "photo", "chelsea.png": "photo", "coffee.png": "photo",
             "horse.png": "graphic", "motorcycle_left.png": "photo", "rocket.jpg": "photo", "moon.png": "photo",
             "hubble_deep_field.jpg": "photo", "brick.png": "texture", "grass.png": "texture", "gravel.png": "texture",
             "chessboard_GRAY.png": "graphic", "chessboard_RGB.png": "graphic", "color.png": "graphic",
             "logo.png": "graphic", "page.png": "document", "text.png": "document", "coins.png": "photo",
             "clock_motion.png": "photo", "cell.png": "other_modality", "ihc.png": "other_modality",
             "microaneurysms.png": "other_modality", "retina.jpg": "other_modality", "phantom.png": "other_modality"}
    for n, k in kinds.items():
        if (d / n).exists():
            yield k, n, (d / n).read_bytes()
    if (d / "lfw_subset.npy").exists():  # 25x25 greyscale faces in [0, 1]
        faces = np.load(d / "lfw_subset.npy")[:12]
        for i, f in enumerate(faces):
            big = Image.fromarray((f * 255).astype(np.uint8)).resize((200, 200), Image.BICUBIC)
            yield "face", f"lfw_face_{i}.png", _png(np.asarray(big))


def _pydicom_items():
    try:
        from pydicom.data import get_testdata_file
    except ImportError:
        return
    for n, k in (("CT_small.dcm", "other_modality"), ("MR_small.dcm", "other_modality"),
                 ("US1_UNCR.dcm", "other_modality"), ("693_UNCR.dcm", "other_modality"),
                 ("MR2_UNCR.dcm", "other_modality"), ("RG3_UNCR.dcm", "other_body_part"),
                 ("MR-SIEMENS-DICOM-WithOverlays.dcm", "other_modality"), ("JPEG2000.dcm", "other_modality"),
                 ("examples_rgb_color.dcm", "other_modality"), ("color-px.dcm", "other_modality"),
                 ("mlut_18.dcm", "other_modality"), ("image_dfl.dcm", "other_modality")):
        try:
            p = get_testdata_file(n)
        except Exception:
            p = None
        if p and os.path.exists(p):
            yield k, n, Path(p).read_bytes()


def _brain_slices():
    from nilearn import datasets
    t = np.asanyarray(datasets.load_mni152_template(resolution=1).dataobj, np.float32)
    cuts = {"axial": t[:, :, 90].T[::-1], "coronal": t[:, 110, :].T[::-1], "sagittal": t[70, :, :].T[::-1],
            "axial_low": t[:, :, 50].T[::-1]}
    for name, a in cuts.items():
        yield "brain_slice", f"mni152_{name}.png", _png(_to_u8(a))


def _rendered_items():
    from matplotlib.figure import Figure
    rng = np.random.default_rng(0)

    def fig_png(draw, size=(6, 4)):
        fig = Figure(figsize=size, dpi=80)
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()

    text = ("Patient information leaflet. Please read all of this leaflet carefully before you start using this "
            "medicine because it contains important information for you. Keep this leaflet.")
    yield "document", "rendered_letter.png", fig_png(lambda f: f.text(0.05, 0.5, "\n".join(
        text[i:i + 50] for i in range(0, len(text), 50)), fontsize=11, family="serif"), (6, 8))
    yield "document", "rendered_table.png", fig_png(lambda f: f.add_subplot().table(
        cellText=[[f"{rng.integers(100)}" for _ in range(5)] for _ in range(12)], loc="center"))
    yield "graphic", "rendered_line_chart.png", fig_png(lambda f: f.add_subplot().plot(rng.normal(size=(50, 3)).cumsum(0)))
    yield "graphic", "rendered_bar_chart.png", fig_png(lambda f: f.add_subplot().bar(range(8), rng.random(8)))

    def screenshot(f):
        ax = f.add_axes([0, 0, 1, 1])
        ax.set_axis_off()
        ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle((0, 0.9), 1, 0.1, color="#3b5998"))
        for i in range(6):
            ax.text(0.05, 0.8 - i * 0.12, f"Menu item {i}: settings and preferences", fontsize=12)
    yield "screenshot", "rendered_screenshot.png", fig_png(screenshot, (8, 5))


def _synthetic_items():
    rng = np.random.default_rng(1)
    yield "noise", "noise_rgb_uniform.png", _png(rng.integers(0, 256, (224, 224, 3), dtype=np.uint8))
    yield "noise", "noise_grey_gaussian.png", _png(np.clip(rng.normal(128, 50, (224, 224)), 0, 255).astype(np.uint8))
    from scipy import ndimage
    sm = ndimage.gaussian_filter(rng.normal(size=(224, 224, 3)), (8, 8, 0))
    yield "noise", "noise_rgb_smooth.png", _png(_to_u8(sm))
    yield "noise", "noise_grey_smooth.png", _png(_to_u8(sm[..., 0]))
    yield "flat", "flat_black.png", _png(np.zeros((200, 200), np.uint8))
    yield "flat", "flat_white.png", _png(np.full((200, 200), 255, np.uint8))
    yield "flat", "flat_grey.png", _png(np.full((200, 200, 3), 128, np.uint8))
    yield "flat", "flat_skin_colour.png", _png(np.tile(np.array([205, 150, 130], np.uint8), (200, 200, 1)))
    yield "aspect", "strip_100000x1.png", _png(rng.integers(0, 256, (1, 100000), dtype=np.uint8))
    yield "aspect", "strip_20x2000_rgb.png", _png(rng.integers(0, 256, (2000, 20, 3), dtype=np.uint8))
    yield "aspect", "strip_2000x40_grey.png", _png(np.tile(np.linspace(0, 255, 2000, dtype=np.uint8), (40, 1)))
    yield "aspect", "strip_1000x150_rgb.png", _png(_to_u8(ndimage.gaussian_filter(rng.normal(size=(150, 1000, 3)), (5, 5, 0))))
    for s in (1, 2, 8, 16, 24):
        yield "tiny", f"tiny_{s}x{s}_rgb.png", _png(rng.integers(0, 256, (s, s, 3), dtype=np.uint8))


SOURCES = (_matplotlib_items, _skimage_items, _pydicom_items, _brain_slices, _rendered_items, _synthetic_items)


def corpus_items() -> list:
    """[(category, name, bytes, split)], splits alternating within each category (validation first)."""
    items, seen = [], {}
    for src in SOURCES:
        for cat, name, raw in src():
            k = seen.get(cat, 0)
            seen[cat] = k + 1
            items.append((cat, name, raw, "validation" if k % 2 == 0 else "test"))
    return items


def build_corpus(out_dir) -> list:
    out = Path(out_dir)
    index = []
    for cat, name, raw, split in corpus_items():
        p = out / split / f"{cat}__{name}"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(raw)
        index.append({"file": str(p), "category": cat, "split": split})
    return index


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m nets.trust.ood_corpus OUT_DIR")
    print(json.dumps(build_corpus(sys.argv[1]), indent=1))
