"""The ceiling: an upper bound on small areas in the band, that the engine never passes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from township_builders import POINT_PARAMS as PARAMS
from township_builders import square_barriers, task_of

from eapart.partition.ceiling import _fits_whole_number
from eapart.partition.model import PartitionParams
from eapart.partition.township import partition_township
from eapart.report import below_ceiling


def in_band(res, params=PARAMS) -> int:
    h = res.small_areas["households"].to_numpy(dtype=float)
    return int(((h >= params.min_size) & (h <= params.max_size)).sum())


def test_heavy_building_and_cut_off_group_are_out_of_reach():
    # North of the river (y=150): a 100-household tower west of the major road
    # (x=500), 10 houses of 4 beside it, 20 houses of 4 east of the road. South of
    # the river, west of the road: one house of 10, cut off.
    west = [(100 + 30 * i, 700) for i in range(10)]
    east = [(600 + 30 * (i % 10), 500 + 200 * (i // 10)) for i in range(20)]
    xy = [(300, 900), *west, *east, (200, 50)]
    households = [100] + [4] * 30 + [10]
    res = partition_township(task_of(xy, households))
    flags = res.small_areas["flags"]
    assert flags.str.contains("oversize_building").sum() == 1
    assert flags.str.contains("undersize_isolated").sum() == 1
    # 120 households of free land fit 3 areas of 32-48: 3 of the 5 at most.
    assert len(res.small_areas) == 5
    assert res.metrics["ceiling_small_areas"] == 3
    assert in_band(res) == 3


def test_a_total_that_fits_no_whole_number_of_areas():
    # 100 households with a band of 64-96: one area is too big, two are too small.
    xy = [(100 + 35 * (i % 5), 300 + 35 * (i // 5)) for i in range(25)]
    params = PartitionParams(target=80, min_size=64, max_size=96)
    res = partition_township(task_of(xy, [4] * 25, barriers=square_barriers().iloc[:0],
                                     params=params))
    assert res.metrics["ceiling_small_areas"] == 0 == in_band(res, params)


def test_whole_numbers():
    got = _fits_whole_number(np.array([0.5, 31, 32, 48, 49, 63, 64, 97, 200]), 32, 48)
    assert got.tolist() == [False, False, True, True, False, False, True, True, True]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31 - 1), st.integers(1, 90), st.booleans(), st.booleans())
def test_the_engine_never_passes_the_ceiling(seed, n, heavy, shares):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(1, 999, size=(n, 2))
    households = rng.integers(0, 20, n)
    if heavy:
        households[rng.integers(0, n, max(1, n // 10))] = rng.integers(49, 200)
    params = replace(PARAMS, seed=seed % 5,
                     n_small_areas=int(rng.integers(1, 12)) if shares else None)
    res = partition_township(task_of(xy, households, params=params))
    ceiling = res.metrics["ceiling_small_areas"]
    assert in_band(res) <= ceiling <= len(res.small_areas)
    out = res.small_areas["flags"].str.contains("oversize_building|undersize_isolated")
    assert ceiling <= len(res.small_areas) - int(out.sum())


def test_warning_names_a_township_far_below_its_ceiling():
    rows = [
        {"township_code": "1", "name": "甲", "within_tolerance_share": 0.80,
         "ceiling_share": 0.84, "ceiling_gap": 0.04},
        {"township_code": "2", "name": "乙", "within_tolerance_share": 0.80,
         "ceiling_share": 0.83, "ceiling_gap": 0.03},
    ]
    (warning,) = below_ceiling(rows)
    assert "甲" in warning and "84.0%" in warning and "80.0%" in warning


def test_fractional_households_widen_the_band_by_the_rounding():
    from eapart.partition.ceiling import reported_band

    params = PartitionParams(target=80, min_size=64, max_size=96)
    assert reported_band(np.array([3.0, 5.0]), params) == (64, 96)
    assert reported_band(np.array([3.0, 5.4]), params) == (63, 97)
