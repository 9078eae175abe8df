"""Finishing a clip that exists: upscale it, smooth it to a higher frame rate, or give it sound.

A finishing job is a job like any other (queued, progress, cancel, journal, retry): its settings are
those of the clip it finishes (model, prompt, seed: what the clip is) plus a `FinishSpec` saying what
to do. It goes to the server's /finish endpoint with the clip as an upload; Wan2GP does it with
`submit_media_postprocessing` (spatial upsampling: Lanczos or FlashVSR; temporal: RIFE) and
`submit_audio_remux` (MMAudio makes a soundtrack from the picture); the simulated engine does the
same visibly without a GPU.
"""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from .wire_model import WireModel


class FinishOperation(str, Enum):
    UPSCALE = "upscale"  # spatial upsampling: more pixels
    SMOOTH = "smooth"  # temporal upsampling (frame interpolation) to a higher frame rate
    ADD_SOUND = "add_sound"  # a soundtrack generated from the picture (and an optional prompt)

    @property
    def label(self) -> str:
        return {"upscale": "Upscale", "smooth": "Smooth", "add_sound": "Add Sound"}[self.value]


# Wan2GP's spatial upsamplers we offer, with the factors each takes (postprocessing/lanczos/wgp_bridge.py
# MULTIPLIERS and postprocessing/flashvsr at 8681e9f): Lanczos needs no model; FlashVSR is an AI
# upscaler whose weights Wan2GP downloads on first use.
UPSCALERS: dict[str, tuple[float, ...]] = {"lanczos": (1.5, 2.0, 2.5, 3.0, 3.5, 4.0), "flashvsr": (2.0, 4.0)}
RIFE_FACTORS = (2, 4)  # Wan2GP's RIFE doubles or quadruples the frame rate (rife2, rife4)
SOUND_METHOD = "mmaudio"  # Wan2GP's audio processor that generates a soundtrack from a video's picture
MAX_FPS = 240.0
MAX_SOUND_PROMPT = 2_000


class FinishSpec(WireModel):
    """What to do to the clip. `source` is the clip on the client's disk: it travels as an upload, never
    as a path in a request (the server refuses one)."""

    operation: FinishOperation
    source: Path | None = None
    source_name: str = Field("", max_length=260)  # the clip's file name, for the record
    source_job_id: str = Field("", max_length=64)  # the server job that made it ("" for a clip made elsewhere)
    source_strip: str = Field("", max_length=128)  # the strip it was made for, in Blender
    upscaler: str = "lanczos"
    scale: float = 2.0
    fps: float | None = None  # smooth: the frame rate to reach (the scene's)
    sound_prompt: str = Field("", max_length=MAX_SOUND_PROMPT)  # add sound: what it should sound like
    sound_negative: str = Field("", max_length=MAX_SOUND_PROMPT)

    @field_validator("upscaler")
    @classmethod
    def _upscaler(cls, value: str) -> str:
        if value not in UPSCALERS:
            raise ValueError(f"'{value[:40]}' is not an upscaler: use {' or '.join(UPSCALERS)}")
        return value

    @field_validator("fps")
    @classmethod
    def _fps(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or not 1 <= value <= MAX_FPS):
            raise ValueError(f"{value} fps is out of range: use 1…{MAX_FPS:g}")
        return value

    @model_validator(mode="after")
    def _fits(self) -> FinishSpec:
        if self.operation is FinishOperation.UPSCALE and self.scale not in UPSCALERS[self.upscaler]:
            factors = ", ".join(f"×{f:g}" for f in UPSCALERS[self.upscaler])
            raise ValueError(f"{self.upscaler} upscales by {factors}, not ×{self.scale:g}")
        if self.operation is FinishOperation.SMOOTH and self.fps is None:
            raise ValueError("smoothing needs the frame rate to reach (fps), e.g. the scene's 24")
        return self

    @property
    def spatial_upsampling(self) -> str:
        """Wan2GP's value for spatial_upsampling, e.g. 'lanczos2' or 'flashvsr4'."""
        return f"{self.upscaler}{self.scale:g}"

    def describe(self) -> str:
        if self.operation is FinishOperation.UPSCALE:
            return f"Upscale ×{self.scale:g} ({self.upscaler})"
        if self.operation is FinishOperation.SMOOTH:
            return f"Smooth to {self.fps:g} fps"
        return "Add Sound" + (f": {self.sound_prompt[:40]}" if self.sound_prompt else " from the picture")


def rife_factor(source_fps: float, target_fps: float) -> int:
    """RIFE's multiplier that reaches `target_fps` from `source_fps` (2 or 4); ValueError when it cannot."""
    if source_fps <= 0:
        raise ValueError("the clip has no frame rate: only a video can be smoothed")
    if target_fps <= source_fps + 1e-6:
        raise ValueError(f"the clip already plays at {source_fps:g} fps, {target_fps:g} fps is not smoother")
    for factor in RIFE_FACTORS:
        if source_fps * factor >= target_fps - 1e-6:
            return factor
    raise ValueError(f"{target_fps:g} fps is more than ×{RIFE_FACTORS[-1]} the clip's {source_fps:g} fps")


def smoothed_frame_count(frames: int, source_fps: float, target_fps: float) -> int:
    """Frames of a clip smoothed to `target_fps`: the first and last frames kept, as long as before."""
    if frames <= 1:
        return frames
    return round((frames - 1) * target_fps / source_fps) + 1
