"""Stages: functions over :class:`~eapart.domain.areas.Areas` between assembling and writing.

A run reads its inputs, cuts every township, assembles the contract's layers into
an ``Areas``, passes it through each stage of :data:`STAGES` in order, then builds
the report and writes. A stage takes the ``Areas`` and the :class:`RunContext` and
returns an ``Areas`` (the same one when it has nothing to do); it may add its own
section to ``areas.report``, which the run's report keeps. A new stage (manual
edits, staff assignment) is one module here and one line in :data:`STAGES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eapart.stages.kept_codes import keep_codes

if TYPE_CHECKING:
    from eapart.config import RunConfig
    from eapart.domain.areas import Areas
    from eapart.domain.rules import SizeBand
    from eapart.io.read import Inputs


@dataclass(frozen=True)
class RunContext:
    """What a stage may consult: the run's configuration, its inputs and its size band."""

    config: RunConfig
    inputs: Inputs
    band: SizeBand


Stage = Callable[["Areas", RunContext], "Areas"]

#: The stages of a run, in order: ``(name, function)``.
STAGES: list[tuple[str, Stage]] = [
    ("keep codes", keep_codes),
]


def run_stages(areas: Areas, context: RunContext,
               stages: list[tuple[str, Stage]] | None = None) -> Areas:
    """Pass ``areas`` through every stage in order and return the result."""
    for _name, stage in STAGES if stages is None else stages:
        areas = stage(areas, context)
    return areas
