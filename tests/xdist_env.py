"""Loaded first (``-p tests.xdist_env``): each parallel test process gets its own Redis
database, so rate budgets, blocks and queues of two processes never meet.

It runs before Django reads its settings, and the servers and workers the tests start
inherit the environment. Without pytest-xdist, or without REDIS_URL, it changes nothing.
"""

from __future__ import annotations

import os
import re

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_redis_url = os.environ.get("REDIS_URL", "")
_number = re.fullmatch(r"gw(\d+)", _worker)
if _number and _redis_url:
    _base = re.search(r"/(\d+)$", _redis_url)
    _database = (int(_base.group(1)) if _base else 0) + int(_number.group(1))
    _prefix = _redis_url[: _base.start()] if _base else _redis_url.rstrip("/")
    os.environ["REDIS_URL"] = f"{_prefix}/{_database % 16}"
