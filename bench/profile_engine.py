"""Where does the partition engine spend its time? Profile the largest townships.

Reads a county through the real pipeline front end (``eapart.api.plan``: read, size band, tasks),
picks the townships with the most buildings, times each stage of
:func:`eapart.partition.township.partition_township` (tessellate, graph, partition,
dissolve) and prints, per stage, the functions that take the most time (pyinstrument,
sampled every millisecond).

Run::

    .venv/bin/python bench/profile_engine.py                      # default synthetic county
    .venv/bin/python bench/profile_engine.py --townships 2 --top 12
    .venv/bin/python bench/profile_engine.py --input ../shared/data/andorra.gpkg
    .venv/bin/python bench/profile_engine.py --html /tmp/profile.html   # full call tree
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from time import perf_counter

from pyinstrument import Profiler

from eapart.api import plan
from eapart.config import PartitionConfig, RunConfig
from eapart.io.read import read_inputs
from eapart.partition.township import partition_township

#: The stage each engine function belongs to, by the module it lives in.
STAGE_OF_MODULE = {
    "tessellate": "tessellate",
    "graph": "graph",
    "dissolve": "dissolve",
    "regions": "partition",
    "spanning": "partition",
    "refine": "partition",
    "pins": "partition",
    "labels": "partition",
}


def county_tasks(args: argparse.Namespace):
    """The county's township tasks: a file given, or the default synthetic county."""
    part = PartitionConfig(small_areas=args.small_areas, census_areas=args.census_areas)
    if args.input:
        return plan(RunConfig(input=Path(args.input), partition=part)).tasks
    from eapart.synthetic.county import make_county, write_county

    layers = make_county(n_buildings=args.buildings, n_townships=20, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "county.gpkg"
        write_county(path, layers)
        inputs = read_inputs(RunConfig(input=path))
    if args.no_villages:
        inputs.villages = None
    return plan(RunConfig(partition=part), inputs).tasks


def _engine_frames(frame, stack: tuple[str, ...], out: dict) -> None:
    """Walk a pyinstrument frame tree: self time of each eapart.partition function."""
    path = frame.file_path or ""
    name = frame.function or "?"
    here = stack
    if "eapart/partition/" in path:
        module = Path(path).stem
        here = (*stack, f"{module}.{name}")
    own = frame.time - sum(child.time for child in frame.children)
    if here:
        key = here[-1] if "eapart/partition/" in path else f"{here[-1]} > {name}"
        out[key] += own
    for child in frame.children:
        _engine_frames(child, here, out)


def hot_spots(profiler: Profiler, top: int) -> list[tuple[str, float]]:
    """The ``top`` heaviest (engine function, or engine function > library call) pairs."""
    session = profiler.last_session
    root = session.root_frame()
    totals: dict[str, float] = defaultdict(float)
    if root is not None:
        _engine_frames(root, (), totals)
    return sorted(totals.items(), key=lambda kv: -kv[1])[:top]


def main(argv: list[str] | None = None) -> None:
    """Profile the largest townships and print stage times and hot spots."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", help="a county GeoPackage instead of the synthetic one")
    parser.add_argument("--buildings", type=int, default=61_310)
    parser.add_argument("--townships", type=int, default=2, help="how many of the largest")
    parser.add_argument("--top", type=int, default=15, help="hot spots to print")
    parser.add_argument("--small-areas", type=int, default=None)
    parser.add_argument("--census-areas", type=int, default=None)
    parser.add_argument("--no-villages", action="store_true", help="let the tool form CAs")
    parser.add_argument("--html", help="write the full call tree to this HTML file")
    args = parser.parse_args(argv)

    start = perf_counter()
    tasks = county_tasks(args)
    print(f"county read in {perf_counter() - start:.1f} s, {len(tasks)} townships",
          file=sys.stderr)
    tasks = sorted(tasks, key=lambda t: -len(t.buildings))[: args.townships]
    profiler = Profiler(interval=0.001)
    profiler.start()
    results = [partition_township(t) for t in tasks]
    profiler.stop()

    print("| township | buildings | cells | small areas | "
          "tessellate s | graph s | partition s | dissolve s |")
    print("|---|---|---|---|---|---|---|---|")
    for task, res in zip(tasks, results, strict=True):
        s = res.metrics["seconds"]
        print(f"| {task.township_code} | {len(task.buildings)} | {res.metrics['cells']} | "
              f"{len(res.small_areas)} | {s['tessellate']:.2f} | {s['graph']:.2f} | "
              f"{s['partition']:.2f} | {s['dissolve']:.2f} |")
    print()
    print("| hot spot (self time under profiling) | seconds |")
    print("|---|---|")
    for name, sec in hot_spots(profiler, args.top):
        print(f"| {name} | {sec:.2f} |")
    if args.html:
        Path(args.html).write_text(profiler.output_html())
        print(f"call tree written to {args.html}", file=sys.stderr)


if __name__ == "__main__":
    main()
