import time
from pathlib import Path
from typing import TYPE_CHECKING

import bpy

from ...common.enums import MediaInput, ModelGroup
from ...common.errors import DirectorError
from .. import addon, compat, properties, queueing
from ._common import SceneOperator, report_error

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ...common.model_info import ModelInfo


def image_to_video_model(model_id: str) -> "ModelInfo | None":
    """The Shot panel's model when a start image is all it needs, else the first (downloaded) one that is."""
    chosen = queueing.known_models().get(model_id)
    if chosen is not None and chosen.works_from({MediaInput.IMAGE_START}):
        return chosen
    return next((m for m in properties.models_in(ModelGroup.IMAGE_TO_VIDEO) if m.works_from({MediaInput.IMAGE_START})),
                None)


def still_of_active_strip(context: bpy.types.Context) -> Path:
    """The active image strip's file, or the current frame rendered to a PNG in the clips folder."""
    strip = compat.active_strip(context)
    if strip is not None and strip.type == "IMAGE":
        path = Path(bpy.path.abspath(strip.directory)) / strip.elements[0].filename
        if path.is_file():
            return path
    scene = context.scene
    target = addon.output_dir() / "stills" / f"frame_{scene.frame_current:05d}_{int(time.time())}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    saved = (scene.render.filepath, scene.render.image_settings.file_format)
    try:
        scene.render.filepath = str(target)
        scene.render.image_settings.file_format = "PNG"
        bpy.ops.render.render(write_still=True, scene=scene.name)
    finally:
        scene.render.filepath, scene.render.image_settings.file_format = saved
    return target


class MOVIE_DIRECTOR_OT_image_to_video(SceneOperator, bpy.types.Operator):
    """Animate the active image strip (or the frame under the playhead) with an image-to-video model"""

    bl_idname = "movie_director.image_to_video"
    bl_label = "Image to Video"

    def execute(self, context: bpy.types.Context) -> set[str]:
        props = context.scene.movie_director
        if not props.prompt.strip():
            self.report({"ERROR"}, "Describe the motion in the Prompt box first (e.g. 'the waves roll in')")
            return {"CANCELLED"}
        model = image_to_video_model(props.model)
        if model is None:
            self.report({"ERROR"}, "The server offers no model that makes a clip from a start image")
            return {"CANCELLED"}
        strip = compat.active_strip(context)
        frame = int(strip.frame_final_start) if strip is not None and strip.type == "IMAGE" else context.scene.frame_current
        channel = (strip.channel + 1) if strip is not None else props.channel
        try:
            still = still_of_active_strip(context)
            settings = props.to_settings(model_type=model.id, image_start=str(still),
                                         video_length=props.frame_count(model))
            queueing.queue_generation(context.scene, settings, channel=channel, frame_start=frame,
                                      label=f"i2v {still.stem}"[:40])
        except DirectorError as error:
            return report_error(self, error)
        except RuntimeError as error:  # the render of the current frame failed
            self.report({"ERROR"}, f"Could not render the current frame: {error}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Queued image-to-video with {properties.model_info(model.id).name}")
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_image_to_video,)
