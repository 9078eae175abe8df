"""A job of the server pool (jobs/dispatch.py ServerPool). No bpy here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..common.settings import GenerationSettings, SimulationOptions
from .records import Slot


@dataclass
class PoolJob:
    """A job of the pool, held here until a server takes it; then the attempt on that server."""

    id: str
    settings: GenerationSettings
    slot: Slot
    output_dir: Path
    label: str
    simulation: SimulationOptions | None
    project: Path | None
    created_at: float = field(default_factory=time.time)
    server: str = ""  # the server it was handed to ("" while held here)
    manager_id: str = ""  # its id in that server's manager
    moved_from: list[str] = field(default_factory=list)  # servers it was taken back from
    failed: str = ""  # ended here, before any server had it
    cancelled: bool = False
