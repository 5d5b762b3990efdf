"""The census rules that are numbers: the size band of a small area, and defaults.

docs/domain.md: a small area is one enumerator's workload, balanced against a target
in households or persons with a tolerance; the target, minimum and maximum are
parameters, never constants. :class:`SizeBand` is that band for one run, derived
once from the run's parameters (and, with a county total of small areas, from the
county's mean), then used by the engine, the report and the review map alike.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Households per small area when nothing else is said.
DEFAULT_TARGET = 80.0

#: The band around the target when no minimum or maximum is given: +/- 20%.
DEFAULT_TOLERANCE = 0.2

#: Without villages or a census-area count, a census area holds about this many
#: small areas (docs/domain.md: about 7.5 on average in a typical county).
SMALL_AREAS_PER_CENSUS_AREA = 7.5


@dataclass(frozen=True)
class SizeBand:
    """The size a small area should have, in one measure: a target inside ``[min, max]``.

    >>> band = SizeBand("households", 80.0, 64.0, 96.0)
    >>> band.share_within([50, 64, 80, 96, 97])
    0.6
    >>> band.as_dict()
    {'measure': 'households', 'target': 80.0, 'min_size': 64.0, 'max_size': 96.0}
    """

    measure: str
    target: float
    min_size: float
    max_size: float

    def share_within(self, sizes) -> float:
        """Share of ``sizes`` inside ``[min_size, max_size]`` (1.0 for no sizes).

        This is the report's ``within_tolerance_share``: the run's own band, which
        need not be symmetric around the target.
        """
        import numpy as np  # here, not at the top: `eapart --help` needs no numpy

        sizes = np.asarray(sizes, dtype=float)
        if not len(sizes):
            return 1.0
        return float(((sizes >= self.min_size) & (sizes <= self.max_size)).mean())

    def as_dict(self) -> dict:
        """The report's ``band`` object."""
        return {"measure": self.measure, "target": self.target, "min_size": self.min_size,
                "max_size": self.max_size}
