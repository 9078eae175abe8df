"""Extend: continue a movie strip (generated or not) from its last frames with a model that takes a video
to continue; the new clip lands right after it, on the same channel, at real speed."""

from pathlib import Path
from typing import TYPE_CHECKING

import bpy

from ...common.errors import DirectorError
from .. import compat, queueing, shots, stills, timing
from ._common import SceneOperator, report_error

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ...common.model_info import ModelInfo


def extend_model(scene: bpy.types.Scene, strip) -> "ModelInfo | None":
    """The Shot panel's model if it continues videos, else the strip's own, else the first that does."""
    return shots.video_continuing_model(scene.movie_director.model, str(strip.get("bmd_model", "")))


def _movie(context: bpy.types.Context):
    strip = compat.active_strip(context) if context.scene else None
    return strip if strip is not None and strip.type == "MOVIE" else None


class MOVIE_DIRECTOR_OT_extend(SceneOperator, bpy.types.Operator):
    """Continue the active movie strip from its last frames; the new clip lands right after it"""

    bl_idname = "movie_director.extend"
    bl_label = "Extend"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return super().poll(context) and _movie(context) is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        strip = _movie(context)
        props = scene.movie_director
        model = extend_model(scene, strip)
        if model is None:
            self.report({"ERROR"}, "The server offers no model that continues a video")
            return {"CANCELLED"}
        source = Path(bpy.path.abspath(strip.filepath))
        if not source.is_file():
            self.report({"ERROR"}, f"The strip's movie is missing: {source}")
            return {"CANCELLED"}
        prompt = props.prompt.strip() or str(strip.get("bmd_prompt", "")).strip()
        if not prompt:
            self.report({"ERROR"}, "Describe how the shot goes on in the Prompt box")
            return {"CANCELLED"}
        timed = timing.panel_timing(scene, model)
        if not timed.fits:
            self.report({"ERROR"}, timed.too_long_message)
            return {"CANCELLED"}
        trimmed = _trimmed(strip)
        if trimmed:  # continue what the timeline shows, not the hidden rest of the file
            try:
                source = stills.movie_tail(strip, max(model.frames_maximum, 17))
            except RuntimeError as error:
                self.report({"ERROR"}, f"Could not write the strip's last frames: {error}")
                return {"CANCELLED"}
        settings = props.to_settings(model_type=model.id, prompt=prompt, video_length=timed.model_frames,
                                     video_source=str(source))
        if "resolution" in settings and settings["resolution"] not in model.resolutions:
            settings.pop("resolution")
        tags = {"bmd_extends": strip.name}
        try:
            queueing.queue_generation(scene, settings, channel=strip.channel, frame_start=int(strip.frame_final_end),
                                      slot_frames=timed.slot_frames, label=f"extend: {prompt}"[:queueing.LABEL_CHARS],
                                      placeholder_tags=tags)
        except DirectorError as error:
            return report_error(self, error)
        shown = "its trimmed end" if trimmed else "its last frames"
        self.report({"INFO"}, f"Queued an extension of {shown} with {model.name}: {timed.describe()}")
        return {"FINISHED"}


def _trimmed(strip) -> bool:
    """The user cut the strip (a clip we fitted into its slot is not cut: it shows its whole file)."""
    if strip.get("bmd_slot_frames") == strip.frame_final_duration and "bmd_model" in strip:
        return False
    return strip.frame_offset_end > 0 or strip.frame_offset_start > 0


classes = (MOVIE_DIRECTOR_OT_extend,)
