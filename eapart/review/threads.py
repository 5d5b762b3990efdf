"""Running independent pieces of a map build side by side on threads.

Threads, not processes: the heavy work (GEOS unions, reprojection, GeoJSON
writing) runs in shapely and pyproj with the interpreter lock released, the data
is shared instead of copied to workers, and nothing has to start up. Results come
back in input order, so the pages do not depend on how many threads built them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from eapart.cores import default_jobs

T = TypeVar("T")
R = TypeVar("R")


def map_ordered(func: Callable[[T], R], items: Iterable[T], jobs: int | None = None,
                done: Callable[[int], None] | None = None) -> list[R]:
    """``[func(item) for item in items]``, on ``jobs`` threads (default: every core).

    ``done(k)`` is called on the calling thread once the first ``k`` results are in.
    """
    items = list(items)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    results: list[R] = []
    if jobs == 1 or len(items) <= 1:
        for item in items:
            results.append(func(item))
            if done:
                done(len(results))
        return results
    with ThreadPoolExecutor(max_workers=min(jobs, len(items)),
                            thread_name_prefix="eapart-map") as pool:
        for result in pool.map(func, items):
            results.append(result)
            if done:
                done(len(results))
    return results
