"""True timing: a shot's length is scene time, whatever frame rate the model renders at.

A shot fills a slot of `slot_frames` at the scene's frame rate. The model is asked for the frames
that cover that time at its own rate, on its frame grid; the clip is then retimed on the timeline so
that its first frame sits on the slot's first frame and its last frame on the slot's last one
(`source_frame_at` is that mapping). A Wan clip of 33 frames at 16 fps fills 48 frames of a 24 fps
scene and plays in 2 s, not 1.4 s.

Pure arithmetic (no bpy): the add-on, the tests and the demo share it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .enums import OutputKind

if TYPE_CHECKING:  # annotations only: importing this must not load pydantic (the add-on's enable)
    from .model_info import ModelInfo

STILL_FRAMES = 48  # how long a still image holds when a shot has no length of its own
SLIDING_WINDOW_OVERLAP = 5  # Wan2GP's default sliding_window_overlap: frames each window shares with the last


@dataclass(frozen=True)
class ShotTiming:
    """How long a shot is in the scene, and what the model is asked for to fill it."""

    slot_frames: int  # scene frames the clip covers
    scene_fps: float
    model_frames: int  # frames asked of the model (on its grid)
    model_fps: float
    model_id: str = ""
    frames_maximum: int = 0  # the model's one window
    frames_limit: int = 0  # the longest clip it makes in one job (sliding windows included)
    sliding_window: bool = False

    @property
    def seconds(self) -> float:
        """The shot's length in scene time."""
        return self.slot_frames / self.scene_fps if self.scene_fps else 0.0

    @property
    def clip_seconds(self) -> float:
        """How long the model's clip is at its own rate (a grid step away from `seconds` at most)."""
        return self.model_frames / self.model_fps if self.model_fps else 0.0

    @property
    def speed(self) -> float:
        """Playback speed on the timeline (1.0: exactly real time)."""
        return self.clip_seconds / self.seconds if self.seconds else 1.0

    @property
    def windows(self) -> int:
        """How many generation windows the model needs (1 unless it slides)."""
        if not self.frames_maximum or self.model_frames <= self.frames_maximum:
            return 1
        step = max(1, self.frames_maximum - SLIDING_WINDOW_OVERLAP)
        return 1 + math.ceil((self.model_frames - self.frames_maximum) / step)

    @property
    def fits(self) -> bool:
        """The model can make it in one job (one window, or sliding windows where it has them)."""
        return not self.frames_limit or self.model_frames <= self.frames_limit

    @property
    def too_long_message(self) -> str:
        if self.fits:
            return ""
        limit_seconds = self.frames_limit / self.model_fps if self.model_fps else 0.0
        return (f"{self.seconds:.1f} s needs {self.model_frames} frames; {self.model_id or 'this model'} makes "
                f"{self.frames_limit} at most ({limit_seconds:.1f} s) and has no sliding window")

    def describe(self) -> str:
        """What the panel shows, e.g. '2.0 s = 33 frames at 16 fps → 48 frames at 24 fps'."""
        text = (f"{self.seconds:.1f} s = {self.model_frames} frames at {self.model_fps:g} fps"
                f" → {self.slot_frames} frames at {_fps(self.scene_fps)} fps")
        if self.windows > 1:
            text += f" ({self.windows} sliding windows)"
        return text


def _round(value: float) -> int:
    """Half up (Python's round() sends 24.5 to 24 and 25.5 to 26)."""
    return math.floor(value + 0.5)


def _fps(fps: float) -> str:
    return f"{fps:g}" if abs(fps - round(fps)) < 1e-6 else f"{fps:.3f}".rstrip("0")


def slot_frames_for_seconds(seconds: float, scene_fps: float) -> int:
    return max(1, _round(seconds * scene_fps))


def model_frames_for_slot(model: ModelInfo, slot_frames: int, scene_fps: float) -> int:
    """The frames on the model's grid that cover `slot_frames` of scene time (nearest, at least its
    minimum; not clamped to its limit, so that a shot that is too long can say so)."""
    if model.output is not OutputKind.VIDEO or not model.fps:
        return 1
    return model.snap_frames(slot_frames / scene_fps * model.fps, limit=False)


def for_slot(model: ModelInfo, slot_frames: int, scene_fps: float) -> ShotTiming:
    """A shot of `slot_frames` scene frames: what to ask of the model."""
    return _timing(model, slot_frames, scene_fps, model_frames_for_slot(model, slot_frames, scene_fps))


def for_model_frames(model: ModelInfo, model_frames: int, scene_fps: float) -> ShotTiming:
    """A clip of `model_frames` asked for directly: the slot it fills at real speed."""
    if model.output is not OutputKind.VIDEO or not model.fps:
        return _timing(model, STILL_FRAMES, scene_fps, 1)
    slot = max(1, _round(model_frames / model.fps * scene_fps))
    return _timing(model, slot, scene_fps, model_frames)


def for_seconds(model: ModelInfo, seconds: float, scene_fps: float) -> ShotTiming:
    return for_slot(model, slot_frames_for_seconds(seconds, scene_fps), scene_fps)


def _timing(model: ModelInfo, slot_frames: int, scene_fps: float, model_frames: int) -> ShotTiming:
    return ShotTiming(slot_frames=slot_frames, scene_fps=scene_fps, model_frames=model_frames,
                      model_fps=float(model.fps), model_id=model.id, frames_maximum=model.frames_maximum,
                      frames_limit=model.frames_limit, sliding_window=model.sliding_window)


def source_frame_at(offset: int, model_frames: int, slot_frames: int) -> int:
    """Which clip frame (0-based) shows at `offset` scene frames into the slot, once placed: the first
    frame on the slot's first frame, the last on its last, evenly in between."""
    if slot_frames <= 1 or model_frames <= 1:
        return 0
    offset = min(max(offset, 0), slot_frames - 1)
    return math.floor(offset * (model_frames - 1) / (slot_frames - 1) + 0.5)


def split_lengths(slot_frames: int, scene_fps: float, model: ModelInfo) -> list[int]:
    """Scene-frame lengths of the fewest equal-ish pieces that each fit the model's one window."""
    if slot_frames <= 0:
        return []
    top = model.frames_limit
    pieces = 1
    while pieces < slot_frames:
        base, extra = divmod(slot_frames, pieces)
        lengths = [base + (1 if i < extra else 0) for i in range(pieces)]
        if all(model_frames_for_slot(model, n, scene_fps) <= top for n in lengths):
            return lengths
        pieces += 1
    return [1] * slot_frames
