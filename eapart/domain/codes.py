"""Stable hierarchical codes and the serpentine order that numbers them.

Codes follow the 12-digit statistical division code (docs/domain.md): county (6 digits)
+ township (3) + village-level unit (3) = census area; a small area adds 3 digits
from ``001``. Numbering follows a serpentine walk from the north-west: the parent
is cut into horizontal bands from north to south, areas run west to east in odd
bands and east to west in even ones, so a person can follow the numbers on a map.
"""

from __future__ import annotations

import math

import numpy as np

COUNTY_DIGITS = 6
TOWNSHIP_DIGITS = 9
CENSUS_AREA_DIGITS = 12
SMALL_AREA_DIGITS = 15
#: Small-area numbers from 900 up are kept for virtual small areas.
MAX_SMALL_AREA_NUMBER = 899


def serpentine_order(x: np.ndarray, y: np.ndarray, per_band: int | None = None) -> np.ndarray:
    """Return the indices of points ``(x, y)`` in serpentine order from the north-west.

    Points are cut into horizontal bands of about ``per_band`` points each (default:
    the square root of their number, so bands are about as tall as they are wide in
    count), from north (largest y) to south; the first band runs west to east, the
    next east to west, and so on. Ties are broken by the other coordinate, then by
    input position, so the order is deterministic.

    >>> serpentine_order(np.array([0.0, 1, 0, 1]), np.array([1.0, 1, 0, 0]), per_band=2).tolist()
    [0, 1, 3, 2]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if per_band is None:
        per_band = max(1, math.ceil(math.sqrt(n)))
    idx = np.arange(n)
    # North first: sort by -y, then x, then input position.
    north_first = np.lexsort((idx, x, -y))
    band = np.empty(n, dtype=np.int64)
    band[north_first] = np.arange(n) // per_band
    east_key = np.where(band % 2 == 0, x, -x)
    return np.lexsort((idx, -y, east_key, band))


def format_code(prefix: str, number: int, digits: int = 3) -> str:
    """Append a zero-padded ``number`` to ``prefix``: ``format_code('110101001', 7)``."""
    if number < 0 or number >= 10**digits:
        raise ValueError(f"number {number} does not fit in {digits} digits")
    return f"{prefix}{number:0{digits}d}"


def number_in_order(
    prefix: str, x: np.ndarray, y: np.ndarray, start: int = 1, per_band: int | None = None
) -> list[str]:
    """Codes ``prefix + 001, 002, ...`` for points numbered in serpentine order.

    Returns one code per input point, in input order.
    """
    order = serpentine_order(x, y, per_band=per_band)
    codes = [""] * len(order)
    for rank, i in enumerate(order):
        codes[i] = format_code(prefix, start + rank)
    return codes


def is_code(value: object, digits: int) -> bool:
    """True when ``value`` is a string of exactly ``digits`` decimal digits."""
    return isinstance(value, str) and len(value) == digits and value.isdigit()
