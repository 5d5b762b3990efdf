"""The review page's side panel, ordered for a reviewer on a 1366x768 screen.

What to check first (flags with a filter, the worst-first list, hints and warnings),
then how to colour the map, then the figures and the size histogram, and last the
engine's details, folded. Every data text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape

#: Report keys shown among the figures, with their labels, in this order.
SUMMARY_KEYS: tuple[tuple[str, str], ...] = (
    ("buildings_in", "Buildings in"),
    ("buildings_assigned", "Buildings assigned"),
    ("buildings_unassigned", "Buildings unassigned"),
    ("townships", "Townships"),
    ("census_areas", "Census areas"),
    ("small_areas", "Small areas"),
    ("within_tolerance_share", "Within tolerance"),
)
#: Report keys kept in the folded engine details.
DETAIL_KEYS: tuple[tuple[str, str], ...] = (
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


def percent(share: float) -> str:
    """A share as the report's summary shows it: one decimal and a percent sign."""
    return f"{100 * float(share):.1f} %"


def table_rows(rows: Iterable[tuple[str, object]]) -> str:
    """``<tr>`` rows of label and value, both escaped."""
    return "".join(f"<tr><th>{escape(label)}</th><td>{escape(format_value(value))}</td></tr>"
                   for label, value in rows)


def summary_rows(report: Mapping, keys=SUMMARY_KEYS) -> list[tuple[str, object]]:
    """The report's figures for ``keys``, skipping keys it does not have."""
    rows = []
    for key, label in keys:
        if key not in report:
            continue
        value = report[key]
        if key.endswith("_share") and isinstance(value, int | float):
            value = percent(value)
        rows.append((label, value))
    return rows


def flag_legend(descriptions: Mapping[str, str], counts: Mapping[str, int],
                styles: Mapping[str, Mapping[str, str]]) -> str:
    """The flags these areas carry (none with a count of 0), problems first, and a filter.

    Each entry shows the flag's outline (colour, solid for a problem, dashed for a
    notice), its count and its explanation; the filter shows one flag only.
    """
    names = [name for name in styles if counts.get(name, 0) > 0]
    names += sorted(name for name in counts if counts[name] > 0 and name not in styles)
    if not names:
        return "<p class='eapart-muted'>No small area is flagged.</p>"
    items, options = [], ["<option value=''>all flags</option>"]
    for name in names:
        style = styles.get(name, {"severity": "problem", "colour": "#d7191c"})
        kind = style["severity"]
        items.append(
            f"<li class='eapart-{escape(kind)}' data-flag='{escape(name)}'>"
            f"<span class='eapart-flag eapart-flag-{escape(kind)}' "
            f"style='border-color:{escape(style['colour'])}'>{escape(name)}</span> "
            f"<span class='eapart-count'>{escape(format_value(counts[name]))} · {escape(kind)}"
            f"</span> {escape(str(descriptions.get(name, '')))}</li>")
        options.append(f"<option value='{escape(name)}'>{escape(name)} "
                       f"({escape(format_value(counts[name]))})</option>")
    return ("<label class='eapart-filter'>Show <select id='eapart-flag-filter' "
            "aria-label='Show one flag only'>" + "".join(options) + "</select></label>"
            "<ul class='eapart-legend'>" + "".join(items) + "</ul>")


@dataclass
class Panel:
    """The parts of one page's panel; :func:`panel_html` lays them out."""

    title: str
    links: list[tuple[str, str]]
    legend: str
    worst: str
    rows: list[tuple[str, object]]
    histogram: str
    details: list[tuple[str, object]]
    hints: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    townships: str = ""


def section(title: str, body: str, *, open_: bool, key: str) -> str:
    """A foldable panel section."""
    state = " open" if open_ else ""
    return (f"<details class='eapart-section' data-section='{escape(key)}'{state}>"
            f"<summary>{escape(title)}</summary>{body}</details>")


def panel_html(panel: Panel) -> str:
    """The side panel: check first, colour, figures, townships, engine details."""
    nav = " · ".join(f"<a href='{escape(href)}'>{escape(text)}</a>" for text, href in panel.links)
    check = panel.legend + panel.worst
    check += "".join(f"<p class='eapart-hint'>{escape(hint)}</p>" for hint in panel.hints)
    if panel.warnings:
        check += ("<details><summary>Warnings ({})</summary><ul>{}</ul></details>".format(
            len(panel.warnings), "".join(f"<li>{escape(str(w))}</li>" for w in panel.warnings)))
    colour = ("<label class='eapart-filter'>Colour by <select id='eapart-colour-mode' "
              "aria-label='Colour the small areas by'></select></label>"
              "<div id='eapart-colour-legend'></div>")
    figures = (f"<table class='eapart-summary'>{table_rows(panel.rows)}</table>"
               f"{panel.histogram}")
    parts = [
        f"<div class='eapart-title'>{escape(panel.title)}</div>",
        f"<nav>{nav}</nav>" if nav else "",
        section("Check first", check, open_=True, key="check"),
        panel.townships,
        section("Colour", colour, open_=True, key="colour"),
        section("Figures", figures, open_=True, key="figures"),
        section("Engine details", f"<table class='eapart-summary'>{table_rows(panel.details)}"
                "</table>", open_=False, key="details"),
    ]
    return ("<div id='eapart-panel' class='eapart-panel'>"
            "<button type='button' class='eapart-fold' aria-label='Fold the panel' "
            "title='Fold the panel'>–</button>" + "".join(parts) + "</div>")
