"""The messages the client and the Director server exchange over the wire (besides the settings)."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import Field

from .enums import EngineName, JobState, Phase
from .settings import GenerationSettings, SimulationOptions
from .wire_model import WireModel

API_VERSION = "2.0"  # bumped when an endpoint's inputs or outputs change incompatibly (2.0: nine media slots, owners)
JOB_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"  # job ids are chosen by the client: short and plain


class GenerateRequest(WireModel):
    """What the client sends to /generate (media travel beside it as uploads)."""

    api_version: str = Field(API_VERSION, max_length=16)
    job_id: str = Field(min_length=8, max_length=64, pattern=JOB_ID_PATTERN)
    settings: GenerationSettings
    simulation: SimulationOptions | None = None


class GenerateReply(WireModel):
    """What the server reports about a finished job."""

    job_id: str
    engine: EngineName
    seed: int
    settings: GenerationSettings
    frames: int
    fps: float
    width: int
    height: int
    has_audio: bool = False
    output_name: str
    started_at: float
    finished_at: float

    @property
    def generation_seconds(self) -> float:
        return self.finished_at - self.started_at


class JobResult(GenerateReply):
    """A finished job as the client hands it over: the clip is on local disk."""

    video_path: Path
    sidecar_path: Path | None = None
    submitted_at: float
    downloaded_at: float
    note: str = ""  # something the user should know although the clip is fine (e.g. saved elsewhere)

    @property
    def total_seconds(self) -> float:
        return self.downloaded_at - self.submitted_at


class JobStatus(WireModel):
    """A snapshot of a job, safe to hand from a worker thread to the UI."""

    job_id: str
    state: JobState
    progress: float = Field(0.0, ge=0.0, le=1.0)
    phase: Phase | None = None
    step: int | None = None
    total_steps: int | None = None
    queue_rank: int | None = None  # 0 = next to run
    queue_size: int | None = None
    eta_seconds: float | None = None
    stage: str = ""  # "pass 2/2", "window 1/3, pass 1/2" when denoising runs more than once
    message: str = ""
    updated_at: float = Field(default_factory=time.time)

    @property
    def phase_label(self) -> str:
        if self.state is JobState.QUEUED and self.queue_rank is not None:
            return f"Queued: {self.queue_rank + 1} of {self.queue_size or self.queue_rank + 1}"
        return self.phase.label if self.phase else self.state.value.capitalize()


class ServerStatus(WireModel):
    api_version: str
    server_version: str
    engine: EngineName
    wan2gp_version: str | None = None
    gradio_version: str
    device: str
    vram_total_gb: float | None = None
    vram_free_gb: float | None = None
    busy: bool
    current_job_id: str | None = None
    queue_length: int | None = None
    uptime_seconds: float
    test_controls: bool = False  # started for tests: requests may carry `simulation` (faults, pacing)
    max_upload_bytes: int | None = None  # the biggest media file it takes


class ServerJobRecord(WireModel):
    """The server's own account of a job it ran (or was asked to cancel)."""

    job_id: str
    model_type: str = ""
    state: JobState
    step: int = 0
    total_steps: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    message: str = ""


class CancelReply(WireModel):
    job_id: str
    state: JobState  # RUNNING: stopping now; CANCELLED: will never start; or already final
    was_running: bool


class LoraList(WireModel):
    model_type: str
    supported: bool
    loras: tuple[str, ...] = ()
