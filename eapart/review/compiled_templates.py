"""Each Jinja template text that branca builds an element from is compiled once per process.

When a page is rendered, every folium map element (the map, each feature group, the
layer control, the bounds) writes its HTML and script, and branca wraps each written
piece in a new ``Element`` whose text is compiled as a Jinja template before it is
rendered again: about 24 compilations per page, 0.3-0.6 s of a county's 21 pages.
Most pieces are the same text on every page (element ids are numbered per page,
:mod:`eapart.review.stable_ids`), so compiled templates are kept by their text
here: a template is a pure function of its text, so the pages do not change.
"""

from __future__ import annotations

from functools import lru_cache

import branca.element
from jinja2 import Template

#: Distinct template texts kept (a county's pages use about 60).
CACHE_SIZE = 1024


@lru_cache(maxsize=CACHE_SIZE)
def compiled(source: str) -> Template:
    """The Jinja template of ``source``, compiled on its first use."""
    return Template(source)


branca.element.Template = compiled
