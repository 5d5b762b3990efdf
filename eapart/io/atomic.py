"""Writing an output directory whole, or not at all.

Everything is written into a hidden temporary directory beside the destination
(same filesystem), then renamed into place. A run that fails or is killed at any
moment leaves the previous complete output, or none, and never a half-written one.
An existing output is replaced only with ``force``, and a directory that is not an
eapart output (no ``report.json`` written by eapart) is never replaced.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from eapart.errors import EapartError, InputError, OutputError, is_write_refused

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
    final = real_destination(final)
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
    final = real_destination(final)
    if final.parent.exists():
        _sweep_leftovers(final.parent, final.name)
    if not owned:
        check_destination(final, force)
    tmp = final.parent / f"{_TMP_PREFIX}{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with terminate_unwinds(), write_errors_named(final):
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        try:
            yield tmp
            old = _swap_into_place(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


#: Names that killed writers of older versions left inside an output's folders.
LEFTOVER_PREFIXES = (".partial-", "tmp", _TMP_PREFIX, _OLD_PREFIX)


def is_leftover(name: str) -> bool:
    """True for a temporary file or folder that a killed writer left behind."""
    return name.startswith(LEFTOVER_PREFIXES) or name.endswith((".partial", ".tmp"))


@contextmanager
def replaced_folder(final: Path, keep: Callable[[str], bool] = lambda name: True
                    ) -> Iterator[Path]:
    """Rebuild the folder ``final`` of an output (``map``, ``export``, ``sheets``) whole.

    Yields a staging folder that already holds (as hard links, so for free) the
    entries of the current ``final`` for which ``keep(name)`` is true, leftovers
    of killed writers excepted; the caller writes the new entries; the staging
    folder then replaces ``final`` in one step. A kill at any moment leaves the
    previous set or the new one, never a partial set that looks complete.
    """
    with atomic_directory(final, owned=True) as staging:
        if final.is_dir():
            for entry in final.iterdir():
                if not is_leftover(entry.name) and keep(entry.name):
                    _link_tree(entry, staging / entry.name)
        yield staging


def _link_tree(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` as hard links (a copy where links cannot be made)."""
    if source.is_dir() and not source.is_symlink():
        target.mkdir()
        for entry in source.iterdir():
            if not is_leftover(entry.name):
                _link_tree(entry, target / entry.name)
        if not any(target.iterdir()):
            target.rmdir()  # it held only leftovers
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def real_destination(path: Path) -> Path:
    """``path`` made absolute, with symbolic links followed.

    An ``--out`` that is a link to an earlier output is replaced where the link
    points, whole, and the link stays a link.
    """
    return Path(os.path.realpath(Path(path).absolute()))


#: Free space under which a failed write is taken for a full disk (GDAL and SQLite
#: say "Failed to commit transaction" or "disk I/O error" rather than ENOSPC).
NEARLY_FULL_BYTES = 4 * 1024 * 1024


def disk_nearly_full(folder: Path) -> bool:
    """True when the disk holding ``folder`` has (almost) no space left."""
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < NEARLY_FULL_BYTES


def refuse_inputs_inside(final: Path, inputs: dict[str, Path]) -> None:
    """Raise when a file the user gave lies inside the destination, which is replaced whole.

    ``inputs`` maps how each input was given (``--config``, ``--buildings``, ...) to
    its path. Called before anything is read, so nothing the user gave is deleted.
    """
    final = real_destination(final)
    for label, path in inputs.items():
        real = real_destination(path)
        if real == final or final in real.parents:
            raise OutputError(
                f"{label} {Path(path).name} lies inside the output directory {final.name}, "
                "which this run replaces whole: it would be deleted. Move it out of "
                f"{final.name}, or choose another --out."
            )


@contextmanager
def write_errors_named(final: Path) -> Iterator[None]:
    """Turn a full disk or a place that cannot be written into a clear :class:`OutputError`."""
    try:
        yield
    except EapartError:
        raise
    except Exception as exc:
        full = disk_nearly_full(final.parent)
        if not (is_write_refused(exc) or full):
            raise
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            "no space left on the disk" if full else str(exc).strip().splitlines()[0]
        raise OutputError(
            f"cannot write {final.name}: {reason}. Nothing was replaced: a previous output "
            "is as it was. Free some space, or choose a place you may write to."
        ) from exc


def _swap_into_place(tmp: Path, final: Path) -> Path | None:
    """Rename ``tmp`` to ``final``, moving a previous output aside; return where it went.

    Ctrl-C and SIGTERM are held back between the two renames, so that an
    interrupted run never leaves the destination empty with the previous output
    set aside (only SIGKILL can, and the next run puts it back).
    """
    old = None
    with _signals_held():
        if final.exists():
            if _exchange(tmp, final):
                return tmp
            old = final.parent / f"{_OLD_PREFIX}{final.name}-{uuid.uuid4().hex[:8]}"
            os.rename(final, old)
        os.rename(tmp, final)
    return old


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported.

    With it the destination is never missing, not even for an instant: a kill
    at any moment leaves the previous output or the new one in place.
    """
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


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
            if prefix == _TMP_PREFIX and pid.isdigit() and process_alive(int(pid)):
                continue
            shutil.rmtree(leftover, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """True when the process ``pid`` exists (this one included)."""
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
