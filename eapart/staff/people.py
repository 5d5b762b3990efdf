"""The staff list (``staff.csv``): who the enumerators and supervisors are, and who goes where.

One row per person. Columns (English or Chinese headers; any others, such as a
phone number, are read past and never written anywhere):

=============  ===============================  ==========================================
column         also read as                     meaning
=============  ===============================  ==========================================
id             编号, 工号, staff_id              unique per person (required)
name           姓名                              (required)
role           角色, 身份                        enumerator/普查员 or supervisor/普查指导员
township       乡镇, 街道, township_code         9-digit code or name: works only there
census_area    普查区, census_area_code          12-digit code or name: starts from there
lon, lat       经度, 纬度, longitude, latitude  home, WGS 84 degrees
x, y                                            home, in the output's CRS
capacity       容量                              workloads (teams) this person may take [1]
available      可用, 是否可用                    yes/no, 1/0, true/false, 是/否 [yes]
=============  ===============================  ==========================================

Matching is a minimum-cost assignment (:func:`scipy.optimize.linear_sum_assignment`,
the Jonker-Volgenant method) of workloads to people, a person of capacity ``c``
counting as ``c`` places: people listed in a township take only its workloads,
nearest their home (else their census area) first; people with no township fill
what is left anywhere, nearest first. Every problem in the list is reported with
its line and column, all at once; nothing is left out silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.optimize import linear_sum_assignment

from eapart.domain.schema import CENSUS_AREA_CODE, TOWNSHIP_CODE
from eapart.errors import InputError, list_ids

ROLES = {"enumerator": "enumerator", "普查员": "enumerator",
         "supervisor": "supervisor", "普查指导员": "supervisor", "指导员": "supervisor"}
HEADERS = {
    "id": ("id", "staff_id", "编号", "工号"),
    "name": ("name", "姓名"),
    "role": ("role", "角色", "身份"),
    "township": ("township", TOWNSHIP_CODE, "township_name", "乡镇", "街道", "乡镇街道"),
    "census_area": ("census_area", CENSUS_AREA_CODE, "census_area_name", "普查区"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "x": ("x",),
    "y": ("y",),
    "capacity": ("capacity", "容量"),
    "available": ("available", "可用", "是否可用"),
}
REQUIRED = ("id", "name", "role")
_YES = {"", "yes", "y", "true", "1", "是", "可用"}
_NO = {"no", "n", "false", "0", "否", "不可用"}
#: Most problems listed in one message.
MAX_PROBLEMS = 20


@dataclass
class Staff:
    """The people of a staff list, checked: one row per person, columns as in
    :data:`HEADERS` (``township``/``census_area`` as codes, ``hx``/``hy`` the home in
    the output's metric CRS or NaN), and the warnings to show."""

    people: pd.DataFrame
    source: str
    warnings: list[str] = field(default_factory=list)


def _columns(header: list[str], source: str) -> dict[str, str]:
    """Role -> column name in the file, for the columns present."""
    found: dict[str, str] = {}
    for column in header:
        key = column.strip().lower()
        for role, spellings in HEADERS.items():
            if key in spellings and role not in found:
                found[role] = column
    missing = [r for r in REQUIRED if r not in found]
    if missing:
        raise InputError(f"{source}: column(s) {', '.join(missing)} missing (found: "
                         f"{', '.join(header) or 'none'}); the staff list needs id, name and "
                         "role (enumerator/普查员 or supervisor/普查指导员)")
    if ("lon" in found) != ("lat" in found) or ("x" in found) != ("y" in found):
        raise InputError(f"{source}: give both lon and lat (or both x and y) for home "
                         "locations, or neither")
    return found


def _lookup(value: str, codes: pd.Series, names: pd.Series) -> str | None:
    """The code matching ``value`` as a code or as a name (unique), else None."""
    if value in set(codes):
        return value
    hits = codes[names == value]
    return str(hits.iat[0]) if len(hits) == 1 else None


def read_staff(path: str | Path, townships: pd.DataFrame, census_areas: pd.DataFrame,
               crs) -> Staff:
    """Read and check ``path``; raise :class:`InputError` listing every bad line.

    ``townships``/``census_areas``: the output's layers (codes, names, polygons in
    the metric ``crs``), to resolve where people belong and check their homes.
    """
    path = Path(path)
    source = path.name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"{source}: no such staff list") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text; save the staff list as CSV UTF-8") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{source}: empty; the staff list needs a header line (id, name, "
                         "role) and one line per person") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{source}: not a readable CSV file ({exc})") from exc
    cols = _columns(list(raw.columns), source)
    problems: list[str] = []
    rows = []
    t_codes, t_names = townships[TOWNSHIP_CODE].astype(str), townships["name"].astype(str)
    c_codes = census_areas[CENSUS_AREA_CODE].astype(str)
    c_names = census_areas["name"].astype(str)
    c_township = census_areas[TOWNSHIP_CODE].astype(str)
    for i, record in enumerate(raw.to_dict("records")):
        line = i + 2  # the header is line 1

        def value(role: str, record=record) -> str:
            return str(record[cols[role]]).strip() if role in cols else ""

        def bad(role: str, message: str, line=line) -> None:
            problems.append(f"line {line}, column '{cols.get(role, role)}': {message}")

        person = {"line": line, "id": value("id"), "name": value("name")}
        if not person["id"]:
            bad("id", "no id")
        if not person["name"]:
            bad("name", "no name")
        role = ROLES.get(value("role").lower())
        if role is None:
            bad("role", f"{value('role')!r} is not a role; write enumerator (普查员) or "
                        "supervisor (普查指导员)")
        person["role"] = role
        township = value("township")
        person["township"] = None
        if township:
            person["township"] = _lookup(township, t_codes, t_names)
            if person["township"] is None:
                bad("township", f"{township!r} is not a township of this output (its "
                                f"townships: {list_ids(t_codes + ' ' + t_names, 8)})")
        area = value("census_area")
        person["census_area"] = None
        if area:
            inside = c_township == person["township"] if person["township"] else True
            person["census_area"] = _lookup(area, c_codes[inside], c_names[inside])
            if person["census_area"] is None:
                where = f"township {person['township']}" if person["township"] else "the output"
                bad("census_area", f"{area!r} is not a census area of {where}")
            elif not person["township"]:
                person["township"] = str(c_township[c_codes == person["census_area"]].iat[0])
        capacity = value("capacity") or "1"
        try:
            person["capacity"] = int(capacity)
            if person["capacity"] < 0:
                raise ValueError
        except ValueError:
            bad("capacity", f"{capacity!r} is not a whole number of workloads (0 or more)")
            person["capacity"] = 0
        available = value("available").lower()
        if available not in _YES | _NO:
            bad("available", f"{available!r}: write yes or no")
        person["available"] = available not in _NO
        for a, b in (("lon", "lat"), ("x", "y")):
            if a in cols and (value(a) or value(b)):
                try:
                    person[a], person[b] = float(value(a)), float(value(b))
                except ValueError:
                    bad(a, f"home {value(a)!r}, {value(b)!r} is not a pair of numbers")
        rows.append(person)
    people = pd.DataFrame(rows, columns=["line", "id", "name", "role", "township",
                                         "census_area", "capacity", "available", "lon",
                                         "lat", "x", "y"])
    duplicated = people[people["id"].ne("") & people["id"].duplicated(keep=False)]
    for person_id, group in duplicated.groupby("id", sort=True):
        lines = ", ".join(str(v) for v in group["line"])
        problems.append(f"lines {lines}, column '{cols['id']}': id {person_id!r} is given "
                        "to more than one person; ids must be unique")
    if problems:
        shown = "\n  ".join(problems[:MAX_PROBLEMS])
        more = (f"\n  ... and {len(problems) - MAX_PROBLEMS} more"
                if len(problems) > MAX_PROBLEMS else "")
        raise InputError(f"{source}: {len(problems)} problem(s) in the staff list:\n  "
                         f"{shown}{more}")
    people = _homes(people, crs)
    return Staff(people=people, source=source,
                 warnings=_home_warnings(people, townships, source))


def _homes(people: pd.DataFrame, crs) -> pd.DataFrame:
    """Add ``hx``/``hy``: each home in the metric CRS (NaN where none is given)."""
    people = people.copy()
    people["hx"], people["hy"] = people["x"].astype(float), people["y"].astype(float)
    degrees = people["lon"].notna()
    if degrees.any():
        to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        hx, hy = to_metric.transform(people.loc[degrees, "lon"].to_numpy(float),
                                     people.loc[degrees, "lat"].to_numpy(float))
        people.loc[degrees, "hx"], people.loc[degrees, "hy"] = hx, hy
    return people


def _home_warnings(people: pd.DataFrame, townships: pd.DataFrame, source: str) -> list[str]:
    """A warning naming the people whose home lies outside the township they are listed in."""
    listed = people[people["township"].notna() & people["hx"].notna()]
    if listed.empty:
        return []
    shapes = townships.set_index(townships[TOWNSHIP_CODE].astype(str)).geometry
    homes = shapely.points(listed["hx"].to_numpy(), listed["hy"].to_numpy())
    own = np.asarray(shapes.reindex(listed["township"]).array)
    outside = ~shapely.covers(own, homes)
    if not outside.any():
        return []
    lines = listed["line"][outside].tolist()
    return [f"{source}: {int(outside.sum())} person(s) live outside the township they are "
            f"listed in (lines {list_ids(lines)}); they were matched by their listed "
            "township: check the township or the home"]


@dataclass
class Matching:
    """Who took which place: ``person`` per place (id or None), and who was unused."""

    person: pd.Series
    unused: list[str]
    unavailable: list[str]
    shortfall: dict[str, int]


def match(places: pd.DataFrame, people: pd.DataFrame, role: str,
          census_areas: pd.DataFrame, kept: pd.Series | None = None) -> Matching:
    """Give each place (slot or team: ``township_code``, ``x``, ``y``) one person of
    ``role``; people of a township only there, the rest wherever places are left.

    ``kept``: place -> person id from an earlier assignment; it stays where that
    person is still listed, available, of this role and within capacity.
    """
    mine = people[people["role"] == role]
    unavailable = mine.loc[~mine["available"], "id"].tolist()
    mine = mine[mine["available"] & (mine["capacity"] > 0)].copy()
    person = pd.Series([None] * len(places), index=places.index, dtype=object)
    used: set[str] = set()
    left = mine.set_index("id")["capacity"].to_dict()
    for place, who in (kept if kept is not None else pd.Series(dtype=object)).items():
        if place in person.index and left.get(who, 0) > 0:
            person[place] = who
            left[who] -= 1
            used.add(who)
    mine["capacity"] = mine["id"].map(left)
    mine = mine[mine["capacity"] > 0]
    shapes = census_areas.set_index(census_areas[CENSUS_AREA_CODE].astype(str)).geometry
    point = shapely.points(places["x"].to_numpy(), places["y"].to_numpy())
    for township in sorted(mine["township"].dropna().unique()):
        rows = np.flatnonzero((places[TOWNSHIP_CODE].to_numpy() == township)
                              & person.isna().to_numpy())
        _solve(person, rows, mine[mine["township"] == township], point, shapes, used)
    _solve(person, np.flatnonzero(person.isna().to_numpy()), mine[mine["township"].isna()],
           point, shapes, used)
    empty = places.loc[person.isna(), TOWNSHIP_CODE].value_counts().sort_index()
    return Matching(person=person, unused=[p for p in mine["id"] if p not in used],
                    unavailable=unavailable, shortfall={k: int(v) for k, v in empty.items()})


def _solve(person: pd.Series, rows: np.ndarray, pool: pd.DataFrame, point: np.ndarray,
           shapes, used: set[str]) -> None:
    """Assign ``pool`` (capacity copies) to the places ``rows`` at least total distance."""
    if len(rows) == 0 or pool.empty:
        return
    copies = pool.loc[pool.index.repeat(pool["capacity"].clip(upper=len(rows)))]
    cost = np.zeros((len(rows), len(copies)))
    for j, (_, who) in enumerate(copies.iterrows()):
        if pd.notna(who["hx"]):
            cost[:, j] = shapely.distance(point[rows], shapely.Point(who["hx"], who["hy"]))
        elif who["census_area"]:
            cost[:, j] = shapely.distance(point[rows], shapes[who["census_area"]])
    r, c = linear_sum_assignment(cost)
    for i, j in zip(r, c, strict=True):
        person.iat[rows[i]] = copies["id"].iat[j]
        used.add(copies["id"].iat[j])
