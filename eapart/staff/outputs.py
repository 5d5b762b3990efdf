"""What ``eapart assign`` writes: the assignment table, the area layers, the report section.

- ``assignments.csv`` / ``assignments.xlsx``: one row per small area and workload
  (a shared small area has one row per share), with the enumerator slot and the
  supervisor team, and the person of each where a staff list was given (id and
  name only: no other column of the staff list is copied anywhere). Text cells
  that a spreadsheet would run (starting with ``= + - @``) are written as text.
- layers ``enumerator_areas`` and ``supervisor_areas`` of ``eapart.gpkg``: the
  small areas of each slot (team) dissolved into one polygon. The shares of a
  tower are each the whole small area's polygon, so they overlap by design (and
  so do two teams sharing a tower too large for one team).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.domain.schema import CENSUS_AREA_CODE, SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.io.tables import spreadsheet_safe, write_xlsx
from eapart.staff.plan import SLOT, TEAM, Plan

CSV_NAME = "assignments.csv"
XLSX_NAME = "assignments.xlsx"
ENUMERATOR_LAYER = "enumerator_areas"
SUPERVISOR_LAYER = "supervisor_areas"
ASSIGNMENT_COLUMNS = (
    TOWNSHIP_CODE, CENSUS_AREA_CODE, SMALL_AREA_CODE, SLOT, "enumerator_id",
    "enumerator_name", TEAM, "supervisor_id", "supervisor_name", "share", "shares",
    "share_buildings", "households", "persons", "buildings",
)
def assignment_table(plan: Plan) -> pd.DataFrame:
    """The rows of ``assignments.csv``, sorted by small area code and share."""
    table = plan.pieces.copy()
    for column in ASSIGNMENT_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    return table[list(ASSIGNMENT_COLUMNS)].fillna("")


def write_tables(directory: Path, plan: Plan) -> None:
    """``assignments.csv`` (UTF-8 with BOM) and ``assignments.xlsx`` (three sheets)."""
    table = assignment_table(plan)
    spreadsheet_safe(table).to_csv(directory / CSV_NAME, index=False, encoding="utf-8-sig",
                                   lineterminator="\n")
    write_xlsx({"assignments": table, "enumerators": slot_rows(plan),
                "supervisors": team_rows(plan)}, directory / XLSX_NAME)


def slot_rows(plan: Plan) -> pd.DataFrame:
    """One row per enumerator slot, without coordinates."""
    slots = plan.slots.reset_index().drop(columns=["x", "y"])
    slots["load"] = slots["load"].round(3)
    return slots


def team_rows(plan: Plan) -> pd.DataFrame:
    """One row per supervisor team, without coordinates."""
    return plan.teams.reset_index().drop(columns=["x", "y"])


def _dissolve(geometry: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of the polygons of each group; returns the group names and polygons."""
    frame = gpd.GeoDataFrame({"g": groups}, geometry=list(geometry))
    names, shapes = [], []
    for name, part in frame.groupby("g", sort=True):
        shapes.append(shapely.union_all(np.asarray(part.geometry.array), grid_size=None))
        names.append(name)
    return np.asarray(names, dtype=object), np.asarray(shapes, dtype=object)


def area_layers(plan: Plan, geometry: np.ndarray, codes: pd.Series, crs,
                out_crs) -> dict[str, gpd.GeoDataFrame]:
    """``enumerator_areas`` and ``supervisor_areas`` in the output's CRS.

    ``geometry``/``codes``: the small areas' polygons (metric ``crs``) and codes.
    """
    position = pd.Series(np.arange(len(codes)), index=codes.to_numpy())
    at = position[plan.pieces[SMALL_AREA_CODE]].to_numpy()
    slot_names, slot_shapes = _dissolve(geometry[at], plan.pieces[SLOT].to_numpy())
    slots = slot_rows(plan).set_index(SLOT).loc[slot_names].reset_index()
    enumerators = gpd.GeoDataFrame(slots, geometry=list(slot_shapes), crs=crs)
    whole = plan.pieces.drop_duplicates([SMALL_AREA_CODE, TEAM])
    team_names, team_shapes = _dissolve(
        geometry[position[whole[SMALL_AREA_CODE]].to_numpy()], whole[TEAM].to_numpy())
    teams = team_rows(plan).set_index(TEAM).loc[team_names].reset_index()
    supervisors = gpd.GeoDataFrame(teams, geometry=list(team_shapes), crs=crs)
    return {ENUMERATOR_LAYER: enumerators.to_crs(out_crs),
            SUPERVISOR_LAYER: supervisors.to_crs(out_crs)}


def parts(geometry) -> np.ndarray:
    """Number of polygons in each geometry (1 for one piece)."""
    return shapely.get_num_geometries(np.asarray(geometry, dtype=object))
