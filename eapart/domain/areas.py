"""The result of a run as one object: :class:`Areas`.

A run reads inputs, cuts every township, and assembles the pieces into the
contract's layers (docs/contract.md): townships, census areas, small areas,
buildings with their codes, the buildings that could not be placed, and the
roads, rail and water read. :class:`Areas` holds those layers with the run's
parameters and report. Stages between assembling and writing (kept codes, edits,
staff assignment) take an ``Areas`` and return one; the review pages, the sheets,
the exports and a re-run that keeps codes all start from :meth:`Areas.read`, the
one reader of an output directory.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from eapart.domain.schema import (
    CODE_COLUMNS,
    FEATURE_LAYERS,
    GPKG_NAME,
    OUTPUT_LAYERS,
    REPORT_NAME,
    RESULT_LAYERS,
    TOWNSHIP_CODE,
)
from eapart.errors import InputError, OutputError

#: The layers that are fields of :class:`Areas` (the others are ``features``).
AREA_LAYERS: tuple[str, ...] = tuple(n for n in OUTPUT_LAYERS if n not in FEATURE_LAYERS)


@dataclass
class Areas:
    """Townships, census areas, small areas and buildings of one run, with its report.

    Every layer is a GeoDataFrame in the input's CRS with codes as strings (or a
    plain DataFrame when read without geometry); a layer not made or not read is
    ``None``. ``features`` holds the roads, rail and water layers present.
    ``parameters`` are the run's parameters as written in the report; ``report``
    is ``report.json`` as a dict (a stage may add its own section to it before
    the run's report is built, which keeps it). ``outdir`` is where it was read
    from, if anywhere.
    """

    townships: gpd.GeoDataFrame | None = None
    census_areas: gpd.GeoDataFrame | None = None
    small_areas: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    unassigned: gpd.GeoDataFrame | None = None
    features: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    outdir: Path | None = None

    # --- building and changing ---------------------------------------------------------

    @classmethod
    def from_layers(cls, layers: Mapping[str, gpd.GeoDataFrame | None], **fields) -> Areas:
        """An ``Areas`` from layers named as in the contract (others are ignored)."""
        own = {name: layers.get(name) for name in AREA_LAYERS}
        features = {name: layers[name] for name in FEATURE_LAYERS if layers.get(name) is not None}
        return cls(**own, features=features, **fields)

    def replace(self, **changes) -> Areas:
        """A copy with some fields replaced (the layers themselves are not copied)."""
        return dataclasses.replace(self, **changes)

    @property
    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Every layer present, by contract name, in the order they are written."""
        own = {name: getattr(self, name) for name in AREA_LAYERS}
        every = {**own, **self.features}
        return {name: every[name] for name in OUTPUT_LAYERS if every.get(name) is not None}

    @property
    def crs(self):
        """The CRS of the result layers (the input's CRS)."""
        return self.small_areas.crs

    @property
    def measure(self) -> str:
        """The size measure the run balanced: ``households`` or ``persons``."""
        measure = self.parameters.get("measure") or self.report.get("measure")
        return measure if measure in ("households", "persons") else "households"

    # --- files ---------------------------------------------------------------------------

    @classmethod
    def read(
        cls,
        outdir: str | Path,
        layers: Iterable[str] = OUTPUT_LAYERS,
        *,
        columns: Mapping[str, Iterable[str]] | None = None,
        geometry: bool = True,
    ) -> Areas:
        """Read an output directory written by ``eapart run``.

        ``layers``: the layers wanted (those present are read; a missing result
        layer of the contract is an error, a missing optional one is left out).
        ``columns``: for some layers, only these columns (those the layer has).
        ``geometry=False`` reads tables without geometry (cheap, for indexes).
        Every problem names the file and layer and says what to do.
        """
        outdir = Path(outdir)
        path = outdir / GPKG_NAME
        if not path.is_file():
            raise InputError(
                f"{path} not found: give the output directory of `eapart run` "
                "(it holds eapart.gpkg and report.json)."
            )
        wanted = list(dict.fromkeys(layers))
        present = set(pyogrio.list_layers(path)[:, 0])
        missing = [name for name in wanted if name in RESULT_LAYERS and name not in present]
        if missing:
            raise InputError(
                f"{path}: layer(s) {', '.join(missing)} missing; "
                "the file is incomplete, re-run `eapart run`."
            )
        columns = columns or {}
        read = {name: _read_layer(path, name, columns.get(name), geometry)
                for name in wanted if name in present}
        report = read_report(outdir)
        parameters = report.get("parameters")
        return cls.from_layers(read, parameters=parameters if isinstance(parameters, dict)
                               else {}, report=report, outdir=outdir)

    def to_file(self, directory: str | Path, gpkg_version: str | None = None) -> None:
        """Write the contract's files (GeoPackage, report, summary) into ``directory``.

        ``gpkg_version`` is the GeoPackage version (1.2 unless given: see
        :data:`eapart.io.write.GPKG_VERSION`).

        ``directory`` is made when absent and must not hold an output already. A
        run writes into a temporary folder (:func:`eapart.io.atomic.atomic_directory`)
        so that its output appears whole.
        """
        from eapart.io.write import write_contract

        directory = Path(directory)
        taken = [name for name in (GPKG_NAME, REPORT_NAME) if (directory / name).exists()]
        if taken:
            raise OutputError(f"{directory} already holds {', '.join(taken)}: write into a new "
                              "folder (`eapart run --force` replaces an output whole)")
        directory.mkdir(parents=True, exist_ok=True)
        write_contract(directory, self.layers, self.report,
                       **({"gpkg_version": gpkg_version} if gpkg_version else {}))


def read_report(outdir: str | Path) -> dict:
    """``report.json`` of ``outdir`` as a dict, or ``{}`` when it is absent."""
    path = Path(outdir) / REPORT_NAME
    if not path.is_file():
        return {}
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: not valid JSON ({exc}); re-run `eapart run` to write it again."
        ) from exc
    if not isinstance(report, dict):
        raise InputError(f"{path} does not hold a JSON object: re-run `eapart run`.")
    return report


#: The row positions of a township with no rows in a layer (see :func:`township_positions`).
NO_ROWS = np.zeros(0, dtype=np.intp)


def township_positions(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row positions of ``frame`` by township code, in row order, from one grouping.

    Comparing the (Arrow string) code column with each township's code in turn would
    read the whole column once per township; look a township up with
    ``.get(code, NO_ROWS)``.
    """
    return frame.groupby(TOWNSHIP_CODE, sort=False).indices


def as_code_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Make every code column a string column, in place of whatever was read.

    Codes written as text come back as text; this only guards against a
    reader that guessed a number type for an all-digit column.
    """
    for column in CODE_COLUMNS:
        if column in frame.columns and frame[column].dtype != "str":
            frame[column] = frame[column].astype("str")
    return frame


def _read_layer(path: Path, layer: str, columns: Iterable[str] | None,
                geometry: bool) -> pd.DataFrame:
    """One layer of the result GeoPackage with codes as strings."""
    kwargs: dict = {}
    if columns is not None:
        fields = set(pyogrio.read_info(path, layer=layer)["fields"])
        kwargs["columns"] = [c for c in columns if c in fields]
    if not geometry:
        return as_code_strings(pyogrio.read_dataframe(path, layer=layer, read_geometry=False,
                                                      **kwargs))
    frame = gpd.read_file(path, layer=layer, engine="pyogrio", **kwargs)
    if frame.crs is None:
        raise InputError(
            f"{path}, layer {layer!r}: no coordinate reference system; "
            "re-run `eapart run` on an input with a CRS."
        )
    return as_code_strings(frame)
