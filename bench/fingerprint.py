"""A fingerprint of what a run decides, to prove a speed change left the results alone.

Runs ``eapart run --no-maps`` on the generated county (``eapart sample``, cut with
``--small-areas 3316 --census-areas 440``) and on each real extract beside the
checkout, then prints one SHA-256 per output layer of ``eapart.gpkg``: its rows
sorted by their key, every column except timings, geometry as WKB. Two commits
with the same fingerprints gave the same areas, codes and geometry.

Run::

    .venv/bin/python bench/fingerprint.py                 # all cases
    .venv/bin/python bench/fingerprint.py --cases generated --jobs 2
    .venv/bin/python bench/fingerprint.py > before.txt    # then diff after.txt
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[1]
EAPART = [str(Path(sys.executable).with_name("eapart"))]
SHARED = ROOT.parent / "shared" / "data"
REAL = {"andorra": "andorra.gpkg", "kotka": "kotka.gpkg"}
GENERATED_ARGS = ["--small-areas", "3316", "--census-areas", "440"]


def layer_digest(path: Path, layer: str) -> str:
    """SHA-256 of one layer's rows (sorted by every column), geometry (if any) as WKB."""
    frame = pyogrio.read_dataframe(path, layer=layer)
    geometry = frame.geometry.name if hasattr(frame, "geometry") else None
    columns = sorted(c for c in frame.columns if c != geometry)
    frame = frame.sort_values(columns, kind="stable").reset_index(drop=True) \
        if columns else frame
    digest = hashlib.sha256()
    for column in columns:
        digest.update(column.encode())
        digest.update("\x1f".join(map(str, frame[column].tolist())).encode())
    if geometry is not None:
        geoms = shapely.normalize(frame.geometry.to_numpy())
        for wkb in shapely.to_wkb(geoms, output_dimension=2):
            digest.update(wkb if wkb is not None else b"")
    return f"{digest.hexdigest()[:16]} ({len(frame):,} rows)"


def run_case(name: str, source: Path, extra: list[str], jobs: int, work: Path) -> dict:
    """Run one case and return {layer: digest}."""
    out = work / name
    cmd = [*EAPART, "run", str(source), "--out", str(out), "--no-maps", "--quiet",
           "--jobs", str(jobs), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{name}: eapart run failed ({done.returncode}):\n{done.stderr}")
    gpkg = out / "eapart.gpkg"
    return {layer: layer_digest(gpkg, layer) for layer, _ in pyogrio.list_layers(gpkg)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="generated,andorra,kotka")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.cases.split(","):
            if name == "generated":
                source = work / "county.gpkg"
                subprocess.run([*EAPART, "sample", str(source)], check=True,
                               capture_output=True, cwd=ROOT)
                digests = run_case(name, source, GENERATED_ARGS, args.jobs, work)
            elif (SHARED / REAL[name]).exists():
                digests = run_case(name, SHARED / REAL[name], [], args.jobs, work)
            else:
                print(f"{name}: skipped, {SHARED / REAL[name]} is absent")
                continue
            for layer, digest in sorted(digests.items()):
                print(f"{name:10} {layer:22} {digest}")


if __name__ == "__main__":
    main()
