"""The pipeline's middle: from checked inputs to one task per township, and back.

:func:`plan_tasks` cuts the county into independent :class:`TownshipTask` objects
(buildings, clipped barriers, clipped villages and each township's share of the
county's targets). :func:`assemble` gathers the :class:`TownshipResult` objects
into the contract's output layers, in the input's CRS. Both are plain functions
over GeoDataFrames so they run the same in-process, over processes or on Dask.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.config import PartitionConfig, RunConfig
from eapart.domain.areas import Areas
from eapart.domain.rules import SMALL_AREAS_PER_CENSUS_AREA, SizeBand
from eapart.domain.schema import (
    BUILDING_ID,
    CENSUS_AREA_CODE,
    HOUSEHOLDS_ESTIMATE,
    SMALL_AREA_CODE,
    TOWNSHIP_CODE,
    WALK_NUMBER,
)
from eapart.io.read import Inputs
from eapart.partition.model import PartitionParams, TownshipResult, TownshipTask
from eapart.partition.regions.shares import share
from eapart.rounding import count_column, whole_counts


def derive_band(inputs: Inputs, part: PartitionConfig) -> tuple[SizeBand, str | None]:
    """The size band of the run, and a note for the report when it was derived.

    ``--small-areas N`` fixes how many small areas there are, so their mean size
    is the county's households (or persons) over N, whatever the default target
    says; balance is then judged against that mean, with the tolerance around it
    unless a minimum and maximum were given (and still fit). ``part`` is not
    changed: the derived band is returned.
    """
    if not part.small_areas:
        return part.band(), None
    placed = inputs.buildings[TOWNSHIP_CODE].notna()
    total = float(inputs.buildings.loc[placed, part.measure].sum())
    if total <= 0:
        return part.band(), None
    target = round(total / part.small_areas, 2)
    fits = dataclasses.replace(
        part, target=target,
        min_size=part.min_size if part.min_size is not None and part.min_size <= target else None,
        max_size=part.max_size if part.max_size is not None and part.max_size >= target else None,
    )
    note = (f"target {part.measure} per small area is the county mean for "
            f"{part.small_areas} small areas: {total:,.0f} / {part.small_areas} = {target:g}")
    return fits.band(), note


def plan_tasks(inputs: Inputs, cfg: RunConfig, band: SizeBand) -> list[TownshipTask]:
    """One task per township, in township-code order, with its share of the targets."""
    part = cfg.partition
    townships = inputs.townships.sort_values(TOWNSHIP_CODE).reset_index(drop=True)
    buildings = inputs.buildings[inputs.buildings[TOWNSHIP_CODE].notna()]
    measure = buildings.groupby(TOWNSHIP_CODE)[band.measure].sum()
    weights = townships[TOWNSHIP_CODE].map(measure).fillna(0).to_numpy(dtype=float)
    n_small = share(part.small_areas, weights) if part.small_areas else [None] * len(townships)
    n_census = _census_area_counts(inputs, part, band, weights)
    barriers = _clip_barriers(inputs.barriers, townships)
    groups = dict(tuple(buildings.groupby(TOWNSHIP_CODE, sort=False)))
    villages = dict(tuple(inputs.villages.groupby(TOWNSHIP_CODE, sort=False))) \
        if inputs.villages is not None else {}
    empty = buildings.iloc[:0]
    tasks = []
    for i, row in townships.iterrows():
        code = row[TOWNSHIP_CODE]
        params = PartitionParams(
            measure=band.measure,
            target=float(band.target),
            min_size=float(band.min_size),
            max_size=float(band.max_size),
            n_small_areas=None if n_small[i] is None else int(n_small[i]),
            n_census_areas=None if n_census[i] is None else int(n_census[i]),
            census_area_target=part.census_area_target,
            allow_barrier_crossing=part.allow_barrier_crossing,
            join_isolated_below=float(part.join_isolated_below),
            institution_types=tuple(part.institution_types),
            seed=part.seed,
        )
        village_frame = None
        if inputs.villages is not None:
            village_frame = villages.get(code, inputs.villages.iloc[:0]).reset_index(drop=True)
        tasks.append(TownshipTask(
            township_code=code,
            name=row["name"],
            geometry=row.geometry,
            buildings=groups.get(code, empty)[
                [BUILDING_ID, "households", "persons", "type", "geometry"]
            ].reset_index(drop=True),
            barriers=barriers.get(i, inputs.barriers.iloc[:0]).reset_index(drop=True),
            params=params,
            villages=village_frame,
            crs=inputs.work_crs,
        ))
    return tasks


def _census_area_counts(inputs: Inputs, part: PartitionConfig, band: SizeBand, weights) -> list:
    """Census areas per township when the tool forms them (None where villages are given)."""
    if inputs.villages is not None:
        return [None] * len(weights)
    if part.census_areas:
        return list(share(part.census_areas, weights))
    target = part.census_area_target or band.target * SMALL_AREAS_PER_CENSUS_AREA
    return [max(1, int(round(w / target))) for w in weights]


def _clip_barriers(barriers: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> dict:
    """Barrier lines clipped to each township: ``{township row: GeoDataFrame}``."""
    if not len(barriers):
        return {}
    tree = shapely.STRtree(barriers.geometry.array)
    tw_idx, bar_idx = tree.query(townships.geometry.array, predicate="intersects")
    clipped = shapely.intersection(
        barriers.geometry.array[bar_idx], townships.geometry.array[tw_idx]
    )
    frame = barriers.iloc[bar_idx].copy()
    frame["geometry"] = clipped
    frame["_township"] = tw_idx
    keep = ~shapely.is_empty(clipped) & (shapely.length(clipped) > 0)
    frame = frame[keep]
    return {k: g.drop(columns="_township") for k, g in frame.groupby("_township", sort=False)}


def assemble(inputs: Inputs, results: list[TownshipResult], parameters: dict) -> Areas:
    """The contract's output layers, in the input CRS, sorted by code, as :class:`Areas`."""
    crs = inputs.input_crs
    names = inputs.townships.set_index(TOWNSHIP_CODE)["name"]
    small = pd.concat([r.small_areas for r in results], ignore_index=True)
    census = pd.concat([r.census_areas for r in results], ignore_index=True)
    small = gpd.GeoDataFrame(small, geometry="geometry", crs=inputs.work_crs)
    census = gpd.GeoDataFrame(census, geometry="geometry", crs=inputs.work_crs)
    ca_names = census.set_index(CENSUS_AREA_CODE)["name"]
    small["township_name"] = small[TOWNSHIP_CODE].map(names)
    small["census_area_name"] = small[CENSUS_AREA_CODE].map(ca_names)
    census["township_name"] = census[TOWNSHIP_CODE].map(names)
    small = small.sort_values(SMALL_AREA_CODE).reset_index(drop=True).to_crs(crs)
    census = census.sort_values(CENSUS_AREA_CODE).reset_index(drop=True).to_crs(crs)

    buildings = _building_layer(inputs, results)
    _report_whole_counts(buildings, small, census)
    townships = _township_layer(inputs, buildings, census, small)
    layers = {
        "townships": townships,
        "census_areas": census,
        "small_areas": small,
        "buildings": buildings,
        "unassigned": inputs.unassigned,
    }
    layers.update(inputs.features)
    return Areas.from_layers(layers, parameters=parameters)


def _building_layer(inputs: Inputs, results: list[TownshipResult]) -> gpd.GeoDataFrame:
    b = inputs.buildings
    assignment = pd.concat([pd.DataFrame(r.assignment) for r in results], ignore_index=True)
    where = pd.Index(assignment["building_id"]).get_indexer(b["building_id"])
    out = gpd.GeoDataFrame(
        {
            "building_id": b["building_id"].to_numpy(dtype=object),
            TOWNSHIP_CODE: b[TOWNSHIP_CODE].to_numpy(dtype=object),
            CENSUS_AREA_CODE: _taken(assignment[CENSUS_AREA_CODE], where, np.nan),
            SMALL_AREA_CODE: _taken(assignment[SMALL_AREA_CODE], where, np.nan),
            "households": b["households"].to_numpy(),
            "persons": b["persons"].to_numpy(),
            "households_estimated": b["households_estimated"].to_numpy(dtype=bool),
            "persons_estimated": b["persons_estimated"].to_numpy(dtype=bool),
            "type": b["type"].to_numpy(dtype=object),
            "name": b["name"].to_numpy(dtype=object),
            "floors": b["floors"].to_numpy(dtype=float) if "floors" in b
            else np.full(len(b), np.nan),
            WALK_NUMBER: _taken(assignment[WALK_NUMBER].fillna(0), where, 0)
            .astype(np.int64),
        },
        geometry=inputs.building_geometry.array,
        crs=inputs.input_crs,
    )
    return out[out[TOWNSHIP_CODE].notna()].reset_index(drop=True)


def _taken(values: pd.Series, where: np.ndarray, missing) -> np.ndarray:
    """``values`` at positions ``where`` as objects, ``missing`` where ``where`` is -1.

    One index lookup serves every column of the assignment (three ``Series.map`` by
    building id each looked the ids up again).
    """
    out = np.full(len(where), missing, dtype=object)
    found = where >= 0
    out[found] = values.to_numpy(dtype=object)[where[found]]
    return out


def _report_whole_counts(buildings: gpd.GeoDataFrame, small: gpd.GeoDataFrame,
                         census: gpd.GeoDataFrame) -> None:
    """Make estimated counts whole for the output, and the areas' totals their sums.

    The partition used fractional estimates; :func:`eapart.rounding.whole_counts`
    rounds them down the hierarchy by largest remainder, so every level adds up and
    the county total is the rounded county sum. ``households_estimate`` keeps the
    fractional value each building was balanced with (only when some were
    estimated). Given values are left exactly as they are.
    """
    levels = [buildings[c].to_numpy(dtype=object)
              for c in (TOWNSHIP_CODE, CENSUS_AREA_CODE, SMALL_AREA_CODE)]
    fractional = buildings["households"].to_numpy(dtype=float)
    estimated = buildings.pop("households_estimated").to_numpy(dtype=bool)
    buildings["households"] = whole_counts(fractional, estimated, levels)
    buildings["persons"] = whole_counts(buildings["persons"].to_numpy(dtype=float),
                                        buildings.pop("persons_estimated").to_numpy(dtype=bool),
                                        levels)
    if estimated.any():
        at = buildings.columns.get_loc("households") + 1
        buildings.insert(at, HOUSEHOLDS_ESTIMATE, np.where(estimated, fractional, np.nan))
    for frame, key in ((small, SMALL_AREA_CODE), (census, CENSUS_AREA_CODE)):
        for column in ("households", "persons"):
            frame[column] = count_column(frame[key].map(
                buildings.groupby(key)[column].sum()).fillna(0).to_numpy())


def _township_layer(inputs: Inputs, buildings, census, small) -> gpd.GeoDataFrame:
    tw = inputs.townships
    codes = tw[TOWNSHIP_CODE]
    frame = gpd.GeoDataFrame(
        {
            TOWNSHIP_CODE: codes.to_numpy(dtype=object),
            "name": tw["name"].to_numpy(dtype=object),
            "households": count_column(codes.map(
                buildings.groupby(TOWNSHIP_CODE)["households"].sum()).fillna(0).to_numpy()),
            "persons": count_column(codes.map(
                buildings.groupby(TOWNSHIP_CODE)["persons"].sum()).fillna(0).to_numpy()),
            "census_areas": codes.map(census.groupby(TOWNSHIP_CODE).size())
            .fillna(0).astype(np.int64).to_numpy(),
            "small_areas": codes.map(small.groupby(TOWNSHIP_CODE).size())
            .fillna(0).astype(np.int64).to_numpy(),
            "buildings": codes.map(buildings.groupby(TOWNSHIP_CODE).size())
            .fillna(0).astype(np.int64).to_numpy(),
        },
        geometry=inputs.township_geometry.array,
        crs=inputs.input_crs,
    )
    return frame.sort_values(TOWNSHIP_CODE).reset_index(drop=True)


def count_shortfalls(cfg: RunConfig, tasks: list[TownshipTask],
                     layers: dict[str, gpd.GeoDataFrame]) -> list[str]:
    """Warnings for county totals asked for (``--small-areas``, ``--census-areas``) and not met.

    Each names the number delivered and why: the townships that made fewer than
    their share, with what they hold (a small area needs a building, a census area
    a small area).
    """
    part = cfg.partition
    small = layers["small_areas"].groupby(TOWNSHIP_CODE).size()
    census = layers["census_areas"].groupby(TOWNSHIP_CODE).size()
    measure = layers["buildings"].groupby(TOWNSHIP_CODE)[part.measure].apply(
        lambda v: int((v > 0).sum()))
    warnings = []
    for option, asked_total, asked_of, made, holds in (
        ("--small-areas", part.small_areas, lambda p: p.n_small_areas, small,
         lambda code: f"{int(measure.get(code, 0))} building(s) with {part.measure}"),
        ("--census-areas", part.census_areas, lambda p: p.n_census_areas, census,
         lambda code: f"{int(small.get(code, 0))} small area(s), and a census area holds "
                      "at least one"),
    ):
        if not asked_total:
            continue
        delivered = int(made.sum())
        if delivered == asked_total:
            continue
        short = [(t.township_code, asked_of(t.params), int(made.get(t.township_code, 0)))
                 for t in tasks if asked_of(t.params) is not None]
        short = [s for s in short if s[1] != s[2]]
        shown = "; ".join(f"{code} asked {asked}, made {got} (it holds {holds(code)})"
                          for code, asked, got in short[:5])
        more = f"; and {len(short) - 5} more township(s)" if len(short) > 5 else ""
        warnings.append(
            f"{option} {asked_total}: {delivered} delivered. The townships that could not "
            f"make their share: {shown}{more}."
        )
    return warnings
