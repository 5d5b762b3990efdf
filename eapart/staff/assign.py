"""``eapart assign``: give every small area an enumerator and every enumerator a supervisor.

:func:`assign` reads an output directory, forms (or keeps) the workloads and
teams (:mod:`eapart.staff.plan`), gives them people from a staff list when one is
given (:mod:`eapart.staff.people`), and writes, into the output directory, whole
or not at all: ``assignments.csv``/``.xlsx``, the ``enumerator_areas`` and
``supervisor_areas`` layers of ``eapart.gpkg``, ``map/enumerators.html`` and a
``staff`` section of ``report.json``. The directory is staged beside itself
(files hard-linked where they are not rewritten) and swapped in at the end.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from eapart.domain.schema import CENSUS_AREA_CODE, GPKG_NAME, REPORT_NAME, SMALL_AREA_CODE
from eapart.errors import InputError, list_ids
from eapart.io.atomic import atomic_directory, is_eapart_output
from eapart.io.tables import read_csv
from eapart.io.write import write_geopackage, write_report
from eapart.progress import Progress, display_path
from eapart.staff.data import AssignInput, read_assign_input
from eapart.staff.norms import StaffNorms
from eapart.staff.outputs import (
    CSV_NAME,
    ENUMERATOR_LAYER,
    SUPERVISOR_LAYER,
    area_layers,
    parts,
    write_tables,
)
from eapart.staff.people import Staff, match, read_staff
from eapart.staff.plan import SLOT, TEAM, Plan, make_plan
from eapart.staff.review_map import write_enumerator_page


@dataclass
class AssignResult:
    """The ``staff`` section written into the report, and the lines to print."""

    report: dict
    summary: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_previous_assignments(path: Path) -> pd.DataFrame:
    """An earlier ``assignments.csv``: small area, slot, team and share per row."""
    if not path.exists():
        raise InputError(f"{path.name}: no such file; give the assignments.csv of an "
                         "earlier `eapart assign`")
    try:
        table = read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: not a readable assignments.csv ({exc}); give the "
                         "assignments.csv of an earlier `eapart assign`") from exc
    needed = (SMALL_AREA_CODE, SLOT, TEAM, "share")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise InputError(f"{path.name}: column(s) {', '.join(missing)} missing; it is not an "
                         "assignments.csv written by `eapart assign`")
    table[SMALL_AREA_CODE] = table[SMALL_AREA_CODE].astype(str)
    table["share"] = pd.to_numeric(table["share"], errors="coerce").fillna(1).astype(int)
    for column in ("enumerator_id", "supervisor_id"):
        if column not in table.columns:
            table[column] = None
    return table


def assign(outdir: Path, norms: StaffNorms, staff_path: Path | None = None,
           previous_path: Path | None = None, progress: Progress | None = None
           ) -> AssignResult:
    """Assign the work of ``outdir`` and write the results into it."""
    progress = progress or Progress(quiet=True)
    outdir = Path(outdir)
    norms.validate()
    if not is_eapart_output(outdir):
        raise InputError(f"{outdir.name} is not an eapart output (no report.json written by "
                         "eapart): make one with `eapart run ... --out` first")
    with progress.stage("read output"):
        data = read_assign_input(outdir)
        staff = (read_staff(staff_path, data.townships, data.census_areas, data.crs)
                 if staff_path else None)
        if previous_path is None and (outdir / CSV_NAME).exists():
            previous_path = outdir / CSV_NAME
        previous = read_previous_assignments(previous_path) if previous_path else None
    with progress.stage("workloads and teams"):
        plan = make_plan(data, norms, previous)
    warnings = list(staff.warnings) if staff else []
    people = _give_people(plan, staff, data, previous, warnings) if staff else None
    out_crs = pyogrio.read_info(outdir / GPKG_NAME, layer="small_areas")["crs"]
    layers = area_layers(plan, data.geometry, data.areas[SMALL_AREA_CODE], data.crs,
                         out_crs)
    section = staff_section(plan, layers, norms, people, warnings, previous_path)
    report = dict(data.report)
    report["staff"] = section
    with atomic_directory(outdir, force=True) as tmp, progress.stage("write"):
        _stage_copy(outdir, tmp)
        write_geopackage(tmp / GPKG_NAME, layers)
        write_tables(tmp, plan)
        (tmp / REPORT_NAME).unlink()
        write_report(tmp / REPORT_NAME, report)
        write_enumerator_page(tmp, layers[ENUMERATOR_LAYER], layers[SUPERVISOR_LAYER],
                              page_summary(section), _title(data), norms.band)
    return AssignResult(report=section, summary=summary_lines(section, outdir),
                        warnings=warnings)


def _title(data: AssignInput) -> str:
    names = data.townships["name"].dropna().astype(str)
    county = data.report.get("county_code") or data.report.get("parameters", {}).get(
        "county_code") or ""
    where = f"{county} " if county else ""
    return f"{where}普查员任务分配 enumerators ({len(names)} townships)"


def _stage_copy(source: Path, target: Path) -> None:
    """Fill ``target`` with ``source``'s files: the GeoPackage copied (it is written
    to), everything else hard-linked where the filesystem allows."""
    for item in sorted(source.rglob("*")):
        dest = target / item.relative_to(source)
        if item.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if item.name == GPKG_NAME and item.parent == source:
            shutil.copy2(item, dest)
            continue
        try:
            os.link(item, dest)
        except OSError:
            shutil.copy2(item, dest)
    for name in ("assignments.csv", "assignments.xlsx"):
        (target / name).unlink(missing_ok=True)


def _give_people(plan: Plan, staff: Staff, data: AssignInput, previous: pd.DataFrame | None,
                 warnings: list[str]) -> dict:
    """Put a person on every slot and team (kept ones keep theirs); note what is missing."""
    people = staff.people
    names = people.set_index("id")["name"]
    figures = {}
    for role, places, key, prefix in (("enumerator", plan.slots, SLOT, "enumerator"),
                                      ("supervisor", plan.teams, TEAM, "supervisor")):
        kept = None
        if previous is not None and f"{prefix}_id" in previous.columns:
            earlier = previous.dropna(subset=[f"{prefix}_id"]).drop_duplicates(key)
            kept = earlier.set_index(key)[f"{prefix}_id"].astype(str)
        result = match(places, people, role, data.census_areas, kept)
        person = result.person
        places[f"{prefix}_id"] = person
        places[f"{prefix}_name"] = person.map(names)
        plan.pieces[f"{prefix}_id"] = plan.pieces[key].map(person)
        plan.pieces[f"{prefix}_name"] = plan.pieces[f"{prefix}_id"].map(names)
        if role == "supervisor":  # each workload shows its supervisor too
            plan.slots[f"{prefix}_id"] = plan.slots[TEAM].map(person)
            plan.slots[f"{prefix}_name"] = plan.slots[f"{prefix}_id"].map(names)
        listed = int((people["role"] == role).sum())
        empty = places.index[person.isna()].tolist()
        figures[role] = {"listed": listed, "unavailable": len(result.unavailable),
                         "used": int(person.notna().sum()),
                         "unused": result.unused, "places_unfilled": empty,
                         "unfilled_by_township": result.shortfall}
        if empty:
            where = ", ".join(f"{t}: {n}" for t, n in result.shortfall.items())
            kind = "workload(s)" if role == "enumerator" else "team(s)"
            warnings.append(f"{staff.source}: {len(empty)} {role} {kind} have nobody "
                            f"({where}): {list_ids(empty, 10)}; add people to the staff "
                            "list or raise their capacity")
        if result.unused:
            warnings.append(f"{staff.source}: {len(result.unused)} {role}(s) not used: "
                            f"{list_ids(result.unused, 10)}")
    return figures


def spread(values: np.ndarray, norm: float, tolerance: float) -> dict:
    """min, median, max of a load and the share within ``+/- tolerance`` of ``norm``."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return {"min": None, "median": None, "max": None, "within_tolerance_share": None}
    within = np.abs(values - norm) <= tolerance * norm + 1e-9
    return {"norm": norm, "min": float(values.min()), "median": float(np.median(values)),
            "max": float(values.max()), "within_tolerance_share": float(within.mean())}


def staff_section(plan: Plan, layers: dict, norms: StaffNorms, people: dict | None,
                  warnings: list[str], previous_path: Path | None) -> dict:
    """The ``staff`` section of ``report.json``."""
    slots, teams = plan.slots, plan.teams
    lo, hi = norms.band
    shared = plan.pieces[plan.pieces["shares"] > 1]
    inside = ((slots["load"] >= lo - 1e-9) & (slots["load"] <= hi + 1e-9)).to_numpy()
    census_split = slots.reset_index().groupby(CENSUS_AREA_CODE)[TEAM].nunique()
    section = {
        "norms": norms.parameters(),
        "enumerators": len(slots),
        "supervisors": len(teams),
        "small_areas": int(plan.pieces[SMALL_AREA_CODE].nunique()),
        "small_areas_shared": int(shared[SMALL_AREA_CODE].nunique()),
        "households": spread(slots["households"], norms.households_per_enumerator,
                             norms.tolerance),
        "persons": spread(slots["persons"], norms.persons_per_enumerator, norms.tolerance),
        "load_within_tolerance_share": float(inside.mean()),
        "workloads_outside_tolerance": int((~inside).sum()),
        "workloads_across_census_areas": int((slots["census_areas"] > 1).sum()),
        "team_sizes": {str(k): int(v) for k, v in
                       teams["enumerators"].value_counts().sort_index().items()},
        "census_areas_split_between_teams": int((census_split > 1).sum()),
        "enumerator_areas_not_one_piece": int((parts(layers[ENUMERATOR_LAYER].geometry) > 1)
                                              .sum()),
        "supervisor_areas_not_one_piece": int((parts(layers[SUPERVISOR_LAYER].geometry) > 1)
                                              .sum()),
        "kept_from_previous": plan.kept if previous_path else None,
        "warnings": list(warnings),
    }
    if people is not None:
        section["staff_list"] = people
    return section


def page_summary(section: dict) -> list[tuple[str, object]]:
    """The rows at the top of the review page."""
    h = section["households"]
    rows = [("enumerators 普查员", section["enumerators"]),
            ("supervisors 普查指导员", section["supervisors"]),
            ("households per enumerator (min/median/max)",
             f"{h['min']:g} / {h['median']:g} / {h['max']:g}" if h["min"] is not None else "—"),
            ("within ±{:.0%} of the norm".format(section["norms"]["tolerance"]),
             f"{section['load_within_tolerance_share']:.1%}"),
            ("small areas shared", section["small_areas_shared"])]
    people = section.get("staff_list")
    if people:
        for role in ("enumerator", "supervisor"):
            rows.append((f"{role} places with nobody", len(people[role]["places_unfilled"])))
    return rows


def summary_lines(section: dict, outdir: Path) -> list[str]:
    """The lines printed at the end of ``eapart assign``."""
    h, p = section["households"], section["persons"]
    tol = section["norms"]["tolerance"]
    lines = [
        f"{section['enumerators']:,} enumerator workloads for {section['small_areas']:,} "
        f"small areas ({section['small_areas_shared']} shared by several enumerators), "
        f"{section['supervisors']:,} supervisor teams (sizes: "
        + ", ".join(f"{k}: {v}" for k, v in section["team_sizes"].items()) + ").",
    ]
    if h["min"] is not None:
        lines.append(
            f"Households per enumerator: min {h['min']:g}, median {h['median']:g}, max "
            f"{h['max']:g}; persons: min {p['min']:g}, median {p['median']:g}, max "
            f"{p['max']:g}. Within +/-{tol:.0%} of the norm: "
            f"{section['load_within_tolerance_share']:.1%} "
            f"({section['workloads_outside_tolerance']} outside: in red on the page's list).")
    if section["workloads_across_census_areas"]:
        lines.append(f"{section['workloads_across_census_areas']} workload(s) take in a "
                     "census area too small for a workload of its own.")
    broken = section["enumerator_areas_not_one_piece"] + section["supervisor_areas_not_one_piece"]
    if broken:
        lines.append(f"Check: {broken} workload or team area(s) are not one piece "
                     "(see the review map).")
    if section["kept_from_previous"] is not None:
        lines.append(f"Kept from the earlier assignment: {section['kept_from_previous']:,} "
                     "small areas.")
    people = section.get("staff_list")
    if people:
        for role in ("enumerator", "supervisor"):
            figures = people[role]
            lines.append(f"{role.capitalize()}s: {figures['used']} of {figures['listed']} "
                         f"listed given work, {len(figures['unused'])} unused, "
                         f"{figures['unavailable']} unavailable, "
                         f"{len(figures['places_unfilled'])} place(s) with nobody.")
    for warning in section["warnings"]:
        lines.append(f"Warning: {warning}")
    lines.append(f"Results in {display_path(outdir)}: {CSV_NAME}, assignments.xlsx, layers "
                 f"{ENUMERATOR_LAYER} and {SUPERVISOR_LAYER}, map/enumerators.html")
    return lines
