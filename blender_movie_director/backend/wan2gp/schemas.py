"""Pydantic v2 models for everything the client and the server exchange. No bpy here."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .enums import (
    RESOLUTIONS,
    EngineName,
    JobState,
    MediaInput,
    ModelCategory,
    ModelFamily,
    OutputKind,
    Phase,
    TaskKind,
)
from .errors import InvalidSettingsError

API_VERSION = "1.0"  # bumped when an endpoint's inputs or outputs change incompatibly

MAX_PROMPT_CHARS = 10_000
MAX_SEED = 2**32 - 1
MAX_STEPS = 200
LONG_VIDEO_SECONDS = 60  # cap for models that extend clips with sliding windows


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


# ---------------------------------------------------------------- model catalog


class ModelInfo(_Model):
    """One generation model as the server offers it, with the rules its settings must follow."""

    id: str  # Wan2GP's model_type
    name: str
    family: ModelFamily
    category: ModelCategory
    tasks: tuple[TaskKind, ...]
    output: OutputKind = OutputKind.VIDEO
    fps: int
    frames_minimum: int = 1
    frames_step: int = 1
    frames_maximum: int = 1  # one generation window, as Wan2GP publishes it
    sliding_window: bool = False  # longer clips are made window by window
    audio_output: bool = False
    media_inputs: tuple[MediaInput, ...] = ()
    required_inputs: tuple[MediaInput, ...] = ()
    resolutions: tuple[str, ...] = RESOLUTIONS
    default_resolution: str = "832x480"
    default_frames: int = 81
    default_steps: int = 30
    default_guidance_scale: float = 5.0
    default_flow_shift: float = 5.0
    available: bool = True  # weights present on the server
    vram_gb: float | None = None
    description: str = ""

    @property
    def frames_limit(self) -> int:
        """The longest clip this model makes in one job."""
        if not self.sliding_window:
            return self.frames_maximum
        return self.snap_frames(LONG_VIDEO_SECONDS * self.fps, limit=False)

    @property
    def frame_grid(self) -> str:
        """Human form of the frame rule, e.g. '4n+1 (5–97)'."""
        rest = self.frames_minimum % self.frames_step if self.frames_step > 1 else 0
        rule = f"{self.frames_step}n+{rest}" if self.frames_step > 1 else "any"
        return f"{rule}, {self.frames_minimum}–{self.frames_limit} frames at {self.fps} fps"

    def is_valid_frame_count(self, frames: int) -> bool:
        return (
            self.frames_minimum <= frames <= self.frames_limit
            and (frames - self.frames_minimum) % self.frames_step == 0
        )

    def snap_frames(self, frames: float, *, limit: bool = True) -> int:
        """Nearest frame count on this model's grid (rounding half up), clamped to its range."""
        k = max(0, math.floor((frames - self.frames_minimum) / self.frames_step + 0.5))
        snapped = self.frames_minimum + k * self.frames_step
        if limit:
            top = self.frames_limit
            snapped = min(snapped, top - (top - self.frames_minimum) % self.frames_step)
        return snapped

    def frames_for_seconds(self, seconds: float) -> int:
        return self.snap_frames(seconds * self.fps)

    def seconds_for_frames(self, frames: int) -> float:
        return frames / self.fps if self.fps else 0.0

    def accepts(self, media: MediaInput) -> bool:
        return media in self.media_inputs


# ---------------------------------------------------------------- settings

_MEDIA_FIELDS = tuple(m.value for m in MediaInput)


class GenerationSettings(_Model):
    """What to generate. Field names are Wan2GP's settings keys; None means the model's default."""

    model_type: str = Field(min_length=1, max_length=200)
    prompt: str
    negative_prompt: str = Field("", max_length=MAX_PROMPT_CHARS)
    resolution: str | None = None  # "WxH"
    video_length: int | None = None  # frames
    seed: int = -1  # -1: the server picks one and reports it
    num_inference_steps: int | None = None
    guidance_scale: float | None = None
    flow_shift: float | None = None
    sample_solver: str | None = None
    image_start: Path | None = None
    image_end: Path | None = None
    video_source: Path | None = None
    video_guide: Path | None = None
    activated_loras: tuple[str, ...] = ()
    loras_multipliers: tuple[float, ...] = ()
    extra: dict[str, Any] = Field(default_factory=dict)  # other Wan2GP keys, passed through

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the prompt is empty: describe the shot you want")
        if len(value) > MAX_PROMPT_CHARS:
            raise ValueError(f"the prompt is {len(value)} characters; the limit is {MAX_PROMPT_CHARS}")
        return value

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = value.lower().replace(" ", "").split("x")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"'{value}' is not WIDTHxHEIGHT, e.g. '832x480'")
        return f"{int(parts[0])}x{int(parts[1])}"

    @field_validator("video_length")
    @classmethod
    def _frames(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError(f"{value} frames: a clip needs at least one frame")
        return value

    @field_validator("seed")
    @classmethod
    def _seed(cls, value: int) -> int:
        if value != -1 and not 0 <= value <= MAX_SEED:
            raise ValueError(f"{value} is out of range: use -1 for random or 0…{MAX_SEED}")
        return value

    @field_validator("num_inference_steps")
    @classmethod
    def _steps(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_STEPS:
            raise ValueError(f"{value} steps: use 1…{MAX_STEPS}")
        return value

    @field_validator("guidance_scale", "flow_shift")
    @classmethod
    def _finite_scale(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or not 0 <= value <= 100):
            raise ValueError(f"{value} is out of range: use 0…100")
        return value

    @field_validator("extra")
    @classmethod
    def _extra(cls, value: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(set(value) & set(cls.model_fields))
        if clash:
            raise ValueError(f"set {', '.join(clash)} as its own field, not in extra")
        if len(value) > 64:
            raise ValueError("more than 64 extra settings")
        return value

    @model_validator(mode="after")
    def _loras(self) -> GenerationSettings:
        if self.loras_multipliers and len(self.loras_multipliers) != len(self.activated_loras):
            raise ValueError(
                f"loras_multipliers has {len(self.loras_multipliers)} values for "
                f"{len(self.activated_loras)} LoRAs: give one per LoRA, or none"
            )
        return self

    # -- derived

    @property
    def width(self) -> int:
        return int((self.resolution or "0x0").split("x")[0])

    @property
    def height(self) -> int:
        return int((self.resolution or "0x0").split("x")[1])

    def media(self) -> dict[MediaInput, Path]:
        """The media inputs that are set, keyed by kind."""
        return {m: getattr(self, m.value) for m in MediaInput if getattr(self, m.value) is not None}

    def without_media(self) -> GenerationSettings:
        return self.model_copy(update={f: None for f in _MEDIA_FIELDS})

    def resolved_for(self, model: ModelInfo) -> GenerationSettings:
        """Check these settings against the model's rules and fill in its defaults.

        Raises InvalidSettingsError naming the field, before anything is sent.
        """
        if self.model_type != model.id:
            raise InvalidSettingsError("model_type", f"settings are for '{self.model_type}', not '{model.id}'")
        resolution = self.resolution or model.default_resolution
        if resolution not in model.resolutions:
            raise InvalidSettingsError(
                "resolution",
                f"{model.id} does not offer {resolution}",
                hint=f"pick one of {', '.join(model.resolutions[-8:])} … (or leave it empty for {model.default_resolution})",
            )
        frames = self.video_length if self.video_length is not None else model.default_frames
        if model.output is OutputKind.IMAGE:
            if frames != 1 and self.video_length is not None:
                raise InvalidSettingsError("video_length", f"{model.id} makes still images: use 1 frame")
            frames = 1
        elif not model.is_valid_frame_count(frames):
            if frames > model.frames_limit:
                message = f"{frames} frames is beyond {model.id}'s limit of {model.frames_limit}"
            elif frames < model.frames_minimum:
                message = f"{frames} frames is below {model.id}'s minimum of {model.frames_minimum}"
            else:
                message = f"{frames} frames is off {model.id}'s frame grid ({model.frame_grid})"
            raise InvalidSettingsError(
                "video_length", message, hint=f"use {model.snap_frames(frames)} frames"
            )
        for media in self.media():
            if not model.accepts(media):
                accepted = ", ".join(m.value for m in model.media_inputs) or "no image or video input"
                raise InvalidSettingsError(
                    media.value,
                    f"{model.id} does not take {media.value} (it takes {accepted})",
                    hint="pick an image-to-video model, or remove the input",
                )
        for media in model.required_inputs:
            if getattr(self, media.value) is None:
                raise InvalidSettingsError(media.value, f"{model.id} needs {media.value}", hint="add an image")
        return self.model_copy(
            update={
                "resolution": resolution,
                "video_length": frames,
                "num_inference_steps": self.num_inference_steps or model.default_steps,
                "guidance_scale": model.default_guidance_scale if self.guidance_scale is None else self.guidance_scale,
                "flow_shift": model.default_flow_shift if self.flow_shift is None else self.flow_shift,
            }
        )

    def to_wan2gp(self) -> dict[str, Any]:
        """The settings as Wan2GP's Export Settings JSON keys (media as path strings)."""
        data: dict[str, Any] = {
            key: value
            for key, value in self.model_dump(mode="json", exclude={"extra", "loras_multipliers"}).items()
            if value is not None
        }
        data["activated_loras"] = list(self.activated_loras)
        data["loras_multipliers"] = " ".join(f"{m:g}" for m in self.loras_multipliers)
        return {**self.extra, **data}


def parse_settings(data: dict[str, Any] | GenerationSettings) -> GenerationSettings:
    """Build settings from a dict, turning pydantic's error into one naming the field."""
    if isinstance(data, GenerationSettings):
        return data
    try:
        return GenerationSettings.model_validate(data)
    except ValidationError as exc:
        raise settings_error_from(exc) from None


def settings_error_from(exc: ValidationError) -> InvalidSettingsError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "settings"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "is not a setting this client knows; put Wan2GP-only keys in extra={...}"
    return InvalidSettingsError(field, message)


# ---------------------------------------------------------------- jobs


class SimulationOptions(_Model):
    """Knobs of the simulated engine, for demos and fault tests. The real engine ignores them."""

    step_seconds: float | None = Field(None, ge=0, le=60)
    fail_at_step: int | None = Field(None, ge=1)
    hang_at_step: int | None = Field(None, ge=1)
    exit_at_step: int | None = Field(None, ge=1)


class GenerateRequest(_Model):
    """What the client sends to /generate (media travel beside it as uploads)."""

    api_version: str = API_VERSION
    job_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    settings: GenerationSettings
    simulation: SimulationOptions | None = None


class GenerateReply(_Model):
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


class JobStatus(_Model):
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
    message: str = ""
    updated_at: float = Field(default_factory=time.time)

    @property
    def phase_label(self) -> str:
        if self.state is JobState.QUEUED and self.queue_rank is not None:
            return f"Queued: {self.queue_rank + 1} of {self.queue_size or self.queue_rank + 1}"
        return self.phase.label if self.phase else self.state.value.capitalize()


# ---------------------------------------------------------------- server


class ServerStatus(_Model):
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


class ServerJobRecord(_Model):
    """The server's own account of a job it ran (or was asked to cancel)."""

    job_id: str
    model_type: str = ""
    state: JobState
    step: int = 0
    total_steps: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    message: str = ""


class CancelReply(_Model):
    job_id: str
    state: JobState  # RUNNING: stopping now; CANCELLED: will never start; or already final
    was_running: bool


class LoraList(_Model):
    model_type: str
    supported: bool
    loras: tuple[str, ...] = ()
