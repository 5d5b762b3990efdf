"""The ``eapart`` command: parse options, show progress, call the pipeline.

Exit codes: 0 success, 1 invalid input, 2 usage error, 3 finished with flagged
exceptions when ``--strict`` is given (see :mod:`eapart.errors`).
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import click

from eapart.config import Columns, RunConfig
from eapart.domain.schema import INPUT_LAYERS
from eapart.errors import (
    EXIT_FLAGGED,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EapartError,
    OutputError,
    UsageError,
    is_write_refused,
    unexpected_message,
)

# Only click, the contract's names and the config's dataclasses load with this module:
# ``eapart --help`` must stay quick, so each command imports what it needs (progress
# bars, the engine, geopandas) when it runs.

#: At exit, the cyclic collector skips every object still alive: the interpreter's
#: teardown otherwise walks all of them (pandas, geopandas, pyproj, the run's frames)
#: once more, about 0.25 s of a run's 0.3 s shutdown, to free memory the operating
#: system takes back anyway. Registered first, so it runs after every other exit handler.
atexit.register(gc.freeze)

#: The roles ``--column ROLE=NAME`` can map: the fields of :class:`~eapart.config.Columns`.
_COLUMN_ROLES = tuple(f.name for f in dataclasses.fields(Columns))


def _errors_to_exit_codes(func: Callable) -> Callable:
    """Turn eapart's errors into a one-line message and their exit code."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        from eapart.io.atomic import terminate_unwinds

        try:
            # SIGTERM unwinds like Ctrl-C, so worker pools stop and temporaries go.
            with terminate_unwinds():
                return func(*args, **kwargs)
        except EapartError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (SystemExit, click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - a message, never a traceback
            if os.environ.get("EAPART_TRACEBACK"):
                import traceback

                traceback.print_exc()
            click.echo(f"error: {unexpected_message(exc)}", err=True)
            sys.exit(EXIT_INPUT if is_write_refused(exc) else EXIT_INTERNAL)
        except KeyboardInterrupt:
            click.echo("interrupted: the output directory is as it was before, or complete",
                       err=True)
            _forget_unhandled_interrupt()
            sys.exit(130)

    return wrapper


def _forget_unhandled_interrupt() -> None:
    """Make a handled Ctrl-C end the process with 130, as it says.

    CPython 3.11 remembers a KeyboardInterrupt that left an ``exec()`` of a string
    (dataclasses and namedtuples build their methods that way, so a Ctrl-C during
    an import can land there) and, even when the program handled it, ends the
    process by SIGINT at exit (status -2 instead of 130). Evaluating any string
    resets that memory (``run_eval_code_obj`` clears it on entry).
    """
    exec("pass")  # noqa: S102 - a constant string, to reset the interpreter's flag


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, param, value: _show_version(ctx, value),
              help="Show the version and exit.")
def main() -> None:
    """Cut a county's buildings into census areas and small areas.

    \b
    Quick start:
      eapart run --out out/                 # the bundled sample county
      eapart run county.gpkg --out out/     # your county (layers as in the contract)
      eapart sample big.gpkg                # a synthetic county of 61,310 buildings
    """


def _show_version(ctx: click.Context, value: bool) -> None:
    """``--version``: as ``click.version_option`` prints it, with the version read only now."""
    if not value or ctx.resilient_parsing:
        return
    from eapart import __version__

    click.echo(f"eapart, version {__version__}", color=ctx.color)
    ctx.exit()


# --- eapart run ------------------------------------------------------------------------

def _layer_options(func: Callable) -> Callable:
    for layer in reversed(INPUT_LAYERS):
        func = click.option(
            f"--{layer}", f"layer_{layer}", metavar="FILE[:LAYER]",
            help=f"Read the {layer} layer from this file (any OGR format or CSV).",
        )(func)
    return func


@main.command("run")
@click.argument("input", required=False, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="Output directory (written whole at the end).")
@_layer_options
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="TOML file holding any parameter of the run; options given here win.")
@click.option("--column", "columns", multiple=True, metavar="ROLE=NAME",
              help="Map a column, e.g. --column households=HU (roles: "
              + ", ".join(_COLUMN_ROLES) + ").")
@click.option("--encoding", help="Code page of Shapefiles/CSV without a .cpg, e.g. GBK.")
@click.option("--csv-crs", help="CRS of CSV coordinates, e.g. EPSG:4490.")
@click.option("--county-code", help="6-digit county code, used to number townships.")
@click.option("--target-households", type=float, help="Households per small area [80].")
@click.option("--min-households", type=float, help="Minimum households [target - 20%].")
@click.option("--max-households", type=float, help="Maximum households [target + 20%].")
@click.option("--target-persons", type=float, help="Balance persons instead, with this target.")
@click.option("--min-persons", type=float, help="Minimum persons per small area.")
@click.option("--max-persons", type=float, help="Maximum persons per small area.")
@click.option("--total-households", type=float,
              help="The county's households: calibrates estimated households (townships "
              "with their own population/households total keep it).")
@click.option("--total-persons", type=float,
              help="The county's persons: calibrates estimated households, as "
              "--total-households does.")
@click.option("--small-areas", type=int, help="Small areas for the whole county (e.g. 3316).")
@click.option("--census-areas", type=int,
              help="Census areas for the county when no villages layer is given.")
@click.option("--census-area-households", type=float,
              help="Households per census area when the tool forms them [7.5 x target].")
@click.option("--allow-barrier-crossing", is_flag=True, default=None,
              help="Let an isolated group below the minimum join a neighbour across a barrier.")
@click.option("--join-isolated-below", type=float, metavar="SHARE",
              help="A group cut off by barriers lighter than SHARE x the minimum joins its "
              "cheapest neighbour across the barrier, flagged joined_across_barrier [0: never].")
@click.option("--institution-types", metavar="TYPE,...",
              help="Building types kept as small areas of their own (dormitory,barracks,...).")
@click.option("--seed", type=int, help="Random seed; the same input and seed give the same result.")
@click.option("--keep-codes-from", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="An earlier output (may be --out itself): areas that hold mostly the same "
              "buildings keep their codes.")
@click.option("--min-placed-share", type=float,
              help="Fail when fewer than this share of the buildings lie in a township [0.01].")
@click.option("--previous", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="An earlier output: keep its areas and codes, redraw only the small areas "
              "whose buildings changed (and what --edits asks); writes changes.csv.")
@click.option("--edits", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="An edits file (edits.csv or .json) to apply on --previous.")
@click.option("--formats", metavar="FMT,...",
              help="Also export: gpkg,shp,geojson,parquet,fgb,csv,xlsx.")
@click.option("--language", type=click.Choice(["zh", "en"]),
              help="Headers of the exported workbook: zh (Chinese, default) or en.")
@click.option("--gpkg-version", type=click.Choice(["1.2", "1.3", "1.4"]),
              help="GeoPackage version written [1.2: opens in QGIS 3.22 and ArcGIS Pro 3 "
              "without a warning].")
@click.option("--basemap", help="Review-map basemap: none (default), osm, or an XYZ URL.")
@click.option("--attribution", help="Credit line shown for an XYZ basemap.")
@click.option("--no-maps", is_flag=True, help="Skip the HTML review maps.")
@click.option("--jobs", "-j", type=int, help="Local processes for townships [all cores].")
@click.option("--scheduler", metavar="ADDRESS", help="Run townships on this Dask scheduler.")
@click.option("--force", is_flag=True, help="Replace an existing eapart output directory.")
@click.option("--strict", is_flag=True,
              help="Exit with code 3 when any small area carries a flag of severity 'problem'.")
@click.option("--strict-flags", metavar="FLAG,...",
              help="Exit with code 3 when any small area carries one of these flags "
              "(e.g. crosses_major_road,oversize); implies --strict.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress or summary; errors and warnings only.")
@_errors_to_exit_codes
def run_command(input, out, config_file, columns, quiet, strict, **options) -> None:  # noqa: A002
    """Cut INPUT (a GeoPackage with the contract's layers) into census areas and small areas.

    With no INPUT and no layer options, the bundled sample county is used.

    \b
    Examples:
      eapart run county.gpkg --out out/ --county-code 420117
      eapart run --buildings b.shp --townships t.shp --encoding GBK --out out/
      eapart run county.gpkg --out out/ --small-areas 3316 --formats shp,xlsx
    """
    from eapart.forkserver import start_workers_early

    cfg = build_config(input, out, config_file, columns, strict=strict, **options)
    start_workers_early(cfg.jobs, cfg.scheduler)  # its engine import overlaps ours
    from eapart.api import run
    from eapart.progress import Progress
    from eapart.report import warning_lines

    chosen = _strict_flags(cfg.strict_flags)
    progress = Progress(quiet=quiet)
    with _imports_frozen():
        result = run(cfg, progress)
    if not quiet:
        click.echo("\n".join(result.summary))
    for line in warning_lines(result.report):
        click.echo(line, err=True)
    if cfg.strict or chosen:
        _exit_if_flagged(result.report, chosen)


@contextmanager
def _imports_frozen() -> Iterator[None]:
    """Keep the objects alive now (the modules just imported) out of the cyclic collector.

    A run allocates enough for a few full collections, and each walked the
    engine's modules again (pandas, geopandas, pyproj: about 0.1 s of the main
    process's serial time); they are given back to it afterwards.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _strict_flags(names: tuple[str, ...]) -> list[str]:
    """The flag names of ``--strict-flags``, checked (a usage error names the known ones)."""
    from eapart.domain.flags import check_names

    try:
        return check_names(names)
    except ValueError as error:
        raise UsageError(f"--strict-flags: {error}") from None


def _exit_if_flagged(report: dict, chosen: list[str]) -> None:
    """Exit 3 when small areas carry a problem flag (or one of ``chosen``), saying how many."""
    if chosen:
        counts = {name: report["flags"].get(name, 0) for name in chosen}
        hits = {name: n for name, n in counts.items() if n}
        what = ", ".join(f"{name} {n}" for name, n in hits.items())
    else:
        hits = {"problem": report["problem_small_areas"]} if report["problem_small_areas"] else {}
        what = f"{report['problem_small_areas']} small area(s) with a problem flag"
    if hits:
        click.echo(f"strict: {what}; exit code {EXIT_FLAGGED}", err=True)
        sys.exit(EXIT_FLAGGED)


def build_config(input, out, config_file, columns, **options) -> RunConfig:  # noqa: A002
    """A :class:`RunConfig` from the config file (if any) overlaid with the options given."""
    from eapart.config import RunConfig, load_config
    from eapart.domain.schema import CLI, parameters
    from eapart.options import Where, check

    cfg = load_config(config_file) if config_file else RunConfig()
    if input is not None:
        cfg.input = input
    cfg.out = out
    for layer in INPUT_LAYERS:
        source = options.pop(f"layer_{layer}", None)
        if source:
            cfg.layers[layer] = source
    for item in columns:
        role, sep, name = item.partition("=")
        if not sep or role not in _COLUMN_ROLES:
            raise UsageError(f"--column takes ROLE=NAME with ROLE one of {', '.join(_COLUMN_ROLES)}"
                             f"; got {item!r}")
        setattr(cfg.columns, role, name)
    for user, parameter in parameters(CLI).items():
        value = options.pop(user, None)
        if value is None or value is False or (value == "" and parameter.kind is tuple):
            continue
        value = check(user, value, Where.option(user))
        cfg.given.add(user)
        if user == "institution_types":
            value = tuple(t.lower() for t in value)
        elif user == "formats":
            from eapart.io.export import parse_formats

            value = tuple(parse_formats(value))
        cfg.set_parameter(parameter, value)
    share = options.pop("min_placed_share", None)
    if share is not None:
        cfg.min_placed_share = check("min_placed_share", share, Where.option("min_placed_share"))
    if options.pop("no_maps", False):
        cfg.maps = False
    return cfg


# --- eapart sample ---------------------------------------------------------------------

@main.command("sample")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--buildings", "n_buildings", type=int, default=61_310, show_default=True,
              help="Number of buildings.")
@click.option("--townships", "n_townships", type=int, default=20, show_default=True,
              help="Number of townships.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--county-code", default="420117", show_default=True, help="6-digit county code.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@click.option("--quiet", "-q", is_flag=True, help="No progress; errors still go to stderr.")
@_errors_to_exit_codes
def sample_command(out, n_buildings, n_townships, seed, county_code, force, quiet) -> None:
    """Write a synthetic county (the input contract's layers) to the GeoPackage OUT.

    \b
    Example:
      eapart sample county.gpkg --buildings 61310 --townships 20 --seed 0
    """
    from eapart.io.atomic import write_errors_named
    from eapart.options import Where, check
    from eapart.progress import Progress, display_path
    from eapart.synthetic.county import make_county, write_county

    if n_buildings < 1 or n_townships < 1:
        raise UsageError("--buildings and --townships must be at least 1")
    check("county_code", county_code, Where.option("county_code"))
    if out.is_dir():
        raise OutputError(f"{out.name} is a directory: give the GeoPackage file to write")
    if out.exists() and not force:
        raise OutputError(f"{out.name} exists: eapart sample never replaces a file unasked. "
                          "Pass --force to replace it, or choose another name.")
    progress = Progress(quiet=quiet)
    with progress.stage("generate"):
        layers = make_county(n_buildings=n_buildings, n_townships=n_townships, seed=seed,
                             county_code=county_code)
    with progress.stage("write"), write_errors_named(out.absolute()):
        write_county(out, layers)
    progress.message(
        f"Wrote {display_path(out)}: {len(layers['buildings']):,} buildings, "
        f"{len(layers['townships'])} townships, {len(layers.get('villages', ()))} villages."
    )


# --- eapart batch ----------------------------------------------------------------------

@main.command("batch")
@click.argument("manifest", metavar="MANIFEST")
@click.option("--summary", metavar="PATH|URL",
              help="National summary table [national_summary.csv beside the manifest].")
@click.option("--jobs", "-j", type=int,
              help="Local processes per county, without a cluster [all cores].")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run each county as a task on this Dask scheduler (tcp://host:8786).")
@click.option("--cluster", metavar="local:N",
              help="Start a local Dask cluster of N workers for the batch, one county each.")
@click.option("--spread-townships", is_flag=True,
              help="On a cluster, run each county's townships as tasks too (few counties).")
@click.option("--formats", metavar="FMT,...", help="Also export these formats per county.")
@click.option("--no-maps", is_flag=True, help="Skip the HTML review maps.")
@click.option("--force", is_flag=True, help="Redo counties whose output is already complete.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress; failed counties and errors still go to stderr.")
@_errors_to_exit_codes
def batch_command(manifest, summary, jobs, scheduler, cluster, spread_townships, formats,
                  no_maps, force, quiet) -> None:
    """Run every county of MANIFEST (CSV: input, county_code, out, optional parameters).

    Paths may be local or fsspec URLs (s3://bucket/key). A county whose output is
    complete is skipped, so an interrupted batch resumes. A national summary
    table is written after every county and a progress line printed to stderr.

    \b
    Example manifest:
      input,county_code,out,target_households
      counties/420117.gpkg,420117,results/420117,80
      s3://census/420102.gpkg,420102,s3://census/results/420102,100
    """
    from eapart.batch import BatchOptions, run_batch
    from eapart.batch_progress import NationalProgress
    from eapart.io.export import parse_formats

    if scheduler and cluster:
        raise UsageError("give --scheduler or --cluster, not both")
    if cluster:
        from eapart.national import parse_cluster

        parse_cluster(cluster)
    if spread_townships and not (scheduler or cluster):
        raise UsageError("--spread-townships needs --scheduler or --cluster")
    options = BatchOptions(jobs=jobs, scheduler=scheduler, cluster=cluster, maps=not no_maps,
                           force=force, spread_townships=spread_townships,
                           formats=tuple(parse_formats(formats)) if formats else ())

    def report(row: dict) -> None:
        if not quiet:
            extra = f": {row['message']}" if row["message"] else ""
            click.echo(f"{row['county_code'] or row['input']}: {row['status']}{extra}")

    # The progress line goes to stderr unless quiet; a failed county's warning always.
    progress = NationalProgress(0, quiet=quiet)
    table = run_batch(manifest, options, summary, on_county=report, progress=progress)
    failed = int((table["status"] == "failed").sum())
    if not quiet:
        done = int((table["status"] == "done").sum())
        skipped = int(table["status"].str.startswith("skipped").sum())
        click.echo(f"{len(table)} counties: {done} done, {skipped} skipped (complete), "
                   f"{failed} failed.")
    if failed:
        sys.exit(1)


# --- eapart map / export / sheets -------------------------------------------------------

@main.command("map")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--basemap", default=None, help="none (default), osm, or an XYZ tile URL.")
@click.option("--attribution", default=None, help="Credit line shown for an XYZ basemap.")
@click.option("--quiet", "-q", is_flag=True, help="No progress; errors still go to stderr.")
@_errors_to_exit_codes
def map_command(outdir, basemap, attribution, quiet) -> None:
    """Rebuild the review maps (OUTDIR/map/) from an existing output.

    \b
    Examples:
      eapart map out/                       # no basemap: works with no network
      eapart map out/ --basemap osm
      eapart map out/ --basemap 'https://t{s}.tianditu.gov.cn/vec_w/wmts?...&tk=KEY'
    """
    from eapart.api import rebuild_maps
    from eapart.progress import Progress, display_path

    progress = Progress(quiet=quiet)
    with output_in_use(outdir), progress.stage("review maps") as advance:
        pages = rebuild_maps(outdir, basemap=basemap, attribution=attribution,
                             progress=lambda d, t: advance(1))
    progress.message(f"Wrote {len(pages)} page(s); open {display_path(outdir)}/map/index.html")


@main.command("export")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--format", "formats", default="gpkg,shp,geojson,parquet,fgb,csv,xlsx",
              show_default=True, help="Comma-separated formats.")
@click.option("--encoding", default="UTF-8", show_default=True,
              help="Shapefile code page: UTF-8, or GBK for older ArcGIS.")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Workbook headers: zh (Chinese, for a census office) or en (English).")
@click.option("--gpkg-version", type=click.Choice(["1.2", "1.3", "1.4"]), default="1.2",
              show_default=True,
              help="GeoPackage version: 1.2 opens in QGIS 3.22 and ArcGIS Pro 3 without a warning.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress; errors and warnings still go to stderr.")
@_errors_to_exit_codes
def export_command(outdir, formats, encoding, language, gpkg_version, quiet) -> None:
    """Export an output's layers and tables for QGIS, ArcGIS and Excel (OUTDIR/export/).

    \b
    Example:
      eapart export out/ --format shp,xlsx --encoding GBK --language zh
    """
    from eapart.io.export import export, parse_formats
    from eapart.progress import Progress, display_path

    wanted = parse_formats(formats)
    progress = Progress(quiet=quiet)
    with output_in_use(outdir), progress.stage("export"):
        paths = export(outdir, wanted, encoding=encoding, language=language,
                       gpkg_version=gpkg_version)
    progress.message(f"Wrote {len(paths)} file(s) in {display_path(outdir)}/export")


@main.command("sheets")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--codes", multiple=True, metavar="CODE,...",
              help="Only these small areas, census areas or townships (commas, or repeat).")
@click.option("--by", "by", default="census-area", show_default=True, metavar="GROUPING",
              help="One PDF pack per census-area, small-area, or enumerator "
                   "(after `eapart assign`).")
@click.option("--jobs", "-j", type=int, default=None, help="Processes [all cores].")
@click.option("--quiet", "-q", is_flag=True, help="No progress; errors still go to stderr.")
@_errors_to_exit_codes
def sheets_command(outdir, codes, by, jobs, quiet) -> None:
    """Print enumerator packs (OUTDIR/sheets/): index, maps, building list, register.

    \b
    Each small area gets the map of its whole area, detail maps where its
    buildings cluster too tightly to number at that scale, a building list
    (建筑物清单) and a pre-numbered household register (户主姓名底册).
    Examples:
      eapart sheets out/
      eapart sheets out/ --by small-area --codes 420117001001,420117001002
    """
    from eapart.progress import Progress, display_path
    from eapart.sheets.packs import make_sheets

    wanted = [code.strip() for value in codes for code in value.split(",") if code.strip()]
    progress = Progress(quiet=quiet)
    with output_in_use(outdir), progress.stage("sheets") as advance:
        result = make_sheets(outdir, wanted or None, by=by, jobs=jobs,
                             progress=lambda done, total: advance(1))
    for line in result.summary():
        if line.startswith("WARNING"):
            click.echo(line, err=True)  # warnings survive --quiet
        else:
            progress.message(line)
    progress.message(f"Wrote {len(result.paths)} PDF file(s) in {display_path(outdir)}/sheets")


# --- eapart edit / diff -----------------------------------------------------------------

@main.group("edit")
def edit_group() -> None:
    """Correct an output: check or apply an edits file (edits.csv or edits.json).

    \b
    Examples:
      eapart edit template out/ edits.csv     # an empty file tied to out/
      eapart edit check out/ edits.csv        # what each line will do; exit 1 if refused
      eapart edit apply out/ edits.csv --out out2/
    """


@edit_group.command("template")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("edits", type=click.Path(path_type=Path, dir_okay=False))
@_errors_to_exit_codes
def edit_template_command(outdir, edits) -> None:
    """Write an empty EDITS file (CSV or JSON by its suffix) tied to OUTDIR."""
    from eapart.domain.areas import Areas
    from eapart.edits.format import fingerprint, write_edits_csv, write_edits_json
    from eapart.progress import display_path

    if edits.exists():
        raise UsageError(f"{edits.name} exists: choose another name, or edit it")
    made_on = fingerprint(Areas.read(outdir, ("buildings",), geometry=False).buildings)
    writer = write_edits_json if edits.suffix.lower() == ".json" else write_edits_csv
    writer(edits, made_on, [])
    click.echo(f"Wrote {display_path(edits)} (made_on {made_on})")


@edit_group.command("check")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("edits", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_errors_to_exit_codes
def edit_check_command(outdir, edits) -> None:
    """Say, line by line, what each edit of EDITS will do to OUTDIR, or why it is refused.

    Exits 1 when any line is refused (then `edit apply` applies nothing).
    """
    from eapart.edits.edition import check_file

    plan = check_file(outdir, edits)
    for v in plan.verdicts:
        status = f"REFUSED: {v.refused}" if v.refused else v.effect
        click.echo(f"line {v.edit.line} ({v.edit.id}, {v.edit.op}): {status}")
    refused = plan.refused
    click.echo(f"{len(plan.verdicts)} edit(s): {len(plan.verdicts) - len(refused)} ok, "
               f"{len(refused)} refused.")
    if refused:
        sys.exit(1)


@edit_group.command("apply")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("edits", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--out", "-o", "new_out", type=click.Path(path_type=Path), required=True,
              help="Where the edited output goes (may be OUTDIR itself, with --force).")
@click.option("--force", is_flag=True, help="Replace an existing eapart output directory.")
@click.option("--no-maps", is_flag=True, help="Skip the HTML review maps.")
@click.option("--quiet", "-q", is_flag=True, help="No progress, only errors.")
@_errors_to_exit_codes
def edit_apply_command(outdir, edits, new_out, force, no_maps, quiet) -> None:
    """Apply every line of EDITS to OUTDIR and write the next edition to --out.

    All lines apply or none do. Locked and untouched areas come back exactly as
    they were; only the small areas an edit touches are redrawn.
    """
    from eapart.edits.edition import apply_file
    from eapart.progress import Progress, display_path

    progress = Progress(quiet=quiet)
    plan, report = apply_file(outdir, edits, new_out, force=force, maps=not no_maps,
                              progress=progress)
    last = report["code_history"][-1]
    click.echo(f"Applied {len(plan.verdicts)} edit(s): edition {report['edition']}, "
               f"{report['edits']['redrawn_small_areas']} small area(s) redrawn; codes "
               + ", ".join(f"{k} {last[k]}" for k in ("U", "S", "M", "X", "N", "R")))
    click.echo(f"Flagged: {report['flagged_small_areas']} small area(s) "
               f"(see {display_path(new_out)}/summary.csv and changes.csv).")


@main.command("diff")
@click.argument("old", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("new", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--out", "-o", "table", type=click.Path(path_type=Path, dir_okay=False),
              help="Where changes.csv goes [NEW/changes.csv].")
@_errors_to_exit_codes
def diff_command(old, new, table) -> None:
    """Write changes.csv: how each small area code of OLD became the codes of NEW."""
    from eapart.domain.areas import Areas
    from eapart.domain.schema import SMALL_AREA_CODE
    from eapart.edits.changes import CHANGES_NAME, change_counts, code_changes, write_changes
    from eapart.progress import display_path

    before = Areas.read(old, ("buildings", "small_areas"), geometry=False)
    after = Areas.read(new, ("buildings", "small_areas"), geometry=False)
    changes = code_changes(before.buildings, after.buildings, None,
                           before.small_areas[SMALL_AREA_CODE],
                           after.small_areas[SMALL_AREA_CODE])
    path = table or Path(new) / CHANGES_NAME
    write_changes(path, changes)
    counts = change_counts(changes)
    click.echo(f"Wrote {display_path(path)}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


# --- eapart assign ----------------------------------------------------------------------

@main.command("assign")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--staff", "staff_list", type=click.Path(path_type=Path, dir_okay=False),
              help="Staff list CSV (id, name, role, township, home, capacity, available).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="TOML run file; its [staff] table holds the norms.")
@click.option("--households-per-enumerator", type=float, help="Norm per enumerator [80].")
@click.option("--persons-per-enumerator", type=float, help="Norm per enumerator [250].")
@click.option("--measure", type=click.Choice(["households", "persons", "both"]),
              help="Balance on households [default], persons, or whichever fills first.")
@click.option("--enumerators-per-supervisor", type=int, help="Team size norm [5].")
@click.option("--tolerance", type=float, help="Share either side of the norm [0.2].")
@click.option("--keep-census-areas", is_flag=True,
              help="Never join a census area too small for a workload with a neighbour.")
@click.option("--previous-assignments", type=click.Path(path_type=Path, dir_okay=False),
              help="An earlier assignments.csv [OUTDIR/assignments.csv when present].")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@_errors_to_exit_codes
def assign_command(outdir, staff_list, config_file, quiet, previous_assignments,
                   keep_census_areas, **norms) -> None:
    """Give every small area of OUTDIR an enumerator and every enumerator a supervisor.

    \b
    Examples:
      eapart assign out/                              # workloads and teams, no names
      eapart assign out/ --staff staff.csv            # a named person on each
      eapart assign out/ --households-per-enumerator 100 --enumerators-per-supervisor 4
    """
    from eapart.config import RunConfig, load_config
    from eapart.progress import Progress
    from eapart.staff.assign import assign

    staff_norms = load_config(config_file).staff if config_file else RunConfig().staff
    for name, value in norms.items():
        if value is not None:
            setattr(staff_norms, name, value)
    if keep_census_areas:
        staff_norms.join_small_census_areas = False
    result = assign(outdir, staff_norms, staff_list, previous_assignments,
                    Progress(quiet=quiet))
    for line in result.summary:
        if quiet and not line.startswith("Warning:"):
            continue
        click.echo(line, err=line.startswith("Warning:"))


@contextmanager
def output_in_use(outdir: Path) -> Iterator[None]:
    """Hold the output's lock (no run replaces it meanwhile) and name damage clearly."""
    from eapart.io.atomic import real_destination
    from eapart.io.damage import reading_output
    from eapart.io.lock import destination_lock

    with reading_output(outdir), destination_lock(real_destination(outdir)):
        yield


if __name__ == "__main__":  # pragma: no cover
    main()
