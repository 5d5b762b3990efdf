"""Candidate building footprints as flat arrays, and their polygons.

A candidate is a rectangle (or an L: a rectangle with one corner cut away) given by
its centre, length along its axis, depth, rotation and shape. Settlements generate
candidates in bulk as :class:`Candidates`; :func:`polygons` turns any number of them
into shapely polygons in one vectorised call per shape.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import shapely

#: Building types, in the order of the ``type_code`` column.
TYPES: tuple[str, ...] = (
    "apartments", "residential", "house", "retail", "office", "garage", "warehouse",
    "industrial", "shed", "farm_auxiliary", "school", "hospital", "dormitory", "barracks",
)
TYPE_CODE = {name: k for k, name in enumerate(TYPES)}

#: Quota groups: how many of each the county gets is a share of the buildings.
GROUPS: tuple[str, ...] = ("apartments", "urban_low", "urban_other", "industrial",
                           "rural_aux", "house", "keep")
GROUP_CODE = {name: k for k, name in enumerate(GROUPS)}


@dataclass
class Candidates:
    """Footprints not yet placed: one entry per candidate, all arrays the same length.

    ``score`` orders candidates inside their quota group (lower is kept first: nearer
    the centre of its settlement); ``group`` is an index into :data:`GROUPS`;
    ``giant`` marks the one dormitory above 2,000 persons; ``tower`` marks apartment
    towers above 300 households.
    """

    x: np.ndarray
    y: np.ndarray
    length: np.ndarray
    depth: np.ndarray
    angle: np.ndarray
    lshape: np.ndarray
    type_code: np.ndarray
    group: np.ndarray
    score: np.ndarray
    tower: np.ndarray
    giant: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def take(self, index: np.ndarray) -> Candidates:
        """The candidates at ``index`` (boolean mask or integer positions)."""
        return Candidates(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def concat(cls, parts: list[Candidates]) -> Candidates:
        """All candidates of ``parts``, in order."""
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})

    @classmethod
    def local(
        cls, u: np.ndarray, v: np.ndarray, length: np.ndarray, depth: np.ndarray,
        spin: np.ndarray, origin: np.ndarray, angle: np.ndarray, **columns: np.ndarray,
    ) -> Candidates:
        """Candidates laid out at ``(u, v)`` in frames rotated by ``angle`` around ``origin``.

        ``origin`` is ``(n, 2)`` and ``angle`` ``(n,)``, one per candidate (a settlement's
        frame repeated); ``spin`` is each footprint's own small rotation in that frame.
        Missing boolean columns default to False.
        """
        c, s = np.cos(angle), np.sin(angle)
        n = len(u)
        for name in ("lshape", "tower", "giant"):
            columns.setdefault(name, np.zeros(n, bool))
        return cls(x=origin[:, 0] + u * c - v * s, y=origin[:, 1] + u * s + v * c,
                   length=length, depth=depth, angle=angle + spin, **columns)


_RECT = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
#: An L: the rectangle without its north-east corner (45% by 45%).
_ELL = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.05], [0.05, 0.05], [0.05, 0.5],
                 [-0.5, 0.5], [-0.5, -0.5]])


def polygons(c: Candidates) -> np.ndarray:
    """Shapely polygons of all candidates, in order (vectorised per shape)."""
    out = np.empty(len(c), dtype=object)
    for template, mask in ((_RECT, ~c.lshape), (_ELL, c.lshape)):
        if not mask.any():
            continue
        unit = template[None, :, :] * np.stack([c.length[mask], c.depth[mask]], axis=1)[:, None, :]
        cos, sin = np.cos(c.angle[mask])[:, None], np.sin(c.angle[mask])[:, None]
        x = c.x[mask][:, None] + unit[..., 0] * cos - unit[..., 1] * sin
        y = c.y[mask][:, None] + unit[..., 0] * sin + unit[..., 1] * cos
        out[mask] = shapely.polygons(np.stack([x, y], axis=-1))
    return out
