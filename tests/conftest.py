"""Shared fixtures: real data beside the checkout, a tiny county, a complete output."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import ANDORRA, KOTKA
from tiny_county import tiny_county


@pytest.fixture(scope="session")
def andorra() -> Path:
    """The OSM extract of Andorra (ODbL), when ../shared/data is beside the checkout."""
    if not ANDORRA.exists():
        pytest.skip(f"{ANDORRA} is absent: the shared data lies beside CI checkouts only")
    return ANDORRA


@pytest.fixture(scope="session")
def kotka() -> Path:
    """The OSM extract of Karhula, Kotka (ODbL), when ../shared/data is beside the checkout."""
    if not KOTKA.exists():
        pytest.skip(f"{KOTKA} is absent: the shared data lies beside CI checkouts only")
    return KOTKA


@pytest.fixture()
def tiny(tmp_path: Path) -> dict:
    """A two-township county as GeoDataFrames (EPSG:4547), fresh for each test."""
    return tiny_county()


@pytest.fixture(scope="session")
def sample_output(tmp_path_factory) -> Path:
    """A complete output directory made by ``eapart run`` on the bundled sample."""
    from eapart.api import run
    from eapart.config import RunConfig

    out = tmp_path_factory.mktemp("sample") / "out"
    run(RunConfig(out=out, jobs=1))
    return out
