"""The flags a small area can carry: name, severity, what it means, and counting.

A flag says what could not be made right and needs a person's eye (docs/domain.md:
exceptions are reported, never hidden). Flags are short names, joined by commas on
each small area (empty when clean), always in the order of :data:`FLAGS`.

Severity is ``"problem"`` (the area breaks a rule: too large, too small, households
on both sides of a major road, not walkable as one piece) or ``"notice"`` (the area
is as it must be, but a reviewer should know: one huge building, institutional
quarters, no building, empty land across a road).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PROBLEM = "problem"
NOTICE = "notice"
SEVERITIES: tuple[str, ...] = (PROBLEM, NOTICE)


@dataclass(frozen=True)
class Flag:
    """One flag: its name in the data, its severity and a one-line description."""

    name: str
    severity: str
    description: str


OVERSIZE_BUILDING = "oversize_building"
UNDERSIZE_ISOLATED = "undersize_isolated"
OVERSIZE = "oversize"
UNDERSIZE = "undersize"
CROSSES_MAJOR_ROAD = "crosses_major_road"
LAND_ACROSS_MAJOR_ROAD = "land_across_major_road"
JOINED_ACROSS_BARRIER = "joined_across_barrier"
INSTITUTION = "institution"
NO_BUILDINGS = "no_buildings"
ENCLAVE = "enclave"
NOT_ONE_PIECE = "not_one_piece"

#: Every flag, in the order flag strings and legends list them.
FLAGS: tuple[Flag, ...] = (
    Flag(OVERSIZE_BUILDING, NOTICE,
         "holds a single building above the maximum size: a small area of its own"),
    Flag(UNDERSIZE_ISOLATED, PROBLEM, "below the minimum, cut off by a major road, river or rail"),
    Flag(OVERSIZE, PROBLEM, "above the maximum size"),
    Flag(UNDERSIZE, PROBLEM, "below the minimum size"),
    Flag(CROSSES_MAJOR_ROAD, PROBLEM,
         "households on both sides of a major road, river or railway that runs through it"),
    Flag(LAND_ACROSS_MAJOR_ROAD, NOTICE,
         "a major road, river or railway runs through it, with households on one side "
         "only (empty land across)"),
    Flag(JOINED_ACROSS_BARRIER, NOTICE,
         "a group of households cut off by a major road, river or rail, far below the "
         "minimum, joined to it across the barrier (--join-isolated-below)"),
    Flag(INSTITUTION, NOTICE,
         "institutional quarters (dormitory, barracks, hospital, ...) kept on their own"),
    Flag(NO_BUILDINGS, NOTICE, "has no building (e.g. a village with no marked building)"),
    Flag(ENCLAVE, PROBLEM,
         "lies wholly inside one other small area (alone or with its neighbours)"),
    Flag(NOT_ONE_PIECE, PROBLEM, "is not a single polygon (should not happen: please report)"),
)

#: Flags by name.
BY_NAME: dict[str, Flag] = {flag.name: flag for flag in FLAGS}

#: One line per flag, in :data:`FLAGS` order (the report's ``flag_descriptions``).
FLAG_DESCRIPTIONS: dict[str, str] = {flag.name: flag.description for flag in FLAGS}


def join_flags(flags: Iterable[str]) -> str:
    """Comma-separated flags in :data:`FLAGS` order (empty when clean).

    >>> join_flags(["undersize", "oversize_building"])
    'oversize_building,undersize'
    """
    given = set(flags)
    return ",".join(flag.name for flag in FLAGS if flag.name in given)


def split_flags(text: object) -> list[str]:
    """The flag names of one comma-separated flag string (none for empty or missing)."""
    if not isinstance(text, str):
        return []
    return [name.strip() for name in text.split(",") if name.strip()]


def flag_counts(flags: Iterable[object]) -> dict[str, int]:
    """How many small areas carry each flag, from their flag strings.

    Every known flag is listed, zero included, in :data:`FLAGS` order; a name that
    is not a known flag (an output written by another version) is counted after them.

    >>> flag_counts(["oversize,enclave", "", None, "oversize"])["oversize"]
    2
    """
    counts = dict.fromkeys(FLAG_DESCRIPTIONS, 0)
    for text in flags:
        for name in split_flags(text):
            counts[name] = counts.get(name, 0) + 1
    return counts


def severity(name: str) -> str:
    """The severity of a flag; a name that is not a known flag counts as a problem."""
    return BY_NAME[name].severity if name in BY_NAME else PROBLEM


def check_names(names: Iterable[str]) -> list[str]:
    """``names`` if each is a known flag, else ``ValueError`` listing the known ones."""
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown flag(s) {', '.join(unknown)}; known flags: "
                         + ", ".join(BY_NAME))
    return names


def problems(flags: object) -> list[str]:
    """The flags of one flag string whose severity is ``"problem"`` (unknown names too)."""
    return [name for name in split_flags(flags) if severity(name) == PROBLEM]
