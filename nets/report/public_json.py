"""The JSON report a user downloads: the result's JSON with every server path cut to its file name."""
from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath


def _is_path(s: str) -> bool:
    return s.startswith(("/", "~")) or PureWindowsPath(s).drive != "" or "/imgs/" in s or "/nii/" in s


def public_report(j):
    """A copy of a result's JSON (Result.to_json()) safe to hand out: no absolute or server-side paths."""
    if isinstance(j, dict):
        return {k: public_report(v) for k, v in j.items()}
    if isinstance(j, (list, tuple)):
        return [public_report(v) for v in j]
    if isinstance(j, str) and _is_path(j):
        return PurePosixPath(j.replace("\\", "/")).name
    return j
