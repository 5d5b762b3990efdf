"""Read back an output directory written by ``eapart run``.

Exports and enumerator sheets start from the same files (``eapart.gpkg`` and
``report.json``), so reading them, checking them and keeping codes as strings
lives here once. Every problem names the file and layer and says what to do.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyogrio.errors

from eapart.errors import EapartError, InputError
from eapart.io.atomic import is_eapart_output
from eapart.io.write import GPKG_NAME, LAYER_ORDER, REPORT_NAME

#: The result layers every output has, coarse to fine; the others (unassigned and
#: the roads, rail and water copied from the input) may be absent.
RESULT_LAYERS: tuple[str, ...] = LAYER_ORDER[:4]

#: Columns that hold codes: always strings, leading zeros kept.
CODE_COLUMNS: tuple[str, ...] = (
    "township_code",
    "census_area_code",
    "small_area_code",
    "building_id",
)


@dataclass
class Results:
    """The layers and report of one output directory.

    ``layers`` maps a layer name to its GeoDataFrame (in the file's CRS, codes as
    strings), in :data:`LAYER_ORDER`; absent optional layers are simply missing.
    ``report`` is ``report.json`` as a dict (empty when the file is absent).
    """

    outdir: Path
    layers: dict[str, gpd.GeoDataFrame]
    report: dict = field(default_factory=dict)

    @property
    def crs(self):
        """The CRS of the result layers (the input's CRS)."""
        return self.layers["small_areas"].crs


def gpkg_path(outdir: str | Path) -> Path:
    """Path of the result GeoPackage inside ``outdir``."""
    return Path(outdir) / GPKG_NAME


def read_report(outdir: str | Path) -> dict:
    """Return ``report.json`` of ``outdir`` as a dict, or ``{}`` when it is absent."""
    path = Path(outdir) / REPORT_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not valid JSON ({exc}); re-run `eapart run` to write it again."
        ) from exc


def as_code_strings(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Make every code column a string column, in place of whatever was read.

    Codes written as text come back as text; this only guards against a
    reader that guessed a number type for an all-digit column.
    """
    for column in CODE_COLUMNS:
        if column in frame.columns and frame[column].dtype != "str":
            frame[column] = frame[column].astype("str")
    return frame


def read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    """Read one layer of the result GeoPackage with codes as strings."""
    frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    if frame.crs is None:
        raise InputError(
            f"{path}, layer {layer!r}: no coordinate reference system; "
            "re-run `eapart run` on an input with a CRS."
        )
    return as_code_strings(frame)


def read_results(outdir: str | Path, layers: tuple[str, ...] = LAYER_ORDER) -> Results:
    """Read the named ``layers`` (those present) and the report of ``outdir``.

    The four result layers of the contract must be present; context layers
    (``unassigned``, ``roads``, ``water``, ``rail``) are read when they exist.
    """
    outdir = Path(outdir)
    path = gpkg_path(outdir)
    if not path.exists():
        raise InputError(
            f"{path} not found: give the output directory of `eapart run` "
            "(it holds eapart.gpkg and report.json)."
        )
    present = set(pyogrio.list_layers(path)[:, 0])
    missing = [name for name in layers if name in RESULT_LAYERS and name not in present]
    if missing:
        raise InputError(
            f"{path}: layer(s) {', '.join(missing)} missing; "
            "the file is incomplete, re-run `eapart run`."
        )
    read = {name: read_layer(path, name) for name in layers if name in present}
    return Results(outdir=outdir, layers=read, report=read_report(outdir))


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
