"""Offline review maps: one county page and one page per township.

``build_review_maps(outdir)`` reads ``outdir/eapart.gpkg`` and ``outdir/report.json``
and writes ``outdir/map/index.html`` (townships, census areas and small areas, with
labels, search, a summary panel and a flag legend) and
``outdir/map/townships/<code>.html`` (the same for one township plus every building,
coloured by small area). Buildings live on the township pages so that no page carries
a whole county of footprints. Every script and style is inlined: a page opened from
disk requests nothing except the basemap tiles its user chose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import urlparse

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from eapart.domain.areas import Areas
from eapart.domain.flags import flag_counts
from eapart.domain.schema import BUILDING_ID, MAP_DIR, RESULT_LAYERS
from eapart.errors import UsageError
from eapart.io.crs import metric_crs
from eapart.review import assets
from eapart.review.colouring import colour_indices, palette_for
from eapart.review.geojson import display_crs_frame, simplify_coverage
from eapart.review.layers import (
    BUILDINGS,
    CENSUS_AREAS,
    SMALL_AREAS,
    TOWNSHIPS,
    UNASSIGNED,
    LayerSpec,
    line_spec,
    spec_json,
)
from eapart.review.panels import (
    flag_legend,
    panel_html,
    size_histogram,
    summary_rows,
)
from eapart.review.stable_ids import numbered_element_ids
from eapart.rounding import count_value

#: The roads, rail and water layers, in the order they are drawn (water at the bottom).
LINE_LAYERS = ("water", "rail", "roads")
#: Simplification tolerance in metres for each area level (display only).
SIMPLIFY_METRES = {"townships": 3.0, "census_areas": 2.0, "small_areas": 1.5}
#: Areas closer than this (metres) count as neighbours when colouring.
NEIGHBOUR_METRES = 0.5
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: Most labels drawn at once before falling back to a coarser level.
LABEL_MAX = 150


@dataclass
class ReviewData:
    """An output directory read and made ready to draw (all layers in WGS 84)."""

    outdir: Path
    report: dict
    layers: dict[str, gpd.GeoDataFrame]
    palette: list[str] = field(default_factory=list)


class RawHtml(Element):
    """HTML inserted verbatim (not run through Jinja: inlined libraries contain braces)."""

    def __init__(self, html: str, name: str):
        super().__init__()
        self._name = name
        self._html = html

    def render(self, **kwargs) -> str:
        return self._html


class ReviewLayers(MacroElement):
    """Calls ``eapartReview`` once the map and its feature groups exist."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            eapartReview({{ this._parent.get_name() }}, {
            {%- for key, group in this.groups.items() %}
                {{ key|tojson }}: {{ group.get_name() }},
            {%- endfor %}
            }, JSON.parse(document.getElementById("eapart-data").textContent));
        {% endmacro %}
        """
    )

    def __init__(self, groups: dict[str, folium.FeatureGroup]):
        super().__init__()
        self._name = "ReviewLayers"
        self.groups = groups


def build_review_maps(outdir: str | Path, *, basemap: str | None = None,
                      attribution: str | None = None,
                      progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write the review pages of an output directory; return the paths written.

    ``basemap`` is ``None``/``"none"`` (no background, works offline), ``"osm"``
    (OpenStreetMap tiles) or an XYZ URL template with ``{z}``, ``{x}`` and ``{y}``;
    ``attribution`` is the text credited for a custom basemap. ``progress`` is called
    as ``progress(done, total)`` after each page.
    """
    tiles = basemap_options(basemap, attribution)
    data = read_review_data(outdir)
    mapdir = data.outdir / MAP_DIR
    (mapdir / "townships").mkdir(parents=True, exist_ok=True)
    townships = data.layers["townships"]
    total = 1 + len(townships)
    written = [write_page(mapdir / "index.html", index_page(data, tiles))]
    if progress:
        progress(1, total)
    codes = townships["township_code"].astype(str).tolist()
    for k, code in enumerate(codes):
        html = township_page(data, code, tiles, neighbours=(codes[k - 1] if k else None,
                                                           codes[k + 1] if k + 1 < len(codes)
                                                           else None))
        written.append(write_page(mapdir / township_href(code), html))
        if progress:
            progress(k + 2, total)
    return written


def write_page(path: Path, html: str) -> Path:
    """Write one page as UTF-8 and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def township_href(code: str) -> str:
    """Path of a township page relative to ``map/``; the code is made file-name safe."""
    safe = re.sub(r"[^0-9A-Za-z_-]", "_", str(code)) or "_"
    return f"townships/{safe}.html"


def basemap_options(basemap: str | None, attribution: str | None) -> dict | None:
    """Tile layer options for ``basemap`` (see :func:`build_review_maps`), or ``None``."""
    if basemap is None or basemap.strip().lower() in ("", "none"):
        return None
    if basemap.strip().lower() == "osm":
        return {"tiles": OSM_TILES, "attr": escape(attribution or OSM_ATTRIBUTION),
                "name": "OpenStreetMap", "max_zoom": 19}
    url = basemap.strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or not all(
            part in url for part in ("{z}", "{x}")) or not re.search(r"\{-?y\}", url):
        raise UsageError(
            f"--basemap {basemap!r} is not 'none', 'osm' or an XYZ tile URL such as "
            "'https://tile.example.org/{z}/{x}/{y}.png' (http or https, with {z}, {x} and {y})")
    options = {"tiles": url, "attr": escape(attribution or f"Basemap: {parsed.hostname}"),
               "name": "Basemap", "max_zoom": 19}
    if "{s}" in url and "tianditu" in (parsed.hostname or ""):
        options["subdomains"] = "01234567"
    return options


def read_review_data(outdir: str | Path) -> ReviewData:
    """Read the layers and report of an output directory, ready to draw."""
    areas = Areas.read(outdir, (*RESULT_LAYERS, "unassigned", *LINE_LAYERS))
    raw = {name: plain_codes(frame) for name, frame in areas.layers.items()}
    return prepare(Path(outdir), areas.report, raw)


def plain_codes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Code columns as Python strings, ``None`` where missing: pages carry them as JSON."""
    for column in frame.columns:
        if column.endswith("_code") or column == BUILDING_ID:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
            frame[column] = [None if v is None else str(v) for v in frame[column]]
    return frame


def prepare(outdir: Path, report: dict, raw: dict[str, gpd.GeoDataFrame]) -> ReviewData:
    """Colour small areas, simplify areas for display, move everything to WGS 84."""
    small = raw["small_areas"]
    metric = metric_crs(small)
    small_metric = small.to_crs(metric)
    colours = colour_indices(np.asarray(small_metric.geometry.values), NEIGHBOUR_METRES)
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name in ("townships", "census_areas", "small_areas"):
        frame = small_metric if name == "small_areas" else raw[name].to_crs(metric)
        frame = frame.copy()
        frame["geometry"] = simplify_coverage(np.asarray(frame.geometry.values),
                                              SIMPLIFY_METRES[name])
        layers[name] = display_crs_frame(frame)
    layers["small_areas"]["colour"] = colours
    colour_of = pd.Series(colours, index=layers["small_areas"]["small_area_code"].tolist())
    colour_of = colour_of[~colour_of.index.duplicated()]
    buildings = display_crs_frame(raw["buildings"]).copy()
    mapped = buildings["small_area_code"].map(colour_of)
    buildings["colour"] = mapped.fillna(0).astype(int)
    layers["buildings"] = buildings
    add_names(layers)
    for name in ("unassigned", *LINE_LAYERS):
        if name in raw and len(raw[name]):
            frame = raw[name]
            if name == "unassigned":
                frame = frame.copy()
                frame["geometry"] = frame.geometry.representative_point()
            layers[name] = display_crs_frame(frame)
    return ReviewData(outdir=outdir, report=report, layers=layers,
                      palette=palette_for(int(colours.max(initial=0)) + 1))


def add_names(layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Fill township and census-area names on lower levels where the output lacks them."""
    township_names = dict(zip(layers["townships"]["township_code"],
                              layers["townships"].get("name", pd.Series(dtype=object)),
                              strict=False))
    census_names = dict(zip(layers["census_areas"]["census_area_code"],
                            layers["census_areas"].get("name", pd.Series(dtype=object)),
                            strict=False))
    for name in ("census_areas", "small_areas"):
        frame = layers[name]
        if "township_name" not in frame.columns:
            frame["township_name"] = frame["township_code"].map(township_names)
    small = layers["small_areas"]
    if "census_area_name" not in small.columns:
        small["census_area_name"] = small["census_area_code"].map(census_names)


def index_page(data: ReviewData, tiles: dict | None) -> str:
    """The county page: townships, census areas and small areas."""
    layers = data.layers
    townships = layers["townships"].copy()
    townships["page"] = [township_href(c) for c in townships["township_code"]]
    small = layers["small_areas"].copy()
    small["page"] = [township_href(c) for c in small["township_code"]]
    parts: list[tuple[LayerSpec, gpd.GeoDataFrame]] = line_parts(data, major_only=True)
    parts += [(SMALL_AREAS, small), (CENSUS_AREAS, layers["census_areas"]),
              (TOWNSHIPS, townships)]
    if "unassigned" in layers:
        parts.append((UNASSIGNED, layers["unassigned"]))
    report = data.report
    panel = panel_html(
        title=report_title(report), links=[],
        rows=summary_rows(report), legend=legend_for(data, small),
        histogram=histogram_for(data, small), warnings=list(report.get("warnings") or []),
        extra=township_list(townships))
    return render_page(title=f"{report_title(report)} – review map", parts=parts,
                       bounds=townships.total_bounds, tiles=tiles, data=data, page="index",
                       panel=panel)


def township_page(data: ReviewData, code: str, tiles: dict | None,
                  neighbours: tuple[str | None, str | None] = (None, None)) -> str:
    """One township: its areas and every building, coloured by small area."""
    layers = data.layers
    township = layers["townships"][layers["townships"]["township_code"] == code]
    pick = {name: layers[name][layers[name]["township_code"] == code]
            for name in ("census_areas", "small_areas", "buildings")}
    name = first(township.get("name"))
    title = f"{name} ({code})" if name else code
    parts = line_parts(data, major_only=False, within=township)
    parts += [(SMALL_AREAS, pick["small_areas"]), (BUILDINGS, pick["buildings"]),
              (CENSUS_AREAS, pick["census_areas"]), (TOWNSHIPS, township)]
    links = [("← County overview", "../index.html")]
    if neighbours[0]:
        links.append(("‹ previous township", "../" + township_href(neighbours[0])))
    if neighbours[1]:
        links.append(("next township ›", "../" + township_href(neighbours[1])))
    panel = panel_html(
        title=f"Township {title}", links=links, rows=township_rows(data, township, pick),
        legend=legend_for(data, pick["small_areas"]),
        histogram=histogram_for(data, pick["small_areas"]), warnings=[])
    bounds = township.total_bounds if len(township) else pick["buildings"].total_bounds
    return render_page(title=f"Township {title} – review map", parts=parts, bounds=bounds,
                       tiles=tiles, data=data, page="township", panel=panel)


def first(series: pd.Series | None) -> str | None:
    """The first non-missing value of ``series`` as text, if any."""
    if series is None:
        return None
    values = series.dropna()
    return str(values.iloc[0]) if len(values) else None


def line_parts(data: ReviewData, *, major_only: bool,
               within: gpd.GeoDataFrame | None = None) -> list[tuple[LayerSpec, gpd.GeoDataFrame]]:
    """Background line layers (water, rail, roads) for a page, cut to its township."""
    parts = []
    for name in LINE_LAYERS:
        frame = data.layers.get(name)
        if frame is None:
            continue
        if major_only and name == "roads" and "class" in frame.columns:
            frame = frame[frame["class"] == "major"]
        if within is not None and len(within):
            hits = frame.sindex.query(within.geometry.values, predicate="intersects")[1]
            frame = frame.iloc[np.unique(hits)]
        if len(frame):
            parts.append((line_spec(name), frame))
    return parts


def report_title(report: dict) -> str:
    """The page heading: the county's name when the report has one."""
    for key in ("county_name", "county", "name"):
        value = report.get(key)
        if isinstance(value, str) and value.strip():
            return f"Enumeration areas: {value.strip()}"
    return "Enumeration areas"


def legend_for(data: ReviewData, small: gpd.GeoDataFrame) -> str:
    """Flag legend for the given small areas, with the report's explanations."""
    descriptions = data.report.get("flag_descriptions") or {}
    flags = small["flags"].tolist() if "flags" in small.columns else []
    counts = {name: n for name, n in flag_counts(flags).items() if n}
    if not isinstance(descriptions, dict):
        descriptions = {}
    return ("<p class='eapart-muted'>Flagged small areas have a red dashed outline.</p>"
            + flag_legend({str(k): str(v) for k, v in descriptions.items()}, counts))


def measure_column(data: ReviewData) -> str:
    """The size measure of the run: ``households`` or ``persons``."""
    measure = data.report.get("measure")
    return measure if measure in ("households", "persons") else "households"


def histogram_for(data: ReviewData, small: gpd.GeoDataFrame) -> str:
    """Size distribution of ``small`` against the run's band (the report's ``band``)."""
    band = data.report.get("band") if isinstance(data.report.get("band"), dict) else {}
    measure = measure_column(data)

    def number(key: str) -> float | None:
        value = band.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None

    values = pd.to_numeric(small.get(measure, pd.Series(dtype=float)), errors="coerce")
    return size_histogram(values.dropna().tolist(), target=number("target"),
                          low=number("min_size"), high=number("max_size"), measure=measure)


def township_rows(data: ReviewData, township: gpd.GeoDataFrame,
                  pick: dict[str, gpd.GeoDataFrame]) -> list[tuple[str, object]]:
    """Headline figures of one township, counted from its layers."""
    small = pick["small_areas"]
    measure = measure_column(data)
    values = pd.to_numeric(small.get(measure, pd.Series(dtype=float)), errors="coerce")
    flagged = int((small.get("flags", pd.Series(dtype=object)).fillna("") != "").sum())
    return [
        ("Code", first(township.get("township_code"))),
        ("Buildings", len(pick["buildings"])),
        ("Households", count_value(pd.to_numeric(pick["buildings"].get("households"),
                                                  errors="coerce").fillna(0).sum())
         if "households" in pick["buildings"] else None),
        ("Census areas", len(pick["census_areas"])),
        ("Small areas", len(small)),
        (f"Mean {measure} per small area", float(values.mean()) if len(values) else None),
        ("Flagged small areas", flagged),
    ]


def township_list(townships: gpd.GeoDataFrame) -> str:
    """Links to every township page."""
    items = []
    for code, name, href in zip(townships["township_code"],
                                townships.get("name", pd.Series([None] * len(townships))),
                                townships["page"], strict=True):
        label = f"{name} ({code})" if isinstance(name, str) and name else str(code)
        items.append(f"<li><a href='{escape(href)}'>{escape(label)}</a></li>")
    return ("<h4>Township pages (with buildings)</h4><ul class='eapart-townships'>"
            + "".join(items) + "</ul>")


@numbered_element_ids
def render_page(*, title: str, parts: list[tuple[LayerSpec, gpd.GeoDataFrame]],
                bounds: np.ndarray, tiles: dict | None, data: ReviewData, page: str,
                panel: str) -> str:
    """One self-contained HTML page drawing ``parts`` in this order."""
    figure = Figure(title=escape(title))
    west, south, east, north = (float(v) for v in bounds)
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=12,
                      tiles=None, prefer_canvas=True, control_scale=True, max_zoom=20)
    fmap.default_js = []
    fmap.default_css = []
    figure.add_child(fmap)
    if tiles:
        folium.TileLayer(**tiles, overlay=False, control=False).add_to(fmap)
    groups: dict[str, folium.FeatureGroup] = {}
    for spec, _ in parts:
        groups[spec.key] = folium.FeatureGroup(name=spec.control, show=True).add_to(fmap)
    groups["labels"] = folium.FeatureGroup(name="Code labels", show=True).add_to(fmap)
    fmap.add_child(ReviewLayers(groups))
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]], padding_top_left=(270, 10),
                    padding_bottom_right=(350, 10))
    meta = {"palette": data.palette, "page": page, "labelMax": LABEL_MAX,
            "measure": measure_column(data),
            "flags": {str(k): str(v) for k, v in
                      (data.report.get("flag_descriptions") or {}).items()}}
    payload = ('{"meta":' + assets.safe_json(meta) + ',"layers":['
               + ",".join(spec_json(spec, frame) for spec, frame in parts) + "]}")
    header = figure.header
    header.add_child(RawHtml(assets.style_tag(assets.leaflet_css()), "leaflet_css"))
    header.add_child(RawHtml(assets.style_tag(assets.review_asset("review.css")), "review_css"))
    header.add_child(RawHtml(assets.script_tag(assets.leaflet_js()), "leaflet_js"))
    header.add_child(RawHtml(assets.script_tag(assets.review_asset("review.js")), "review_js"))
    figure.html.add_child(RawHtml(
        f'<script type="application/json" id="eapart-data">{payload}</script>', "data"))
    figure.html.add_child(RawHtml(panel, "panel"))
    return figure.render()
