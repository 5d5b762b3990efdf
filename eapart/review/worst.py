"""Worst first: the small areas a reviewer should look at first, and the townships.

Areas come in this order: the most out of the band first (distance beyond the
nearer limit, as a share of the target), then crossings with households on both
sides (the engine's crossing flags that are problems), then other problems, then
areas drawn mostly over water or empty land. Townships come worst balanced first,
with the best share the engine could reach (the ceiling) where the report has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import numpy as np
import pandas as pd

from eapart.domain.flags import PROBLEM
from eapart.io.band import Band
from eapart.review.flag_styles import severity
from eapart.review.panels import format_value, percent

#: Most areas a worst-first list shows.
WORST_MAX = 60
#: An area is "over water or empty land" above this share of its surface.
EMPTY_SHARE = 0.9


def _flags(text: object) -> list[str]:
    return [f.strip() for f in str(text or "").split(",") if f.strip()]


def worst_areas(small: pd.DataFrame, band: Band, descriptions: Mapping[str, str],
                limit: int = WORST_MAX) -> list[tuple[str, str]]:
    """``(small_area_code, reason)`` of the areas to check first, worst first."""
    measure = band.measure
    values = pd.to_numeric(small.get(measure, pd.Series(np.nan, index=small.index)),
                           errors="coerce").to_numpy(dtype=float)
    codes = small["small_area_code"].astype(str).tolist()
    flags = [_flags(f) for f in small.get("flags", pd.Series([""] * len(small)))]
    empty = pd.to_numeric(small.get("empty_percent", pd.Series(0.0, index=small.index)),
                          errors="coerce").fillna(0).to_numpy(dtype=float) / 100
    scale = band.target if band.target else 1.0
    ranked: list[tuple[tuple, str, str]] = []
    for k, code in enumerate(codes):
        value = values[k]
        if band.known and np.isfinite(value) and not band.low <= value <= band.high:
            over = value > band.high
            gap = value - band.high if over else band.low - value
            reason = (f"{format_value(float(value))} {measure}: {format_value(float(gap))} "
                      f"{'over the maximum' if over else 'under the minimum'} "
                      f"{format_value(band.high if over else band.low)}")
            ranked.append(((0, -gap / scale), code, reason))
            continue
        crossing = [f for f in flags[k] if f.startswith("cross") and severity(f) == PROBLEM]
        problems = [f for f in flags[k] if severity(f) == PROBLEM]
        if crossing:
            ranked.append(((1, 0), code, f"{crossing[0]}: {descriptions.get(crossing[0], '')}"))
        elif problems:
            ranked.append(((2, 0), code, f"{problems[0]}: {descriptions.get(problems[0], '')}"))
        elif empty[k] > EMPTY_SHARE:
            ranked.append(((3, -empty[k]), code,
                           f"{percent(empty[k])} of it is water or far from any building"))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [(code, reason.rstrip(": ")) for _, code, reason in ranked[:limit]]


def worst_list(items: list[tuple[str, str]], total: int) -> str:
    """The worst-first list, folded: each entry zooms the map to its area."""
    if not items:
        return "<p class='eapart-muted'>Nothing to check first: every area is in the band.</p>"
    more = f" (first {len(items)} of {total})" if total > len(items) else ""
    entries = "".join(
        f"<li data-code='{escape(code)}' tabindex='0'><b>{escape(code)}</b> "
        f"<span>{escape(reason)}</span></li>" for code, reason in items)
    return (f"<details class='eapart-worst' data-section='worst'><summary>Worst first: "
            f"{total:,} area{'s' if total != 1 else ''} to check{escape(more)}</summary>"
            f"<ol id='eapart-worst'>{entries}</ol></details>")


def township_table(townships: pd.DataFrame, per_township: list, band: Band,
                   small: pd.DataFrame) -> str:
    """Every township, worst balanced first: share in band, ceiling and gap where known."""
    known = {str(row.get("township_code")): row for row in per_township
             if isinstance(row, Mapping)}
    values = pd.to_numeric(small.get(band.measure), errors="coerce")
    rows = []
    for code, name, href in zip(townships["township_code"].astype(str),
                                townships.get("name", pd.Series([None] * len(townships))),
                                townships["page"], strict=True):
        mine = values[small["township_code"].astype(str) == code].dropna().to_numpy()
        share = (float(((mine >= band.low) & (mine <= band.high)).mean()) if len(mine) else 1.0
                 ) if band.known else None
        report = known.get(code, {})
        ceiling = report.get("ceiling_share")
        gap = report.get("ceiling_gap")
        if gap is None and isinstance(ceiling, int | float) and share is not None:
            gap = float(ceiling) - share
        rows.append((share if share is not None else 1.0, code, name, href, share, ceiling, gap))
    rows.sort(key=lambda r: (r[0], r[1]))
    has_ceiling = any(r[5] is not None for r in rows)
    head = "<tr><th>Township</th><th>in band</th>" + (
        "<th title='best share the engine could reach'>ceiling</th><th>gap</th>"
        if has_ceiling else "") + "</tr>"
    body = []
    for _, code, name, href, share, ceiling, gap in rows:
        label = f"{name} ({code[-3:]})" if isinstance(name, str) and name else code
        cells = f"<td>{escape(percent(share)) if share is not None else '–'}</td>"
        if has_ceiling:
            cells += (f"<td>{escape(percent(ceiling)) if ceiling is not None else '–'}</td>"
                      f"<td>{escape(percent(gap)) if gap is not None else '–'}</td>")
        body.append(f"<tr data-code='{escape(code)}'><td><a href='{escape(href)}' "
                    f"title='{escape(code)}'>{escape(label)}</a></td>{cells}</tr>")
    table = (f"<div class='eapart-townships-wrap'><table class='eapart-townships'>{head}"
             f"{''.join(body)}</table></div>"
             "<p class='eapart-muted'>Worst balanced first; each page shows its buildings.</p>")
    return (f"<details class='eapart-section' data-section='townships' open><summary>"
            f"Townships ({len(rows)})</summary>{table}</details>")
