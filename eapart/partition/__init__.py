"""The partition engine (cells, regions, the per-township driver), and ``eapart.partition()``.

The engine is pure: it takes :class:`~eapart.partition.model.TownshipTask` objects and
returns :class:`~eapart.partition.model.TownshipResult` objects, and imports nothing
of ``io``, ``review``, ``sheets`` or the command line.

Calling the package, ``eapart.partition(buildings, townships, ...)``, is the notebook
API :func:`eapart.api.partition` (GeoDataFrames in, an ``Areas`` out, nothing written):
the package and the function share the name users look for.
"""

from __future__ import annotations

import sys
import types


class _CallablePackage(types.ModuleType):
    """A package that, called, runs :func:`eapart.api.partition`."""

    def __call__(self, *args, **kwargs):
        from eapart.api import partition

        return partition(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
