"""The township workers' forkserver: what it preloads, and starting it before the work.

Light on purpose (the standard library only): the command line starts the server
(:func:`start_workers_early`) before it imports the pipeline, so the server's
import of the engine (about 1.5 s) runs on the other core while this process
imports geopandas and reads the inputs, and is done when the first township is
sent. :mod:`eapart.executors` runs the pool on it.
"""

from __future__ import annotations

import multiprocessing

from eapart.cores import default_jobs

#: What every township worker imports: loaded once by the forkserver, so the workers
#: forked from it start with the engine (geopandas, shapely, scipy, networkx) in
#: memory instead of each importing it anew (about 1 s of CPU per worker).
#: ``__main__`` is multiprocessing's own default.
WORKER_MODULES = ("__main__", "eapart.worker_preload")


def forkserver_context() -> multiprocessing.context.BaseContext:
    """The forkserver context, with the workers' modules preloaded (see WORKER_MODULES)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_MODULES))
    return context


def start_workers_early(jobs: int | None, scheduler: object | None) -> None:
    """Start the forkserver now, when the townships will run on local processes.

    It then imports the engine on another core while this process reads the inputs,
    instead of after, when the first worker is asked for. Starting it is cheap and
    does not wait; a server already running is kept.
    """
    if scheduler is None and (default_jobs() if jobs is None else jobs) > 1:
        from multiprocessing import forkserver

        forkserver_context()
        forkserver.ensure_running()
