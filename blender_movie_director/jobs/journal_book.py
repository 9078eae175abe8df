"""Which project journals need rewriting, and the entries of theirs that could not be read (kept as
they were, so rewriting a journal never drops them). Used by the job manager's worker only."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import journal
from .records import JobRecord


class JournalBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dirty: set[Path] = set()
        self._unreadable: dict[Path, list[dict[str, Any]]] = {}
        self.error = ""  # what the Jobs panel shows about the journals ("" when all is well)

    def mark(self, folder: Path) -> None:
        with self._lock:
            self._dirty.add(Path(folder))

    def load(self, folder: Path) -> list[JobRecord]:
        """The readable records of a folder's journal (raises JournalCorrupt, like journal.read)."""
        contents = journal.read(folder)
        if contents.unreadable:
            with self._lock:
                self._unreadable[Path(folder)] = contents.unreadable
            self.error = contents.problem
        return contents.records

    def flush(self, records_in: Callable[[Path], Iterable[JobRecord]]) -> None:
        """Rewrite every journal marked since the last flush; a folder that cannot be written stays
        marked and the error says why."""
        with self._lock:
            folders, self._dirty = self._dirty, set()
        for folder in folders:
            kept = self._unreadable.get(folder, [])
            try:
                journal.write(folder, records_in(folder), kept)
            except OSError as exc:
                self.error = f"could not write the job journal in {folder}: {exc.strerror or exc}"
                self.mark(folder)  # try again next round
                continue
            self.error = journal.JournalContents([], kept).problem
