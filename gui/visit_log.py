"""Moved to nets/service/visit_log.py (the service owns it); this name is the same module object, so existing imports
and monkeypatches keep working."""
import sys

import nets.service.visit_log as _moved

sys.modules[__name__] = _moved
