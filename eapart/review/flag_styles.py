"""How each flag looks on the review map: its severity (problem or notice) and colour.

A *problem* breaks a rule (out of the band, crossed by a major road, an enclave); a
*notice* explains something the tool could not avoid and the reviewer should know
(a single oversize building, institutional quarters). Problems are drawn with a
solid, heavy outline, notices with a thin dashed one, and each flag has its own
colour, so that on a county where a third of the areas cross a road the oversize
and undersize ones still stand out (and the filter shows one flag alone).
Severities come from :mod:`eapart.domain.flags`; a flag it does not know is
treated as a problem.
"""

from __future__ import annotations

from collections.abc import Iterable

from eapart.domain.flags import BY_NAME, PROBLEM, severity

#: Outline colour of each known flag; none is a small-area fill colour.
FLAG_COLOURS: dict[str, str] = {
    "oversize": "#d7191c", "undersize": "#2c7bb6", "undersize_isolated": "#5e3c99",
    "crosses_major_road": "#e66101", "enclave": "#e7298a", "not_one_piece": "#000000",
    "oversize_building": "#b8860b", "institution": "#1b7837", "no_buildings": "#4d4d4d",
    "land_across_major_road": "#fdb863", "joined_across_barrier": "#80cdc1",
}
#: Colours for flags the table does not know, in turn.
OTHER_COLOURS = ("#8c2d04", "#7b3294", "#01665e", "#c51b7d")


def flag_styles(flags: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{flag: {"severity", "colour"}}`` for ``flags``: problems first, each group in
    the domain's flag order, unknown flags after them."""
    known = list(BY_NAME)
    ordered = sorted(set(flags), key=lambda f: (severity(f) != PROBLEM,
                                                known.index(f) if f in known else len(known), f))
    styles: dict[str, dict[str, str]] = {}
    others = 0
    for flag in ordered:
        colour = FLAG_COLOURS.get(flag)
        if colour is None:
            colour = OTHER_COLOURS[others % len(OTHER_COLOURS)]
            others += 1
        styles[flag] = {"severity": severity(flag), "colour": colour}
    return styles
