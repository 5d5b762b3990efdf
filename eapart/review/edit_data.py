"""What a township page's edit mode needs: the output's fingerprint, the size band,
lock state and the areas the last edition changed.

The edit mode itself is ``assets/edit.js``; it only reads this object (``meta.edit``
in the page data) and the layers the page already holds. Edits made in the page
are saved as ``edits.json`` (:mod:`eapart.edits.format`), tied to the output by
``madeOn``, and applied with ``eapart edit apply``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyogrio

from eapart.domain.schema import GPKG_NAME
from eapart.edits.changes import CHANGES_NAME
from eapart.edits.format import fingerprint
from eapart.edits.registry import REGISTRY_LAYER


def edit_meta(outdir: Path, band, buildings: pd.DataFrame,
              small_areas: pd.DataFrame) -> dict:
    """The ``edit`` section of a township page's data (see module docstring).

    ``band``: the page's :class:`eapart.io.band.Band` (measure, target, low, high).
    """
    return {
        "madeOn": _fingerprint(outdir, len(buildings), buildings),
        "band": {"measure": band.measure, "target": band.target, "min_size": band.low,
                 "max_size": band.high},
        "areas": {str(code): {"census_area": str(ca), "size": float(size or 0)}
                  for code, ca, size in zip(small_areas["small_area_code"],
                                            small_areas["census_area_code"],
                                            small_areas[band.measure],
                                            strict=True)},
        "locked": sorted(_locked(Path(outdir))),
        "changed": sorted(changed_codes(Path(outdir))),
    }


_FINGERPRINTS: dict[tuple[str, int], str] = {}


def _fingerprint(outdir: Path, n: int, buildings: pd.DataFrame) -> str:
    key = (str(outdir), n)
    if key not in _FINGERPRINTS:
        _FINGERPRINTS[key] = fingerprint(buildings)
    return _FINGERPRINTS[key]


def _locked(outdir: Path) -> set[str]:
    path = outdir / GPKG_NAME
    if REGISTRY_LAYER not in set(pyogrio.list_layers(path)[:, 0]):
        return set()
    table = pyogrio.read_dataframe(path, layer=REGISTRY_LAYER, read_geometry=False)
    return set(table.loc[(table["locked"] == 1) & (table["status"] == "active"), "code"]
               .astype(str))


@lru_cache(maxsize=8)
def changed_codes(outdir: Path) -> frozenset[str]:
    """Small-area codes the last edition changed (from its ``changes.csv``)."""
    path = outdir / CHANGES_NAME
    if not path.exists():
        return frozenset()
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig").fillna("")
    return frozenset(table.loc[table["change"] != "U", "new_code"]) - {""}
