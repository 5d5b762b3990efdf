"""Every edit kind through the real ``eapart edit`` commands on the Andorra extract.

A first run cuts Andorra once; each test writes an edits file against it, runs
``eapart edit check`` / ``apply`` as a user would, reads the new GeoPackage back
and compares it with the first: what the edit asked for happened, refused lines
are named with their line numbers, and every area the edit did not touch comes
back with identical geometry (WKB bytes) and columns.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely
from edit_helpers import (
    METRIC,
    border_building,
    layer,
    made_on,
    mergeable,
    movable,
    neighbours,
)

from eapart.edits.format import write_edits_csv, write_edits_json

EAPART = [sys.executable, "-m", "eapart.cli"]


def eapart(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*EAPART, *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def first(andorra_run) -> Path:
    """Andorra's shared run: edits are applied to new outputs, never to it."""
    return andorra_run.out


def apply(first: Path, tmp_path: Path, rows: list[dict], fmt: str = "csv"):
    edits = tmp_path / f"edits.{fmt}"
    (write_edits_json if fmt == "json" else write_edits_csv)(edits, made_on(first), rows)
    out = tmp_path / "out1"
    done = eapart("edit", "apply", first, edits, "--out", out, "--no-maps")
    return done, out


def untouched_identical(old: Path, new: Path, touched: set[str]) -> None:
    """Every small area not in ``touched`` has the same WKB and columns in both outputs."""
    a = layer(old, "small_areas").set_index("small_area_code")
    b = layer(new, "small_areas").set_index("small_area_code")
    keep = sorted(set(a.index) - touched)
    assert set(keep) <= set(b.index)
    assert (a.loc[keep].geometry.to_wkb() == b.loc[keep].geometry.to_wkb()).all()
    cols = [c for c in a.columns if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(a.loc[keep, cols]),
                                  pd.DataFrame(b.loc[keep, cols]))


def tiles(out: Path) -> None:
    sa = layer(out, "small_areas").to_crs(METRIC)
    tw = layer(out, "townships").to_crs(METRIC).set_index("township_code")
    assert (shapely.get_type_id(sa.geometry.to_numpy()) == 3).all()
    for code, group in sa.groupby("township_code"):
        union = shapely.union_all(group.geometry.to_numpy())
        assert group.geometry.area.sum() == pytest.approx(union.area, rel=1e-6)
        assert union.area == pytest.approx(tw.geometry[code].area, rel=1e-5)


def codes_of(out: Path) -> pd.Series:
    b = layer(out, "buildings")
    return pd.Series(b.small_area_code.to_numpy(), index=b.building_id.to_numpy())


def test_move_and_lock_leave_everything_else_identical(first, tmp_path):
    a, b, bid = movable(first)
    other = neighbours(first)[-1][0]
    done, out = apply(first, tmp_path, [
        {"id": "m1", "op": "move", "buildings": bid, "target": b, "note": "across the lane"},
        {"id": "l1", "op": "lock", "areas": other},
    ])
    assert done.returncode == 0, done.stderr
    assert codes_of(out)[bid] == b
    untouched_identical(first, out, {a, b})
    tiles(out)
    walks = pyogrio.read_dataframe(out / "eapart.gpkg", layer="buildings", read_geometry=False)
    for code in (a, b):  # both areas walked again: 1..n, no gap or repeat
        mine = walks.loc[walks.small_area_code == code, "walk_number"]
        assert sorted(mine) == list(range(1, len(mine) + 1))
    old_ca = layer(first, "census_areas").set_index("census_area_code")
    new_ca = layer(out, "census_areas").set_index("census_area_code")
    assert (old_ca.geometry.to_wkb() == new_ca.loc[old_ca.index].geometry.to_wkb()).all()
    registry = pyogrio.read_dataframe(out / "eapart.gpkg", layer="codes")
    assert registry.loc[registry.code == other, "locked"].tolist() == [1]
    changes = pd.read_csv(out / "changes.csv", dtype=str, encoding="utf-8-sig").fillna("")
    moved = changes[changes.change != "U"]
    assert set(moved.old_code) | set(moved.new_code) == {a, b}
    assert (moved.edits == "m1").all()
    applied = pd.read_csv(out / "edits_applied.csv", dtype=str, encoding="utf-8-sig")
    assert applied.line.tolist() == ["2", "3"] and applied.id.tolist() == ["m1", "l1"]

    # The locked area refuses a later move into it, naming the line; nothing is written.
    into = [n for n in neighbours(out) if other in n][0]
    source = into[1] if into[0] == other else into[0]
    edits = tmp_path / "second.csv"
    write_edits_csv(edits, made_on(out), [
        {"id": "x", "op": "move", "buildings": border_building(out, source, other),
         "target": other}])
    done = eapart("edit", "apply", out, edits, "--out", tmp_path / "out2", "--no-maps")
    assert done.returncode == 1
    assert "line 2 (x)" in done.stderr and "locked" in done.stderr
    assert not (tmp_path / "out2").exists()

    # Unlocked, it is free again; the unlock changes no polygon.
    write_edits_csv(edits, made_on(out), [{"id": "u", "op": "unlock", "areas": other}])
    done = eapart("edit", "apply", out, edits, "--out", tmp_path / "out3", "--no-maps")
    assert done.returncode == 0, done.stderr
    registry = pyogrio.read_dataframe(tmp_path / "out3" / "eapart.gpkg", layer="codes")
    assert registry.loc[registry.code == other, "locked"].tolist() == [0]
    untouched_identical(out, tmp_path / "out3", set())


def test_merge_retires_the_second_code(first, tmp_path):
    a, b = mergeable(first)
    done, out = apply(first, tmp_path, [{"id": "g", "op": "merge", "areas": f"{a} {b}"}])
    assert done.returncode == 0, done.stderr
    old, new = codes_of(first), codes_of(out)
    assert (new[old[old.isin([a, b])].index] == a).all()
    registry = pyogrio.read_dataframe(out / "eapart.gpkg", layer="codes")
    assert registry.loc[registry.code == b, "status"].tolist() == ["retired"]
    changes = pd.read_csv(out / "changes.csv", dtype=str, encoding="utf-8-sig")
    assert set(changes.loc[changes.change == "M", "old_code"]) == {a, b}
    untouched_identical(first, out, {a, b})
    tiles(out)


@pytest.mark.parametrize("kind", ["split", "split_groups"])
def test_split_issues_codes_never_used(first, tmp_path, kind):
    sa = layer(first, "small_areas")
    code = sa.sort_values("buildings").small_area_code.iloc[-1]
    ids = codes_of(first)
    members = list(ids[ids == code].index)
    # West and east halves: groups an enumerator could walk.
    x = layer(first, "buildings").set_index("building_id").geometry[members].to_crs(METRIC)
    members = list(x.centroid.x.sort_values().index)
    row = {"id": "s", "op": kind, "areas": code}
    if kind == "split":
        row["k"] = "2"
    else:
        row["groups"] = [members[:3], members[-3:]]
    done, out = apply(first, tmp_path, [row], fmt="json" if kind == "split_groups" else "csv")
    assert done.returncode == 0, done.stderr
    new = codes_of(out)[members]
    assert new.nunique() == 2
    before = sa.loc[sa.census_area_code == code[:12], "small_area_code"]
    fresh = set(new) - {code}
    assert all(int(c[12:]) > int(before.str[12:].astype(int).max()) for c in fresh)
    if kind == "split_groups":
        assert codes_of(out)[members[:3]].nunique() == 1
        assert codes_of(out)[members[-3:]].nunique() == 1
    untouched_identical(first, out, {code})
    tiles(out)


def test_move_block(first, tmp_path):
    a, b, bid = movable(first, "move_block")
    done, out = apply(first, tmp_path, [
        {"id": "blk", "op": "move_block", "buildings": bid, "target": b}])
    assert done.returncode == 0, done.stderr
    old, new = codes_of(first), codes_of(out)
    assert new[bid] == b
    moved = old.index[(old != new.reindex(old.index))]
    assert len(moved) >= 1 and (new[moved] == b).all()
    gone = set(old) - set(new)
    untouched_identical(first, out, {a, b} | gone | _emptied_neighbours(first, out))
    tiles(out)


def _emptied_neighbours(old: Path, new: Path) -> set[str]:
    """Small areas whose rows changed only because a neighbour was emptied into them."""
    changes = pd.read_csv(new / "changes.csv", dtype=str, encoding="utf-8-sig").fillna("")
    return set(changes.loc[changes.edits != "", "old_code"]) - {""}


def test_redraw_polygon(first, tmp_path):
    c, d, bid = movable(first, skip=1)
    buildings = layer(first, "buildings").set_index("building_id")
    poly = shapely.buffer(shapely.point_on_surface(buildings.geometry[bid]), 1e-6)
    done, out = apply(first, tmp_path, [
        {"id": "pen", "op": "redraw", "geometry": poly.wkt, "target": d}])
    assert done.returncode == 0, done.stderr
    assert codes_of(out)[bid] == d
    untouched_identical(first, out, {c, d})
    tiles(out)


def test_set_count_recuts_one_census_area(first, tmp_path):
    ca = layer(first, "census_areas").sort_values("small_areas").iloc[-1]
    k = int(ca.small_areas) + 1
    done, out = apply(first, tmp_path, [{"id": "n", "op": "set_count",
                                         "areas": ca.census_area_code, "k": str(k)}])
    assert done.returncode == 0, done.stderr
    sa = layer(out, "small_areas")
    assert (sa.census_area_code == ca.census_area_code).sum() == k
    old = layer(first, "small_areas")
    untouched_identical(first, out, set(old.small_area_code[
        old.census_area_code == ca.census_area_code]))
    tiles(out)


def test_refused_lines_are_named_and_nothing_applies(first, tmp_path):
    sa = layer(first, "small_areas")
    towns = sa.groupby("township_code").small_area_code.first()
    a, b, bid = movable(first)
    far = sa[(sa.township_code == a[:9])].small_area_code
    far = [c for c in far if c not in {a, b} and c[:12] != a[:12]][-1]
    edits = tmp_path / "e.csv"
    write_edits_csv(edits, made_on(first), [
        {"id": "ok", "op": "move", "buildings": bid, "target": b},
        {"id": "unknown", "op": "move", "buildings": "no-such-building", "target": b},
        {"id": "town", "op": "move", "buildings": codes_of(first)[codes_of(first) ==
                                                                  towns.iloc[1]].index[0],
         "target": towns.iloc[0]},
        {"id": "twice", "op": "move", "buildings": bid, "target": a},
        {"id": "far", "op": "move",
         "buildings": codes_of(first)[codes_of(first) == far].index[0], "target": a},
    ])
    done = eapart("edit", "check", first, edits)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("line 2 (ok, move): move 1 building")
    assert "line 3 (unknown, move): REFUSED: unknown building id(s) no-such-building" in lines
    assert any(s.startswith("line 4 (town, move): REFUSED: across a township boundary")
               for s in lines)
    assert any(s.startswith("line 5 (twice, move): REFUSED: building") and "line 2" in s
               for s in lines)
    assert any(s.startswith("line 6 (far, move): REFUSED: leaves small area") for s in lines)
    done = eapart("edit", "apply", first, edits, "--out", tmp_path / "new", "--no-maps")
    assert done.returncode == 1 and "none applied" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "new").exists()


def test_stale_file_is_refused(first, tmp_path):
    a, b, bid = movable(first)
    done, out = apply(first, tmp_path, [{"id": "m", "op": "move", "buildings": bid, "target": b}])
    assert done.returncode == 0
    again = eapart("edit", "apply", out, tmp_path / "edits.csv", "--out", tmp_path / "o3",
                   "--no-maps")
    assert again.returncode == 1
    assert "made on another output" in again.stderr and "edits.csv" in again.stderr


def test_diff_accounts_for_every_code(first, tmp_path):
    a, b = mergeable(first)
    done, out = apply(first, tmp_path, [{"id": "g", "op": "merge", "areas": f"{a} {b}"}])
    assert done.returncode == 0
    table = tmp_path / "changes.csv"
    done = eapart("diff", first, out, "--out", table)
    assert done.returncode == 0, done.stderr
    changes = pd.read_csv(table, dtype=str, encoding="utf-8-sig").fillna("")
    assert set(changes.old_code) - {""} == set(layer(first, "small_areas").small_area_code)
    assert set(changes.new_code) - {""} == set(layer(out, "small_areas").small_area_code)


def test_excel_mangled_codes_and_formulas(first, tmp_path):
    a, b, bid = movable(first)
    edits = tmp_path / "excel.csv"
    write_edits_csv(edits, made_on(first), [
        {"id": "m", "op": "move", "buildings": bid, "target": "2.00001E+14",
         "note": "=HYPERLINK(\"x\")"}])
    raw = edits.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"'=HYPERLINK" in raw
    done = eapart("edit", "check", first, edits)
    assert done.returncode == 1
    assert "line 2" in done.stderr and "Excel" in done.stderr
    assert "Traceback" not in done.stderr


def test_edits_need_previous(first, tmp_path):
    edits = tmp_path / "e.csv"
    write_edits_csv(edits, made_on(first), [])
    done = eapart("run", "--out", tmp_path / "o", "--edits", edits)
    assert done.returncode == 2 and "--previous" in done.stderr
