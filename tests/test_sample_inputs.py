"""The sample inputs in readme_static/test/ are documented and each one is routed to the task it is there for."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "readme_static" / "test"
EXPECTED_TASK = {"colin27_2mm.nii.gz": "mri", "colin27_2mm_flipped.nii.gz": "mri",
                 "chest_RG1_UNCR.png": "chest", "skin_synthetic_lesion.jpg": "skin"}


def test_every_sample_is_documented_with_source_and_licence():
    readme = (SAMPLES / "README.md").read_text()
    files = sorted(p.name for p in SAMPLES.iterdir() if p.name != "README.md")
    assert set(files) == set(EXPECTED_TASK), files
    for name in files:
        row = next(line for line in readme.splitlines() if f"`{name}`" in line)
        assert row.count("|") >= 5, row  # file | task | made from | licence


@pytest.mark.parametrize("name", sorted(EXPECTED_TASK))
def test_sample_goes_to_its_task(name, tmp_path):
    from nets.predictor import Predictor
    res = Predictor(imgs_root=tmp_path).predict_file(SAMPLES / name)
    assert res.task == EXPECTED_TASK[name]
    assert abs(float(res.probabilities.sum()) - 1) < 1e-4
    paths = [p for kind in ("raw", "heatmap", "merged") for p in (res.images[kind] if isinstance(res.images[kind], list)
                                                                  else [res.images[kind]])]
    assert paths and all(Path(p).is_file() and Path(p).is_relative_to(tmp_path) for p in paths)
