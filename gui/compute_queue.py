"""Moved to nets/service/compute_lanes.py (the service owns it); this name is the same module object, so existing imports
and monkeypatches keep working."""
import sys

import nets.service.compute_lanes as _moved

sys.modules[__name__] = _moved
