"""How a model reads a control video: the film maker's choice (pose, depth, edges, as is) turned into
what Blender renders and the video_prompt_type letters Wan2GP gets.

Wan2GP reads a control video through letters (wgp.py process_map_video_guide): "P" estimates a human
pose from it, "D" a depth map, "E" canny edges, "S" shapes, "U" keeps it unchanged, a lone "V" takes
it as already in the model's control format ("Use Vace raw format"), "G" guides a video-to-video
pass; "A" adds a mask video and "M" inpaints inside it. Which of these a model offers is its
`ModelInfo.control_choices` (and `mask_choices`), as Wan2GP publishes them.

Where Blender knows better than an estimator it says so itself: a model that offers both the raw
format and a depth (edges) reading gets Blender's exact depth (its lines) with the raw letter, instead
of a picture Wan2GP would estimate depth from. A model that only reads depth by estimating (LTX-2's
"DVG" loads its control LoRA with the estimator) gets the shaded picture and estimates.

Pure rules (no bpy): the add-on, the simulated engine and the tests share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from .enums import MediaInput
from .errors import InvalidSettingsError

if TYPE_CHECKING:  # annotations only: importing this must not load pydantic (the add-on's enable)
    from .model_info import ModelInfo


class ControlReading(str, Enum):
    """How the model is asked to read the control video."""

    POSE = "pose"
    DEPTH = "depth"
    EDGES = "edges"
    AS_IS = "as_is"

    @property
    def label(self) -> str:
        return _READING_LABELS[self]


_READING_LABELS = {ControlReading.POSE: "Pose", ControlReading.DEPTH: "Depth", ControlReading.EDGES: "Edges",
                   ControlReading.AS_IS: "As Is"}


class ControlRender(str, Enum):
    """What Blender renders of a 3D scene for the control video."""

    SHADED = "shaded"  # solid shading (Workbench): the picture, for the model to read (or estimate from)
    DEPTH = "depth"  # Blender's own depth (the Mist pass): near white, far black
    LINES = "lines"  # Blender's own lines (Freestyle): white on black


# estimator letters per reading, in preference order (wgp.py: P pose, O aligned pose, D depth, E canny
# edges, S shapes)
_ESTIMATORS = {ControlReading.POSE: ("P", "O"), ControlReading.DEPTH: ("D",), ControlReading.EDGES: ("E", "S")}
_BLENDER_MAPS = {ControlReading.DEPTH: ControlRender.DEPTH, ControlReading.EDGES: ControlRender.LINES}
_PASS_THROUGH = frozenset("UVG")  # letters that keep the frames as they are (unchanged, raw, guided)
_AS_IS_ORDER = ("UV", "V", "GUV", "VG")  # keep unchanged first, then raw, then video to video
RAW = "V"  # the model's raw control format: a prepared map, read as it is


@dataclass(frozen=True)
class ControlPlan:
    """What to render and what to tell Wan2GP, for one model and reading."""

    reading: ControlReading
    letters: str  # video_prompt_type
    render: ControlRender  # what Blender renders of a 3D scene (a movie strip is sent as it is)
    estimated: bool  # Wan2GP estimates the reading from the picture (else it gets Blender's own map or the frames)
    masked: bool = False
    from_scene: bool = True  # a 3D scene Blender renders (else a video, sent as it plays)

    def describe(self) -> str:
        how = {ControlRender.DEPTH: "Blender's depth", ControlRender.LINES: "Blender's lines",
               ControlRender.SHADED: "the shaded scene" if self.from_scene else "the video"}[self.render]
        text = f"{self.reading.label}: {how}" + (", read by Wan2GP's estimator" if self.estimated else "")
        return text + f" (video_prompt_type {self.letters})" + (" inside the mask" if self.masked else "")


def takes_control(model: ModelInfo) -> bool:
    return model.accepts(MediaInput.VIDEO_GUIDE)


def takes_mask(model: ModelInfo) -> bool:
    return model.accepts(MediaInput.VIDEO_MASK) and (
        any("A" in c for c in model.mask_choices) or any("A" in c for c in model.control_choices))


def _letters(choice: str) -> set[str]:
    return set(choice)


def _estimator_choice(model: ModelInfo, reading: ControlReading) -> str | None:
    """The model's choice that runs exactly this reading's estimator on the control (e.g. "DV", "DVG")."""
    for letter in _ESTIMATORS.get(reading, ()):
        for choice in model.control_choices:
            if _letters(choice) - _PASS_THROUGH == {letter} and "V" in choice:
                return choice
    return None


def _as_is_choice(model: ModelInfo, masked: bool) -> str | None:
    choices = list(model.control_choices)
    if masked:  # inpaint the masked region where the model offers it, else a choice made for a mask
        for choice in choices:
            if _letters(choice) - _PASS_THROUGH in ({"M"}, {"A"}, {"M", "A"}):
                return choice
    for choice in _AS_IS_ORDER:
        if choice in choices:
            return choice
    return next((c for c in choices if _letters(c) <= _PASS_THROUGH and "V" in c), None)


def readings_for(model: ModelInfo) -> tuple[ControlReading, ...]:
    """The readings this model offers for a control video, in ControlReading order."""
    if not takes_control(model):
        return ()
    return tuple(r for r in ControlReading if _plan_or_none(model, r, masked=False, from_scene=False) is not None)


def _plan_or_none(model: ModelInfo, reading: ControlReading, *, masked: bool, from_scene: bool) -> ControlPlan | None:
    choices = model.control_choices
    if not choices:  # a Wan2GP that does not say: the control goes as it is ("V", the engine adds it)
        return ControlPlan(reading, RAW, ControlRender.SHADED, False, masked, from_scene) \
            if reading is ControlReading.AS_IS else None
    if reading is ControlReading.AS_IS:
        choice = _as_is_choice(model, masked)
        return None if choice is None else ControlPlan(reading, choice, ControlRender.SHADED, False, masked, from_scene)
    estimator = _estimator_choice(model, reading)
    if estimator is None:
        return None
    if from_scene and reading in _BLENDER_MAPS and RAW in choices:  # it reads prepared maps: Blender's own
        return ControlPlan(reading, RAW, _BLENDER_MAPS[reading], False, masked, from_scene)
    return ControlPlan(reading, estimator, ControlRender.SHADED, True, masked, from_scene)


def plan(model: ModelInfo, reading: ControlReading | str, *, masked: bool = False,
         from_scene: bool = True) -> ControlPlan:
    """What to render and which letters to send for this model and reading (and a mask, if any).
    `from_scene`: the control is a 3D scene Blender renders (its own depth and lines are possible);
    a movie is sent as it is, for the model to read.

    Raises InvalidSettingsError (field video_guide, or video_mask) naming what the model offers instead."""
    reading = ControlReading(reading)
    if not takes_control(model):
        raise InvalidSettingsError(MediaInput.VIDEO_GUIDE.value, f"{model.id} does not take a control video",
                                   hint="pick a Control / Edit model (VACE, LTX-2, Wan 2.1/2.2 Text2video …)")
    if masked and not takes_mask(model):
        raise InvalidSettingsError(MediaInput.VIDEO_MASK.value, f"{model.id} does not take a mask video",
                                   hint="pick a model that inpaints a region (VACE, LTX-2 …), or drop the mask")
    found = _plan_or_none(model, reading, masked=masked, from_scene=from_scene)
    if found is None:
        offered = ", ".join(r.label for r in readings_for(model)) or "none"
        raise InvalidSettingsError(MediaInput.VIDEO_GUIDE.value,
                                   f"{model.id} does not read a control video as {reading.label.lower()}",
                                   hint=f"pick one it offers: {offered}")
    if masked and "A" not in found.letters:
        mask = next((c for c in model.mask_choices if c == "A"), "A")
        found = ControlPlan(found.reading, found.letters + mask, found.render, found.estimated, True, from_scene)
    return found


# -- what the letters ask of a control video (the simulated engine reads them like Wan2GP does)


def guide_process(letters: str) -> str:
    """The process Wan2GP runs on the control frames for these letters: "pose", "depth", "edges",
    "shapes", "inpaint", "gray", "flow" or "raw" (the frames as they are)."""
    names = {"P": "pose", "O": "pose", "D": "depth", "E": "edges", "S": "shapes", "M": "inpaint", "C": "gray",
             "L": "flow"}
    return next((names[c] for c in letters if c in names), "raw")
