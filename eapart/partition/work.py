"""The township work as the main process hands it out: a reference, not the engine.

A pool (forkserver workers, or Dask through cloudpickle) pickles a module-level
function as its module and name, so the main process need not have the engine
loaded to send it. :func:`cut_township` lives in this light module and imports
:func:`eapart.partition.township.partition_township` (cells, regions, scipy,
networkx: about a second) on its first call, in the process that runs it: the
workers, which preload it (:mod:`eapart.worker_preload`), or this process when
the run is in-process (``--jobs 1``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eapart.partition.model import TownshipResult, TownshipTask


def cut_township(task: TownshipTask) -> TownshipResult:
    """Cut one township: :func:`eapart.partition.township.partition_township`, imported here."""
    from eapart.partition.township import partition_township

    return partition_township(task)
