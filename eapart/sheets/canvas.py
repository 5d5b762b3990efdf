"""Page content for the enumerator sheets: PDF drawing operators, built in bulk.

A :class:`Canvas` collects one page's operators in page space (points, origin
at the bottom left). Paths come in as coordinate arrays with a part index
(what ``shapely.get_coordinates(..., return_index=True)`` gives), so a layer of
a thousand buildings is one string format, not a thousand calls. Text is
placed from the font's advance widths and ascent/descent, which is all a map
label or a table needs: no shaping, no kerning.

>>> canvas = Canvas()  # doctest: +SKIP
>>> canvas.text(40, 800, "普查小区", font, 15)  # doctest: +SKIP
>>> pdf.add_page(canvas.content())  # doctest: +SKIP
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from eapart.sheets.pdf import PdfFont

#: Horizontal anchor -> share of the text's width left of the anchor.
_HA = {"left": 0.0, "center": 0.5, "right": 1.0}
#: Padding of a label's white box, in font sizes (as matplotlib's ``square,pad=0.12``).
HALO_PAD = 0.12


@lru_cache(maxsize=256)
def rgb(colour: str) -> str:
    """``#rrggbb`` as the three PDF colour components."""
    value = colour.lstrip("#")
    return " ".join(f"{int(value[i:i + 2], 16) / 255:.3f}".rstrip("0").rstrip(".") or "0"
                    for i in (0, 2, 4))


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _baseline(font: PdfFont, size: float, va: str) -> float:
    """Offset from the anchor to the baseline for a vertical alignment."""
    if va == "top":
        return -font.ascent * size
    if va == "center":
        return -(font.ascent - font.descent) / 2 * size
    if va == "bottom":
        return font.descent * size
    return 0.0


def path_operators(xy: np.ndarray, parts: np.ndarray, close: bool) -> str:
    """Move/line operators for every part of ``xy`` (points), one string format.

    ``parts`` numbers the part of each vertex (consecutive vertices of a part
    share a number). Coordinates are written in tenths of a point, as integers,
    under a ``0.1`` scale the caller sets (see :meth:`Canvas.paths`).
    """
    n = len(xy)
    if not n:
        return ""
    start = np.ones(n, dtype=bool)
    start[1:] = parts[1:] != parts[:-1]
    ops = np.where(start, "m", "l").astype(object)
    if close:
        end = np.roll(start, -1)
        ops[end] = ops[end] + " h"
    cells = np.empty((n, 3), dtype=object)
    cells[:, :2] = np.rint(xy * 10).astype(np.int64)
    cells[:, 2] = ops
    return ("%d %d %s\n" * n) % tuple(cells.ravel().tolist())


class Canvas:
    """The operators of one page, in page space (points)."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def content(self) -> bytes:
        """The page's content stream."""
        return "\n".join(self._parts).encode("ascii")

    def raw(self, operators: str) -> None:
        """Append operators as they are (for shapes this class has no method for)."""
        self._parts.append(operators)

    def save(self) -> None:
        self._parts.append("q")

    def restore(self) -> None:
        self._parts.append("Q")

    def clip(self, x: float, y: float, width: float, height: float) -> None:
        """Clip what follows (until :meth:`restore`) to a rectangle."""
        self._parts.append(f"{_number(x)} {_number(y)} {_number(width)} {_number(height)} "
                           "re W n")

    def rect(self, x: float, y: float, width: float, height: float, *,
             fill: str | None = None, stroke: str | None = None, lw: float = 0.8) -> None:
        """A rectangle, filled and/or outlined."""
        box = f"{_number(x)} {_number(y)} {_number(width)} {_number(height)} re"
        self._parts.append(self._style(fill, stroke, lw) + f" {box} " + _paint(fill, stroke))

    def paths(self, xy: np.ndarray, parts: np.ndarray, *, close: bool,
              fill: str | None = None, stroke: str | None = None, lw: float = 1.0,
              dash: tuple[float, ...] | None = None, round_cap: bool = False) -> None:
        """Every part of ``xy`` as one painted path: polygons when ``close``, else lines."""
        if not len(xy) or (fill is None and stroke is None):
            return
        # Widths and dashes apply in the scaled space of the coordinates: times 10.
        style = self._style(fill, stroke, lw * 10)
        if dash:
            style += " [" + " ".join(_number(d * 10) for d in dash) + "] 0 d"
        if round_cap:
            style += " 1 J 1 j"
        self._parts.append(f"q {style} 0.1 0 0 0.1 0 0 cm\n"
                           + path_operators(xy, parts, close)
                           + _paint(fill, stroke) + " Q")

    @staticmethod
    def _style(fill: str | None, stroke: str | None, lw: float) -> str:
        out = []
        if fill is not None:
            out.append(f"{rgb(fill)} rg")
        if stroke is not None:
            out.append(f"{rgb(stroke)} RG {_number(lw)} w")
        return " ".join(out)

    def text(self, x: float, y: float, text: str, font: PdfFont, size: float, *,
             colour: str = "#000000", ha: str = "left", va: str = "baseline",
             angle: float = 0.0, halo: bool = False) -> None:
        """One line of text anchored at (x, y), rotated ``angle`` degrees about the anchor."""
        if not angle and not halo:  # the common case, without arrays
            left = x - font.width(text, size) * _HA[ha]
            base = y + _baseline(font, size, va)
            self._parts.append(f"BT /{font.resource} {_number(size)} Tf {rgb(colour)} rg\n"
                               f"1 0 0 1 {left:.2f} {base:.2f} Tm {font.encode(text)} Tj\nET")
            return
        self.texts(np.array([x]), np.array([y]), [text], font, size, colour=colour, ha=ha,
                   va=va, angles=np.array([angle]), halo=halo)

    def texts(self, xs: np.ndarray, ys: np.ndarray, texts: list[str], font: PdfFont,
              size: float, *, colour: str = "#000000", ha: str = "center",
              va: str = "center", angles: np.ndarray | None = None, halo: bool = False) -> None:
        """Many one-line labels in one font, size and colour, in one text object.

        Labels without a finite position (from an empty geometry) are left out.
        """
        placed = np.isfinite(xs) & np.isfinite(ys)
        if not placed.all():
            keep = np.flatnonzero(placed)
            xs, ys, texts = xs[keep], ys[keep], [texts[i] for i in keep]
            angles = None if angles is None else angles[keep]
        if not len(texts):
            return
        widths = np.array([font.width(text, size) for text in texts])
        dx = -widths * _HA[ha]
        dy = _baseline(font, size, va)
        rotated = angles is not None and bool(np.any(angles))
        theta = np.radians(angles) if rotated else np.zeros(len(texts))
        cos, sin = np.cos(theta), np.sin(theta)
        if halo:
            self._halos(xs, ys, dx, dy, widths, cos, sin, font, size)
        lines = [f"BT /{font.resource} {_number(size)} Tf {rgb(colour)} rg"]
        if rotated:
            ox = xs + dx * cos - dy * sin
            oy = ys + dx * sin + dy * cos
            for i, text in enumerate(texts):
                lines.append(f"{cos[i]:.4f} {sin[i]:.4f} {-sin[i]:.4f} {cos[i]:.4f} "
                             f"{ox[i]:.2f} {oy[i]:.2f} Tm {font.encode(text)} Tj")
        else:
            ox, oy = (xs + dx).tolist(), (ys + dy).tolist()
            lines += [f"1 0 0 1 {x:.2f} {y:.2f} Tm {font.encode(text)} Tj"
                      for x, y, text in zip(ox, oy, texts, strict=True)]
        lines.append("ET")
        self._parts.append("\n".join(lines))

    def _halos(self, xs, ys, dx, dy, widths, cos, sin, font: PdfFont, size: float) -> None:
        """White, slightly transparent boxes behind labels (one path for all)."""
        pad = HALO_PAD * size
        bottom = dy - font.descent * size - pad
        top = bottom + (font.ascent + font.descent) * size + 2 * pad
        u0, u1 = dx - pad, dx + widths + pad
        corners_u = np.stack([u0, u1, u1, u0], axis=1)
        corners_v = np.broadcast_to(np.array([bottom, bottom, top, top]), corners_u.shape)
        x = xs[:, None] + corners_u * cos[:, None] - corners_v * sin[:, None]
        y = ys[:, None] + corners_u * sin[:, None] + corners_v * cos[:, None]
        xy = np.stack([x.ravel(), y.ravel()], axis=1)
        parts = np.repeat(np.arange(len(xs)), 4)
        self._parts.append("q /GA gs")
        self.paths(xy, parts, close=True, fill="#ffffff")
        self._parts.append("Q")

    def text_block(self, x: float, y: float, lines: list[str], font: PdfFont, size: float,
                   leading: float, *, colour: str = "#000000") -> None:
        """Left-aligned lines, the first line's top at (x, y), ``leading`` points apart."""
        if not lines:
            return
        top = y - font.ascent * size
        shown = [f"BT /{font.resource} {_number(size)} Tf {_number(leading)} TL {rgb(colour)} rg",
                 f"1 0 0 1 {x:.2f} {top:.2f} Tm {font.encode(lines[0])} Tj"]
        shown += [f"{font.encode(line)} '" for line in lines[1:]]
        shown.append("ET")
        self._parts.append("\n".join(shown))

    def circles(self, xy: np.ndarray, radius: float, *, fill: str, stroke: str,
                lw: float) -> None:
        """Filled, outlined dots (point buildings) as round-capped zero-length strokes."""
        if not len(xy):
            return
        parts = np.repeat(np.arange(len(xy)), 2)
        doubled = np.repeat(xy, 2, axis=0)
        for colour, width in ((stroke, 2 * radius + lw), (fill, 2 * radius - lw)):
            self.paths(doubled, parts, close=False, stroke=colour, lw=width, round_cap=True)


def _paint(fill: str | None, stroke: str | None) -> str:
    """The painting operator for a fill and/or stroke."""
    return "B" if fill is not None and stroke is not None else "f" if fill is not None else "S"


def arrow(x: float, y_tail: float, y_head: float, width: float, head_width: float,
          head_length: float) -> np.ndarray:
    """Outline of an upward arrow (a north arrow) from ``y_tail`` to ``y_head``."""
    half, head = width / 2, head_width / 2
    neck = y_head - head_length
    return np.array([(x - half, y_tail), (x + half, y_tail), (x + half, neck),
                     (x + head, neck), (x, y_head), (x - head, neck), (x - half, neck)])


def degrees(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Reading angles of directions (dx, dy), folded into -90..90 so text is never upside down."""
    angles = np.degrees(np.arctan2(dy, dx))
    return np.where(angles > 90, angles - 180, np.where(angles < -90, angles + 180, angles))

