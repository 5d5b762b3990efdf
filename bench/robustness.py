"""Does the engine survive every township of many valid counties? Count the failures.

Runs :func:`eapart.partition.township.partition_township` on every township of
synthetic counties of several sizes and seeds, each twice (with the county's
villages as census areas, and with census areas formed by the tool), and on the
Andorra extract (``../shared/data/andorra.gpkg``), which has no villages, twice
(census areas formed by the tool, and villages cut along its major roads and
rivers), through the real front end (``eapart.api.plan``).

A township fails when the engine raises, or when its result breaks a hard rule:
a building not placed exactly once, a small area that is not one Polygon, small
areas whose areas do not add up to the township's. The table gives, per county:
townships, failures, townships whose cells the grid matching could not make a
clean coverage (GEOS coverage cleaning did instead: slower, no failure), townships
whose cells needed the tessellation's documented fallback (snapping to a coarser
grid: no failure, but the first path should hold everywhere), seconds (wall,
townships spread over ``--jobs`` processes); each failure's exception follows.

Run from the repository root::

    .venv/bin/python bench/robustness.py             # the default set, ~10 min on 2 cores
    .venv/bin/python bench/robustness.py --quick     # about a minute
    .venv/bin/python bench/robustness.py --sizes 3000,20000 --seeds 0-9
    .venv/bin/python bench/robustness.py --input my_county.gpkg --no-synthetic

Synthetic counties are generated once into ``bench/out/`` (the same files
``bench/scale.py`` uses: ``county-N-T-SEED.gpkg``, T = max(4, 20 N / 61310)).
Exit status 1 when any township failed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from eapart.api import plan
from eapart.config import RunConfig
from eapart.io.read import read_inputs
from eapart.partition.cells import tessellate as tessellate_module
from eapart.partition.cells.precision import linework
from eapart.partition.cells.tessellate import FALLBACK_NOTE
from eapart.partition.model import TownshipTask
from eapart.partition.township import partition_township

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ANDORRA = HERE.parents[1] / "shared" / "data" / "andorra.gpkg"

#: (buildings, seeds) of the default run; 3,000 seed 0 and 250,000 seed 0 once crashed.
DEFAULT_SET: tuple[tuple[int, str], ...] = (
    (2_000, "0-5"), (3_000, "0-5"), (5_000, "0-3"), (20_000, "0-1"), (61_310, "0"),
    (250_000, "0"),
)
QUICK_SET: tuple[tuple[int, str], ...] = ((2_000, "0-1"), (3_000, "0"))

#: Relative tolerance for "small areas add up to the township's area".
AREA_TOLERANCE = 1e-6


@dataclass
class CountyRun:
    """The outcome of one county: its townships and what went wrong where."""

    name: str
    townships: int = 0
    buildings: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)
    fallbacks: int = 0
    geos_cleaned: int = 0


def parse_seeds(text: str) -> list[int]:
    """``"0-3,7"`` -> ``[0, 1, 2, 3, 7]``."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def synthetic_county(n: int, seed: int) -> Path:
    """Generate (once) the synthetic county of ``n`` buildings and ``seed``; its path."""
    from eapart.synthetic.county import make_county, write_county

    townships = max(4, round(20 * n / 61_310))
    path = OUT / f"county-{n}-{townships}-{seed}.gpkg"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        write_county(path, make_county(n_buildings=n, n_townships=townships, seed=seed))
    return path


def county_tasks(path: Path, villages: bool | str) -> list[TownshipTask]:
    """The township tasks of a county file, its villages kept or dropped.

    ``villages="cut"``: villages made by cutting each township along its major
    roads and rivers (:func:`villages_along_barriers`), for a file that has none.
    """
    inputs = read_inputs(RunConfig(input=path))
    if not villages:
        inputs.villages = None
    tasks = plan(RunConfig(), inputs).tasks
    if villages == "cut":
        for task in tasks:
            task.villages = villages_along_barriers(task)
    return tasks


def villages_along_barriers(task: TownshipTask) -> gpd.GeoDataFrame:
    """Villages that are the faces the township's major roads and rivers enclose.

    Their boundaries lie exactly on the barrier lines, the case where blocks and
    village edges coincide.
    """
    major = task.barriers[task.barriers["rank"].astype(str) == "major"].geometry.to_numpy()
    lines = linework(np.concatenate([[task.geometry], major]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    faces = faces[shapely.contains_properly(task.geometry, shapely.point_on_surface(faces))]
    codes = [f"{task.township_code}{i + 1:03d}" for i in range(len(faces))]
    return gpd.GeoDataFrame({"census_area_code": codes, "name": codes}, geometry=faces,
                            crs=task.crs)


def broken_rule(task: TownshipTask, result) -> str | None:
    """The first hard rule the result of ``task`` breaks, or ``None``."""
    placed = result.assignment["small_area_code"]
    if len(placed) != len(task.buildings) or placed.isna().any():
        return f"{len(task.buildings) - placed.notna().sum()} buildings not placed"
    if not result.assignment["building_id"].is_unique:
        return "a building placed twice"
    geoms = result.small_areas.geometry.to_numpy()
    pieces = np.flatnonzero(shapely.get_type_id(geoms) != 3)
    if len(pieces):
        codes = result.small_areas["small_area_code"].to_numpy()[pieces]
        return f"small areas not one Polygon: {', '.join(map(str, codes[:5]))}"
    total, township = shapely.area(geoms).sum(), shapely.area(task.geometry)
    if abs(total - township) > AREA_TOLERANCE * township:
        return f"small areas cover {total:.3f} m2 of the township's {township:.3f} m2"
    return None


#: Townships of this process whose cells the numpy grid matching could not make a
#: clean coverage, so that GEOS cleaned them (see :func:`_counted_snap`).
_GEOS_CLEANED = [0]


def _counted_snap(cells, outline):
    """The tessellation's grid matching, counting the times it gives up."""
    snapped = _SNAP(cells, outline)
    _GEOS_CLEANED[0] += snapped is None
    return snapped


_SNAP = tessellate_module.snap_coverage
tessellate_module.snap_coverage = _counted_snap


def run_township(task: TownshipTask) -> tuple[str, str | None, bool, bool]:
    """Partition one township: its code and name, what went wrong (or ``None``),
    whether its cells needed the tessellation's fallback grid, and whether they
    needed GEOS coverage cleaning (the grid matching gave up)."""
    label = f"{task.township_code} {task.name} ({len(task.buildings)} buildings)"
    before = _GEOS_CLEANED[0]
    try:
        result = partition_township(task)
    except Exception as error:  # the bench counts every failure, whatever it is
        where = traceback.extract_tb(error.__traceback__)[-1]
        place = f"{Path(where.filename).name}:{where.lineno}"
        return label, f"{type(error).__name__}: {error} [{place}]", False, False
    fallback = any(note.startswith(FALLBACK_NOTE) for note in result.notes)
    return label, broken_rule(task, result), fallback, _GEOS_CLEANED[0] > before


def run_county(name: str, tasks: list[TownshipTask], pool: ProcessPoolExecutor | None):
    """Every township of one county, in ``pool`` when given; a :class:`CountyRun`."""
    run = CountyRun(name, len(tasks), sum(len(t.buildings) for t in tasks))
    start = time.perf_counter()
    outcomes = list(pool.map(run_township, tasks) if pool else map(run_township, tasks))
    run.failures = [(label, what) for label, what, _, _ in outcomes if what]
    run.fallbacks = sum(fallback for _, _, fallback, _ in outcomes)
    run.geos_cleaned = sum(geos for _, _, _, geos in outcomes)
    run.seconds = time.perf_counter() - start
    return run


def counties(args: argparse.Namespace):
    """``(name, path, villages)`` of every county to run, in order."""
    if not args.no_synthetic:
        chosen = QUICK_SET if args.quick else DEFAULT_SET
        if args.sizes:
            chosen = tuple((int(n), args.seeds or "0") for n in args.sizes.split(","))
        elif args.seeds:
            chosen = tuple((n, args.seeds) for n, _ in chosen)
        for n, seeds in chosen:
            for seed in parse_seeds(seeds):
                path = synthetic_county(n, seed)
                yield f"synthetic {n} seed {seed}", path, True
                yield f"synthetic {n} seed {seed}, no villages", path, False
    if not args.no_andorra and ANDORRA.exists():
        yield "andorra", ANDORRA, True
        yield "andorra, villages cut along major barriers", ANDORRA, "cut"
    for extra in map(Path, args.input):
        yield extra.stem, extra, True


def print_table(runs: list[CountyRun]) -> None:
    """The summary table, then each failure."""
    print("\n| county | townships | buildings | failures | GEOS cleaning | fallback grid "
          "| seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        print(f"| {r.name} | {r.townships} | {r.buildings:,} | {len(r.failures)} "
              f"| {r.geos_cleaned} | {r.fallbacks} | {r.seconds:.1f} |")
    total = sum(len(r.failures) for r in runs)
    print(f"| **all** | {sum(r.townships for r in runs)} | {sum(r.buildings for r in runs):,} "
          f"| {total} | {sum(r.geos_cleaned for r in runs)} | {sum(r.fallbacks for r in runs)} "
          f"| {sum(r.seconds for r in runs):.1f} |")
    for r in runs:
        for label, what in r.failures:
            print(f"- {r.name}, township {label}: {what}")
    print(f"\n{total} failures")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small set, about a minute")
    parser.add_argument("--sizes", help="comma-separated building counts instead of the set")
    parser.add_argument("--seeds", help="seeds for every size, e.g. 0-4 or 0,3,7")
    parser.add_argument("--input", action="append", default=[], help="another county file")
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--no-andorra", action="store_true")
    parser.add_argument("--jobs", type=int, default=2, help="processes (1: in this one)")
    args = parser.parse_args()
    runs = []
    pool = ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    try:
        for name, path, villages in counties(args):
            tasks = county_tasks(path, villages)
            runs.append(run_county(name, tasks, pool))
            r = runs[-1]
            print(f"{name}: {r.townships} townships, {len(r.failures)} failures, "
                  f"{r.seconds:.1f} s", file=sys.stderr, flush=True)
    finally:
        if pool:
            pool.shutdown()
    print_table(runs)
    return 1 if any(r.failures for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
