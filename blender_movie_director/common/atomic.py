"""Replace a file all at once: write a temporary file beside it, flush it to disk, rename it over.

A reader (or a crash) sees the old file or the new one, never half of either.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_text_atomically(path: Path, text: str) -> Path:
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass  # the folder itself is gone or read-only: nothing was left there either
        raise
    return path


def write_json_atomically(path: Path, data: Any, *, indent: int = 1) -> Path:
    return write_text_atomically(path, json.dumps(data, indent=indent, sort_keys=True))
