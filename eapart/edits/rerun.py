"""Re-run on corrected inputs with ``--previous``: redraw only what changed.

Matching a fresh cut to the old codes (``--keep-codes-from``) keeps few codes where
buildings changed, because the fresh cut moves every boundary a little. Here the
previous output is the starting point instead: a building whose id, footprint,
households and persons are unchanged stays where it was; a new building joins the
old small area its footprint lies in; a removed one leaves. Only the small areas
that gained, lost or changed a building are redrawn on their cells
(:mod:`eapart.edits.recut`), keeping their codes; an area emptied of buildings is
retired. Areas pushed out of the size band are flagged, not re-cut: re-balancing
them is an edit (``split``, ``merge``, ``set_count``) a person decides.
The townships must be the same as in the previous run.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.domain.schema import HOUSEHOLDS_ESTIMATE
from eapart.edits.check import Plan, plan_edits, redraw_touched
from eapart.edits.format import read_edits
from eapart.edits.state import Output, read_output
from eapart.errors import UsageError
from eapart.io.read import Inputs


def new_buildings(inputs: Inputs, previous: Output) -> tuple[gpd.GeoDataFrame, dict]:
    """The buildings layer of the re-run, with the previous codes, and what changed.

    Returns the frame and ``{"added", "removed", "changed"}`` building-id lists.
    """
    old = previous.layers["buildings"].set_index("building_id")
    b = inputs.buildings
    placed = b["township_code"].notna().to_numpy()
    geoms = gpd.GeoSeries(inputs.building_geometry.to_numpy(), crs=inputs.input_crs)
    geoms = geoms.to_crs(previous.crs)
    frame = gpd.GeoDataFrame({
        "building_id": b["building_id"].astype(str).to_numpy(dtype=object),
        "township_code": b["township_code"].to_numpy(dtype=object),
        "census_area_code": None, "small_area_code": None,
        "households": b["households"].to_numpy(),
        "_estimated": b["households_estimated"].to_numpy(dtype=bool)
        if "households_estimated" in b else np.zeros(len(b), dtype=bool),
        "persons": b["persons"].to_numpy(),
        "type": b["type"].to_numpy(dtype=object),
        "name": b["name"].to_numpy(dtype=object),
    }, geometry=geoms.to_numpy(), crs=previous.crs)[placed].reset_index(drop=True)
    ids = frame["building_id"]
    known = ids.isin(old.index).to_numpy()
    frame.loc[known, "small_area_code"] = old.loc[ids[known], "small_area_code"].to_numpy()
    same_geom = np.zeros(len(frame), dtype=bool)
    same_geom[known] = shapely.equals_exact(frame.geometry.to_numpy()[known],
                                            old.loc[ids[known]].geometry.to_numpy(), 1e-9)
    same_values = np.zeros(len(frame), dtype=bool)
    fractional = frame["households"].to_numpy(dtype=float)
    before = old.loc[ids[known], "households"].to_numpy(dtype=float)
    if HOUSEHOLDS_ESTIMATE in old.columns:
        estimate = old.loc[ids[known], HOUSEHOLDS_ESTIMATE].to_numpy(dtype=float)
        before = np.where(np.isnan(estimate), before, estimate)
    same_values[known] = np.isclose(fractional[known], before, rtol=0, atol=1e-6)
    _whole_counts(frame, old, known & same_values, ids)
    moved_township = np.zeros(len(frame), dtype=bool)
    moved_township[known] = (frame.loc[known, "township_code"].to_numpy()
                             != old.loc[ids[known], "township_code"].to_numpy())
    frame.loc[moved_township, "small_area_code"] = None
    added = ~known | moved_township
    frame.loc[added, "small_area_code"] = _locate(frame[added], previous)
    frame["census_area_code"] = frame["small_area_code"].str[:12]
    changed = known & ~moved_township & ~(same_geom & same_values)
    removed = sorted(set(old.index) - set(ids))
    return frame, {"added": list(ids[added]), "removed": removed,
                   "changed": list(ids[changed])}


def _whole_counts(frame: gpd.GeoDataFrame, old: pd.DataFrame, unchanged: np.ndarray,
                  ids: pd.Series) -> None:
    """Households and persons as the output writes them: whole counts.

    An unchanged building keeps the whole counts it had (so its area's totals stay
    as they were); a new or changed one gets its estimate rounded, and the
    fractional estimate is kept in ``households_estimate`` as the first run does.
    """
    fractional = frame["households"].to_numpy(dtype=float)
    for column in ("households", "persons"):
        value = np.round(np.nan_to_num(frame[column].to_numpy(dtype=float)))
        value[unchanged] = old.loc[ids[unchanged], column].to_numpy(dtype=float)
        frame[column] = value.astype(np.int64)
    if HOUSEHOLDS_ESTIMATE in old.columns:
        estimated = frame.pop("_estimated").to_numpy(dtype=bool)
        at = frame.columns.get_loc("households") + 1
        frame.insert(at, HOUSEHOLDS_ESTIMATE, np.where(estimated, fractional, np.nan))
    else:
        frame.pop("_estimated")


def _locate(buildings: gpd.GeoDataFrame, previous: Output) -> np.ndarray:
    """The old small area each new building's footprint lies in (nearest in its township)."""
    sa = previous.layers["small_areas"]
    if not len(buildings):
        return np.zeros(0, dtype=object)
    points = shapely.point_on_surface(buildings.geometry.to_numpy())
    out = np.empty(len(buildings), dtype=object)
    codes = sa["small_area_code"].to_numpy()
    towns = sa["township_code"].to_numpy()
    geoms = sa.geometry.to_numpy()
    for i, (pt, tw) in enumerate(zip(points, buildings["township_code"], strict=True)):
        mine = np.flatnonzero(towns == tw)
        dist = shapely.distance(geoms[mine], pt)
        out[i] = codes[mine[int(np.argmin(dist))]]
    return out


def check_townships(inputs: Inputs, previous: Output) -> None:
    """Refuse a re-run whose townships differ from the previous output's."""
    old = set(previous.layers["townships"]["township_code"])
    new = set(inputs.townships["township_code"])
    if old != new:
        raise UsageError(
            f"--previous {previous.outdir.name}: the townships differ (only before: "
            f"{', '.join(sorted(old - new)) or 'none'}; only now: "
            f"{', '.join(sorted(new - old)) or 'none'}); townships are fixed between "
            "editions: run without --previous")


def rerun_plan(inputs: Inputs, previous_dir: Path, edits_path: Path | None) -> Plan:
    """The plan of a ``--previous`` run: input changes, then the edits file if any."""
    previous = read_output(previous_dir)
    check_townships(inputs, previous)
    frame, diff = new_buildings(inputs, previous)
    previous.extras["previous_buildings"] = previous.layers["buildings"]
    previous.extras["report"] = {
        "input_changes": {k: len(v) for k, v in diff.items()},
        "buildings_in": int(len(inputs.buildings)),
        "buildings_unassigned": int(len(inputs.unassigned)),
    }
    old = previous.layers["buildings"].set_index("building_id")["small_area_code"]
    touched: dict[str, set[str]] = {}
    changed_ids = set(diff["added"]) | set(diff["changed"])
    for bid in diff["removed"]:
        touched.setdefault(old[bid][:9], set()).add(old[bid])
    for row in frame[frame["building_id"].isin(changed_ids)].itertuples():
        touched.setdefault(row.township_code, set()).add(row.small_area_code)
        if row.building_id in old.index:
            touched.setdefault(old[row.building_id][:9], set()).add(old[row.building_id])
    previous.layers["buildings"] = frame
    previous.layers["unassigned"] = inputs.unassigned
    label_of = pd.Series(frame["small_area_code"].to_numpy(dtype=object),
                         index=frame["building_id"].to_numpy())
    plan = Plan(output=previous, label_of=label_of, touched=touched)
    if edits_path is not None:
        return plan_edits(previous, read_edits(edits_path), start=plan)
    redraw_touched(plan)
    return plan
