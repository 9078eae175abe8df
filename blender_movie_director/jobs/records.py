"""What the job manager and the UI say to each other: job records, the server's state, events.

Every object here is an immutable snapshot, safe to hand from the worker thread to Blender's
main thread, and a JobRecord is what the journal stores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..common.enums import JobState
from ..common.messages import JobResult, JobStatus, ServerStatus
from ..common.model_info import ModelInfo
from ..common.settings import GenerationSettings, SimulationOptions


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Slot(_Frozen):
    """Where a clip goes, captured when the job is queued."""

    scene: str
    channel: int
    frame_start: int
    frames: int


class JobRecord(_Frozen):
    """What the UI knows about one job (a snapshot; replaced, never mutated). Journalled as JSON, with
    what is needed to reattach to it after a crash: the server, the server's job id, the concrete
    seed (in the settings), the slot."""

    id: str
    settings: GenerationSettings  # the seed is concrete (chosen when queued): Retry makes the same shot
    slot: Slot
    output_dir: Path
    label: str
    project: Path | None = None  # the journal this job belongs to: one per .blend (None: none)
    state: JobState = JobState.SUBMITTING
    status: JobStatus | None = None
    error: str = ""  # what went wrong, in words a film maker can act on
    error_hint: str = ""  # what to do about it
    error_detail: str = ""  # where it went wrong (the engine's stage)
    result: JobResult | None = None
    server_job_id: str = ""  # chosen when queued, before it is sent: the server knows the job by it
    server_url: str = ""  # the server it was (or will be) sent to
    client_id: str = ""  # who sent it, to the server (a server shows a job to its own client only)
    retry_of: str = ""  # the server job id of the attempt this one repeats: fetched if it finished after all
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    simulation: SimulationOptions | None = None
    placed: bool = False  # its clip is on the timeline (set by the add-on's main thread)
    placement_saved: bool = False  # ... and the .blend was saved since: never placed again
    cancel_requested: bool = False  # the user cancelled it: never fetched, cancelled on the server
    waiting: str = ""  # what it waits for, when that is not the server's queue ("Waiting for the server: 42 s")

    @property
    def progress(self) -> float:
        return self.status.progress if self.status else 0.0


@dataclass(frozen=True)
class ServerInfo:
    url: str
    status: ServerStatus | None = None
    models: tuple[ModelInfo, ...] = ()
    error: str = ""
    error_hint: str = ""
    checked_at: float = field(default_factory=time.time)

    @property
    def connected(self) -> bool:
        return self.status is not None


# what drain() hands the main thread
@dataclass(frozen=True)
class JobChanged:
    record: JobRecord


@dataclass(frozen=True)
class ServerChanged:
    info: ServerInfo


Event = JobChanged | ServerChanged
