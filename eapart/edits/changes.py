"""What changed between two editions of an output, code by code (``changes.csv``).

Following the UK census's Output Area maintenance, each small area code of either
edition is in at least one row, with the kind of change:

====  ======================================================================
U     unchanged: same code, same buildings
S     split: one old area's buildings went to several new areas (and nothing else)
M     merged: several old areas went whole into one new area
X     irregular: any other change of buildings (a move, a redraw, buildings
      added or removed); the code may be kept
N     new: a code that holds only buildings that were not there before
R     retired: an old code whose buildings are all gone
====  ======================================================================

Rows give the buildings and households on each side, the buildings they share,
and the ids of the edits that caused the change (empty for input changes).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CHANGES_NAME = "changes.csv"

COLUMNS: tuple[str, ...] = (
    "old_code", "new_code", "change", "old_buildings", "new_buildings", "shared_buildings",
    "old_households", "new_households", "edits",
)


def code_changes(old: pd.DataFrame, new: pd.DataFrame,
                 causes: dict[str, list[str]] | None = None,
                 old_codes=(), new_codes=()) -> pd.DataFrame:
    """One row per (old code, new code) change; ``old``/``new``: buildings layers.

    ``causes``: per small area code, the ids of the edits that touched it.
    ``old_codes``/``new_codes``: every small area code of each edition, so that
    areas holding no building (a village with none marked) are listed too.
    """
    causes = causes or {}
    o = old.set_index("building_id")["small_area_code"]
    n = new.set_index("building_id")["small_area_code"]
    o_hh = old.groupby("small_area_code")["households"].sum()
    n_hh = new.groupby("small_area_code")["households"].sum()
    o_count = o.value_counts()
    n_count = n.value_counts()
    both = pd.DataFrame({"old": o.reindex(o.index.intersection(n.index)),
                         "new": n.reindex(o.index.intersection(n.index))})
    flows = both.groupby(["old", "new"]).size()
    targets: dict[str, set[str]] = {}
    sources: dict[str, set[str]] = {}
    for (a, b) in flows.index:
        targets.setdefault(a, set()).add(b)
        sources.setdefault(b, set()).add(a)
    rows = []

    def row(a, b, kind, shared=0):
        edits = sorted(set(causes.get(a, [])) | set(causes.get(b, [])))
        rows.append({
            "old_code": a or "", "new_code": b or "", "change": kind,
            "old_buildings": int(o_count.get(a, 0)) if a else 0,
            "new_buildings": int(n_count.get(b, 0)) if b else 0,
            "shared_buildings": int(shared),
            "old_households": int(o_hh.get(a, 0)) if a else 0,
            "new_households": int(n_hh.get(b, 0)) if b else 0,
            "edits": " ".join(edits),
        })

    for a in sorted(o_count.index):
        t = targets.get(a, set())
        if not t:
            row(a, "", "R")
            continue
        for b in sorted(t):
            shared = flows[(a, b)]
            s = sources.get(b, set())
            if t == {b} and s == {a} and a == b and shared == o_count[a] == n_count[b]:
                kind = "U"
            elif len(t) > 1 and all(sources[x] == {a} and shared_all(x, n_count, flows, a)
                                    for x in t) and shared_all_old(a, o_count, flows, t):
                kind = "S"
            elif len(s) > 1 and all(targets[y] == {b} for y in s) and \
                    sum(o_count[y] for y in s) == n_count[b]:
                kind = "M"
            else:
                kind = "X"
            row(a, b, kind, shared)
    for b in sorted(n_count.index):
        if b not in sources:
            row("", b, "N")
    empty_old = set(old_codes) - set(o_count.index)
    empty_new = set(new_codes) - set(n_count.index)
    for code in sorted(empty_old | empty_new):
        if code in empty_old and code in empty_new:
            row(code, code, "U")
        elif code in empty_old:
            row(code, "", "R")
        elif code not in o_count.index:
            row("", code, "N")
    return pd.DataFrame(rows, columns=list(COLUMNS))


def shared_all(new_code, n_count, flows, old_code) -> bool:
    """True when every building of ``new_code`` came from ``old_code``."""
    return flows[(old_code, new_code)] == n_count[new_code]


def shared_all_old(old_code, o_count, flows, targets) -> bool:
    """True when every building of ``old_code`` went to one of ``targets``."""
    return sum(flows[(old_code, t)] for t in targets) == o_count[old_code]


def codes_kept(old: pd.DataFrame, new: pd.DataFrame) -> dict:
    """Share of the buildings in both editions whose small-area code stayed, per township."""
    o = old.set_index("building_id")
    n = new.set_index("building_id")
    common = o.index.intersection(n.index)
    same = o.loc[common, "small_area_code"] == n.loc[common, "small_area_code"]
    tw = o.loc[common, "township_code"]
    per = {}
    for code, group in same.groupby(tw):
        old_codes = set(o.loc[o["township_code"] == code, "small_area_code"])
        new_codes = set(n.loc[n["township_code"] == code, "small_area_code"])
        per[code] = {"buildings_same_code_share": round(float(group.mean()), 6),
                     "small_area_codes_kept": len(old_codes & new_codes),
                     "small_area_codes_before": len(old_codes)}
    return {"buildings_same_code_share": round(float(same.mean()), 6) if len(same) else 1.0,
            "per_township": per}


def write_changes(path: Path, table: pd.DataFrame) -> None:
    """``changes.csv``: UTF-8 with a byte-order mark, codes as text."""
    table.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def change_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many rows of each kind."""
    return {k: int((table["change"] == k).sum()) for k in ("U", "S", "M", "X", "N", "R")}
