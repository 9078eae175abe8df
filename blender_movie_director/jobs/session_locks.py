"""Which unsaved sessions' journals belong to a Blender that still runs.

A session holds an OS lock on `<journal>.lock` for as long as its process lives; the OS lets go of it
when the process ends, crash included. A journal whose lock nobody holds is an orphan: the next
session may take it over (holding its lock while it does, so that two new sessions never both take
it). No bpy here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

LOCK_SUFFIX = ".lock"


def lock_path(journal_path: Path) -> Path:
    return Path(journal_path).with_name(Path(journal_path).name + LOCK_SUFFIX)


def try_hold(journal_path: Path) -> IO[bytes] | None:
    """The lock of this journal, held until the returned file is closed (or the process ends); None
    when another process (or another holder in this one) has it."""
    path = lock_path(journal_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")  # noqa: SIM115  (kept open: closing it lets go of the lock)
    try:
        _lock(handle)
    except OSError:
        handle.close()
        return None
    return handle


def release(handle: IO[bytes], *, remove: bool = False) -> None:
    path = Path(handle.name)
    if remove:
        path.unlink(missing_ok=True)  # before closing: nobody can take a lock on a file being removed
    handle.close()


def _lock(handle: IO[bytes]) -> None:
    """An exclusive, non-blocking lock (OSError when held elsewhere)."""
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
