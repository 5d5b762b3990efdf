"""The correction loop on a real map: how long edits take, and how many codes last.

For each case (Andorra and Kotka beside the checkout, and a generated county):

1. ``eapart run`` once (the first edition), timed;
2. 20 random edits (moves of border buildings between neighbouring small areas, a
   split and a merge), checked with ``eapart edit check`` (refused lines dropped and
   the rest checked again) and applied with ``eapart edit apply``, timed; the share
   of untouched small areas whose geometry came back byte-identical;
3. random changes to 2% of the buildings (1% removed, 1% added, 1% with new
   storeys: :func:`eapart.synthetic.changes.perturb_buildings`), re-run with
   ``--previous`` and, for comparison, with ``--keep-codes-from``: the share of the
   unchanged buildings that kept their small-area code, and whether ``changes.csv``
   names every old and new code.

Run::

    .venv/bin/python bench/edits.py                 # every case found
    .venv/bin/python bench/edits.py --skip-generated
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from eapart.domain.areas import Areas
from eapart.edits.format import fingerprint, read_edits, write_edits_csv
from eapart.synthetic.changes import perturb_buildings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
EAPART = [sys.executable, "-m", "eapart.cli"]
N_EDITS = 20


def eapart(*args) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([*EAPART, *map(str, args)], capture_output=True, text=True)
    return time.perf_counter() - start, done


def read(out: Path, name: str) -> gpd.GeoDataFrame:
    """One layer of an output, codes as text (:meth:`eapart.domain.areas.Areas.read`)."""
    return Areas.read(out, [name]).layers[name]


def random_edits(out: Path, seed: int) -> list[dict]:
    """Moves of border buildings between neighbours, a split and a merge."""
    rng = np.random.default_rng(seed)
    sa = read(out, "small_areas")
    metric = sa.estimate_utm_crs()
    sam = sa.to_crs(metric)
    b = read(out, "buildings").to_crs(metric)
    tree = shapely.STRtree(sam.geometry.to_numpy())
    left, right = tree.query(sam.geometry.to_numpy(), predicate="touches")
    pairs = [(sa.small_area_code[i], sa.small_area_code[j]) for i, j in zip(left, right,
                                                                              strict=True)
             if i != j and sa.census_area_code[i] == sa.census_area_code[j]]
    rng.shuffle(pairs)
    rows, used = [], set()
    geoms = sam.set_index("small_area_code").geometry
    for a, c in pairs:
        if len(rows) >= N_EDITS * 2 or a in used or c in used:
            continue
        mine = b[b.small_area_code == a]
        if len(mine) < 3:
            continue
        bid = mine.building_id.iloc[int(np.argmin(mine.distance(geoms[c]).to_numpy()))]
        rows.append({"id": f"m{len(rows)}", "op": "move", "buildings": bid, "target": c})
        used |= {a, c}
    big = sa.sort_values("buildings").small_area_code.iloc[-1]
    rows.append({"id": "split", "op": "split", "areas": big, "k": "2"})
    for a, c in pairs:
        if a not in used and c not in used and big not in (a, c):
            rows.append({"id": "merge", "op": "merge", "areas": f"{a} {c}"})
            break
    return rows


def accepted_edits(out: Path, rows: list[dict], work: Path) -> tuple[Path, int]:
    """Drop refused lines until ``edit check`` accepts the file; keep at most N_EDITS."""
    made_on = fingerprint(read(out, "buildings"))
    path = work / "edits.csv"
    for _ in range(4):
        write_edits_csv(path, made_on, rows)
        _, done = eapart("edit", "check", out, path)
        refused = {line.split("(")[1].split(",")[0] for line in done.stdout.splitlines()
                   if "REFUSED" in line}
        rows = [r for r in rows if r["id"] not in refused]
        if not refused:
            break
    keep = [r for r in rows if r["op"] != "move"]
    rows = [r for r in rows if r["op"] == "move"][: N_EDITS - len(keep)] + keep
    write_edits_csv(path, made_on, rows)
    return path, len(read_edits(path).edits)


def identical_share(old: Path, new: Path, touched: set[str]) -> float:
    a = read(old, "small_areas").set_index("small_area_code")
    b = read(new, "small_areas").set_index("small_area_code")
    keep = sorted((set(a.index) - touched) & set(b.index))
    same = a.loc[keep].geometry.to_wkb() == b.loc[keep].geometry.to_wkb()
    return float(same.mean()) if len(same) else 1.0


def kept_share(old: Path, new: Path, changed: dict) -> float:
    o = read(old, "buildings").set_index("building_id")
    n = read(new, "buildings").set_index("building_id")
    unchanged = o.index.difference(changed["removed"]).difference(changed["changed"])
    unchanged = unchanged.intersection(n.index)
    return float((o.loc[unchanged, "small_area_code"]
                  == n.loc[unchanged, "small_area_code"]).mean())


def accounts(old: Path, new: Path) -> bool:
    table = pd.read_csv(new / "changes.csv", dtype=str, encoding="utf-8-sig").fillna("")
    return (set(table.old_code) - {""} == set(read(old, "small_areas").small_area_code)
            and set(table.new_code) - {""} == set(read(new, "small_areas").small_area_code))


def perturbed(source: Path, target: Path) -> dict:
    changed = {}
    for name in pyogrio.list_layers(source)[:, 0]:
        frame = gpd.read_file(source, layer=name)
        if name == "buildings":
            id_column = "id" if "id" in frame else frame.columns[0]
            levels = "levels" if "levels" in frame else "floors"
            frame, changed = perturb_buildings(frame, 0.01, seed=1, id_column=id_column,
                                               levels_column=levels)
        frame.to_file(target, layer=name, driver="GPKG")
    return changed


def case(name: str, source: Path, extra: list[str], work: Path) -> dict:
    out0 = work / "out0"
    first, done = eapart("run", source, "--out", out0, "--jobs", "1", *extra)
    assert done.returncode == 0, done.stderr
    rows = random_edits(out0, seed=0)
    path, n = accepted_edits(out0, rows, work)
    applied, done = eapart("edit", "apply", out0, path, "--out", work / "out1")
    assert done.returncode == 0, done.stderr
    touched = set(pd.read_csv(work / "out1" / "changes.csv", dtype=str)
                  .query("change != 'U'").old_code.dropna())
    changed_input = work / "changed.gpkg"
    changed = perturbed(source, changed_input)
    rerun, done = eapart("run", changed_input, "--out", work / "out2", "--previous", out0,
                         "--jobs", "1", "--no-maps", *extra)
    assert done.returncode == 0, done.stderr
    _, done = eapart("run", changed_input, "--out", work / "out3", "--keep-codes-from", out0,
                     "--jobs", "1", "--no-maps", *extra)
    assert done.returncode == 0, done.stderr
    return {
        "case": name, "buildings": len(read(out0, "buildings")),
        "first run s": round(first, 1), "edits": n, "edit apply s": round(applied, 1),
        "apply / first": round(applied / first, 2),
        "untouched identical": f"{identical_share(out0, work / 'out1', touched):.1%}",
        "--previous s": round(rerun, 1),
        "codes kept --previous": f"{kept_share(out0, work / 'out2', changed):.1%}",
        "codes kept --keep-codes-from": f"{kept_share(out0, work / 'out3', changed):.1%}",
        "changes.csv complete": accounts(out0, work / "out2"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-generated", action="store_true")
    args = parser.parse_args()
    cases = [(n, SHARED / f"{n}.gpkg", ["--county-code", "200001"])
             for n in ("andorra", "kotka") if (SHARED / f"{n}.gpkg").exists()]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_generated:
            county = Path(tmp) / "county.gpkg"
            subprocess.run([*EAPART, "sample", county, "--buildings", "20000", "--townships",
                            "6", "-q"], check=True)
            cases.append(("generated 20k", county, []))
        for name, source, extra in cases:
            work = Path(tmp) / name
            work.mkdir()
            rows.append(case(name, source, extra, work))
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
