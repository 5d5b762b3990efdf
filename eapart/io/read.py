"""Reading a county's inputs into one checked, metric, ready-to-cut bundle.

:func:`read_inputs` takes a :class:`~eapart.config.RunConfig` and returns
:class:`Inputs`: buildings with ids, households and their township; townships with
codes; villages clipped to townships; barrier lines ranked major/minor/path; all in
a metric work CRS chosen from the data. Everything that was repaired, reprojected,
numbered or left out is recorded for the report, and nothing is silently dropped:
a building outside every township goes to ``unassigned``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from eapart.config import RunConfig
from eapart.domain.codes import format_code, is_code, number_in_order
from eapart.domain.schema import (
    CENSUS_AREA_CODE,
    INPUT_LAYERS,
    REQUIRED_INPUT_LAYERS,
    TOWNSHIP_CODE,
)
from eapart.domain.vocabulary import BARRIER_LAYERS, barrier_ranks
from eapart.errors import InputError, UsageError, list_ids
from eapart.io.crs import check_coordinates, crs_label, metric_crs_for, require_crs
from eapart.io.fields import CANDIDATES, as_numbers, as_text, find_column, text_columns
from eapart.io.household_checks import plausibility_checks
from eapart.io.households import household_counts, lower_types
from eapart.io.repair import repair_polygons
from eapart.io.sources import list_layers, read_layer, require_file, split_source

DEFAULT_COUNTY_CODE = "000000"

#: Gaps between townships narrower than twice this (metres) are found even when
#: they open onto the county's edge; enclosed gaps are found whatever their size.
GAP_WIDTH = 10.0

#: Gaps smaller than this (m2) are rounding noise of shared boundaries, not gaps.
GAP_MIN_AREA = 1.0

#: Share of a village's area below which a piece in another township is a sliver.
VILLAGE_SLIVER_SHARE = 0.01


@dataclass
class Inputs:
    """Checked inputs in the work CRS, ready for the partition engine.

    ``buildings`` keeps every input row in input order (index 0..n-1) with
    ``building_id``, ``households``, ``persons``, ``type``, ``name`` and
    ``township_code`` (None where the building lies outside every township).
    ``features`` holds the roads, rail and water layers as read (input CRS), for
    the output file and the printed sheets; ``building_geometry`` and
    ``township_geometry`` keep the (repaired) input geometries in the input CRS, so
    that outputs carry them unchanged rather than reprojected twice.
    """

    buildings: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame | None
    barriers: gpd.GeoDataFrame
    county: object
    input_crs: pyproj.CRS
    work_crs: pyproj.CRS
    features: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    unassigned: gpd.GeoDataFrame | None = None
    building_geometry: gpd.GeoSeries | None = None
    township_geometry: gpd.GeoSeries | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    households_method: dict = field(default_factory=dict)


def resolve_sources(cfg: RunConfig) -> dict[str, tuple[Path, str | None]]:
    """Where each contract layer comes from: ``{layer: (file, layer name or None)}``.

    Layers named in ``cfg.layers`` come from their own file (``FILE`` or
    ``FILE:LAYER``); the rest from the input GeoPackage when it has them.
    """
    sources: dict[str, tuple[Path, str | None]] = {}
    available: list[str] = []
    if cfg.input is not None:
        path = Path(cfg.input)
        require_file(path)
        available = list_layers(path)
    for layer in INPUT_LAYERS:
        if layer in cfg.layers:
            sources[layer] = split_source(cfg.layers[layer])
        elif layer in available:
            sources[layer] = (Path(cfg.input), layer)
    if cfg.input is None and not cfg.layers:
        raise UsageError("give an input GeoPackage, or --buildings and --townships files")
    for layer in REQUIRED_INPUT_LAYERS:
        if layer not in sources:
            where = f"{Path(cfg.input).name} (layers: {', '.join(available) or 'none'})" \
                if cfg.input is not None else "the options"
            raise InputError(
                f"no '{layer}' layer in {where}. Name it with --{layer} FILE[:LAYER] "
                f"or [input.layers] {layer} = \"...\" in the config file."
            )
    return sources


def read_inputs(cfg: RunConfig) -> Inputs:
    """Read, check and prepare every input layer of a run (see module docstring)."""
    sources = resolve_sources(cfg)
    frames: dict[str, gpd.GeoDataFrame] = {}
    wheres: dict[str, str] = {}
    cols = cfg.columns
    for layer, (path, layer_name) in sources.items():
        wheres[layer] = f"{path.name}" + (f" layer '{layer_name}'" if layer_name else "") \
            + f" ({layer})"
        frames[layer] = read_layer(
            path, layer_name, encoding=cfg.encoding, csv_crs=cfg.csv_crs,
            csv_columns=(cols.csv_x, cols.csv_y, cols.csv_wkt),
        )
    return prepare_inputs(frames, cfg, wheres)


def prepare_inputs(frames: dict[str, gpd.GeoDataFrame], cfg: RunConfig,
                   wheres: dict[str, str] | None = None) -> Inputs:
    """Check and prepare input layers already in memory (contract names as keys).

    ``wheres`` names each layer's source in messages; by default the layer's name
    (``buildings (GeoDataFrame)``), as for frames given to :func:`eapart.partition`.
    """
    missing = [layer for layer in REQUIRED_INPUT_LAYERS if frames.get(layer) is None]
    if missing:
        raise UsageError(f"give the {' and '.join(missing)} layer(s): they are required")
    frames = {layer: frame for layer, frame in frames.items() if frame is not None}
    wheres = wheres or {layer: f"{layer} (GeoDataFrame)" for layer in frames}
    notes: list[str] = []
    warnings: list[str] = []
    input_crs = require_crs(frames["buildings"].crs, wheres["buildings"])
    for layer, frame in frames.items():
        crs = require_crs(frame.crs, wheres[layer])
        if len(frame):
            check_coordinates(frame.geometry.array, crs, wheres[layer],
                              partial(_feature_labels, frame, layer, cfg, wheres[layer]))
        if not crs.equals(input_crs):
            frames[layer] = frame.to_crs(input_crs)
            notes.append(
                f"{wheres[layer]} was in {crs_label(crs)}; reprojected to the buildings' "
                f"{crs_label(input_crs)}"
            )
    for layer in ("buildings", "townships"):
        if len(frames[layer]) == 0:
            raise InputError(f"{wheres[layer]} is empty: it needs at least one feature")

    work_crs = work_crs_for(frames["townships"], input_crs)
    stats: dict = {"layers": {k: len(v) for k, v in frames.items()}, "repaired": {}}

    townships = _prepare_townships(frames["townships"], wheres["townships"], cfg, warnings, stats)
    buildings = _prepare_buildings(frames["buildings"], wheres["buildings"], cfg, warnings,
                                   stats)
    work = {
        "buildings": buildings.to_crs(work_crs),
        "townships": townships.to_crs(work_crs),
    }
    _check_overlaps(work["townships"], TOWNSHIP_CODE, wheres["townships"])
    _report_gaps(work["townships"], wheres["townships"], warnings, stats)
    county = _county(frames.get("county"), wheres.get("county"), work, work_crs, warnings)

    assigned = _assign_townships(work["buildings"], work["townships"])
    work["buildings"][TOWNSHIP_CODE] = assigned
    outside = assigned.isna().to_numpy()
    _check_placed(buildings, work["townships"], outside, wheres, cfg.min_placed_share)
    unassigned = buildings.loc[outside, ["building_id", buildings.geometry.name]].copy()
    unassigned.insert(1, "reason", "outside every township")
    if outside.any():
        warnings.append(
            f"{int(outside.sum())} building(s) lie outside every township and are not in any "
            "small area; they are in the 'unassigned' layer: ids "
            f"{list_ids(unassigned.building_id)}"
        )

    villages = None
    if "villages" in frames and len(frames["villages"]):
        villages = _prepare_villages(
            frames["villages"].to_crs(work_crs), wheres["villages"], cfg, work["townships"],
            notes, warnings, stats,
        )
    barriers, features = prepare_barriers(frames, wheres, cfg, work_crs)

    hh = _households(frames["buildings"], work["buildings"], work["townships"], cfg, wheres)
    work["buildings"]["households"] = hh.households
    work["buildings"]["persons"] = hh.persons
    work["buildings"]["floors"] = hh.floors
    work["buildings"]["households_estimated"] = hh.estimated_households
    work["buildings"]["persons_estimated"] = hh.estimated_persons
    figures, checks = plausibility_checks(work["buildings"], work["townships"], hh.method)
    stats["households_by_township"] = figures
    warnings.extend(checks)
    return Inputs(
        buildings=work["buildings"],
        townships=work["townships"],
        villages=villages,
        barriers=barriers,
        county=county,
        input_crs=input_crs,
        work_crs=work_crs,
        features=features,
        unassigned=unassigned.reset_index(drop=True),
        building_geometry=buildings.geometry,
        township_geometry=townships.geometry,
        notes=notes,
        warnings=warnings,
        stats=stats,
        households_method=hh.method,
    )


def _check_placed(buildings: gpd.GeoDataFrame, townships: gpd.GeoDataFrame,
                  outside: np.ndarray, wheres: dict[str, str], min_share: float) -> None:
    """Refuse a run that would place (almost) no building: the answer would be wrong.

    When the buildings would fall inside the townships with x and y exchanged (a CSV
    with longitude and latitude swapped, say), the message says so.
    """
    n = len(outside)
    placed = n - int(outside.sum())
    if placed > 0 and placed >= min_share * n:
        return
    points = shapely.point_on_surface(buildings.geometry.array)
    swapped = gpd.GeoSeries(shapely.points(shapely.get_y(points), shapely.get_x(points)),
                            crs=buildings.crs)
    with np.errstate(all="ignore"):
        swapped = swapped.to_crs(townships.crs)
    union = shapely.union_all(townships.geometry.array)
    inside_swapped = int(np.sum(shapely.intersects(swapped.array, union)))
    hint = ("Check that the buildings and townships are in the same place and CRS.")
    if inside_swapped > placed:
        hint = (f"With x and y exchanged, {inside_swapped:,} of them would fall inside: the "
                "axes look swapped (longitude and latitude, or x and y, in the wrong columns). "
                "Map them with --column csv_x=... --column csv_y=..., or fix the file.")
    threshold = "" if placed == 0 else (
        f", under the {min_share:.0%} needed (--min-placed-share)")
    raise InputError(
        f"{wheres['buildings']}: only {placed:,} of {n:,} buildings lie inside a township of "
        f"{wheres['townships']}{threshold}; nothing useful can be cut. {hint}"
    )


def _feature_labels(frame: gpd.GeoDataFrame, layer: str, cfg: RunConfig, where: str):
    """How messages name each feature of a layer: the building id, else its row number."""
    rows = np.array([f"row {i + 1}" for i in range(len(frame))], dtype=object)
    if layer != "buildings":
        return rows
    id_col = find_column(frame, "building_id", cfg.columns.building_id, where)
    if id_col is None:
        return rows
    ids = as_text(frame[id_col]).to_numpy(dtype=object)
    return np.where(pd.isna(ids), rows, ids)


def work_crs_for(townships: gpd.GeoDataFrame, crs: pyproj.CRS) -> pyproj.CRS:
    minx, miny, maxx, maxy = townships.total_bounds
    x, y = (minx + maxx) / 2, (miny + maxy) / 2
    if not crs.is_geographic:
        to_geo = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        x, y = to_geo.transform(x, y)
    return metric_crs_for(crs, x, y)


# --- buildings -----------------------------------------------------------------------

def _prepare_buildings(frame: gpd.GeoDataFrame, where: str, cfg: RunConfig,
                       warnings: list[str], stats: dict):
    cols = cfg.columns
    id_col = find_column(frame, "building_id", cols.building_id, where)
    if id_col is None:
        ids = pd.Series([str(i + 1) for i in range(len(frame))], dtype=object)
        stats["building_id"] = "row number (no id column found)"
    else:
        ids = as_text(frame[id_col]).reset_index(drop=True)
        stats["building_id"] = f"column '{id_col}'"
        missing = ids.isna() | (ids == "")
        if missing.any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(missing.to_numpy())[:20])
            raise InputError(
                f"{where}: column '{id_col}' is empty in row(s) {rows}. Every building needs "
                "an id: fill them in (or map another id column), then run again."
            )
        dup = ids[ids.duplicated(keep=False)]
        if len(dup):
            raise InputError(
                f"{where}: building ids in column '{id_col}' must be unique; these appear "
                "more than once: "
                f"{list_ids(sorted(set(dup)))}. Make them unique, then run again."
            )
    repaired, count = repair_polygons(frame, ids, where, allow_points=True)
    stats["repaired"]["buildings"] = count.invalid_repaired
    stats["repaired"].setdefault("multipart", {})["buildings"] = count.multipart
    collapsed = count.collapsed_to_points
    stats["repaired"]["collapsed_to_points"] = {"count": len(collapsed), "ids": collapsed}
    if collapsed:
        warnings.append(
            f"{where}: {len(collapsed)} footprint(s) have no area left after repair "
            "(collapsed rings); each is placed as a point building at the centre of its "
            f"vertices, keeping its id: {list_ids(collapsed)}. Redraw them to use their shape."
        )
    out = gpd.GeoDataFrame(
        {"building_id": ids.to_numpy(dtype=object)}, geometry=repaired.geometry.array, crs=frame.crs
    )
    type_col = find_column(frame, "building_type", cols.building_type, where)
    name_col = find_column(frame, "building_name", cols.building_name, where)
    out["type"] = as_text(frame[type_col]).to_numpy() if type_col else None
    out["name"] = as_text(frame[name_col]).to_numpy() if name_col else None
    stats["building_columns"] = {"type": type_col, "name": name_col}
    return out


def _households(raw, buildings, townships, cfg: RunConfig, wheres):
    cols = cfg.columns
    where = wheres["buildings"]
    ids = buildings["building_id"]
    numbers = {}
    used = {}
    for role, given in (("households", cols.households), ("persons", cols.persons),
                        ("floors", cols.floors)):
        col = find_column(raw, role, given, where)
        used[role] = col
        numbers[role] = as_numbers(raw[col].reset_index(drop=True), where, col, ids) \
            .to_numpy() if col else None
    n = len(buildings)
    floors = numbers["floors"] if numbers["floors"] is not None else np.full(n, np.nan)
    types = lower_types(buildings["type"], n)
    area = shapely.area(buildings.geometry.array)
    groups = buildings[TOWNSHIP_CODE].fillna("").to_numpy(dtype=object)
    tw = townships.set_index(TOWNSHIP_CODE)
    result = household_counts(
        area, numbers["households"], numbers["persons"], floors, types, groups, cfg.households,
        township_households=tw["households_total"].to_dict() if "households_total" in tw else None,
        township_persons=tw["population_total"].to_dict() if "population_total" in tw else None,
        names=buildings["name"].to_numpy(dtype=object), geoms=buildings.geometry.to_numpy(),
    )
    result.method["columns"] = {k: v for k, v in used.items() if v}
    result.floors = floors
    return result


def _assign_townships(buildings: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> pd.Series:
    """Each building's township code, by a point on its surface (None: outside all)."""
    points = shapely.point_on_surface(buildings.geometry.array)
    # The tree holds the points and is queried with the townships: each township is
    # then prepared once for all its points (the same pairs, a third of the time).
    hit_tw, hit_pt = shapely.STRtree(points).query(townships.geometry.array,
                                                   predicate="intersects")
    codes = np.full(len(buildings), None, dtype=object)
    # On a shared boundary a point touches two townships: the first one wins.
    order = np.lexsort((hit_tw, hit_pt))
    hit_pt, hit_tw = hit_pt[order], hit_tw[order]
    first = np.unique(hit_pt, return_index=True)[1]
    codes[hit_pt[first]] = townships[TOWNSHIP_CODE].to_numpy(dtype=object)[hit_tw[first]]
    return pd.Series(codes, index=buildings.index, dtype=object)


# --- townships -----------------------------------------------------------------------

def _named_polygons(frame, where: str, role: str, given: str | None, warnings: list[str]):
    """Names, row labels for messages ("row 3 (城关镇)") and repaired polygons of a
    layer whose features are named areas (townships, villages).

    With no name column found, the warning lists the layer's text columns to map.
    """
    name_col = find_column(frame, role, given, where)
    if name_col is None:
        texts = text_columns(frame)
        choose = (f"its text columns are {', '.join(texts)}: map one with --column "
                  f"{role}={texts[0]}") if texts else "it has no text column"
        warnings.append(f"{where}: found no name column (looked for "
                        f"{', '.join(CANDIDATES[role])}), so each area is named by its code; "
                        f"{choose}.")
    names = as_text(frame[name_col]) if name_col else pd.Series([None] * len(frame), dtype=object)
    row_ids = [f"row {i + 1}" + (f" ({n})" if n else "") for i, n in enumerate(names)]
    repaired, count = repair_polygons(frame, row_ids, where)
    return names, row_ids, repaired, count


def _prepare_townships(frame, where: str, cfg: RunConfig, warnings: list[str], stats: dict):
    cols = cfg.columns
    code_col = find_column(frame, TOWNSHIP_CODE, cols.township_code, where)
    names, row_ids, repaired, count = _named_polygons(frame, where, "township_name",
                                                      cols.township_name, warnings)
    stats["repaired"]["townships"] = count.invalid_repaired
    stats["repaired"].setdefault("multipart", {})["townships"] = count.multipart
    out = gpd.GeoDataFrame({"name": names.to_numpy()}, geometry=repaired.geometry.array,
                           crs=frame.crs)
    if code_col is not None:
        out.insert(0, TOWNSHIP_CODE, _township_codes(frame[code_col], where, code_col, cfg,
                                                       row_ids))
        stats["township_codes"] = f"column '{code_col}'"
    else:
        county = cfg.county_code or DEFAULT_COUNTY_CODE
        if cfg.county_code is None:
            warnings.append(
                f"townships have no codes and no --county-code was given: numbered under "
                f"county code {county}. Pass --county-code to get real 12-digit codes."
            )
        points = shapely.point_on_surface(out.geometry.array)
        out.insert(0, TOWNSHIP_CODE, number_in_order(
            county, shapely.get_x(points), shapely.get_y(points)))
        stats["township_codes"] = f"numbered by eapart in serpentine order under {county}"
    out["name"] = out["name"].where(out["name"].notna(), out[TOWNSHIP_CODE])
    for role, column in (("township_population", "population_total"),
                         ("township_households", "households_total")):
        given = getattr(cols, role)
        col = find_column(frame, role, given, where)
        if col is not None:
            out[column] = as_numbers(frame[col].reset_index(drop=True), where, col,
                                     out[TOWNSHIP_CODE]).to_numpy()
    return out


def _township_codes(values: pd.Series, where: str, column: str, cfg: RunConfig, row_ids):
    codes = as_text(values).reset_index(drop=True)
    missing = codes.isna()
    if missing.any():
        raise InputError(
            f"{where}: column '{column}' is empty for {list_ids(np.asarray(row_ids)[missing])}. "
            "Give every township a code, or drop the column to let eapart number them."
        )
    if cfg.county_code:
        codes = codes.map(lambda c: cfg.county_code + c.zfill(3) if len(c) <= 3 else c)
    bad = ~codes.map(lambda c: is_code(c, 9))
    if bad.any():
        raise InputError(
            f"{where}: column '{column}' must hold 9-digit codes (county 6 + township 3, or 3 "
            f"digits with --county-code); not so for {list_ids(np.asarray(row_ids)[bad])}: "
            f"{list_ids(codes[bad])}"
        )
    if cfg.county_code:
        other = ~codes.str.startswith(cfg.county_code)
        if other.any():
            raise InputError(
                f"{where}: --county-code is {cfg.county_code}, but column '{column}' gives "
                f"townships of another county: {list_ids(codes[other])}. Codes must nest in "
                "the county: correct the --county-code (or the manifest's county_code), or "
                "the township codes."
            )
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        raise InputError(f"{where}: township codes appear more than once: {list_ids(set(dup))}")
    return codes.to_numpy(dtype=object)


def _check_overlaps(frame: gpd.GeoDataFrame, code_col: str, where: str) -> None:
    """Raise when two polygons of a layer that must tile overlap by more than a sliver."""
    geoms = frame.geometry.array
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    bad = overlap > np.maximum(1.0, 1e-6 * smaller)
    if bad.any():
        codes = frame[code_col].to_numpy()
        names = frame["name"].to_numpy()
        pairs = [f"{codes[a]} ({names[a]}) and {codes[b]} ({names[b]}): {o:,.0f} m2"
                 for a, b, o in zip(left[bad], right[bad], overlap[bad], strict=True)]
        raise InputError(
            f"{where}: polygons overlap, but they must tile without overlaps: "
            + "; ".join(pairs[:10]) + ". Fix the boundaries in your GIS, then run again."
        )


def township_gaps(townships: gpd.GeoDataFrame, width: float = GAP_WIDTH) -> gpd.GeoDataFrame:
    """Land between townships that no township covers, one row per gap.

    Finds holes in the union of the townships and notches narrower than ``2 x width``
    (a morphological closing), and keeps the pieces that border two townships or
    more: a gap *between* townships, not a township's own hole or a bay of the county
    outline. Columns: ``area`` (m2), ``townships`` (the codes around it, joined by
    ``" and "``), geometry (work CRS).
    """
    geoms = townships.geometry.array
    union = shapely.union_all(geoms)
    polygons = shapely.get_parts(union)
    holes = [shapely.Polygon(ring) for p in polygons for ring in p.interiors]
    closed = shapely.buffer(shapely.buffer(union, width, join_style="mitre"), -width,
                            join_style="mitre")
    candidates = shapely.get_parts(shapely.union_all(
        [shapely.difference(closed, union), *holes]))
    candidates = candidates[np.isin(shapely.get_type_id(candidates), (3, 6))]
    candidates = candidates[shapely.area(candidates) > GAP_MIN_AREA]
    empty = gpd.GeoDataFrame({"area": [], "townships": []}, geometry=[], crs=townships.crs)
    if not len(candidates):
        return empty
    near_gap, near_tw = shapely.STRtree(geoms).query(candidates, predicate="dwithin",
                                                     distance=width * 0.01 + 1e-6)
    codes = townships[TOWNSHIP_CODE].to_numpy(dtype=object)
    rows = []
    for i, piece in enumerate(candidates):
        around = sorted(set(codes[near_tw[near_gap == i]]))
        if len(around) >= 2:
            rows.append({"area": float(shapely.area(piece)), "townships": " and ".join(around),
                         "geometry": piece})
    if not rows:
        return empty
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=townships.crs)


def _report_gaps(townships: gpd.GeoDataFrame, where: str, warnings: list[str],
                 stats: dict) -> None:
    """Warn about land between townships that no township covers (see township_gaps)."""
    gaps = township_gaps(townships)
    stats["township_gaps"] = {"count": len(gaps), "area_m2": float(gaps["area"].sum())}
    if not len(gaps):
        return
    names = townships.set_index(TOWNSHIP_CODE)["name"].to_dict()
    gaps = gaps.sort_values("area", ascending=False)
    shown = []
    for gap in gaps.head(5).itertuples():
        point = shapely.point_on_surface(gap.geometry)
        around = " and ".join(f"{c} ({names.get(c, c)})" for c in gap.townships.split(" and "))
        shown.append(f"{gap.area:,.0f} m2 between {around} near ({point.x:.0f}, {point.y:.0f})")
    more = f"; and {len(gaps) - 5} more" if len(gaps) > 5 else ""
    warnings.append(
        f"{where}: {len(gaps)} gap(s) between townships, {gaps['area'].sum():,.0f} m2 in all, "
        f"belong to no township: {'; '.join(shown)}{more} (coordinates in the work CRS). "
        "Buildings there are reported as unassigned; close the gaps in your GIS to place them."
    )


def _county(frame, where, work, work_crs, warnings):
    townships = work["townships"]
    union = shapely.union_all(townships.geometry.array)
    if frame is None or not len(frame):
        return union
    county = shapely.union_all(frame.to_crs(work_crs).geometry.array)
    county = shapely.make_valid(county)
    gap = shapely.area(shapely.difference(county, union))
    if gap > max(1.0, 1e-6 * shapely.area(county)):
        warnings.append(
            f"townships leave {gap:,.0f} m2 of the county ({where}) uncovered; buildings there "
            "are reported as unassigned"
        )
    return county


# --- villages ------------------------------------------------------------------------

def _prepare_villages(frame, where, cfg: RunConfig, townships, notes, warnings, stats):
    cols = cfg.columns
    code_col = find_column(frame, "village_code", cols.village_code, where)
    names, row_ids, repaired, count = _named_polygons(frame, where, "village_name",
                                                      cols.village_name, warnings)
    stats["repaired"]["villages"] = count.invalid_repaired
    codes = as_text(frame[code_col]).reset_index(drop=True) if code_col else None
    if codes is not None:
        bad = ~codes.map(lambda c: is_code(c, 12))
        if bad.any():
            raise InputError(
                f"{where}: column '{code_col}' must hold 12-digit village codes; not so for "
                f"{list_ids(np.asarray(row_ids)[bad])}"
            )
        dup = codes[codes.duplicated(keep=False)]
        if len(dup):
            raise InputError(f"{where}: village codes appear more than once: {list_ids(set(dup))}")
    base = gpd.GeoDataFrame(
        {"code": codes.to_numpy() if codes is not None else None, "name": names.to_numpy(),
         "row": np.arange(len(frame))},
        geometry=repaired.geometry.array, crs=frame.crs,
    )
    _check_overlaps(base.assign(code=base["code"].fillna(pd.Series(row_ids))), "code", where)
    pieces = gpd.overlay(
        base, townships[[TOWNSHIP_CODE, townships.geometry.name]], how="intersection",
        keep_geom_type=True,
    )
    pieces = pieces[shapely.area(pieces.geometry.array) > 0].copy()
    pieces["share"] = shapely.area(pieces.geometry.array) / shapely.area(
        base.geometry.array[pieces["row"].to_numpy()])
    sliver = pieces["share"] < VILLAGE_SLIVER_SHARE
    if sliver.any():
        notes.append(f"{int(sliver.sum())} sliver(s) of villages across township boundaries "
                     "(under 1% of the village) were left to the neighbouring areas")
    pieces = pieces[~sliver].sort_values(["row", "share"], ascending=[True, False])
    return _village_codes(pieces, where, warnings).to_crs(townships.crs)


def _village_codes(pieces: gpd.GeoDataFrame, where: str, warnings: list[str]) -> gpd.GeoDataFrame:
    """Give every village piece a census-area code nested in its township.

    A village inside one township keeps its code. A village cut by a township
    boundary keeps its code in the township its code names (else in its largest
    piece); each other piece becomes a census area of its own township under the
    next free number, and the report says so.

    Villages in order of ``row``, each one's pieces in the order given (largest
    first), read as plain lists: a county of 200 townships has some 25,000 pieces,
    and walking them as pandas groups and rows took most of its read.
    """
    codes = pieces["code"].to_numpy(dtype=object)
    # A village with no name (missing: NaN once in a text column) is named by its code.
    names = [n if isinstance(n, str) and n else None
             for n in pieces["name"].to_numpy(dtype=object).tolist()]
    towns = pieces[TOWNSHIP_CODE].to_numpy(dtype=object)
    order = np.argsort(pieces["row"].to_numpy(), kind="stable")
    village = pieces["row"].to_numpy()[order]
    starts = np.flatnonzero(np.r_[True, village[1:] != village[:-1]]).tolist()
    used: dict[str, set[str]] = {}
    for code in pieces["code"].dropna():
        used.setdefault(code[:9], set()).add(code[9:])
    kept: list[str] = []
    for first, stop in zip(starts, [*starts[1:], len(order)], strict=True):
        group = order[first:stop].tolist()
        code = codes[group[0]]
        keeper = None
        if code is not None:
            keeper = next((i for i in group if towns[i] == code[:9]), group[0])
        for i in group:
            township = towns[i]
            if code is not None and i == keeper and township == code[:9]:
                new = code
            else:
                new = _next_free(township, used, rural=code is not None and code[9:] >= "200")
                if code is not None:
                    named = f" ({names[i]})" if names[i] else ""
                    warnings.append(
                        f"{where}: village {code}{named} is cut by the boundary of "
                        f"township {township}; its piece there is census area {new}"
                    )
            kept.append(new)
    taken = order.tolist()
    return gpd.GeoDataFrame(
        {CENSUS_AREA_CODE: kept,
         "name": [names[i] or new for i, new in zip(taken, kept, strict=True)],
         TOWNSHIP_CODE: towns[order].tolist()},
        geometry=pieces.geometry.array[order], crs=pieces.crs,
    )


def _next_free(township: str, used: dict[str, set[str]], rural: bool) -> str:
    taken = used.setdefault(township, set())
    start = 200 if rural else 1
    for number in list(range(start, 1000)) + list(range(1, start)):
        suffix = f"{number:03d}"
        if suffix not in taken:
            taken.add(suffix)
            return format_code(township, number)
    raise InputError(f"township {township} has more than 999 villages: codes run out")


# --- barriers ------------------------------------------------------------------------

def prepare_barriers(frames, wheres, cfg: RunConfig, work_crs):
    """Roads, rail and water as ranked lines in the work CRS, and as read for output."""
    parts = []
    features = {}
    for kind, layer in BARRIER_LAYERS.items():
        if layer not in frames or not len(frames[layer]):
            continue
        frame = frames[layer]
        where = wheres[layer]
        class_col = find_column(frame, "barrier_class", cfg.columns.barrier_class, where)
        name_col = find_column(frame, "barrier_name", cfg.columns.barrier_name, where)
        classes = as_text(frame[class_col]).fillna("") if class_col \
            else pd.Series([""] * len(frame))
        names = as_text(frame[name_col]) if name_col else pd.Series([None] * len(frame))
        geoms = frame.geometry.array
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        features[layer] = gpd.GeoDataFrame(
            {"class": classes.to_numpy(dtype=object), "name": names.to_numpy(dtype=object)},
            geometry=geoms, crs=frame.crs,
        )[ok]
        lines = shapely.make_valid(np.asarray(geoms[ok]))
        polygonal = np.isin(shapely.get_type_id(lines), (3, 6))
        lines[polygonal] = shapely.boundary(lines[polygonal])
        ranks = barrier_ranks(kind, classes[ok].str.lower().to_numpy(dtype=object))
        parts.append(gpd.GeoDataFrame(
            {"kind": kind, "rank": ranks, "name": names[ok].to_numpy(dtype=object)},
            geometry=lines, crs=frame.crs,
        ))
    if not parts:
        empty = gpd.GeoDataFrame({"kind": [], "rank": [], "name": []}, geometry=[], crs=work_crs)
        return empty, features
    barriers = pd.concat(parts, ignore_index=True).to_crs(work_crs)
    return barriers[~shapely.is_empty(barriers.geometry.array)].reset_index(drop=True), features
