"""Today's engine against an earlier one, on the same inputs with the same households.

Balance and crossings depend on the households each building holds, and the engines
of different months estimated them differently (the November engine put four times
too many households on Andorra, so it cut four times as many small areas). Each case
is therefore cut by both engines from one shared input:

1. every real case is run once through today's engine, and its buildings get the whole
   households it reported as a ``households`` column (the generated county has its own);
2. footprints with no area left after repair are left out of that input, since
   engines before the collapsed-footprint fix stopped on them;
3. the earlier engine (``git archive REV``, run from its own tree) and today's cut it;
4. both outputs are checked by :func:`real_data.measure`, today's independent checks:
   the share within +/-20% and +/-11%, small areas with households on both sides of
   a major road, railway or river, buildings outside their own small area, tiling
   gaps holding a building.

Run from a git checkout (the earlier engine comes from its history)::

    .venv/bin/python bench/then_and_now.py                 # against 22b4c29, 29 November
    .venv/bin/python bench/then_and_now.py --rev HEAD~5 --jobs 2 --skip-generated
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_data  # noqa: E402  (this folder's sibling bench)

REPO = Path(__file__).resolve().parents[1]
#: The engine of 29 November 2026, before the corrections measured on real maps.
DEFAULT_REV = "22b4c29"
COLUMNS = ("SAs", "±20%", "±11%", "households across", "land across", "outside", "gap m2")


def engine_tree(rev: str, into: Path) -> Path:
    """The package tree of ``rev`` unpacked into ``into`` (its ``eapart`` importable there)."""
    into.mkdir(parents=True)
    done = subprocess.run(["git", "-C", str(REPO), "archive", rev, "eapart"],
                          capture_output=True)
    if done.returncode:
        sys.exit(f"cannot take the engine of {rev!r} from {REPO}'s git history "
                 f"({done.stderr.decode(errors='replace').strip()}): run this from a git "
                 "clone, with --rev naming one of its commits")
    archive = done.stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def with_households(source: Path, out: Path, into: Path) -> int:
    """Copy ``source`` to ``into`` with the whole households of output ``out`` on its
    buildings, leaving out footprints with no area after repair; returns how many were."""
    placed = gpd.read_file(out / "eapart.gpkg", layer="buildings", engine="pyogrio")
    households = pd.Series(placed["households"].to_numpy(),
                           index=placed["building_id"].astype(str).to_numpy())
    left_out = 0
    for layer in pyogrio.list_layers(source)[:, 0]:
        frame = gpd.read_file(source, layer=layer, engine="pyogrio")
        if layer == "buildings":
            solid = shapely.area(shapely.make_valid(frame.geometry.to_numpy())) > 0
            left_out = int((~solid).sum())
            frame = frame[solid].copy()
            ids = frame["id"].astype(str) if "id" in frame else frame.index.astype(str)
            frame["households"] = ids.map(households).fillna(0).astype(int).to_numpy()
        frame.to_file(into, layer=layer, engine="pyogrio")
    return left_out


def shared_inputs(tmp: Path, jobs: int, skip_generated: bool) -> list[tuple[str, Path, list]]:
    """(case, input both engines cut, extra options) for every case found."""
    found = []
    for case, source, extra in real_data.cases(skip_generated, tmp):
        if case == "generated":  # its households are given
            found.append((case, source, extra))
            continue
        first = tmp / f"today_{case}"
        real_data.run_case(source, first, extra, jobs)
        shared = tmp / f"{case}_households.gpkg"
        left_out = with_households(source, first, shared)
        if left_out:
            print(f"{case}: {left_out} collapsed footprint(s) left out of the shared input",
                  file=sys.stderr)
        found.append((case, shared, extra))
    return found


def main(argv: list[str] | None = None) -> None:
    """Cut every case with both engines and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default=DEFAULT_REV, help="the earlier engine's git revision")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--skip-generated", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        old = engine_tree(args.rev, tmp / "engine")
        print("| case | engine | " + " | ".join(COLUMNS) + " |")
        print("|---|---|" + "---|" * len(COLUMNS))
        for case, source, extra in shared_inputs(tmp, args.jobs, args.skip_generated):
            for label, tree in ((args.rev, old), ("today", None)):
                out = tmp / f"{label}_{case}_out"
                real_data.run_case(source, out, extra, args.jobs, engine=tree)
                row = real_data.measure(source, out)[-1]
                cells = [real_data.cell_text(c, row[c]) for c in COLUMNS]
                print(f"| {case} | {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
