"""CPU of chosen engine functions, summed over a county's townships, without a profiler.

``bench/stage_profile.py`` profiles a whole run, and its per-call cost inflates the
stages made of many small calls. This bench plans the county's townships as
``eapart run`` does, then cuts them one after another in this process (jobs 1) with
each named function wrapped in a CPU-time clock (``time.process_time``): the figure
is what the function costs, not what a profiler adds to it. The imported modules are
frozen out of the cyclic collector first (``gc.freeze``), as in the run's workers, so
full collections do not walk them inside the timed functions. A function nested in
another is counted in both.

Run::

    .venv/bin/python bench/phases.py county.gpkg --small-areas 3316 --census-areas 440
    .venv/bin/python bench/phases.py ../shared/data/andorra.gpkg \\
        eapart.partition.regions.exact:exact_round \\
        eapart.partition.regions.recombine:recombine_round

Each FUNCTION is ``module:name``; it is replaced in every ``eapart`` module that
imported it, so calls through any of those names are counted.
"""

from __future__ import annotations

import argparse
import collections
import gc
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: Functions timed when none are named: the township's stages.
DEFAULT_FUNCTIONS = (
    "eapart.partition.cells.tessellate:tessellate",
    "eapart.partition.cells.graph:build_graph",
    "eapart.partition.regions.small_areas:cut_small_areas",
    "eapart.partition.regions.small_areas:best_cut",
    "eapart.partition.regions.band_repair:repair_band",
    "eapart.partition.cells.dissolve:dissolve",
    "eapart.partition.cells.invariants:check_township",
    "eapart.partition.township:_walk_numbers",
)


def planned_tasks(source: Path, small_areas: int | None, census_areas: int | None) -> list:
    """The county's township tasks, read and planned as ``eapart run`` plans them."""
    from eapart.api import plan
    from eapart.config import PartitionConfig, RunConfig

    cfg = RunConfig(input=source, jobs=1, maps=False,
                    partition=PartitionConfig(small_areas=small_areas,
                                              census_areas=census_areas))
    return plan(cfg).tasks


def clocked(spec: str, seconds: collections.Counter) -> None:
    """Wrap ``module:name`` in a CPU clock adding into ``seconds[spec]``, wherever imported."""
    module_name, name = spec.split(":")
    original = getattr(importlib.import_module(module_name), name)

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[spec] += time.process_time() - start

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("eapart") \
                and getattr(module, name, None) is original:
            setattr(module, name, timed)


def cut_all(tasks: list, cut: Callable) -> float:
    """CPU seconds of cutting every task in turn."""
    start = time.process_time()
    for task in tasks:
        cut(task)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("functions", nargs="*", default=list(DEFAULT_FUNCTIONS),
                        metavar="FUNCTION", help="module:name (default: the township's stages)")
    parser.add_argument("--small-areas", type=int)
    parser.add_argument("--census-areas", type=int)
    args = parser.parse_intermixed_args(argv)
    tasks = planned_tasks(args.input, args.small_areas, args.census_areas)
    from eapart.partition import township

    seconds: collections.Counter = collections.Counter()
    for spec in args.functions:
        clocked(spec, seconds)
    gc.freeze()
    total = cut_all(tasks, township.partition_township)
    print(f"| function ({args.input.name}, {len(tasks)} townships, jobs 1) | CPU s |")
    print("|---|---|")
    print(f"| every township, whole | {total:.2f} |")
    for spec in args.functions:
        print(f"| {spec.split(':')[1]} | {seconds[spec]:.2f} |")


if __name__ == "__main__":
    main()
