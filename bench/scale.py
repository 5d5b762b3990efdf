"""How eapart scales: synthetic counties of growing size, time and memory per stage.

Run from the repository root (after ``make test`` or ``make bench`` installed it)::

    .venv/bin/python bench/scale.py                       # 10k, 61k, 250k, 1M buildings
    .venv/bin/python bench/scale.py --sizes 10000,61310   # a quick look
    .venv/bin/python bench/scale.py --jobs 1              # one process

Each county is generated once (``eapart.synthetic.county``) into ``bench/out/``, then
``eapart.api.run`` runs on it in a fresh process (so memory figures are its own)
with the review maps off unless ``--maps``. The table gives wall seconds per stage,
the engine's own stages (summed over townships: CPU seconds when townships run in
parallel), and the peak resident memory per stage of the run's process and all
its workers together (sampled every 0.1 s from /proc): "peak MB" sums their
resident sets (pages the workers share with the forkserver they were forked from
count once per process), "peak PSS MB" shares each shared page among the processes
that map it (what the tree takes from the machine).
"k" is the growth exponent from the size before (log-log slope of the run's wall
time); the last line fits time = a * n^k over all sizes: k near 1 is linear.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

_DRIVER = r"""
import json, os, resource, sys, threading, time
from pathlib import Path
from eapart.api import run
from eapart.config import RunConfig
from eapart.progress import Progress

def pss_bytes(pid):
    # Proportional set size: a page shared by n processes counts 1/n in each.
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0

def tree_mb():
    # Resident memory (RSS, PSS) of this process and every descendant (workers of
    # a forkserver are not our children, so getrusage cannot see them).
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    mine, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        p = frontier.pop()
        for child, parent in parents.items():
            if parent == p and child not in mine:
                mine.add(child)
                frontier.append(child)
    return (sum(rss.get(p, 0) for p in mine) / 2**20,
            sum(pss_bytes(p) for p in mine) / 2**20)

class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0.0
        self.peak_pss = 0.0
        self.stop = threading.Event()
    def run(self):
        while not self.stop.is_set():
            rss, pss = tree_mb()
            self.peak = max(self.peak, rss)
            self.peak_pss = max(self.peak_pss, pss)
            time.sleep(0.1)

class Recorder(Progress):
    def __init__(self):
        super().__init__(quiet=True)
        self.peaks = {}
    def stage(self, name, total=None):
        outer = super().stage(name, total)
        recorder = self
        class Wrapped:
            def __enter__(self):
                return outer.__enter__()
            def __exit__(self, *exc):
                result = outer.__exit__(*exc)
                recorder.peaks[name] = sampler.peak
                sampler.peak = 0.0
                return result
        return Wrapped()

src, out, jobs, maps = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
sampler = Sampler()
sampler.start()
progress = Recorder()
start = time.perf_counter()
result = run(RunConfig(input=Path(src), out=Path(out), jobs=jobs, maps=maps, force=True),
             progress)
wall = time.perf_counter() - start
sampler.stop.set()
print(json.dumps({"wall": wall, "stages": result.timings, "engine": result.engine_timings,
                  "peaks_mb": progress.peaks, "peak_mb": max(progress.peaks.values()),
                  "peak_pss_mb": sampler.peak_pss,
                  "self_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "small_areas": result.report["small_areas"],
                  "census_areas": result.report["census_areas"],
                  "within": result.report["within_tolerance_share"]}))
"""


#: Largest county the generator makes in one piece (its township and village codes
#: run out beyond); larger ones are tiles of such counties side by side.
TILE = 250_000


def tiled_county(n: int, seed: int) -> dict:
    """``n`` buildings as ceil(n / TILE) synthetic counties laid side by side.

    Each tile has its own county code, so township and village codes stay unique;
    the layers are simply concatenated, as a very large county would arrive.
    """
    import pandas as pd

    from eapart.synthetic.county import make_county as generate

    tiles = math.ceil(n / TILE)
    sizes = [n // tiles + (1 if i < n % tiles else 0) for i in range(tiles)]
    parts = []
    east = None
    for i, size in enumerate(sizes):
        layers = generate(n_buildings=size, n_townships=min(200, round(20 * size / 61_310)),
                          seed=seed + i, county_code=f"{420117 + i:06d}")
        minx, _, maxx, _ = layers["county"].total_bounds
        dx = 0.0 if east is None else east + 5_000.0 - minx  # clear of the previous tile
        east = maxx + dx
        parts.append({k: v.set_geometry(v.geometry.translate(dx, 0)) for k, v in layers.items()})
    out = {}
    for name in parts[0]:
        frame = pd.concat([p[name] for p in parts], ignore_index=True)
        if "id" in frame:
            frame["id"] = [f"T{i}-{v}" for i, p in enumerate(parts) for v in p[name]["id"]]
        out[name] = frame
    return out


def make_county(n: int, seed: int) -> Path:
    """Generate (once) a synthetic county of ``n`` buildings; return its path."""
    from eapart.synthetic.county import make_county as generate
    from eapart.synthetic.county import write_county

    townships = min(200, max(4, round(20 * n / 61_310)))  # the generator allows 200
    path = OUT / f"county-{n}-{townships}-{seed}.gpkg"
    generator = Path(generate.__code__.co_filename).parent
    newest = max(f.stat().st_mtime for f in generator.glob("*.py"))
    if not path.exists() or path.stat().st_mtime < newest:  # made by an older generator
        OUT.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        layers = tiled_county(n, seed) if n > TILE else \
            generate(n_buildings=n, n_townships=townships, seed=seed)
        write_county(path, layers)
        print(f"  generated {n:,} buildings in {townships} townships "
              f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return path


def measure(path: Path, jobs: int, maps: bool) -> dict:
    """Run eapart on ``path`` in a fresh process; return its figures."""
    out = OUT / f"{path.stem}-run"
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(path), str(out), str(jobs), "1" if maps else "0"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"run failed on {path.name}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fit_exponent(sizes: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) against log(size)."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,61310,250000,1000000")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--maps", action="store_true", help="include the review maps")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        path = make_county(n, args.seed)
        rows.append((n, measure(path, args.jobs, args.maps)))
        print(f"  measured {n:,}", file=sys.stderr)
    stages = list(rows[0][1]["stages"])
    engine = list(rows[0][1]["engine"])
    header = ["buildings", "small areas", "within 20%", *stages, "total s",
              *[f"{e} (cpu)" for e in engine], *[f"MB {s}" for s in stages], "peak MB",
              "peak PSS MB", "k"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for i, (n, r) in enumerate(rows):
        cells = [f"{n:,}", f"{r['small_areas']:,}", f"{r['within']:.1%}"]
        cells += [f"{r['stages'].get(s, 0):.1f}" for s in stages]
        cells += [f"{r['wall']:.1f}"]
        cells += [f"{r['engine'].get(e, 0):.1f}" for e in engine]
        cells += [f"{r['peaks_mb'].get(s, 0):.0f}" for s in stages]
        cells += [f"{r['peak_mb']:.0f}", f"{r.get('peak_pss_mb', 0):.0f}"]
        cells += [f"{fit_exponent([rows[i - 1][0], n], [rows[i - 1][1]['wall'], r['wall']]):.2f}"
                  if i else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    print(f"eapart scale benchmark, jobs={args.jobs}, maps={'on' if args.maps else 'off'}")
    print("\n".join(lines))
    if len(rows) > 1:
        k = fit_exponent([n for n, _ in rows], [r["wall"] for _, r in rows])
        print(f"fitted growth: time ~ n^{k:.2f} "
              f"({'no worse than n log n' if k < 1.15 else 'worse than n log n'})")
    OUT.mkdir(exist_ok=True)
    (OUT / "scale.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (OUT / "scale.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
