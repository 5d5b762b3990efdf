"""A headless Chromium shared by the review tests of one module."""

from __future__ import annotations

import pytest
from browser import browser


@pytest.fixture(scope="module")
def chromium():
    """One browser per test module (Debian's Chromium through Playwright)."""
    with browser() as instance:
        yield instance
