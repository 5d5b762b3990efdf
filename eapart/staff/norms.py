"""Workload norms of the field staff: how much one enumerator and one supervisor take.

Published practice for China's 2020 census: one enumerator (普查员) for about 80
households or 250 persons, one supervisor (普查指导员) for every 4-5 enumerators.
The norms are parameters (``eapart assign`` options, or the ``[staff]`` table of a
run file), never constants.
"""

from __future__ import annotations

from dataclasses import dataclass

from eapart.errors import UsageError

#: What an enumerator's workload is balanced on: households, persons, or whichever
#: of the two fills first ("both").
MEASURES = ("households", "persons", "both")


@dataclass
class StaffNorms:
    """Norms for forming enumerator workloads and supervisor teams."""

    measure: str = "households"
    households_per_enumerator: float = 80.0
    persons_per_enumerator: float = 250.0
    enumerators_per_supervisor: int = 5
    tolerance: float = 0.2
    join_small_census_areas: bool = True
    seed: int = 0

    def validate(self) -> None:
        """Raise :class:`UsageError` for norms that cannot work."""
        if self.measure not in MEASURES:
            raise UsageError(f"--measure must be one of {', '.join(MEASURES)}, "
                             f"not {self.measure!r}")
        if self.measure in ("households", "both") and not self.households_per_enumerator > 0:
            raise UsageError("--households-per-enumerator must be positive, "
                             f"not {self.households_per_enumerator}")
        if self.measure in ("persons", "both") and not self.persons_per_enumerator > 0:
            raise UsageError("--persons-per-enumerator must be positive, "
                             f"not {self.persons_per_enumerator}")
        if int(self.enumerators_per_supervisor) < 1:
            raise UsageError("--enumerators-per-supervisor must be at least 1, "
                             f"not {self.enumerators_per_supervisor}")
        if not 0 < self.tolerance < 1:
            raise UsageError(f"--tolerance must lie between 0 and 1, not {self.tolerance}")

    @property
    def band(self) -> tuple[float, float]:
        """The workload band, in enumerators' worth (1 is exactly the norm)."""
        return 1.0 - self.tolerance, 1.0 + self.tolerance

    def parameters(self) -> dict:
        """The norms as written into the report."""
        return {"measure": self.measure,
                "households_per_enumerator": self.households_per_enumerator,
                "persons_per_enumerator": self.persons_per_enumerator,
                "enumerators_per_supervisor": int(self.enumerators_per_supervisor),
                "tolerance": self.tolerance,
                "join_small_census_areas": bool(self.join_small_census_areas),
                "seed": self.seed}
