"""Finished jobs the server keeps for a while, so that a client that lost its connection (Blender
crashed, the network dropped, the client gave up waiting) fetches the clip instead of rendering it
again. Kept on disk beside the outputs, so a restart of the server forgets nothing.

One small JSON file per finished job (`<output dir>/.bmd-results/<job id>.json`: the reply and the
output's path). After `keep_seconds` (the server's --keep-results-hours, 24 h by default) the entry
is dropped; the output file itself stays where the engine wrote it (Wan2GP's outputs folder keeps
its files too).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path

from ..common.atomic import write_json_atomically
from ..common.job_lookup import JOB_ID_PATTERN
from ..common.messages import GenerateReply

log = logging.getLogger("bmd.server")

FOLDER_NAME = ".bmd-results"
PRUNE_EVERY_SECONDS = 600.0


class ResultShelf:
    def __init__(self, output_dir: Path, keep_seconds: float) -> None:
        self.folder = Path(output_dir) / FOLDER_NAME
        self.keep_seconds = keep_seconds
        self._lock = threading.Lock()
        self._pruned_at = 0.0

    def keep(self, reply: GenerateReply, output: Path, owner: str | None = None) -> None:
        """Shelve a finished job's reply, output path and owner (a failure to write is logged, not
        raised: the client that is connected gets its clip anyway)."""
        if self.keep_seconds <= 0 or not re.match(JOB_ID_PATTERN, reply.job_id):
            return
        entry = {"reply": json.loads(reply.model_dump_json()), "path": str(output), "kept_at": time.time(),
                 "owner": owner}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_json_atomically(self.folder / f"{reply.job_id}.json", entry)
        except OSError as exc:
            log.warning("could not keep the result of job %s for a later fetch: %s", reply.job_id, exc)
        self.prune()

    def owner_of(self, job_id: str) -> str | None:
        """Who sent a shelved job (it survives a restart of the server, unlike the registry)."""
        if not re.match(JOB_ID_PATTERN, job_id):
            return None
        try:
            owner = json.loads((self.folder / f"{job_id}.json").read_text(encoding="utf-8")).get("owner")
        except (OSError, ValueError, AttributeError):
            return None
        return owner if isinstance(owner, str) else None

    def get(self, job_id: str) -> tuple[GenerateReply, Path, float] | bool | None:
        """(reply, output path, kept until) for a shelved job; False when it was shelved but its time
        or its file is gone; None when it was never shelved."""
        if not re.match(JOB_ID_PATTERN, job_id):
            return None
        path = self.folder / f"{job_id}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            reply = GenerateReply.model_validate(entry["reply"])
            output, kept_at = Path(entry["path"]), float(entry["kept_at"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable shelved result %s: %s", path.name, exc)
            return False
        kept_until = kept_at + self.keep_seconds
        if time.time() > kept_until or not output.is_file():
            return False
        return reply, output, kept_until

    def prune(self, force: bool = False) -> int:
        """Drop entries older than keep_seconds (at most every few minutes unless forced)."""
        now = time.time()
        with self._lock:
            if not force and now - self._pruned_at < PRUNE_EVERY_SECONDS:
                return 0
            self._pruned_at = now
        dropped = 0
        for path in self.folder.glob("*.json") if self.folder.is_dir() else ():
            try:
                kept_at = float(json.loads(path.read_text(encoding="utf-8"))["kept_at"])
            except (OSError, ValueError, KeyError, TypeError):
                kept_at = path.stat().st_mtime if path.exists() else now
            if now - kept_at > self.keep_seconds:
                path.unlink(missing_ok=True)
                dropped += 1
        return dropped
