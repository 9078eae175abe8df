"""What the server says about one model: its family, inputs, and the frame rules its settings follow."""

from __future__ import annotations

import math

from .enums import RESOLUTIONS, MediaInput, ModelCategory, ModelFamily, OutputKind, TaskKind
from .wire_model import WireModel

LONG_VIDEO_SECONDS = 60  # cap for models that extend clips with sliding windows


class ModelInfo(WireModel):
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
