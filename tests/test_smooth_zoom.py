"""The fast cubic upsampling used by the atrophy simulation gives scipy's zoom(order=3) numbers."""
import numpy as np
from scipy import ndimage

from nets.simulation.smooth_zoom import smooth_zoom


def test_smooth_zoom_equals_scipy_zoom():
    rng = np.random.default_rng(0)
    for coarse in ((4, 5, 4), (3, 4, 3), (5, 6, 5)):
        c = rng.normal(size=coarse).astype(np.float32)
        ref = ndimage.zoom(c, np.array((20, 24, 20)) / np.array(coarse), order=3)
        assert np.allclose(smooth_zoom(c, (20, 24, 20)), ref, atol=1e-6)
