"""The run's report: what went in, what came out, how good it is, what to look at.

:func:`build_report` gives the dict written as ``report.json`` (docs/contract.md);
:func:`summary_lines` the few lines printed at the end of every run. The report
holds no clock time and no absolute path, so identical runs give identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eapart import __version__
from eapart.config import RunConfig
from eapart.domain.areas import NO_ROWS, Areas, township_positions
from eapart.domain.flags import FLAG_DESCRIPTIONS, flag_counts, problems
from eapart.domain.rules import SizeBand
from eapart.domain.schema import SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.io.crs import crs_label
from eapart.io.read import Inputs
from eapart.partition.model import TownshipResult
from eapart.partition.quality import size_summary
from eapart.progress import display_path
from eapart.rounding import count_value

#: A township this far (share, i.e. 3 points) below its ceiling
#: (:mod:`eapart.partition.ceiling`) is named in a warning.
CEILING_WARNING_GAP = 0.03


def ceiling_fields(n_small_areas: int, ceiling_count: int, within: float) -> dict:
    """The report's ``ceiling_share`` and ``ceiling_gap`` (ceiling minus achieved share)."""
    share = ceiling_count / n_small_areas if n_small_areas else 1.0
    return {"ceiling_share": share, "ceiling_gap": share - within}


def below_ceiling(rows: list[dict], gap: float = CEILING_WARNING_GAP) -> list[str]:
    """A warning for each township whose share in band is more than ``gap`` below its ceiling.

    ``rows``: the report's per-township entries (``name``, ``township_code``,
    ``within_tolerance_share``, ``ceiling_share``).
    """
    out = []
    for row in rows:
        if row.get("ceiling_gap", 0.0) > gap + 1e-9:
            out.append(
                f"township {row['township_code']} ({row['name']}): "
                f"{row['within_tolerance_share']:.1%} of its small areas within the band, "
                f"{row['ceiling_share']:.1%} attainable: more than "
                f"{gap * 100:g} points below its ceiling; check it on the review map"
            )
    return out


def size_distribution(sizes: np.ndarray, target: float) -> list[dict]:
    """The size histogram against the target as ``[{"bin": label, "count": n}, ...]``."""
    histogram = size_summary(sizes, target).get("ratio_histogram", {})
    return [{"bin": f"{label} x target", "count": int(n)} for label, n in histogram.items()]


#: Township metrics that vary from run to run (clock times): kept out of the report
#: so identical runs write identical files; :func:`engine_seconds` sums them.
VOLATILE_METRICS = frozenset({"seconds"})


def engine_seconds(results: list[TownshipResult]) -> dict[str, float]:
    """Engine time per stage (tessellate, graph, partition, ...) summed over townships."""
    total: dict[str, float] = {}
    for result in results:
        for stage, seconds in result.metrics.get("seconds", {}).items():
            total[stage] = total.get(stage, 0.0) + float(seconds)
    return total


def build_report(
    cfg: RunConfig,
    inputs: Inputs,
    areas: Areas,
    results: list[TownshipResult],
    engine: str,
    band: SizeBand,
    quality: dict | None = None,
) -> dict:
    """The quality report of a run, ready for ``report.json`` (docs/contract.md).

    ``band`` is the run's derived size band: the report's ``target_*``, ``min_*``,
    ``max_*`` and ``within_tolerance_share`` keys and its ``band`` object come from
    it, so every reader finds the same band whatever the measure.
    """
    measure = band.measure
    small = areas.small_areas
    sizes = small[measure].to_numpy(dtype=float)
    buildings = areas.buildings
    within = band.share_within(sizes)
    per_township = _per_township(areas, results, band,
                                 inputs.stats.get("households_by_township", {}))
    report: dict = {
        "software": "eapart",
        "version": __version__,
        "engine": engine,
        "input": _input_section(cfg, inputs),
        "buildings_in": int(len(inputs.buildings)),
        "buildings_assigned": int(buildings[SMALL_AREA_CODE].notna().sum()),
        "buildings_unassigned": int(len(inputs.unassigned)),
        "townships": int(len(areas.townships)),
        "census_areas": int(len(areas.census_areas)),
        "small_areas": int(len(small)),
        "households": count_value(buildings["households"].sum()),
        "persons": count_value(np.nansum(buildings["persons"].to_numpy(dtype=float))),
        "measure": measure,
        f"target_{measure}": band.target,
        f"min_{measure}": band.min_size,
        f"max_{measure}": band.max_size,
        "within_tolerance_share": within,
        "band": band.as_dict(),
        **county_ceiling(results, len(small), within),
        "flags": flag_counts(small["flags"].to_numpy(dtype=object)),
        "flagged_small_areas": int((small["flags"].fillna("") != "").sum()),
        "problem_small_areas": int(sum(bool(problems(f)) for f in small["flags"])),
        "flag_descriptions": dict(FLAG_DESCRIPTIONS),
        "size_distribution": size_distribution(sizes, band.target),
        "quality": quality or {},
        "per_township": per_township,
        "parameters": areas.parameters,
        "households_method": inputs.households_method,
        "repaired": inputs.stats.get("repaired", {}),
        "township_gaps": inputs.stats.get("township_gaps", {"count": 0, "area_m2": 0.0}),
        "columns_used": {
            "building_id": inputs.stats.get("building_id"),
            "township_codes": inputs.stats.get("township_codes"),
            **inputs.stats.get("building_columns", {}),
        },
        "notes": list(inputs.notes) + [n for r in results for n in r.notes],
        "warnings": list(inputs.warnings) + below_ceiling(per_township),
    }
    if measure != "households":
        report.setdefault("target_households", None)
    if cfg.config_file is not None:
        report["config_file"] = {"name": Path(cfg.config_file).name, "text": cfg.config_text}
    return report


def county_ceiling(results: list[TownshipResult], n_small_areas: int, within: float) -> dict:
    """The county's ``ceiling_share`` and ``ceiling_gap``: the townships' ceilings pooled
    (:mod:`eapart.partition.ceiling`)."""
    count = sum(int(r.metrics.get("ceiling_small_areas", len(r.small_areas))) for r in results)
    return ceiling_fields(n_small_areas, count, within)


def _input_section(cfg: RunConfig, inputs: Inputs) -> dict:
    files = {}
    if cfg.input is not None:
        files["input"] = Path(cfg.input).name
    for layer, source in sorted(cfg.layers.items()):
        files[layer] = Path(str(source)).name
    return {
        "files": files,
        "layers": inputs.stats.get("layers", {}),
        "crs": crs_label(inputs.input_crs),
        "work_crs": crs_label(inputs.work_crs),
    }


def _per_township(areas: Areas, results: list[TownshipResult], band: SizeBand,
                  household_figures: dict) -> list[dict]:
    small = areas.small_areas
    rows = []
    metrics = {r.township_code: r.metrics for r in results}
    positions = township_positions(small)
    all_sizes = small[band.measure].to_numpy(dtype=float)
    all_flags = small["flags"].to_numpy(dtype=object)
    for tw in areas.townships.itertuples():
        mine = positions.get(tw.township_code, NO_ROWS)
        sizes = all_sizes[mine]
        within = band.share_within(sizes)
        ceiling = metrics.get(tw.township_code, {}).get("ceiling_small_areas", len(sizes))
        rows.append({
            TOWNSHIP_CODE: tw.township_code,
            "name": tw.name,
            "buildings": int(tw.buildings),
            "households": count_value(tw.households),
            "census_areas": int(tw.census_areas),
            "small_areas": int(tw.small_areas),
            "within_tolerance_share": within,
            **ceiling_fields(len(sizes), ceiling, within),
            "household_figures": household_figures.get(tw.township_code, {}),
            "flags": {k: v for k, v in flag_counts(all_flags[mine]).items() if v},
            "metrics": {k: v for k, v in metrics.get(tw.township_code, {}).items()
                        if k not in VOLATILE_METRICS},
        })
    return rows


def summary_lines(report: dict, out: Path, timings: dict[str, float]) -> list[str]:
    """A short summary a person can read at the end of a run (warnings apart:
    :func:`warning_lines`)."""
    band = report["band"]
    flags = {k: v for k, v in report["flags"].items() if v}
    lines = [
        f"eapart {report['version']}: {report['buildings_assigned']:,} of "
        f"{report['buildings_in']:,} buildings placed in {report['townships']} townships, "
        f"{report['census_areas']:,} census areas, {report['small_areas']:,} small areas.",
        f"Balance: {report['within_tolerance_share']:.1%} of small areas within "
        f"{band['min_size']:g}-{band['max_size']:g} {band['measure']} "
        f"(target {band['target']:g}); at most "
        f"{report.get('ceiling_share', 1.0):.1%} attainable on this map.",
        *township_balance_lines(report["per_township"]),
    ]
    if flags:
        lines.append("Flagged: " + ", ".join(f"{k} {v}" for k, v in flags.items())
                     + " (see the review map and summary.csv).")
    kept = report.get("codes_kept")
    if kept:
        matched = kept.get("matched", {})
        found = (f" ({matched['from']}, county {matched['county'] or '?'}: "
                 f"{matched['ids_found']:,} of {matched['buildings']:,} building ids found, "
                 f"{matched['same_place']:,} in the same place)") if matched else ""
        lines.append(f"Codes kept from the earlier output{found}: {kept['small_areas_kept']:,} "
                     f"of {report['small_areas']:,} small areas.")
    if report["buildings_unassigned"]:
        lines.append(f"Not placed: {report['buildings_unassigned']} building(s) outside every "
                     "township, listed in the 'unassigned' layer.")
    lines.append(f"Took {sum(timings.values()):.1f} s. Results in {display_path(out)}")
    return lines


def township_balance_lines(rows: list[dict]) -> list[str]:
    """One line per township: share within the band, achieved against attainable."""
    if not rows:
        return []
    width = max(len(str(r["name"])) for r in rows)
    lines = ["Within the band by township (achieved / attainable):"]
    for r in rows:
        ceiling = r.get("ceiling_share", 1.0)
        mark = "  <- below its ceiling" if r.get("ceiling_gap", 0.0) > CEILING_WARNING_GAP else ""
        lines.append(f"  {str(r['name']):<{width}}  {r['within_tolerance_share']:6.1%} / "
                     f"{ceiling:6.1%}  of {r['small_areas']:,}{mark}")
    return lines


def warning_lines(report: dict) -> list[str]:
    """The run's warnings, one line each, for stderr (shown even with ``--quiet``)."""
    return [f"Warning: {w}" for w in report["warnings"]]

