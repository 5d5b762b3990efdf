"""folium is loaded when the first page is built, not when the review modules are imported."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_page_builder_does_not_load_folium():
    code = ("import sys, eapart.api, eapart.review.pages; "
            "print(sorted(m for m in ('folium', 'branca', 'jinja2') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
