"""Finding the user's source line, so errors and jaxpr equations can name it."""

from __future__ import annotations

import os
import sys

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_EXAMPLES_DIR = os.path.join(_PKG_DIR, "examples")


def user_frame_summary() -> str | None:
    """``file.py:12 (fn)`` of the innermost frame outside the funcdiff package, if any."""
    f = sys._getframe(1)
    while f is not None:
        fname = f.f_code.co_filename
        # Examples shipped inside the package are user code too.
        if not fname.startswith(_PKG_DIR) or fname.startswith(_EXAMPLES_DIR):
            if not fname.startswith("<frozen"):
                return f"{fname}:{f.f_lineno} ({f.f_code.co_name})"
        f = f.f_back
    return None


def at_user_line() -> str:
    """`` (at file.py:12 (fn))`` for appending to an error message, or ``""``."""
    where = user_frame_summary()
    return f" (at {where})" if where else ""
