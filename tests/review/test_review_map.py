"""The review map: pages written from an output directory, then opened in a real
headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from browser import chromium_missing_reason, open_page, uri
from map_sample import HOSTILE_IMG, HOSTILE_SCRIPT, write_sample_output
from paths import ARTIFACTS

from eapart.errors import InputError, UsageError
from eapart.review import assets
from eapart.review.pages import build_review_maps, township_href

TILE_HOST = "tile.openstreetmap.org"


def page_data(path: Path) -> dict:
    """The JSON a page carries in its ``eapart-data`` element."""
    html = path.read_text("utf-8")
    match = re.search(r'<script type="application/json" id="eapart-data">(.*?)</script>', html,
                      flags=re.S)
    assert match, f"{path} has no eapart-data element"
    return json.loads(match.group(1))


def copy_output(source: Path, target: Path) -> Path:
    """A fresh output directory holding ``source``'s GeoPackage and report."""
    target.mkdir()
    for name in ("eapart.gpkg", "report.json"):
        (target / name).write_bytes((source / name).read_bytes())
    return target


def layer(data: dict, key: str) -> dict:
    return next(item for item in data["layers"] if item["key"] == key)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """A small output directory (projected CRS, hostile and Chinese names) with its map."""
    outdir = write_sample_output(tmp_path_factory.mktemp("review") / "out")
    build_review_maps(outdir)
    return outdir


def test_writes_index_and_one_page_per_township(sample):
    townships = gpd.read_file(sample / "eapart.gpkg", layer="townships")
    pages = {p.relative_to(sample / "map").as_posix() for p in (sample / "map").rglob("*.html")}
    expected = {"index.html"} | {township_href(c) for c in townships["township_code"]}
    assert pages == expected
    index = page_data(sample / "map" / "index.html")
    assert layer(index, "townships")["props"]["page"] == [township_href(c) for c in
                                                          townships["township_code"]]
    html = (sample / "map" / "index.html").read_text("utf-8")
    for href in layer(index, "townships")["props"]["page"]:
        assert f"href='{href}'" in html
    first = (sample / "map" / township_href(townships["township_code"][0])).read_text("utf-8")
    assert "href='../index.html'" in first


def test_progress_counts_every_page(tmp_path):
    outdir = write_sample_output(tmp_path / "out", townships=(3, 1), census=(1, 1),
                                 small=(2, 1), buildings=30)
    calls = []
    written = build_review_maps(outdir, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(k, 4) for k in range(1, 5)]
    assert all(p.is_file() and p.stat().st_size > 100_000 for p in written)


def test_buildings_only_on_their_township_page(sample):
    buildings = gpd.read_file(sample / "eapart.gpkg", layer="buildings")
    index = page_data(sample / "map" / "index.html")
    assert "buildings" not in {item["key"] for item in index["layers"]}
    for code, group in buildings.groupby("township_code"):
        page = page_data(sample / "map" / township_href(code))
        ids = layer(page, "buildings")["props"]["building_id"]
        assert sorted(ids) == sorted(group["building_id"])


def test_neighbouring_small_areas_never_share_a_colour(sample):
    small = gpd.read_file(sample / "eapart.gpkg", layer="small_areas")
    colours = dict(zip(layer(page_data(sample / "map" / "index.html"), "small_areas")["props"][
        "small_area_code"], layer(page_data(sample / "map" / "index.html"), "small_areas")[
        "props"]["colour"], strict=True))
    pairs = gpd.sjoin(small, small, predicate="intersects")
    pairs = pairs[pairs["small_area_code_left"] != pairs["small_area_code_right"]]
    assert len(pairs) > len(small)  # a grid: every area has neighbours
    same = [(a, b) for a, b in zip(pairs["small_area_code_left"], pairs["small_area_code_right"],
                                   strict=True) if colours[a] == colours[b]]
    assert same == []
    # and buildings take the colour of their small area
    buildings = gpd.read_file(sample / "eapart.gpkg", layer="buildings")
    code = buildings["township_code"][0]
    b = layer(page_data(sample / "map" / township_href(code)), "buildings")["props"]
    assert all(colours[s] == c for s, c in zip(b["small_area_code"], b["colour"], strict=True))


def test_geographic_and_projected_outputs_draw_in_the_same_place(tmp_path):
    kwargs = dict(townships=(1, 1), census=(1, 1), small=(2, 1), buildings=10)
    projected = write_sample_output(tmp_path / "utm", crs="EPSG:32631", **kwargs)
    geographic = write_sample_output(tmp_path / "wgs", crs="EPSG:32631", **kwargs)
    for name in ("buildings", "small_areas", "census_areas", "townships", "unassigned", "roads"):
        frame = gpd.read_file(projected / "eapart.gpkg", layer=name).to_crs(4326)
        frame.to_file(geographic / "eapart.gpkg", layer=name, engine="pyogrio", mode="w")
    for outdir in (projected, geographic):
        build_review_maps(outdir)
    boxes = []
    for outdir in (projected, geographic):
        geoms = layer(page_data(outdir / "map" / "index.html"), "small_areas")["geoms"]
        shapes = shapely.from_geojson([json.dumps(g) for g in geoms])
        boxes.append(shapely.total_bounds(shapes))
    assert 0.5 < boxes[0][0] < 2.5 and 41.5 < boxes[0][1] < 43.5  # lon/lat of Andorra
    np.testing.assert_allclose(boxes[0], boxes[1], atol=2e-5)


def test_data_text_is_escaped_in_the_html(sample):
    for page in (sample / "map").rglob("*.html"):
        html = page.read_text("utf-8")
        assert HOSTILE_SCRIPT not in html, page
        assert "<img src=x" not in html, page
        # the JSON still carries the names, as data
        assert "\\u003cscript\\u003ealert(1)" in html or "&lt;script&gt;alert(1)" in html


def test_no_reference_to_any_host_without_basemap(sample):
    html = (sample / "map" / "index.html").read_text("utf-8")
    assert assets.leaflet_js() in html
    outside_leaflet = html.replace(assets.leaflet_js(), "")
    assert re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}/", outside_leaflet) == []
    assert [ref for ref in linked_urls(html) if not ref.startswith(("townships/", "#"))] == []


class _Links(HTMLParser):
    """Collects every src and href attribute of a page's elements."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def linked_urls(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def test_osm_basemap_references_only_the_tile_host(tmp_path, sample):
    outdir = copy_output(sample, tmp_path / "osm")
    build_review_maps(outdir, basemap="osm")
    html = (outdir / "map" / "index.html").read_text("utf-8").replace(assets.leaflet_js(), "")
    hosts = set(re.findall(r"https?://([\w.-]+)", html))
    assert hosts == {TILE_HOST}


def test_bad_basemap_and_missing_output_are_reported(tmp_path, sample):
    with pytest.raises(UsageError, match=r"--basemap 'ftp://x/\{z\}'"):
        build_review_maps(sample, basemap="ftp://x/{z}")
    with pytest.raises(UsageError, match="XYZ tile URL"):
        build_review_maps(sample, basemap="https://tiles.example.org/map.png")
    with pytest.raises(InputError, match="eapart.gpkg not found"):
        build_review_maps(tmp_path)


def test_custom_basemap_url_and_attribution_are_used(tmp_path, sample):
    outdir = copy_output(sample, tmp_path / "custom")
    url = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
    build_review_maps(outdir, basemap=url, attribution="天地图 <b>")
    html = (outdir / "map" / "index.html").read_text("utf-8")
    call = re.search(r'L\.tileLayer\(\s*("[^"]*"),\s*(\{.*?\})\s*\)', html, flags=re.S)
    assert call, "no tile layer on the page"
    assert json.loads(call.group(1)) == url
    options = json.loads(re.sub(r",\s*\}$", "}", call.group(2)))  # JS allows a last comma
    assert options["attribution"] == "天地图 &lt;b&gt;"
    assert options["subdomains"] == "01234567"


# --- in a real browser -------------------------------------------------------------------

browser_test = pytest.mark.skipif(chromium_missing_reason() is not None,
                                  reason=str(chromium_missing_reason()))




def first_township(sample: Path) -> str:
    return str(gpd.read_file(sample / "eapart.gpkg", layer="townships")["township_code"][0])


def area_point(page, key: str, index: int) -> dict:
    """Container pixel of the label point of feature ``index`` of layer ``key``."""
    return page.evaluate(
        """([key, i]) => {
            const layer = eapart.layers.find(l => l.key === key);
            const p = eapart.map.latLngToContainerPoint(layer.labels[i]);
            const box = eapart.map.getContainer().getBoundingClientRect();
            return {x: p.x + box.left, y: p.y + box.top};
        }""", [key, index])


@browser_test
@pytest.mark.browser
def test_pages_open_offline_without_errors(chromium, sample):
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in (("index", sample / "map" / "index.html"),
                       ("township", sample / "map" / township_href(first_township(sample)))):
        page, log = open_page(chromium, uri(path))
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / f"review_{name}.png"))
        assert log.console_errors == [] and log.page_errors == [], name
        assert log.requests and all(r.startswith(("file:", "data:")) for r in log.requests), \
            log.requests
        assert log.dialogs == []
        drawn = page.evaluate("eapart.layers.map(l => Object.keys(l.items).length)")
        assert min(drawn) > 0
        page.context.close()


@browser_test
@pytest.mark.browser
def test_click_on_a_small_area_shows_code_and_households(chromium, sample):
    page, log = open_page(chromium, uri(sample / "map" / "index.html"))
    props = page.evaluate("eapart.layers.find(l => l.key === 'small_areas').props")
    k = 5
    point = area_point(page, "small_areas", k)
    page.mouse.click(point["x"], point["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert props["small_area_code"][k] in text
    assert f"{props['households'][k]:,}" in text
    assert log.console_errors == [] and log.page_errors == []
    page.context.close()


@browser_test
@pytest.mark.browser
def test_search_finds_a_code_and_moves_the_map_there(chromium, sample):
    page, _ = open_page(chromium, uri(sample / "map" / "index.html"))
    small = gpd.read_file(sample / "eapart.gpkg", layer="small_areas").to_crs(4326)
    target = small.iloc[-1]
    before = page.evaluate("eapart.map.getZoom()")
    box = page.locator(".eapart-search input")
    box.fill(target["small_area_code"][:13])
    results = page.locator(".eapart-results li")
    assert results.count() >= 1
    box.fill(target["small_area_code"])
    box.press("Enter")
    page.wait_for_timeout(300)
    centre = page.evaluate("(() => { const c = eapart.map.getCenter(); return [c.lng, c.lat]; })()")
    assert target.geometry.buffer(1e-4).contains(shapely.Point(centre))
    assert page.evaluate("eapart.map.getZoom()") > before
    assert target["small_area_code"] in page.locator(".leaflet-popup-content").inner_text()
    page.context.close()


@browser_test
@pytest.mark.browser
def test_layer_control_hides_and_shows_layers(chromium, sample):
    page, _ = open_page(chromium, uri(sample / "map" / "index.html"))
    has = "eapart.map.hasLayer(eapart.groups.small_areas)"
    box = page.locator(".leaflet-control-layers-overlays label", has_text="Small areas")
    assert page.evaluate(has)
    box.locator("input").click()
    assert not page.evaluate(has)
    # with small areas hidden, a click on one opens no popup
    point = area_point(page, "small_areas", 3)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_timeout(200)
    assert page.locator(".leaflet-popup-content").count() == 0
    box.locator("input").click()
    assert page.evaluate(has)
    page.context.close()


@browser_test
@pytest.mark.browser
def test_hostile_names_show_as_text_and_never_run(chromium, sample):
    page, log = open_page(chromium, uri(sample / "map" / township_href(first_township(sample))))
    # township name in the panel heading, literally
    assert page.get_by_text(HOSTILE_SCRIPT, exact=False).first.is_visible()
    # the census area named with an <img> payload, in a small area's popup
    code = page.evaluate("eapart.layers.find(l => l.key === 'small_areas').props"
                         ".small_area_code[0]")
    page.locator(".eapart-search input").fill(code)
    assert HOSTILE_IMG in page.locator(".eapart-results li").first.inner_text()
    page.locator(".eapart-search input").press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert HOSTILE_IMG in popup.inner_text()
    assert popup.locator("img").count() == 0
    # the building named <script>..., found by search and shown in its popup
    page.locator(".eapart-search input").fill("b000000")
    page.locator(".eapart-search input").press("Enter")
    page.wait_for_timeout(200)
    assert HOSTILE_SCRIPT in page.locator(".leaflet-popup-content").inner_text()
    assert page.locator("img[src='x']").count() == 0
    assert log.dialogs == [] and log.page_errors == []
    page.context.close()


@browser_test
@pytest.mark.browser
def test_measuring_adds_up_distances(chromium, sample):
    page, _ = open_page(chromium, uri(sample / "map" / "index.html"))
    page.locator("a[title^='Measure']").click()
    a, b = area_point(page, "small_areas", 0), area_point(page, "small_areas", 1)
    page.mouse.click(a["x"], a["y"])
    page.mouse.click(b["x"], b["y"])
    expected = page.evaluate(
        """() => { const l = eapart.layers.find(l => l.key === 'small_areas').labels;
                   return eapart.map.distance(l[0], l[1]); }""")
    measured = page.evaluate("eapart.state.distance")
    assert measured == pytest.approx(expected, rel=0.02)
    assert page.locator(".leaflet-popup-content").count() == 0
    assert page.locator(".eapart-distance").inner_text().endswith("m")
    page.context.close()


@browser_test
@pytest.mark.browser
def test_osm_basemap_requests_only_tiles(chromium, tmp_path, sample):
    outdir = copy_output(sample, tmp_path / "osm")
    build_review_maps(outdir, basemap="osm")
    page, log = open_page(chromium, uri(outdir / "map" / "index.html"))
    page.wait_for_timeout(300)
    remote = [r for r in log.requests if not r.startswith(("file:", "data:"))]
    assert remote, "the basemap asked for no tile"
    assert {re.match(r"https://([^/]+)/", r).group(1) for r in remote} == {TILE_HOST}
    assert log.page_errors == []
    page.context.close()


@browser_test
@pytest.mark.browser
def test_pipeline_output_gives_working_pages(chromium, sample_output, tmp_path):
    """The real pipeline's output (bundled sample) draws with no error, offline."""
    outdir = copy_output(sample_output, tmp_path / "out")
    pages = build_review_maps(outdir)
    small = gpd.read_file(outdir / "eapart.gpkg", layer="small_areas")
    index = page_data(pages[0])
    assert sorted(layer(index, "small_areas")["props"]["small_area_code"]) == sorted(
        small["small_area_code"])
    for path in (pages[0], pages[-1]):
        page, log = open_page(chromium, uri(path))
        assert log.console_errors == [] and log.page_errors == []
        assert all(r.startswith(("file:", "data:")) for r in log.requests)
        page.context.close()
