"""Where a batch's files live: local paths, or any fsspec URL (``s3://bucket/key``, ...).

A county is always cut on local files: a remote input is downloaded to a local
temporary file first (GeoPackages need random access), and a remote output is
built locally (whole, :mod:`eapart.io.atomic`) and then uploaded. Object stores
have no atomic rename, so an upload puts ``report.json`` first, then the other
files, then :data:`COMPLETE_MARKER` last: a remote output is complete exactly
when its marker exists, and a prefix holding an eapart report but no marker is
a killed upload that the next run replaces.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eapart.domain.schema import REPORT_NAME
from eapart.errors import InputError, OutputError

#: Written last into a remote output: its presence says the output is whole.
COMPLETE_MARKER = ".eapart-complete"
#: Local scratch directories of county runs; a dead process's are swept (see below).
_SCRATCH_PREFIX = "eapart-county-"


def is_remote(location: str | Path) -> bool:
    """True for a URL with a protocol other than ``file``."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


def join(base: str, relative: str) -> str:
    """``relative`` taken from the folder ``base``; absolute paths and URLs are kept."""
    if "://" in relative or os.path.isabs(relative):
        return relative
    if is_remote(base):
        return posixpath.join(base.rstrip("/"), relative)
    return str(Path(base) / relative)


def parent(location: str) -> str:
    """The folder holding ``location``."""
    if is_remote(location):
        return posixpath.dirname(location.rstrip("/"))
    return str(Path(location).parent)


def name(location: str) -> str:
    """The last part of a path or URL."""
    return posixpath.basename(str(location).rstrip("/")) or str(location)


def filesystem(url: str):
    """The fsspec filesystem and path of ``url``."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise InputError(f"cannot open {url}: {exc} (for s3:// install s3fs)") from exc


def read_bytes(location: str) -> bytes:
    """The whole content of a local file or URL."""
    if not is_remote(location):
        return Path(location).read_bytes()
    fs, path = filesystem(location)
    try:
        return fs.cat_file(path)
    except FileNotFoundError as exc:
        raise InputError(f"not found: {location}") from exc


def write_bytes(location: str, data: bytes) -> None:
    """Replace a file whole: a local file by rename, an object by one PUT (atomic in S3)."""
    if is_remote(location):
        fs, path = filesystem(location)
        fs.pipe_file(path, data)
        return
    from eapart.io.atomic import atomic_file

    with atomic_file(Path(location)) as tmp:
        tmp.write_bytes(data)


@contextmanager
def scratch_directory() -> Iterator[Path]:
    """A private local temporary directory, removed after the block.

    Its name carries this process's id, so that what a killed worker left in the
    temporary folder is removed by the next county run on the machine.
    """
    root = Path(tempfile.gettempdir())
    _sweep_scratch(root)
    path = root / f"{_SCRATCH_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _sweep_scratch(root: Path) -> None:
    from eapart.io.atomic import process_alive

    for leftover in root.glob(f"{_SCRATCH_PREFIX}*"):
        pid = leftover.name[len(_SCRATCH_PREFIX):].split("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def local_copy(location: str, scratch: Path) -> Path:
    """A local path holding ``location``: itself when local, else a download into ``scratch``."""
    if not is_remote(location):
        return Path(location)
    fs, path = filesystem(location)
    target = scratch / "in" / name(location)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fs.get_file(path, str(target))
    except FileNotFoundError as exc:
        raise InputError(f"input not found: {location}") from exc
    return target


def remote_complete(url: str) -> bool:
    """True when the remote output ``url`` holds its completion marker."""
    fs, path = filesystem(url)
    return fs.exists(posixpath.join(path, COMPLETE_MARKER))


def check_remote_destination(url: str, force: bool) -> None:
    """Raise unless the remote output ``url`` may be written (as for a local --out)."""
    fs, path = filesystem(url)
    if not fs.exists(path) or not fs.ls(path, detail=False):
        return
    if not _holds_eapart_report(fs, path):
        raise OutputError(f"{name(url)} is not empty and is not an eapart output: eapart never "
                          "replaces it. Choose another out location.")
    if remote_complete(url) and not force:
        raise OutputError(f"{name(url)} already holds an eapart output; pass --force to "
                          "replace it, or choose another out location.")


def _holds_eapart_report(fs, path: str) -> bool:
    import json

    try:
        report = json.loads(fs.cat_file(posixpath.join(path, REPORT_NAME)))
    except (FileNotFoundError, ValueError):
        return False
    return isinstance(report, dict) and report.get("software") == "eapart"


def publish_directory(local: Path, url: str) -> None:
    """Upload the finished output ``local`` to ``url``: report first, marker last.

    What was at ``url`` (an older output, or a killed upload) is removed first,
    so the prefix never mixes two runs' files.
    """
    fs, path = filesystem(url)
    if fs.exists(path):
        fs.rm(path, recursive=True)
    files = sorted(p for p in Path(local).rglob("*") if p.is_file())
    files.sort(key=lambda p: p.name != REPORT_NAME)
    for item in files:
        fs.put_file(str(item), posixpath.join(path, item.relative_to(local).as_posix()))
    fs.pipe_file(posixpath.join(path, COMPLETE_MARKER), b"")
