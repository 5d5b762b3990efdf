"""The review map as a reviewer uses it, on outputs of the real CLI: the histogram's band
matches the report on any run; in a real headless Chromium, the one-flag filter, a
building found from the county page, the size colour mode and the worst-first list.
Screenshots of both pages at 1366x768 and 1920x1080 go to tests/artifacts/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from browser import chromium_missing_reason, open_page, uri
from paths import ARTIFACTS

from eapart.review.pages import township_href

EAPART = [sys.executable, "-m", "eapart.cli"]

#: The runs whose histograms are checked: a county total of small areas (limits such as
#: 172.496-258.744), a persons target, and odd limits around a households target.
RUNS = {
    "small-areas": ["--small-areas", "23"],
    "target-persons": ["--target-persons", "230", "--min-persons", "171",
                       "--max-persons", "293"],
    "odd-limits": ["--target-households", "83", "--min-households", "61",
                   "--max-households", "107"],
}


def cli(*args: str) -> None:
    done = subprocess.run([*EAPART, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 3), done.stderr


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    """A generated county of 1,500 buildings in 2 townships, written by ``eapart sample``."""
    path = tmp_path_factory.mktemp("county") / "county.gpkg"
    cli("sample", str(path), "--buildings", "1500", "--townships", "2", "--seed", "3", "-q")
    return path


@pytest.fixture(scope="module")
def outputs(county, tmp_path_factory) -> dict[str, Path]:
    """One ``eapart run`` output (with its review pages) per entry of :data:`RUNS`."""
    base = tmp_path_factory.mktemp("runs")
    found = {}
    for name, options in RUNS.items():
        out = base / name
        cli("run", str(county), "--out", str(out), "--jobs", "1", "-q", *options)
        found[name] = out
    return found


class _Histograms(HTMLParser):
    """The histogram of a page: its totals and each bar's count and state."""

    def __init__(self):
        super().__init__()
        self.hist: dict | None = None
        self.bars: list[tuple[int, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if "eapart-hist" in classes:
            self.hist = {"within": int(attrs["data-within"]), "total": int(attrs["data-total"])}
        if "eapart-bar" in classes:
            self.bars.append((int(attrs["data-count"]), classes[1]))


def histogram(path: Path) -> _Histograms:
    parser = _Histograms()
    parser.feed(path.read_text("utf-8"))
    assert parser.hist is not None, f"{path} has no histogram"
    return parser


@pytest.mark.parametrize("run", list(RUNS))
def test_histogram_matches_the_reports_share_exactly(outputs, run):
    out = outputs[run]
    report = json.loads((out / "report.json").read_text("utf-8"))
    measure = report["measure"]
    low, high = report[f"min_{measure}"], report[f"max_{measure}"]
    small = gpd.read_file(out / "eapart.gpkg", layer="small_areas")
    pages = [(out / "map" / "index.html", report["within_tolerance_share"], small)]
    for row in report["per_township"]:
        pages.append((out / "map" / township_href(row["township_code"]),
                      row["within_tolerance_share"],
                      small[small["township_code"] == row["township_code"]]))
    for page, share, areas in pages:
        found = histogram(page)
        sizes = areas[measure].to_numpy(dtype=float)
        inside = int(((sizes >= low) & (sizes <= high)).sum())
        assert found.hist == {"within": inside, "total": len(areas)}, page
        assert found.hist["within"] / found.hist["total"] == pytest.approx(share, abs=1e-6)
        assert sum(c for c, _ in found.bars) == len(areas)
        assert sum(c for c, state in found.bars if state == "in") == inside
        # green bars form one run: the band is never split by an orange bar
        states = "".join("i" if state == "in" else "o" for _, state in found.bars)
        assert re.fullmatch(r"o*i+o*", states), states
        text = page.read_text("utf-8")
        assert f"({100 * share:.1f} %)</b> within" in text


def test_the_band_of_a_persons_run_is_drawn(outputs):
    text = (outputs["target-persons"] / "map" / "index.html").read_text("utf-8")
    assert "Small areas by persons; target 230" in text
    assert "within 171–293 (green)" in text


# --- in a real browser -------------------------------------------------------------------

browser_test = pytest.mark.skipif(chromium_missing_reason() is not None,
                                  reason=str(chromium_missing_reason()))




def offline(log) -> None:
    assert log.console_errors == [] and log.page_errors == [], log.page_errors
    assert [r for r in log.requests if not r.startswith(("file:", "data:"))] == []


SMALL = "eapart.layers.find(l => l.key === 'small_areas')"
#: ``[code, style]`` of every small area on the page.
STYLES = (f"() => {SMALL}.props.small_area_code.map((c, i) => "
          "[c, eapart.styleOf('small_areas', i)])")
#: ``[small area code, fill colour]`` of every building on the page.
BUILDING_FILLS = ("() => { const b = eapart.layers.find(l => l.key === 'buildings'); "
                  "return b.props.small_area_code.map((c, i) => "
                  "[c, eapart.styleOf('buildings', i).fillColor]); }")


@browser_test
@pytest.mark.browser
def test_filter_to_one_flag(chromium, outputs):
    out = outputs["odd-limits"]
    small = gpd.read_file(out / "eapart.gpkg", layer="small_areas")
    page, log = open_page(chromium, uri(out / "map" / "index.html"))
    options = page.eval_on_selector_all("#eapart-flag-filter option", "os => os.map(o => o.value)")
    flags = [o for o in options if o]
    assert flags, "the run flagged nothing"
    counts = {f: int(small["flags"].fillna("").str.split(",").map(lambda x, f=f: f in x).sum())
              for f in flags}
    assert all(n > 0 for n in counts.values())  # the legend lists no flag with count 0
    flag = min(flags, key=lambda f: counts[f])
    page.select_option("#eapart-flag-filter", flag)
    styles = page.evaluate(STYLES)
    colour = page.evaluate(f"eapart.meta.flagStyles[{json.dumps(flag)}].colour")
    carrying = set(small.loc[small["flags"].fillna("").str.split(",").map(
        lambda x: flag in x), "small_area_code"])
    shown = {code for code, style in styles if style["color"] == colour and style["weight"] >= 2}
    dimmed = {code for code, style in styles if style["fillOpacity"] < 0.1}
    assert shown == carrying
    assert dimmed == set(small["small_area_code"]) - carrying
    assert page.evaluate("eapart.state.flagFilter") == flag
    page.select_option("#eapart-flag-filter", "")
    assert not any(s["fillOpacity"] < 0.1 for _, s in page.evaluate(STYLES))
    offline(log)
    page.context.close()


@browser_test
@pytest.mark.browser
def test_building_id_on_the_county_page_opens_the_building(chromium, outputs):
    out = outputs["odd-limits"]
    buildings = gpd.read_file(out / "eapart.gpkg", layer="buildings").to_crs(4326)
    target = buildings.iloc[len(buildings) * 2 // 3]
    page, log = open_page(chromium, uri(out / "map" / "index.html"))
    box = page.locator(".eapart-search input")
    box.fill(str(target["building_id"]))
    first = page.locator(".eapart-results li").first
    assert str(target["building_id"]) in first.inner_text()
    assert target["township_code"] in first.inner_text()
    with page.expect_navigation():
        box.press("Enter")
    page.wait_for_function("window.eapart && window.eapart.ready", timeout=30000)
    page.wait_for_timeout(300)
    assert page.url.endswith(township_href(target["township_code"]) + "#building="
                             + str(target["building_id"]))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert str(target["building_id"]) in popup.inner_text()
    # The map flies to the building: on a loaded machine the flight outlasts any fixed wait.
    x, y = target.geometry.centroid.x, target.geometry.centroid.y
    page.wait_for_function(
        f"(() => {{ const c = eapart.map.getCenter(); "
        f"return Math.abs(c.lng - {x}) < 5e-4 && Math.abs(c.lat - {y}) < 5e-4; }})()",
        timeout=10000)
    centre = page.evaluate("(() => { const c = eapart.map.getCenter(); return [c.lng, c.lat]; })()")
    assert target.geometry.buffer(2e-4).contains(shapely.Point(centre))
    assert page.evaluate("eapart.map.getZoom()") >= 17
    offline(log)
    page.context.close()


@browser_test
@pytest.mark.browser
def test_households_colour_mode(chromium, outputs):
    out = outputs["odd-limits"]
    small = gpd.read_file(out / "eapart.gpkg", layer="small_areas")
    code = small["township_code"].iloc[0]
    page, log = open_page(chromium, uri(out / "map" / township_href(code)))
    modes = page.eval_on_selector_all("#eapart-colour-mode option", "os => os.map(o => o.value)")
    assert modes[:3] == ["area", "size", "deviation"]
    assert page.locator("#eapart-colour-legend li").count() == 0  # categorical: no legend
    page.select_option("#eapart-colour-mode", "size")
    legend = page.locator("#eapart-colour-legend li").all_inner_texts()
    counts = [int(re.search(r"\((\d+)\)$", t).group(1)) for t in legend]
    mine = small[small["township_code"] == code]
    assert sum(counts) == len(mine)
    fills = page.evaluate(f"""() => {{ const l = {SMALL};
        return l.props.small_area_code.map((c, i) => [c, l.props.households[i],
                                                      eapart.styleOf('small_areas', i).fillColor]);
    }}""")
    colours = page.eval_on_selector_all("#eapart-colour-legend .eapart-swatch",
                                        "ss => ss.map(s => getComputedStyle(s).backgroundColor)")
    assert len(set(colours)) == len(legend) >= 5
    # larger areas never get a lighter class than smaller ones
    by_size = sorted(fills, key=lambda f: f[1])
    hexes = [f[2] for f in by_size]
    classes = list(dict.fromkeys(hexes))
    assert [classes.index(h) for h in hexes] == sorted(classes.index(h) for h in hexes)
    # buildings take the colour of their small area
    colour_of = {c: f for c, _, f in fills}
    building_fills = page.evaluate(BUILDING_FILLS)
    assert all(colour_of[c] == f for c, f in building_fills)
    page.select_option("#eapart-colour-mode", "deviation")
    legend = page.locator("#eapart-colour-legend li").all_inner_texts()
    within = next(t for t in legend if t.startswith("within 61–107"))
    inside = int(mine["households"].between(61, 107).sum())
    assert within.endswith(f"({inside})")
    offline(log)
    page.context.close()


@browser_test
@pytest.mark.browser
def test_worst_first_list_zooms_to_each_area(chromium, outputs):
    out = outputs["odd-limits"]
    small = gpd.read_file(out / "eapart.gpkg", layer="small_areas")
    gaps = np.maximum(61 - small["households"], small["households"] - 107)
    code = small.loc[gaps.idxmax(), "township_code"]
    mine = small[small["township_code"] == code]
    mine_gaps = np.maximum(61 - mine["households"], mine["households"] - 107)
    assert mine_gaps.max() > 0, "no area out of the band in that township"
    worst = mine.loc[mine_gaps.idxmax()]
    page, log = open_page(chromium, uri(out / "map" / township_href(code)))
    items = page.locator("#eapart-worst li")
    assert not items.first.is_visible()  # folded until asked for
    page.locator(".eapart-worst summary").click()
    assert items.first.is_visible()
    listed = page.eval_on_selector_all("#eapart-worst li", "ls => ls.map(l => l.dataset.code)")
    out_of_band = set(mine.loc[mine_gaps > 0, "small_area_code"])
    assert set(listed[:len(out_of_band)]) == out_of_band  # out of band first
    assert listed[0] == worst["small_area_code"]
    gap_of = dict(zip(mine["small_area_code"], mine_gaps, strict=True))
    ordered = [float(gap_of[c]) for c in listed[:len(out_of_band)]]
    assert ordered == sorted(ordered, reverse=True)
    for k in (0, min(2, len(listed) - 1)):
        items.nth(k).click()
        page.wait_for_timeout(200)
        target = mine[mine["small_area_code"] == listed[k]].to_crs(4326).geometry.iloc[0]
        centre = page.evaluate("(() => { const c = eapart.map.getCenter(); "
                               "return [c.lng, c.lat]; })()")
        assert target.buffer(1e-4).contains(shapely.Point(centre))
        assert listed[k] in page.locator(".leaflet-popup-content").inner_text()
    offline(log)
    page.context.close()


@browser_test
@pytest.mark.browser
def test_labels_never_overlap(chromium, outputs):
    out = outputs["odd-limits"]
    page, log = open_page(chromium, uri(out / "map" / "index.html"))
    for zoom_change in (0, 1, 2):
        if zoom_change:
            page.evaluate("eapart.map.setZoom(eapart.map.getZoom() + 1, {animate: false})")
            page.wait_for_timeout(300)
        boxes = page.eval_on_selector_all(
            ".eapart-label span", "ss => ss.map(s => { const r = s.getBoundingClientRect(); "
            "return [r.left, r.top, r.right, r.bottom]; })")
        assert boxes
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                p, q = boxes[a], boxes[b]
                assert not (p[0] < q[2] - 1 and q[0] < p[2] - 1 and p[1] < q[3] - 1
                            and q[1] < p[3] - 1), (p, q)
    offline(log)
    page.context.close()


def screenshots(chromium, out: Path, name: str) -> list[Path]:
    """Index and first township page at both screen sizes, written to tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    small = gpd.read_file(out / "eapart.gpkg", layer="small_areas")
    busiest = small.groupby("township_code").size().idxmax()
    written = []
    for kind, path in (("index", out / "map" / "index.html"),
                       ("township", out / "map" / township_href(busiest))):
        for size in ((1366, 768), (1920, 1080)):
            page, log = open_page(chromium, uri(path), size=size)
            page.wait_for_timeout(400)
            target = ARTIFACTS / f"review_{name}_{kind}_{size[0]}x{size[1]}.png"
            page.screenshot(path=str(target))
            offline(log)
            # what to check first is on screen without scrolling
            box = page.locator("[data-section='check'] > summary").bounding_box()
            assert box and box["y"] + box["height"] < size[1] / 3
            worst = page.locator(".eapart-worst > summary").bounding_box()
            assert worst and worst["y"] + worst["height"] < size[1]
            page.context.close()
            written.append(target)
    return written


@browser_test
@pytest.mark.browser
def test_screenshots_of_a_generated_county(chromium, outputs):
    assert all(p.stat().st_size > 20_000 for p in screenshots(chromium, outputs["odd-limits"],
                                                               "generated"))


@browser_test
@pytest.mark.browser
def test_screenshots_of_andorra(chromium, andorra_mapped_run):
    out = andorra_mapped_run.out
    assert all(p.stat().st_size > 20_000 for p in screenshots(chromium, out, "andorra"))
