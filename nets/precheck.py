"""Moved: nets/service/routing.py decides where an input goes (precheck is route(...).task)."""
from nets.service.routing import TASKS, precheck  # noqa: F401
