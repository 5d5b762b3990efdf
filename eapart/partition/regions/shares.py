"""Sharing a whole number of areas among parents in proportion to their weight.

Used wherever a county total is divided: census areas among townships, small areas
among townships and among census areas. Every parent gets at least ``minimum``.
"""

from __future__ import annotations

import numpy as np


def share(total: int, weights, minimum: int = 1) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``.

    Largest-remainder rounding makes the parts sum to ``total`` exactly, unless
    ``total`` is below ``minimum x len(weights)``, when every part gets ``minimum``.
    Parents with no weight get ``minimum``; ties go to the earlier parent.

    >>> share(10, [30, 10, 0, 60]).tolist()
    [3, 1, 1, 5]
    """
    w = np.asarray(weights, dtype=float)
    n = len(w)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    floor_total = minimum * n
    if total <= floor_total or w.sum() == 0:
        out = np.full(n, minimum, dtype=np.int64)
        if w.sum() == 0 and total > floor_total:
            out += (total - floor_total) // n
            out[: (total - floor_total) % n] += 1
        return out
    quota = total * w / w.sum()
    alloc = np.maximum(np.floor(quota).astype(np.int64), minimum)
    # Too many (minimums pushed some up): take back from the parts furthest above quota.
    # Ties go to the larger parent, where one area less matters least.
    bias = quota / (quota.sum() * 1e6)
    while alloc.sum() > total:
        room = np.where(alloc > minimum, alloc - quota + bias, -np.inf)
        alloc[int(np.argmax(room))] -= 1
    # Too few: give to the largest remainders.
    short = total - int(alloc.sum())
    if short > 0:
        order = np.argsort(-(quota - alloc), kind="stable")[:short]
        alloc[order] += 1
    return alloc
