"""Saying clearly that an output directory is not one, or is damaged.

``eapart map``, ``export``, ``sheets`` and ``--keep-codes-from`` read an earlier
output. A folder that is no eapart output, a truncated GeoPackage or an edited
report would fail deep inside a reader; :func:`reading_output` turns that into
one message that names the folder and says to write it again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyogrio.errors

from eapart.errors import EapartError, InputError
from eapart.io.atomic import is_eapart_output

#: Errors that reading a damaged output raises (truncated GeoPackage, edited report, ...).
_DAMAGE = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
           pyogrio.errors.FieldError, sqlite3.Error, ValueError, KeyError, TypeError,
           UnicodeDecodeError, IndexError, AttributeError)


@contextmanager
def reading_output(outdir: str | Path, what: str = "") -> Iterator[None]:
    """Say clearly that an output directory is not one, or is damaged, instead of failing.

    Checks that ``outdir`` holds an eapart report, and turns the errors a damaged
    GeoPackage or report raise inside the block into an :class:`InputError` that
    names the folder and says to write it again.
    """
    outdir = Path(outdir)
    lead = f"{what}: " if what else ""
    if not is_eapart_output(outdir):
        raise InputError(f"{lead}{outdir.name} is not an eapart output (no report.json written "
                         "by eapart): give the folder of an `eapart run --out`")
    try:
        yield
    except EapartError:
        raise
    except _DAMAGE as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(
            f"{lead}{outdir.name} is damaged and cannot be read ({type(exc).__name__}: "
            f"{first[:200]}); write it again with `eapart run ... --out {outdir.name} --force`"
        ) from exc
