"""What the pieces of the Director server share (app.py DirectorService holds them): the engine, the
job registry, the result shelf, the upload book and the server's options. build_app and main set some
of them after the service is made, so the pieces read them from the service at each call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from .engines import Engine
from .job_registry import JobRegistry
from .result_shelf import ResultShelf
from .uploads import MediaLimits, UploadBook


class ServiceParts(Protocol):
    engine: Engine
    output_dir: Path
    registry: JobRegistry
    results: ResultShelf
    started_at: float
    queue_length: Callable[[], int | None]
    limits: MediaLimits
    allow_test_controls: bool
    upload_root: Path | None
    uploads: UploadBook
