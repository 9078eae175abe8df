"""First + last frame: a clip that opens on one picture and ends on another, for models that take an
end image. The pictures come from two image strips, from the frames under two markers, or from the
frame at the playhead and the one under the next marker; the clip fills the time between them."""

from typing import TYPE_CHECKING

import bpy
from bpy.props import EnumProperty

from ...common import shot_timing
from ...common.enums import MediaInput, OutputKind
from ...common.errors import DirectorError
from .. import compat, queueing, stills, timing
from ._common import SceneOperator, report_error

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ...common.model_info import ModelInfo

DEFAULT_PROMPT = "a smooth, continuous shot from the first picture to the last"
_BOTH = {MediaInput.IMAGE_START, MediaInput.IMAGE_END}


def works_from(model: "ModelInfo", given: set[MediaInput]) -> bool:
    return (model.output is OutputKind.VIDEO and set(model.required_inputs) <= given
            and given <= set(model.media_inputs))


def first_last_model(scene: bpy.types.Scene) -> "ModelInfo | None":
    """The Shot panel's model when it takes a start and an end image, else the first one that does."""
    models = queueing.known_models()
    chosen = models.get(scene.movie_director.model)
    if chosen is not None and works_from(chosen, _BOTH):
        return chosen
    return next((m for m in models.values() if works_from(m, _BOTH)), None)


def _markers(scene: bpy.types.Scene) -> list:
    return sorted(scene.timeline_markers, key=lambda m: m.frame)


class MOVIE_DIRECTOR_OT_first_last_frame(SceneOperator, bpy.types.Operator):
    """Generate a clip from a first and a last picture (two image strips, two markers, or the playhead and
    the next marker); it fills the time between them"""

    bl_idname = "movie_director.first_last_frame"
    bl_label = "First + Last Frame"

    source: EnumProperty(name="From", default="AUTO", items=[
        ("AUTO", "Automatic", "Two selected image strips, else two selected markers, else the playhead and the next marker"),
        ("IMAGES", "Two Image Strips", "The selected image strips: the earlier one opens the clip, the later one ends it"),
        ("MARKERS", "Two Markers", "The frames under the two selected markers (or the markers around the playhead)"),
        ("PLAYHEAD", "Playhead to Next Marker", "The frame at the playhead and the frame under the next marker"),
    ])

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        props = scene.movie_director
        model = first_last_model(scene)
        if model is None:
            self.report({"ERROR"}, "The server offers no model that takes a start and an end image")
            return {"CANCELLED"}
        try:
            first, last, start, frames, channel = self._pictures(context)
        except (LookupError, RuntimeError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        timed = shot_timing.for_slot(model, frames, timing.scene_fps(scene))
        if not timed.fits:
            self.report({"ERROR"}, timed.too_long_message)
            return {"CANCELLED"}
        prompt = props.prompt.strip() or DEFAULT_PROMPT
        settings = props.to_settings(model_type=model.id, prompt=prompt, video_length=timed.model_frames,
                                     image_start=str(first), image_end=str(last))
        if "resolution" in settings and settings["resolution"] not in model.resolutions:
            settings.pop("resolution")
        try:
            queueing.queue_generation(scene, settings, channel=channel, frame_start=start, slot_frames=frames,
                                      label=f"first + last frame: {prompt}"[:queueing.LABEL_CHARS])
        except DirectorError as error:
            return report_error(self, error)
        self.report({"INFO"}, f"Queued {model.name}: {timed.describe()}")
        return {"FINISHED"}

    def _pictures(self, context: bpy.types.Context):
        """(first image, last image, slot start, slot frames, channel)"""
        scene = context.scene
        source = self.source
        images = sorted((s for s in compat.selected_strips(context) if stills.image_strip_file(s) is not None),
                        key=lambda s: s.frame_final_start)
        selected_markers = [m for m in _markers(scene) if m.select]
        if source == "AUTO":
            source = "IMAGES" if len(images) == 2 else "MARKERS" if len(selected_markers) == 2 else "PLAYHEAD"
        if source == "IMAGES":
            if len(images) != 2:
                raise LookupError("Select exactly two image strips: the first and the last picture")
            a, b = images
            start, end = int(a.frame_final_start), int(b.frame_final_end)
            return (stills.image_strip_file(a), stills.image_strip_file(b), start, end - start,
                    max(a.channel, b.channel) + 1)
        if source == "MARKERS":
            pair = selected_markers if len(selected_markers) == 2 else self._around_playhead(scene)
            frame_a, frame_b = sorted(m.frame for m in pair)
        else:
            after = [m for m in _markers(scene) if m.frame > scene.frame_current]
            if not after:
                raise LookupError("Put a marker where the clip should end (after the playhead)")
            frame_a, frame_b = scene.frame_current, after[0].frame
        if frame_b <= frame_a:
            raise LookupError("The two frames are the same: put the markers apart")
        first = stills.render_frame(scene, frame_a, "first")
        last = stills.render_frame(scene, frame_b, "last")
        return first, last, frame_a, frame_b - frame_a + 1, scene.movie_director.channel

    @staticmethod
    def _around_playhead(scene: bpy.types.Scene) -> list:
        markers = _markers(scene)
        before = [m for m in markers if m.frame <= scene.frame_current]
        after = [m for m in markers if m.frame > scene.frame_current]
        if not before or not after:
            raise LookupError("Select two markers (or put the playhead between two markers)")
        return [before[-1], after[0]]


classes = (MOVIE_DIRECTOR_OT_first_last_frame,)
