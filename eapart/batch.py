"""Many counties in one go: a manifest in, one output per county and a national table out.

A manifest is a CSV with one row per county::

    input,county_code,out,target_households,small_areas
    counties/420117.parquet-dir/county.gpkg,420117,results/420117,80,
    counties/420102/county.gpkg,420102,results/420102,,3316

``input`` and ``out`` are required (relative paths are taken from the manifest's
folder); ``county_code`` and any column named like a run option
(:data:`MANIFEST_COLUMNS`) are optional, and ``config`` may name a TOML run file.
Counties run one after the other; each one's townships run over local processes
or on a Dask cluster. A county whose output is already complete is skipped, so
an interrupted batch resumes where it stopped; a partial output never exists
(outputs appear whole), and leftovers of a killed run are swept. A county that
fails is recorded with its error and the batch goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from eapart.api import run
from eapart.config import RunConfig, load_config
from eapart.domain.areas import read_report
from eapart.domain.schema import GPKG_NAME, MANIFEST, SUMMARY_NAME, parameters
from eapart.errors import EapartError, InputError
from eapart.io.atomic import atomic_file, is_eapart_output

#: Manifest columns: every parameter a manifest may set (docs/contract.md).
MANIFEST_COLUMNS = parameters(MANIFEST)
REQUIRED_COLUMNS = ("input", "out")
SUMMARY_FIELDS = (
    "county_code", "input", "out", "status", "buildings_in", "buildings_assigned",
    "buildings_unassigned", "townships", "census_areas", "small_areas", "households",
    "within_tolerance_share", "flagged_small_areas", "seconds", "message",
)


@dataclass
class BatchOptions:
    """How to run the counties of a manifest."""

    jobs: int | None = None
    scheduler: str | None = None
    formats: tuple[str, ...] = ()
    maps: bool = True
    force: bool = False


def read_manifest(path: Path) -> pd.DataFrame:
    """The manifest as strings, with paths resolved against its folder."""
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"manifest not found: {path}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the manifest {path.name} as CSV: {exc}") from exc
    table.columns = [c.strip().lower() for c in table.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{path.name} needs the column(s) {', '.join(missing)}; it has "
            f"{', '.join(table.columns)}. One row per county: input, county_code, out, ..."
        )
    known = set(MANIFEST_COLUMNS)
    unknown = [c for c in table.columns if c not in known]
    if unknown:
        raise InputError(f"{path.name}: unknown column(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}")
    for column in ("input", "out", "config"):
        if column in table:
            table[column] = [str(path.parent / v) if v else "" for v in table[column]]
    empty = table[(table["input"] == "") | (table["out"] == "")]
    if len(empty):
        rows = ", ".join(str(i + 2) for i in empty.index)
        raise InputError(f"{path.name}: row(s) {rows} lack an input or an out directory")
    dup = table["out"][table["out"].duplicated()]
    if len(dup):
        raise InputError(f"{path.name}: two counties write to the same out directory: "
                         f"{', '.join(sorted(set(dup)))}")
    return table


def county_config(row: pd.Series, options: BatchOptions, row_number: int) -> RunConfig:
    """The run of one manifest row."""
    cfg = load_config(Path(row["config"])) if row.get("config") else RunConfig()
    cfg.input = Path(row["input"])
    cfg.out = Path(row["out"])
    if row.get("county_code"):
        cfg.county_code = row["county_code"]
    for column, parameter in MANIFEST_COLUMNS.items():
        value = row.get(column, "")
        if not value or parameter.section not in ("partition", "households"):
            continue
        try:
            cfg.set_parameter(parameter, parameter.kind(value))
        except ValueError as exc:
            raise InputError(f"manifest row {row_number}: {column} must be a number, "
                             f"not {value!r}") from exc
    cfg.jobs, cfg.scheduler = options.jobs, options.scheduler
    cfg.formats, cfg.maps, cfg.force = options.formats, options.maps, options.force
    return cfg


def is_complete(out: Path) -> bool:
    """True when ``out`` holds a whole eapart output (it appears whole or not at all)."""
    out = Path(out)
    return is_eapart_output(out) and (out / GPKG_NAME).exists() and (out / SUMMARY_NAME).exists()


def run_batch(
    manifest: Path,
    options: BatchOptions,
    summary_path: Path | None = None,
    on_county: Callable[[dict], None] = lambda row: None,
) -> pd.DataFrame:
    """Run every county of ``manifest``; return and write the national summary table.

    Complete outputs are skipped unless ``options.force``. The table is written to
    ``summary_path`` (default: ``national_summary.csv`` beside the manifest) after
    every county, so an interrupted batch still leaves an accurate table.
    """
    manifest = Path(manifest)
    table = read_manifest(manifest)
    summary_path = Path(summary_path or manifest.parent / "national_summary.csv")
    rows: list[dict] = []
    for i, row in table.iterrows():
        result = _run_county(row, options, int(i) + 2)
        rows.append(result)
        on_county(result)
        _write_summary(summary_path, rows)
    return pd.DataFrame(rows, columns=list(SUMMARY_FIELDS))


def _run_county(row: pd.Series, options: BatchOptions, row_number: int) -> dict:
    out = Path(row["out"])
    entry = {"county_code": row.get("county_code", ""), "input": Path(row["input"]).name,
             "out": out.name}
    start = time.perf_counter()
    if is_complete(out) and not options.force:
        report = read_report(out)
        return {**entry, **_figures(report), "status": "skipped (complete)",
                "seconds": 0.0, "message": ""}
    try:
        cfg = county_config(row, options, row_number)
        cfg.force = True if is_eapart_output(out) else options.force
        result = run(cfg)
    except EapartError as exc:
        return {**entry, "status": "failed", "seconds": round(time.perf_counter() - start, 2),
                "message": str(exc)}
    return {**entry, **_figures(result.report), "status": "done",
            "seconds": round(time.perf_counter() - start, 2), "message": ""}


def _figures(report: dict) -> dict:
    keys = ("buildings_in", "buildings_assigned", "buildings_unassigned", "townships",
            "census_areas", "small_areas", "households", "within_tolerance_share")
    keys += ("flagged_small_areas",)
    return {k: report.get(k) for k in keys}


#: Summary columns that hold counts (kept whole even where a failed county has none).
_COUNT_FIELDS = ("buildings_in", "buildings_assigned", "buildings_unassigned", "townships",
                 "census_areas", "small_areas", "households", "flagged_small_areas")


def _write_summary(path: Path, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows, columns=list(SUMMARY_FIELDS))
    for column in _COUNT_FIELDS:
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    with atomic_file(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
