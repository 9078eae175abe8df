"""What the server says about one model: its family, what it does, the inputs it needs and takes, and
the frame rules its settings follow."""

from __future__ import annotations

import math

from .enums import FAMILY_LABELS, RESOLUTIONS, MediaInput, ModelCategory, ModelGroup, OutputKind, TaskKind
from .wire_model import WireModel

LONG_VIDEO_SECONDS = 60  # cap for models that extend clips with sliding windows
_STILL_INPUTS = frozenset({MediaInput.IMAGE_START, MediaInput.IMAGE_END})


class ModelInfo(WireModel):
    """One generation model as the server offers it, with the rules its settings must follow."""

    id: str  # Wan2GP's model_type
    name: str
    family: str  # Wan2GP's family id ("wan2_2", "ltx2", …), open: a family never seen before is kept as it is
    family_label: str = ""  # Wan2GP's own name for the family ("Wan2.2")
    category: ModelCategory
    tasks: tuple[TaskKind, ...]
    output: OutputKind = OutputKind.VIDEO
    fps: int  # 0 for sound
    frames_minimum: int = 1
    frames_step: int = 1
    frames_maximum: int = 1  # one generation window, as Wan2GP publishes it
    sliding_window: bool = False  # longer clips are made window by window
    audio_output: bool = False  # a video with its own sound track
    media_inputs: tuple[MediaInput, ...] = ()  # what it takes
    required_inputs: tuple[MediaInput, ...] = ()  # what it cannot do without (Wan2GP refuses the task)
    # how it can read a control video (image): Wan2GP's video_prompt_type values for it, as offered ("UV" as
    # is, "DV" depth estimated from it, "V" a prepared control map, "GUV" video to video …), and for its mask
    control_choices: tuple[str, ...] = ()
    mask_choices: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = RESOLUTIONS
    default_resolution: str = "832x480"
    default_frames: int = 81
    default_seconds: float = 0.0  # sound: Wan2GP's duration_seconds (0: as long as the words take)
    default_steps: int = 30
    default_guidance_scale: float = 5.0
    default_flow_shift: float = 5.0
    available: bool = True  # weights present on the server
    vram_gb: float | None = None
    description: str = ""

    # -- what it is and does

    @property
    def family_name(self) -> str:
        """Wan2GP's label for the family, else ours, else the id itself."""
        return self.family_label or FAMILY_LABELS.get(self.family, self.family)

    @property
    def groups(self) -> tuple[ModelGroup, ...]:
        """What it does, for the picker: every group whose inputs it can work from."""
        if self.output is OutputKind.AUDIO:
            return (ModelGroup.AUDIO,)
        if self.output is OutputKind.IMAGE:
            return (ModelGroup.IMAGE,)
        needs = set(self.required_inputs)
        found: list[ModelGroup] = []
        if not needs:
            found.append(ModelGroup.TEXT_TO_VIDEO)
        if MediaInput.IMAGE_START in self.media_inputs and needs <= {MediaInput.IMAGE_START}:
            found.append(ModelGroup.IMAGE_TO_VIDEO)
        if {MediaInput.IMAGE_START, MediaInput.IMAGE_END} <= set(self.media_inputs) and needs <= _STILL_INPUTS:
            found.append(ModelGroup.FIRST_LAST_FRAME)
        if needs - _STILL_INPUTS or set(self.media_inputs) - _STILL_INPUTS:
            found.append(ModelGroup.CONTROL_EDIT)
        return tuple(found)

    @property
    def group(self) -> ModelGroup:
        """The group it is listed under first: what it is made for."""
        if self.output is OutputKind.AUDIO:
            return ModelGroup.AUDIO
        if self.output is OutputKind.IMAGE:
            return ModelGroup.IMAGE
        needs = set(self.required_inputs)
        if needs - _STILL_INPUTS or self.category is ModelCategory.CONTROL:
            return ModelGroup.CONTROL_EDIT
        if MediaInput.IMAGE_END in needs:
            return ModelGroup.FIRST_LAST_FRAME
        if MediaInput.IMAGE_START in needs:
            return ModelGroup.IMAGE_TO_VIDEO
        return ModelGroup.TEXT_TO_VIDEO

    def accepts(self, media: MediaInput) -> bool:
        return media in self.media_inputs

    def works_from(self, supplied: set[MediaInput] | frozenset[MediaInput] | tuple[MediaInput, ...]) -> bool:
        """True when these inputs are enough for it and it takes every one of them."""
        given = set(supplied)
        return set(self.required_inputs) <= given and given <= set(self.media_inputs)

    def missing_inputs(self, supplied: set[MediaInput] | tuple[MediaInput, ...]) -> tuple[MediaInput, ...]:
        return tuple(m for m in self.required_inputs if m not in set(supplied))

    # -- frames

    @property
    def frames_limit(self) -> int:
        """The longest clip this model makes in one job."""
        if not self.sliding_window:
            return self.frames_maximum
        return self.snap_frames(LONG_VIDEO_SECONDS * self.fps, limit=False)

    @property
    def frame_grid(self) -> str:
        """Human form of the frame rule, e.g. '4n+1, 5–97 frames at 16 fps'."""
        if self.output is OutputKind.AUDIO:
            return f"sound, {self.default_seconds:g} s by default" if self.default_seconds else "sound"
        if self.output is OutputKind.IMAGE:
            return "still image"
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
