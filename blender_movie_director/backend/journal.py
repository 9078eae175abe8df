"""The job journal: every job of a project, on disk, rewritten atomically on each change.

One JSON file per project folder (beside the clips), so that after a crash or a restart of
Blender the add-on can show what was running, place finished clips, and resubmit the rest.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

if TYPE_CHECKING:
    from .jobs import JobRecord

JOURNAL_NAME = "journal.json"
VERSION = 1


class JournalCorrupt(Exception):
    """The journal could not be read; it was moved aside (kept, not deleted)."""

    def __init__(self, path: Path, moved_to: Path, reason: str) -> None:
        self.path, self.moved_to = path, moved_to
        super().__init__(f"the job journal {path} was unreadable ({reason}); kept as {moved_to.name}, starting afresh")


def journal_path(folder: Path) -> Path:
    return Path(folder) / JOURNAL_NAME


def write(folder: Path, records: Iterable[JobRecord]) -> Path:
    """Replace the folder's journal with these records (write to a temp file, then rename)."""
    path = journal_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": VERSION, "written_at": time.time(), "jobs": [json.loads(r.model_dump_json()) for r in records]}
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return path


def read(folder: Path) -> list[JobRecord]:
    """The records in the folder's journal ([] when there is none). Raises JournalCorrupt."""
    from .jobs import JobRecord

    path = journal_path(folder)
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return TypeAdapter(list[JobRecord]).validate_python(data["jobs"])
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
        moved = path.with_name(f"journal.corrupt-{int(time.time())}.json")
        try:
            os.replace(path, moved)
        except OSError:
            moved = path
        raise JournalCorrupt(path, moved, type(exc).__name__) from None
