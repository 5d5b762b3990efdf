"""What the township workers' forkserver imports once, before it forks any worker.

The engine (geopandas, shapely, scipy, networkx) takes about a second to import;
loaded here, every worker starts with it in memory (see
:data:`eapart.forkserver.WORKER_MODULES`). While it loads, a Ctrl-C from the
terminal, which reaches the forkserver too, ends it quietly: the run itself
reports the interruption, and a second traceback from a helper process would only
confuse. The usual handler is back once the import is done, so the workers
forked later behave as before.

The engine's objects are then frozen out of the cyclic collector (``gc.freeze``,
as the standard library advises before forking): every worker inherits them,
and its full collections no longer walk them again (0.65 s of CPU over the
generated county's townships, 0.1 s frozen), nor write to the pages it shares
with the server.
"""

from __future__ import annotations

import gc
import os
import signal


def _quiet_exit(signum: int, frame: object) -> None:
    os._exit(128 + signum)


_usual = signal.signal(signal.SIGINT, _quiet_exit)
try:
    import eapart.partition.township  # noqa: F401  (loaded for the workers)
finally:
    signal.signal(signal.SIGINT, _usual)
gc.freeze()
