"""Flags with meaning: households on both sides of a barrier versus empty land across it,
severities, and what --strict and --strict-flags make of them."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import shapely
from tiny_county import tiny_county, write_gpkg
from township_builders import POINT_PARAMS as PARAMS
from township_builders import task_of

from eapart.domain import flags as fl
from eapart.partition.township import line_inside, partition_township, split_by_lines

SQUARE = np.array([shapely.box(0, 0, 100, 100)], dtype=object)
ROAD = np.array([shapely.LineString([(50, -10), (50, 110)])], dtype=object)
DEAD_END = np.array([shapely.LineString([(50, -10), (50, 60)])], dtype=object)
#: A road that meets the outline 5 micrometres short of it, as clipped lines do.
SHORT = np.array([shapely.LineString([(50, 0.000005), (50, 99.999995)])], dtype=object)
#: A road along the outline, a hair inside it.
ALONG = np.array([shapely.LineString([(-10, 0.0003), (110, 0.0003)])], dtype=object)


@pytest.mark.parametrize("lines,xy,both", [
    (ROAD, [(20, 50), (80, 50)], True),          # houses west and east of the road
    (ROAD, [(20, 50), (30, 50)], False),         # houses west only: empty land across
    (DEAD_END, [(20, 30), (80, 30)], False),     # one walk round the road's end
    (SHORT, [(20, 50), (80, 50)], True),         # micrometres short: it still cuts
    (ALONG, [(20, 50), (80, 0.5)], False),       # along the outline: one side
])
def test_households_on_both_sides_need_the_lines_to_cut_the_area(lines, xy, both):
    got = split_by_lines(SQUARE, lines, np.array([True]), np.array(xy, dtype=float),
                         np.zeros(len(xy), dtype=np.int64))
    assert got.tolist() == [both]


def test_line_inside_leaves_out_what_runs_along_the_outline():
    along = np.array([shapely.LineString([(0, 0), (100, 0)])], dtype=object)
    assert line_inside(SQUARE, along)[0] == pytest.approx(0, abs=1e-6)
    assert line_inside(SQUARE, ROAD)[0] == pytest.approx(100, abs=0.2)


def test_every_flag_has_a_severity_and_crossings_are_split():
    assert fl.severity(fl.CROSSES_MAJOR_ROAD) == fl.PROBLEM
    assert fl.severity(fl.LAND_ACROSS_MAJOR_ROAD) == fl.NOTICE
    assert {f.severity for f in fl.FLAGS} <= set(fl.SEVERITIES)
    assert fl.problems("oversize_building,land_across_major_road") == []
    with pytest.raises(ValueError, match="known flags"):
        fl.check_names(["crosses_major_road", "bogus"])


def run_tiny(tmp_path, *args):
    write_gpkg(tiny_county(), tmp_path / "c.gpkg")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "eapart.cli", "run", str(tmp_path / "c.gpkg"), "--out", str(out),
         "--no-maps", "--jobs", "1", "--quiet", "--force", *args],
        capture_output=True, text=True)
    report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() \
        else None
    return done, report


def test_strict_fails_on_problems_only_and_strict_flags_choose(tmp_path):
    # Small targets: the 60-household block stands alone above the maximum (a notice).
    loose = ["--target-households", "3", "--min-households", "1", "--max-households", "59"]
    done, report = run_tiny(tmp_path, *loose, "--strict")
    assert report["flags"]["oversize_building"] == 1
    assert report["problem_small_areas"] == 0
    assert done.returncode == 0, done.stderr
    done, _ = run_tiny(tmp_path, *loose, "--strict-flags", "oversize_building")
    assert done.returncode == 3 and "oversize_building 1" in done.stderr
    # Default targets: small areas below the minimum are problems.
    done, report = run_tiny(tmp_path, "--strict")
    assert report["problem_small_areas"] > 0
    assert done.returncode == 3 and "problem flag" in done.stderr
    done, _ = run_tiny(tmp_path, "--strict-flags", "enclave")
    assert done.returncode == 0


def test_unknown_strict_flag_is_a_usage_error(tmp_path):
    done, _ = run_tiny(tmp_path, "--strict-flags", "crosses_major_road,bogus")
    assert done.returncode == 2
    assert "bogus" in done.stderr and "land_across_major_road" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_farm_far_below_the_minimum_joins_across_the_barrier_only_when_asked():
    # 30 houses of 4 north of the river (y=150), one farm of 3 south of it.
    xy = [(100 + 25 * (i % 15), 500 + 100 * (i // 15)) for i in range(30)] + [(200, 60)]
    households = [4] * 30 + [3]
    apart = partition_township(task_of(xy, households))
    assert apart.small_areas["flags"].str.contains("undersize_isolated").sum() == 1
    joined = partition_township(task_of(xy, households,
                                        params=replace(PARAMS, join_isolated_below=0.5)))
    flags = joined.small_areas["flags"]
    assert flags.str.contains("undersize_isolated").sum() == 0
    assert flags.str.contains("joined_across_barrier").sum() == 1
    assert not flags.str.contains("crosses_major_road").any()
    farm = joined.assignment.set_index("building_id").loc["B30", "small_area_code"]
    assert len(joined.assignment[joined.assignment["small_area_code"] == farm]) > 1
    assert len(joined.small_areas) == len(apart.small_areas) - 1
    # A group not far below the minimum stays apart.
    heavy_farm = partition_township(task_of(xy, [4] * 30 + [20],
                                            params=replace(PARAMS, join_isolated_below=0.5)))
    assert heavy_farm.small_areas["flags"].str.contains("undersize_isolated").sum() == 1


def test_join_share_outside_zero_to_one_is_a_usage_error(tmp_path):
    done, _ = run_tiny(tmp_path, "--join-isolated-below", "1.5")
    assert done.returncode == 2 and "join-isolated-below" in done.stderr
