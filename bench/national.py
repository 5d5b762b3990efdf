"""A nation in small: N generated counties in-process and as tasks on a LocalCluster.

Run from the repository root::

    .venv/bin/python bench/national.py                         # 12 counties of 2,500 buildings
    .venv/bin/python bench/national.py --counties 6 --workers 1,2 --no-maps

The counties are made once by ``eapart sample`` (2 townships each unless
``--townships``, seeds 0..N-1) into ``bench/out/national/``. Each mode runs
``eapart.batch.run_batch`` on the same manifest with ``--force``: ``in-process``
(one county after another, townships in this process), ``cluster:W`` (a
LocalCluster of W one-thread worker processes, started before the clock; one
county per task) and ``cluster:W+spread`` (the same, each county also handing
its townships to the cluster through ``worker_client``). The table prints

* counties per minute (wall clock, cluster start-up excluded);
* client CPU share: CPU seconds of this process (the client, and for a
  LocalCluster also its scheduler, which lives here) over all CPU seconds
  (this process plus every worker process);
* worker idle share: 1 - (sum of county task seconds) / (workers x wall).

The model then takes the measured per-county costs (worker seconds per county on
one worker, client CPU seconds per county on the largest cluster) to a
2,800-county nation on 100 and 1,000 workers: the run takes the longer of
counties x task / workers and counties x client cost (the client is the one
serial part), both for the measured small counties and for counties of the
61,310-building size (15 s per county task; ``bench/scale.py`` measures 9.4-10.5 s
wall for one on 2 processes without maps).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "national"
NATION = 2_800
#: Worker seconds of one 61,310-building county, maps on (bench/RESULTS.md, "Speed").
LARGE_COUNTY_SECONDS = 15.0


def make_counties(n: int, buildings: int, townships: int) -> list[Path]:
    """``n`` generated counties of ``buildings`` buildings, reused when already made."""
    folder = OUT / (f"counties-{buildings}" if townships == 2
                    else f"counties-{buildings}-{townships}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"c{i:03d}.gpkg"
        if not path.exists():
            subprocess.run([sys.executable, "-m", "eapart.cli", "sample", str(path),
                            "--buildings", str(buildings), "--townships", str(townships),
                            "--seed", str(i),
                            "--county-code", f"{420100 + i}", "--quiet"], check=True)
        paths.append(path)
    return paths


def write_manifest(mode: str, counties: list[Path]) -> Path:
    """A manifest sending every county to ``OUT/<mode>/results``."""
    folder = OUT / mode.replace(":", "-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rows = [f"{p},{420100 + i},results/{p.stem}" for i, p in enumerate(counties)]
    manifest = folder / "manifest.csv"
    manifest.write_text("input,county_code,out\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return manifest


def worker_cpu(client) -> float:
    """CPU seconds used so far by every worker process of ``client``."""

    def cpu() -> float:
        times = os.times()
        return times.user + times.system

    return sum(client.run(cpu).values())


def measure(mode: str, counties: list[Path], maps: bool) -> dict:
    """Run the batch once in ``mode``; its figures."""
    from eapart.batch import BatchOptions, run_batch

    manifest = write_manifest(mode, counties)
    if mode == "in-process":
        cpu0, wall0 = time.process_time(), time.perf_counter()
        table = run_batch(manifest, BatchOptions(jobs=1, maps=maps, force=True))
        wall = time.perf_counter() - wall0
        client_cpu = time.process_time() - cpu0
        workers, workers_cpu, started = 1, 0.0, 0.0
    else:
        from dask.distributed import Client, LocalCluster

        workers = int(mode.split(":")[1].split("+")[0])
        t0 = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            started = time.perf_counter() - t0
            before = worker_cpu(client)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            options = BatchOptions(scheduler=cluster.scheduler_address, maps=maps, force=True,
                                   spread_townships=mode.endswith("+spread"))
            table = run_batch(manifest, options)
            wall = time.perf_counter() - wall0
            client_cpu = time.process_time() - cpu0
            workers_cpu = worker_cpu(client) - before
    failed = int((table["status"] != "done").sum())
    if failed:
        raise SystemExit(f"{mode}: {failed} counties did not run: {table['message'].iloc[0]}")
    busy = float(table["seconds"].astype(float).sum())
    return {"mode": mode, "counties": len(table), "failed": failed, "wall": wall,
            "per_minute": len(table) / wall * 60, "client_cpu": client_cpu,
            "worker_cpu": workers_cpu, "client_share": client_cpu / (client_cpu + workers_cpu),
            "idle_share": max(0.0, 1 - busy / (workers * wall)), "task_seconds": busy / len(table),
            "startup": started}


def model(rows: list[dict]) -> list[str]:
    """The 2,800-county nation on 100 and 1,000 workers, from the measured costs."""
    one = next((r for r in rows if r["mode"] == "cluster:1"), rows[0])
    widest = max((r for r in rows if r["mode"].startswith("cluster") and "+" not in r["mode"]),
                 key=lambda r: int(r["mode"].split(":")[1]), default=rows[-1])
    client = widest["client_cpu"] / widest["counties"]
    lines = [f"Model: {NATION:,} counties; client {client * 1000:.0f} ms CPU per county "
             f"({widest['mode']}); a county task {one['task_seconds']:.2f} s ({one['mode']})",
             f"{'county task':>14} {'workers':>8} {'workers-bound':>14} {'client-bound':>13} "
             f"{'hours':>7} {'counties/min':>13}"]
    for task, label in ((one["task_seconds"], "measured"), (LARGE_COUNTY_SECONDS, "61,310 b.")):
        for workers in (100, 1_000):
            cluster_bound = NATION * task / workers
            client_bound = NATION * client
            total = max(cluster_bound, client_bound)
            rate = NATION / total * 60
            lines.append(f"{task:>5.1f} s {label:>8} {workers:>8,} {cluster_bound:>12.0f} s "
                         f"{client_bound:>11.0f} s {total / 3600:>7.2f} {rate:>13,.0f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counties", type=int, default=12)
    parser.add_argument("--townships", type=int, default=2, help="townships per county")
    parser.add_argument("--buildings", type=int, default=2_500)
    parser.add_argument("--workers", default="1,2",
                        help="cluster sizes, comma-separated; 2+spread spreads townships too")
    parser.add_argument("--no-in-process", action="store_true")
    parser.add_argument("--no-maps", action="store_true")
    args = parser.parse_args()
    counties = make_counties(args.counties, args.buildings, args.townships)
    modes = [] if args.no_in_process else ["in-process"]
    modes += [f"cluster:{w}" for w in args.workers.split(",")]
    print(f"{args.counties} counties of {args.buildings:,} buildings in {args.townships} "
          f"townships, maps "
          f"{'off' if args.no_maps else 'on'}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    header = (f"{'mode':<16} {'wall s':>7} {'counties/min':>13} {'client CPU s':>13} "
              f"{'worker CPU s':>13} {'client share':>13} {'worker idle':>12} {'task s':>7} "
              f"{'failed':>6}")
    print(header)
    rows = []
    for mode in modes:
        row = measure(mode, counties, maps=not args.no_maps)
        rows.append(row)
        print(f"{row['mode']:<16} {row['wall']:>7.1f} {row['per_minute']:>13.1f} "
              f"{row['client_cpu']:>13.2f} {row['worker_cpu']:>13.2f} "
              f"{row['client_share']:>12.1%} {row['idle_share']:>12.1%} "
              f"{row['task_seconds']:>7.2f} {row['failed']:>6}", flush=True)
    by_mode = {r["mode"]: r for r in rows}
    if "cluster:1" in by_mode and "cluster:2" in by_mode:
        ratio = by_mode["cluster:2"]["wall"] / by_mode["cluster:1"]["wall"]
        print(f"2 workers take {ratio:.2f}x the time of 1")
    for line in model(rows):
        print(line)


if __name__ == "__main__":
    main()
