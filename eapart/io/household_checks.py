"""Is the household count believable? Figures per township, and what to tell the user.

An estimate from footprints can be far off (untyped sheds counted as homes, a mall
as 500 households) and nothing in the partition would show it: the areas come out
balanced either way. So every run reports, per township, the persons per inhabited
building and the households per hectare, says where they look implausible, and says
plainly when the estimate is uncalibrated (no total was given to scale it to).
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from eapart.domain.schema import TOWNSHIP_CODE

#: Persons per inhabited building outside this range is implausible for a township
#: (below: far more buildings than people; above: beyond a township of towers).
PERSONS_PER_BUILDING = (1.0, 250.0)

#: Households per hectare of township land above this is implausible (the densest
#: city districts hold about this many).
MAX_HOUSEHOLDS_PER_HECTARE = 100.0

#: A total that scales the estimate by a factor outside this range means the
#: buildings and the total do not describe the same place (or the estimate is off).
SCALE_FACTORS = (1 / 3, 3.0)


def township_figures(buildings: gpd.GeoDataFrame, townships: gpd.GeoDataFrame,
                     method: dict) -> dict[str, dict]:
    """Per township code: households, persons, inhabited buildings and the ratios.

    ``buildings`` and ``townships`` are in the (metric) work CRS. ``calibration``
    says where the households come from: ``given`` (the data), ``scaled to
    population`` / ``households`` / ``county total``, or ``uncalibrated estimate``.
    """
    scaled = method.get("scaled_to_totals", {})
    source = method.get("calibration", "uncalibrated")
    grouped = buildings[buildings[TOWNSHIP_CODE].notna()].groupby(TOWNSHIP_CODE)
    households = grouped["households"].sum()
    persons = grouped["persons"].sum()
    inhabited = grouped["households"].agg(lambda v: int((v > 0).sum()))
    figures = {}
    for code, geom in zip(townships[TOWNSHIP_CODE], townships.geometry.array, strict=True):
        hh = float(households.get(code, 0.0))
        pp = float(persons.get(code, 0.0))
        n = int(inhabited.get(code, 0))
        hectares = float(shapely.area(geom)) / 10_000
        row = {
            "households": round(hh, 1),
            "persons": round(pp, 1),
            "inhabited_buildings": n,
            "persons_per_inhabited_building": round(pp / n, 2) if n else None,
            "households_per_hectare": round(hh / hectares, 2) if hectares > 0 else None,
            "calibration": _calibration(code, source, scaled),
        }
        if code in scaled:
            row["scale_factor"] = scaled[code]["factor"]
        figures[str(code)] = row
    return figures


def _calibration(code: str, source: str, scaled: dict) -> str:
    if code in scaled:
        return f"scaled to {scaled[code]['from']}"
    if source.startswith("given"):
        return source
    return "uncalibrated estimate"


def implausible(figures: dict[str, dict], names: dict[str, str]) -> list[str]:
    """One line per township whose figures look implausible, saying which and why."""
    lines = []
    low, high = PERSONS_PER_BUILDING
    for code, row in figures.items():
        why = []
        ppb = row["persons_per_inhabited_building"]
        if ppb is not None and not low <= ppb <= high:
            why.append(f"{ppb:g} persons per inhabited building")
        density = row["households_per_hectare"]
        if density is not None and density > MAX_HOUSEHOLDS_PER_HECTARE:
            why.append(f"{density:g} households per hectare")
        factor = row.get("scale_factor")
        if factor is not None and not SCALE_FACTORS[0] <= factor <= SCALE_FACTORS[1]:
            why.append(f"its total scales the footprint estimate by {factor:g}")
        if why:
            lines.append(f"township {code} ({names.get(code, code)}): " + ", ".join(why)
                         + f" ({row['calibration']}): check its households and buildings")
    return lines


def calibration_warning(figures: dict[str, dict]) -> str | None:
    """The warning for townships whose households are an uncalibrated estimate, or None."""
    loose = [code for code, row in sorted(figures.items())
             if row["calibration"] == "uncalibrated estimate" and row["households"] > 0]
    if not loose:
        return None
    total = sum(figures[c]["households"] for c in loose)
    which = "all townships" if len(loose) == len(figures) else \
        f"{len(loose)} of {len(figures)} townships ({', '.join(loose[:10])}" \
        + (", ..." if len(loose) > 10 else "") + ")"
    return (
        f"households in {which} are an uncalibrated estimate from footprints "
        f"({total:,.0f} households): give totals to calibrate it, as `population` or "
        "`households` columns on the townships layer, or a county total with "
        "--total-households N or --total-persons N ([households] total_households in a "
        "run file)"
    )


def plausibility_checks(buildings: gpd.GeoDataFrame, townships: gpd.GeoDataFrame,
                        method: dict) -> tuple[dict[str, dict], list[str]]:
    """Figures per township and the warnings they call for (see the module docstring)."""
    figures = township_figures(buildings, townships, method)
    names = dict(zip(townships[TOWNSHIP_CODE].astype(str), townships["name"].astype(str),
                     strict=True))
    warnings = [f"implausible households in {line}" for line in implausible(figures, names)]
    uncalibrated = calibration_warning(figures)
    if uncalibrated:
        warnings.insert(0, uncalibrated)
    return figures, warnings


__all__ = ["plausibility_checks", "township_figures", "implausible", "calibration_warning"]
