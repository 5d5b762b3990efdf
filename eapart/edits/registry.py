"""The code registry: every code ever issued, its status, and what is locked.

Enumerators, supervisors and printed sheets know areas by their codes, so a code
that has left the map must never come back meaning another place: a retired small
area code is never issued again in its census area (the QGIS Redistricting
plugin's rule, and the UK census's for Output Areas). The registry is the table
``codes`` in ``eapart.gpkg``, one row per code:

- ``code``: the 12-digit census area or 15-digit small area code;
- ``level``: ``census_area`` or ``small_area``;
- ``parent``: the code it nests in (township for a census area);
- ``status``: ``active`` or ``retired``;
- ``locked``: 1 when approved and locked (kept exactly, never edited), else 0;
- ``issued_in`` / ``retired_in``: the edition (0 for a first run, +1 per edit or
  re-run) that issued or retired it.

An output written before the registry existed gets one made from its layers:
every code active, issued in edition 0, nothing locked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from eapart.domain.codes import MAX_SMALL_AREA_NUMBER, format_code, number_in_order
from eapart.domain.schema import CENSUS_AREA_CODE, GPKG_NAME, SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.errors import InputError
from eapart.io.write import gpkg_writes

#: The registry's table in ``eapart.gpkg``.
REGISTRY_LAYER = "codes"

COLUMNS: tuple[str, ...] = ("code", "level", "parent", "status", "locked", "issued_in",
                            "retired_in")


def fresh_registry(layers: dict, edition: int = 0) -> pd.DataFrame:
    """A registry listing the codes of ``layers``, all active and unlocked."""
    ca = layers["census_areas"]
    sa = layers["small_areas"]
    rows = pd.DataFrame({
        "code": list(ca[CENSUS_AREA_CODE]) + list(sa[SMALL_AREA_CODE]),
        "level": ["census_area"] * len(ca) + ["small_area"] * len(sa),
        "parent": list(ca[TOWNSHIP_CODE]) + list(sa[CENSUS_AREA_CODE]),
    })
    rows["status"] = "active"
    rows["locked"] = 0
    rows["issued_in"] = edition
    rows["retired_in"] = pd.array([None] * len(rows), dtype="Int64")
    return rows.sort_values("code").reset_index(drop=True)


def read_registry(outdir: Path, layers: dict) -> pd.DataFrame:
    """The registry of ``outdir``, or a fresh one when the output has none."""
    path = Path(outdir) / GPKG_NAME
    if REGISTRY_LAYER not in set(pyogrio.list_layers(path)[:, 0]):
        return fresh_registry(layers)
    frame = pyogrio.read_dataframe(path, layer=REGISTRY_LAYER, read_geometry=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}, table {REGISTRY_LAYER!r}: column(s) {', '.join(missing)} "
                         "missing; re-run `eapart run` to write it again")
    out = pd.DataFrame({c: frame[c] for c in COLUMNS})
    for c in ("code", "level", "parent", "status"):
        out[c] = out[c].astype(str)
    out["locked"] = out["locked"].fillna(0).astype(np.int64)
    out["issued_in"] = out["issued_in"].fillna(0).astype(np.int64)
    out["retired_in"] = out["retired_in"].astype("Int64")
    return out


def locked_codes(registry: pd.DataFrame) -> set[str]:
    """Codes locked in ``registry``."""
    return set(registry.loc[(registry["locked"] == 1) & (registry["status"] == "active"),
                            "code"])


def new_small_area_codes(registry: pd.DataFrame, census_area: str, x, y) -> list[str]:
    """Codes for new small areas in ``census_area`` at points ``x, y``, in serpentine order.

    They are numbered after the largest number ever issued in the census area
    (retired ones included), so no code comes back. Raises ``InputError`` when
    the census area has used up its numbers.
    """
    issued = registry.loc[(registry["level"] == "small_area")
                          & (registry["parent"] == census_area), "code"]
    start = max((int(c[12:]) for c in issued), default=0) + 1
    if start + len(x) - 1 > MAX_SMALL_AREA_NUMBER:
        raise InputError(f"census area {census_area} has issued small area numbers up to "
                         f"{start - 1}; {len(x)} more do not fit below "
                         f"{MAX_SMALL_AREA_NUMBER + 1}: re-run it without --previous")
    codes = number_in_order(census_area, np.asarray(x), np.asarray(y), start=start)
    assert all(c == format_code(census_area, int(c[12:])) for c in codes)
    return codes


def updated_registry(registry: pd.DataFrame, layers: dict, edition: int,
                     locks: dict[str, bool]) -> pd.DataFrame:
    """The registry after an edition: new codes issued, vanished codes retired, locks set.

    ``locks``: the lock state of each code an edit locked or unlocked.
    """
    reg = registry.copy()
    live = set(layers["census_areas"][CENSUS_AREA_CODE]) | \
        set(layers["small_areas"][SMALL_AREA_CODE])
    gone = (reg["status"] == "active") & ~reg["code"].isin(live)
    reg.loc[gone, "status"] = "retired"
    reg.loc[gone, "retired_in"] = edition
    reg.loc[gone, "locked"] = 0
    known = set(reg["code"])
    fresh = fresh_registry(layers, edition)
    fresh = fresh[~fresh["code"].isin(known)]
    reg = pd.concat([reg, fresh], ignore_index=True)
    for code, state in locks.items():
        reg.loc[(reg["code"] == code) & (reg["status"] == "active"), "locked"] = int(state)
    reg["retired_in"] = reg["retired_in"].astype("Int64")
    return reg.sort_values("code", kind="stable").reset_index(drop=True)


def write_registry(gpkg: Path, registry: pd.DataFrame) -> None:
    """Write the registry as a table (no geometry) into ``gpkg``."""
    frame = pd.DataFrame({c: registry[c] for c in COLUMNS})
    frame["retired_in"] = frame["retired_in"].astype("float64")
    with gpkg_writes():
        pyogrio.write_dataframe(frame, gpkg, layer=REGISTRY_LAYER, driver="GPKG")
