"""Writing an output directory whole, or not at all.

Everything is written into a hidden temporary directory beside the destination
(same filesystem), then renamed into place. A run that fails or is killed at any
moment leaves the previous complete output, or none, and never a half-written one.
An existing output is replaced only with ``force``, and a directory that is not an
eapart output (no ``report.json`` written by eapart) is never replaced.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eapart.errors import InputError, OutputError

_TMP_PREFIX = ".eapart-tmp-"
_OLD_PREFIX = ".eapart-old-"


def is_eapart_output(path: Path) -> bool:
    """True when ``path`` holds a report written by eapart."""
    from eapart.domain.areas import read_report  # lazily: keeps `eapart --help` quick

    try:
        return read_report(path).get("software") == "eapart"
    except (OSError, InputError):
        return False


def check_destination(final: Path, force: bool) -> None:
    """Raise unless ``final`` may be written: absent, empty, or an eapart output with force.

    Messages name the directory, not the folders above it (logs leak no user paths).
    """
    final = Path(final)
    if not final.exists():
        return
    if not final.is_dir():
        raise OutputError(f"{final.name} exists and is not a directory: choose another --out")
    if not any(final.iterdir()):
        return
    if not is_eapart_output(final):
        raise OutputError(
            f"{final.name} is not empty and is not an eapart output: eapart never replaces it. "
            "Choose another --out directory."
        )
    if not force:
        raise OutputError(
            f"{final.name} already holds an eapart output; pass --force to replace it, or choose "
            "another --out directory."
        )


@contextmanager
def atomic_directory(final: Path, force: bool = False, *, owned: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``final`` when the block succeeds.

    ``owned`` says the caller knows ``final`` is eapart's own (the ``map`` folder of
    an output, say), so it is replaced without looking for an eapart report in it.

    While the block runs, SIGTERM unwinds like Ctrl-C (``SystemExit`` with code 143)
    so that the temporary directory is removed; SIGKILL cannot be caught, and what
    it leaves is tidied by the next run for the same destination.
    """
    final = Path(final).absolute()
    if final.parent.exists():
        _sweep_leftovers(final.parent, final.name)
    if not owned:
        check_destination(final, force)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f"{_TMP_PREFIX}{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with terminate_unwinds():
        tmp.mkdir()
        try:
            yield tmp
            old = _swap_into_place(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _swap_into_place(tmp: Path, final: Path) -> Path | None:
    """Rename ``tmp`` to ``final``, moving a previous output aside; return where it went.

    Ctrl-C and SIGTERM are held back between the two renames, so that an
    interrupted run never leaves the destination empty with the previous output
    set aside (only SIGKILL can, and the next run puts it back).
    """
    old = None
    with _signals_held():
        if final.exists():
            old = final.parent / f"{_OLD_PREFIX}{final.name}-{uuid.uuid4().hex[:8]}"
            os.rename(final, old)
        os.rename(tmp, final)
    return old


#: Exit status of a process ended by SIGTERM, as shells report it (128 + 15).
EXIT_TERMINATED = 128 + signal.SIGTERM


def _on_terminate(signum, frame) -> None:
    raise SystemExit(EXIT_TERMINATED)


@contextmanager
def terminate_unwinds() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit`` for the block, when nobody else handles it.

    Only in the main thread (where Python runs signal handlers) and only when
    SIGTERM has its default action: a program that set its own handler keeps it.
    """
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _on_terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back during the block; they are delivered after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _sweep_leftovers(parent: Path, name: str) -> None:
    """Tidy what killed runs left for this output.

    A run killed between its two renames leaves the previous output under an old
    name and nothing in place: put it back. Temporary directories of runs that
    are no longer alive are removed.
    """
    olds = sorted(parent.glob(f"{_OLD_PREFIX}{name}-*"))
    if olds and not (parent / name).exists() and is_eapart_output(olds[0]):
        os.rename(olds[0], parent / name)
    for prefix in (_TMP_PREFIX, _OLD_PREFIX):
        for leftover in parent.glob(f"{prefix}{name}-*"):
            pid = leftover.name[len(prefix) + len(name) + 1:].split("-")[0]
            if prefix == _TMP_PREFIX and pid.isdigit() and _alive(int(pid)):
                continue
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def atomic_file(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final`` that replaces it when the block succeeds."""
    final = Path(final)
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
