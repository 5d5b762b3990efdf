"""A small PDF writer for the enumerator sheets: pages of vector paths and CJK text.

Drawing a sheet through a general plotting library costs most of its time in
per-glyph text layout; a sheet needs none of it. This writer streams each
page's content (built by :class:`eapart.sheets.canvas.Canvas`) straight
to the file and, at the end, embeds each font once per PDF as a Type0 font
whose descendant is the font's own CID-keyed CFF (``CIDFontType0C``), cut
down to the glyphs the PDF used. Text is written as CIDs with a ToUnicode
map, so it is searchable and copies out as real Chinese.

>>> with PdfDocument("a.pdf", fonts, title="普查小区图") as pdf:  # doctest: +SKIP
...     pdf.add_page(canvas.content())
"""

from __future__ import annotations

import io
import zlib
from functools import lru_cache
from pathlib import Path

from eapart.errors import InputError

#: A4 in PostScript points (the sheet's figure size in inches, times 72).
PAGE_SIZE = (8.27 * 72, 11.69 * 72)
#: zlib level for page content: level 6 is within a millisecond of level 1 per page.
COMPRESSION = 6
#: Alpha of the white boxes behind labels, as the graphics state ``/GA``.
HALO_ALPHA = 0.8
#: A run's font up to this size is embedded whole in each PDF rather than cut per PDF.
WHOLE_FONT_BYTES = 200_000


class PdfFont:
    """One face of the run's subset font: glyph codes, advance widths, embedding.

    ``path`` is what :func:`eapart.sheets.fonts.write_subset_fonts` writes: a
    CID-keyed CFF OpenType font (Noto Sans CJK, Source Han Sans), embedded as
    ``CIDFontType0C`` with its own CIDs as codes, or a TrueType font (WenQuanYi,
    SimHei), embedded as ``CIDFontType2`` with glyph ids as codes. Characters
    the font lacks print as its ``.notdef`` glyph. ``used`` collects the
    characters drawn since the last :meth:`reset`, for the per-PDF subset.
    """

    def __init__(self, path: str | Path, resource: str) -> None:
        from fontTools.ttLib import TTFont

        font = TTFont(str(path))
        self.truetype = "glyf" in font
        if self.truetype:
            self.registry, self.ordering, self.supplement = "Adobe", "Identity", 0
        else:
            top = font["CFF "].cff.topDictIndex[0] if "CFF " in font else None
            if top is None or not hasattr(top, "ROS"):
                raise InputError(
                    f"{path}: neither TrueType nor a CID-keyed CFF font, sheets cannot embed "
                    "it; install fonts-noto-cjk or set EAPART_FONT to another Chinese font.")
            self.registry, self.ordering, self.supplement = top.ROS
        self.path = Path(path)
        self.resource = resource
        self.name = font["name"].getDebugName(6) or self.path.stem
        scale = 1000 / font["head"].unitsPerEm
        os2 = font["OS/2"]
        self.ascent = os2.sTypoAscender * scale / 1000
        self.descent = -os2.sTypoDescender * scale / 1000
        self.cap_height = getattr(os2, "sCapHeight", 0) * scale or 700.0
        head = font["head"]
        self.bbox = [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        metrics = font["hmtx"].metrics
        self._cid: dict[str, int] = {}
        self._width: dict[str, float] = {}
        glyph_id = font.getReverseGlyphMap()
        for code, glyph in font.getBestCmap().items():
            self._cid[chr(code)] = glyph_id[glyph] if self.truetype else _cid_of(glyph)
            self._width[chr(code)] = metrics[glyph][0] * scale
        self._hex = {char: f"{cid:04X}" for char, cid in self._cid.items()}
        self._notdef_width = metrics[".notdef"][0] * scale
        self.used: set[str] = set()
        self._whole: bytes | None = None

    def reset(self) -> None:
        """Forget the characters drawn so far (a new PDF starts)."""
        self.used = set()

    def encode(self, text: str) -> str:
        """``text`` as a PDF hex string of CIDs, remembering its characters."""
        self.used.update(text)
        lookup = self._hex
        return "<" + "".join([lookup.get(char, "0000") for char in text]) + ">"

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` points, in points."""
        lookup, missing = self._width, self._notdef_width
        return sum([lookup.get(char, missing) for char in text]) * size / 1000

    def embedded_program(self) -> tuple[bytes, dict[int, str], dict[int, float]]:
        """The font program to embed, and code -> character and width.

        The run's font is already cut to the characters the sheets may draw; when it
        is small (at most :data:`WHOLE_FONT_BYTES`), it goes in whole, which costs
        nothing per PDF. A larger one is cut again to the characters this PDF used.
        """
        if self._whole is None:
            self._whole = _whole_program(str(self.path), self.truetype)
        if len(self._whole) <= WHOLE_FONT_BYTES:
            chars = "".join(sorted(self._cid))
            program = self._whole
        else:
            chars = "".join(sorted(char for char in self.used if char in self._cid))
            program = _subset_program(str(self.path), chars, self.truetype)
        return (program, {self._cid[c]: c for c in chars},
                {self._cid[c]: self._width[c] for c in chars})


def _whole_program(path: str, truetype: bool) -> bytes:
    """The font at ``path`` as embedded whole: its CFF table, or the TrueType file."""
    if truetype:
        return Path(path).read_bytes()
    from fontTools.ttLib import TTFont

    return TTFont(path).getTableData("CFF ")


def _cid_of(glyph: str) -> int:
    """The CID of a CID-keyed CFF glyph name (``cid01234``; ``.notdef`` is 0)."""
    return int(glyph[3:]) if glyph.startswith("cid") else 0


@lru_cache(maxsize=64)
def _subset_program(path: str, chars: str, truetype: bool) -> bytes:
    """The font at ``path`` cut to ``chars``: its CFF table (CIDs are kept), or for
    TrueType the whole font with glyph ids kept.

    Cached: the fixed wording and digits make most PDFs of a run ask for the
    same glyphs in the bold and monospaced faces.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(path, recalcBBoxes=False)  # the bounding box of the run's font will do
    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    options.name_IDs = []
    options.retain_gids = truetype
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    if not truetype:
        return font.getTableData("CFF ")
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _literal(value) -> str:
    """A Python value as PDF syntax (names start with '/', refs are pre-formatted)."""
    if isinstance(value, dict):
        return "<<" + " ".join(f"/{k} {_literal(v)}" for k, v in value.items()) + ">>"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_literal(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _text_string(text: str) -> str:
    """A document-information string: UTF-16BE with a byte-order mark, in hex."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _to_unicode(chars: dict[int, str]) -> bytes:
    """A ToUnicode CMap from CIDs to characters, so copied text is real text."""
    entries = [f"<{cid:04X}> <{char.encode('utf-16-be').hex().upper()}>"
               for cid, char in sorted(chars.items())]
    chunks = [entries[i:i + 100] for i in range(0, len(entries), 100)]
    blocks = [f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar"
              for chunk in chunks]
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "\n".join(blocks) + "\nendcmap\nCMapName currentdict /CMap defineresource pop\n"
            "end\nend\n").encode("ascii")


def _widths(widths: dict[int, float]) -> list:
    """The CIDFont ``/W`` array: ``[cid [w] cid [w] ...]``."""
    out: list = []
    for cid, width in sorted(widths.items()):
        out += [cid, [round(width)]]
    return out


class PdfDocument:
    """A PDF written page by page; fonts and the page tree are written on close.

    Object numbers: 1 catalog, 2 page tree, 3 shared resources, 4 information,
    then one Type0 font object per font, then pages and font parts as written.
    """

    def __init__(self, path: str | Path, fonts: list[PdfFont], *, title: str = "",
                 creator: str = "") -> None:
        self.path = Path(path)
        self.fonts = fonts
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._font_ids = {font.resource: 5 + i for i, font in enumerate(fonts)}
        self._next = 5 + len(fonts)
        self._info = {"Title": _text_string(title), "Creator": _text_string(creator),
                      "Producer": _text_string(creator)}
        for font in fonts:
            font.reset()
        self._file.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def __enter__(self) -> PdfDocument:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self._file.close()

    def _new_id(self) -> int:
        self._next += 1
        return self._next - 1

    def _object(self, number: int, body: str | bytes) -> None:
        self._offsets[number] = self._file.tell()
        data = body.encode("latin-1") if isinstance(body, str) else body
        self._file.write(b"%d 0 obj\n" % number + data + b"\nendobj\n")

    def _stream(self, number: int, data: bytes, extra: dict | None = None) -> None:
        packed = zlib.compress(data, COMPRESSION)
        head = {"Length": len(packed), "Filter": "/FlateDecode", **(extra or {})}
        self._object(number, _literal(head).encode("latin-1") + b"\nstream\n" + packed
                     + b"\nendstream")

    def add_page(self, content: bytes) -> None:
        """Append one A4 page drawn by ``content`` (page-space operators, in points)."""
        stream, page = self._new_id(), self._new_id()
        self._stream(stream, content)
        self._object(page, _literal({
            "Type": "/Page", "Parent": "2 0 R", "Resources": "3 0 R",
            "MediaBox": [0, 0, round(PAGE_SIZE[0], 2), round(PAGE_SIZE[1], 2)],
            "Contents": f"{stream} 0 R"}))
        self._pages.append(page)

    def _embed_font(self, font: PdfFont) -> None:
        data, chars, widths = font.embedded_program()
        program, cmap, descriptor, descendant = (self._new_id() for _ in range(4))
        base = "/" + _subset_tag(chars) + "+" + "".join(c for c in font.name if c.isalnum())
        if font.truetype:
            self._stream(program, data, {"Length1": len(data)})
        else:
            self._stream(program, data, {"Subtype": "/CIDFontType0C"})
        self._stream(cmap, _to_unicode(chars))
        self._object(descriptor, _literal({
            "Type": "/FontDescriptor", "FontName": base, "Flags": 4,
            "FontBBox": font.bbox, "ItalicAngle": 0, "Ascent": round(font.ascent * 1000),
            "Descent": -round(font.descent * 1000), "CapHeight": round(font.cap_height),
            "StemV": 80, ("FontFile2" if font.truetype else "FontFile3"): f"{program} 0 R"}))
        kind = {"Subtype": "/CIDFontType2", "CIDToGIDMap": "/Identity"} if font.truetype \
            else {"Subtype": "/CIDFontType0"}
        self._object(descendant, _literal({
            "Type": "/Font", **kind, "BaseFont": base,
            "CIDSystemInfo": {"Registry": f"({font.registry})", "Ordering":
                              f"({font.ordering})", "Supplement": font.supplement},
            "FontDescriptor": f"{descriptor} 0 R", "DW": 1000, "W": _widths(widths)}))
        self._object(self._font_ids[font.resource], _literal({
            "Type": "/Font", "Subtype": "/Type0", "BaseFont": base, "Encoding": "/Identity-H",
            "DescendantFonts": [f"{descendant} 0 R"], "ToUnicode": f"{cmap} 0 R"}))

    def close(self) -> None:
        """Write fonts, page tree, catalog and cross-reference table; close the file."""
        used = [font for font in self.fonts if font.used]  # a face never drawn is left out
        for font in used:
            self._embed_font(font)
        fonts = {font.resource: f"{self._font_ids[font.resource]} 0 R" for font in used}
        self._object(3, _literal({"Font": fonts, "ExtGState": {"GA": {"ca": HALO_ALPHA}},
                                  "ProcSet": ["/PDF", "/Text"]}))
        kids = [f"{page} 0 R" for page in self._pages]
        self._object(2, _literal({"Type": "/Pages", "Kids": kids, "Count": len(kids)}))
        self._object(1, _literal({"Type": "/Catalog", "Pages": "2 0 R"}))
        self._object(4, _literal(self._info))
        size = max(self._offsets) + 1
        xref = self._file.tell()
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        lines += [b"%010d 00000 n \n" % self._offsets[n] if n in self._offsets
                  else b"0000000000 65535 f \n" for n in range(1, size)]
        self._file.write(b"".join(lines))
        self._file.write(b"trailer\n<</Size %d /Root 1 0 R /Info 4 0 R>>\nstartxref\n%d\n%%%%EOF\n"
                         % (size, xref))
        self._file.close()


def _subset_tag(chars: dict[int, str]) -> str:
    """Six capital letters naming a font subset (the same glyphs give the same tag)."""
    value = zlib.crc32("".join(sorted(chars.values())).encode("utf-8"))
    letters = []
    for _ in range(6):
        value, digit = divmod(value, 26)
        letters.append(chr(ord("A") + digit))
    return "".join(letters)
