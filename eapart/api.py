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
from eapart.errors import InputError, UsageError
from eapart.executors import map_townships
from eapart.io.atomic import (
    atomic_directory,
    check_destination,
    is_eapart_output,
    real_destination,
    refuse_inputs_inside,
)
from eapart.io.lock import destination_lock
from eapart.io.read import read_inputs
from eapart.io.sources import split_source
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
from eapart.pipeline import assemble, count_shortfalls, derive_target, plan_tasks
from eapart.progress import Progress
from eapart.report import build_report, engine_seconds, summary_lines
from eapart.stable_codes import carry_codes, check_previous, read_previous

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
    if cfg.keep_codes_from is not None and \
            real_destination(cfg.keep_codes_from) != real_destination(cfg.out):
        inputs["--keep-codes-from"] = Path(cfg.keep_codes_from)
    return inputs


def _run_locked(cfg: RunConfig, final: Path, progress: Progress) -> RunResult:
    previous = read_previous(cfg.keep_codes_from) if cfg.keep_codes_from else None
    with progress.stage("read inputs"):
        inputs = read_inputs(cfg)
    note = derive_target(inputs, cfg)
    if note:
        inputs.notes.append(note)
    tasks = plan_tasks(inputs, cfg)
    with progress.stage("partition", total=len(tasks)) as advance:
        results = map_townships(partition_township, tasks, jobs=cfg.jobs,
                                scheduler=cfg.scheduler, advance=advance)
    with progress.stage("assemble"):
        layers = assemble(inputs, results)
        carried = None
        if previous is not None:
            matched = check_previous(previous, layers["buildings"])
            carried = carry_codes(layers, previous, inputs.villages is not None)
        inputs.warnings.extend(count_shortfalls(cfg, tasks, layers))
        quality = county_summary(results, tasks[0].params) if tasks else {}
        report = build_report(cfg, inputs, layers, results, ENGINE, quality)
        if carried is not None:
            report["codes_kept"] = {**carried.summary(), "matched": matched}
    with atomic_directory(final, force=cfg.force) as tmp:
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
