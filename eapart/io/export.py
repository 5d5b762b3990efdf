"""Export the results of a run into the formats GIS staff and supervisors use.

``export(outdir, formats)`` reads ``outdir/eapart.gpkg`` and ``report.json``
and writes, under ``outdir/export/``:

=========  ===============================================  ========================
format     files                                            notes
=========  ===============================================  ========================
gpkg       ``gpkg/eapart.gpkg``                             GeoPackage 1.2, spatial
                                                            index, QGIS styles, run
                                                            metadata
shp        ``shp/<layer>.zip``                              10-char fields, .qml,
                                                            .cpg, .prj,
                                                            ``<layer>_fields.csv``
geojson    ``geojson/<layer>.geojson``                      RFC 7946: WGS 84 lon/lat,
                                                            right-hand rule, 7 decimals
parquet    ``parquet/<layer>.parquet``                      GeoParquet (geo metadata)
fgb        ``fgb/<layer>.fgb``                              FlatGeobuf, spatial index
csv        ``csv/{townships,census_areas,small_areas}.csv``  UTF-8 with BOM
xlsx       ``xlsx/summary.xlsx``                            one sheet per level and
                                                            a township summary;
                                                            Chinese or English
                                                            headers, totals, filters
=========  ===============================================  ========================

Every non-empty layer of the GeoPackage is exported (result layers, then
``unassigned``, ``roads``, ``water``, ``rail``), in the input's CRS except
GeoJSON. Codes stay strings with their leading zeros in every format, counts
are whole numbers in the tables. The ``export`` folder is rebuilt aside and
swapped in whole (formats not asked for this time are kept), so a killed export
leaves the previous set or the new one; no clock time goes into any file, so the
same output exports to the same bytes.

>>> export("out", ["gpkg", "shp"], encoding="GBK")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import geopandas as gpd
import pyogrio

from eapart.domain.areas import Areas
from eapart.domain.schema import EXPORT_DIR
from eapart.errors import UsageError
from eapart.io.atomic import replaced_folder
from eapart.io.band import report_band
from eapart.io.qgis_styles import add_qgis_styles
from eapart.io.shapefile import normalise_encoding, write_shapefile_zip
from eapart.io.tables import (
    DEFAULT_LANGUAGE,
    LEVELS,
    attribute_table,
    check_language,
    township_summary,
    write_csv,
    write_xlsx,
)
from eapart.io.write import GPKG_VERSION, check_gpkg_version, gpkg_writes

FORMATS = ("gpkg", "shp", "geojson", "parquet", "fgb", "csv", "xlsx")
GEOJSON_DECIMALS = 7

#: Called as ``progress(done, total)`` in formats, after each format is written.
Progress = Callable[[int, int], None]


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """Turn ``"gpkg,shp"`` or ``["gpkg", "shp"]`` into a checked list, in :data:`FORMATS` order.

    >>> parse_formats("shp, GPKG")
    ['gpkg', 'shp']
    """
    if isinstance(formats, str):
        formats = formats.split(",")
    wanted = {f.strip().lower() for f in formats if f.strip()}
    unknown = sorted(wanted - set(FORMATS))
    if unknown:
        raise UsageError(
            f"unknown export format(s) {', '.join(unknown)}; choose from {','.join(FORMATS)}."
        )
    if not wanted:
        raise UsageError(f"no export format given; choose from {','.join(FORMATS)}.")
    return [f for f in FORMATS if f in wanted]


def _layers(areas: Areas) -> dict[str, gpd.GeoDataFrame]:
    """The non-empty layers to export, in layer order."""
    return {name: frame for name, frame in areas.layers.items() if len(frame)}


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary sibling of ``path``, then rename it into place."""
    partial = path.with_name(f".partial-{path.name}")
    partial.unlink(missing_ok=True)
    write(partial)
    partial.replace(path)
    return path


def export_gpkg(areas: Areas, folder: Path, version: str = GPKG_VERSION) -> list[Path]:
    """Write every layer into one GeoPackage of ``version`` with spatial indexes, styles
    and metadata (timestamps pinned)."""
    path = folder / "eapart.gpkg"

    def write(target: Path) -> None:
        with gpkg_writes():
            for k, (name, frame) in enumerate(_layers(areas).items()):
                pyogrio.write_dataframe(frame, target, layer=name, driver="GPKG",
                                        layer_options={"SPATIAL_INDEX": "YES"},
                                        dataset_options=None if k else {"VERSION": version})
        add_qgis_styles(target, parameters=areas.parameters,
                        version=areas.report.get("version"))

    return [_atomic_write(path, write)]


def export_shp(areas: Areas, folder: Path, encoding: str = "UTF-8") -> list[Path]:
    """Write one zipped Shapefile per layer in ``encoding`` (``UTF-8`` or ``GBK``)."""
    return [write_shapefile_zip(frame, name, folder / f"{name}.zip", encoding)
            for name, frame in _layers(areas).items()]


def export_geojson(areas: Areas, folder: Path) -> list[Path]:
    """Write one RFC 7946 GeoJSON file per layer (WGS 84 lon/lat, no ``crs`` member)."""
    options = {"RFC7946": "YES", "COORDINATE_PRECISION": str(GEOJSON_DECIMALS),
               "WRITE_NAME": "NO"}
    return [
        _atomic_write(folder / f"{name}.geojson", lambda target, f=frame: pyogrio.write_dataframe(
            f.to_crs(4326), target, driver="GeoJSON", layer_options=options))
        for name, frame in _layers(areas).items()
    ]


def export_parquet(areas: Areas, folder: Path) -> list[Path]:
    """Write one GeoParquet file per layer (geometry as WKB, ``geo`` metadata)."""
    return [
        _atomic_write(folder / f"{name}.parquet",
                      lambda target, f=frame: f.to_parquet(target, index=False))
        for name, frame in _layers(areas).items()
    ]


def export_fgb(areas: Areas, folder: Path) -> list[Path]:
    """Write one FlatGeobuf file per layer, with its packed R-tree index."""
    return [
        _atomic_write(folder / f"{name}.fgb", lambda target, f=frame: pyogrio.write_dataframe(
            f, target, driver="FlatGeobuf", promote_to_multi=True))
        for name, frame in _layers(areas).items()
    ]


def summary_tables(areas: Areas) -> dict[str, object]:
    """Attribute tables of the three levels, keyed by file name."""
    return {sheet: attribute_table(areas.layers[layer]) for layer, sheet in LEVELS.items()}


def workbook_tables(areas: Areas) -> dict[str, object]:
    """The three levels and the township summary, keyed by level."""
    band = report_band(areas.report)
    tables = {layer: attribute_table(areas.layers[layer]) for layer in LEVELS}
    tables["township_summary"] = township_summary(
        areas.layers["small_areas"], areas.layers["townships"], band.measure, band.low,
        band.high)
    return tables


def export_csv(areas: Areas, folder: Path) -> list[Path]:
    """Write one CSV (UTF-8 with BOM) per level."""
    return [write_csv(table, folder / f"{name}.csv")
            for name, table in summary_tables(areas).items()]


def export_xlsx(areas: Areas, folder: Path,
                language: str = DEFAULT_LANGUAGE) -> list[Path]:
    """Write ``summary.xlsx``: a sheet per level and a township summary, in ``language``."""
    return [write_xlsx(workbook_tables(areas), folder / "summary.xlsx", language)]


_WRITERS: dict[str, Callable[..., list[Path]]] = {
    "gpkg": export_gpkg,
    "shp": export_shp,
    "geojson": export_geojson,
    "parquet": export_parquet,
    "fgb": export_fgb,
    "csv": export_csv,
    "xlsx": export_xlsx,
}


def export(
    outdir: str | Path,
    formats: str | Iterable[str],
    *,
    encoding: str = "UTF-8",
    language: str = DEFAULT_LANGUAGE,
    gpkg_version: str = GPKG_VERSION,
    progress: Progress | None = None,
) -> list[Path]:
    """Export the results in ``outdir`` to ``formats``; return the files written.

    ``formats`` is a comma-separated string or a list drawn from :data:`FORMATS`;
    ``encoding`` applies to Shapefiles (``UTF-8`` or ``GBK``), ``language`` to the
    workbook's headers (``zh`` or ``en``), ``gpkg_version`` to the GeoPackage
    (1.2 unless asked). ``progress``, when given, is called as
    ``progress(done, total)`` after each format is written.
    """
    wanted = parse_formats(formats)
    language = check_language(language)
    gpkg_version = check_gpkg_version(gpkg_version)
    if "shp" in wanted:
        encoding = normalise_encoding(encoding)
    areas = Areas.read(outdir)
    final = Path(outdir) / EXPORT_DIR
    written: list[Path] = []
    with replaced_folder(final, keep=lambda entry: entry not in wanted) as staging:
        for done, name in enumerate(wanted, start=1):
            folder = staging / name
            folder.mkdir(parents=True, exist_ok=True)
            if name == "shp":
                written += export_shp(areas, folder, encoding)
            elif name == "xlsx":
                written += export_xlsx(areas, folder, language)
            elif name == "gpkg":
                written += export_gpkg(areas, folder, gpkg_version)
            else:
                written += _WRITERS[name](areas, folder)
            if progress is not None:
                progress(done, len(wanted))
    return [final / path.relative_to(staging) for path in written]
