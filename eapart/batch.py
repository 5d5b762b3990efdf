"""Many counties in one go: a manifest in, one output per county and a national table out.

A manifest is a CSV with one row per county::

    input,county_code,out,target_households,small_areas
    counties/420117.gpkg,420117,results/420117,80,
    s3://census/counties/420102.gpkg,420102,s3://census/results/420102,,3316

``input`` and ``out`` are required: local paths (relative ones are taken from the
manifest's folder) or any fsspec URL (:mod:`eapart.io.storage`); ``county_code``
and any column named like a run option (:data:`MANIFEST_COLUMNS`) are optional,
and ``config`` may name a TOML run file. Without a scheduler counties run one
after the other in this process; with one, each county is a task on a Dask
worker (:mod:`eapart.national`). A county whose output is already complete is
skipped, so an interrupted batch resumes where it stopped; a partial output never
exists (outputs appear whole), and leftovers of a killed run are swept. A county
that fails is recorded with its error and the batch goes on.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from eapart.api import run
from eapart.batch_progress import NationalProgress
from eapart.config import RunConfig, load_config
from eapart.domain.areas import read_report
from eapart.domain.schema import GPKG_NAME, MANIFEST, SUMMARY_NAME, parameters
from eapart.errors import EapartError, InputError, unexpected_message
from eapart.io import storage
from eapart.io.atomic import is_eapart_output
from eapart.io.tables import spreadsheet_safe
from eapart.options import Where, check

#: Manifest columns: every parameter a manifest may set (docs/contract.md).
MANIFEST_COLUMNS = parameters(MANIFEST)
REQUIRED_COLUMNS = ("input", "out")
SUMMARY_FIELDS = (
    "county_code", "input", "out", "status", "buildings_in", "buildings_assigned",
    "buildings_unassigned", "townships", "census_areas", "small_areas", "households",
    "within_tolerance_share", "flagged_small_areas", "seconds", "message",
)
#: The name of the national table written beside the manifest.
NATIONAL_SUMMARY = "national_summary.csv"


@dataclass
class BatchOptions:
    """How to run the counties of a manifest.

    ``scheduler`` is a Dask scheduler address; ``cluster`` (``local:N``) starts a
    local cluster of N one-thread workers for the batch instead. Either makes each
    county a task on a worker (:mod:`eapart.national`), where its townships run
    in the worker's process.
    """

    jobs: int | None = None
    scheduler: str | None = None
    formats: tuple[str, ...] = ()
    maps: bool = True
    force: bool = False
    cluster: str | None = None
    spread_townships: bool = False


def read_manifest(path: Path | str) -> pd.DataFrame:
    """The manifest as strings, with paths resolved against its folder (local or URL)."""
    location = str(path)
    shown = storage.name(location)
    try:
        data = storage.read_bytes(location)
    except (FileNotFoundError, InputError) as exc:
        raise InputError(f"manifest not found: {location}") from exc
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the manifest {shown} as CSV: {exc}") from exc
    table.columns = [c.strip().lower() for c in table.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{shown} needs the column(s) {', '.join(missing)}; it has "
            f"{', '.join(table.columns)}. One row per county: input, county_code, out, ..."
        )
    known = set(MANIFEST_COLUMNS)
    unknown = [c for c in table.columns if c not in known]
    if unknown:
        raise InputError(f"{shown}: unknown column(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}")
    folder = storage.parent(location)
    for column in ("input", "out", "config"):
        if column in table:
            table[column] = [storage.join(folder, v) if v else "" for v in table[column]]
    empty = table[(table["input"] == "") | (table["out"] == "")]
    if len(empty):
        rows = ", ".join(str(i + 2) for i in empty.index)
        raise InputError(f"{shown}: row(s) {rows} lack an input or an out directory")
    dup = table["out"][table["out"].duplicated()]
    if len(dup):
        raise InputError(f"{shown}: two counties write to the same out directory: "
                         f"{', '.join(sorted(set(dup)))}")
    return table


def county_config(row: pd.Series | dict, options: BatchOptions, row_number: int,
                  manifest: Path | str = "manifest") -> RunConfig:
    """The run of one manifest row (with local ``input``, ``out`` and ``config``).

    Every value is checked as the same option would be.
    """
    cfg = load_config(Path(row["config"])) if row.get("config") else RunConfig()
    cfg.input = Path(row["input"])
    cfg.out = Path(row["out"])
    if row.get("county_code"):
        cfg.county_code = check("county_code", row["county_code"],
                                Where.manifest(manifest, row_number, "county_code"))
        cfg.given.add("county_code")
    for column, parameter in MANIFEST_COLUMNS.items():
        value = row.get(column, "")
        if not value or parameter.section not in ("partition", "households"):
            continue
        cfg.set_parameter(parameter,
                          check(column, value, Where.manifest(manifest, row_number, column)))
        cfg.given.add(column)
    cfg.jobs, cfg.scheduler = options.jobs, options.scheduler
    cfg.formats, cfg.maps, cfg.force = options.formats, options.maps, options.force
    return cfg


def is_complete(out: Path | str) -> bool:
    """True when ``out`` holds a whole eapart output (it appears whole or not at all)."""
    if storage.is_remote(out):
        return storage.remote_complete(str(out))
    out = Path(out)
    return is_eapart_output(out) and (out / GPKG_NAME).exists() and (out / SUMMARY_NAME).exists()


def summary_location(manifest: Path | str, summary_path: Path | str | None) -> str:
    """Where the national table goes: ``summary_path``, or beside the manifest."""
    if summary_path:
        return str(summary_path)
    return storage.join(storage.parent(str(manifest)), NATIONAL_SUMMARY)


def run_batch(
    manifest: Path | str,
    options: BatchOptions,
    summary_path: Path | str | None = None,
    on_county: Callable[[dict], None] = lambda row: None,
    progress: NationalProgress | None = None,
) -> pd.DataFrame:
    """Run every county of ``manifest``; return and write the national summary table.

    Complete outputs are skipped unless ``options.force``. The table is written
    (whole, replacing the last one) to ``summary_path`` (default:
    ``national_summary.csv`` beside the manifest) after every county, in manifest
    order, so an interrupted batch still leaves an accurate table of what is done.
    ``progress`` is told of each county as it starts (on a cluster: as it is
    handed to the scheduler) and ends.
    """
    table = read_manifest(manifest)
    summary = summary_location(manifest, summary_path)
    rows: dict[int, dict] = {}
    jobs = [(int(i), row.to_dict()) for i, row in table.iterrows()]
    progress = progress or NationalProgress(len(jobs), quiet=True)
    progress.total = len(jobs)

    def record(index: int, result: dict) -> None:
        rows[index] = result
        progress.finished(index, result)
        on_county(result)
        write_summary(summary, [rows[i] for i in sorted(rows)])

    if options.scheduler or options.cluster:
        from eapart.national import run_on_cluster

        run_on_cluster(jobs, options, record, progress, storage.name(str(manifest)))
    else:
        for index, row in jobs:
            progress.started(index)
            record(index, run_county(row, options, index + 2, storage.name(str(manifest))))
    return pd.DataFrame([rows[i] for i in sorted(rows)], columns=list(SUMMARY_FIELDS))


def county_entry(row: dict) -> dict:
    """The columns of a county's summary row that come from the manifest."""
    return {"county_code": row.get("county_code", ""), "input": storage.name(row["input"]),
            "out": storage.name(row["out"])}


def run_county(row: dict, options: BatchOptions, row_number: int,
               manifest: str = "manifest") -> dict:
    """Cut one manifest row's county where this runs; its summary row (never raises).

    Remote inputs are downloaded and remote outputs built locally, then uploaded
    with their completion marker last (:mod:`eapart.io.storage`). A failure of any
    kind is the county's row (status ``failed``, its message), so that one bad
    county never stops a nation.
    """
    out = row["out"]
    entry = county_entry(row)
    start = time.perf_counter()
    if is_complete(out) and not options.force:
        return {**entry, **_figures(_read_report(out)), "status": "skipped (complete)",
                "seconds": 0.0, "message": ""}
    try:
        with ExitStack() as stack:
            scratch = stack.enter_context(storage.scratch_directory())
            local = {**row, "input": str(storage.local_copy(row["input"], scratch))}
            if row.get("config"):
                local["config"] = str(storage.local_copy(row["config"], scratch))
            remote_out = storage.is_remote(out)
            if remote_out:
                storage.check_remote_destination(out, options.force)
                local["out"] = str(scratch / "out" / storage.name(out))
            cfg = county_config(local, options, row_number, manifest)
            cfg.force = True if is_eapart_output(Path(cfg.out)) else options.force
            if options.spread_townships:
                from eapart.national import township_client

                cfg.scheduler = stack.enter_context(township_client())
            result = run(cfg)
            if remote_out:
                storage.publish_directory(Path(cfg.out), out)
    except EapartError as exc:
        return _failed(entry, start, str(exc))
    except Exception as exc:  # noqa: BLE001 - one county's fault must not stop the others
        return _failed(entry, start, unexpected_message(exc))
    return {**entry, **_figures(result.report), "status": "done",
            "seconds": round(time.perf_counter() - start, 2), "message": ""}


def _failed(entry: dict, start: float, message: str) -> dict:
    return {**entry, "status": "failed", "seconds": round(time.perf_counter() - start, 2),
            "message": message}


def _read_report(out: str) -> dict:
    if not storage.is_remote(out):
        return read_report(Path(out))
    import json

    from eapart.domain.schema import REPORT_NAME

    return json.loads(storage.read_bytes(storage.join(out, REPORT_NAME)))


def _figures(report: dict) -> dict:
    keys = ("buildings_in", "buildings_assigned", "buildings_unassigned", "townships",
            "census_areas", "small_areas", "households", "within_tolerance_share")
    keys += ("flagged_small_areas",)
    return {k: report.get(k) for k in keys}


#: Summary columns that hold counts (kept whole even where a failed county has none).
_COUNT_FIELDS = ("buildings_in", "buildings_assigned", "buildings_unassigned", "townships",
                 "census_areas", "small_areas", "households", "flagged_small_areas")


def write_summary(location: str, rows: list[dict]) -> None:
    """Write the national table whole (a local rename, or one object PUT)."""
    frame = pd.DataFrame(rows, columns=list(SUMMARY_FIELDS))
    for column in _COUNT_FIELDS:
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    text = spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n")
    storage.write_bytes(location, text.encode("utf-8-sig"))
