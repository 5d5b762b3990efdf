"""The size band of small areas, as the engine scores it: ``[lo, hi]`` part weights.

Every step that balances parts (band repair, recombination, exact windows, the
boundary refinement with an absolute band, the retries of whole cuts) asks the
same questions: is a part inside the band, how far outside is it, how many parts
fit. They are answered here once, with one tolerance :data:`EPS` for weights that
land on a bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Weights this close to a bound count as on it (household counts are sums of
#: floats once estimates are fractional).
EPS = 1e-9


@dataclass(frozen=True)
class Band:
    """The accepted part weights ``[lo, hi]``, with the helpers every scorer needs."""

    lo: float
    hi: float

    @property
    def middle(self) -> float:
        """The weight half-way between ``lo`` and ``hi``."""
        return 0.5 * (self.lo + self.hi)

    def inside(self, w: np.ndarray) -> np.ndarray:
        """True where a weight lies in ``[lo, hi]``."""
        w = np.asarray(w, dtype=float)
        return (w >= self.lo - EPS) & (w <= self.hi + EPS)

    def excess(self, w: np.ndarray) -> np.ndarray:
        """Distance of a weight outside ``[lo, hi]`` (0 inside)."""
        w = np.asarray(w, dtype=float)
        return np.maximum(self.lo - w, 0.0) + np.maximum(w - self.hi, 0.0)

    def holds(self, w: float) -> bool:
        """True when one weight (a Python float) lies in ``[lo, hi]``."""
        return self.lo - EPS <= w <= self.hi + EPS

    def fits(self, total: float, k: int) -> bool:
        """True when ``total`` could make ``k`` parts inside the band."""
        least, most = self.limits(k)
        return least <= total <= most

    def limits(self, k: int = 1) -> tuple[float, float]:
        """The least and most ``k`` parts inside the band can weigh, EPS included:
        :meth:`fits` (and :meth:`holds`, ``k`` 1) as two numbers, for a caller that
        tests many totals against the same ``k``."""
        return k * self.lo - EPS, k * self.hi + EPS


def part_fit(w: np.ndarray, cells: np.ndarray, lo: float, hi: float):
    """Per part of weight ``w`` made of ``cells`` cells: inside ``[lo, hi]``, excess
    outside it, and whether it is one cell heavier than ``hi``.

    Such a part counts as inside with no excess: nothing can make it smaller.

    >>> inside, excess, heavy = part_fit(np.array([50.0, 80, 120, 130]),
    ...                                  np.array([2, 3, 1, 4]), 64, 96)
    >>> inside.tolist(), excess.tolist(), heavy.tolist()
    ([False, True, True, False], [14.0, 0.0, 0.0, 34.0], [False, False, True, False])
    """
    heavy = (cells == 1) & (w > hi)
    inside = ((w >= lo) & (w <= hi)) | heavy
    excess = (np.maximum(lo - w, 0) + np.maximum(w - hi, 0)) * ~heavy
    return inside, excess, heavy
