"""The job journal: every job of one project (one .blend), on disk, rewritten atomically on each change.

One JSON file per .blend, beside its clips: `movie_director/<blend name>.journal.json` (an unsaved
session has its own in the extension's user folder). It holds what is needed to reattach after a
crash or a restart of Blender: the server, the server's job id, the concrete seed, the slot, and
whether the clip was placed and saved. Two .blend files in one folder never share one.

The journal remembers the folder it was written in: when the project folder is moved, the paths
inside it (clips, sidecars, stills) are moved with it on reading. A record that cannot be read is set
aside (kept in the file's `unreadable` list and reported); the others survive.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..common.atomic import write_json_atomically
from ..common.errors import JournalCorrupt
from ..common.filenames import slug

if TYPE_CHECKING:  # the add-on works out a journal's path without loading pydantic (Blender's start-up)
    from .records import JobRecord

SUFFIX = ".journal.json"
DEFAULT_NAME = f"jobs{SUFFIX}"  # a journal for jobs queued without a project (scripts, tests)
PROJECT_FOLDER = "movie_director"
VERSION = 2


@dataclass
class JournalContents:
    records: list[JobRecord]
    unreadable: list[dict[str, Any]] = field(default_factory=list)  # raw entries kept as they were
    moved_from: Path | None = None  # the folder it was written in, when the project was moved since

    @property
    def problem(self) -> str:
        if not self.unreadable:
            return ""
        return (f"{len(self.unreadable)} job record(s) in the journal could not be read and were set aside "
                "(kept in the journal's 'unreadable' list)")


def journal_for_blend(blend_file: Path) -> Path:
    """`<folder>/movie_director/<blend name>.journal.json` for a saved .blend."""
    blend_file = Path(blend_file)
    return blend_file.parent / PROJECT_FOLDER / f"{slug(blend_file.stem, 100)}{SUFFIX}"


def default_journal(folder: Path) -> Path:
    return Path(folder) / DEFAULT_NAME


def write(path: Path, records: Iterable[JobRecord], unreadable: Iterable[dict[str, Any]] = ()) -> Path:
    """Replace the journal with these records (write to a temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {"version": VERSION, "written_at": time.time(), "folder": str(path.parent),
                               "jobs": [json.loads(r.model_dump_json()) for r in records]}
    kept = list(unreadable)
    if kept:
        payload["unreadable"] = kept
    return write_json_atomically(path, payload)


def read(path: Path) -> JournalContents:
    """The records in a journal (none when there is none). Raises JournalCorrupt when the file as a
    whole cannot be read (it is moved aside, not deleted)."""
    path = Path(path)
    if not path.exists():
        return JournalContents([])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["jobs"]
        if not isinstance(entries, list):
            raise TypeError("jobs is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        moved = path.with_name(f"{path.name.removesuffix('.json')}.corrupt-{int(time.time())}.json")
        try:
            os.replace(path, moved)
        except OSError:
            moved = path
        raise JournalCorrupt(path, moved, type(exc).__name__) from None
    written_in = data.get("folder")
    moved_from = Path(written_in) if isinstance(written_in, str) and Path(written_in) != path.parent else None
    from pydantic import ValidationError

    from .records import JobRecord

    contents = JournalContents([], list(data.get("unreadable", [])), moved_from)
    for entry in entries:
        try:
            if moved_from is not None:
                entry = _rebased(entry, str(moved_from), str(path.parent))
            record = JobRecord.model_validate(entry)
        except (ValidationError, TypeError, ValueError):
            contents.unreadable.append(entry)
            continue
        contents.records.append(record.model_copy(update={"project": path}))
    return contents


def _rebased(value: Any, old: str, new: str) -> Any:
    """Every path string inside the old folder, moved to the new one (the project folder moved)."""
    if isinstance(value, str):
        if value == old or value.startswith(old + os.sep) or value.startswith(old + "/"):
            return new + value[len(old):]
        return value
    if isinstance(value, dict):
        return {k: _rebased(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebased(v, old, new) for v in value]
    return value
