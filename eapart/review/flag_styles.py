"""How each flag looks on the review map: its severity (problem or notice) and colour.

A *problem* asks a person to act or decide (an area out of the band, an enclave); a
*notice* explains something the tool could not avoid and the reviewer should know
(a single oversize building, a major road through an area, institutional quarters).
Problems are drawn with a solid, heavy outline; notices with a thin dashed one, so
that on a county where a third of the areas cross a road the oversize and undersize
ones still stand out. A flag the table does not know is treated as a problem.
"""

from __future__ import annotations

from collections.abc import Iterable

PROBLEM = "problem"
NOTICE = "notice"

#: Severity of each flag the engine writes. Kept here until the domain's flag list
#: (``eapart.domain.flags``) names them; :func:`severity` reads that first.
SEVERITY: dict[str, str] = {
    "oversize": PROBLEM,
    "undersize": PROBLEM,
    "enclave": PROBLEM,
    "not_one_piece": PROBLEM,
    "undersize_isolated": NOTICE,
    "oversize_building": NOTICE,
    "crosses_major_road": NOTICE,
    "institution": NOTICE,
    "no_buildings": NOTICE,
}

#: Outline colours, one per flag in legend order (problems red to purple, notices
#: amber to blue); none is a small-area fill colour.
PROBLEM_COLOURS = ("#d7191c", "#b2182b", "#7b3294", "#e7298a", "#8c2d04")
NOTICE_COLOURS = ("#e66101", "#2166ac", "#b8860b", "#1b7837", "#5e3c99", "#4d4d4d")


def severity(flag: str) -> str:
    """``"problem"`` or ``"notice"`` for ``flag`` (unknown flags are problems)."""
    try:
        from eapart.domain import flags as domain_flags  # the domain's list, once it exists
    except ImportError:
        domain_flags = None
    if domain_flags is not None:
        found = _domain_severity(domain_flags, flag)
        if found in (PROBLEM, NOTICE):
            return found
    return SEVERITY.get(flag, PROBLEM)


def _domain_severity(module, flag: str) -> str | None:
    """The severity the domain's flag module gives ``flag``, whatever form it takes."""
    for name in ("severity", "flag_severity"):
        function = getattr(module, name, None)
        if callable(function):
            try:
                return str(function(flag))
            except (KeyError, ValueError):
                return None
    table = getattr(module, "SEVERITY", None)
    if isinstance(table, dict) and flag in table:
        return str(getattr(table[flag], "value", table[flag]))
    return None


def flag_styles(flags: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{flag: {"severity", "colour"}}`` for ``flags``: problems first, then notices."""
    ordered = sorted(set(flags), key=lambda f: (severity(f) != PROBLEM, f))
    styles: dict[str, dict[str, str]] = {}
    counters = {PROBLEM: 0, NOTICE: 0}
    for flag in ordered:
        kind = severity(flag)
        colours = PROBLEM_COLOURS if kind == PROBLEM else NOTICE_COLOURS
        styles[flag] = {"severity": kind, "colour": colours[counters[kind] % len(colours)]}
        counters[kind] += 1
    return styles
