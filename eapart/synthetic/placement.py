"""Keep the candidate footprints that can really stand, then exactly as many as asked.

A footprint is dropped when it comes within a set-back of a road, railway or stream
centre line, touches the river or the lake, crosses a village boundary or leaves the
county, or overlaps a footprint of higher rank. All tests are STRtree queries over
short line segments (so that a long river does not put every footprint in its
bounding box). Quotas per group are then filled nearest the settlement centres first.
"""

from __future__ import annotations

import numpy as np
import shapely

from eapart.synthetic.footprints import GROUP_CODE, GROUPS, Candidates


def segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-point segments of ``lines`` and the index of the line each comes from."""
    # A segment joins consecutive coordinates of the same part.
    parts, part_of = shapely.get_parts(lines, return_index=True)
    pcoords, pindex = shapely.get_coordinates(parts, return_index=True)
    same = pindex[1:] == pindex[:-1]
    start = np.flatnonzero(same)
    segs = shapely.linestrings(np.stack([pcoords[start], pcoords[start + 1]], axis=1))
    return segs, part_of[pindex[start]]


def clear_of(geoms: np.ndarray, barriers: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """True for each geometry farther than ``distance[k]`` from every ``barriers[k]``."""
    if len(barriers) == 0:
        return np.ones(len(geoms), bool)
    tree = shapely.STRtree(barriers)
    g, b = tree.query(geoms, predicate="dwithin", distance=float(distance.max()))
    close = shapely.distance(geoms[g], barriers[b]) < distance[b]
    ok = np.ones(len(geoms), bool)
    ok[g[close]] = False
    return ok


def locate(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Index of the polygon each point lies in, -1 when none."""
    tree = shapely.STRtree(polygons)
    p, poly = tree.query(points, predicate="within")
    where = np.full(len(points), -1)
    where[p] = poly
    return where


def drop_overlaps(geoms: np.ndarray, rank: np.ndarray, gap: float = 0.5) -> np.ndarray:
    """True for footprints that keep ``gap`` metres from every footprint of lower rank.

    When two clash, the one of higher ``rank`` (less important) goes; this may drop a
    few more than strictly needed, never too few.
    """
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="dwithin", distance=gap)
    lose = (i != j) & ((rank[j] < rank[i]) | ((rank[j] == rank[i]) & (j < i)))
    ok = np.ones(len(geoms), bool)
    ok[i[lose]] = False
    return ok


def quotas(n: int, shares: dict[str, float], fill: str = "house") -> np.ndarray:
    """Buildings wanted per group: ``shares`` of ``n``, the rest going to ``fill``."""
    want = np.zeros(len(GROUPS), dtype=np.int64)
    for group, share in shares.items():
        want[GROUP_CODE[group]] = int(round(share * n))
    want[GROUP_CODE[fill]] = n - want.sum()
    return want


def select(cands: Candidates, want: np.ndarray, spill: tuple[str, ...]) -> np.ndarray:
    """Positions of exactly ``want.sum()`` candidates, kept groups first, then by score.

    The ``keep`` group is taken whole. A group short of candidates passes its shortfall
    to the ``spill`` groups in order. Returns sorted positions (generation order), or
    raises ``LookupError`` when there are not enough candidates in all.
    """
    total = int(want.sum())
    keep = np.flatnonzero(cands.group == GROUP_CODE["keep"])
    have = np.bincount(cands.group, minlength=len(GROUPS))
    want = want.copy()
    want[GROUP_CODE["keep"]] = 0
    want[GROUP_CODE[spill[0]]] -= min(len(keep), total)  # kept ones count towards the total
    shortfall = np.maximum(want - have, 0)
    want -= shortfall
    missing = int(shortfall.sum())
    for group in spill:
        g = GROUP_CODE[group]
        extra = min(missing, have[g] - want[g])
        want[g] += extra
        missing -= extra
    if missing > 0 or len(keep) > total:
        raise LookupError(f"{missing} candidates short")
    chosen = [keep]
    for g in range(len(GROUPS)):
        if g == GROUP_CODE["keep"] or want[g] <= 0:
            continue
        idx = np.flatnonzero(cands.group == g)
        chosen.append(idx[np.argsort(cands.score[idx], kind="stable")[: want[g]]])
    return np.sort(np.concatenate(chosen))
