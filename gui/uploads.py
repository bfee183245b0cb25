"""Moved to nets/service/upload_store.py (the service owns it); this name is the same module object, so existing imports
and monkeypatches keep working."""
import sys

import nets.service.upload_store as _moved

sys.modules[__name__] = _moved
