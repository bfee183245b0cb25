"""The explanation colours come from shipped copies of matplotlib's colormaps (no matplotlib import per result)."""
import numpy as np
import pytest

from nets.render.colour_scale import DIVERGING, SEQUENTIAL, apply_colormap, colourise


@pytest.mark.parametrize("name", [DIVERGING, SEQUENTIAL])
def test_shipped_colours_equal_matplotlibs(name):
    from matplotlib import colormaps
    v = np.concatenate([np.linspace(0, 1, 2001), np.random.default_rng(0).random(5000), [0.0, 0.5, 1.0]])
    assert np.allclose(apply_colormap(name, v), colormaps[name](v)[:, :3], atol=1e-12)


def test_signed_maps_are_red_for_and_blue_against():
    rgb = colourise(np.array([[-1.0, 0.0, 1.0]]), signed=True, lim=1.0)[0]
    assert rgb[2, 0] > 0.4 > rgb[2, 2]  # +: red
    assert rgb[0, 2] > 0.3 > rgb[0, 0]  # -: blue
    assert np.all(rgb[1] > 0.9)  # 0: near white


def test_a_result_does_not_import_matplotlib():
    import subprocess
    import sys
    code = ("import sys, numpy as np; from nets.render.colour_scale import colourise, colour_bar; "
            "colourise(np.zeros((4, 4)), True, 1.0); print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_morphology_and_softmax_equal_scipys():
    from scipy import ndimage, special

    from nets.transforms.binary_morphology import binary_dilation, binary_erosion
    from nets.trust.temperature_scaling import log_softmax, softmax
    rng = np.random.default_rng(0)
    for shape in ((20, 24, 18), (9, 9, 9)):
        m = rng.random(shape) > 0.4
        for x in (m, ndimage.binary_opening(m), np.ones(shape, bool)):
            for it in (1, 2, 3):
                assert np.array_equal(binary_dilation(x, it), ndimage.binary_dilation(x, iterations=it))
                assert np.array_equal(binary_erosion(x, it), ndimage.binary_erosion(x, iterations=it))
    z = rng.normal(0, 30, (50, 5))
    assert np.allclose(log_softmax(z, 1), special.log_softmax(z, axis=1), atol=1e-12, rtol=0)
    assert np.allclose(softmax(z), special.softmax(z, axis=-1), atol=1e-15)


def test_a_cached_mri_result_imports_none_of_the_slow_libraries(tmp_path):
    """The cold CLI's budget: once the demo's preprocessing is on disk, a result needs neither scipy.ndimage /
    scipy.special (preprocessing, fitting), matplotlib (figures), captum (the tests' LRP reference), sympy
    (pulled in by torch.autograd.grad with explicit output gradients) nor pydicom (nibabel's DICOM extensions)."""
    import subprocess
    import sys
    from nets.demo_volume import ensure_demo
    from nets.registry import ModelRegistry
    if not ModelRegistry().get(task="mri").trained:
        pytest.skip("no trained MRI model")
    demo = ensure_demo()
    code = (f"import sys; from nets.predictor import Predictor; Predictor(imgs_root={str(tmp_path)!r})"
            f".predict_file({str(demo)!r}); print(sorted(m for m in ('scipy.ndimage', 'scipy.special', "
            "'matplotlib', 'captum', 'sympy', 'pydicom') if m in sys.modules))")
    run = lambda: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    run()  # the first run after install preprocesses the demo (scipy.ndimage) and stores it in cache/
    assert run().strip() == "[]"
