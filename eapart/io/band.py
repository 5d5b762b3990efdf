"""The run's size band, read from ``report.json``, and which areas lie inside it.

A run balances small areas by one measure (households or persons) against a target
with a minimum and a maximum. The report names them ``target_<measure>``,
``min_<measure>`` and ``max_<measure>``, or holds one ``band`` object
(``{"measure", "target", "min_size", "max_size"}``, as
:meth:`eapart.domain.rules.SizeBand.as_dict` writes it); :func:`report_band` reads either, so the
pages show the band of any run. :func:`inside` is the same test as the report's
``within_tolerance_share`` (``min <= size <= max``), so the map's share of areas in the
band is the report's share exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

MEASURES = ("households", "persons")


@dataclass(frozen=True)
class Band:
    """The size measure of a run and its target, minimum and maximum (any may be unknown)."""

    measure: str = "households"
    target: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def known(self) -> bool:
        """Whether both limits are known, so areas can be told in or out of the band."""
        return self.low is not None and self.high is not None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def report_band(report: Mapping) -> Band:
    """The band of a run from its report (see the module docstring)."""
    band = report.get("band")
    if isinstance(band, Mapping):
        measure = band.get("measure")
        measure = measure if measure in MEASURES else _measure(report)
        return Band(measure, _number(band.get("target")),
                    _number(band.get("min_size", band.get("min"))),
                    _number(band.get("max_size", band.get("max"))))
    measure = _measure(report)
    params = report.get("parameters")
    sources = [report] + ([params] if isinstance(params, Mapping) else [])

    def find(kind: str) -> float | None:
        for source in sources:
            for key in (f"{kind}_{measure}", f"{kind}_size", kind):
                value = _number(source.get(key))
                if value is not None:
                    return value
        return None

    return Band(measure, find("target"), find("min"), find("max"))


def _measure(report: Mapping) -> str:
    measure = report.get("measure")
    if measure in MEASURES:
        return measure
    params = report.get("parameters")
    if isinstance(params, Mapping) and params.get("measure") in MEASURES:
        return params["measure"]
    return "households"


def inside(values: np.ndarray, band: Band) -> np.ndarray:
    """Which ``values`` lie in the band, the report's test: ``min <= value <= max``."""
    values = np.asarray(values, dtype=float)
    if not band.known:
        return np.zeros(len(values), dtype=bool)
    return (values >= band.low) & (values <= band.high)


def within_share(values: np.ndarray, band: Band) -> float | None:
    """Share of ``values`` in the band (1.0 for none, as the report counts), or ``None``."""
    values = np.asarray(values, dtype=float)
    if not band.known:
        return None
    return float(inside(values, band).mean()) if len(values) else 1.0
