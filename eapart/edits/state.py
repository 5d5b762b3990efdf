"""An earlier output, read back as the starting point of edits and re-runs.

:class:`Output` holds what edits need from ``OUT``: its layers (in the output's
CRS, codes as text), its report, the code registry and lock state
(:mod:`eapart.edits.registry`), the size band and seed the run used, and the roads,
rail and water as ranked barrier lines in the work CRS (the same lines the first
run cut along, from the copies the output keeps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj

from eapart.config import RunConfig
from eapart.domain.areas import Areas
from eapart.domain.rules import SizeBand
from eapart.edits.format import fingerprint
from eapart.edits.registry import read_registry
from eapart.io.read import prepare_barriers, work_crs_for


@dataclass
class Output:
    """An output directory read for editing (see module docstring)."""

    outdir: Path
    layers: dict[str, gpd.GeoDataFrame]
    report: dict
    registry: pd.DataFrame
    band: SizeBand
    seed: int
    work_crs: pyproj.CRS
    barriers: gpd.GeoDataFrame
    made_on: str = ""
    extras: dict = field(default_factory=dict)

    @property
    def crs(self) -> pyproj.CRS:
        """The CRS of the output's layers."""
        return self.layers["small_areas"].crs


def read_output(outdir: str | Path) -> Output:
    """Read ``outdir`` (an ``eapart run`` output) for editing."""
    areas = Areas.read(outdir)
    layers = areas.layers
    report = areas.report
    params = areas.parameters
    measure = areas.measure
    given = report.get("band") or {}
    band = SizeBand(measure=measure,
                    target=float(given.get("target") or params.get("target") or 80.0),
                    min_size=float(given.get("min_size") or report.get(f"min_{measure}") or 0),
                    max_size=float(given.get("max_size") or report.get(f"max_{measure}")
                                   or 1e18))
    work_crs = work_crs_for(layers["townships"], layers["townships"].crs)
    frames = {name: layers[name] for name in ("roads", "rail", "water") if name in layers}
    wheres = {name: f"{outdir}/eapart.gpkg:{name}" for name in frames}
    barriers, _ = prepare_barriers(frames, wheres, RunConfig(), work_crs)
    return Output(outdir=Path(outdir), layers=layers, report=report,
                  registry=read_registry(Path(outdir), layers), band=band,
                  seed=int(params.get("seed") or 0), work_crs=work_crs,
                  barriers=barriers, made_on=fingerprint(layers["buildings"]))

