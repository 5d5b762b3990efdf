"""How eapart does on real maps: every real extract beside the checkout, and the generated county.

Each case is run through the real command line (``eapart run ... --no-maps``), and
its output directory is read back and checked independently of the engine:

- households and small areas per township; the share of small areas within +/-20%
  and +/-11% of the target (``report.json``'s target: the county mean when
  ``--small-areas`` is given);
- the ceiling the report computes (``ceiling_share``) and the gap to it;
- crossings, from geometry alone: a small area that a major road, railway or river
  runs through (more than 1 m of it inside the polygon) is split along those lines;
  when two or more of the pieces hold households it has **households on both
  sides**, otherwise only **empty land across** the barrier;
- Polsby-Popper compactness (mean);
- buildings outside their own small-area polygon (the footprint's representative
  point farther than 5 cm from the polygon the building is coded to);
- tiling gaps holding buildings: township land that no small area covers, in pieces
  that hold a building's point (m2).

Cases: every ``*.gpkg`` named in :data:`REAL_CASES` found in ``../shared/data``
(absent ones are skipped, saying so), and the generated county
(``eapart sample``, 61,310 buildings, without its villages layer, cut with
``--small-areas 3316 --census-areas 440``). Real inputs are run as they are
(footprints that collapse on repair become point buildings).

Run::

    .venv/bin/python bench/real_data.py             # all cases, one core
    .venv/bin/python bench/real_data.py --jobs 2 --skip-generated
    .venv/bin/python bench/real_data.py --extra "--allow-barrier-crossing"
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from eapart.config import RunConfig
from eapart.domain.areas import Areas
from eapart.io.read import read_inputs

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REAL_CASES = ("andorra", "kotka")
GENERATED_ARGS = ("--small-areas", "3316", "--census-areas", "440")

#: Barriers that should not run through a small area (the read inputs' kinds and ranks).
MAJOR = {("road", "major"), ("rail", "major"), ("water", "major")}
#: Metres of a major barrier inside a small area before it counts as running through it.
CROSSING_MIN_LENGTH = 1.0
#: Metres a building's point may lie from its own small area (snapping, CRS round trip).
POINT_TOLERANCE = 0.05
#: Width (metres) of the cut a barrier makes through a small area when counting the
#: sides its households lie on.
CUT_WIDTH = 0.002


def without_villages(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` without its villages: census areas are then formed by
    the tool, to ``--census-areas`` (as ``bench/engine_quality.py`` measures them)."""
    for name in pyogrio.list_layers(src)[:, 0]:
        if name != "villages":
            gpd.read_file(src, layer=name).to_file(dst, layer=name)


def run_case(path: Path, out: Path, args: list[str], jobs: int,
             engine: Path | None = None) -> float:
    """``eapart run`` on one input; returns wall seconds. Stops the bench on failure.

    ``engine``: a folder holding another ``eapart`` package to run instead of the
    installed one (run from ``out``'s folder, so that no checkout in the working
    directory comes first on the module path).
    """
    cmd = [sys.executable, "-m", "eapart.cli", "run", str(path), "--out", str(out), "--force",
           "--no-maps", "--quiet", "--jobs", str(jobs), *args]
    env, cwd = None, None
    if engine is not None:
        env, cwd = {**os.environ, "PYTHONPATH": str(engine)}, out.parent
    start = perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    seconds = perf_counter() - start
    if done.returncode not in (0, 3):
        sys.exit(f"{path.name} ({engine or 'this eapart'}): eapart exited "
                 f"{done.returncode}\n{done.stderr}")
    return seconds


def crossing_kinds(areas: gpd.GeoDataFrame, lines: np.ndarray, points: np.ndarray,
                   households: np.ndarray, area_of_point: np.ndarray) -> np.ndarray:
    """Per small area: 0 no major barrier through it, 1 empty land across, 2 households
    on both sides (see the module docstring)."""
    geoms = areas.geometry.to_numpy()
    out = np.zeros(len(geoms), dtype=np.int64)
    if len(lines) == 0:
        return out
    a_idx, l_idx = shapely.STRtree(lines).query(geoms, predicate="intersects")
    # Only what runs through the interior: a barrier along the boundary bounds the area.
    rim = shapely.buffer(shapely.boundary(geoms[a_idx]), POINT_TOLERANCE)
    inside = shapely.intersection(lines[l_idx], geoms[a_idx])
    length = np.bincount(a_idx, shapely.length(shapely.difference(inside, rim)),
                         minlength=len(geoms))
    for a in np.flatnonzero(length > CROSSING_MIN_LENGTH):
        # The lines widened a little, so that a line ending a few micrometres short of
        # the outline (or past it) splits the area all the same: polygonizing the lines
        # with the outline flipped areas between the two kinds on micrometre moves.
        wide = shapely.buffer(shapely.union_all(inside[a_idx == a]), CUT_WIDTH / 2)
        faces = shapely.get_parts(shapely.difference(geoms[a], wide))
        mine = np.flatnonzero((area_of_point == a) & (households > 0))
        if len(faces) < 2 or len(mine) == 0:
            out[a] = 1
            continue
        _, f_idx = shapely.STRtree(faces).query(points[mine], predicate="intersects")
        out[a] = 2 if len(np.unique(f_idx)) >= 2 else 1
    return out


def gap_holding_buildings(township: object, areas: np.ndarray, points: np.ndarray) -> float:
    """Area (m2) of the township's uncovered pieces that hold a building's point."""
    gap = shapely.difference(township, shapely.union_all(areas))
    parts = shapely.get_parts(gap)
    parts = parts[shapely.area(parts) > 0]
    if len(parts) == 0:
        return 0.0
    holding = np.unique(shapely.STRtree(parts).query(points, predicate="intersects")[1])
    return float(shapely.area(parts[holding]).sum())


def report_band(report: dict) -> tuple[str, float]:
    """The measure balanced and its target, from ``report.json``: its ``band``, or the
    top-level ``measure`` and ``target_<measure>`` of reports written before it had one."""
    band = report.get("band")
    if band:
        return band["measure"], float(band["target"])
    return report["measure"], float(report[f"target_{report['measure']}"])


def measure(source: Path, out: Path) -> list[dict]:
    """One row per township, then a row for the case (township ``*``)."""
    result = Areas.read(out, ("townships", "small_areas", "buildings"))
    report = result.report
    inputs = read_inputs(RunConfig(input=source))
    crs = inputs.work_crs
    small = result.small_areas.to_crs(crs)
    buildings = result.buildings.to_crs(crs)
    townships = result.townships.to_crs(crs)
    measure_name, target = report_band(report)
    bar = inputs.barriers
    major = np.array([(k, r) in MAJOR for k, r in zip(bar["kind"], bar["rank"], strict=True)],
                     dtype=bool)
    lines = bar.geometry.to_numpy()[major] if len(bar) else np.zeros(0, dtype=object)
    points = shapely.point_on_surface(buildings.geometry.to_numpy())
    code_index = {c: i for i, c in enumerate(small["small_area_code"])}
    own = np.array([code_index.get(c, -1) for c in buildings["small_area_code"]])
    sa_geoms = small.geometry.to_numpy()
    placed = own >= 0
    outside = np.ones(len(buildings), dtype=bool)
    outside[placed] = ~shapely.dwithin(sa_geoms[own[placed]], points[placed], POINT_TOLERANCE)
    kinds = crossing_kinds(small, lines, points,
                           buildings["households"].to_numpy(dtype=float), own)
    sizes = small[measure_name].to_numpy(dtype=float)
    per_tw = {t["township_code"]: t for t in report["per_township"]}
    pp = 4 * np.pi * shapely.area(sa_geoms) / np.maximum(shapely.length(sa_geoms), 1e-9) ** 2
    rows = []
    for tw in townships.itertuples():
        mine = (small["township_code"] == tw.township_code).to_numpy()
        b_mine = (buildings["township_code"] == tw.township_code).to_numpy()
        rows.append(_row(tw.name, sizes[mine], target, per_tw.get(tw.township_code, {}),
                         kinds[mine], pp[mine], int(outside[b_mine].sum()),
                         gap_holding_buildings(tw.geometry, sa_geoms[mine], points[b_mine])))
    rows.append(_row("*", sizes, target, report, kinds, pp, int(outside.sum()),
                     sum(r["gap m2"] for r in rows)))
    return rows


def _row(name, sizes, target, section, kinds, pp, outside, gap) -> dict:
    ratio = np.abs(sizes / target - 1.0) if target > 0 else np.zeros(len(sizes))
    within = float((ratio <= 0.2 + 1e-12).mean()) if len(sizes) else 1.0
    ceiling = section.get("ceiling_share")
    return {
        "township": name,
        "households": round(float(sizes.sum())),
        "SAs": len(sizes),
        "±20%": within,
        "±11%": float((ratio <= 0.11 + 1e-12).mean()) if len(sizes) else 1.0,
        "ceiling": ceiling,
        "gap": None if ceiling is None else round(ceiling - within, 6) + 0.0,
        "households across": int((kinds == 2).sum()),
        "land across": int((kinds == 1).sum()),
        "PP": float(pp.mean()) if len(pp) else 0.0,
        "outside": outside,
        "gap m2": gap,
    }


#: Columns printed as shares.
SHARES = ("±20%", "±11%", "ceiling", "gap")


def cell_text(column: str, value) -> str:
    """A table cell: shares as percentages, PP to two places, other floats whole."""
    if value is None:
        return "-"
    if column in SHARES:
        return f"{value:.1%}"
    if column == "PP":
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.0f}"
    return str(value)


def print_table(case_rows: list[tuple[str, float, list[dict]]]) -> None:
    """One Markdown table: a line per township, the case's line last in bold."""
    cols = ["case", *case_rows[0][2][0].keys()]
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("---" for _ in cols) + "|")
    for case, seconds, rows in case_rows:
        for row in rows:
            label = f"**{case}** ({seconds:.1f} s)" if row["township"] == "*" else case
            cells = [label] + [cell_text(c, row[c]) for c in cols[1:]]
            print("| " + " | ".join(cells) + " |")


def cases(skip_generated: bool, tmp: Path) -> list[tuple[str, Path, list[str]]]:
    """(name, input, extra options) of every case found (the generated county drawn
    into ``tmp`` unless skipped)."""
    found = []
    for name in REAL_CASES:
        src = DATA / f"{name}.gpkg"
        if not src.exists():
            print(f"skipped {name}: {src} not found", file=sys.stderr)
            continue
        found.append((name, src, []))
    if not skip_generated:
        drawn = tmp / "drawn.gpkg"
        subprocess.run([sys.executable, "-m", "eapart.cli", "sample", str(drawn)],
                       check=True, capture_output=True)
        county = tmp / "county.gpkg"
        without_villages(drawn, county)
        found.append(("generated", county, list(GENERATED_ARGS)))
    return found


def main(argv: list[str] | None = None) -> None:
    """Run every case, check its output, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--extra", default="", help="options added to every eapart run")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, path, extra in cases(args.skip_generated, tmp):
            out = tmp / f"out_{name}"
            seconds = run_case(path, out, [*extra, *shlex.split(args.extra)], args.jobs)
            rows.append((name, seconds, measure(path, out)))
            print(f"{name}: done in {seconds:.1f} s", file=sys.stderr)
    print_table(rows)


if __name__ == "__main__":
    main()
