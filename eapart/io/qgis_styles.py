"""QGIS layer styles and run metadata stored inside the result GeoPackage.

Opening ``eapart.gpkg`` in QGIS should show the result ready to review:
small areas outlined and labelled with their codes, small areas out of the band
or otherwise broken (enclave, not one piece) filled in orange and those crossed by
a major road or with a notice only faintly, census areas and townships in heavier
outlines, buildings in grey.
QGIS reads default styles from a ``layer_styles`` table in the GeoPackage (its
own schema, the same one QGIS creates when a style is saved "in the database");
each row holds a QML document, plus an SLD for other software.

The run's parameters and software version go into the GeoPackage metadata
extension (``gpkg_metadata`` / ``gpkg_metadata_reference``): one row of
``mime_type`` ``application/json`` and ``md_standard_uri`` :data:`JSON_URI`,
scope ``dataset``, referenced to the whole GeoPackage, holding
``{"software", "version", "parameters"}`` (no clock time: every timestamp
is pinned so that identical runs write identical files). GDAL shows it as the
dataset metadata item ``GPKG_METADATA_ITEM_<n>`` (``ogrinfo``,
``pyogrio.read_info``). A row in GDAL's own XML dialect is deliberately not
written: GDAL then writes a ``.aux.xml`` file beside the GeoPackage each time
it is read.

Everything is written with :mod:`sqlite3`, in place, in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from eapart.domain.flags import CROSSES_MAJOR_ROAD, FLAGS, PROBLEM
from eapart.domain.schema import CENSUS_AREA_CODE, SMALL_AREA_CODE
from eapart.errors import InputError
from eapart.io.write import FIXED_TIMESTAMP

JSON_URI = "urn:eapart:run-metadata"
STYLE_NAME = "eapart"
LABEL_FONT = "Noto Sans CJK SC"

_LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""

_METADATA_SQL = (
    """CREATE TABLE IF NOT EXISTS gpkg_metadata (
    id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
    md_scope TEXT NOT NULL DEFAULT 'dataset',
    md_standard_uri TEXT NOT NULL,
    mime_type TEXT NOT NULL DEFAULT 'text/xml',
    metadata TEXT NOT NULL DEFAULT ''
)""",
    """CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (
    reference_scope TEXT NOT NULL,
    table_name TEXT,
    column_name TEXT,
    row_id_value INTEGER,
    timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    md_file_id INTEGER NOT NULL,
    md_parent_id INTEGER,
    CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
    CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id)
)""",
)
_METADATA_EXTENSION = "http://www.geopackage.org/spec120/#extension_metadata"


@dataclass(frozen=True)
class LayerStyle:
    """How one layer looks: fill, outline, label field and an optional flagged rule.

    Polygons use ``fill`` and ``outline``; lines are drawn in ``outline`` at
    ``width_mm``; points as circles filled with ``fill``.
    """

    fill: str  # "r,g,b,a"
    outline: str
    width_mm: float
    label: str | None = None
    label_size: float = 8.0
    flagged_fill: str | None = None


#: Layer name -> style. Flagged small areas are filled orange.
STYLES: dict[str, LayerStyle] = {
    "townships": LayerStyle("0,0,0,0", "120,40,140,255", 1.2, "name", 11.0),
    "census_areas": LayerStyle("0,0,0,0", "31,90,180,255", 0.8, CENSUS_AREA_CODE, 9.0),
    "small_areas": LayerStyle(
        "255,255,255,0", "40,40,40,255", 0.4, SMALL_AREA_CODE, 7.0, "255,140,0,150"
    ),
    "buildings": LayerStyle("190,190,190,255", "110,110,110,255", 0.1),
    "unassigned": LayerStyle("230,30,30,255", "120,0,0,255", 0.3),
    "roads": LayerStyle("0,0,0,0", "170,120,40,255", 0.4),
    "rail": LayerStyle("0,0,0,0", "70,70,70,255", 0.5),
    "water": LayerStyle("160,200,240,200", "58,123,213,255", 0.3),
}

#: Small areas with only notices (no problem flag) get a faint fill.
NOTICE_FILL = "255,225,140,70"
#: Flags that fill a small area orange: the problems other than a road through it (on
#: a real county a third of the areas cross a road; those get the faint fill, so the
#: areas out of the band and the enclaves still stand out).
PROBLEM_FLAGS = frozenset(flag.name for flag in FLAGS
                          if flag.severity == PROBLEM and flag.name != CROSSES_MAJOR_ROAD)

#: Geometry families a style can be written for.
GEOMETRIES = ("polygon", "line", "point")


def _prop(parent: ET.Element, key: str, value: str) -> None:
    ET.SubElement(parent, "prop", k=key, v=value)


def _symbol_layer(parent: ET.Element, name: str, kind: str, layer_class: str,
                  props: tuple[tuple[str, str], ...]) -> None:
    """One QGIS symbol of ``kind`` (fill, line, marker) with one symbol layer."""
    symbol = ET.SubElement(
        parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    layer = ET.SubElement(symbol, "layer", {"class": layer_class}, enabled="1", locked="0")
    layer.set("pass", "0")
    for key, value in props:
        _prop(layer, key, value)


def _fill_symbol(parent: ET.Element, name: str, fill: str, outline: str, width: float) -> None:
    transparent = fill.endswith(",0")
    _symbol_layer(parent, name, "fill", "SimpleFill", (
        ("color", fill), ("style", "no" if transparent else "solid"),
        ("outline_color", outline), ("outline_style", "solid"),
        ("outline_width", f"{width:g}"), ("outline_width_unit", "MM"), ("joinstyle", "bevel")))


def _line_symbol(parent: ET.Element, name: str, colour: str, width: float) -> None:
    _symbol_layer(parent, name, "line", "SimpleLine", (
        ("line_color", colour), ("line_style", "solid"), ("line_width", f"{width:g}"),
        ("line_width_unit", "MM"), ("capstyle", "round"), ("joinstyle", "round")))


def _marker_symbol(parent: ET.Element, name: str, fill: str, outline: str) -> None:
    _symbol_layer(parent, name, "marker", "SimpleMarker", (
        ("name", "circle"), ("color", fill), ("outline_color", outline),
        ("outline_width", "0.2"), ("outline_width_unit", "MM"), ("size", "1.6"),
        ("size_unit", "MM")))


def _symbol(parent: ET.Element, name: str, style: LayerStyle, geometry: str,
            fill: str | None = None) -> None:
    """One symbol of ``geometry``'s kind in ``style``'s colours (``fill`` overrides)."""
    if geometry == "line":
        _line_symbol(parent, name, style.outline, style.width_mm)
    elif geometry == "point":
        _marker_symbol(parent, name, fill or style.fill, style.outline)
    else:
        _fill_symbol(parent, name, fill or style.fill, style.outline, style.width_mm)


def _rule_key(style: LayerStyle, name: str) -> str:
    """A QGIS rule key that is the same on every run (QGIS only needs it unique)."""
    return f"{{{uuid.uuid5(uuid.NAMESPACE_URL, f'eapart:{style!r}:{name}')}}}"


def _renderer(root: ET.Element, style: LayerStyle, geometry: str = "polygon",
              flags_field: str = "flags") -> None:
    if style.flagged_fill is None or geometry != "polygon":
        renderer = ET.SubElement(
            root, "renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0",
            enableorderby="0",
        )
        _symbol(ET.SubElement(renderer, "symbols"), "0", style, geometry)
        return
    renderer = ET.SubElement(
        root, "renderer-v2", type="RuleRenderer", symbollevels="0", forceraster="0",
        enableorderby="0",
    )
    rules = ET.SubElement(renderer, "rules", key=_rule_key(style, "rules"))
    problems = "|".join(sorted(PROBLEM_FLAGS))
    ET.SubElement(rules, "rule", key=_rule_key(style, "flagged"), symbol="0",
                  label="problem flag (out of band, enclave, ...)",
                  filter=f"regexp_match(coalesce(\"{flags_field}\", ''), "
                         f"'(^|,)({problems})(,|$)')")
    ET.SubElement(rules, "rule", key=_rule_key(style, "notice"), symbol="1",
                  label="crossed by a major road, or a notice only",
                  filter=f"coalesce(\"{flags_field}\", '') <> ''")
    ET.SubElement(rules, "rule", key=_rule_key(style, "clean"), symbol="2", label="clean",
                  filter="ELSE")
    symbols = ET.SubElement(renderer, "symbols")
    _fill_symbol(symbols, "0", style.flagged_fill, style.outline, style.width_mm)
    _fill_symbol(symbols, "1", NOTICE_FILL, style.outline, style.width_mm)
    _fill_symbol(symbols, "2", style.fill, style.outline, style.width_mm)


def _labeling(root: ET.Element, style: LayerStyle, field: str) -> None:
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text = ET.SubElement(
        settings, "text-style", fieldName=field, isExpression="0",
        fontFamily=LABEL_FONT, fontSize=f"{style.label_size:g}", fontSizeUnit="Point",
        textColor="0,0,0,255", textOpacity="1", namedStyle="Regular", fontWeight="50",
        fontItalic="0", multilineHeight="1",
    )
    ET.SubElement(text, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="1", bufferNoFill="1",
                  bufferJoinStyle="128")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="1", autoWrapLength="0")
    ET.SubElement(settings, "placement", placement="1", centroidInside="1", centroidWhole="0",
                  fitInPolygonOnly="0", dist="0", priority="5")
    ET.SubElement(settings, "rendering", drawLabels="1", obstacle="1", labelPerPart="0",
                  mergeLines="0", displayAll="0", upsidedownLabels="0")


def layer_qml(layer: str, qgis_version: str = "3.22.0", *, geometry: str = "polygon",
              fields: dict[str, str] | None = None) -> str:
    """Return the QML document (QGIS style file) for ``layer``.

    ``geometry`` (polygon, line or point) picks the symbol kind; ``fields`` maps
    column names to the names the file uses (a Shapefile's 10-character fields), so
    labels and the flagged rule name fields that exist.
    """
    style = STYLES[layer]
    fields = fields or {}
    label = fields.get(style.label, style.label) if style.label else None
    root = ET.Element("qgis", version=qgis_version, styleCategories="Symbology|Labeling",
                      labelsEnabled="1" if label else "0")
    _renderer(root, style, geometry, fields.get("flags", "flags"))
    if label:
        _labeling(root, style, label)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def layer_sld(layer: str) -> str:
    """Return an SLD 1.0 document with the same outline and fill as the QML."""
    style = STYLES[layer]
    ns = "http://www.opengis.net/sld"
    root = ET.Element("StyledLayerDescriptor", version="1.0.0", xmlns=ns)
    named = ET.SubElement(root, "NamedLayer")
    ET.SubElement(named, "Name").text = layer
    rule = ET.SubElement(
        ET.SubElement(ET.SubElement(named, "UserStyle"), "FeatureTypeStyle"), "Rule"
    )
    symbolizer = ET.SubElement(rule, "PolygonSymbolizer")
    *rgb, alpha = (int(v) for v in style.fill.split(","))
    fill = ET.SubElement(symbolizer, "Fill")
    ET.SubElement(fill, "CssParameter", name="fill").text = "#{:02x}{:02x}{:02x}".format(*rgb)
    ET.SubElement(fill, "CssParameter", name="fill-opacity").text = f"{alpha / 255:.2f}"
    stroke = ET.SubElement(symbolizer, "Stroke")
    *rgb, _ = (int(v) for v in style.outline.split(","))
    ET.SubElement(stroke, "CssParameter", name="stroke").text = "#{:02x}{:02x}{:02x}".format(*rgb)
    ET.SubElement(stroke, "CssParameter", name="stroke-width").text = f"{style.width_mm * 3.78:.1f}"
    if style.label:
        text = ET.SubElement(rule, "TextSymbolizer")
        ET.SubElement(ET.SubElement(text, "Label"), "PropertyName").text = style.label
    return ET.tostring(root, encoding="unicode")


def _feature_tables(con: sqlite3.Connection) -> dict[str, str]:
    """Feature tables of the GeoPackage -> their geometry column."""
    rows = con.execute(
        "SELECT c.table_name, g.column_name FROM gpkg_contents c "
        "JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
        "WHERE c.data_type = 'features'"
    ).fetchall()
    return dict(rows)


def _geometry_families(con: sqlite3.Connection) -> dict[str, str]:
    """Feature tables -> polygon, line or point, from their declared geometry type."""
    families = {}
    for table, kind in con.execute(
            "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"):
        kind = str(kind).upper()
        families[table] = ("line" if "LINE" in kind else "point" if "POINT" in kind
                           else "polygon")
    return families


def _write_styles(con: sqlite3.Connection, tables: dict[str, str]) -> None:
    con.execute(_LAYER_STYLES_SQL)
    geometry_families = _geometry_families(con)
    for layer, geometry_column in tables.items():
        if layer not in STYLES:
            continue
        con.execute(
            "DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?",
            (layer, STYLE_NAME),
        )
        con.execute(
            "UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (layer,)
        )
        con.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', NULL, ?)",
            (layer, geometry_column, STYLE_NAME,
             layer_qml(layer, geometry=geometry_families.get(layer, "polygon")), layer_sld(layer),
             f"eapart default style for {layer}", FIXED_TIMESTAMP),
        )
    con.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change) SELECT 'layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ? "
        "WHERE NOT EXISTS (SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles')",
        (FIXED_TIMESTAMP,),
    )


def _write_metadata(con: sqlite3.Connection, parameters: dict, version: str | None) -> None:
    for statement in _METADATA_SQL:
        con.execute(statement)
    for table in ("gpkg_metadata", "gpkg_metadata_reference"):
        con.execute(
            "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, "
            "definition, scope) SELECT ?, NULL, 'gpkg_metadata', ?, 'read-write' WHERE NOT "
            "EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND "
            "extension_name = 'gpkg_metadata')",
            (table, _METADATA_EXTENSION, table),
        )
    old = [row[0] for row in con.execute(
        "SELECT id FROM gpkg_metadata WHERE md_standard_uri = ?", (JSON_URI,)
    )]
    for md_id in old:
        con.execute("DELETE FROM gpkg_metadata_reference WHERE md_file_id = ?", (md_id,))
        con.execute("DELETE FROM gpkg_metadata WHERE id = ?", (md_id,))
    payload = {
        "software": "eapart",
        "version": version,
        "parameters": parameters,
    }
    cursor = con.execute(
        "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
        "VALUES ('dataset', ?, 'application/json', ?)",
        (JSON_URI, json.dumps(payload, ensure_ascii=False, default=str)),
    )
    con.execute(
        "INSERT INTO gpkg_metadata_reference (reference_scope, md_file_id, timestamp) "
        "VALUES ('geopackage', ?, ?)", (cursor.lastrowid, FIXED_TIMESTAMP),
    )


def add_qgis_styles(
    gpkg_path: str | Path, *, parameters: dict | None = None, version: str | None = None
) -> None:
    """Store QGIS default styles and the run's metadata in ``gpkg_path``, in place.

    Styles are written for the layers of :data:`STYLES` that the file holds
    (replacing an earlier eapart style, leaving other styles but not as default);
    ``parameters`` and ``version`` go into ``gpkg_metadata`` (see module doc).

    >>> add_qgis_styles("out/eapart.gpkg", parameters={"target": 80}, version="0.1.0")
    ... # doctest: +SKIP
    """
    path = Path(gpkg_path)
    if not path.exists():
        raise InputError(f"{path} not found: cannot add QGIS styles to a missing GeoPackage.")
    if version is None:
        from eapart import __version__ as version
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous = OFF")  # as GDAL's writes: see io.write.gpkg_writes
        with con:
            tables = _feature_tables(con)
            _write_styles(con, tables)
            _write_metadata(con, parameters or {}, version)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: not a GeoPackage that can be updated ({exc}).") from exc
    finally:
        con.close()
