"""The clip library: every clip, image and sound made for a project, kept beside its journal.

The journal forgets a job when the user clears it from the Jobs list; the library never does. It is
one JSON file per project (`movie_director/<blend name>.library.json`, beside
`<blend name>.journal.json`) listing each finished job's result (what its sidecar holds: prompt,
model, seed, frames, fps, size, preset, cast, what it finished), with paths relative to the file's
folder so the project folder can move. Entries whose clip is gone are kept but marked missing.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import write_json_atomically

if TYPE_CHECKING:  # the add-on reads a library's path without loading pydantic (Blender's start-up)
    from .messages import JobResult

SUFFIX = ".library.json"
JOURNAL_SUFFIX = ".journal.json"
VERSION = 1
SOUND_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
_write_lock = threading.Lock()


def library_for_journal(journal: Path) -> Path:
    """`<name>.library.json` beside `<name>.journal.json`."""
    journal = Path(journal)
    name = journal.name.removesuffix(JOURNAL_SUFFIX) if journal.name.endswith(JOURNAL_SUFFIX) else journal.stem
    return journal.with_name(name + SUFFIX)


def kind_of(path: Path, frames: int = 0) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in SOUND_SUFFIXES:
        return "sound"
    if suffix in IMAGE_SUFFIXES or frames == 1:
        return "image"
    return "video"


@dataclass(frozen=True)
class LibraryEntry:
    """One clip of the library, as the panel lists it."""

    key: str  # the job that made it
    result: JobResult
    added_at: float

    @property
    def clip(self) -> Path:
        return Path(self.result.video_path)

    @property
    def kind(self) -> str:
        return kind_of(self.clip, self.result.frames)

    @property
    def exists(self) -> bool:
        return self.clip.is_file()

    @property
    def seconds(self) -> float:
        if self.kind == "sound":
            return float(self.result.settings.duration_seconds or 0.0)
        return self.result.frames / self.result.fps if self.result.fps else 0.0

    @property
    def prompt(self) -> str:
        """The user's own words (before a preset's template), else the prompt as sent."""
        preset = self.result.settings.preset
        return preset.prompt if preset is not None and preset.prompt else self.result.settings.prompt

    @property
    def preset(self) -> str:
        return self.result.settings.preset.name if self.result.settings.preset is not None else ""

    @property
    def cast(self) -> tuple[str, ...]:
        return self.result.settings.cast

    @property
    def finish(self) -> str:
        spec = self.result.settings.finish
        return spec.describe() if spec is not None else ""

    @property
    def source(self) -> str:
        spec = self.result.settings.finish
        return (spec.source_strip or spec.source_name) if spec is not None else ""

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.result.finished_at or self.added_at))

    def describe(self) -> str:
        """One line: model, seed, length, date, preset, cast, finishing."""
        length = f"{self.seconds:.1f} s" if self.kind != "image" else "still"
        size = f"{self.result.width}x{self.result.height}" if self.kind != "sound" else ""
        parts = [self.result.settings.model_type, f"seed {self.result.seed}", length, size, self.date,
                 f"look {self.preset}" if self.preset else "", "cast " + ", ".join(self.cast) if self.cast else "",
                 self.finish, "" if self.exists else "file missing"]
        return " · ".join(p for p in parts if p)

    def matches(self, text: str) -> bool:
        """Every word typed is in its prompt, model, preset, cast, finishing, file name or date."""
        haystack = " ".join([self.prompt, self.result.settings.prompt, self.result.settings.model_type, self.preset,
                             *self.cast, self.finish, self.source, self.clip.name, self.date, self.kind]).lower()
        return all(word in haystack for word in text.lower().split())


class ClipLibrary:
    """The library file of one project. Reads are cheap (one small JSON); each add rewrites it atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def add(self, key: str, result: JobResult) -> bool:
        """Remember a finished clip (once per key). Returns True when it was new."""
        with _write_lock:
            data = self._read()
            if any(item.get("key") == key for item in data["clips"]):
                return False
            data["clips"].append({"key": key, "added_at": time.time(), "result": self._stored(result)})
            self._write(data)
            return True

    def add_all(self, items: Iterable[tuple[str, JobResult]]) -> int:
        with _write_lock:
            data = self._read()
            known = {item.get("key") for item in data["clips"]}
            added = 0
            for key, result in items:
                if key in known:
                    continue
                data["clips"].append({"key": key, "added_at": time.time(), "result": self._stored(result)})
                known.add(key)
                added += 1
            if added:
                self._write(data)
            return added

    def entries(self) -> list[LibraryEntry]:
        """Every clip, newest first (an entry that cannot be read is skipped)."""
        from pydantic import ValidationError

        from .messages import JobResult

        data = self._read()
        found: list[LibraryEntry] = []
        for item in data["clips"]:
            try:
                result = JobResult.model_validate(self._loaded(item["result"]))
            except (KeyError, TypeError, ValueError, ValidationError):
                continue
            found.append(LibraryEntry(str(item.get("key", "")), result, float(item.get("added_at", 0.0))))
        return sorted(found, key=lambda e: e.result.finished_at or e.added_at, reverse=True)

    def merge_from(self, other: Path, folder: Path | None = None) -> int:
        """Take in another library's clips (an unsaved session's when the project is first saved, the old
        project's on a Save As elsewhere); a clip that has moved or been copied into `folder` is taken
        from there, by name. Returns how many were new."""
        items = []
        for entry in ClipLibrary(other).entries():
            result = entry.result
            if folder is not None and (Path(folder) / entry.clip.name).is_file():
                moved = Path(folder) / entry.clip.name
                sidecar = moved.with_suffix(".json")
                result = result.model_copy(update={"video_path": moved,
                                                   "sidecar_path": sidecar if sidecar.is_file() else None})
            items.append((entry.key, result))
        return self.add_all(items)

    # -- the file

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("clips"), list):
                return data
        except (OSError, ValueError):
            pass
        return {"version": VERSION, "clips": []}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data["version"] = VERSION
        write_json_atomically(self.path, data)

    def _stored(self, result: JobResult) -> dict[str, Any]:
        """The result as JSON with its paths relative to the library's folder when they are inside it."""
        data = json.loads(result.model_dump_json())
        for key in ("video_path", "sidecar_path"):
            if data.get(key):
                data[key] = self._relative(Path(data[key]))
        return data

    def _loaded(self, data: dict[str, Any]) -> dict[str, Any]:
        data = dict(data)
        for key in ("video_path", "sidecar_path"):
            if data.get(key):
                path = Path(data[key])
                data[key] = str(path if path.is_absolute() else self.path.parent / path)
        return data

    def _relative(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.path.parent) if _inside(path, self.path.parent) else str(path)
        except ValueError:  # another drive on Windows
            return str(path)


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True


def search(entries: Iterable[LibraryEntry], text: str = "", kind: str = "ALL") -> list[LibraryEntry]:
    return [e for e in entries if (kind == "ALL" or e.kind == kind.lower()) and e.matches(text)]
