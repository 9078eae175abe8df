"""A GPU job that passed every check of its endpoint (/generate, /generate_refs or /finish), as the
server's one submit path (job_runner.py JobRunner.submitted) takes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..common.settings import GenerationSettings
from .engines import EngineJob


@dataclass(frozen=True)
class Admitted:
    """Its id, settings, what /job_result shows while it waits (the model, or the finishing
    operation), and how to start it on the engine once it holds the GPU."""

    job_id: str
    settings: GenerationSettings
    label: str
    start: Callable[[str], EngineJob]
