"""The public API: cut a county in memory (:func:`partition`) or as a file job (:func:`run`).

:func:`partition` takes GeoDataFrames and returns an :class:`~eapart.domain.areas.Areas`,
writing nothing, the way a notebook works; :func:`run` reads the files of a
:class:`~eapart.config.RunConfig`, does the same, and writes the contract's outputs,
as ``eapart run`` does. Both go through :func:`plan` (inputs, size band, one task per
township) and :func:`cut` (partition, assemble, stages, report)::

    >>> import eapart                                               # doctest: +SKIP
    >>> areas = eapart.partition(buildings, townships, roads=roads,  # doctest: +SKIP
    ...                          target_households=80)
    >>> areas.small_areas.plot(column="households")                  # doctest: +SKIP
    >>> areas.to_file("out/")                                        # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from eapart.config import Columns, HouseholdParams, RunConfig
from eapart.domain.areas import Areas
from eapart.domain.rules import SizeBand
from eapart.domain.schema import GPKG_NAME, MAP_DIR, REPORT_NAME, TOML, parameters
from eapart.errors import InputError, UsageError
from eapart.executors import map_townships
from eapart.forkserver import start_workers_early
from eapart.io.atomic import (
    atomic_directory,
    check_destination,
    is_eapart_output,
    real_destination,
    refuse_inputs_inside,
)
from eapart.io.lock import destination_lock
from eapart.io.read import Inputs, prepare_inputs, read_inputs
from eapart.io.sources import split_source
from eapart.partition.model import TownshipResult, TownshipTask
from eapart.partition.quality import county_summary
from eapart.partition.work import cut_township
from eapart.pipeline import assemble, count_shortfalls, derive_band, plan_tasks
from eapart.progress import Progress
from eapart.report import build_report, engine_seconds, summary_lines
from eapart.stages import RunContext, run_stages
from eapart.stages.kept_codes import read_previous

#: What the report names as the partition engine.
ENGINE = (
    "eapart cells + recursive spanning-tree bisection with boundary refinement "
    "(eapart.partition.regions.split)"
)


@dataclass
class Plan:
    """A county ready to cut: checked inputs, the run's size band, one task per township."""

    config: RunConfig
    inputs: Inputs
    band: SizeBand
    tasks: list[TownshipTask]


@dataclass
class RunResult:
    """What a run made: where, the areas and report, stage times, and the closing summary.

    ``timings`` are wall seconds per pipeline stage; ``engine_timings`` the engine's
    own stages (tessellate, graph, partition, dissolve) summed over townships,
    which is CPU time when townships ran in parallel.
    """

    out: Path
    report: dict
    timings: dict[str, float] = field(default_factory=dict)
    engine_timings: dict[str, float] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    areas: Areas | None = None


def bundled_sample() -> Path:
    """The small county shipped with eapart, used when no input is given."""
    from eapart.synthetic.county import sample_path

    return sample_path()


def plan(cfg: RunConfig, inputs: Inputs | None = None) -> Plan:
    """Read the inputs of ``cfg`` (unless given), derive the band, plan one task per township.

    Neither ``cfg`` nor ``inputs`` is changed, so one read can be planned many ways
    (``bench/`` does). A run with no input uses the bundled sample county.
    """
    if cfg.input is None and not cfg.layers and inputs is None:
        cfg = dataclasses.replace(cfg, input=bundled_sample())
    cfg.validate()
    if inputs is None:
        inputs = read_inputs(cfg)
    band, note = derive_band(inputs, cfg.partition)
    if note:
        inputs = dataclasses.replace(inputs, notes=[*inputs.notes, note])
    return Plan(config=cfg, inputs=inputs, band=band, tasks=plan_tasks(inputs, cfg, band))


def cut(planned: Plan, progress: Progress | None = None) -> tuple[Areas, list[TownshipResult]]:
    """Cut every township of ``planned``, assemble, run the stages and build the report."""
    progress = progress or Progress(quiet=True)
    cfg, inputs, band, tasks = planned.config, planned.inputs, planned.band, planned.tasks
    with progress.stage("partition", total=len(tasks)) as advance:
        results = map_townships(cut_township, tasks, jobs=cfg.jobs,
                                scheduler=cfg.scheduler, advance=advance)
    with progress.stage("assemble"):
        areas = assemble(inputs, results, parameters=cfg.parameters(band))
        areas = run_stages(areas, RunContext(config=cfg, inputs=inputs, band=band))
        shortfalls = count_shortfalls(cfg, tasks, areas.layers)
        if shortfalls:
            inputs = dataclasses.replace(inputs, warnings=[*inputs.warnings, *shortfalls])
        quality = county_summary(results, tasks[0].params) if tasks else {}
        report = build_report(cfg, inputs, areas, results, ENGINE, band, quality)
        areas = areas.replace(report={**report, **areas.report})
    return areas, results


def partition(
    buildings: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    rail: gpd.GeoDataFrame | None = None,
    water: gpd.GeoDataFrame | None = None,
    villages: gpd.GeoDataFrame | None = None,
    county: gpd.GeoDataFrame | None = None,
    *,
    target_households: float | None = None,
    columns: Columns | dict | None = None,
    households: HouseholdParams | dict | None = None,
    jobs: int | None = 1,
    **options,
) -> Areas:
    """Cut a county given as GeoDataFrames into census areas and small areas; write nothing.

    The layers are those of the input contract (docs/contract.md), in any CRS with
    a definition. ``options`` are the run file's names for the other parameters
    (``min_households``, ``max_households``, ``target_persons``, ``small_areas``,
    ``census_areas``, ``census_area_households``, ``allow_barrier_crossing``,
    ``institution_types``, ``seed``, ``county_code``, ...). ``columns`` maps the
    contract's column roles to your names, ``households`` sets how households are
    estimated. Returns the :class:`~eapart.domain.areas.Areas` of the run, with its
    report; ``areas.to_file(dir)`` writes the contract's files.
    """
    cfg = RunConfig(jobs=jobs)
    if target_households is not None:
        options["target_households"] = target_households
    known = {**parameters(TOML, "partition"), **parameters(TOML, "households"),
             **parameters(TOML, "input")}
    for user, value in options.items():
        parameter = known.get(user)
        if parameter is None or parameter.name in ("input", "layers"):
            names = sorted(n for n, p in known.items() if p.name not in ("input", "layers"))
            raise UsageError(f"partition(): unknown parameter {user!r}; known: {', '.join(names)}")
        cfg.set_parameter(parameter, parameter.kind(value) if parameter.kind in (tuple, float)
                          else value)
    if columns is not None:
        cfg.columns = columns if isinstance(columns, Columns) else Columns(**columns)
    if households is not None:
        cfg.households = households if isinstance(households, HouseholdParams) \
            else HouseholdParams(**households)
    frames = {"buildings": buildings, "townships": townships, "villages": villages,
              "roads": roads, "rail": rail, "water": water, "county": county}
    cfg.validate()
    areas, _ = cut(plan(cfg, prepare_inputs(frames, cfg)))
    return areas


def run(cfg: RunConfig, progress: Progress | None = None) -> RunResult:
    """Read, partition and write the contract's outputs into ``cfg.out``.

    The output directory appears whole at the end, or not at all. ``cfg`` is not
    changed.
    """
    progress = progress or Progress(quiet=True)
    if cfg.out is None:
        raise UsageError("say where the results go: --out DIR")
    if cfg.input is None and not cfg.layers:
        cfg = dataclasses.replace(cfg, input=bundled_sample())
    cfg.validate()
    if cfg.edits is not None and cfg.previous is None:
        raise UsageError("--edits applies to an earlier output: give it with --previous OUT "
                         "(or use `eapart edit apply OUT EDITS --out NEW`)")
    final = real_destination(Path(cfg.out))
    refuse_inputs_inside(final, given_inputs(cfg))
    with destination_lock(final):
        check_destination(final, cfg.force)
        return _run_locked(cfg, final, progress)


def given_inputs(cfg: RunConfig) -> dict[str, Path]:
    """Every file or folder the run reads, by how it was given, to keep them safe.

    ``--keep-codes-from`` may name ``--out`` itself (its codes are read before the
    output is replaced), but nothing inside it.
    """
    inputs: dict[str, Path] = {}
    if cfg.input is not None:
        inputs["the input"] = Path(cfg.input)
    for layer, source in cfg.layers.items():
        inputs[f"--{layer}"] = split_source(source)[0]
    if cfg.config_file is not None:
        inputs["--config"] = Path(cfg.config_file)
    if cfg.edits is not None:
        inputs["--edits"] = Path(cfg.edits)
    for option, folder in (("--keep-codes-from", cfg.keep_codes_from),
                           ("--previous", cfg.previous)):
        if folder is not None and real_destination(folder) != real_destination(cfg.out):
            inputs[option] = Path(folder)
    return inputs


def _run_locked(cfg: RunConfig, final: Path, progress: Progress) -> RunResult:
    if cfg.keep_codes_from is not None:
        read_previous(cfg.keep_codes_from)  # fail before the work when it is no good output
    start_workers_early(cfg.jobs, cfg.scheduler)
    with progress.stage("read inputs"):
        inputs = read_inputs(cfg)
    if cfg.previous is not None:
        return _rerun(cfg, final, inputs, progress)
    areas, results = cut(plan(cfg, inputs), progress)
    from eapart.edits.registry import fresh_registry, write_registry

    with atomic_directory(final, force=cfg.force) as tmp:
        with progress.stage("write"):
            areas.to_file(tmp, cfg.gpkg_version)
            write_registry(tmp / GPKG_NAME, fresh_registry(areas.layers))
        if cfg.maps:
            from eapart.review.pages import build_review_maps

            with progress.stage("review maps") as advance:
                build_review_maps(tmp, basemap=cfg.basemap, attribution=cfg.attribution,
                                  progress=lambda done, total: advance(1), jobs=cfg.jobs,
                                  areas=areas)
        if cfg.formats:
            from eapart.io.export import export

            with progress.stage("export"):
                export(tmp, cfg.formats, encoding=cfg.encoding or "UTF-8",
                       language=cfg.language, gpkg_version=cfg.gpkg_version)
    summary = summary_lines(areas.report, Path(cfg.out), progress.timings)
    return RunResult(out=Path(cfg.out), report=areas.report, timings=dict(progress.timings),
                     engine_timings=engine_seconds(results), summary=summary,
                     areas=areas.replace(outdir=Path(cfg.out)))


def _rerun(cfg: RunConfig, final: Path, inputs, progress: Progress) -> RunResult:
    """A ``--previous`` run: redraw only the small areas whose buildings changed."""
    from eapart.edits.edition import write_edition
    from eapart.edits.rerun import rerun_plan

    with progress.stage("compare with previous"):
        plan_ = rerun_plan(inputs, Path(cfg.previous), cfg.edits)
    source = "inputs" + (f" + {Path(cfg.edits).name}" if cfg.edits else "")
    report = write_edition(plan_, final, force=cfg.force, maps=cfg.maps,
                           progress=progress, source=source)
    summary = summary_lines(report, Path(cfg.out), progress.timings)
    summary.extend(codes_kept_lines(report))
    return RunResult(out=Path(cfg.out), report=report, timings=dict(progress.timings),
                     summary=summary)


def codes_kept_lines(report: dict) -> list[str]:
    """Closing lines of an edition: what changed, and how many codes each township kept."""
    last = report["code_history"][-1]
    kept = report["code_stability"]
    lines = [f"Edition {report['edition']}: codes " + ", ".join(
        f"{k} {last[k]}" for k in ("U", "S", "M", "X", "N", "R")) + "; "
        f"{kept['buildings_same_code_share']:.1%} of the buildings kept their small-area code "
        "(see changes.csv)."]
    for row in report.get("per_township", []):
        mine = row.get("code_stability")
        if mine:
            lines.append(f"  {row['township_code']} {row['name']}: "
                         f"{mine['small_area_codes_kept']} of {mine['small_area_codes_before']} "
                         f"small-area codes kept")
    return lines


def rebuild_maps(
    outdir: Path, *, basemap: str | None = None, attribution: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Rebuild ``outdir/map`` from an existing output, replacing the old pages whole.

    The pages are built in a hidden staging directory (which sees the output's
    GeoPackage and report through links) and swapped in at the end, so a failure
    or a kill leaves the previous pages.
    """
    from eapart.review.pages import build_review_maps

    outdir = Path(outdir)
    if not is_eapart_output(outdir):
        raise InputError(f"{outdir.name} is not an eapart output (no report.json written by "
                         "eapart): make one with `eapart run ... --out` first")
    with atomic_directory(outdir / MAP_DIR, owned=True) as staging:
        work = staging / ".work"
        work.mkdir()
        for name in (GPKG_NAME, REPORT_NAME):
            (work / name).symlink_to((outdir / name).resolve())
        pages = build_review_maps(work, basemap=basemap, attribution=attribution,
                                  progress=progress)
        built = work / MAP_DIR
        for item in built.iterdir():
            item.rename(staging / item.name)
        shutil.rmtree(work)
    return [outdir / MAP_DIR / page.relative_to(built) for page in pages]
