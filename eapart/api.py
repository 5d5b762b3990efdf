"""The public API: one call runs the main job, as ``eapart run`` does.

>>> from eapart.api import run                                    # doctest: +SKIP
>>> from eapart.config import RunConfig                            # doctest: +SKIP
>>> result = run(RunConfig(input=Path("county.gpkg"), out=Path("out")))  # doctest: +SKIP
>>> result.report["small_areas"]                                   # doctest: +SKIP
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eapart.config import RunConfig
from eapart.edits.registry import REGISTRY_LAYER, fresh_registry
from eapart.errors import InputError, UsageError
from eapart.executors import map_townships
from eapart.io.atomic import atomic_directory, check_destination, is_eapart_output
from eapart.io.read import read_inputs
from eapart.io.write import (
    GPKG_NAME,
    REPORT_NAME,
    SUMMARY_NAME,
    write_geopackage,
    write_report,
    write_summary,
)
from eapart.partition.quality import county_summary
from eapart.partition.township import partition_township
from eapart.pipeline import assemble, derive_target, plan_tasks
from eapart.progress import Progress
from eapart.report import build_report, engine_seconds, summary_lines
from eapart.stable_codes import carry_codes, read_previous

#: What the report names as the partition engine.
ENGINE = (
    "eapart cells + recursive spanning-tree bisection with boundary refinement "
    "(eapart.partition.regions.split)"
)


@dataclass
class RunResult:
    """What a run made: where, the report, stage times, and the closing summary.

    ``timings`` are wall seconds per pipeline stage; ``engine_timings`` the engine's
    own stages (tessellate, graph, partition, dissolve) summed over townships,
    which is CPU time when townships ran in parallel.
    """

    out: Path
    report: dict
    timings: dict[str, float] = field(default_factory=dict)
    engine_timings: dict[str, float] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)


def bundled_sample() -> Path:
    """The small county shipped with eapart, used when no input is given."""
    from eapart.synthetic.county import sample_path

    return sample_path()


def run(cfg: RunConfig, progress: Progress | None = None) -> RunResult:
    """Read, partition and write the contract's outputs into ``cfg.out``.

    The output directory appears whole at the end, or not at all.
    """
    progress = progress or Progress(quiet=True)
    if cfg.out is None:
        raise UsageError("say where the results go: --out DIR")
    if cfg.input is None and not cfg.layers:
        cfg.input = bundled_sample()
    cfg.validate()
    check_destination(Path(cfg.out), cfg.force)
    if cfg.edits is not None and cfg.previous is None:
        raise UsageError("--edits applies to an earlier output: give it with --previous OUT "
                         "(or use `eapart edit apply OUT EDITS --out NEW`)")
    with progress.stage("read inputs"):
        inputs = read_inputs(cfg)
    if cfg.previous is not None:
        return _rerun(cfg, inputs, progress)
    note = derive_target(inputs, cfg)
    if note:
        inputs.notes.append(note)
    tasks = plan_tasks(inputs, cfg)
    with progress.stage("partition", total=len(tasks)) as advance:
        results = map_townships(partition_township, tasks, jobs=cfg.jobs,
                                scheduler=cfg.scheduler, advance=advance)
    previous = read_previous(cfg.keep_codes_from) if cfg.keep_codes_from else None
    with progress.stage("assemble"):
        layers = assemble(inputs, results)
        carried = None
        if previous is not None:
            carried = carry_codes(layers, previous, inputs.villages is not None)
        quality = county_summary(results, tasks[0].params) if tasks else {}
        report = build_report(cfg, inputs, layers, results, ENGINE, quality)
        if carried is not None:
            report["codes_kept"] = carried.summary()
        layers[REGISTRY_LAYER] = fresh_registry(layers)
    with atomic_directory(Path(cfg.out), force=cfg.force) as tmp:
        with progress.stage("write"):
            write_outputs(tmp, layers, report, cfg)
        if cfg.maps:
            from eapart.review.pages import build_review_maps

            with progress.stage("review maps") as advance:
                build_review_maps(tmp, basemap=cfg.basemap, attribution=cfg.attribution,
                                  progress=lambda done, total: advance(1))
        if cfg.formats:
            from eapart.io.export import export

            with progress.stage("export"):
                export(tmp, cfg.formats, encoding=cfg.encoding or "UTF-8")
    summary = summary_lines(report, Path(cfg.out), progress.timings)
    return RunResult(out=Path(cfg.out), report=report, timings=dict(progress.timings),
                     engine_timings=engine_seconds(results), summary=summary)


def _rerun(cfg: RunConfig, inputs, progress: Progress) -> RunResult:
    """A ``--previous`` run: redraw only the small areas whose buildings changed."""
    from eapart.edits.edition import write_edition
    from eapart.edits.rerun import rerun_plan

    with progress.stage("compare with previous"):
        plan = rerun_plan(inputs, Path(cfg.previous), cfg.edits)
    source = "inputs" + (f" + {Path(cfg.edits).name}" if cfg.edits else "")
    report = write_edition(plan, Path(cfg.out), force=cfg.force, maps=cfg.maps,
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
    with atomic_directory(outdir / "map", owned=True) as staging:
        work = staging / ".work"
        work.mkdir()
        for name in (GPKG_NAME, REPORT_NAME):
            (work / name).symlink_to((outdir / name).resolve())
        pages = build_review_maps(work, basemap=basemap, attribution=attribution,
                                  progress=progress)
        built = work / "map"
        for item in built.iterdir():
            item.rename(staging / item.name)
        shutil.rmtree(work)
    return [outdir / "map" / page.relative_to(built) for page in pages]


def write_outputs(directory: Path, layers: dict, report: dict, cfg: RunConfig) -> None:
    """The contract's files: the GeoPackage (with QGIS styles), report and summary."""
    from eapart import __version__
    from eapart.io.qgis_styles import add_qgis_styles

    gpkg = directory / GPKG_NAME
    write_geopackage(gpkg, layers)
    add_qgis_styles(gpkg, parameters=report["parameters"], version=__version__)
    write_report(directory / REPORT_NAME, report)
    write_summary(directory / SUMMARY_NAME, layers["small_areas"])
