"""The review page's side panel: the run's summary, the flag legend and the size
distribution against the target, written as HTML with every data text escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from html import escape

import numpy as np

#: Report keys shown in the summary, with their labels, in this order (``a.b`` is
#: key ``b`` of the report's object ``a``).
SUMMARY_KEYS: tuple[tuple[str, str], ...] = (
    ("buildings_in", "Buildings in"),
    ("buildings_assigned", "Buildings assigned"),
    ("buildings_unassigned", "Buildings unassigned"),
    ("townships", "Townships"),
    ("census_areas", "Census areas"),
    ("small_areas", "Small areas"),
    ("measure", "Size measure"),
    ("band.target", "Target size"),
    ("band.min_size", "Minimum size"),
    ("band.max_size", "Maximum size"),
    ("within_tolerance_share", "Within tolerance"),
    ("engine", "Engine"),
    ("version", "Version"),
)


def format_value(value: object) -> str:
    """A report value as short text: shares as percentages, floats with one decimal."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table_rows(rows: Iterable[tuple[str, object]]) -> str:
    """``<tr>`` rows of label and value, both escaped."""
    return "".join(f"<tr><th>{escape(label)}</th><td>{escape(format_value(value))}</td></tr>"
                   for label, value in rows)


def summary_rows(report: Mapping) -> list[tuple[str, object]]:
    """The report's headline figures, skipping keys it does not have."""
    rows = []
    for key, label in SUMMARY_KEYS:
        parent, _, child = key.rpartition(".")
        source = report.get(parent) if parent else report
        if not isinstance(source, Mapping) or child not in source:
            continue
        value = source[child]
        if key == "within_tolerance_share" and isinstance(value, int | float):
            value = f"{100 * float(value):.1f} %"
        rows.append((label, value))
    return rows


def flag_legend(descriptions: Mapping[str, str], counts: Mapping[str, int]) -> str:
    """A list explaining each flag, with how many areas carry it here."""
    names = sorted(set(descriptions) | set(counts))
    if not names:
        return "<p class='eapart-muted'>No flags.</p>"
    items = []
    for name in names:
        count = counts.get(name, 0)
        text = descriptions.get(name, "")
        items.append(
            f"<li><span class='eapart-flag'>{escape(str(name))}</span> "
            f"<span class='eapart-count'>({escape(format_value(count))})</span> "
            f"{escape(str(text))}</li>")
    return "<ul class='eapart-legend'>" + "".join(items) + "</ul>"


def histogram_bins(values: np.ndarray, target: float | None) -> np.ndarray:
    """Bin edges for a size histogram: about 12 equal bins up to twice the target."""
    values = values[np.isfinite(values)]
    top = float(values.max()) if len(values) else 1.0
    if target and target > 0:
        width = max(1.0, math.ceil(target / 5))
        top = min(top, 2.4 * target)
    else:
        width = max(1.0, math.ceil(top / 12))
    n = max(1, math.ceil((top + 1) / width))
    return np.arange(n + 1) * width


def size_histogram(values: Iterable[float], *, target: float | None, low: float | None,
                   high: float | None, measure: str = "households") -> str:
    """Bars of small-area sizes; bins inside ``[low, high]`` are green, others orange.

    The last bin is open-ended, so very large areas are counted, not dropped.
    """
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if len(values) == 0:
        return "<p class='eapart-muted'>No small areas.</p>"
    edges = histogram_bins(values, target)
    clipped = np.minimum(values, edges[-1] - 1e-9)
    counts, _ = np.histogram(clipped, bins=edges)
    peak = max(1, int(counts.max()))
    bars = []
    for k, count in enumerate(counts.tolist()):
        lo, hi = edges[k], edges[k + 1]
        inside = low is not None and high is not None and lo >= low and hi <= high + 1e-9
        last = k == len(counts) - 1
        label = f"≥{lo:g}" if last else f"{lo:g}–{hi:g}"
        height = 100 * count / peak
        cls = "in" if inside else "out"
        bars.append(
            f"<div class='eapart-bar {cls}' title='{escape(label)}: {count}'>"
            f"<span style='height:{height:.0f}%'></span><em>{count}</em></div>")
    caption = f"Small areas by {escape(measure)}"
    if target:
        caption += f"; target {escape(format_value(float(target)))}"
    if low is not None and high is not None:
        caption += (f", green = within {escape(format_value(float(low)))}"
                    f"–{escape(format_value(float(high)))}")
    return (f"<div class='eapart-hist'>{''.join(bars)}</div>"
            f"<div class='eapart-axis'><span>0</span><span>{escape(f'{edges[-1]:g}')}+</span>"
            f"</div><p class='eapart-muted'>{caption}</p>")


def panel_html(*, title: str, links: list[tuple[str, str]], rows: list[tuple[str, object]],
               legend: str, histogram: str, warnings: list[str], extra: str = "") -> str:
    """The collapsible side panel: title, navigation links, figures, legend, histogram."""
    nav = " · ".join(f"<a href='{escape(href)}'>{escape(text)}</a>" for text, href in links)
    warn = ""
    if warnings:
        warn = ("<details><summary>Warnings ({})</summary><ul>{}</ul></details>".format(
            len(warnings), "".join(f"<li>{escape(str(w))}</li>" for w in warnings)))
    return (
        "<div id='eapart-panel' class='eapart-panel'><details open>"
        f"<summary>{escape(title)}</summary>"
        f"<nav>{nav}</nav>"
        f"<table class='eapart-summary'>{table_rows(rows)}</table>"
        f"<h4>Size distribution</h4>{histogram}"
        f"<h4>Flags</h4>{legend}{warn}{extra}"
        "</details></div>")
