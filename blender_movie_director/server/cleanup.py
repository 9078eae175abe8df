"""The server's janitor: nothing it writes or receives stays on disk for ever.

- Outputs (clips in the output folder) are kept for the retention window (the server's
  --keep-results-hours, which also bounds how long /job_result can fetch them), then deleted.
- gradio's own folder (uploads, and the copies of outputs it serves) is this server's private
  temporary folder: anything there older than TEMP_MAX_AGE_SECONDS that no job holds and no waiting
  request names is deleted. Uploads are normally deleted sooner, when their job ends (uploads.py).

`sweep_once()` is the one function to call (the janitor thread calls it every few minutes; a test or
another module may call it at any time).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("bmd.server")

TEMP_MAX_AGE_SECONDS = 3600.0
MEDIA_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".webm", ".avi", ".png", ".jpg", ".jpeg", ".webp",
                            ".wav", ".mp3", ".json"})
SKIP_FOLDERS = frozenset({".bmd-results"})  # the result shelf prunes its own entries


@dataclass
class Janitor:
    output_dir: Path
    temp_dir: Path | None
    keep_seconds: float  # outputs; <= 0 keeps them for ever
    temp_max_age: float = TEMP_MAX_AGE_SECONDS
    in_use: Callable[[], set[str]] = field(default=lambda: set())  # uploads jobs hold now
    pending: Callable[[], set[str] | None] = field(default=lambda: set())  # named by queued requests
    _stop: threading.Event = field(default_factory=threading.Event)

    def sweep_once(self, now: float | None = None) -> dict[str, int]:
        """Delete what is past its time; returns how many files went from each place."""
        now = time.time() if now is None else now
        deleted = {"outputs": 0, "temp": 0}
        if self.keep_seconds > 0 and self.output_dir.is_dir():
            deleted["outputs"] = _sweep(self.output_dir, now - self.keep_seconds, keep=set(),
                                        only_media=True)
        if self.temp_dir is not None and self.temp_dir.is_dir():
            waiting = self.pending()
            age = self.temp_max_age if waiting is not None else max(self.temp_max_age, self.keep_seconds)
            keep = self.in_use() | (waiting or set())
            deleted["temp"] = _sweep(self.temp_dir, now - age, keep=keep, only_media=False)
        if any(deleted.values()):
            log.info("cleanup: deleted %d old outputs and %d old temporary files", deleted["outputs"], deleted["temp"])
        return deleted

    def start(self, every: float | None = None) -> Janitor:
        interval = every or max(30.0, min(600.0, (self.keep_seconds or 3600) / 4, self.temp_max_age / 4))

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.sweep_once()
                except Exception:  # the janitor must never take the server down
                    log.exception("cleanup failed (it will try again)")

        threading.Thread(target=loop, name="bmd-janitor", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()


def _sweep(root: Path, older_than: float, *, keep: set[str], only_media: bool) -> int:
    deleted = 0
    for path in sorted(root.rglob("*"), reverse=True):  # files before their folders
        if any(part in SKIP_FOLDERS for part in path.relative_to(root).parts):
            continue
        try:
            if path.is_dir():
                if path != root and not any(path.iterdir()) and path.stat().st_mtime < older_than:
                    path.rmdir()
                continue
            if only_media and path.suffix.lower() not in MEDIA_SUFFIXES and ".partial" not in path.name:
                continue
            if str(path.resolve()) in keep or path.stat().st_mtime >= older_than:
                continue
            path.unlink()
            deleted += 1
        except OSError:
            continue  # gone meanwhile, or not ours to delete: next time
    return deleted


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
