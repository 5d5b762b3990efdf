"""Printable A4 packs for enumerators: maps, building lists and household registers.

``make_sheets(outdir)`` writes one PDF per pack into ``outdir/sheets/``. A
pack is a group of small areas (``by``: one per census area, the default, one
per small area, or one per enumerator slot of ``eapart assign``;
:data:`GROUPINGS` maps each name to the one function that groups them, so
adding a grouping is one function). Each pack opens with an index page, then for each small
area in code order: the map of the whole area, its detail maps
(:mod:`eapart.sheets.layout`), the building list and the pre-numbered
household register (:mod:`eapart.sheets.forms`).

``codes`` narrows the work to small areas, census areas (12 digits) or
townships (9). A pack is named after its group (``<census area code>.pdf``)
only when it holds the whole group; a group selected in part is bound per
small area (``<small area code>.pdf``). PDFs are drawn in parallel over packs
on every core (``jobs=None``), each worker reading the output and the run's
font subset once. ``sheets/layout.json`` records every map page: its label
boxes and the pairs of building numbers that overlap (always 0 unless listed
in ``sheets/illegible.csv``, with the pages no layout could make legible).

>>> make_sheets("out", codes=["010101001001"], jobs=1).paths  # doctest: +SKIP
[PosixPath('out/sheets/010101001001.pdf')]
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from eapart.cores import default_jobs
from eapart.domain.areas import Areas
from eapart.domain.codes import CENSUS_AREA_DIGITS, SMALL_AREA_DIGITS, TOWNSHIP_DIGITS
from eapart.domain.schema import (
    CENSUS_AREA_CODE,
    GPKG_NAME,
    SHEETS_DIR,
    SMALL_AREA_CODE,
    TOWNSHIP_CODE,
)
from eapart.errors import UsageError, list_ids
from eapart.executors import die_with
from eapart.io.atomic import replaced_folder
from eapart.sheets.canvas import Canvas
from eapart.sheets.data import SheetData, data_text, load_sheet_data
from eapart.sheets.fonts import find_cjk_font, write_subset_fonts
from eapart.sheets.forms import (
    draw_building_list,
    draw_register,
    form_title,
    list_pages,
    register_pages,
    register_size,
)
from eapart.sheets.index import draw_index
from eapart.sheets.labels import overlapping_pairs
from eapart.sheets.page import (
    FIXED_TEXT,
    PagePlan,
    SheetFonts,
    draw_detail_page,
    draw_map_page,
    plan_maps,
    walking_order,
)
from eapart.sheets.pdf import PdfDocument, PdfFont

LAYOUT_NAME = "layout.json"
ILLEGIBLE_NAME = "illegible.csv"
#: Called as ``progress(done, total)`` in small areas (sheets), after each PDF.
Progress = Callable[[int, int], None]
#: ``grouping(table, outdir)``: the pack of each small area (row of ``table``, which holds
#: the small areas layer's attributes), as a Series of names usable as file names.
Grouping = Callable[[pd.DataFrame, Path], pd.Series]

_DATA: SheetData | None = None  # one per worker process, loaded by _init_worker
_FONTS: SheetFonts | None = None  # the run's font subset, read by _init_worker


def by_census_area(table: pd.DataFrame, outdir: Path) -> pd.Series:
    """One pack per census area."""
    return table[CENSUS_AREA_CODE]


def by_small_area(table: pd.DataFrame, outdir: Path) -> pd.Series:
    """One pack per small area."""
    return table[SMALL_AREA_CODE]


#: ``--by`` names and the function that groups small areas into packs.
GROUPINGS: dict[str, Grouping] = {"census-area": by_census_area, "small-area": by_small_area}


def enumerator_jobs(table: pd.DataFrame, outdir: Path) -> list[SheetJob]:
    """One pack per person of ``eapart assign`` (``assignments.csv``), under
    ``sheets/enumerators/``: a person holding several workloads gets one pack, and a
    small area shared by several enumerators (a tower) is in each of their packs."""
    from eapart.staff.sheets import PACKS_DIR, enumerator_packs

    size = table.set_index(SMALL_AREA_CODE)["buildings"]
    folder = outdir / SHEETS_DIR / PACKS_DIR
    return [SheetJob(folder / f"{stem}.pdf", pack, int(size.reindex(pack).fillna(0).sum()))
            for stem, pack in enumerator_packs(outdir).items()]


#: ``--by`` names whose packs may share a small area: a function giving the jobs whole.
PACK_PLANNERS: dict[str, Callable[[pd.DataFrame, Path], list[SheetJob]]] = {
    "enumerator": enumerator_jobs,
}


@dataclass(frozen=True)
class SheetJob:
    """One PDF to write: its path and the small areas it binds, in code order."""

    path: Path
    codes: tuple[str, ...]
    buildings: int


@dataclass
class SheetsRun:
    """What :func:`make_sheets` wrote and what needs a person's eye."""

    paths: list[Path]
    pages: int
    map_pages: int
    detail_pages: int
    illegible: list[dict]  # one row per map page or small area that is not legible
    register_full: list[str]  # small areas whose estimate fills the 999 register forms

    def summary(self) -> list[str]:
        """Short lines for the end of the run, naming what needs a person's eye."""
        lines = [f"{len(self.paths)} PDF(s), {self.pages} page(s): {self.map_pages} map(s), "
                 f"{self.detail_pages} of them detail maps of clustered buildings."]
        if self.illegible:
            codes = sorted({row[SMALL_AREA_CODE] for row in self.illegible})
            lines.append(f"WARNING: {len(codes)} small area(s) with building numbers that "
                         f"could not be made legible: {list_ids(codes)} "
                         f"(see {SHEETS_DIR}/{ILLEGIBLE_NAME}).")
        if self.register_full:
            lines.append(f"WARNING: {len(self.register_full)} small area(s) estimated at 999 "
                         f"households or more, beyond one register: "
                         f"{list_ids(self.register_full)}.")
        return lines


def _index(outdir: Path) -> pd.DataFrame:
    """Small area codes, their census area and township, and building counts (no geometry)."""
    codes = [SMALL_AREA_CODE, CENSUS_AREA_CODE, TOWNSHIP_CODE]
    table = Areas.read(outdir, ("small_areas",), columns={"small_areas": (*codes, "buildings")},
                       geometry=False).small_areas
    return table.sort_values(SMALL_AREA_CODE).reset_index(drop=True)


def _selected(table: pd.DataFrame, wanted: list[str], outdir: Path) -> pd.Series:
    """Which small areas ``wanted`` (small area, census area or township codes) selects."""
    if not wanted:
        return pd.Series(True, index=table.index)
    columns = {SMALL_AREA_DIGITS: SMALL_AREA_CODE, CENSUS_AREA_DIGITS: CENSUS_AREA_CODE,
               TOWNSHIP_DIGITS: TOWNSHIP_CODE}
    unknown = [c for c in wanted if not (len(c) in columns
                                         and (table[columns.get(len(c), "")] == c).any())]
    if unknown:
        raise UsageError(
            f"--codes {list_ids(unknown)}: not a small area (15 digits), census area (12) "
            f"or township (9) code of {outdir / GPKG_NAME}; see summary.csv for the codes."
        )
    chosen = pd.Series(False, index=table.index)
    for code in wanted:
        chosen |= table[columns[len(code)]] == code
    return chosen


def plan_sheets(outdir: str | Path, codes: Iterable[str] | None = None,
                by: str = "census-area") -> list[SheetJob]:
    """The PDFs to write for ``codes`` (all small areas when ``None``), largest first."""
    if by not in GROUPINGS and by not in PACK_PLANNERS:
        raise UsageError(f"--by {by}: give one of {', '.join([*GROUPINGS, *PACK_PLANNERS])}.")
    outdir = Path(outdir)
    table = _index(outdir)
    folder = outdir / SHEETS_DIR
    wanted = [str(c).strip() for c in codes or () if str(c).strip()]
    if by in PACK_PLANNERS:
        if wanted:
            raise UsageError(f"--by {by} prints every pack: leave --codes out.")
        return sorted(PACK_PLANNERS[by](table, outdir),
                      key=lambda job: (-job.buildings, job.path.name))
    chosen = _selected(table, wanted, outdir)
    packs = GROUPINGS[by](table, outdir).astype(str)
    jobs = []
    for name, group in table.groupby(packs, sort=True):
        picked = group[chosen[group.index]]
        if not len(picked):
            continue
        whole = len(picked) == len(group)
        for key, part in ([(name, picked)] if whole else list(picked.groupby(
                SMALL_AREA_CODE, sort=True))):
            jobs.append(SheetJob(folder / f"{key}.pdf", tuple(part[SMALL_AREA_CODE]),
                                 int(part["buildings"].sum())))
    return sorted(jobs, key=lambda job: (-job.buildings, job.path.name))


def load_fonts(folder: str | Path) -> SheetFonts:
    """The run's subset fonts written by :func:`write_subset_fonts` into ``folder``."""
    folder = Path(folder)
    return SheetFonts(*(PdfFont(folder / f"eapart-cjk-{role}.otf", resource)
                        for role, resource in (("regular", "F1"), ("bold", "F2"),
                                               ("mono", "F3"))))


def _init_worker(outdir: str, fonts: str, parent_pid: int | None = None) -> None:
    """Load the output and the run's fonts once in this process (which ends with its parent)."""
    global _DATA, _FONTS
    if parent_pid is not None:
        die_with(parent_pid)
    _DATA = load_sheet_data(outdir)
    _FONTS = load_fonts(fonts)


@dataclass
class _Written:
    """What one worker reports about one PDF."""

    pages: int
    records: list[dict]
    register_full: list[str]


def _page_records(pdf: str, first: int, plan: PagePlan) -> list[dict]:
    """One layout record per map page of ``plan``, the first being pdf page ``first``."""
    records = []
    for i, view in enumerate(plan.layout.views):
        records.append({
            "pdf": pdf, "page": first + i, SMALL_AREA_CODE: plan.code,
            "map": view.letter or "overview", "buildings": len(plan.rows),
            "numbered": len(view.numbered),
            "overlapping_pairs": overlapping_pairs(view.boxes),
            "unlabelled": [int(k) + 1 for k in plan.layout.unlabelled] if i == 0 else [],
            "scale": round(view.frame.scale, 6),
            "frame": [round(v, 2) for v in (view.frame.x, view.frame.y, view.frame.width,
                                            view.frame.height)],
            "view": [round(v, 3) for v in view.frame.view],
            "boxes": [[round(v, 2) for v in box] + [int(k) + 1]
                      for box, k in zip(view.boxes.tolist(), view.numbered, strict=True)],
        })
    return records


def _write_pdf(job: SheetJob) -> _Written:
    """Draw every page of ``job`` into its PDF (atomically); report pages and layout."""
    data, fonts = _DATA, _FONTS
    plans = [plan_maps(data, fonts, walking_order(data, code)) for code in job.codes]
    counts = []
    for plan in plans:
        households = data.building_households[plan.rows]
        counts.append((plan.map_pages, list_pages(len(plan.rows)), register_pages(households)))
    entries = [(plan.code, data.records[plan.code], sum(c)) for plan, c in
               zip(plans, counts, strict=True)]
    partial = job.path.with_name(f".partial-{job.path.name}")
    records: list[dict] = []
    full: list[str] = []
    with PdfDocument(partial, fonts.all(), title=f"普查小区图 {job.path.stem}",
                     creator=f"eapart {data.version}") as pdf:
        page = 1 + draw_index(pdf, fonts, data, job.path.stem, entries)
        for plan, (maps, listed, register) in zip(plans, counts, strict=True):
            total = maps + listed + register
            canvas = Canvas()
            draw_map_page(canvas, fonts, data, plan, total)
            pdf.add_page(canvas.content())
            for i, view in enumerate(plan.layout.views[1:], start=2):
                canvas = Canvas()
                draw_detail_page(canvas, fonts, data, plan, view, i, total)
                pdf.add_page(canvas.content())
            records += _page_records(job.path.name, page, plan)
            title = form_title(data.records[plan.code], data.county_name)
            draw_building_list(pdf, fonts, data, title, plan.code, plan.rows, maps + 1, total)
            draw_register(pdf, fonts, data, title, plan.code, plan.rows, maps + listed + 1,
                          total)
            if register_size(data.building_households[plan.rows])[1]:
                full.append(plan.code)
            page += total
    partial.replace(job.path)
    return _Written(page - 1, records, full)


def _illegible(records: list[dict]) -> list[dict]:
    """Rows of ``illegible.csv``: map pages with overlapping numbers, areas with unlabelled
    buildings."""
    rows = []
    for record in records:
        if record["overlapping_pairs"]:
            rows.append({"pdf": record["pdf"], "page": record["page"],
                         SMALL_AREA_CODE: record[SMALL_AREA_CODE],
                         "problem": "overlapping_numbers",
                         "detail": f"{record['overlapping_pairs']} pair(s)"})
        if record["unlabelled"]:
            rows.append({"pdf": record["pdf"], "page": record["page"],
                         SMALL_AREA_CODE: record[SMALL_AREA_CODE],
                         "problem": "unlabelled_buildings",
                         "detail": " ".join(map(str, record["unlabelled"]))})
    return rows


def _write_reports(folder: Path, records: list[dict], illegible: list[dict]) -> None:
    """``layout.json`` and ``illegible.csv`` in the sheets folder, in a stable order."""
    records = sorted(records, key=lambda r: (r["pdf"], r["page"]))
    (folder / LAYOUT_NAME).write_text(
        json.dumps({"pages": records}, ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8")
    columns = ["pdf", "page", SMALL_AREA_CODE, "problem", "detail"]
    table = pd.DataFrame(illegible, columns=columns).sort_values(["pdf", "page", "problem"])
    table.to_csv(folder / ILLEGIBLE_NAME, index=False, encoding="utf-8-sig",
                 lineterminator="\n")


def make_sheets(
    outdir: str | Path,
    codes: Iterable[str] | None = None,
    *,
    by: str = "census-area",
    jobs: int | None = None,
    progress: Progress | None = None,
) -> SheetsRun:
    """Write the enumerator packs of ``outdir`` and say what was written.

    ``codes``: small area, census area or township codes to limit the work
    (default: every small area). ``by``: a name of :data:`GROUPINGS`.
    ``jobs``: worker processes (``None``: every core; ``1``: in this process).
    ``progress(done, total)`` is called as each PDF completes, with the small
    areas drawn so far and in all.
    """
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs}: give 1 or more worker processes.")
    outdir = Path(outdir)
    plan = plan_sheets(outdir, codes, by)
    find_cjk_font()  # fail before any work when no Chinese font is installed
    final = outdir / SHEETS_DIR
    # Pack files, and the layout reports, are written anew; the rest is kept. Kept
    # entries are hard links, so nothing may be rewritten in place: never keep a name
    # that this run writes.
    names = {job.path.relative_to(final).parts[0] for job in plan} | {LAYOUT_NAME,
                                                                      ILLEGIBLE_NAME}
    with replaced_folder(final, keep=lambda name: name not in names) as staging:
        staged = [replace(job, path=staging / job.path.relative_to(final)) for job in plan]
        for folder in {job.path.parent for job in staged}:
            folder.mkdir(parents=True, exist_ok=True)
        written = _draw(outdir, staging, staged, jobs, progress)
        records = [record for w in written for record in w.records]
        illegible = _illegible(records)
        _write_reports(staging, records, illegible)
    return SheetsRun(
        paths=sorted(job.path for job in plan),
        pages=sum(w.pages for w in written),
        map_pages=len(records),
        detail_pages=sum(r["map"] != "overview" for r in records),
        illegible=illegible,
        register_full=sorted(code for w in written for code in w.register_full),
    )


def _draw(outdir: Path, staging: Path, plan: list[SheetJob], jobs: int | None,
          progress: Progress | None) -> list[_Written]:
    """Write the PDFs of ``plan``, over worker processes when there are several.

    The subset fonts the workers embed are written in a leftover-named folder inside
    ``staging`` and removed before it is swapped into place: a run killed while
    drawing leaves them with its staging folder, which the next run tidies, instead
    of in the system's temporary folder for ever.
    """
    workers = min(jobs or default_jobs(), len(plan))
    total = sum(len(job.codes) for job in plan)
    done = 0
    written: list[_Written] = []
    with tempfile.TemporaryDirectory(prefix=".partial-fonts-", dir=staging) as fonts:
        write_subset_fonts(FIXED_TEXT + data_text(outdir), fonts)
        if workers <= 1:
            _init_worker(str(outdir), fonts)
            for job in plan:
                written.append(_write_pdf(job))
                done += len(job.codes)
                if progress is not None:
                    progress(done, total)
        else:
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                     initargs=(str(outdir), fonts, os.getpid())) as pool:
                futures = {pool.submit(_write_pdf, job): job for job in plan}
                for future in as_completed(futures):
                    written.append(future.result())
                    done += len(futures[future].codes)
                    if progress is not None:
                        progress(done, total)
    return written
