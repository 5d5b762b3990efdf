"""What a township page's edit mode needs: the output's fingerprint, the size band,
lock state and the areas the last edition changed.

The edit mode itself is ``assets/edit.js``; it only reads this object (``meta.edit``
in the page data) and the layers the page already holds. Edits made in the page
are saved as ``edits.json`` (:mod:`eapart.edits.format`), tied to the output by
``madeOn``, and applied with ``eapart edit apply``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio

from eapart.domain.schema import CENSUS_AREA_CODE, GPKG_NAME, SMALL_AREA_CODE
from eapart.edits.changes import CHANGES_NAME
from eapart.edits.format import fingerprint
from eapart.edits.registry import REGISTRY_LAYER


@dataclass(frozen=True)
class EditContext:
    """What every township page's edit mode shares: read once per build, not per page."""

    made_on: str
    locked: tuple[str, ...]
    changed: tuple[str, ...]


def edit_context(outdir: Path, buildings: pd.DataFrame) -> EditContext:
    """The output's fingerprint, locked codes and last-changed codes."""
    return EditContext(made_on=fingerprint(buildings), locked=tuple(sorted(_locked(outdir))),
                       changed=tuple(sorted(changed_codes(outdir))))


def edit_meta(context: EditContext, band, small_areas: pd.DataFrame) -> dict:
    """The ``edit`` section of a township page's data (see module docstring).

    ``band``: the page's :class:`eapart.io.band.Band` (measure, target, low, high).
    """
    return {
        "madeOn": context.made_on,
        "band": {"measure": band.measure, "target": band.target, "min_size": band.low,
                 "max_size": band.high},
        "areas": {str(code): {"census_area": str(ca), "size": float(size or 0)}
                  for code, ca, size in zip(small_areas[SMALL_AREA_CODE],
                                            small_areas[CENSUS_AREA_CODE],
                                            small_areas[band.measure],
                                            strict=True)},
        "locked": list(context.locked),
        "changed": list(context.changed),
    }


def _locked(outdir: Path) -> set[str]:
    path = outdir / GPKG_NAME
    if REGISTRY_LAYER not in set(pyogrio.list_layers(path)[:, 0]):
        return set()
    table = pyogrio.read_dataframe(path, layer=REGISTRY_LAYER, read_geometry=False)
    return set(table.loc[(table["locked"] == 1) & (table["status"] == "active"), "code"]
               .astype(str))


def changed_codes(outdir: Path) -> frozenset[str]:
    """Small-area codes the last edition changed (from its ``changes.csv``)."""
    path = outdir / CHANGES_NAME
    if not path.exists():
        return frozenset()
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig").fillna("")
    return frozenset(table.loc[table["change"] != "U", "new_code"]) - {""}
