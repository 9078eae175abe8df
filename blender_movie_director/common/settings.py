"""What to generate (Wan2GP's settings keys), checked field by field and against a model's rules."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from .enums import MediaInput
from .errors import InvalidSettingsError
from .extra_settings import check_extra_values
from .finishing import FinishSpec
from .model_fit import ModelFit
from .presets import PresetUse
from .wire_model import WireModel

MAX_PROMPT_CHARS = 10_000
MAX_SEED = 2**32 - 1
MAX_STEPS = 200
MAX_SOUND_SECONDS = 600
MAX_LORAS = 32
MAX_LORA_NAME_CHARS = 256
MAX_REFERENCE_IMAGES = 8  # image_refs and image_refs_more together
MAX_CAST = 16


_MEDIA_FIELDS = tuple(m.value for m in MediaInput)


class GenerationSettings(ModelFit, WireModel):
    """What to generate. Field names are Wan2GP's settings keys; None means the model's default.
    Checked field by field here; against a model's rules by resolved_for (ModelFit, model_fit.py)."""

    model_type: str = Field(min_length=1, max_length=200)
    prompt: str
    negative_prompt: str = Field("", max_length=MAX_PROMPT_CHARS)
    resolution: str | None = Field(None, max_length=32)  # "WxH"
    video_length: int | None = None  # frames
    duration_seconds: float | None = None  # sound models: how long (0: as long as the words take)
    seed: int = -1  # -1: the server picks one and reports it
    num_inference_steps: int | None = None
    guidance_scale: float | None = None
    flow_shift: float | None = None
    sample_solver: str | None = Field(None, max_length=64)
    image_start: Path | None = None
    image_end: Path | None = None
    video_source: Path | None = None
    video_guide: Path | None = None
    image_refs: Path | None = None  # one reference image (Wan2GP takes a list: it gets a list of one)
    video_mask: Path | None = None
    image_guide: Path | None = None
    image_mask: Path | None = None
    audio_guide: Path | None = None
    # more reference images after image_refs (a cast of several, several views of one): Wan2GP gets one list
    image_refs_more: tuple[Path, ...] = Field((), max_length=MAX_REFERENCE_IMAGES - 1)
    activated_loras: tuple[str, ...] = Field((), max_length=MAX_LORAS)
    loras_multipliers: tuple[float, ...] = Field((), max_length=MAX_LORAS)
    extra: dict[str, Any] = Field(default_factory=dict)  # other Wan2GP keys, passed through
    # the Director's own record, never sent to Wan2GP: the look it was made with, who is in it, and for a
    # finishing job (server /finish) what to do to which clip
    preset: PresetUse | None = None
    cast: tuple[str, ...] = Field((), max_length=MAX_CAST)
    finish: FinishSpec | None = None

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the prompt is empty: describe the shot you want")
        _check_text(value)
        if len(value) > MAX_PROMPT_CHARS:
            raise ValueError(f"the prompt is {len(value)} characters; the limit is {MAX_PROMPT_CHARS}")
        return value

    @field_validator("negative_prompt")
    @classmethod
    def _negative_prompt(cls, value: str) -> str:
        _check_text(value)
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

    @field_validator("duration_seconds")
    @classmethod
    def _seconds(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or not 0 <= value <= MAX_SOUND_SECONDS):
            raise ValueError(f"{value} s is out of range: use 0…{MAX_SOUND_SECONDS} (0: as long as the words take)")
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
        check_extra_values(value)  # small values, never a file path or a file-naming key
        return value

    @field_validator("activated_loras")
    @classmethod
    def _lora_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not name.strip() or len(name) > MAX_LORA_NAME_CHARS or "\0" in name:
                raise ValueError(f"{name[:60]!r} is not a LoRA name: use one from list_loras(model_type)")
        return value

    @field_validator("cast")
    @classmethod
    def _cast(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not name.strip() or len(name) > 80:
                raise ValueError(f"{name[:60]!r} is not a cast member's name (1–80 characters)")
        return value

    @field_validator("loras_multipliers")
    @classmethod
    def _lora_weights(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        for weight in value:
            if not math.isfinite(weight) or not -10 <= weight <= 10:
                raise ValueError(f"{weight} is out of range: use -10…10")
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

    def reference_images(self) -> tuple[Path, ...]:
        """Every reference image, in order: image_refs then image_refs_more."""
        return ((self.image_refs,) if self.image_refs is not None else ()) + self.image_refs_more

    def without_media(self) -> GenerationSettings:
        """The settings with no file in them (what crosses the wire: media travel as uploads)."""
        update: dict[str, Any] = {f: None for f in _MEDIA_FIELDS}
        update["image_refs_more"] = ()
        if self.finish is not None and self.finish.source is not None:
            update["finish"] = self.finish.model_copy(update={"source": None})
        return self.model_copy(update=update)

    def to_wan2gp(self) -> dict[str, Any]:
        """The settings as Wan2GP's Export Settings JSON keys (media as path strings)."""
        data: dict[str, Any] = {
            key: value
            for key, value in self.model_dump(mode="json", exclude={"extra", "loras_multipliers", "image_refs_more",
                                                                    "preset", "cast", "finish"}).items()
            if value is not None
        }
        if "image_refs" in data:
            data["image_refs"] = [str(p) for p in self.reference_images()]  # Wan2GP takes a list of them
        data["activated_loras"] = list(self.activated_loras)
        data["loras_multipliers"] = " ".join(f"{m:g}" for m in self.loras_multipliers)
        return {**self.extra, **data}


def _check_text(value: str) -> None:
    """Text that can be sent: a lone surrogate (what a terminal passes for bytes that are not UTF-8)
    cannot be written as JSON, and would otherwise fail only when the job is sent."""
    bad = next((i for i, c in enumerate(value) if "\ud800" <= c <= "\udfff"), None)
    if bad is not None:
        raise ValueError(f"character {bad + 1} is not valid text (a stray byte, e.g. from a terminal that is not "
                         "set to UTF-8): retype it")


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


class SimulationOptions(WireModel):
    """Knobs of the simulated engine, for demos and fault tests. The real engine ignores them."""

    step_seconds: float | None = Field(None, ge=0, le=60)
    fail_at_step: int | None = Field(None, ge=1)
    hang_at_step: int | None = Field(None, ge=1)
    exit_at_step: int | None = Field(None, ge=1)
    pad_output_mb: int | None = Field(None, ge=1, le=4000)  # a clip this much bigger (benchmarks: big downloads)
