"""A nation on a Dask cluster: every county is one task on a worker.

The client only decides what to run (complete counties are skipped here, without
a task), hands each county to the scheduler with ``client.submit`` and collects
the summary rows with ``as_completed`` in the order counties finish. A county task
reads, cuts, assembles, writes and maps its county (:func:`eapart.batch.run_county`),
by default with its townships in the worker's own process: with thousands of
counties and hundreds of workers the counties alone keep every worker busy, and
each township task would ship its buildings through the scheduler and back. With
``spread_townships`` a county task instead hands its townships to the cluster
through :func:`township_client` (Dask's ``worker_client``: the county task leaves
the worker's thread pool while it waits, so the worker runs township tasks, or
another county, meanwhile). That is for fewer counties than workers, or a few
very large ones; on 12 small counties and 2 workers it was faster in one run on
a loaded machine (bench/RESULTS.md, "A nation on a cluster"), which is not yet
enough to make it the default.

A county task returns a failed row rather than raising, so Dask's ``retries``
only matter for what the task cannot catch; a worker that dies mid-county is
rescheduled by the scheduler on another worker (``distributed.scheduler.
allowed-failures`` times) and, if it keeps killing workers, recorded as failed.
Either way its output is whole or absent: the dead worker's temporary directory
is swept by the next run for that county.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from eapart.batch import BatchOptions, county_entry, is_complete, run_county
from eapart.batch_progress import NationalProgress
from eapart.errors import UsageError

#: Dask retries of a county task whose failure escaped it (a county never raises).
RETRIES = 1


@contextmanager
def dask_client(options: BatchOptions) -> Iterator:
    """A Client to the given scheduler, or to a local cluster that lives for the batch."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise UsageError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") \
            from exc
    if options.cluster:
        workers = parse_cluster(options.cluster)
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(options.scheduler, timeout="20s")
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {options.scheduler}: {exc}") \
            from exc
    with client:
        yield client


@contextmanager
def township_client() -> Iterator:
    """A Client for township tasks from inside a county task (``worker_client``)."""
    from dask.distributed import worker_client

    with worker_client() as client:
        yield client


def parse_cluster(text: str) -> int:
    """The worker count of ``local:N``."""
    match = re.fullmatch(r"local:(\d+)", text.strip())
    if not match or int(match.group(1)) < 1:
        raise UsageError(f"--cluster {text!r}: write local:N, N the number of workers (local:2)")
    return int(match.group(1))


def run_on_cluster(
    jobs: list[tuple[int, dict]],
    options: BatchOptions,
    record: Callable[[int, dict], None],
    progress: NationalProgress,
    manifest: str = "manifest",
) -> None:
    """Run the counties ``jobs`` (row index, manifest row) as tasks; ``record`` each row.

    ``manifest`` is the manifest's name, for messages about its cells.
    """
    from dask.distributed import as_completed

    on_worker = dataclasses.replace(options, scheduler=None, cluster=None, jobs=1)
    batch = uuid.uuid4().hex[:8]
    with dask_client(options) as client:
        progress.slots = max(1, sum(client.nthreads().values()))
        futures = {}
        for index, row in jobs:
            if is_complete(row["out"]) and not options.force:
                record(index, run_county(row, options, index + 2, manifest))  # skipped: no task
                continue
            future = client.submit(run_county, row, on_worker, index + 2, manifest, pure=False,
                                   retries=RETRIES, key=f"county-{index}-{batch}")
            futures[future] = index
            progress.started(index)
        for future in as_completed(futures):
            index = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost county is recorded, not raised
                row = dict(jobs)[index]
                result = {**county_entry(row), "status": "failed", "seconds": None,
                          "message": f"the county's worker failed: {type(exc).__name__}: {exc}"}
            record(index, result)
