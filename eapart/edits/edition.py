"""The next edition of an output: edits applied, written whole with its change log.

An edition is a complete output directory (the same files as ``eapart run``) plus
``edits_applied.csv`` (each line of the edits file, what it did), ``changes.csv``
(:mod:`eapart.edits.changes`) and the code registry inside ``eapart.gpkg``.
The report's ``edition`` counts editions from 0 (the first run); ``code_history``
lists the changes of every edition so far.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from eapart.domain.areas import Areas
from eapart.domain.schema import GPKG_NAME
from eapart.edits.apply import apply_plan, updated_report
from eapart.edits.changes import (
    CHANGES_NAME,
    change_counts,
    code_changes,
    codes_kept,
    write_changes,
)
from eapart.edits.check import Plan, plan_edits
from eapart.edits.format import read_edits
from eapart.edits.registry import REGISTRY_LAYER, write_registry
from eapart.edits.state import read_output
from eapart.io.atomic import atomic_directory, check_destination
from eapart.progress import Progress

EDITS_APPLIED_NAME = "edits_applied.csv"


def check_file(outdir: Path, edits_path: Path) -> Plan:
    """Read ``outdir`` and ``edits_path`` and check every line (nothing is written)."""
    return plan_edits(read_output(outdir), read_edits(edits_path))


def causes(plan: Plan) -> dict[str, list[str]]:
    """Per small-area code (old or new), the ids of the edits that changed it."""
    out: dict[str, list[str]] = {k: list(v) for k, v in plan.blame.items()}
    return out


def write_edition(plan: Plan, new_out: Path, *, force: bool = False, maps: bool = True,
                  progress: Progress | None = None, source: str = "") -> dict:
    """Apply ``plan`` and write the next edition into ``new_out``; returns its report."""
    progress = progress or Progress(quiet=True)
    output = plan.output
    check_destination(Path(new_out), force)
    edition = int(output.report.get("edition", 0)) + 1
    with progress.stage("apply edits"):
        layers = apply_plan(plan, edition)
    why = causes(plan)
    for label, code in plan.code_of.items():
        if "#" in label:
            why.setdefault(code, []).append(label.rsplit("#", 1)[0])
    before = output.extras.get("previous_buildings", output.layers["buildings"])
    changes = code_changes(before, layers["buildings"], why,
                           output.layers["small_areas"]["small_area_code"],
                           layers["small_areas"]["small_area_code"])
    kept = codes_kept(before, layers["buildings"])
    history = list(output.report.get("code_history", []))
    history.append({"edition": edition, "source": source, **change_counts(changes)})
    report = updated_report(output.report, layers, output.band, {
                                "edition": edition, "code_history": history,
                                "code_stability": kept,
                                **output.extras.get("report", {}),
                                "edits": {"source": source,
                                          "applied": sum(1 for v in plan.verdicts),
                                          "redrawn_small_areas":
                                              int(sum(len(t) for t in plan.touched.values()))},
                            })
    _township_codes_kept(report, kept)
    registry = layers.pop(REGISTRY_LAYER)
    areas = Areas.from_layers(layers, parameters=output.report.get("parameters", {}),
                              report=report)
    with atomic_directory(Path(new_out), force=force) as tmp:
        with progress.stage("write"):
            areas.to_file(tmp)
            write_registry(tmp / GPKG_NAME, registry)
            write_changes(tmp / CHANGES_NAME, changes)
            write_applied(tmp / EDITS_APPLIED_NAME, plan)
        if maps:
            from eapart.review.pages import build_review_maps

            with progress.stage("review maps") as advance:
                build_review_maps(tmp, progress=lambda done, total: advance(1))
    return report


def _township_codes_kept(report: dict, kept: dict) -> None:
    for row in report.get("per_township", []):
        mine = kept["per_township"].get(row["township_code"])
        if mine:
            row["code_stability"] = mine


def write_applied(path: Path, plan: Plan) -> None:
    """``edits_applied.csv``: every line, what it asked, what it did."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["line", "id", "op", "note", "what", "effect"])
    for v in plan.verdicts:
        e = v.edit
        writer.writerow([e.line, e.id, e.op, _safe(e.note), e.describe(), v.effect])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def apply_file(outdir: Path, edits_path: Path, new_out: Path, *, force: bool = False,
               maps: bool = True, progress: Progress | None = None) -> tuple[Plan, dict]:
    """Check and apply ``edits_path`` on ``outdir``, writing ``new_out``."""
    progress = progress or Progress(quiet=True)
    with progress.stage("check edits"):
        plan = check_file(outdir, edits_path)
    report = write_edition(plan, new_out, force=force, maps=maps, progress=progress,
                           source=Path(edits_path).name)
    return plan, report

