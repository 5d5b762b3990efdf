"""Find a font that draws Chinese, so printed sheets show names and not boxes.

Latin fonts have no Chinese glyphs: text would print as empty boxes. This
module finds a CJK font on the system (Noto Sans CJK, Source Han Sans,
WenQuanYi, or the Windows/macOS fonts; matplotlib's font list and fontconfig
tell where), and cuts it once per run to the characters the sheets use
(:func:`write_subset_fonts`). ``EAPART_FONT`` (a font file path) overrides
the search. When nothing suitable exists it raises
:class:`~eapart.errors.InputError` saying which package to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from eapart.errors import InputError

FONT_ENV = "EAPART_FONT"
#: Family names tried first, Simplified Chinese faces before the others.
PREFERRED_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei",
    "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK JP", "Noto Sans CJK TC",
)
#: Characters a usable font must draw: common words of sheet titles.
PROBE = "普查区小区乡镇街道户人"
INSTALL_HINT = (
    "install a CJK font, e.g. `sudo apt-get install fonts-noto-cjk` (Debian/Ubuntu) or "
    "`sudo dnf install google-noto-sans-cjk-fonts` (Fedora), or set "
    f"{FONT_ENV}=/path/to/font.ttc"
)


def draws_chinese(path: str | Path) -> bool:
    """True when the font file at ``path`` has a glyph for every character of :data:`PROBE`."""
    try:
        font = FT2Font(str(path))
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(char)) for char in PROBE)


def _matplotlib_candidates() -> list[str]:
    """Font files matplotlib knows, preferred families first, in their regular weight."""
    by_name: dict[str, str] = {}
    for entry in sorted(font_manager.fontManager.ttflist, key=lambda e: -_weight_gap(e)):
        by_name[entry.name] = entry.fname  # the entry nearest to regular comes last and wins
    return [by_name[name] for name in PREFERRED_FAMILIES if name in by_name]


def _weight_gap(entry) -> int:
    """How far a font entry's weight is from regular (400); named weights count as 300."""
    weight = entry.weight
    return abs(weight - 400) if isinstance(weight, int) else 300


def _fontconfig_candidates() -> list[str]:
    """Font files fontconfig lists for Chinese (fonts installed after matplotlib's cache)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listing = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True,
                                 text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({line.split(":")[0].strip() for line in listing.splitlines() if line})
    # Sans before serif, regular before bold: what a map label wants.
    return sorted(files, key=lambda f: ("Serif" in f, "Bold" in f or "Black" in f, f))


def find_cjk_font() -> Path:
    """Return the path of a font file that draws Chinese, or raise :class:`InputError`."""
    override = os.environ.get(FONT_ENV)
    if override:
        if not Path(override).is_file():
            raise InputError(f"{FONT_ENV}={override}: no such font file; {INSTALL_HINT}.")
        if not draws_chinese(override):
            raise InputError(
                f"{FONT_ENV}={override}: this font has no Chinese characters, sheets would "
                f"print boxes; {INSTALL_HINT}."
            )
        return Path(override)
    for candidate in _matplotlib_candidates() + _fontconfig_candidates():
        if draws_chinese(candidate):
            return Path(candidate)
    raise InputError(
        "no font with Chinese characters found: enumerator sheets would print boxes "
        f"instead of names; {INSTALL_HINT}."
    )


SUBSET_FAMILY = "eapart CJK"


MONO_FAMILY = "eapart CJK Mono"
#: Monospaced CJK families, for tables whose columns line up with spaces.
MONO_FAMILIES: tuple[str, ...] = ("Noto Sans Mono CJK SC", "Noto Sans Mono CJK TC",
                                  "Noto Sans Mono CJK JP")


def _entry_face(entry) -> tuple[str, int]:
    return entry.fname, getattr(entry, "index", 0)


def cjk_faces() -> dict[str, tuple[str, int, str, int]]:
    """Role -> (font file, face index, subset family, weight) of the Chinese font.

    Roles: ``regular``; ``bold`` (the family's bold when installed, else the
    regular face); ``mono`` (a monospaced CJK face when installed, else regular).
    """
    path = str(find_cjk_font())
    entries = [e for e in font_manager.fontManager.ttflist if e.fname == path]
    if not entries:
        font_manager.fontManager.addfont(path)
        entries = [e for e in font_manager.fontManager.ttflist if e.fname == path]
    preferred = [e for name in PREFERRED_FAMILIES for e in entries if e.name == name]
    regular = (preferred or entries)[0]
    family = [e for e in font_manager.fontManager.ttflist if e.name == regular.name]
    bold = [e for e in family if e.weight in (600, 700, "bold", "semibold")]
    mono = [e for name in MONO_FAMILIES for e in font_manager.fontManager.ttflist
            if e.name == name and e.weight in (400, "normal", "regular")]
    return {
        "regular": (*_entry_face(regular), SUBSET_FAMILY, 400),
        "bold": (*_entry_face((bold or [regular])[0]), SUBSET_FAMILY, 700),
        "mono": (*_entry_face((mono or [regular])[0]), MONO_FAMILY, 400),
    }


def _rename(font, family: str, weight: int) -> None:
    """Give a subset its own family name so matplotlib never confuses it with the original."""
    style = "Bold" if weight >= 600 else "Regular"
    postscript = f"{family.replace(' ', '')}-{style}"
    names = {1: family, 2: style, 4: f"{family} {style}", 6: postscript, 16: family, 17: style}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        for key in ("FamilyName", "FullName"):
            if hasattr(top, key):
                setattr(top, key, family if key == "FamilyName" else names[4])
    font["OS/2"].usWeightClass = weight


def write_subset_fonts(text: str, folder: str | Path) -> list[Path]:
    """Write the Chinese font cut down to the characters of ``text`` into ``folder``.

    Embedding a font in a PDF means subsetting it; doing that on the full CJK
    font (tens of thousands of glyphs) costs seconds per PDF. Cutting it once
    per run to the few hundred characters the sheets use makes each PDF's own
    subsetting cheap. One file per role of :func:`cjk_faces`.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    folder = Path(folder)
    written = []
    for role, (path, index, family, weight) in cjk_faces().items():
        font = TTFont(path, fontNumber=index, lazy=False)
        options = subset.Options()
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.layout_features = []
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(text="".join(sorted(set(text))))
        subsetter.subset(font)
        _rename(font, family, weight)
        target = folder / f"eapart-cjk-{role}.otf"
        font.save(target)
        written.append(target)
    return written
