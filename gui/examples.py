"""One-click examples, one per task, made by the project (readme_static/test/README.md gives each file's source and
licence): the demo brain (nets.demo_volume, from Colin27), a real chest radiograph (PyPI pydicom-data) and a
synthetic dermoscopy-like photo (drawn by readme_static/make_samples.py)."""
from __future__ import annotations

from nets import PROJECT_ROOT
from nets.demo_volume import ensure_demo

SAMPLES = PROJECT_ROOT / "readme_static" / "test"
EXAMPLES = {  # key -> (label key in gui.i18n, task, file name or None for demo.nii)
    "demo": ("ex_demo", "mri", None),
    "ex_chest": ("ex_chest", "chest", "chest_RG1_UNCR.png"),
    "ex_skin": ("ex_skin", "skin", "skin_synthetic_lesion.jpg"),
}


def available() -> list:
    """Example keys whose file is there (demo.nii is made on demand)."""
    return [k for k, (_, _, f) in EXAMPLES.items() if f is None or (SAMPLES / f).exists()]


def load_example(key: str) -> tuple:
    """(bytes, file name, task)."""
    _, task, fname = EXAMPLES[key]
    if fname is None:
        p = ensure_demo()
        return p.read_bytes(), "demo.nii", task
    return (SAMPLES / fname).read_bytes(), fname, task
