"""Shared fixtures: real data beside the checkout, a tiny county, a complete output."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from national_builders import file_digests
from paths import ANDORRA, KOTKA, REAL_COUNTY_CODE
from tiny_county import tiny_county

# Property tests run beside the suite's subprocess-heavy tests on every core: a
# per-example deadline would measure the machine's load, not the code (one that
# computes a share in microseconds failed on a loaded machine at 200 ms).
settings.register_profile("eapart", deadline=None)
settings.load_profile("eapart")


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


@dataclass(frozen=True)
class RealRun:
    """One ``eapart run`` of a real extract: where it wrote, and what it printed."""

    out: Path
    stdout: str
    stderr: str


def _cut_once(source: Path, tmp_path_factory, maps: bool = False) -> Iterator[RealRun]:
    """Cut ``source`` (``--jobs 1``, review maps only when ``maps``), hand the run out,
    then check that no test changed it: tests sharing it only read it."""
    out = tmp_path_factory.mktemp(source.stem) / "out"
    done = subprocess.run(
        [sys.executable, "-m", "eapart.cli", "run", str(source), "--out", str(out),
         "--county-code", REAL_COUNTY_CODE, "--jobs", "1", *([] if maps else ["--no-maps"])],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr
    before = file_digests(out)
    yield RealRun(out, done.stdout, done.stderr)
    assert file_digests(out) == before, f"a test changed the shared output {out}"


@pytest.fixture(scope="session")
def andorra_run(andorra: Path, tmp_path_factory) -> Iterator[RealRun]:
    """Andorra cut once for the session (a run takes ten seconds or more)."""
    yield from _cut_once(andorra, tmp_path_factory)


@pytest.fixture(scope="session")
def andorra_mapped_run(andorra: Path, tmp_path_factory) -> Iterator[RealRun]:
    """Andorra cut once for the session with its review maps."""
    yield from _cut_once(andorra, tmp_path_factory, maps=True)


@pytest.fixture(scope="session")
def kotka_run(kotka: Path, tmp_path_factory) -> Iterator[RealRun]:
    """Karhula, Kotka, cut once for the session."""
    yield from _cut_once(kotka, tmp_path_factory)


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
