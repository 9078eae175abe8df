"""Which project journals need rewriting, and the entries of theirs that could not be read (kept as
they were, so rewriting a journal never drops them). Used by the job manager's worker, and by the
main thread when a change must be on disk at once (a clip placed, a project saved)."""

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
        self._write_lock = threading.Lock()  # one writer at a time (the worker, or the main thread)
        self._dirty: set[Path] = set()
        self._unreadable: dict[Path, list[dict[str, Any]]] = {}
        self._errors: dict[Path, str] = {}

    @property
    def error(self) -> str:
        """What the Jobs panel shows about the journals ("" when all is well)."""
        with self._lock:
            return "; ".join(e for e in self._errors.values() if e)

    def set_error(self, path: Path, message: str) -> None:
        with self._lock:
            self._errors[Path(path)] = message

    def mark(self, path: Path) -> None:
        with self._lock:
            self._dirty.add(Path(path))

    def load(self, path: Path) -> journal.JournalContents:
        """The readable records of a journal (raises JournalCorrupt, like journal.read)."""
        contents = journal.read(path)
        with self._lock:
            if contents.unreadable:
                self._unreadable[Path(path)] = contents.unreadable
            self._errors[Path(path)] = contents.problem
        return contents

    def forget(self, path: Path) -> None:
        """A journal whose records all moved to another (the project was saved under a new name)."""
        with self._lock:
            self._dirty.discard(Path(path))
            self._errors.pop(Path(path), None)

    def remove(self, path: Path) -> None:
        """A journal with no jobs left (an unsaved session's, after its first save): deleted."""
        self.forget(path)
        with self._write_lock:
            try:
                Path(path).unlink(missing_ok=True)
            except OSError as exc:
                self.set_error(path, f"could not remove the emptied journal {path}: {exc.strerror or exc}")

    def flush(self, records_in: Callable[[Path], Iterable[JobRecord]], only: Path | None = None) -> None:
        """Rewrite every journal marked since the last flush (or only `only`, now, marked or not); a
        journal that cannot be written stays marked and the error says why."""
        with self._lock:
            if only is None:
                paths, self._dirty = self._dirty, set()
            else:
                self._dirty.discard(Path(only))
                paths = {Path(only)}
        for path in paths:
            with self._lock:
                kept = list(self._unreadable.get(path, []))
            try:
                with self._write_lock:  # the snapshot inside the lock: a later write never loses to an older one
                    records = list(records_in(path))
                    if records or kept or path.exists():
                        journal.write(path, records, kept)
            except OSError as exc:
                self.set_error(path, f"could not write the job journal {path}: {exc.strerror or exc}")
                self.mark(path)  # try again next round
                continue
            self.set_error(path, journal.JournalContents([], kept).problem)
