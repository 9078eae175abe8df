"""Journals of unsaved sessions whose Blender is gone (crashed, killed): found in the sessions folder by
their lock that nobody holds (jobs/session_locks.py), never one of a Blender that still runs. A journal
from before the locks (no lock file beside it) counts as an orphan once it is older than a day, since
an older version's Blender cannot be told apart from a gone one. No bpy here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import journal, session_locks

UNSAVED_PREFIX = "unsaved-"
UNLOCKED_AGE_SECONDS = 24 * 3600


@contextmanager
def orphans(folder: Path, own: Path) -> Iterator[list[Path]]:
    """The orphaned journals in `folder` (never `own`), each held for the duration of the block, so that
    another new session does not take the same one meanwhile. Their lock files are removed after."""
    held = []
    try:
        for path in sorted(Path(folder).glob(f"{UNSAVED_PREFIX}*{journal.SUFFIX}")):
            if path == Path(own):
                continue
            if not session_locks.lock_path(path).exists() and time.time() - _mtime(path) < UNLOCKED_AGE_SECONDS:
                continue  # no lock: perhaps an older version's Blender, still running
            handle = session_locks.try_hold(path)
            if handle is not None:
                held.append((path, handle))
        yield [path for path, _ in held]
    finally:
        for path, handle in held:
            session_locks.release(handle, remove=not path.exists())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()
