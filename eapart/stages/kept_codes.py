"""Stage: keeping the codes of a previous run for the areas that did not change.

Mapping staff correct their inputs and run again; enumerators, supervisors and
printed sheets already know the old codes. With ``--keep-codes-from OUTDIR`` a
new area that holds most of the same buildings as an old one (more than half of
each, so the match is unique) takes the old code; every other area gets the next
free number after the kept ones, in the new run's serpentine order. Census areas
formed by the tool are matched the same way inside their township; census areas
given as villages keep their input codes as always. The report's ``codes_kept``
section says how many kept theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.domain.areas import AREA_LAYERS, Areas
from eapart.domain.codes import MAX_SMALL_AREA_NUMBER, format_code
from eapart.domain.schema import (
    BUILDING_ID,
    CENSUS_AREA_CODE,
    GPKG_NAME,
    SMALL_AREA_CODE,
    TOWNSHIP_CODE,
)
from eapart.errors import InputError

if TYPE_CHECKING:
    from eapart.stages import RunContext


@dataclass
class CodeCarry:
    """How many areas kept their previous code, and which codes changed."""

    census_areas_kept: int = 0
    small_areas_kept: int = 0
    census_area_renamed: dict[str, str] = field(default_factory=dict)
    small_area_renamed: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        """Figures for the report."""
        return {"census_areas_kept": self.census_areas_kept,
                "small_areas_kept": self.small_areas_kept,
                "census_areas_new_code": sum(1 for a, b in self.census_area_renamed.items()
                                             if a != b),
                "small_areas_new_code": sum(1 for a, b in self.small_area_renamed.items()
                                            if a != b)}


def keep_codes(areas: Areas, run: RunContext) -> Areas:
    """The stage: with ``--keep-codes-from OUTDIR``, rename areas to keep its codes."""
    source = run.config.keep_codes_from
    if source is None:
        return areas
    previous = read_previous(source)
    matched = check_previous(previous, areas.buildings)
    layers = {name: frame.copy() if name in _RENAMED else frame
              for name, frame in areas.layers.items()}
    carried = carry_codes(layers, previous, run.inputs.villages is not None)
    return areas.replace(**{name: layers.get(name) for name in AREA_LAYERS},
                         report={**areas.report,
                                 "codes_kept": {**carried.summary(), "matched": matched}})


def read_previous(outdir: Path) -> pd.DataFrame:
    """Building ids, townships, codes and a point of each building from an earlier output."""
    from eapart.io.damage import reading_output

    with reading_output(outdir, "--keep-codes-from"):
        if not (Path(outdir) / GPKG_NAME).exists():
            raise InputError(f"--keep-codes-from: {Path(outdir).name} holds no {GPKG_NAME}; "
                             "give the folder of an earlier eapart output")
        columns = [BUILDING_ID, TOWNSHIP_CODE, CENSUS_AREA_CODE, SMALL_AREA_CODE]
        frame = Areas.read(outdir, ("buildings",), columns={"buildings": columns}).buildings
        points = shapely.point_on_surface(frame.geometry.array)
        table = gpd.GeoDataFrame({c: frame[c].astype(object) for c in columns},
                                 geometry=points, crs=frame.crs)
        table.attrs["folder"] = Path(outdir).name
        return table


#: A building whose id is in the earlier output is the same building when it lies
#: within this many metres of where it was (a corrected footprint moves a little).
SAME_PLACE_METRES = 100.0


def check_previous(previous: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> dict:
    """Refuse an earlier output of another county or of other buildings; say what matched.

    Codes are carried by building id, and ids like ``1``, ``2``, ... coincide
    between unrelated counties. So the earlier output must share the county code
    (the first 6 digits of its townships) and, among the ids found in both, most
    buildings must lie where they were. Returns the figures for the report.
    """
    folder = previous.attrs.get("folder", "the earlier output")
    old_counties = set(previous[TOWNSHIP_CODE].dropna().str[:6])
    new_counties = set(buildings[TOWNSHIP_CODE].dropna().str[:6])
    if old_counties and new_counties and not old_counties & new_counties:
        raise InputError(
            f"--keep-codes-from: {folder} is an output of county {', '.join(sorted(old_counties))}"
            f", but this run's townships are of county {', '.join(sorted(new_counties))}: codes "
            "cannot be kept across counties. Give an earlier output of this county."
        )
    old = previous.drop_duplicates(BUILDING_ID).set_index(BUILDING_ID)
    common = buildings[buildings[BUILDING_ID].isin(old.index)]
    report = {"from": folder, "county": ", ".join(sorted(old_counties & new_counties)),
              "buildings": int(len(buildings)), "ids_found": int(len(common)), "same_place": 0}
    if not len(common):
        return report
    here = gpd.GeoSeries(shapely.point_on_surface(common.geometry.array), crs=buildings.crs)
    there = old.loc[common[BUILDING_ID]].geometry.to_crs(buildings.crs)
    if not here.crs.is_projected:
        metric = here.estimate_utm_crs()
        here, there = here.to_crs(metric), there.to_crs(metric)
    near = shapely.distance(here.array, there.array) <= SAME_PLACE_METRES
    report["same_place"] = int(near.sum())
    if 2 * near.sum() < len(common):
        raise InputError(
            f"--keep-codes-from: {folder} has {len(common):,} building ids in common with this "
            f"run, but only {int(near.sum()):,} of those buildings lie where they were (within "
            f"{SAME_PLACE_METRES:g} m): it is not an earlier output of these buildings, and "
            "its codes would go to the wrong places. Give an earlier output of this county."
        )
    return report


def match_groups(new: pd.Series, old: pd.Series) -> dict[str, str]:
    """Pair each new group with the old group that holds more than half of both.

    ``new`` and ``old`` give, per building (same index), its group code in each
    run. Returns ``{new code: old code}`` for the matched groups only.
    """
    both = pd.DataFrame({"new": new, "old": old}).dropna()
    if both.empty:
        return {}
    shared = both.groupby(["new", "old"]).size().rename("shared").reset_index()
    shared["new_size"] = shared["new"].map(new.value_counts())
    shared["old_size"] = shared["old"].map(old.value_counts())
    majority = shared[(2 * shared["shared"] > shared["new_size"])
                      & (2 * shared["shared"] > shared["old_size"])]
    return dict(zip(majority["new"], majority["old"], strict=True))


def _renumber(codes: list[str], matched: dict[str, str], prefix_of, digits_from: int,
              limit: int) -> dict[str, str]:
    """New code for each of ``codes`` (in serpentine order): the matched old code when
    its prefix still fits, else the next number after the largest one in use."""
    out: dict[str, str] = {}
    used: dict[str, set[int]] = {}
    for code in codes:
        old = matched.get(code)
        if old is not None and old[:digits_from] == prefix_of(code):
            out[code] = old
            used.setdefault(prefix_of(code), set()).add(int(old[digits_from:]))
    for code in codes:
        if code in out:
            continue
        prefix = prefix_of(code)
        taken = used.setdefault(prefix, set())
        number = max(taken, default=0) + 1
        if number > limit:
            number = next(n for n in range(1, limit + 1) if n not in taken)
        taken.add(number)
        out[code] = format_code(prefix, number)
    return out


def carry_codes(layers: dict[str, gpd.GeoDataFrame], previous: pd.DataFrame,
                villages_given: bool) -> CodeCarry:
    """Rename census and small areas in ``layers`` (in place) to keep previous codes."""
    buildings = layers["buildings"]
    old = previous.set_index("building_id").reindex(buildings["building_id"])
    old.index = buildings.index
    carry = CodeCarry()

    ca_codes = sorted(layers["census_areas"]["census_area_code"])
    if villages_given:
        ca_map = {c: c for c in ca_codes}
    else:
        matched = match_groups(buildings["census_area_code"], old["census_area_code"])
        ca_map = _renumber(ca_codes, matched, lambda c: c[:9], 9, 999)
    carry.census_areas_kept = sum(1 for c in ca_codes if c in ca_map and
                                  ca_map[c] in set(old["census_area_code"].dropna()))
    carry.census_area_renamed = ca_map

    new_sa = buildings["small_area_code"]
    renamed_parent = new_sa.str[:12].map(ca_map) + new_sa.str[12:]
    matched = match_groups(renamed_parent, old["small_area_code"])
    sa_codes = sorted(layers["small_areas"]["small_area_code"])
    parent = {c: ca_map.get(c[:12], c[:12]) + c[12:] for c in sa_codes}
    sa_map_renamed = _renumber([parent[c] for c in sa_codes], matched, lambda c: c[:12], 12,
                               MAX_SMALL_AREA_NUMBER)
    sa_map = {c: sa_map_renamed[parent[c]] for c in sa_codes}
    carry.small_areas_kept = sum(1 for c in sa_codes if matched.get(parent[c]) == sa_map[c])
    carry.small_area_renamed = sa_map
    _apply(layers, ca_map, sa_map)
    return carry


def _renamed_name(name, old: str, new: str):
    """A tool-made census-area name ends with its number: keep it in step with the code."""
    if isinstance(name, str) and old != new and name.endswith(f" {old[-3:]}"):
        return f"{name[:-3]}{new[-3:]}"
    return name


#: The layers whose codes a carry changes.
_RENAMED = ("buildings", "small_areas", "census_areas")


def _apply(layers: dict, ca_map: dict[str, str], sa_map: dict[str, str]) -> None:
    for name in _RENAMED:
        frame = layers[name]
        if "small_area_code" in frame:
            frame["small_area_code"] = frame["small_area_code"].map(
                lambda c: sa_map.get(c, c) if isinstance(c, str) else c)
        if "census_area_code" in frame:
            if name == "census_areas":
                frame["name"] = [_renamed_name(n, c, ca_map.get(c, c)) for n, c in
                                 zip(frame["name"], frame["census_area_code"], strict=True)]
            frame["census_area_code"] = frame["census_area_code"].map(
                lambda c: ca_map.get(c, c) if isinstance(c, str) else c)
    for name, key in (("small_areas", "small_area_code"), ("census_areas", "census_area_code")):
        layers[name] = layers[name].sort_values(key).reset_index(drop=True)
    if "census_area_name" in layers["small_areas"]:
        names = layers["census_areas"].set_index("census_area_code")["name"]
        layers["small_areas"]["census_area_name"] = \
            layers["small_areas"]["census_area_code"].map(names)
    assert not np.any(layers["small_areas"]["small_area_code"].duplicated())
