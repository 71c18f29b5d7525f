"""Crash points: kill the worker at a chosen moment, once, to prove a run survives it.

``MIGRATOR_CRASH_POINT="<point>:<nth>:<flag file>"`` kills the process with SIGKILL the
``nth`` time it reaches ``point`` (counted per process), unless the flag file exists; the
file is created just before, so the restarted worker carries on. ``<point>`` may name one
record, as in ``after_create@1234``. Off by default.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

from django.conf import settings

_reached: Counter[str] = Counter()


def crash_point(name: str, *, key: str = "") -> None:
    configured = settings.MIGRATOR_CRASH_POINT
    if not configured:
        return
    point, nth, flag = configured.split(":", 2)
    if point not in (name, f"{name}@{key}"):
        return
    _reached[point] += 1
    if _reached[point] != int(nth):
        return
    flag_file = Path(flag)
    if flag_file.exists():
        return
    flag_file.write_text(point)
    os.kill(os.getpid(), signal.SIGKILL)
