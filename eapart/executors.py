"""Mapping the per-township work: in-process, over local processes, or on Dask.

Townships are independent once inputs are read, so the pipeline maps one pure
function over :class:`~eapart.partition.model.TownshipTask` objects. The result
does not depend on where a task ran: each task carries its own seed, and results
come back in task order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from eapart.errors import UsageError
from eapart.partition.model import TownshipResult, TownshipTask

Work = Callable[[TownshipTask], TownshipResult]


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_townships(
    work: Work,
    tasks: Sequence[TownshipTask],
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    advance: Callable[[int], None] = lambda n: None,
) -> list[TownshipResult]:
    """Run ``work`` on every task and return the results in task order.

    ``scheduler`` is the address of a running Dask scheduler (``tcp://host:8786``)
    or a ``dask.distributed.Client``; otherwise ``jobs`` local processes (default:
    every core; 1 runs in this process).
    """
    if scheduler is not None:
        return _on_dask(work, tasks, scheduler, advance)
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or len(tasks) <= 1:
        results = []
        for task in tasks:
            results.append(work(task))
            advance(1)
        return results
    return _on_processes(work, tasks, jobs, advance)


def _largest_first(tasks: Sequence[TownshipTask]) -> list[int]:
    """Task indices, heaviest first, so the last task to finish is a small one."""
    return sorted(range(len(tasks)), key=lambda i: -len(tasks[i].buildings))


def _on_processes(work, tasks, jobs, advance) -> list[TownshipResult]:
    results: list[TownshipResult | None] = [None] * len(tasks)
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context)
    try:
        futures = {pool.submit(work, tasks[i]): i for i in _largest_first(tasks)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            advance(1)
    except BaseException:
        # Interrupted or failed: stop the workers now rather than finish their townships.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results  # type: ignore[return-value]


def _on_dask(work, tasks, scheduler, advance) -> list[TownshipResult]:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise UsageError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") \
            from exc
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="20s") if own else scheduler
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        order = _largest_first(tasks)
        futures = client.map(work, [tasks[i] for i in order], pure=False)
        index = {f.key: i for f, i in zip(futures, order, strict=True)}
        results: list[TownshipResult | None] = [None] * len(tasks)
        for future in dask_completed(futures):
            results[index[future.key]] = future.result()
            advance(1)
        return results  # type: ignore[return-value]
    finally:
        if own:
            client.close()
