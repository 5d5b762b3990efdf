"""Errors a user can act on, and the exit codes scripts can rely on.

Every error names what is wrong (file, layer, row or column) and says what to do
next. The command line turns each class into its exit code:

====  =====================================================================
code  meaning
====  =====================================================================
0     success
1     invalid input (a file, layer, column, value or geometry is wrong)
2     usage error (an option or its value is wrong)
3     finished, but with flagged exceptions, and ``--strict`` was given
4     stopped by an internal check (a result would have broken an invariant);
      nothing was written
====  =====================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_FLAGGED = 3
EXIT_INTERNAL = 4


class EapartError(Exception):
    """Base of every error eapart raises on purpose."""

    exit_code = EXIT_INPUT


class InputError(EapartError):
    """An input file, layer, column, value or geometry cannot be used as given."""

    exit_code = EXIT_INPUT


class UsageError(EapartError):
    """An option or parameter is wrong or inconsistent."""

    exit_code = EXIT_USAGE


class OutputError(EapartError):
    """The output directory cannot be written or replaced safely."""

    exit_code = EXIT_INPUT


class InternalCheckError(EapartError):
    """A result broke an invariant that every run checks (:mod:`eapart.partition.cells.invariants`).

    Raised instead of writing an output that would put a building in the wrong
    area. It is a defect of eapart, not of the input: the message says what broke
    and where, so that it can be reported with the input that caused it.
    """

    exit_code = EXIT_INTERNAL


def list_ids(ids, limit: int = 20) -> str:
    """Format offending ids for an error message, shortening long lists.

    >>> list_ids(["a", "b"])
    'a, b'
    """
    ids = [str(i) for i in ids]
    shown = ", ".join(ids[:limit])
    if len(ids) > limit:
        shown += f", ... ({len(ids) - limit} more)"
    return shown


#: Fragments of system messages that mean the disk or the folder refused a write.
_WRITE_REFUSED = ("no space left", "disk is full", "disk quota", "read-only file system",
                  "permission denied", "database or disk is full", "disk i/o error",
                  "file too large")


def is_write_refused(exc: BaseException) -> bool:
    """True when ``exc`` says the disk is full or the place cannot be written."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES,
                                                  errno.EPERM, errno.EDQUOT, errno.EFBIG):
        return True
    text = str(exc).lower()
    return any(fragment in text for fragment in _WRITE_REFUSED)


def unexpected_message(exc: BaseException) -> str:
    """One line for an error eapart did not foresee: what it was, and that it is a defect.

    A disk that is full or a folder that cannot be written is said as such.
    """
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, OSError) and exc.strerror:
        from pathlib import Path

        first = exc.strerror + (f": {Path(exc.filename).name}" if exc.filename else "")
    if is_write_refused(exc):
        return f"cannot write the output: {first or type(exc).__name__}"
    return (f"unexpected {type(exc).__name__}: {first} (a defect of eapart: please report it "
            "with the input; EAPART_TRACEBACK=1 shows where it happened)")
