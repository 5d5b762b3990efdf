"""Picking edits on a real output: neighbouring areas, border buildings, lines the
check accepts (probed in-process, so that the command under test gets a line that
should pass whatever the engine's cut looks like today)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from eapart.domain.areas import Areas
from eapart.edits.check import plan_edits
from eapart.edits.format import Edit, EditsFile, fingerprint
from eapart.edits.state import read_output

METRIC = 32631  # UTM 31N: Andorra


def layer(out: Path, name: str) -> gpd.GeoDataFrame:
    """One layer of an output, codes as text, read the way every command reads it."""
    return Areas.read(out, [name]).layers[name]


def made_on(out: Path) -> str:
    return fingerprint(layer(out, "buildings"))


def neighbours(out: Path):
    """Pairs of small areas of one census area sharing more than 20 m of boundary."""
    sa = layer(out, "small_areas").to_crs(METRIC)
    tree = shapely.STRtree(sa.geometry.to_numpy())
    left, right = tree.query(sa.geometry.to_numpy(), predicate="touches")
    pairs = []
    for i, j in zip(left, right, strict=True):
        a, b = sa.iloc[i], sa.iloc[j]
        if i < j and a.census_area_code == b.census_area_code and \
                a.geometry.intersection(b.geometry).length > 20:
            pairs.append((a.small_area_code, b.small_area_code))
    return pairs


_OUTPUTS: dict[str, object] = {}


def accepted(out: Path, **row) -> bool:
    """True when ``eapart edit check`` would accept this one line (picked in-process)."""
    if str(out) not in _OUTPUTS:
        _OUTPUTS[str(out)] = read_output(out)
    output = _OUTPUTS[str(out)]
    edit = Edit(id="probe", line=2, **row)
    plan = plan_edits(output, EditsFile(path=Path("probe.csv"), made_on=output.made_on,
                                        edits=[edit]))
    return not plan.refused


def movable(out: Path, op: str = "move", skip: int = 0):
    """A pair of neighbours and a border building that ``op`` may move across."""
    found = 0
    for a, b in neighbours(out):
        bid = border_building(out, a, b)
        if accepted(out, op=op, buildings=[bid], target=b):
            if found == skip:
                return a, b, bid
            found += 1
    raise AssertionError(f"no border building of Andorra can be moved by {op}")


def mergeable(out: Path, skip: int = 0):
    found = 0
    for a, b in neighbours(out):
        if accepted(out, op="merge", areas=[a, b]):
            if found == skip:
                return a, b
            found += 1
    raise AssertionError("no pair of Andorra's small areas can be merged")


def border_building(out: Path, source: str, target: str) -> str:
    """The building of ``source`` nearest ``target``."""
    b = layer(out, "buildings").to_crs(METRIC)
    sa = layer(out, "small_areas").to_crs(METRIC).set_index("small_area_code")
    mine = b[b.small_area_code == source]
    dist = mine.geometry.distance(sa.geometry[target])
    return mine.building_id.iloc[int(np.argmin(dist.to_numpy()))]
