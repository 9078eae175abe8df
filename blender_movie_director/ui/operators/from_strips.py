"""Generate from Strips: the selected strips become the inputs the Shot panel's model takes.

Image strips fill its image inputs, movie strips its video inputs, sound strips its audio, each kind
in timeline order and the inputs the model needs first: for a reference-image model the first image
is the reference, for image-to-video the start (then the end) frame, for VACE-like control models the
first movie is the control video and a second one its mask, for a talking-head model a sound strip
is the voice. The clip goes above the strips, where the first of them starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import bpy

from ...common.enums import MediaInput
from ...common.errors import DirectorError
from .. import compat, queueing
from ._common import SceneOperator, report_error

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ...common.model_info import ModelInfo

M = MediaInput
# what each kind of strip can stand for, in the order they are handed out
INPUTS_BY_STRIP = {
    "IMAGE": (M.IMAGE_START, M.IMAGE_END, M.IMAGE_REFS, M.IMAGE_GUIDE, M.IMAGE_MASK),
    "MOVIE": (M.VIDEO_GUIDE, M.VIDEO_SOURCE, M.VIDEO_MASK),
    "SOUND": (M.AUDIO_GUIDE,),
}


def strip_file(strip) -> Path | None:
    """The file an image, movie or sound strip shows or plays (None for other strips)."""
    if strip.type == "IMAGE" and len(strip.elements):
        return Path(bpy.path.abspath(strip.directory)) / strip.elements[0].filename
    if strip.type == "MOVIE":
        return Path(bpy.path.abspath(strip.filepath))
    if strip.type == "SOUND" and strip.sound is not None:
        return Path(bpy.path.abspath(strip.sound.filepath))
    return None


def assign_inputs(model: ModelInfo, files: dict[str, list[Path]]) -> dict[MediaInput, Path]:
    """Files by strip kind (in timeline order) → the model's inputs, those it needs first."""
    media: dict[MediaInput, Path] = {}
    for kind, paths in files.items():
        slots = [m for m in INPUTS_BY_STRIP.get(kind, ()) if model.accepts(m)]
        slots.sort(key=lambda m: m not in model.required_inputs)  # stable: needed ones first, then in order
        media.update(zip(slots, paths, strict=False))
    return media


class MOVIE_DIRECTOR_OT_generate_from_strips(SceneOperator, bpy.types.Operator):
    """Generate with the selected image, movie and sound strips as the model's inputs (reference image,
    start and end frame, control video and its mask, a voice…); the clip goes above them"""

    bl_idname = "movie_director.generate_from_strips"
    bl_label = "Generate from Strips"

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        props = scene.movie_director
        model = queueing.known_models().get(props.model)
        if model is None:
            self.report({"ERROR"}, f"Pick a model first ('{props.model}' is not on the server)")
            return {"CANCELLED"}
        if not props.prompt.strip():
            self.report({"ERROR"}, "Describe the shot in the Prompt box first")
            return {"CANCELLED"}
        strips = sorted((s for s in compat.selected_strips(context) if strip_file(s) is not None),
                        key=lambda s: (s.frame_final_start, s.channel))
        files: dict[str, list[Path]] = {}
        for strip in strips:
            files.setdefault(strip.type, []).append(strip_file(strip))
        media = assign_inputs(model, files)
        if not media and not model.required_inputs:
            self.report({"ERROR"}, f"Select the strips to use: {model.name} takes "
                        + (", ".join(m.label for m in model.media_inputs) or "no media, only a prompt"))
            return {"CANCELLED"}
        used = [s for s in strips if strip_file(s) in media.values()] or strips
        frame = int(min((s.frame_final_start for s in used), default=scene.frame_current))
        channel = max((s.channel for s in used), default=props.channel - 1) + 1
        try:
            settings = props.to_settings(model_type=model.id, **{m.value: str(p) for m, p in media.items()})
            queueing.queue_generation(scene, settings, channel=channel, frame_start=frame,
                                      label=f"{model.id}: {props.prompt.strip()}"[:40])
        except DirectorError as error:  # a needed input no selected strip gave: named, with what to select
            return report_error(self, error)
        given = ", ".join(f"{m.label} ← {p.name}" for m, p in media.items())
        self.report({"INFO"}, f"Queued {model.name}" + (f" with {given}" if given else ""))
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_generate_from_strips,)
