"""How many cores this process may use: the default ``--jobs`` of every pool.

The standard library only, so the command line, the forkserver and the review
maps' threads can all ask without importing anything heavy.
"""

from __future__ import annotations

import os


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
