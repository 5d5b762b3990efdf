"""An earlier output, read back as the starting point of edits and re-runs.

:class:`Output` holds what edits need from ``OUT``: its layers (in the output's
CRS, codes as text), its report, the code registry and lock state
(:mod:`eapart.edits.registry`), the balance band the run used, and the roads,
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
from eapart.edits.format import fingerprint
from eapart.edits.registry import read_registry
from eapart.io.read import prepare_barriers, work_crs_for
from eapart.io.results import read_results


@dataclass
class Band:
    """The size band of the run: measure, target, min and max, and the seed."""

    measure: str
    target: float
    low: float
    high: float
    seed: int = 0


@dataclass
class Output:
    """An output directory read for editing (see module docstring)."""

    outdir: Path
    layers: dict[str, gpd.GeoDataFrame]
    report: dict
    registry: pd.DataFrame
    band: Band
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
    results = read_results(outdir)
    layers = results.layers
    report = results.report
    params = report.get("parameters", {})
    band = Band(measure=params.get("measure", "households"),
                target=float(params.get("target") or 80.0),
                low=float(report.get(f"min_{params.get('measure', 'households')}") or 0.0),
                high=float(report.get(f"max_{params.get('measure', 'households')}") or 1e18),
                seed=int(params.get("seed") or 0))
    work_crs = work_crs_for(layers["townships"], layers["townships"].crs)
    frames = {name: layers[name] for name in ("roads", "rail", "water") if name in layers}
    wheres = {name: f"{outdir}/eapart.gpkg:{name}" for name in frames}
    barriers, _ = prepare_barriers(frames, wheres, RunConfig(), work_crs)
    return Output(outdir=Path(outdir), layers=layers, report=report,
                  registry=read_registry(Path(outdir), layers), band=band, work_crs=work_crs,
                  barriers=barriers, made_on=fingerprint(layers["buildings"]))

