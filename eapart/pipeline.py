"""The pipeline's middle: from checked inputs to one task per township, and back.

:func:`plan_tasks` cuts the county into independent :class:`TownshipTask` objects
(buildings, clipped barriers, clipped villages and each township's share of the
county's targets). :func:`assemble` gathers the :class:`TownshipResult` objects
into the contract's output layers, in the input's CRS. Both are plain functions
over GeoDataFrames so they run the same in-process, over processes or on Dask.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.config import RunConfig
from eapart.io.read import Inputs
from eapart.partition.model import PartitionParams, TownshipResult, TownshipTask
from eapart.partition.regions.shares import share

#: Without villages or a census-area count, a census area holds about this many
#: small areas (domain.md: about 7.5 on average in a typical county).
SMALL_AREAS_PER_CENSUS_AREA = 7.5


def derive_target(inputs: Inputs, cfg: RunConfig) -> str | None:
    """With a county total of small areas, the target is the county's mean size.

    ``--small-areas N`` fixes how many small areas there are, so their mean size
    is the county's households (or persons) over N, whatever the default target
    says; balance is then judged against that mean, with the tolerance around it
    unless a minimum and maximum were given. Returns a note for the report.
    """
    part = cfg.partition
    if not part.small_areas:
        return None
    placed = inputs.buildings["township_code"].notna()
    total = float(inputs.buildings.loc[placed, part.measure].sum())
    if total <= 0:
        return None
    part.target = round(total / part.small_areas, 2)
    if part.min_size is not None and part.min_size > part.target:
        part.min_size = None
    if part.max_size is not None and part.max_size < part.target:
        part.max_size = None
    return (f"target {part.measure} per small area is the county mean for "
            f"{part.small_areas} small areas: {total:,.0f} / {part.small_areas} = "
            f"{part.target:g}")


def plan_tasks(inputs: Inputs, cfg: RunConfig) -> list[TownshipTask]:
    """One task per township, in township-code order, with its share of the targets."""
    part = cfg.partition
    townships = inputs.townships.sort_values("township_code").reset_index(drop=True)
    buildings = inputs.buildings[inputs.buildings["township_code"].notna()]
    measure = buildings.groupby("township_code")[part.measure].sum()
    weights = townships["township_code"].map(measure).fillna(0).to_numpy(dtype=float)
    n_small = share(part.small_areas, weights) if part.small_areas else [None] * len(townships)
    n_census = _census_area_counts(inputs, cfg, townships, weights)
    barriers = _clip_barriers(inputs.barriers, townships)
    groups = dict(tuple(buildings.groupby("township_code", sort=False)))
    villages = dict(tuple(inputs.villages.groupby("township_code", sort=False))) \
        if inputs.villages is not None else {}
    empty = buildings.iloc[:0]
    tasks = []
    for i, row in townships.iterrows():
        code = row["township_code"]
        params = PartitionParams(
            measure=part.measure,
            target=float(part.target),
            min_size=float(part.min_value),
            max_size=float(part.max_value),
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
                ["building_id", "households", "persons", "type", "geometry"]
            ].reset_index(drop=True),
            barriers=barriers.get(i, inputs.barriers.iloc[:0]).reset_index(drop=True),
            params=params,
            villages=village_frame,
            crs=inputs.work_crs,
        ))
    return tasks


def _census_area_counts(inputs: Inputs, cfg: RunConfig, townships, weights) -> list:
    """Census areas per township when the tool forms them (None where villages are given)."""
    part = cfg.partition
    if inputs.villages is not None:
        return [None] * len(townships)
    if part.census_areas:
        return list(share(part.census_areas, weights))
    target = part.census_area_target or part.target * SMALL_AREAS_PER_CENSUS_AREA
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


def assemble(inputs: Inputs, results: list[TownshipResult]) -> dict[str, gpd.GeoDataFrame]:
    """The contract's output layers, in the input CRS, sorted by code."""
    crs = inputs.input_crs
    names = inputs.townships.set_index("township_code")["name"]
    small = pd.concat([r.small_areas for r in results], ignore_index=True)
    census = pd.concat([r.census_areas for r in results], ignore_index=True)
    small = gpd.GeoDataFrame(small, geometry="geometry", crs=inputs.work_crs)
    census = gpd.GeoDataFrame(census, geometry="geometry", crs=inputs.work_crs)
    ca_names = census.set_index("census_area_code")["name"]
    small["township_name"] = small["township_code"].map(names)
    small["census_area_name"] = small["census_area_code"].map(ca_names)
    census["township_name"] = census["township_code"].map(names)
    small = small.sort_values("small_area_code").reset_index(drop=True).to_crs(crs)
    census = census.sort_values("census_area_code").reset_index(drop=True).to_crs(crs)

    buildings = _building_layer(inputs, results)
    townships = _township_layer(inputs, buildings, census, small)
    layers = {
        "townships": townships,
        "census_areas": census,
        "small_areas": small,
        "buildings": buildings,
        "unassigned": inputs.unassigned,
    }
    layers.update(inputs.features)
    return layers


def _building_layer(inputs: Inputs, results: list[TownshipResult]) -> gpd.GeoDataFrame:
    b = inputs.buildings
    assignment = pd.concat([pd.DataFrame(r.assignment) for r in results], ignore_index=True)
    assignment = assignment.set_index("building_id")
    out = gpd.GeoDataFrame(
        {
            "building_id": b["building_id"].to_numpy(dtype=object),
            "township_code": b["township_code"].to_numpy(dtype=object),
            "census_area_code": b["building_id"].map(assignment["census_area_code"])
            .to_numpy(dtype=object),
            "small_area_code": b["building_id"].map(assignment["small_area_code"])
            .to_numpy(dtype=object),
            "households": b["households"].to_numpy(),
            "persons": b["persons"].to_numpy(),
            "type": b["type"].to_numpy(dtype=object),
            "name": b["name"].to_numpy(dtype=object),
        },
        geometry=inputs.building_geometry.array,
        crs=inputs.input_crs,
    )
    return out[out["township_code"].notna()].reset_index(drop=True)


def _township_layer(inputs: Inputs, buildings, census, small) -> gpd.GeoDataFrame:
    tw = inputs.townships
    codes = tw["township_code"]
    frame = gpd.GeoDataFrame(
        {
            "township_code": codes.to_numpy(dtype=object),
            "name": tw["name"].to_numpy(dtype=object),
            "households": codes.map(buildings.groupby("township_code")["households"].sum())
            .fillna(0).astype(np.int64).to_numpy(),
            "persons": codes.map(buildings.groupby("township_code")["persons"].sum())
            .fillna(0).to_numpy(),
            "census_areas": codes.map(census.groupby("township_code").size())
            .fillna(0).astype(np.int64).to_numpy(),
            "small_areas": codes.map(small.groupby("township_code").size())
            .fillna(0).astype(np.int64).to_numpy(),
            "buildings": codes.map(buildings.groupby("township_code").size())
            .fillna(0).astype(np.int64).to_numpy(),
        },
        geometry=inputs.township_geometry.array,
        crs=inputs.input_crs,
    )
    return frame.sort_values("township_code").reset_index(drop=True)
