"""Households and persons per building: taken from the data, or estimated.

The workload of a small area is counted in households (or persons). Building
marking usually records them; where it does not, they are estimated from the
footprint and kept fractional, because the partition balances sums, and rounding
each building first would move whole households (a house scaled to 0.4 of a
household would count 0). Whole numbers are made only for reporting
(:mod:`eapart.rounding`).

The estimate, building by building (``households`` as fractions):

- a type that houses nobody (offices, industry, sheds, stables, churches, ...) or
  a name that says so (a mall, a spa, a school, a hotel, 商场, 学校, 医院, ...): 0;
- an untyped footprint (OSM ``building=yes``) under ``min_dwelling_footprint``: 0
  (a shed); an untyped small footprint within ``outbuilding_distance`` of a larger
  typed dwelling: 0 (the garage or sauna of that house); an untyped footprint over
  ``large_untyped_footprint`` with no storeys in the data: 0 (a hall, a warehouse,
  a mall; apartment blocks of that size are almost always typed or carry storeys);
- a low-rise building (storeys unknown or at most ``low_rise_storeys``) that is
  untyped or only "residential": one dwelling (a house) up to
  ``small_untyped_footprint``, and one more dwelling per ``dwelling size`` of floor
  area beyond it (``1 + (area - small) x storeys / dwelling size``, counting at
  most ``low_rise_storeys`` storeys where the data gives none), so that a few
  square metres more never turn a house into six flats; a low-rise building of
  a single-dwelling type (``house``, ``detached``, ``bungalow``, ..., which OSM
  defines as one dwelling) is one dwelling whatever its size;
- otherwise ``footprint area x storeys / dwelling size``, at least 1, with storeys
  from the data or a default by type. A point building counts one household.

Where a total is known (``population`` or ``households`` on the townships layer,
or a county total: ``--total-households`` / ``--total-persons``), each township's
estimate is scaled to match it, still as fractions. Without any total the estimate
is *uncalibrated*, and the run says so. Values given in the data are kept exactly
as given, fractions included. The method and its parameters go into the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from eapart.config import HouseholdParams
from eapart.domain.vocabulary import NON_RESIDENTIAL_NAME_WORDS, UNKNOWN_TYPES
from eapart.errors import InputError, UsageError

_LATIN = re.compile(r"[a-zà-ÿ]")


def _name_pattern(words: tuple[str, ...]) -> re.Pattern:
    """One regular expression: Latin words as whole words, Chinese words anywhere."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        escaped = re.escape(word.lower())
        parts.append(rf"(?<![\w]){escaped}(?![\w])" if _LATIN.search(word) else escaped)
    return re.compile("|".join(parts))


_NON_RESIDENTIAL_NAMES = _name_pattern(NON_RESIDENTIAL_NAME_WORDS)


def non_residential_names(names: np.ndarray) -> np.ndarray:
    """True where a building's name says it houses nobody (a mall, a spa, 学校, ...).

    >>> non_residential_names(np.array(["Caldea spa", "Casa Pérez", None, "城关小学",
    ...                                 "Spanish house"], dtype=object)).tolist()
    [True, False, False, True, False]
    """
    out = np.zeros(len(names), dtype=bool)
    for i, name in enumerate(names):
        if isinstance(name, str) and name:
            out[i] = _NON_RESIDENTIAL_NAMES.search(name.lower()) is not None
    return out


@dataclass
class HouseholdResult:
    """Households and persons per building, and how they were obtained.

    ``households`` and ``persons`` are floats: fractions where estimated, the
    data's values where given. ``estimated_households`` / ``estimated_persons``
    mark the buildings whose value was estimated (these are rounded for reporting;
    given values never are).
    """

    households: np.ndarray
    persons: np.ndarray
    estimated_households: np.ndarray
    estimated_persons: np.ndarray
    method: dict = field(default_factory=dict)
    floors: np.ndarray | None = None  # storeys as given by the data, NaN where unknown


def beside_dwellings(geoms: np.ndarray, types: np.ndarray, params: HouseholdParams) -> np.ndarray:
    """True for each building within ``outbuilding_distance`` of a larger typed dwelling.

    Where a mapper typed the house (``house``, ``residential``, ``apartments``, ...)
    and left the small building beside it untyped, that one is a garage, a sauna or
    a shed of the same plot, not a second home.
    """
    geoms = np.asarray(geoms, dtype=object)
    types = np.asarray(types, dtype=object)
    dwelling = (~np.isin(types, list(UNKNOWN_TYPES))
                & ~np.isin(types, list(params.non_residential_types)))
    out = np.zeros(len(geoms), dtype=bool)
    if not dwelling.any() or not len(geoms):
        return out
    dwellings = np.flatnonzero(dwelling)
    tree = shapely.STRtree(geoms[dwellings])
    near, hit = tree.query(geoms, predicate="dwithin", distance=params.outbuilding_distance)
    area = shapely.area(geoms)
    larger = area[dwellings[hit]] > area[near]
    out[near[larger & (dwellings[hit] != near)]] = True
    return out


def estimate_from_footprints(
    area_m2: np.ndarray,
    floors: np.ndarray,
    types: np.ndarray,
    params: HouseholdParams,
    names: np.ndarray | None = None,
    beside_dwelling: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """Fractional households per building from footprint, storeys, type and name.

    ``floors`` may hold NaN where unknown; ``types`` is lower-case text or '';
    ``beside_dwelling`` marks buildings next to a larger typed dwelling
    (:func:`beside_dwellings`). The rules are those of the module docstring.

    >>> p = HouseholdParams()
    >>> estimate_from_footprints(
    ...     np.array([450.0, 20.0, 500.0, 120.0, 3500.0, 0.0, 195.0, 240.0]),
    ...     np.array([4.0, np.nan, 1.0, np.nan, np.nan, np.nan, np.nan, np.nan]),
    ...     np.array(["apartments", "yes", "office", "yes", "yes", "house", "residential",
    ...               "yes"]), p)[0].round(2).tolist()
    [20.0, 0.0, 0.0, 1.0, 0.0, 1.0, 2.0, 3.0]
    >>> estimate_from_footprints(np.array([240.0, 240.0]), np.array([np.nan, 4.0]),
    ...                          np.array(["house", "house"]), p)[0].round(2).tolist()
    [1.0, 10.67]
    """
    n = len(area_m2)
    types = np.asarray(types, dtype=object)
    names = np.full(n, None, dtype=object) if names is None else np.asarray(names, dtype=object)
    beside = np.zeros(n, dtype=bool) if beside_dwelling is None else beside_dwelling
    default = params.floors_by_type.get("*", 2.0)
    type_floors = np.array([params.floors_by_type.get(t, default) for t in types], dtype=float)
    known = np.isfinite(floors) & (floors > 0)
    storeys = np.where(known, floors, type_floors)
    low_rise = ~known | (floors <= params.low_rise_storeys)
    footprint = area_m2 > 0

    by_type = np.isin(types, list(params.non_residential_types))
    by_name = ~by_type & non_residential_names(names)
    untyped = np.isin(types, list(UNKNOWN_TYPES))
    generic = untyped | np.isin(types, list(params.generic_residential_types))
    small = footprint & (area_m2 <= params.small_untyped_footprint) & low_rise
    free = ~by_type & ~by_name
    shed = free & untyped & footprint & (area_m2 < params.min_dwelling_footprint)
    outbuilding = free & untyped & small & ~shed & beside
    large = free & untyped & ~known & (area_m2 > params.large_untyped_footprint)
    small_house = free & generic & small & ~shed & ~outbuilding
    single = free & np.isin(types, list(params.single_dwelling_types)) & low_rise & ~small_house

    households = np.maximum(area_m2 * storeys / params.dwelling_size, 1.0)
    ramp = free & generic & low_rise & footprint & ~small_house & ~shed & ~outbuilding & ~large
    # Taken as low-rise, so at most low_rise_storeys storeys where the data says none.
    ramp_storeys = np.where(known, storeys, np.minimum(storeys, params.low_rise_storeys))
    households[ramp] = 1.0 + (area_m2[ramp] - params.small_untyped_footprint) \
        * ramp_storeys[ramp] / params.dwelling_size
    households[small_house | single] = 1.0
    households[~free | shed | outbuilding | large] = 0.0
    method = {
        "method": "footprint area x storeys / dwelling size, kept fractional",
        "dwelling_size_m2": params.dwelling_size,
        "storeys_known": int(known.sum()),
        "storeys_from_type_default": int((~known).sum()),
        "floors_by_type": dict(params.floors_by_type),
        "non_residential_by_type": int(by_type.sum()),
        "non_residential_by_name": int(by_name.sum()),
        "small_untyped_as_zero": int(shed.sum()),
        "min_dwelling_footprint_m2": params.min_dwelling_footprint,
        "outbuildings_beside_a_dwelling_as_zero": int(outbuilding.sum()),
        "outbuilding_distance_m": params.outbuilding_distance,
        "small_low_rise_as_one_dwelling": int(small_house.sum()),
        "larger_low_rise_one_plus_floor_area_beyond_small": int(ramp.sum()),
        "single_dwelling_types_as_one": int(single.sum()),
        "small_untyped_footprint_m2": params.small_untyped_footprint,
        "low_rise_storeys": params.low_rise_storeys,
        "large_untyped_as_non_residential": int(large.sum()),
        "large_untyped_footprint_m2": params.large_untyped_footprint,
        "point_buildings_as_one_household": int(((area_m2 <= 0) & free).sum()),
    }
    return households, method


def scale_to_totals(values: np.ndarray, groups: np.ndarray, totals: dict) -> np.ndarray:
    """Scale non-negative ``values`` so each group sums to its total, as fractions.

    ``totals`` maps a group key to its wanted sum (groups absent keep their values).
    Nothing is rounded, so a building keeps its share however small; buildings with
    0 stay 0, and a group with no positive value is left as it is.

    >>> scale_to_totals(np.array([1.0, 1.0, 2.0, 5.0]), np.array(["a", "a", "a", "b"]),
    ...                 {"a": 2}).tolist()
    [0.5, 0.5, 1.0, 5.0]
    """
    out = values.astype(float).copy()
    for key, total in totals.items():
        mask = groups == key
        current = out[mask].sum()
        if current <= 0 or not np.isfinite(total) or total < 0:
            continue
        out[mask] = out[mask] * (float(total) / current)
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
    names: np.ndarray | None = None,
    geoms: np.ndarray | None = None,
) -> HouseholdResult:
    """Households and persons for every building: data first, estimates to fill in.

    ``given_*`` are the data's columns as floats with NaN where missing (or None
    when the column is absent). ``groups`` is each building's township key ('' for
    a building outside every township), used to scale estimates to totals.
    """
    n = len(area_m2)
    pph = params.persons_per_household
    county_total = params.total_households is not None or params.total_persons is not None
    if given_households is not None and np.isfinite(given_households).all():
        if county_total:
            raise UsageError(
                "--total-households / --total-persons scale estimated households, but the "
                "buildings carry a households column: drop the option or the column"
            )
        households = given_households.astype(float)
        estimated = np.zeros(n, dtype=bool)
        method: dict = {"method": "households column of the buildings layer",
                        "calibration": "given"}
    else:
        beside = beside_dwellings(geoms, types, params) if geoms is not None else None
        estimate, method = estimate_from_footprints(area_m2, floors, types, params, names,
                                                    beside)
        if given_persons is not None:
            from_persons = np.where(
                np.isfinite(given_persons),
                np.where(given_persons > 0, np.maximum(given_persons / pph, 1.0), 0.0),
                np.nan,
            )
            estimate = np.where(np.isfinite(from_persons), from_persons, estimate)
            method["households_from_persons"] = int(np.isfinite(from_persons).sum())
        if given_households is not None:
            estimated = ~np.isfinite(given_households)
            households = np.where(estimated, estimate, given_households)
            method = {
                "method": "households column, estimated where missing",
                "missing_estimated": int(estimated.sum()),
                "estimate": method,
                "calibration": "given, estimated where missing",
            }
        else:
            estimated = np.ones(n, dtype=bool)
            households = estimate
            method["calibration"] = "uncalibrated"
            if params.scale_to_townships or county_total:
                households = _calibrate(households, groups, township_households,
                                        township_persons, params, method)
    if given_persons is not None:
        estimated_persons = ~np.isfinite(given_persons)
        persons = np.where(estimated_persons, households * pph, given_persons)
    else:
        estimated_persons = np.ones(n, dtype=bool)
        persons = households * pph
        method["persons"] = f"households x {pph} persons per household"
    method["persons_per_household"] = pph
    method["households_total"] = float(households[groups != ""].sum())
    return HouseholdResult(households=households.astype(float), persons=persons.astype(float),
                           estimated_households=estimated, estimated_persons=estimated_persons,
                           method=method)


def _township_totals(township_households, township_persons, pph) -> tuple[dict, dict]:
    """Household totals per township from the townships layer, and where each came from."""
    totals: dict = {}
    sources: dict = {}
    for key, value in (township_persons or {}).items():
        if value is not None and np.isfinite(value) and value > 0:
            totals[key] = float(value) / pph
            sources[key] = "population"
    for key, value in (township_households or {}).items():
        if value is not None and np.isfinite(value) and value > 0:
            totals[key] = float(value)
            sources[key] = "households"
    return totals, sources


def _calibrate(households, groups, township_households, township_persons,
               params: HouseholdParams, method: dict) -> np.ndarray:
    """Scale the estimate to the township totals and the county total, where given.

    A township with its own total matches it; a county total is shared by the
    other townships in proportion to their estimate. Records what was done.
    """
    pph = params.persons_per_household
    totals, sources = _township_totals(township_households, township_persons, pph)
    if not params.scale_to_townships:
        totals, sources = {}, {}
    county = _county_total(params)
    if county is not None:
        rest = sorted({g for g in groups if g != ""} - set(totals))
        given = sum(totals.values())
        left = county[0] - given
        if rest and left <= 0:
            raise InputError(
                f"the county total ({county[1]}) is no more than the totals the townships "
                f"layer gives ({given:,.1f} households): nothing is left for the "
                f"{len(rest)} township(s) without one. Check the total or the townships' "
                "population/households columns."
            )
        estimate_rest = float(households[np.isin(groups, rest)].sum())
        if rest and estimate_rest > 0:
            factor = left / estimate_rest
            for key in rest:
                totals[key] = float(households[groups == key].sum()) * factor
                sources[key] = "county total"
        method["county_total"] = {"given": county[1], "households": county[0],
                                  "townships_sharing_it": len(rest)}
    if not totals:
        return households
    before = {key: float(households[groups == key].sum()) for key in totals}
    scaled = scale_to_totals(households, groups, totals)
    method["scaled_to_totals"] = {
        str(k): {"from": sources[k], "households": round(totals[k], 3),
                 "estimate_before": round(before[k], 3),
                 "factor": round(totals[k] / before[k], 4) if before[k] > 0 else None}
        for k in sorted(totals)
    }
    present = {g for g in groups if g != ""}
    method["calibration"] = "calibrated" if present <= set(totals) else "partly calibrated"
    return scaled


def _county_total(params: HouseholdParams) -> tuple[float, str] | None:
    """The county total as households, and as given (for messages), or None."""
    if params.total_households is not None:
        return float(params.total_households), f"{params.total_households:,g} households"
    if params.total_persons is not None:
        return (float(params.total_persons) / params.persons_per_household,
                f"{params.total_persons:,g} persons")
    return None


def lower_types(values: pd.Series | None, n: int) -> np.ndarray:
    """Building types as lower-case text ('' where missing)."""
    if values is None:
        return np.full(n, "", dtype=object)
    return values.fillna("").astype(str).str.strip().str.lower().to_numpy(dtype=object)
