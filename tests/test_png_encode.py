"""nets/render/png_encode.py: what it writes decodes (with Pillow) to exactly the image it was given."""
import io

import numpy as np
import pytest
from PIL import Image

from nets.render.png_encode import encode_png, save_png


@pytest.mark.parametrize("mode,shape", [("RGB", (7, 5, 3)), ("L", (1, 9)), ("RGBA", (4, 3, 4)), ("RGB", (64, 33, 3))])
def test_png_decodes_to_the_same_pixels(mode, shape):
    a = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    im = Image.fromarray(a, mode)
    back = Image.open(io.BytesIO(encode_png(im)))
    assert back.mode == mode and back.size == im.size
    assert np.array_equal(np.asarray(back), a)


def test_other_modes_become_rgb_and_files_are_written(tmp_path):
    im = Image.new("P", (6, 4), 3)
    save_png(im, tmp_path / "x.png")
    back = Image.open(tmp_path / "x.png")
    assert back.mode == "RGB" and np.array_equal(np.asarray(back), np.asarray(im.convert("RGB")))
