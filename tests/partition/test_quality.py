"""Compactness and the county summary."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import shapely
from township_builders import square_task

from eapart.partition import quality as q
from eapart.partition.model import PartitionParams
from eapart.partition.township import partition_township

PARAMS = PartitionParams(target=40, min_size=32, max_size=48)


def test_polsby_popper():
    disc = shapely.Point(0, 0).buffer(10, quad_segs=256)
    square = shapely.box(0, 0, 10, 10)
    ribbon = shapely.box(0, 0, 1000, 1)
    pp = q.polsby_popper(np.array([disc, square, ribbon]))
    assert abs(pp[0] - 1) < 1e-3
    assert abs(pp[1] - math.pi / 4) < 1e-9
    assert pp[2] < 0.01


def test_sizes_against_target():
    sizes = np.array([80, 64, 96, 63, 97, 0])
    assert q.within_share(sizes, 80) == 3 / 6
    summary = q.size_summary(sizes, 80)
    assert summary["count"] == 6 and summary["max"] == 97
    assert sum(summary["ratio_histogram"].values()) == 6


def test_tiling_check_sees_gaps_and_overlaps():
    parent = shapely.box(0, 0, 10, 10)
    good = q.tiling_check(np.array([shapely.box(0, 0, 5, 10), shapely.box(5, 0, 10, 10)]), parent)
    assert good["gap_share"] < 1e-12 and good["overlap_share"] < 1e-12
    bad = q.tiling_check(np.array([shapely.box(0, 0, 6, 10), shapely.box(5, 0, 9, 10)]), parent)
    assert np.isclose(bad["gap_share"], 0.1) and np.isclose(bad["overlap_share"], 0.1)


def test_county_summary_adds_townships_up(tmp_path):
    a = partition_township(square_task(PARAMS))
    b = partition_township(square_task(replace(PARAMS, allow_barrier_crossing=True)))
    summary = q.county_summary([a, b], PARAMS)
    assert summary["small_areas"] == len(a.small_areas) + len(b.small_areas)
    assert summary["buildings"] == 2 * len(square_task().buildings)
    assert summary["flags"]["oversize_building"] == 2
    assert summary["flags"]["undersize_isolated"] == 1
    assert summary["single_piece_share"] == 1.0
    assert 0 < summary["barrier_boundary_share"] < 1
    assert 0 < summary["polsby_popper_median"] < 1
    # It is what goes into report.json: plain JSON, read back equal.
    path = tmp_path / "report.json"
    path.write_text(json.dumps(summary))
    assert json.loads(path.read_text()) == summary
