"""Time to draw every enumerator sheet of a county.

Usage: python bench/sheets.py [OUTDIR] [--jobs N [N ...]]

Without OUTDIR, runs the pipeline once on the default synthetic county (61,310
buildings, 20 townships; ``eapart.synthetic.county.make_county``) into
bench/out/sheets_county and reuses it on later runs. For each ``--jobs`` value
(default: every core) draws all sheets into a fresh copy of the output and
prints one row: small areas (sheets), pages, PDFs, seconds, sheets per second,
worker processes, and the CPU seconds spent (this process and its workers) in
all and per page. Target: the default county's sheets in under 5 minutes on
2 cores. ``--profile CODE`` instead profiles the PDF of one census area
(pyinstrument) in this process and prints where its time goes.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eapart.sheets.packs import make_sheets  # noqa: E402


def county_output(outdir: Path) -> Path:
    """The pipeline's output for the default synthetic county (built once)."""
    if (outdir / "eapart.gpkg").exists():
        return outdir
    from eapart.api import run
    from eapart.config import RunConfig
    from eapart.synthetic.county import make_county, write_county

    outdir.parent.mkdir(parents=True, exist_ok=True)
    county = outdir.parent / "sheets_county_input.gpkg"
    if not county.exists():
        write_county(county, make_county())
    run(RunConfig(input=county, out=outdir, force=True))
    return outdir


def pdf_pages(paths: list[Path]) -> int:
    """Pages in all ``paths``, counted from the PDFs' page objects."""
    return sum(len(re.findall(rb"/Type\s*/Page(?!s)", path.read_bytes())) for path in paths)


def measure(outdir: Path, jobs: int) -> dict:
    """Draw every sheet of ``outdir`` with ``jobs`` workers into a scratch copy."""
    with tempfile.TemporaryDirectory(dir=outdir.parent) as scratch:
        copy = Path(scratch) / "out"
        copy.mkdir()
        shutil.copy(outdir / "eapart.gpkg", copy)
        if (outdir / "report.json").exists():
            shutil.copy(outdir / "report.json", copy)
        drawn = [0]
        cpu = cpu_seconds()
        start = time.perf_counter()
        paths = make_sheets(copy, jobs=jobs, progress=lambda done, total: drawn.append(done))
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
        pages = pdf_pages(paths)
        return {"sheets": drawn[-1], "pages": pages, "pdfs": len(paths),
                "seconds": seconds, "sheets_per_s": drawn[-1] / seconds, "jobs": jobs,
                "cpu": cpu, "cpu_per_page": cpu / max(pages, 1)}


def cpu_seconds() -> float:
    """User and system CPU of this process and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def profile(outdir: Path, census_area: str) -> None:
    """Print a pyinstrument profile of drawing one census area's PDF in this process."""
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory(dir=outdir.parent) as scratch:
        copy = Path(scratch) / "out"
        copy.mkdir()
        shutil.copy(outdir / "eapart.gpkg", copy)
        profiler = Profiler(interval=0.001)
        profiler.start()
        make_sheets(copy, codes=[census_area], jobs=1)
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", type=Path)
    parser.add_argument("--jobs", nargs="+", type=int, default=[os.cpu_count() or 1])
    parser.add_argument("--profile", metavar="CODE", help="profile one census area's PDF")
    args = parser.parse_args(argv)
    outdir = args.outdir or county_output(ROOT / "bench" / "out" / "sheets_county")
    if args.profile:
        profile(outdir, args.profile)
        return
    print(f"{'sheets':>7} {'pages':>7} {'PDFs':>6} {'seconds':>9} {'sheets/s':>9} {'jobs':>5} "
          f"{'CPU s':>8} {'CPU s/page':>11}")
    for jobs in args.jobs:
        row = measure(outdir, jobs)
        print(f"{row['sheets']:>7} {row['pages']:>7} {row['pdfs']:>6} {row['seconds']:>9.1f} "
              f"{row['sheets_per_s']:>9.1f} {row['jobs']:>5} {row['cpu']:>8.1f} "
              f"{row['cpu_per_page']:>11.4f}", flush=True)


if __name__ == "__main__":
    main()
