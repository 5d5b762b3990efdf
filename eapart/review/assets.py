"""Scripts and styles inlined into every review page, so a page opened from disk
requests nothing from any host except the basemap its user chose.

Leaflet comes from the installed ``xstatic-leaflet`` package (its images are turned
into ``data:`` URIs); the review features (search, full screen, measuring, labels,
popups) are plain JavaScript kept in ``eapart/review/assets/``.
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from pathlib import Path

import xstatic.pkg.leaflet as xleaflet

ASSETS_DIR = Path(__file__).resolve().parent / "assets"

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                 "\u2029": "\\u2029"}


def _leaflet_dir() -> Path:
    return Path(xleaflet.BASE_DIR)


def _inline_images(css: str, image_dir: Path) -> str:
    """Replace ``url(images/x.png)`` in ``css`` with ``data:`` URIs of those files."""

    def to_data_uri(match: re.Match) -> str:
        path = image_dir / match.group(1)
        if not path.is_file():
            return "none"
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", to_data_uri, css)


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's stylesheet with its comments dropped and its images inlined."""
    base = _leaflet_dir()
    css = re.sub(r"/\*.*?\*/", "", (base / "leaflet.css").read_text("utf-8"), flags=re.S)
    return _inline_images(css, base / "images")


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's minified script."""
    return (_leaflet_dir() / "leaflet.js").read_text("utf-8")


@lru_cache(maxsize=4)
def review_asset(name: str) -> str:
    """One of the review page's own files under ``eapart/review/assets/``."""
    return (ASSETS_DIR / name).read_text("utf-8")


def script_tag(code: str) -> str:
    """``code`` inside a ``<script>`` element, refusing text that would close it early."""
    if re.search(r"</script", code, flags=re.IGNORECASE):
        raise ValueError("inline script contains '</script'")
    return f"<script>{code}</script>"


def style_tag(css: str) -> str:
    """``css`` inside a ``<style>`` element, refusing text that would close it early."""
    if re.search(r"</style", css, flags=re.IGNORECASE):
        raise ValueError("inline style contains '</style'")
    return f"<style>{css}</style>"


def safe_json(value: object) -> str:
    """JSON of ``value`` safe to place inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` only ever occur inside JSON strings, where their
    ``\\uXXXX`` escapes mean the same, so no data text can close the element.
    """
    return escape_json_text(json.dumps(value, ensure_ascii=False, allow_nan=False,
                                       separators=(",", ":")))


def escape_json_text(text: str) -> str:
    """Escape serialised JSON ``text`` for a ``<script>`` element (see :func:`safe_json`)."""
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], text)
