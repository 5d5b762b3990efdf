"""Time to draw every enumerator sheet of a county, and how legible their numbers are.

Usage: python bench/sheets.py [OUTDIR] [--jobs N [N ...]]
       python bench/sheets.py --overlap [--jobs N]

Without OUTDIR, runs the pipeline once on the default synthetic county (61,310
buildings, 20 townships; ``eapart.synthetic.county.make_county``) into
bench/out/sheets_county and reuses it on later runs. For each ``--jobs`` value
(default: every core) draws all sheets into a fresh copy of the output and
prints one row: small areas (sheets), pages, PDFs, seconds, sheets per second,
worker processes, and the CPU seconds spent (this process and its workers) in
all and per page. Target: the default county's sheets in under 5 minutes on
2 cores. ``--profile CODE`` instead profiles the PDF of one census area
(pyinstrument) in this process and prints where its time goes.

``--overlap`` runs the pipeline and the sheets on the default synthetic
county and on every real extract in ``../shared/data`` (Andorra, Kotka) and
prints, per data set, the map pages, the detail maps, the pages whose
building numbers overlap and the overlapping pairs (counted here from the
label boxes in ``sheets/layout.json``, not taken from the layout's own
count), and the buildings no map could number. Kotka's footprints that
collapse to nothing are dropped from a copy of the input first (and any
building a run names in an internal check), so that the extract runs.
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

from eapart.sheets.labels import overlapping_pairs  # noqa: E402
from eapart.sheets.packs import make_sheets  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
REAL = {"andorra": ("andorra.gpkg", "990101"), "kotka": ("kotka.gpkg", "990102")}


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
        paths = make_sheets(copy, jobs=jobs,
                            progress=lambda done, total: drawn.append(done)).paths
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
        pages = pdf_pages(paths)
        return {"sheets": drawn[-1], "pages": pages, "pdfs": len(paths),
                "seconds": seconds, "sheets_per_s": drawn[-1] / seconds, "jobs": jobs,
                "cpu": cpu, "cpu_per_page": cpu / max(pages, 1)}


def runnable_copy(source: Path, target: Path) -> tuple[Path, int]:
    """``source`` with its zero-area buildings dropped (written to ``target``)."""
    import geopandas as gpd
    import pyogrio
    import shapely

    dropped = 0
    for layer in pyogrio.list_layers(source)[:, 0]:
        frame = gpd.read_file(source, layer=layer)
        if layer == "buildings":
            metric = frame.to_crs(frame.estimate_utm_crs()).geometry.make_valid()
            keep = shapely.area(metric.array) > 0.5
            dropped += int((~keep).sum())
            frame = frame[keep]
        frame.to_file(target, layer=layer, driver="GPKG")
    return target, dropped


def real_output(name: str, outdir: Path) -> tuple[Path, int]:
    """The pipeline's output for a real extract, and the buildings dropped to run it."""
    import geopandas as gpd

    from eapart.api import run
    from eapart.config import RunConfig
    from eapart.errors import EapartError

    file, county = REAL[name]
    outdir.parent.mkdir(parents=True, exist_ok=True)
    source, dropped = runnable_copy(SHARED / file, outdir.parent / f"{name}_input.gpkg")
    for _ in range(5):
        try:
            run(RunConfig(input=source, out=outdir, force=True, county_code=county, jobs=1,
                          maps=False))
            return outdir, dropped
        except EapartError as error:
            ids = re.findall(r"ids ([\w, -]+)\)", str(error))
            if not ids:
                raise
            bad = {i.strip() for i in ids[0].split(",")}
            frame = gpd.read_file(source, layer="buildings")
            frame = frame[~frame["id"].astype(str).isin(bad)]
            frame.to_file(source, layer="buildings", driver="GPKG")
            dropped += len(bad)
    raise RuntimeError(f"{name}: the pipeline still fails")


def legibility(outdir: Path, jobs: int) -> dict:
    """Draw every sheet of ``outdir`` and count overlapping building numbers per page."""
    import json

    with tempfile.TemporaryDirectory(dir=outdir.parent) as scratch:
        copy = Path(scratch) / "out"
        copy.mkdir()
        for name in ("eapart.gpkg", "report.json"):
            if (outdir / name).exists():
                shutil.copy(outdir / name, copy)
        start = time.perf_counter()
        result = make_sheets(copy, jobs=jobs)
        seconds = time.perf_counter() - start
        pages = json.loads((copy / "sheets" / "layout.json").read_text())["pages"]
    pairs = [overlapping_pairs([box[:4] for box in page["boxes"]]) for page in pages]
    return {"small_areas": sum(p["map"] == "overview" for p in pages), "maps": len(pages),
            "details": sum(p["map"] != "overview" for p in pages),
            "pages": result.pages, "over_zero": sum(n > 0 for n in pairs),
            "pairs": sum(pairs), "worst": max(pairs, default=0),
            "unlabelled": sum(len(p["unlabelled"]) for p in pages), "seconds": seconds}


def overlap_table(jobs: int) -> None:
    """Print the legibility figure for the synthetic county and every real extract."""
    sets = [("generated county", county_output(ROOT / "bench" / "out" / "sheets_county"), 0)]
    for name, (file, _) in REAL.items():
        if (SHARED / file).exists():
            out, dropped = real_output(name, ROOT / "bench" / "out" / f"sheets_{name}")
            sets.append((name, out, dropped))
        else:
            print(f"{name}: {SHARED / file} not found, skipped")
    print(f"{'data':<17} {'dropped':>7} {'areas':>6} {'maps':>6} {'details':>7} {'pages':>7} "
          f"{'pages>0':>7} {'pairs':>6} {'worst':>6} {'unlabelled':>10} {'seconds':>8}")
    for name, out, dropped in sets:
        row = legibility(out, jobs)
        print(f"{name:<17} {dropped:>7} {row['small_areas']:>6} {row['maps']:>6} "
              f"{row['details']:>7} {row['pages']:>7} {row['over_zero']:>7} {row['pairs']:>6} "
              f"{row['worst']:>6} {row['unlabelled']:>10} {row['seconds']:>8.1f}", flush=True)


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
    parser.add_argument("--overlap", action="store_true",
                        help="label overlap on the synthetic county and the real extracts")
    args = parser.parse_args(argv)
    if args.overlap:
        overlap_table(args.jobs[0])
        return
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
