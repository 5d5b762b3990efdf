"""What the enumerator sheets take from an assignment: names on each sheet, packs per person.

``eapart sheets`` draws one A4 page per small area; once ``eapart assign`` has
run, each page also names its enumerator(s) and supervisor (from
``assignments.csv``, id and name only), and ``eapart sheets --by enumerator``
binds one PDF per person (per workload where no staff list was given) under
``sheets/enumerators/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from eapart.domain.schema import SMALL_AREA_CODE
from eapart.errors import InputError
from eapart.io.tables import read_csv
from eapart.staff.outputs import CSV_NAME
from eapart.staff.plan import SLOT, TEAM

ENUMERATOR_LABEL = "普查员 enumerator"
SUPERVISOR_LABEL = "普查指导员 supervisor"
PACKS_DIR = "enumerators"


def read_assignments(outdir: str | Path) -> pd.DataFrame | None:
    """``assignments.csv`` of ``outdir`` (text as written, names unquoted), or None."""
    path = Path(outdir) / CSV_NAME
    if not path.is_file():
        return None
    table = read_csv(path).fillna("")
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].astype(str).str.replace(r"^'(?=[=+\-@\t\r])", "",
                                                                  regex=True)
    return table


def _who(name: object, slot: str) -> str:
    name = str(name or "").strip()
    return f"{name} ({slot})" if name else slot


def crew_lines(outdir: str | Path) -> dict[str, str]:
    """Per small area, the line naming its enumerator(s) and supervisor."""
    table = read_assignments(outdir)
    if table is None:
        return {}
    lines = {}
    for code, group in table.groupby(SMALL_AREA_CODE, sort=False):
        group = group.sort_values("share")
        people = []
        for row in group.itertuples(index=False):
            who = _who(getattr(row, "enumerator_name", ""), getattr(row, SLOT))
            if int(row.shares) > 1:
                who += f" {int(row.share)}/{int(row.shares)}"
            people.append(who)
        teams = dict.fromkeys(_who(getattr(r, "supervisor_name", ""), getattr(r, TEAM))
                              for r in group.itertuples(index=False))
        lines[str(code)] = (f"{ENUMERATOR_LABEL} {', '.join(people)}    "
                            f"{SUPERVISOR_LABEL} {', '.join(teams)}")
    return lines


def crew_text(outdir: str | Path) -> str:
    """Every character the crew lines may draw (for the sheets' font subset)."""
    return "".join(sorted(set(ENUMERATOR_LABEL + SUPERVISOR_LABEL + "".join(
        crew_lines(outdir).values()))))


def enumerator_packs(outdir: str | Path) -> dict[str, tuple[str, ...]]:
    """File stem -> small area codes (in code order) of each person's pack.

    A person (``enumerator_id``) holding several workloads gets one pack; a
    workload with nobody named gets a pack under its slot name.
    """
    table = read_assignments(outdir)
    if table is None:
        raise InputError(f"{Path(outdir).name} holds no {CSV_NAME}: run `eapart assign` "
                         "before `eapart sheets --by enumerator`")
    person = table.get("enumerator_id", pd.Series("", index=table.index)).astype(str)
    key = person.where(person.str.strip() != "", table[SLOT].astype(str))
    packs = {}
    for stem, group in table.assign(key=key).groupby("key", sort=True):
        packs[_file_stem(str(stem))] = tuple(sorted(dict.fromkeys(group[SMALL_AREA_CODE])))
    return packs


def _file_stem(value: str) -> str:
    """``value`` made safe as a file name (letters, digits, ``-`` and ``_`` kept)."""
    return re.sub(r"[^\w\-]", "_", value)[:80] or "_"
