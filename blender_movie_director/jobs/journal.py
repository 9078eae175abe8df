"""The job journal: every job of a project, on disk, rewritten atomically on each change.

One JSON file per project folder (beside the clips), so that after a crash or a restart of
Blender the add-on can show what was running, place finished clips, and resubmit the rest.
A record that cannot be read is set aside (kept in the file's `unreadable` list and reported);
the others survive.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..common.atomic import write_json_atomically
from ..common.errors import JournalCorrupt
from .records import JobRecord

JOURNAL_NAME = "journal.json"
VERSION = 1


@dataclass
class JournalContents:
    records: list[JobRecord]
    unreadable: list[dict[str, Any]] = field(default_factory=list)  # raw entries kept as they were

    @property
    def problem(self) -> str:
        if not self.unreadable:
            return ""
        return (f"{len(self.unreadable)} job record(s) in the journal could not be read and were set aside "
                "(kept in the journal's 'unreadable' list)")


def journal_path(folder: Path) -> Path:
    return Path(folder) / JOURNAL_NAME


def write(folder: Path, records: Iterable[JobRecord], unreadable: Iterable[dict[str, Any]] = ()) -> Path:
    """Replace the folder's journal with these records (write to a temp file, then rename)."""
    path = journal_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {"version": VERSION, "written_at": time.time(),
                               "jobs": [json.loads(r.model_dump_json()) for r in records]}
    kept = list(unreadable)
    if kept:
        payload["unreadable"] = kept
    return write_json_atomically(path, payload)


def read(folder: Path) -> JournalContents:
    """The records in the folder's journal (none when there is no journal). Raises JournalCorrupt
    when the file as a whole cannot be read (it is moved aside, not deleted)."""
    path = journal_path(folder)
    if not path.exists():
        return JournalContents([])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["jobs"]
        if not isinstance(entries, list):
            raise TypeError("jobs is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        moved = path.with_name(f"journal.corrupt-{int(time.time())}.json")
        try:
            os.replace(path, moved)
        except OSError:
            moved = path
        raise JournalCorrupt(path, moved, type(exc).__name__) from None
    contents = JournalContents([], list(data.get("unreadable", [])))
    for entry in entries:
        try:
            contents.records.append(JobRecord.model_validate(entry))
        except (ValidationError, TypeError, ValueError):
            contents.unreadable.append(entry)
    return contents
