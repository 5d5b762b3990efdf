"""The review map's edit mode in a real Chromium, round trip through the command line.

On Andorra's township page: switch edit mode on, click a building on the map, pick
the target small area, move it with a note, lock another area, undo and redo, save
the edits (a real download), apply the file with ``eapart edit apply`` and open the
new page: the building is in its new area, the lock is in the registry, the changed
areas are marked, and no page asked anything of the network.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pyogrio
import pytest
from browser import browser, chromium_missing_reason, open_page
from edit_helpers import layer, movable

from eapart.review.pages import township_href

EAPART = [sys.executable, "-m", "eapart.cli"]

pytestmark = pytest.mark.skipif(chromium_missing_reason() is not None,
                                reason=str(chromium_missing_reason()))


def eapart(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*EAPART, *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def local(url: str) -> bool:
    return url.startswith(("file:", "data:", "blob:"))


def click_building(page, building_id: str) -> None:
    """Zoom to a building and click its middle with the mouse."""
    point = page.evaluate(
        """(id) => {
            const l = eapart.layers.find(x => x.key === "buildings");
            const i = l.props[l.code].indexOf(id);
            const item = l.items[i];
            const at = item.getLatLng ? item.getLatLng() : item.getBounds().getCenter();
            eapart.map.setView(at, 20, {animate: false});
            const p = eapart.map.latLngToContainerPoint(at);
            const box = eapart.map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""", building_id)
    page.wait_for_timeout(300)
    page.mouse.click(point["x"], point["y"])


def test_edit_in_the_page_save_apply_and_see(andorra_mapped_run, tmp_path):
    out0, out1 = andorra_mapped_run.out, tmp_path / "out1"
    a, b, bid = movable(out0)
    sa = layer(out0, "small_areas")
    other = sa[(sa.township_code == a[:9]) & ~sa.small_area_code.isin([a, b])] \
        .small_area_code.iloc[0]
    page_path = out0 / "map" / township_href(a[:9])
    with browser() as instance:
        page, log = open_page(instance, page_path.resolve().as_uri())
        page.click(".eapart-edit-toggle")
        click_building(page, bid)
        assert page.text_content(".eapart-edit-selected").startswith("1 building")
        page.select_option(".eapart-edit-target", b)
        page.fill(".eapart-edit-note", "with its neighbours across the lane")
        page.click(".eapart-edit-move")
        page.select_option(".eapart-edit-target", other)
        page.click(".eapart-edit-lock")
        assert page.locator(".eapart-edit-list li").count() == 2
        page.click(".eapart-edit-undo")
        assert page.locator(".eapart-edit-list li").count() == 1
        page.click(".eapart-edit-redo")
        assert page.locator(".eapart-edit-list li").count() == 2
        totals = page.evaluate("eapartEdit.totals()")
        moved = page.evaluate(f"eapart.layers.find(l => l.key === 'buildings')"
                              f".props.households[eapart.layers.find(l => l.key === "
                              f"'buildings').props.building_id.indexOf({json.dumps(bid)})]")
        before = {r.small_area_code: r.households for r in sa.itertuples()}
        assert totals[b] == pytest.approx(before[b] + moved)
        with page.expect_download() as download:
            page.click(".eapart-edit-save")
        edits = tmp_path / "edits.json"
        download.value.save_as(edits)
        assert [r for r in log.requests if not local(r)] == []
        assert not log.page_errors and not log.console_errors
        page.close()

        saved = json.loads(edits.read_text("utf-8"))
        assert [e["op"] for e in saved["edits"]] == ["move", "lock"]
        assert saved["edits"][0]["note"] == "with its neighbours across the lane"
        done = eapart("edit", "apply", out0, edits, "--out", out1)
        assert done.returncode == 0, done.stderr
        new = layer(out1, "buildings").set_index("building_id")
        assert new.small_area_code[bid] == b
        registry = pyogrio.read_dataframe(out1 / "eapart.gpkg", layer="codes")
        assert registry.loc[registry.code == other, "locked"].tolist() == [1]

        page, log = open_page(instance, (out1 / "map" / township_href(a[:9])).resolve().as_uri())
        shown = page.evaluate(f"""(() => {{
            const b = eapart.layers.find(l => l.key === "buildings");
            const s = eapart.layers.find(l => l.key === "small_areas");
            const i = s.props.small_area_code.indexOf({json.dumps(b)});
            return {{area: b.props.small_area_code[b.props.building_id.indexOf(
                         {json.dumps(bid)})],
                     marked: s.items[i].options.color, locked: eapart.meta.edit.locked}};
        }})()""")
        assert shown["area"] == b
        assert shown["marked"] == "#ff00aa"
        assert other in shown["locked"]
        assert [r for r in log.requests if not local(r)] == []
        assert not log.page_errors
