"""Running the real ``eapart`` command in tests: as a process, or in this one (faster).

Both return a :class:`subprocess.CompletedProcess`; :func:`assert_message` checks
the one-line error a user sees, with no traceback.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from tiny_county import tiny_county, write_gpkg

EAPART = [sys.executable, "-m", "eapart.cli"]
QUICK = ["--no-maps", "--jobs", "1"]


def eapart(*args, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """``eapart ARGS`` as its own process in ``cwd``."""
    return subprocess.run([*EAPART, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def invoke(*args, cwd: Path) -> subprocess.CompletedProcess:
    """``eapart ARGS`` in this process (click's runner), in ``cwd``; exceptions kept."""
    from eapart.cli import main

    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout,
                                       result.stderr)


def assert_message(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    """Exit ``code``, no traceback, one ``error:`` line holding every needle."""
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle.lower() in errors[0].lower(), f"{needle!r} not in {errors[0]!r}"
    return errors[0]


def tiny_gpkg(folder: Path, name: str = "c.gpkg", layers: dict | None = None) -> Path:
    """The tiny county (or ``layers``) written as a GeoPackage in ``folder``."""
    path = folder / name
    write_gpkg(layers if layers is not None else tiny_county(), path)
    return path


def digest(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder`` (hidden ones too)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
