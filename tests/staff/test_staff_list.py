"""`eapart assign --staff`: named people on every workload, and clear messages on bad lists."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from browser import browser, chromium_missing_reason, open_page
from openpyxl import load_workbook
from paths import ARTIFACTS
from test_assign import assignments, eapart, layer

PHONE = "13912345678"
HOSTILE = "<img src=x onerror=alert(1)>"
FORMULA = "=HYPERLINK(\"http://x\")"


@pytest.fixture(scope="module")
def assigned_output(sample_output: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample output after one ``eapart assign``, shared by the module: never written to."""
    target = tmp_path_factory.mktemp("assigned") / "out"
    shutil.copytree(sample_output, target)
    assert eapart("assign", target).returncode == 0
    return target


@pytest.fixture()
def out(assigned_output: Path, tmp_path: Path) -> Path:
    """A copy of the assigned sample output that the test may change."""
    target = tmp_path / "out"
    shutil.copytree(assigned_output, target)
    return target


def write_staff(path: Path, rows: list[dict]) -> Path:
    columns = ["id", "name", "role", "township", "lon", "lat", "capacity", "available",
               "phone"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({"phone": PHONE, **row})
    return path


def staff_for(out: Path, spare: int = 1) -> list[dict]:
    """Enough people per township, living at a workload's point, plus ``spare`` each."""
    slots = layer(out, "enumerator_areas").to_crs(4326)
    teams = layer(out, "supervisor_areas").to_crs(4326)
    rows = []
    for kind, frame, role in (("E", slots, "普查员"), ("S", teams, "supervisor")):
        for township, group in frame.groupby("township_code"):
            points = shapely.point_on_surface(group.geometry.array)
            for i, point in enumerate(list(points) + list(points[:spare])):
                rows.append({"id": f"{kind}{township[-3:]}{i:03d}", "name": f"{kind}{i}号",
                             "role": role, "township": township, "lon": point.x,
                             "lat": point.y, "capacity": 1, "available": "yes"})
    return rows


def test_every_place_gets_a_person_nearest_home_and_no_phone_leaks(out, tmp_path):
    rows = staff_for(out)
    rows[0]["name"] = HOSTILE
    rows[1]["name"] = FORMULA
    staff = write_staff(tmp_path / "staff.csv", rows)
    done = eapart("assign", out, "--staff", staff)
    assert done.returncode == 0, done.stderr
    table = assignments(out)
    assert (table["enumerator_id"] != "").all() and (table["supervisor_id"] != "").all()
    people = pd.DataFrame(rows).set_index("id")
    # Each person is used within capacity, in their own township.
    per_person = table.drop_duplicates("enumerator_slot")["enumerator_id"].value_counts()
    assert per_person.max() == 1
    assert (people.loc[table["enumerator_id"], "township"].to_numpy()
            == table["township_code"].to_numpy()).all()
    # Homes were put on workloads: most people get the workload they live on.
    slots = layer(out, "enumerator_areas").to_crs(4326)
    homes = shapely.points(people.loc[slots["enumerator_id"], ["lon", "lat"]].to_numpy())
    assert shapely.covers(slots.geometry.array, homes).mean() > 0.9
    report = json.loads((out / "report.json").read_text("utf-8"))["staff"]["staff_list"]
    assert report["enumerator"]["places_unfilled"] == []
    assert len(report["enumerator"]["unused"]) == table["township_code"].nunique()
    # Nothing but id, name and role leaves the staff list.
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".html", ".json"):
            assert PHONE not in path.read_text("utf-8", errors="replace"), path
    for name in ("enumerator_areas", "supervisor_areas"):
        frame = pyogrio.read_dataframe(out / "eapart.gpkg", layer=name, read_geometry=False)
        assert PHONE not in frame.astype(str).to_numpy().ravel().tolist()
        assert "phone" not in frame.columns
    # A name that looks like a formula stays text in both tables.
    text = (out / "assignments.csv").read_text("utf-8-sig")
    assert "'" + FORMULA.replace('"', '""') in text
    book = load_workbook(out / "assignments.xlsx")
    cells = [c for row in book["assignments"].iter_rows() for c in row if c.value == FORMULA]
    assert cells and all(c.data_type == "s" for c in cells)


def test_too_few_people_are_reported_with_counts_and_the_empty_workloads(out, tmp_path):
    rows = staff_for(out, spare=0)
    township = rows[0]["township"]
    dropped = [r for r in rows if r["township"] == township and r["id"].startswith("E")][:3]
    staff = write_staff(tmp_path / "staff.csv", [r for r in rows if r not in dropped])
    done = eapart("assign", out, "--staff", staff, "--quiet")
    assert done.returncode == 0
    assert f"3 enumerator workload(s) have nobody ({township}: 3)" in done.stderr
    table = assignments(out)
    empty = table.loc[table["enumerator_id"] == "", "enumerator_slot"].unique()
    assert len(empty) == 3
    report = json.loads((out / "report.json").read_text("utf-8"))["staff"]["staff_list"]
    assert sorted(report["enumerator"]["places_unfilled"]) == sorted(empty)
    assert report["enumerator"]["unfilled_by_township"] == {township: 3}


def test_unknown_township_and_duplicate_ids_name_the_line_and_column(out, tmp_path):
    rows = staff_for(out)[:6]
    rows[2]["township"] = "新城镇"
    rows[4]["id"] = rows[1]["id"]
    staff = write_staff(tmp_path / "staff.csv", rows)
    before = (out / "assignments.csv").read_bytes()
    done = eapart("assign", out, "--staff", staff)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "line 4, column 'township': '新城镇' is not a township" in done.stderr
    assert f"lines 3, 6, column 'id': id '{rows[1]['id']}' is given to more than one" \
        in done.stderr
    assert (out / "assignments.csv").read_bytes() == before


def test_bad_role_capacity_and_availability_are_each_named(out, tmp_path):
    rows = staff_for(out)[:4]
    rows[0]["role"] = "boss"
    rows[1]["capacity"] = "two"
    rows[2]["available"] = "maybe"
    done = eapart("assign", out, "--staff", write_staff(tmp_path / "s.csv", rows))
    assert done.returncode == 1
    for expected in ("line 2, column 'role'", "line 3, column 'capacity'",
                     "line 4, column 'available'", "3 problem(s)"):
        assert expected in done.stderr


def test_a_home_outside_the_listed_township_is_a_warning(out, tmp_path):
    rows = staff_for(out)
    townships = sorted({r["township"] for r in rows})
    moved = [r for r in rows if r["township"] == townships[0]][:2]
    away = next(r for r in rows if r["township"] == townships[1])
    for row in moved:
        row["lon"], row["lat"] = away["lon"], away["lat"]
    done = eapart("assign", out, "--staff", write_staff(tmp_path / "s.csv", rows), "-q")
    assert done.returncode == 0
    assert "2 person(s) live outside the township they are listed in" in done.stderr


def test_capacity_and_unavailable_people(out, tmp_path):
    rows = staff_for(out, spare=0)
    enumerators = [r for r in rows if r["id"].startswith("E")]
    township = enumerators[0]["township"]
    mine = [r for r in enumerators if r["township"] == township]
    mine[0]["capacity"] = 2
    mine[1]["available"] = "否"
    done = eapart("assign", out, "--staff", write_staff(tmp_path / "s.csv", rows), "-q")
    assert done.returncode == 0, done.stderr
    table = assignments(out).drop_duplicates("enumerator_slot")
    counts = table["enumerator_id"].value_counts()
    assert counts[mine[0]["id"]] == 2 and mine[1]["id"] not in counts
    assert (table["enumerator_id"] == "").sum() == 0


@pytest.mark.skipif(chromium_missing_reason() is not None,
                    reason=chromium_missing_reason() or "")
def test_the_enumerator_page_shows_everyone_offline_and_escapes_names(out, tmp_path):
    rows = staff_for(out)
    rows[0]["name"] = HOSTILE
    assert eapart("assign", out, "--staff", write_staff(tmp_path / "s.csv", rows)).returncode == 0
    slots = gpd.read_file(out / "eapart.gpkg", layer="enumerator_areas")
    page_path = out / "map" / "enumerators.html"
    assert PHONE not in page_path.read_text("utf-8")
    with browser() as instance:
        page, log = open_page(instance, page_path.as_uri())
        legend = page.locator("#legend tbody tr")
        assert legend.count() == len(slots)
        assert page.evaluate("window.eapart.slots") == len(slots)
        assert page.locator("#legend", has_text=HOSTILE).count() == 1  # shown as text
        assert page.locator("img[src='x']").count() == 0
        first = slots.sort_values("enumerator_slot").iloc[0]
        page.fill("#filter", str(first["enumerator_slot"]))
        visible = page.locator("#legend tbody tr:visible")
        assert visible.count() >= 1
        visible.first.click()
        page.wait_for_timeout(300)
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert str(first["enumerator_slot"]) in popup and "households" in popup
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "enumerators.png"))
    assert log.dialogs == [] and log.page_errors == [] and log.console_errors == []
    assert all(url.startswith(("file:", "data:")) for url in log.requests)


def test_empty_or_unreadable_lists_are_input_errors(out, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    done = eapart("assign", out, "--staff", empty)
    assert done.returncode == 1 and "empty.csv: empty" in done.stderr
    done = eapart("assign", out, "--previous-assignments", empty)
    assert done.returncode == 1 and "not a readable assignments.csv" in done.stderr
    assert "Traceback" not in done.stderr
