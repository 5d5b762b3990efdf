"""Where a whole run's CPU goes, stage by stage: ``eapart run --jobs 1`` under cProfile.

The profiler counts CPU time (``time.process_time``), not wall time, so other work on
a shared machine inflates the figures little. Its cost per Python call is not small
(a CPU-time clock read per call and return, about 1 us each here), so stages made of
millions of small calls (the partition's region search) grow most: read which stage
and which function lead, not the seconds. Each stage is the cumulative time of the
function that does it, summed over townships; imports are timed apart, in a fresh
interpreter.

Run::

    .venv/bin/python bench/stage_profile.py county.gpkg --small-areas 3316 --census-areas 440
    .venv/bin/python bench/stage_profile.py ../shared/data/andorra.gpkg
    .venv/bin/python bench/stage_profile.py county.gpkg --top 25     # and the hot functions
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Stage -> the functions (file suffix, function name) whose cumulative time it is.
STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "read inputs": (("eapart/io/read.py", "read_inputs"),),
    "plan (band, tasks)": (("eapart/api.py", "plan"),),
    "barrier lines": (("eapart/partition/cells/graph.py", "block_lines"),),
    "tessellate": (("eapart/partition/cells/tessellate.py", "tessellate"),),
    "graph": (("eapart/partition/cells/graph.py", "build_graph"),),
    "partition": (("eapart/partition/township.py", "_formed_hierarchy"),
                  ("eapart/partition/township.py", "_village_census_areas"),
                  ("eapart/partition/township.py", "_small_areas")),
    "dissolve": (("eapart/partition/cells/dissolve.py", "dissolve"),),
    "check": (("eapart/partition/cells/invariants.py", "check_township"),),
    "walk": (("eapart/partition/township.py", "_walk_numbers"),),
    "township total": (("eapart/partition/township.py", "partition_township"),),
    "assemble + stages": (("eapart/pipeline.py", "assemble"),
                          ("eapart/stages/__init__.py", "run_stages")),
    "report": (("eapart/report.py", "build_report"),),
    "write": (("eapart/domain/areas.py", "to_file"),),
    "run total": (("eapart/api.py", "run"),),
}


def import_seconds() -> float:
    """CPU seconds of ``import eapart.api`` in a fresh interpreter (what a run loads)."""
    code = ("import time; t = time.process_time(); import eapart.api; "
            "print(time.process_time() - t)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return float(done.stdout.strip())


def profile_run(source: Path, small_areas: int | None, census_areas: int | None
                ) -> pstats.Stats:
    """Run eapart on ``source`` with one process and no maps, under a CPU-time profiler."""
    from eapart.api import run
    from eapart.config import PartitionConfig, RunConfig

    with tempfile.TemporaryDirectory() as tmp:
        cfg = RunConfig(input=source, out=Path(tmp) / "out", jobs=1, maps=False,
                        partition=PartitionConfig(small_areas=small_areas,
                                                  census_areas=census_areas))
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(run, cfg)
    return pstats.Stats(profiler)


def stage_seconds(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative CPU seconds of each stage's functions (see STAGES)."""
    cumulative: dict[tuple[str, str], float] = {}
    for (path, _, name), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        for suffix, function in (f for fs in STAGES.values() for f in fs):
            if name == function and path.endswith(suffix):
                cumulative[(suffix, function)] = cumulative.get((suffix, function), 0.0) + cum
    return {stage: sum(cumulative.get(f, 0.0) for f in functions)
            for stage, functions in STAGES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--small-areas", type=int)
    parser.add_argument("--census-areas", type=int)
    parser.add_argument("--top", type=int, default=0, help="also print the hot functions")
    args = parser.parse_args()
    imports = import_seconds()
    stats = profile_run(args.input, args.small_areas, args.census_areas)
    print(f"| stage ({args.input.name}, jobs 1) | CPU s |")
    print("|---|---|")
    print(f"| import eapart.api (fresh process, not profiled) | {imports:.2f} |")
    for stage, seconds in stage_seconds(stats).items():
        print(f"| {stage} | {seconds:.2f} |")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
