"""Households and persons per building: taken from the data, or estimated.

The workload of a small area is counted in households (or persons). Building
marking usually records them; where it does not, they are estimated from the
footprint: ``households = footprint area x storeys / dwelling size``, with storeys
from the data or, where unknown, a default by building type. Types that house
nobody (offices, industry, garages, ...) get 0 households but still belong to a
small area. Where a township total is known (``population`` or ``households`` on
the townships layer), each township's estimate is scaled to match it exactly
(largest-remainder rounding). The method and its parameters go into the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from eapart.config import HouseholdParams

#: Types whose values mean "some building, kind unknown" (OSM's ``yes``).
UNKNOWN_TYPES = frozenset({"", "yes", "building", "unknown", "none"})


@dataclass
class HouseholdResult:
    """Households and persons per building, and how they were obtained."""

    households: np.ndarray
    persons: np.ndarray
    method: dict = field(default_factory=dict)
    floors: np.ndarray | None = None  # storeys as given by the data, NaN where unknown


def estimate_from_footprints(
    area_m2: np.ndarray,
    floors: np.ndarray,
    types: np.ndarray,
    params: HouseholdParams,
) -> tuple[np.ndarray, dict]:
    """Estimate households per building from footprint area, storeys and type.

    ``floors`` may hold NaN where unknown; ``types`` is lower-case text or ''.
    Point buildings (area 0) of a residential or unknown type count one household.

    >>> p = HouseholdParams()
    >>> estimate_from_footprints(np.array([450.0, 20.0, 500.0]), np.array([4.0, np.nan, 1.0]),
    ...                          np.array(["apartments", "yes", "office"]), p)[0].tolist()
    [20.0, 0.0, 0.0]
    """
    types = np.asarray(types, dtype=object)
    default = params.floors_by_type.get("*", 2.0)
    type_floors = np.array([params.floors_by_type.get(t, default) for t in types], dtype=float)
    known = np.isfinite(floors) & (floors > 0)
    storeys = np.where(known, floors, type_floors)
    non_residential = np.isin(types, list(params.non_residential_types))
    unknown_type = np.isin(types, list(UNKNOWN_TYPES))
    shed = unknown_type & (area_m2 > 0) & (area_m2 < params.min_dwelling_footprint)
    raw = area_m2 * storeys / params.dwelling_size
    households = np.maximum(np.round(raw), 1.0)
    households[non_residential | shed] = 0.0
    method = {
        "method": "footprint area x storeys / dwelling size",
        "dwelling_size_m2": params.dwelling_size,
        "storeys_known": int(known.sum()),
        "storeys_from_type_default": int((~known).sum()),
        "floors_by_type": dict(params.floors_by_type),
        "non_residential_buildings": int(non_residential.sum()),
        "small_unknown_buildings_as_zero": int(shed.sum()),
        "min_dwelling_footprint_m2": params.min_dwelling_footprint,
        "point_buildings_as_one_household": int(((area_m2 <= 0) & ~non_residential).sum()),
    }
    return households, method


def scale_to_totals(values: np.ndarray, groups: np.ndarray, totals: dict) -> np.ndarray:
    """Scale non-negative integer-ish ``values`` so each group sums to its total.

    ``totals`` maps a group key to its wanted sum (groups absent keep their values).
    Rounding uses the largest remainder so the sums match exactly; buildings with
    0 stay 0, and a group with no positive value is left as it is.
    """
    out = values.astype(float).copy()
    for key, total in totals.items():
        mask = groups == key
        current = out[mask].sum()
        if current <= 0 or not np.isfinite(total) or total < 0:
            continue
        scaled = out[mask] * (float(total) / current)
        base = np.floor(scaled)
        short = int(round(total - base.sum()))
        if short > 0:
            order = np.argsort(-(scaled - base), kind="stable")[:short]
            base[order] += 1
        out[mask] = base
    return out


def household_counts(
    area_m2: np.ndarray,
    given_households: np.ndarray | None,
    given_persons: np.ndarray | None,
    floors: np.ndarray,
    types: np.ndarray,
    groups: np.ndarray,
    params: HouseholdParams,
    township_households: dict | None = None,
    township_persons: dict | None = None,
) -> HouseholdResult:
    """Households and persons for every building: data first, estimates to fill in.

    ``given_*`` are the data's columns as floats with NaN where missing (or None
    when the column is absent). ``groups`` is each building's township key, used
    to scale estimates to township totals.
    """
    n = len(area_m2)
    pph = params.persons_per_household
    if given_households is not None and np.isfinite(given_households).all():
        households = given_households.astype(float)
        method: dict = {"method": "households column of the buildings layer"}
    else:
        estimate, method = estimate_from_footprints(area_m2, floors, types, params)
        if given_persons is not None:
            from_persons = np.where(
                np.isfinite(given_persons), np.ceil(given_persons / pph), np.nan
            )
            estimate = np.where(np.isfinite(from_persons), from_persons, estimate)
            method["households_from_persons"] = int(np.isfinite(from_persons).sum())
        if given_households is not None:
            missing = ~np.isfinite(given_households)
            households = np.where(missing, estimate, given_households)
            method = {
                "method": "households column, estimated where missing",
                "missing_estimated": int(missing.sum()),
                "estimate": method,
            }
        else:
            households = estimate
            scaled = None
            if params.scale_to_townships:
                scaled = _scale(households, groups, township_households, township_persons, pph)
            if scaled is not None:
                households, scale_note = scaled
                method["scaled_to_township_totals"] = scale_note
    if given_persons is not None:
        persons = np.where(np.isfinite(given_persons), given_persons, np.round(households * pph))
    else:
        persons = np.round(households * pph)
        method["persons"] = f"households x {pph} persons per household"
    method["persons_per_household"] = pph
    method["households_total"] = float(households.sum())
    assert len(households) == n
    return HouseholdResult(households=households.astype(np.int64), persons=persons, method=method)


def _scale(households, groups, township_households, township_persons, pph):
    """Scale estimates to township totals where known; None when there are none."""
    totals: dict = {}
    sources: dict = {}
    for key, value in (township_persons or {}).items():
        if value is not None and np.isfinite(value) and value > 0:
            totals[key] = round(float(value) / pph)
            sources[key] = "population"
    for key, value in (township_households or {}).items():
        if value is not None and np.isfinite(value) and value > 0:
            totals[key] = float(value)
            sources[key] = "households"
    if not totals:
        return None
    scaled = scale_to_totals(households, groups, totals)
    note = {str(k): {"from": sources[k], "households": int(totals[k])} for k in sorted(totals)}
    return scaled, note


def lower_types(values: pd.Series | None, n: int) -> np.ndarray:
    """Building types as lower-case text ('' where missing)."""
    if values is None:
        return np.full(n, "", dtype=object)
    return values.fillna("").astype(str).str.strip().str.lower().to_numpy(dtype=object)
