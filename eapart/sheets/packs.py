"""Printable A4 enumerator sheets: one page per small area, one PDF per census area.

``make_sheets(outdir)`` writes ``outdir/sheets/<census_area_code>.pdf`` for
every census area, binding its small areas in code order (a small area with a
long building list takes continuation pages). ``codes`` narrows the work:
a census area code (12 digits) or township code (9) gives those census areas'
PDFs; a small area code (15) gives ``sheets/<small_area_code>.pdf`` with that
sheet alone. PDFs are drawn in parallel over census areas on every core
(``jobs=None``), each worker reading the output and the run's font subset
once. Pages are written by :mod:`eapart.sheets.pdf` with the fonts
embedded as CID subsets, so the PDF's text layer holds real, searchable
Chinese text. See :mod:`eapart.sheets.page` for the page.

>>> make_sheets("out", codes=["010101001001"], jobs=1)  # doctest: +SKIP
[PosixPath('out/sheets/010101001001.pdf')]
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

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
from eapart.sheets.canvas import Canvas
from eapart.sheets.data import SheetData, data_text, load_sheet_data
from eapart.sheets.fonts import find_cjk_font, write_subset_fonts
from eapart.sheets.page import (
    FIXED_TEXT,
    SheetFonts,
    draw_map_page,
    draw_table_page,
    page_count,
    walking_order,
)
from eapart.sheets.pdf import PdfDocument, PdfFont

#: Called as ``progress(done, total)`` in small areas (sheets), after each PDF.
Progress = Callable[[int, int], None]

_DATA: SheetData | None = None  # one per worker process, loaded by _init_worker
_FONTS: SheetFonts | None = None  # the run's font subset, read by _init_worker


@dataclass(frozen=True)
class SheetJob:
    """One PDF to write: its path and the small areas it binds, in code order."""

    path: Path
    codes: tuple[str, ...]
    buildings: int


def _index(outdir: Path) -> pd.DataFrame:
    """Small area codes, their census area and township, and building counts (no geometry)."""
    codes = [SMALL_AREA_CODE, CENSUS_AREA_CODE, TOWNSHIP_CODE]
    table = Areas.read(outdir, ("small_areas",), columns={"small_areas": (*codes, "buildings")},
                       geometry=False).small_areas
    return table.sort_values(SMALL_AREA_CODE).reset_index(drop=True)


def plan_sheets(outdir: str | Path, codes: Iterable[str] | None = None) -> list[SheetJob]:
    """The PDFs to write for ``codes`` (all census areas when ``None``), largest first."""
    outdir = Path(outdir)
    table = _index(outdir)
    folder = outdir / SHEETS_DIR
    wanted = [str(c).strip() for c in codes or () if str(c).strip()]
    unknown = [c for c in wanted if not (
        (len(c) == SMALL_AREA_DIGITS and (table["small_area_code"] == c).any())
        or (len(c) == CENSUS_AREA_DIGITS and (table["census_area_code"] == c).any())
        or (len(c) == TOWNSHIP_DIGITS and (table["township_code"] == c).any()))]
    if unknown:
        raise UsageError(
            f"--codes {list_ids(unknown)}: not a small area (15 digits), census area (12) "
            f"or township (9) code of {outdir / GPKG_NAME}; see summary.csv for the codes."
        )
    singles = [c for c in wanted if len(c) == SMALL_AREA_DIGITS]
    parents = [c for c in wanted if len(c) != SMALL_AREA_DIGITS]
    whole = table if not wanted else table[table["census_area_code"].isin(parents)
                                           | table["township_code"].isin(parents)]
    jobs = [SheetJob(folder / f"{ca}.pdf", tuple(group["small_area_code"]),
                     int(group["buildings"].sum()))
            for ca, group in whole.groupby("census_area_code", sort=True)]
    for code in dict.fromkeys(singles):
        row = table[table["small_area_code"] == code]
        jobs.append(SheetJob(folder / f"{code}.pdf", (code,), int(row["buildings"].sum())))
    return sorted(jobs, key=lambda job: -job.buildings)


def load_fonts(folder: str | Path) -> SheetFonts:
    """The run's subset fonts written by :func:`write_subset_fonts` into ``folder``."""
    folder = Path(folder)
    return SheetFonts(*(PdfFont(folder / f"eapart-cjk-{role}.otf", resource)
                        for role, resource in (("regular", "F1"), ("bold", "F2"),
                                               ("mono", "F3"))))


def _init_worker(outdir: str, fonts: str) -> None:
    """Load the output and the run's fonts once in this process."""
    global _DATA, _FONTS
    _DATA = load_sheet_data(outdir)
    _FONTS = load_fonts(fonts)


def _write_pdf(job: SheetJob) -> int:
    """Draw every sheet of ``job`` into its PDF (atomically); return the page count."""
    data, fonts = _DATA, _FONTS
    partial = job.path.with_name(f".partial-{job.path.name}")
    pages = 0
    with PdfDocument(partial, fonts.all(), title=f"普查小区图 {job.path.stem}",
                     creator=f"eapart {data.version}") as pdf:
        for code in job.codes:
            plan = walking_order(data, code)
            total = page_count(len(plan.rows))
            canvas = Canvas()
            done = draw_map_page(canvas, fonts, data, plan, total)
            pdf.add_page(canvas.content())
            for page in range(2, total + 1):
                canvas = Canvas()
                done += draw_table_page(canvas, fonts, data, plan, done, page, total)
                pdf.add_page(canvas.content())
            pages += total
    partial.replace(job.path)
    return pages


def make_sheets(
    outdir: str | Path,
    codes: Iterable[str] | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the enumerator sheets of ``outdir`` and return the PDFs written.

    ``codes``: small area, census area or township codes to limit the work
    (default: every census area). ``jobs``: worker processes (``None``: every
    core; ``1``: in this process). ``progress(done, total)`` is called as each
    PDF completes, with the small areas drawn so far and in all.
    """
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs}: give 1 or more worker processes.")
    outdir = Path(outdir)
    plan = plan_sheets(outdir, codes)
    find_cjk_font()  # fail before any work when no Chinese font is installed
    (outdir / SHEETS_DIR).mkdir(parents=True, exist_ok=True)
    workers = min(jobs or os.cpu_count() or 1, len(plan))
    total = sum(len(job.codes) for job in plan)
    done = 0
    with tempfile.TemporaryDirectory(prefix="eapart-fonts-") as fonts:
        write_subset_fonts(FIXED_TEXT + data_text(outdir), fonts)
        if workers <= 1:
            _init_worker(str(outdir), fonts)
            for job in plan:
                _write_pdf(job)
                done += len(job.codes)
                if progress is not None:
                    progress(done, total)
        else:
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                     initargs=(str(outdir), fonts)) as pool:
                futures = {pool.submit(_write_pdf, job): job for job in plan}
                for future in as_completed(futures):
                    future.result()
                    done += len(futures[future].codes)
                    if progress is not None:
                        progress(done, total)
    return sorted(job.path for job in plan)
