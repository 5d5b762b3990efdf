"""The run's report: what went in, what came out, how good it is, what to look at.

:func:`build_report` gives the dict written as ``report.json`` (contract.md);
:func:`summary_lines` the few lines printed at the end of every run. The report
holds no clock time and no absolute path, so identical runs give identical files.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np

from eapart import __version__
from eapart.config import RunConfig
from eapart.domain.flags import FLAG_DESCRIPTIONS, flag_counts, problems
from eapart.io.crs import crs_label
from eapart.io.read import Inputs
from eapart.partition.ceiling import CEILING_WARNING_GAP, below_ceiling, ceiling_fields
from eapart.partition.model import TownshipResult
from eapart.partition.quality import size_summary


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


def share_between(sizes: np.ndarray, low: float, high: float) -> float:
    """Share of areas whose size lies in [low, high] (1.0 for no areas).

    The report's ``within_tolerance_share`` uses the run's minimum and maximum,
    which need not be symmetric around the target.
    """
    sizes = np.asarray(sizes, dtype=float)
    if not len(sizes):
        return 1.0
    return float(((sizes >= low) & (sizes <= high)).mean())


def build_report(
    cfg: RunConfig,
    inputs: Inputs,
    layers: dict[str, gpd.GeoDataFrame],
    results: list[TownshipResult],
    engine: str,
    quality: dict | None = None,
) -> dict:
    """The quality report of a run, ready for ``report.json``."""
    part = cfg.partition
    measure = part.measure
    small = layers["small_areas"]
    sizes = small[measure].to_numpy(dtype=float)
    buildings = layers["buildings"]
    per_township = _per_township(layers, results, part)
    report: dict = {
        "software": "eapart",
        "version": __version__,
        "engine": engine,
        "input": _input_section(cfg, inputs),
        "buildings_in": int(len(inputs.buildings)),
        "buildings_assigned": int(buildings["small_area_code"].notna().sum()),
        "buildings_unassigned": int(len(inputs.unassigned)),
        "townships": int(len(layers["townships"])),
        "census_areas": int(len(layers["census_areas"])),
        "small_areas": int(len(small)),
        "households": int(buildings["households"].sum()),
        "persons": float(np.nansum(buildings["persons"].to_numpy(dtype=float))),
        "measure": measure,
        f"target_{measure}": part.target,
        f"min_{measure}": part.min_value,
        f"max_{measure}": part.max_value,
        "within_tolerance_share": share_between(sizes, part.min_value, part.max_value),
        **county_ceiling(results, len(small), share_between(sizes, part.min_value,
                                                             part.max_value)),
        "flags": flag_counts(small["flags"].to_numpy(dtype=object)),
        "flagged_small_areas": int((small["flags"].fillna("") != "").sum()),
        "problem_small_areas": int(sum(bool(problems(f)) for f in small["flags"])),
        "flag_descriptions": dict(FLAG_DESCRIPTIONS),
        "size_distribution": size_distribution(sizes, part.target),
        "quality": quality or {},
        "per_township": per_township,
        "parameters": cfg.parameters(),
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


def _per_township(layers, results: list[TownshipResult], part) -> list[dict]:
    small = layers["small_areas"]
    rows = []
    metrics = {r.township_code: r.metrics for r in results}
    for tw in layers["townships"].itertuples():
        mine = small[small["township_code"] == tw.township_code]
        sizes = mine[part.measure].to_numpy(dtype=float)
        within = share_between(sizes, part.min_value, part.max_value)
        ceiling = metrics.get(tw.township_code, {}).get("ceiling_small_areas", len(sizes))
        rows.append({
            "township_code": tw.township_code,
            "name": tw.name,
            "buildings": int(tw.buildings),
            "households": int(tw.households),
            "census_areas": int(tw.census_areas),
            "small_areas": int(tw.small_areas),
            "within_tolerance_share": within,
            **ceiling_fields(len(sizes), ceiling, within),
            "flags": {k: v for k, v in flag_counts(mine["flags"].to_numpy(dtype=object)).items()
                      if v},
            "metrics": {k: v for k, v in metrics.get(tw.township_code, {}).items()
                        if k not in VOLATILE_METRICS},
        })
    return rows


def summary_lines(report: dict, out: Path, timings: dict[str, float]) -> list[str]:
    """A short summary a person can read at the end of a run (warnings apart:
    :func:`warning_lines`)."""
    measure = report["measure"]
    flags = {k: v for k, v in report["flags"].items() if v}
    lines = [
        f"eapart {report['version']}: {report['buildings_assigned']:,} of "
        f"{report['buildings_in']:,} buildings placed in {report['townships']} townships, "
        f"{report['census_areas']:,} census areas, {report['small_areas']:,} small areas.",
        f"Balance: {report['within_tolerance_share']:.1%} of small areas within "
        f"{report[f'min_{measure}']:g}-{report[f'max_{measure}']:g} {measure} "
        f"(target {report[f'target_{measure}']:g}); at most "
        f"{report.get('ceiling_share', 1.0):.1%} attainable on this map.",
        *township_balance_lines(report["per_township"]),
    ]
    if flags:
        lines.append("Flagged: " + ", ".join(f"{k} {v}" for k, v in flags.items())
                     + " (see the review map and summary.csv).")
    kept = report.get("codes_kept")
    if kept:
        lines.append(f"Codes kept from the earlier output: {kept['small_areas_kept']:,} of "
                     f"{report['small_areas']:,} small areas.")
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


def display_path(path: Path) -> str:
    """``path`` for messages: relative to the working directory, else just its name.

    Logs of a national run are shared; they hold no absolute path of the machine.
    """
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return path.name
