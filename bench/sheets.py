"""Time to draw every enumerator sheet of a county.

Usage: python bench/sheets.py [OUTDIR] [--jobs N [N ...]]

Without OUTDIR, runs the pipeline once on the default synthetic county (61,310
buildings, 20 townships; ``eapart.data.synthetic.make_county``) into
bench/out/sheets_county and reuses it on later runs. For each ``--jobs`` value
(default: every core) draws all sheets into a fresh copy of the output and
prints one row: small areas (sheets), pages, PDFs, seconds, sheets per second,
worker processes. Target: the default county's sheets in under 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eapart.maps.sheets import make_sheets  # noqa: E402


def county_output(outdir: Path) -> Path:
    """The pipeline's output for the default synthetic county (built once)."""
    if (outdir / "eapart.gpkg").exists():
        return outdir
    from eapart.api import run
    from eapart.config import RunConfig
    from eapart.data.synthetic import make_county, write_county

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
        start = time.perf_counter()
        paths = make_sheets(copy, jobs=jobs, progress=lambda done, total: drawn.append(done))
        seconds = time.perf_counter() - start
        return {"sheets": drawn[-1], "pages": pdf_pages(paths), "pdfs": len(paths),
                "seconds": seconds, "sheets_per_s": drawn[-1] / seconds, "jobs": jobs}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", type=Path)
    parser.add_argument("--jobs", nargs="+", type=int, default=[os.cpu_count() or 1])
    args = parser.parse_args(argv)
    outdir = args.outdir or county_output(ROOT / "bench" / "out" / "sheets_county")
    print(f"{'sheets':>7} {'pages':>7} {'PDFs':>6} {'seconds':>9} {'sheets/s':>9} {'jobs':>5}")
    for jobs in args.jobs:
        row = measure(outdir, jobs)
        print(f"{row['sheets']:>7} {row['pages']:>7} {row['pdfs']:>6} {row['seconds']:>9.1f} "
              f"{row['sheets_per_s']:>9.1f} {row['jobs']:>5}", flush=True)


if __name__ == "__main__":
    main()
