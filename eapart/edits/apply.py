"""Apply a checked plan: the new layers, codes, registry and report of the next edition.

Either every line of a file applies or none does. Lines depend on each other (a
split after a move cuts the area the move made; an unlock lets a later line edit
the area), so applying only the lines that passed would give areas nobody asked
for, and a file half-applied cannot be re-applied: the output it was made on is
gone. So :func:`apply_plan` refuses a plan with any refused line, and the user
fixes the file and applies it whole.

Untouched rows are carried over as they were read: their polygons, codes and
columns come back identical. Redrawn small areas keep their code; the parts of a
re-cut take the code of the old area that holds most of both (more than half of
each), else a new code numbered after every code ever issued in their census
area (:mod:`eapart.edits.registry`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.domain.flags import flag_counts
from eapart.domain.rules import SizeBand
from eapart.domain.schema import CENSUS_AREA_CODE, SMALL_AREA_CODE, TOWNSHIP_CODE, WALK_NUMBER
from eapart.edits.check import Plan
from eapart.edits.recut import area_flags
from eapart.edits.registry import REGISTRY_LAYER, new_small_area_codes, updated_registry
from eapart.errors import InputError
from eapart.report import size_distribution
from eapart.stages.kept_codes import match_groups

#: Relative area (in the work CRS) of the symmetric difference under which a census
#: area's land is the same: what is left is the micrometre noise of redrawing.
SAME_LAND = 1e-7


def refuse_if_any(plan: Plan) -> None:
    """Raise ``InputError`` naming every refused line (nothing is applied)."""
    refused = plan.refused
    if refused:
        lines = "; ".join(f"line {v.edit.line} ({v.edit.id}): {v.refused}" for v in refused)
        raise InputError(f"{len(refused)} edit(s) refused, none applied: {lines}")


def codes_for_labels(plan: Plan) -> dict[str, str]:
    """The code of every label the redraw produced (old codes kept, parts matched)."""
    out = plan.output
    registry = out.registry
    old = out.layers["buildings"].set_index("building_id")[SMALL_AREA_CODE]
    codes: dict[str, str] = {}
    pending: dict[str, list[tuple[str, object]]] = {}
    for drawn in plan.drawn.values():
        for label, poly in drawn.polygons.items():
            if "#" not in label:
                codes[label] = label
                continue
            edit_id = label.rsplit("#", 1)[0]
            pending.setdefault(edit_id, []).append((label, poly))
    for edit_id, parts in sorted(pending.items()):
        tw = next(t for t, d in plan.drawn.items() if parts[0][0] in d.polygons)
        label_of = plan.drawn[tw].label_of
        mine = label_of[label_of.isin([p[0] for p in parts])]
        matched = match_groups(mine, old.reindex(mine.index))
        taken = set(codes.values())
        fresh = []
        for label, poly in parts:
            code = matched.get(label)
            if code is not None and code not in taken:
                codes[label] = code
                taken.add(code)
            else:
                fresh.append((label, poly))
        if fresh:
            parent = plan.job_parent[edit_id]
            xy = shapely.get_coordinates(shapely.point_on_surface([p for _, p in fresh]))
            new = new_small_area_codes(registry, parent, xy[:, 0], xy[:, 1])
            registry = pd.concat([registry, pd.DataFrame(
                {"code": new, "level": "small_area", "parent": parent})], ignore_index=True)
            codes.update({label: c for (label, _), c in zip(fresh, new, strict=True)})
    return codes


def apply_plan(plan: Plan, edition: int) -> dict:
    """The layers of the next edition, the code registry among them."""
    refuse_if_any(plan)
    out = plan.output
    layers = {k: v.copy() for k, v in out.layers.items()}
    code_of = codes_for_labels(plan)
    plan.code_of = code_of
    b = layers["buildings"]
    moved = pd.Series(dtype=object)
    for drawn in plan.drawn.values():
        moved = pd.concat([moved, drawn.label_of.map(code_of)])
    new_sa = b["building_id"].map(moved)
    keep = new_sa.isna()
    b[SMALL_AREA_CODE] = np.where(keep, b[SMALL_AREA_CODE], new_sa).astype(object)
    b[CENSUS_AREA_CODE] = b[SMALL_AREA_CODE].str[:12]
    if WALK_NUMBER in b:
        b[WALK_NUMBER] = _walk_numbers(plan, b)
    layers["buildings"] = b
    layers["small_areas"] = _small_areas(plan, layers, code_of)
    layers["census_areas"] = _census_areas(plan, layers)
    layers["townships"] = _townships(layers)
    layers[REGISTRY_LAYER] = updated_registry(out.registry, layers, edition, plan.locks)
    return layers


def _walk_numbers(plan: Plan, b: gpd.GeoDataFrame) -> pd.Series:
    """``walk_number`` of the buildings ``b``: redrawn areas walked again (every building
    of a redrawn area lies in the region redrawn), the others as they were."""
    walks = [d.walk_number for d in plan.drawn.values() if len(d.walk_number)]
    if not walks:
        return b[WALK_NUMBER]
    new = b["building_id"].map(pd.concat(walks))
    return new.fillna(b[WALK_NUMBER]).astype(b[WALK_NUMBER].dtype)


def _small_areas(plan: Plan, layers: dict, code_of: dict[str, str]) -> gpd.GeoDataFrame:
    out = plan.output
    sa = out.layers["small_areas"]
    band = out.band
    touched = set().union(*plan.touched.values()) if plan.touched else set()
    kept = sa[~sa[SMALL_AREA_CODE].isin(touched)]
    b = layers["buildings"]
    groups = b.groupby(SMALL_AREA_CODE)
    old_flags = dict(zip(sa[SMALL_AREA_CODE], sa["flags"].fillna(""), strict=True))
    ca_names = dict(zip(out.layers["census_areas"][CENSUS_AREA_CODE],
                        out.layers["census_areas"]["name"], strict=True))
    tw_names = dict(zip(out.layers["townships"][TOWNSHIP_CODE],
                        out.layers["townships"]["name"], strict=True))
    rows = []
    for tw, drawn in sorted(plan.drawn.items()):
        for label, poly in drawn.polygons.items():
            code = code_of[label]
            mine = groups.get_group(code) if code in groups.groups else b.iloc[:0]
            values = mine[band.measure].to_numpy(dtype=float)
            size = float(values.sum())
            rows.append({
                SMALL_AREA_CODE: code, CENSUS_AREA_CODE: code[:12], TOWNSHIP_CODE: tw,
                "households": int(mine["households"].sum()),
                "persons": float(np.nansum(mine["persons"].to_numpy(dtype=float))),
                "buildings": int(len(mine)),
                "flags": area_flags(size, len(mine), float(values.max(initial=0.0)), band,
                                    label in drawn.crossed, old_flags.get(code, ""),
                                    shapely.get_type_id(poly) == 3),
                "township_name": tw_names.get(tw),
                "census_area_name": ca_names.get(code[:12]),
                "geometry": poly,
            })
    new = gpd.GeoDataFrame(rows, geometry="geometry", crs=sa.crs) if rows else sa.iloc[:0]
    table = pd.concat([kept, new[sa.columns]], ignore_index=True)
    table = gpd.GeoDataFrame(table, geometry="geometry", crs=sa.crs)
    for column in ("households", "persons", "buildings"):
        table[column] = _as_dtype(table[column], sa[column].dtype)
    return table.sort_values(SMALL_AREA_CODE).reset_index(drop=True)


def _as_dtype(values: pd.Series, dtype) -> pd.Series:
    """``values`` in the column type the first run wrote (whole counts stay whole)."""
    if np.issubdtype(dtype, np.integer):
        return values.astype(float).round().astype(dtype)
    return values.astype(dtype)


def _census_areas(plan: Plan, layers: dict) -> gpd.GeoDataFrame:
    ca = plan.output.layers["census_areas"].copy()
    sa = layers["small_areas"]
    b = layers["buildings"]
    touched = {c[:12] for codes in plan.touched.values() for c in codes}
    touched |= set(sa[CENSUS_AREA_CODE]) - set(ca[CENSUS_AREA_CODE])
    ca = ca[ca[CENSUS_AREA_CODE].isin(set(sa[CENSUS_AREA_CODE]))].reset_index(drop=True)
    for i, row in ca.iterrows():
        code = row[CENSUS_AREA_CODE]
        if code not in touched:
            continue
        mine = sa[sa[CENSUS_AREA_CODE] == code]
        union = _union(mine.geometry.to_numpy())
        both = gpd.GeoSeries([row.geometry, union], crs=ca.crs).to_crs(plan.output.work_crs)
        diff = shapely.area(shapely.symmetric_difference(both.iloc[0], both.iloc[1]))
        if diff > SAME_LAND * shapely.area(both.iloc[0]):
            ca.loc[i, "geometry"] = union
        held = b[b[CENSUS_AREA_CODE] == code]
        ca.loc[i, "households"] = held["households"].sum()
        ca.loc[i, "persons"] = np.nansum(held["persons"].to_numpy(dtype=float)).astype(
            ca["persons"].dtype)
        ca.loc[i, "small_areas"] = len(mine)
        ca.loc[i, "buildings"] = len(held)
    return ca.sort_values(CENSUS_AREA_CODE).reset_index(drop=True)


def _union(geoms: np.ndarray):
    try:
        union = shapely.coverage_union_all(geoms)
        if shapely.is_valid(union) and shapely.get_type_id(union) == 3:
            return union
    except shapely.errors.GEOSException:
        pass
    union = shapely.union_all(geoms)
    if shapely.get_type_id(union) == 6 and shapely.get_num_geometries(union) == 1:
        union = shapely.get_geometry(union, 0)
    return union


def _townships(layers: dict) -> gpd.GeoDataFrame:
    tw = layers["townships"].copy()
    b, sa, ca = layers["buildings"], layers["small_areas"], layers["census_areas"]
    codes = tw[TOWNSHIP_CODE]
    tw["households"] = codes.map(b.groupby(TOWNSHIP_CODE)["households"].sum()).fillna(0) \
        .astype(tw["households"].dtype)
    tw["persons"] = _as_dtype(codes.map(b.groupby(TOWNSHIP_CODE)["persons"].sum()).fillna(0),
                              tw["persons"].dtype)
    tw["census_areas"] = codes.map(ca.groupby(TOWNSHIP_CODE).size()).fillna(0) \
        .astype(tw["census_areas"].dtype)
    tw["small_areas"] = codes.map(sa.groupby(TOWNSHIP_CODE).size()).fillna(0) \
        .astype(tw["small_areas"].dtype)
    tw["buildings"] = codes.map(b.groupby(TOWNSHIP_CODE).size()).fillna(0) \
        .astype(tw["buildings"].dtype)
    return tw


def updated_report(old: dict, layers: dict, band: SizeBand, extra: dict) -> dict:
    """The previous report with counts, balance and flags of the new layers."""
    report = dict(old)
    small = layers["small_areas"]
    measure = band.measure
    sizes = small[measure].to_numpy(dtype=float)
    report.update({
        "buildings_assigned": int(layers["buildings"][SMALL_AREA_CODE].notna().sum()),
        "census_areas": int(len(layers["census_areas"])),
        "small_areas": int(len(small)),
        "households": int(layers["buildings"]["households"].sum()),
        "within_tolerance_share": band.share_within(sizes),
        "flags": flag_counts(small["flags"].to_numpy(dtype=object)),
        "flagged_small_areas": int((small["flags"].fillna("") != "").sum()),
        "size_distribution": size_distribution(sizes, band.target),
    })
    rows = []
    for row in report.get("per_township", []):
        row = dict(row)
        tw = layers["townships"]
        me = tw[tw[TOWNSHIP_CODE] == row[TOWNSHIP_CODE]]
        mine = small[small[TOWNSHIP_CODE] == row[TOWNSHIP_CODE]]
        if len(me):
            row.update({"buildings": int(me["buildings"].iloc[0]),
                        "households": int(me["households"].iloc[0]),
                        "census_areas": int(me["census_areas"].iloc[0]),
                        "small_areas": int(me["small_areas"].iloc[0])})
        row["within_tolerance_share"] = band.share_within(mine[measure].to_numpy(dtype=float))
        row["flags"] = {k: v for k, v in flag_counts(mine["flags"].to_numpy(dtype=object))
                        .items() if v}
        rows.append(row)
    report["per_township"] = rows
    report.update(extra)
    return report
