"""One writer at a time per output directory.

Two runs into the same ``--out`` would both succeed and one would silently replace
the other. A run holds a lock on its destination from before it reads anything
until its output is in place: a second run fails at once and says who holds the
lock (process id, host and start time). The lock is an advisory ``flock`` on a
hidden file beside the destination, so the kernel lets it go when its holder
dies, even by SIGKILL: a lock left by a dead run is simply taken over.

The lock belongs to the process that took it alone. A child forked while it is held
(a pool of sheet workers) closes its copy of the descriptor at once: a ``flock``
lasts while any descriptor of it is open, so a worker still dying after its main
process was killed would otherwise hold the destination, and the run that follows
at once would be refused though no run is writing.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from eapart.errors import OutputError

LOCK_PREFIX = ".eapart-lock-"

#: Descriptors of the locks this process holds (closed in every forked child).
_HELD: set[int] = set()


def _close_in_child() -> None:
    """Close a forked child's copies of the parent's lock descriptors (never unlock:
    that would release the parent's lock)."""
    for fd in _HELD:
        with suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


def lock_path(final: Path) -> Path:
    """The lock file of the destination ``final`` (beside it, hidden)."""
    return final.parent / f"{LOCK_PREFIX}{final.name}"


def _holder(path: Path) -> str:
    """Who holds the lock, as the lock file says."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return (f"process {info['pid']} on host {info['host']}, started "
                f"{info['started']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (it has not said which yet)"


@contextmanager
def destination_lock(final: Path) -> Iterator[None]:
    """Hold the lock of ``final`` for the block, or raise :class:`OutputError` at once."""
    final = Path(final)
    path = lock_path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder of {final.name}: {exc.strerror}; "
                          "choose a place you may write to") from exc
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(
                f"cannot write beside {final.name} ({exc.strerror}): choose an --out in a "
                "folder you may write to, on a disk with free space"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise OutputError(
                f"{final.name} is being written by another eapart run ({_holder(path)}); "
                "wait for it to finish, or choose another --out"
            ) from exc
        # The file may have been removed by the previous holder between open and lock.
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    _HELD.add(fd)
    try:
        _write_holder(fd)
        yield
    finally:
        with suppress(OSError):
            path.unlink()
        _HELD.discard(fd)
        os.close(fd)


def _write_holder(fd: int) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
    except OSError:
        pass  # a full disk: the lock still holds, it just cannot say by whom
