"""Households, persons and floors of placed buildings, drawn by building type.

- Apartments: 8-90 households, most 20-45 as in the walk-up blocks of a county
  town (floors times flats per floor, about one flat per 100 square metres of
  footprint); towers 301-420 households on 26-33 floors. Blocks stay below the
  usual maximum of a small area, so only towers stand alone.
- Urban low-rise ``residential``: 1-6 households; rural ``house``: 1 household of 2-5.
- Dormitories: one collective household or none, 80-600 persons; the giant college
  hall 2,100-2,600 persons (more than the 2,000 above which a building may be split).
- Barracks: no household, 120-400 persons. Everything else: nobody lives there.
"""

from __future__ import annotations

import numpy as np

from eapart.synthetic.footprints import TYPE_CODE, Candidates

#: Storeys (low, high inclusive) of buildings whose floors do not follow from households.
FLOORS = {
    "house": (1, 3), "residential": (1, 4), "retail": (1, 3), "office": (3, 12),
    "garage": (1, 1), "warehouse": (1, 2), "industrial": (1, 3), "shed": (1, 1),
    "farm_auxiliary": (1, 1), "school": (3, 5), "hospital": (4, 12), "dormitory": (4, 8),
    "barracks": (2, 4),
}


def mark_extremes(c: Candidates, area: np.ndarray) -> None:
    """Make sure the placed buildings hold one tower above 300 households and one
    dormitory above 2,000 persons (the cases a partitioner must report).

    The planned ones may have been dropped for clashing with a road; then the largest
    placed apartment block becomes the tower, and the largest dormitory, school,
    hospital or office becomes the giant dormitory. ``c`` is changed in place.
    """
    if not c.tower.any():
        flats = np.flatnonzero(c.type_code == TYPE_CODE["apartments"])
        if len(flats):
            c.tower[flats[np.argmax(area[flats])]] = True
    if c.giant.any():
        return
    for kind in ("dormitory", "school", "hospital", "office", "apartments"):
        same = np.flatnonzero((c.type_code == TYPE_CODE[kind]) & ~c.tower)
        if len(same):
            k = same[np.argmax(area[same])]
            c.giant[k] = True
            c.type_code[k] = TYPE_CODE["dormitory"]
            return


def occupancy(
    rng: np.random.Generator, c: Candidates, area: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Households, persons and floors for buildings ``c`` of footprint ``area`` (m²)."""
    n = len(c)
    t = c.type_code
    hh = np.zeros(n, dtype=np.int64)
    persons = np.zeros(n, dtype=np.int64)
    floors = np.ones(n, dtype=np.int64)
    for name, (lo, hi) in FLOORS.items():
        m = t == TYPE_CODE[name]
        floors[m] = rng.integers(lo, hi + 1, m.sum())

    house = t == TYPE_CODE["house"]
    hh[house] = 1
    persons[house] = rng.integers(2, 6, house.sum())

    low = t == TYPE_CODE["residential"]
    hh[low] = 1 + rng.binomial(5, 0.3, low.sum())

    apt = (t == TYPE_CODE["apartments"]) & ~c.tower
    per_floor = np.maximum(2, np.round(area[apt] / 100.0)).astype(np.int64)
    wanted = np.clip(np.round(np.exp(rng.normal(np.log(31), 0.45, apt.sum()))), 8, 90)
    floors[apt] = np.clip(np.ceil(wanted / per_floor), 3, 33).astype(np.int64)
    hh[apt] = np.clip(floors[apt] * per_floor - rng.integers(0, per_floor), 8, 90)

    tower = c.tower
    hh[tower] = rng.integers(301, 421, tower.sum())
    floors[tower] = rng.integers(26, 34, tower.sum())

    giant = c.giant
    dorm = (t == TYPE_CODE["dormitory"]) & ~giant
    hh[dorm] = rng.random(dorm.sum()) < 0.5
    persons[dorm] = rng.integers(80, 601, dorm.sum())
    hh[giant] = 1
    persons[giant] = rng.integers(2_100, 2_601, giant.sum())
    floors[giant] = rng.integers(12, 19, giant.sum())

    barracks = t == TYPE_CODE["barracks"]
    persons[barracks] = rng.integers(120, 401, barracks.sum())

    # Households of flats and urban houses: 1 to 5 persons each, about 2.8 on average.
    family = apt | tower | low
    persons[family] = hh[family] + rng.binomial(hh[family] * 4, 0.45)
    return hh, persons, floors
