"""Reading one layer from any file pyogrio reads, or from a CSV of points or WKT.

A source is ``FILE`` or ``FILE:LAYER``. GeoPackage, Shapefile (with its ``.cpg``
or an explicit encoding such as GBK), GeoJSON, FlatGeobuf and GeoParquet are read
through pyogrio / pyarrow; CSV through pandas, with longitude/latitude (or x/y)
columns or a WKT column. Every failure names the file and layer and says what to do.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from eapart.errors import InputError

_X_NAMES = ("lon", "lng", "longitude", "x", "经度")
_Y_NAMES = ("lat", "latitude", "y", "纬度")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")

# Characters that appear when GBK or UTF-8 bytes are decoded as Latin-1: a sign
# that a Shapefile without a .cpg was read with the wrong code page.
_MOJIBAKE = re.compile("[\u00c0-\u00ff][\u0080-\u00ff]|[\u0080-\u009f]|\ufffd")


def split_source(spec: str | Path) -> tuple[Path, str | None]:
    """Split ``FILE:LAYER`` into its file and layer (``None`` when no layer is named).

    >>> split_source("county.gpkg:roads")
    (PosixPath('county.gpkg'), 'roads')
    >>> split_source("roads.shp")
    (PosixPath('roads.shp'), None)
    """
    text = str(spec)
    path = Path(text)
    if not path.exists() and ":" in text[2:]:
        head, _, layer = text.rpartition(":")
        return Path(head), layer or None
    return path, None


def require_file(path: Path) -> None:
    """Raise unless ``path`` exists; the message names the file, not the user's folders."""
    if not Path(path).exists():
        raise InputError(
            f"input file not found: {Path(path).name} (in the folder given). Check the path "
            "and run again."
        )


def list_layers(path: Path) -> list[str]:
    """Names of the layers in ``path`` (a GeoPackage may have many, others one)."""
    if path.suffix.lower() in (".csv", ".parquet", ".geoparquet"):
        return [path.stem]
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(f"cannot open {path.name}: {_first_line(exc)}. Is it a GIS file?") from exc


def read_layer(
    path: Path,
    layer: str | None,
    *,
    encoding: str | None = None,
    csv_crs: str | None = None,
    csv_columns: tuple[str | None, str | None, str | None] = (None, None, None),
) -> gpd.GeoDataFrame:
    """Read one layer as a GeoDataFrame with a fresh 0..n-1 index.

    ``layer`` is required only for files with several layers. ``csv_columns``
    names the x, y and WKT columns of a CSV (``None``: found by usual names).
    """
    path = Path(path)
    where = f"{path.name}" + (f" layer '{layer}'" if layer else "")
    require_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, csv_crs, csv_columns, encoding)
    if suffix in (".parquet", ".geoparquet"):
        try:
            return gpd.read_parquet(path).reset_index(drop=True)
        except Exception as exc:
            raise InputError(f"cannot read {where} as GeoParquet: {_first_line(exc)}") from exc
    try:
        frame = _read_ogr(path, layer, encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot decode the text of {where} with encoding {encoding or _declared(path)!r}: "
            f"{_first_line(exc)}. Give the file's real code page with --encoding GBK (or the "
            "right one, e.g. UTF-8 or GB18030), then run again."
        ) from exc
    except Exception as exc:
        _require_layer(path, layer)
        raise InputError(f"cannot read {where}: {_first_line(exc)}") from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{where} has no geometry column: it must be a spatial layer")
    if suffix == ".shp" and encoding is None and not path.with_suffix(".cpg").exists():
        _check_decoding(frame, where)
    return frame.reset_index(drop=True)


def _read_ogr(path: Path, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    """One layer through pyogrio; a GeoPackage through Arrow when that gives the same frame.

    Arrow reads a large building layer in a third of the time, with the same columns,
    dtypes and values. It reads UTF-8 only (GeoPackage text is UTF-8; not with
    ``--encoding``) and types an empty layer's text columns otherwise, so those, and
    any layer Arrow fails on, are read the usual way, which raises the usual errors.
    """
    kwargs = {"encoding": encoding} if encoding else {}
    with warnings.catch_warnings():
        # NaN coordinates warn while parsed; check_coordinates reports them by id.
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        if path.suffix.lower() == ".gpkg" and not encoding:
            try:
                frame = gpd.read_file(path, layer=layer, engine="pyogrio", use_arrow=True)
            except Exception:  # noqa: BLE001 - read again below, for its own error
                frame = None
            if frame is not None and len(frame):
                return frame
        return gpd.read_file(path, layer=layer, engine="pyogrio", **kwargs)


def _require_layer(path: Path, layer: str | None) -> None:
    """Raise, listing the layers there are, when ``path`` has no layer ``layer``.

    Asked only once a read has failed: a read of a layer that is there needs no
    listing of the file's layers first.
    """
    if layer is None:
        return
    names = list_layers(path)
    if layer not in names:
        raise InputError(
            f"{path.name} has no layer '{layer}' (it has: {', '.join(names) or 'none'}). "
            "Name the right layer with FILE:LAYER or in the config file's [input.layers]."
        )


def _declared(path: Path) -> str:
    """The code page a Shapefile's ``.cpg`` declares (``UTF-8`` when there is none)."""
    cpg = path.with_suffix(".cpg")
    try:
        return cpg.read_text(encoding="ascii", errors="replace").strip() or "UTF-8"
    except OSError:
        return "UTF-8"


def _check_decoding(frame: gpd.GeoDataFrame, where: str) -> None:
    """Refuse text that was evidently decoded with the wrong code page."""
    for column in frame.columns:
        if column == frame.geometry.name or not pd.api.types.is_string_dtype(frame[column]):
            continue
        values = frame[column].dropna().astype(str)
        bad = values[values.str.contains(_MOJIBAKE)]
        if len(bad):
            raise InputError(
                f"{where}: column '{column}' holds text that looks mis-decoded "
                f"(for example {bad.iloc[0]!r} in row {bad.index[0]}). The Shapefile has no "
                ".cpg file saying its code page: pass --encoding GBK (or the right one) "
                "or add a .cpg, then run again."
            )


def _read_csv(
    path: Path,
    csv_crs: str | None,
    csv_columns: tuple[str | None, str | None, str | None],
    encoding: str | None,
) -> gpd.GeoDataFrame:
    try:
        table = pd.read_csv(
            path, dtype=str, encoding=encoding or "utf-8-sig", keep_default_na=False
        )
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode {path.name} as {encoding or 'UTF-8'}: pass --encoding (e.g. GBK)"
        ) from exc
    except Exception as exc:
        raise InputError(f"cannot read {path.name} as CSV: {_first_line(exc)}") from exc
    if csv_crs is None:
        raise InputError(
            f"{path.name} is a CSV, which carries no coordinate reference system. "
            "Say which one its coordinates are in with --csv-crs (for example EPSG:4490 or "
            "EPSG:4326), and run again."
        )
    x_col, y_col, wkt_col = csv_columns
    lower = {c.lower(): c for c in table.columns}
    wkt_col = wkt_col or next((lower[n] for n in _WKT_NAMES if n in lower), None)
    x_col = x_col or next((lower[n] for n in _X_NAMES if n in lower), None)
    y_col = y_col or next((lower[n] for n in _Y_NAMES if n in lower), None)
    table = table.replace({"": None})
    if wkt_col and wkt_col in table:
        geometry = _parse_wkt(table[wkt_col], path, wkt_col)
        table = table.drop(columns=[wkt_col])
    elif x_col in table and y_col in table:
        x = _numeric_column(table[x_col], path, x_col)
        y = _numeric_column(table[y_col], path, y_col)
        geometry = shapely.points(x, y)
        table = table.drop(columns=[x_col, y_col])
    else:
        raise InputError(
            f"{path.name}: found no coordinates. A CSV needs longitude/latitude (or x/y) "
            f"columns or a WKT column; it has: {', '.join(table.columns)}. Name them in the "
            "config file ([columns] csv_x, csv_y or csv_wkt)."
        )
    return gpd.GeoDataFrame(table, geometry=geometry, crs=csv_crs)


def _parse_wkt(values: pd.Series, path: Path, column: str):
    try:
        return shapely.from_wkt(values.to_numpy(dtype=object), on_invalid="raise")
    except shapely.errors.GEOSException as exc:
        parsed = shapely.from_wkt(values.to_numpy(dtype=object), on_invalid="ignore")
        bad = [i for i, (v, g) in enumerate(zip(values, parsed, strict=True)) if v and g is None]
        raise InputError(
            f"{path.name}: column '{column}' has text that is not WKT in row(s) "
            f"{', '.join(str(i + 2) for i in bad[:10])} (counting the header as row 1)"
        ) from exc


def _numeric_column(values: pd.Series, path: Path, column: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in values.index[bad][:10])
        raise InputError(
            f"{path.name}: column '{column}' must hold numbers; row(s) {rows} do not "
            "(counting the header as row 1)"
        )
    return numbers


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

