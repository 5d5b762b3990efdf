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
from functools import cached_property
from html import escape
from pathlib import Path
from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import pandas as pd

from eapart.domain.areas import NO_ROWS, Areas, read_report, township_positions
from eapart.domain.flags import flag_counts
from eapart.domain.schema import (
    BUILDING_ID,
    CENSUS_AREA_CODE,
    MAP_DIR,
    RESULT_LAYERS,
    SMALL_AREA_CODE,
    TOWNSHIP_CODE,
)
from eapart.errors import UsageError
from eapart.io.band import Band, report_band
from eapart.io.crs import metric_crs
from eapart.review import assets
from eapart.review.colouring import colour_indices, palette_for
from eapart.review.coverage import empty_shares
from eapart.review.edit_data import EditContext, edit_context, edit_meta
from eapart.review.flag_styles import flag_styles
from eapart.review.geojson import display_crs_frame, simplify_coverage, text_values
from eapart.review.histogram import size_histogram
from eapart.review.layers import (
    BUILDINGS,
    CENSUS_AREAS,
    SMALL_AREAS,
    TOWNSHIPS,
    UNASSIGNED,
    LayerSpec,
    LayerTexts,
    line_spec,
    spec_json,
)
from eapart.review.panels import (
    DETAIL_KEYS,
    Panel,
    flag_legend,
    format_value,
    panel_html,
    percent,
    summary_rows,
)
from eapart.review.threads import map_ordered
from eapart.review.worst import EMPTY_SHARE, township_table, worst_areas, worst_list
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
#: The layers a township page shows the township's own rows of.
TOWNSHIP_LAYERS = ("census_areas", "small_areas", "buildings")


@dataclass
class ReviewData:
    """An output directory read and made ready to draw (all layers in WGS 84)."""

    outdir: Path
    report: dict
    layers: dict[str, gpd.GeoDataFrame]
    edit: EditContext
    palette: list[str] = field(default_factory=list)
    band: Band = field(default_factory=Band)
    flag_styles: dict[str, dict[str, str]] = field(default_factory=dict)
    texts: dict[str, LayerTexts] = field(default_factory=dict)

    @cached_property
    def township_rows(self) -> dict[str, dict[str, np.ndarray]]:
        """Positions of each township's rows in the layers its page shows, by code.

        Grouped once rather than each page comparing every row's code with its own.
        """
        return {name: township_positions(self.layers[name]) for name in TOWNSHIP_LAYERS}

    def of_township(self, name: str, code: str) -> gpd.GeoDataFrame:
        """The rows of layer ``name`` in township ``code``, in layer order."""
        rows = self.township_rows[name].get(code, NO_ROWS)
        return self.layers[name].iloc[rows]

    @property
    def descriptions(self) -> dict[str, str]:
        """The report's one-line explanation of each flag."""
        found = self.report.get("flag_descriptions")
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    @property
    def township_pages(self) -> dict[str, str]:
        """Each township's page (relative to ``map/``), by code."""
        return {str(c): township_href(c) for c in self.layers["townships"][TOWNSHIP_CODE]}


def build_review_maps(outdir: str | Path, *, basemap: str | None = None,
                      attribution: str | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      jobs: int | None = None, areas: Areas | None = None) -> list[Path]:
    """Write the review pages of an output directory; return the paths written.

    ``basemap`` is ``None``/``"none"`` (no background, works offline), ``"osm"``
    (OpenStreetMap tiles) or an XYZ URL template with ``{z}``, ``{x}`` and ``{y}``;
    ``attribution`` is the text credited for a custom basemap. ``progress`` is called
    as ``progress(done, total)`` after each page. Pages are independent and built on
    ``jobs`` threads (default: every core); the bytes written do not depend on it.
    ``areas``: the output already in memory (as just written), to save reading it.
    """
    tiles = basemap_options(basemap, attribution)
    data = read_review_data(outdir, jobs=jobs, areas=areas)
    mapdir = data.outdir / MAP_DIR
    (mapdir / "townships").mkdir(parents=True, exist_ok=True)
    codes = data.layers["townships"][TOWNSHIP_CODE].astype(str).tolist()

    def build(k: int) -> Path:
        if k < 0:
            return write_page(mapdir / "index.html", index_page(data, tiles))
        neighbours = (codes[k - 1] if k else None, codes[k + 1] if k + 1 < len(codes) else None)
        return write_page(mapdir / township_href(codes[k]),
                          township_page(data, codes[k], tiles, neighbours=neighbours))

    total = 1 + len(codes)
    return map_ordered(build, range(-1, len(codes)), jobs,
                       done=(lambda n: progress(n, total)) if progress else None)


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


def read_review_data(outdir: str | Path, *, jobs: int | None = 1,
                     areas: Areas | None = None) -> ReviewData:
    """Read the layers and report of an output directory, ready to draw.

    ``areas``: the same output already in memory, read from it instead of the disk.
    """
    wanted = (*RESULT_LAYERS, "unassigned", *LINE_LAYERS)
    if areas is None:
        areas = Areas.read(outdir, wanted)
    raw = {name: plain_codes(frame.copy()) for name, frame in areas.layers.items()
           if name in wanted}
    return prepare(Path(outdir), read_report(outdir), raw, jobs=jobs)


def plain_codes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Code columns as Python strings, ``None`` where missing: pages carry them as JSON."""
    for column in frame.columns:
        if column.endswith("_code") or column == BUILDING_ID:
            frame[column] = text_values(frame[column])
    return frame


def prepare(outdir: Path, report: dict, raw: dict[str, gpd.GeoDataFrame],
            jobs: int | None = 1) -> ReviewData:
    """Colour small areas, simplify areas for display, move everything to WGS 84.

    The pieces are independent (each reads ``raw`` and makes new frames) and run
    side by side on ``jobs`` threads, the heaviest (empty shares) first.
    """
    small = raw["small_areas"]
    metric = metric_crs(small)
    small_metric = small.to_crs(metric)
    water = raw["water"].to_crs(metric) if "water" in raw and len(raw["water"]) else None
    pieces: dict[str, Callable[[], object]] = {
        "empty": lambda: empty_shares(small_metric, raw["buildings"].to_crs(metric), water,
                                      jobs=jobs),
        "colours": lambda: colour_indices(np.asarray(small_metric.geometry.values),
                                          NEIGHBOUR_METRES),
        "small_areas": lambda: display_areas(small_metric, "small_areas"),
        **{name: (lambda name=name: display_areas(raw[name].to_crs(metric), name))
           for name in ("townships", "census_areas")},
        "buildings": lambda: display_crs_frame(raw["buildings"]).copy(),
        "edit": lambda: edit_context(outdir, raw["buildings"]),
        **{name: (lambda name=name: display_extra(raw[name], name))
           for name in ("unassigned", *LINE_LAYERS) if name in raw and len(raw[name])},
    }
    done = dict(zip(pieces, map_ordered(lambda piece: piece(), pieces.values(), jobs),
                    strict=True))
    colours, empty, edit = done.pop("colours"), done.pop("empty"), done.pop("edit")
    layers: dict[str, gpd.GeoDataFrame] = done  # type: ignore[assignment]
    layers["small_areas"]["colour"] = colours
    layers["small_areas"]["empty_percent"] = np.round(100 * empty).astype(int)
    colour_of = pd.Series(colours, index=layers["small_areas"][SMALL_AREA_CODE].tolist())
    colour_of = colour_of[~colour_of.index.duplicated()]
    mapped = layers["buildings"][SMALL_AREA_CODE].map(colour_of)
    layers["buildings"]["colour"] = mapped.fillna(0).astype(int)
    add_names(layers)
    flags = set(flag_counts(small.get("flags", pd.Series(dtype=object)).tolist()))
    descriptions = report.get("flag_descriptions")
    flags |= set(map(str, descriptions)) if isinstance(descriptions, dict) else set()
    return ReviewData(outdir=outdir, report=report, layers=layers,
                      palette=palette_for(int(colours.max(initial=0)) + 1),
                      band=report_band(report), flag_styles=flag_styles(flags), edit=edit,
                      texts=layer_texts(layers, jobs))


def layer_texts(layers: dict[str, gpd.GeoDataFrame], jobs: int | None) -> dict[str, LayerTexts]:
    """The page data of each layer's rows, written once for every page (on ``jobs`` threads)."""
    specs = {spec.key: spec for spec in (TOWNSHIPS, CENSUS_AREAS, SMALL_AREAS, BUILDINGS,
                                         UNASSIGNED)}
    specs |= {name: line_spec(name) for name in LINE_LAYERS}
    names = [name for name in layers if name in specs]
    made = map_ordered(lambda name: LayerTexts.of(specs[name], layers[name]), names, jobs)
    return dict(zip(names, made, strict=True))


def display_areas(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """One level of areas (in a metric CRS) simplified for display, in WGS 84."""
    frame = frame.copy()
    frame["geometry"] = simplify_coverage(np.asarray(frame.geometry.values),
                                          SIMPLIFY_METRES[name])
    return display_crs_frame(frame)


def display_extra(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """A background layer in WGS 84; unassigned buildings as a point each.

    A line layer's spatial index is built here, once, rather than lazily by the
    first of the township pages that are built side by side (:func:`line_parts`).
    """
    if name == "unassigned":
        frame = frame.copy()
        frame["geometry"] = frame.geometry.representative_point()
    frame = display_crs_frame(frame)
    if name in LINE_LAYERS:
        frame.sindex  # noqa: B018 - built now, only read by the page threads
    return frame


def add_names(layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Fill township and census-area names on lower levels where the output lacks them."""
    township_names = dict(zip(layers["townships"][TOWNSHIP_CODE],
                              layers["townships"].get("name", pd.Series(dtype=object)),
                              strict=False))
    census_names = dict(zip(layers["census_areas"][CENSUS_AREA_CODE],
                            layers["census_areas"].get("name", pd.Series(dtype=object)),
                            strict=False))
    for name in ("census_areas", "small_areas"):
        frame = layers[name]
        if "township_name" not in frame.columns:
            frame["township_name"] = frame[TOWNSHIP_CODE].map(township_names)
    small = layers["small_areas"]
    if "census_area_name" not in small.columns:
        small["census_area_name"] = small[CENSUS_AREA_CODE].map(census_names)


def index_page(data: ReviewData, tiles: dict | None) -> str:
    """The county page: townships, census areas and small areas."""
    layers = data.layers
    townships = layers["townships"].copy()
    townships["page"] = [township_href(c) for c in townships[TOWNSHIP_CODE]]
    small = layers["small_areas"].copy()
    small["page"] = [township_href(c) for c in small[TOWNSHIP_CODE]]
    parts: list[tuple[LayerSpec, gpd.GeoDataFrame]] = line_parts(data, major_only=True)
    parts += [(SMALL_AREAS, small), (CENSUS_AREAS, layers["census_areas"]),
              (TOWNSHIPS, townships)]
    if "unassigned" in layers:
        parts.append((UNASSIGNED, layers["unassigned"]))
    report = data.report
    per_township = report.get("per_township")
    panel = Panel(
        title=report_title(report), links=[],
        legend=legend_for(data, small), worst=worst_for(data, small),
        rows=summary_rows(report) + band_rows(data.band), histogram=histogram_for(data, small),
        details=summary_rows(report, DETAIL_KEYS), hints=hints_for(small),
        warnings=list(report.get("warnings") or []),
        townships=township_table(townships, per_township if isinstance(per_township, list)
                                 else [], data.band, small))
    return render_page(title=f"{report_title(report)} – review map", parts=parts,
                       bounds=townships.total_bounds, tiles=tiles, data=data, page="index",
                       panel=panel_html(panel), extra_meta={"buildings": building_index(data)})


def building_index(data: ReviewData) -> dict[str, list[str]]:
    """Building ids by township code, so the county page can find any building's page.

    Ids are sorted within each township; the township page is ``township_href(code)``.
    The ids are already text (:func:`plain_codes`), taken out as lists in one call.
    """
    buildings = data.layers["buildings"]
    placed = buildings[buildings[TOWNSHIP_CODE].notna() & buildings["building_id"].notna()]
    return {str(code): sorted(text_values(group["building_id"]))
            for code, group in placed.groupby(TOWNSHIP_CODE, sort=True)}


def township_page(data: ReviewData, code: str, tiles: dict | None,
                  neighbours: tuple[str | None, str | None] = (None, None)) -> str:
    """One township: its areas and every building, coloured by small area."""
    layers = data.layers
    township = layers["townships"][layers["townships"][TOWNSHIP_CODE] == code]
    pick = {name: data.of_township(name, code) for name in TOWNSHIP_LAYERS}
    name = first(township.get("name"))
    title = f"{name} ({code})" if name else code
    parts = line_parts(data, major_only=False, within=township)
    parts += [(SMALL_AREAS, pick["small_areas"]), (BUILDINGS, pick["buildings"]),
              (CENSUS_AREAS, pick["census_areas"]), (TOWNSHIPS, township)]
    links = [("← County overview", "../index.html")]
    if neighbours[0]:
        links.append(("‹ previous", "../" + township_href(neighbours[0])))
    if neighbours[1]:
        links.append(("next ›", "../" + township_href(neighbours[1])))
    small = pick["small_areas"]
    panel = Panel(
        title=f"Township {title}", links=links, legend=legend_for(data, small),
        worst=worst_for(data, small), rows=township_rows(data, code, pick),
        histogram=histogram_for(data, small), details=summary_rows(data.report, DETAIL_KEYS),
        hints=hints_for(small))
    bounds = township.total_bounds if len(township) else pick["buildings"].total_bounds
    edit = edit_meta(data.edit, data.band, pick["small_areas"])
    return render_page(title=f"Township {title} – review map", parts=parts, bounds=bounds,
                       tiles=tiles, data=data, page="township", panel=panel_html(panel),
                       extra_meta={"edit": edit})


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
    """Flag legend (with its one-flag filter) for the given small areas."""
    flags = small["flags"].tolist() if "flags" in small.columns else []
    return flag_legend(data.descriptions, flag_counts(flags), data.flag_styles)


def worst_for(data: ReviewData, small: gpd.GeoDataFrame) -> str:
    """The folded worst-first list of ``small``."""
    items = worst_areas(small, data.band, data.descriptions, limit=len(small))
    return worst_list(items[:WORST_SHOWN], len(items))


#: Most entries a worst-first list carries on a page.
WORST_SHOWN = 60


def hints_for(small: gpd.GeoDataFrame) -> list[str]:
    """A hint when areas are drawn mostly over water or land far from any building."""
    empty = pd.to_numeric(small.get("empty_percent"), errors="coerce").fillna(0)
    count = int((empty > 100 * EMPTY_SHARE).sum())
    if not count:
        return []
    return [f"{count:,} small area{'s lie' if count != 1 else ' lies'} mostly over water or "
            "land 200 m or more from any building (sea, lakes, forest): the outline follows "
            "the township boundary. Listed last under Worst first."]


def band_rows(band: Band) -> list[tuple[str, object]]:
    """The run's size measure, target and band as figures."""
    rows: list[tuple[str, object]] = [("Size measure", band.measure)]
    if band.target is not None:
        rows.append(("Target size", band.target))
    if band.known:
        rows.append(("Band", f"{format_value(band.low)}–{format_value(band.high)}"))
    return rows


def measure_column(data: ReviewData) -> str:
    """The size measure of the run: ``households`` or ``persons``."""
    return data.band.measure


def histogram_for(data: ReviewData, small: gpd.GeoDataFrame) -> str:
    """Size distribution of ``small`` against the run's band."""
    values = pd.to_numeric(small.get(data.band.measure, pd.Series(dtype=float)),
                           errors="coerce")
    return size_histogram(values.dropna().tolist(), data.band)


def township_rows(data: ReviewData, code: str,
                  pick: dict[str, gpd.GeoDataFrame]) -> list[tuple[str, object]]:
    """Headline figures of one township, counted from its layers; the ceiling if known."""
    small = pick["small_areas"]
    measure = data.band.measure
    values = pd.to_numeric(small.get(measure, pd.Series(dtype=float)), errors="coerce")
    flagged = int((small.get("flags", pd.Series(dtype=object)).fillna("") != "").sum())
    rows: list[tuple[str, object]] = [
        ("Code", code),
        ("Buildings", len(pick["buildings"])),
        ("Households", count_value(pd.to_numeric(pick["buildings"].get("households"),
                                                  errors="coerce").fillna(0).sum())
         if "households" in pick["buildings"] else None),
        ("Census areas", len(pick["census_areas"])),
        ("Small areas", len(small)),
        (f"Mean {measure} per small area", float(values.mean()) if len(values) else None),
        ("Flagged small areas", flagged),
    ]
    mine = next((row for row in data.report.get("per_township") or []
                 if isinstance(row, dict) and str(row.get(TOWNSHIP_CODE)) == code), {})
    for key, label in (("within_tolerance_share", "Within tolerance"),
                       ("ceiling_share", "Ceiling (best reachable)"),
                       ("ceiling_gap", "Gap to the ceiling")):
        value = mine.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.append((label, percent(value)))
    return rows + band_rows(data.band)


def render_page(*, title: str, parts: list[tuple[LayerSpec, gpd.GeoDataFrame]],
                bounds: np.ndarray, tiles: dict | None, data: ReviewData, page: str,
                panel: str, extra_meta: dict | None = None) -> str:
    """One self-contained HTML page drawing ``parts`` in this order.

    ``extra_meta`` joins the page data's ``meta``; with an ``edit`` entry (the edit
    mode's data, :mod:`eapart.review.edit_data`) the page gets ``assets/edit.js``.
    """
    band = data.band
    meta = {"palette": data.palette, "page": page, "labelMax": LABEL_MAX,
            "measure": band.measure, "flags": data.descriptions,
            "flagStyles": data.flag_styles,
            "band": {"target": band.target, "min": band.low, "max": band.high},
            "townshipPage": data.township_pages,
            **(extra_meta or {})}
    payload = ('{"meta":' + assets.safe_json(meta) + ',"layers":['
               + ",".join(spec_json(spec, frame, data.texts.get(spec.key))
                          for spec, frame in parts) + "]}")
    from eapart.review.folium_page import folium_page  # folium loads with the first page

    editing = (extra_meta or {}).get("edit") is not None
    head = [("leaflet_css", assets.style_tag(assets.leaflet_css())),
            ("review_css", assets.style_tag(assets.review_asset("review.css"))),
            ("leaflet_js", assets.script_tag(assets.leaflet_js())),
            ("review_js", assets.script_tag(assets.review_asset("review.js")))]
    if editing:
        head += [("edit_css", assets.style_tag(assets.review_asset("edit.css"))),
                 ("edit_js", assets.script_tag(assets.review_asset("edit.js")))]
    body = [("data", f'<script type="application/json" id="eapart-data">{payload}</script>'),
            ("panel", panel)]
    return folium_page(title=title, groups=[(spec.key, spec.control) for spec, _ in parts],
                       bounds=tuple(float(v) for v in bounds), tiles=tiles,
                       head=head, body=body)
