"""The real app with one planted bug, for the end-to-end test of the page's internal-error path: analysing a 2D
image raises, as an unexpected bug in our code would. Production code has no hook for this; the test starts this
script (python -m tests.app_with_planted_bug) instead of demo01.py (same arguments)."""
from nets.predictor import Predictor


def _planted_bug(self, *args, **kwargs):
    raise RuntimeError("planted bug (tests/app_with_planted_bug.py)")


Predictor._predict_image = _planted_bug

if __name__ == "__main__":
    import demo01
    demo01.main()
