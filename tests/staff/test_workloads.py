"""Invariants of forming workloads, for any input (hypothesis property tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from eapart.domain.codes import serpentine_order
from eapart.staff.adjacency import area_edges
from eapart.staff.norms import StaffNorms
from eapart.staff.workloads import balanceable, form_workloads, shares_needed, walk_shares

BAND = (0.8, 1.2)


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0, 50)),
                min_size=1, max_size=60), st.integers(1, 8))
def test_walk_shares_cut_the_walk_into_k_nonempty_runs(buildings, k):
    k = min(k, len(buildings))
    points = np.array([(x, y) for x, y, _ in buildings])
    weight = np.array([w for _, _, w in buildings])
    share = walk_shares(points, weight, k)
    assert sorted(set(share.tolist())) == list(range(k))
    walk = share[serpentine_order(points[:, 0], points[:, 1])]
    assert (np.diff(walk) >= 0).all() and (np.diff(walk) <= 1).all()  # runs along the walk


@given(st.floats(0, 40))
def test_shares_land_in_the_band_whenever_some_count_does(load):
    k = int(shares_needed(np.array([load]), BAND)[0])
    assert k >= 1
    if load <= BAND[1]:
        assert k == 1
    fits = [j for j in range(1, 60) if BAND[0] <= load / j <= BAND[1]]
    if fits and load > BAND[1]:
        assert BAND[0] <= load / k <= BAND[1]
    assert bool(balanceable(np.array([load]), BAND)[0]) == bool(fits)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 7), st.integers(2, 7),
       st.lists(st.integers(0, 200), min_size=49, max_size=49), st.integers(1, 3))
def test_every_area_gets_one_workload_or_stated_shares(nx, ny, households, columns):
    """A grid of small areas in census areas of ``columns`` columns each."""
    cells = [(i, j) for j in range(ny) for i in range(nx)]
    geometry = np.array([shapely.box(i, j, i + 1, j + 1) for i, j in cells])
    codes = [f"000000001{(i // columns) + 1:03d}{n:03d}" for n, (i, j) in
             enumerate(cells, start=1)]
    areas = pd.DataFrame({
        "small_area_code": codes, "census_area_code": [c[:12] for c in codes],
        "township_code": "000000001", "households": households[:len(cells)],
        "persons": [h * 3 for h in households[:len(cells)]],
        "buildings": [max(1, h // 20) for h in households[:len(cells)]]})
    buildings = pd.DataFrame([
        {"small_area_code": code, "building_id": f"{code}-{b}",
         "households": h / n, "persons": 3 * h / n, "x": i + (b + 0.5) / n, "y": j + 0.5}
        for code, h, n, (i, j) in zip(codes, areas["households"], areas["buildings"], cells,
                                      strict=True)
        for b in range(n)])
    pairs, shared = area_edges(geometry)
    pieces = form_workloads(areas, pairs, shared, buildings, StaffNorms())
    per_area = pieces.groupby("small_area_code")
    assert set(per_area.groups) == set(codes)
    assert (per_area.size() == per_area["shares"].first()).all()
    expected = areas.set_index("small_area_code").loc[list(per_area.groups), "households"]
    assert per_area["households"].sum().to_numpy() == pytest.approx(expected.to_numpy())
    # Each workload of whole areas is one piece inside one township.
    whole = pieces[pieces["shares"] == 1]
    for _, group in whole.groupby("slot"):
        union = shapely.union_all(geometry[[codes.index(c) for c in group["small_area_code"]]])
        assert union.geom_type == "Polygon"
