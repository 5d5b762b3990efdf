"""The edits file: corrections to an output, one operation a line, as CSV or JSON.

``edits.csv`` is for people who work in Excel: UTF-8 with a byte-order mark, every
value read as text (codes and building ids keep their leading zeros), nothing that
Excel would run as a formula. ``edits.json`` holds the same edits for the review
map. Each line is one operation:

==============  ==========================================================================
op              meaning (columns used)
==============  ==========================================================================
move            buildings (``buildings``: ids separated by spaces) go to small area ``target``
move_block      every building of the block (between roads, rivers, rail) that holds
                building ``buildings`` goes to small area ``target``
merge           small areas ``areas`` become one; it keeps the first one's code
split           small area ``areas`` is cut again into ``k`` small areas
split_groups    small area ``areas`` is cut along ``groups`` (building ids, groups
                separated by ``|``): one small area per group
redraw          the buildings inside ``geometry`` (WKT in CSV, GeoJSON in JSON, in the
                output's CRS) go to small area ``target``
lock / unlock   small or census areas ``areas`` are locked (never changed again) or freed
set_count       census area ``areas`` is cut again into ``k`` small areas
==============  ==========================================================================

Every line has an ``id`` (any text, unique in the file) and may have a ``note``.
The file is tied to the output it was made on by ``made_on``: a fingerprint of
that output's buildings and codes (:func:`fingerprint`), so edits made on an
older output are refused instead of landing on areas that have moved since.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import shapely

from eapart.domain.schema import SMALL_AREA_CODE
from eapart.errors import InputError

#: Every operation an edits file may hold.
OPS: tuple[str, ...] = (
    "move", "move_block", "merge", "split", "split_groups", "redraw", "lock", "unlock",
    "set_count",
)

#: Columns of ``edits.csv``, in order.
CSV_COLUMNS: tuple[str, ...] = (
    "id", "op", "buildings", "areas", "target", "k", "groups", "geometry", "note", "made_on",
)


@dataclass
class Edit:
    """One line of an edits file. ``line`` is its line number in the file (header = 1)."""

    id: str
    op: str
    line: int
    buildings: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    target: str = ""
    k: int | None = None
    groups: list[list[str]] = field(default_factory=list)
    geometry: object = None
    note: str = ""

    def describe(self) -> str:
        """A short text of what the line asks for."""
        what = {
            "move": f"move {len(self.buildings)} building(s) to {self.target}",
            "move_block": f"move the block of building {' '.join(self.buildings)} to "
                          f"{self.target}",
            "merge": f"merge {' '.join(self.areas)}",
            "split": f"split {' '.join(self.areas)} into {self.k}",
            "split_groups": f"split {' '.join(self.areas)} along {len(self.groups)} groups",
            "redraw": f"buildings inside the drawn polygon go to {self.target}",
            "lock": f"lock {' '.join(self.areas)}",
            "unlock": f"unlock {' '.join(self.areas)}",
            "set_count": f"cut {' '.join(self.areas)} into {self.k} small areas",
        }
        return what[self.op]


@dataclass
class EditsFile:
    """The edits of one file, and the fingerprint of the output they were made on."""

    path: Path
    made_on: str
    edits: list[Edit]


def fingerprint(buildings: pd.DataFrame) -> str:
    """A hash of an output's buildings and codes: ids with their small-area codes.

    Order-free (rows are sorted first), so rewriting the same output gives the same
    fingerprint; any building added, removed or moved changes it. The columns are
    taken out as lists and hashed as one text: the same digest as one line at a
    time, without iterating pyarrow-backed columns value by value.
    """
    ids, codes = (buildings[column].astype(str).to_numpy(dtype=object).tolist()
                  for column in ("building_id", SMALL_AREA_CODE))
    pairs = sorted(zip(ids, codes, strict=True))
    text = "".join(f"{bid}\t{code}\n" for bid, code in pairs)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_edits(path: str | Path) -> EditsFile:
    """Read ``edits.csv`` or ``edits.json``; every problem names the file and line."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such edits file")
    if path.suffix.lower() == ".json":
        return _read_json(path)
    return _read_csv(path)


def _read_csv(path: Path) -> EditsFile:
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        raise InputError(f"{path}: empty; the first line names the columns "
                         f"{', '.join(CSV_COLUMNS)}")
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    missing = [c for c in ("id", "op") if c not in header]
    if missing:
        raise InputError(f"{path}, line 1: column(s) {', '.join(missing)} missing; the header "
                         f"is {', '.join(CSV_COLUMNS)}")
    made_on = ""
    edits = []
    for number, row in enumerate(rows, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if row.get("made_on"):
            if made_on and row["made_on"] != made_on:
                raise InputError(f"{path}, line {number}: made_on {row['made_on']} differs "
                                 f"from {made_on} on an earlier line: one file, one output")
            made_on = row["made_on"]
        if not row.get("op"):
            continue
        geometry = None
        if row.get("geometry"):
            try:
                geometry = shapely.from_wkt(row["geometry"])
            except shapely.errors.GEOSException as exc:
                raise InputError(f"{path}, line {number}: geometry is not WKT ({exc})") from exc
        edits.append(_edit(path, number, row, geometry))
    return _checked(path, made_on, edits)


def _read_json(path: Path) -> EditsFile:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("edits"), list):
        raise InputError(f"{path}: expected an object with 'made_on' and a list 'edits'")
    edits = []
    for number, item in enumerate(data["edits"], start=1):
        if not isinstance(item, dict):
            raise InputError(f"{path}, edit {number}: expected an object")
        geometry = None
        if item.get("geometry"):
            try:
                geometry = shapely.geometry.shape(item["geometry"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise InputError(f"{path}, edit {number}: geometry is not GeoJSON ({exc})") \
                    from exc
        row = {k: _text(v) for k, v in item.items() if k != "geometry"}
        edits.append(_edit(path, number, row, geometry))
    return _checked(path, str(data.get("made_on") or ""), edits)


def _text(value) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return "|".join(" ".join(str(x) for x in group) for group in value)
        return " ".join(str(x) for x in value)
    return "" if value is None else str(value)


def _edit(path: Path, number: int, row: dict, geometry) -> Edit:
    """One :class:`Edit` from a row of text values."""
    where = f"{path}, line {number}"
    op = row.get("op", "").lower()
    if op not in OPS:
        raise InputError(f"{where}: unknown op {row.get('op')!r}; use one of {', '.join(OPS)}")
    k = None
    if row.get("k"):
        try:
            k = int(float(row["k"]))
        except ValueError as exc:
            raise InputError(f"{where}: k must be a whole number, got {row['k']!r}") from exc
    groups = [g.split() for g in row.get("groups", "").split("|") if g.strip()]
    for name in ("buildings", "areas", "target"):
        for value in row.get(name, "").split():
            if "E+" in value.upper() or "." in value:
                raise InputError(f"{where}: {name} value {value!r} looks like a number Excel "
                                 "rewrote; format the column as text and type the codes again")
    return Edit(id=row.get("id") or str(number), op=op, line=number,
                buildings=row.get("buildings", "").split(), areas=row.get("areas", "").split(),
                target=row.get("target", ""), k=k, groups=groups, geometry=geometry,
                note=row.get("note", ""))


def _checked(path: Path, made_on: str, edits: list[Edit]) -> EditsFile:
    seen: dict[str, int] = {}
    for e in edits:
        if e.id in seen:
            raise InputError(f"{path}, line {e.line}: id {e.id!r} is used on line "
                             f"{seen[e.id]} too; give each edit its own id")
        seen[e.id] = e.line
    if not made_on:
        raise InputError(f"{path}: no made_on fingerprint; make the file from the output it "
                         "edits (`eapart edit template OUT`) or the review map")
    return EditsFile(path=path, made_on=made_on, edits=edits)


def write_edits_csv(path: Path, made_on: str, edits: list[dict]) -> None:
    """Write ``edits`` (dicts with :data:`CSV_COLUMNS` keys) as ``edits.csv``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    if not edits:
        writer.writerow({"made_on": made_on})
    for i, row in enumerate(edits):
        out = {c: _safe_cell(_text(row.get(c, ""))) for c in CSV_COLUMNS}
        out["made_on"] = made_on if i == 0 else ""
        writer.writerow(out)
    Path(path).write_text(buffer.getvalue(), encoding="utf-8-sig")


def _safe_cell(value: str) -> str:
    """Text a spreadsheet shows as it is: a leading ``= + - @`` would start a formula."""
    if value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_edits_json(path: Path, made_on: str, edits: list[dict]) -> None:
    """Write ``edits`` as ``edits.json`` (what the review map saves)."""
    data = {"made_on": made_on, "edits": edits}
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                          encoding="utf-8")
