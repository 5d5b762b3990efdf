"""How close the household estimate comes to published figures, per case and township.

Reads each real extract beside the checkout (``../shared/data``) as a run does
(:func:`eapart.io.read.read_inputs`: no partition, so it takes seconds) and prints,
per township: inhabited buildings, estimated households and persons, persons per
inhabited building, households per hectare, how the count was calibrated, and the
published figures with the estimate's deviation from them. Each case runs twice:
as the data comes (Andorra's one parish with a population is scaled to it) and
with township totals ignored (the estimate alone).

Published figures (Andorra; none is published for the Kotka extract's box):

- residents per parish, end of 2019, Departament d'Estadística d'Andorra (77,543 in
  all; 79,535 at the end of 2021);
- households per parish, end of 2022, Departament d'Estadística (39,027 in all);
- 2.33 persons per household in 2021 (Enquesta de pressupostos familiars), which
  puts 2021's households at about 34,100.

Run::

    .venv/bin/python bench/households.py
    .venv/bin/python bench/households.py --persons-per-household 2.33
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eapart.config import RunConfig
from eapart.io.read import read_inputs

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

#: Published residents (2019) and households (2022) per Andorran parish.
PUBLISHED = {
    "andorra": {
        "Andorra la Vella": (22_440, 11_840),
        "Canillo": (4_325, 2_942),
        "Encamp": (11_688, 5_664),
        "Escaldes-Engordany": (14_599, 6_621),
        "La Massana": (10_174, 5_447),
        "Ordino": (4_942, 2_419),
        "Sant Julià de Lòria": (9_375, 4_094),
    },
}
#: Country totals: residents at the end of 2021, households from 2.33 per household.
TOTALS = {"andorra": (79_535, round(79_535 / 2.33))}


def _deviation(estimate: float, truth: float | None) -> str:
    return f"{estimate / truth - 1:+.0%}" if truth else "-"


def case_rows(path: Path, scale: bool, pph: float | None) -> list[dict]:
    """One row per township, and a total row, for one extract read one way."""
    cfg = RunConfig(input=path, county_code="990100")
    cfg.households.scale_to_townships = scale
    if pph:
        cfg.households.persons_per_household = pph
    inputs = read_inputs(cfg)
    figures = inputs.stats["households_by_township"]
    names = dict(zip(inputs.townships["township_code"], inputs.townships["name"], strict=True))
    published = PUBLISHED.get(path.stem, {})
    rows = []
    for code in sorted(figures):
        f = figures[code]
        persons_truth, households_truth = published.get(names[code], (None, None))
        rows.append({
            "township": names[code], "inhabited": f["inhabited_buildings"],
            "households": f["households"], "persons": f["persons"],
            "persons/bldg": f["persons_per_inhabited_building"],
            "hh/ha": f["households_per_hectare"], "calibration": f["calibration"],
            "hh published": households_truth or "-",
            "hh dev": _deviation(f["households"], households_truth),
            "persons published": persons_truth or "-",
            "persons dev": _deviation(f["persons"], persons_truth),
        })
    persons_total, households_total = TOTALS.get(path.stem, (None, None))
    households = sum(r["households"] for r in rows)
    persons = sum(r["persons"] for r in rows)
    inhabited = sum(r["inhabited"] for r in rows)
    rows.append({
        "township": "all", "inhabited": inhabited, "households": round(households, 1),
        "persons": round(persons, 1),
        "persons/bldg": round(persons / inhabited, 2) if inhabited else None,
        "hh/ha": "", "calibration": inputs.households_method.get("calibration"),
        "hh published": households_total or "-",
        "hh dev": _deviation(households, households_total),
        "persons published": persons_total or "-",
        "persons dev": _deviation(persons, persons_total),
    })
    return rows


def markdown(rows: list[dict]) -> str:
    """``rows`` as a Markdown table."""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(
            f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
            for v in row.values()) + " |")
    return "\n".join(lines)


def main() -> None:
    """Print one table per case and way of reading it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons-per-household", type=float,
                        help="Persons per household for the estimate [the run's default].")
    args = parser.parse_args()
    for name in ("andorra", "kotka"):
        path = DATA / f"{name}.gpkg"
        if not path.exists():
            print(f"{name}: {path} is absent, skipped\n")
            continue
        for scale, label in ((True, "township totals as in the data"),
                             (False, "no totals: the estimate alone")):
            print(f"### {name}: {label}\n")
            print(markdown(case_rows(path, scale, args.persons_per_household)) + "\n")


if __name__ == "__main__":
    main()
